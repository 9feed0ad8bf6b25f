/**
 * One frame at a time through dcmjs-codecs' WASM codecs (NativeCodecs): decode an encapsulated frame to
 * native pixels, or encode native pixels in a compressed transfer syntax. transcode.ts works on whole data
 * sets; WADO-RS frames and rendering need single frames without re-encoding the rest of the object.
 */
import { codecsReady, initializeCodecs, TranscodeError } from "./transcode.js";

type Codecs = typeof import("dcmjs-codecs");
type NativeContext = InstanceType<Codecs["Context"]>;

/** What a codec must know of the frame: the Image Pixel module's values. */
export interface FrameGeometry {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  /** 0 interleaved (R G B R G B …), 1 by plane. */
  planarConfiguration: number;
  photometricInterpretation: string;
}

/** A decoded frame: little-endian native pixels and how they are now to be read. */
export interface DecodedFrame {
  pixels: Buffer;
  /** JPEG baseline and JPEG 2000 hand colour back as RGB whatever the stored interpretation said. */
  photometricInterpretation: string;
  planarConfiguration: number;
}

const Syntax = {
  Rle: "1.2.840.10008.1.2.5",
  JpegBaseline: "1.2.840.10008.1.2.4.50",
  JpegExtended: "1.2.840.10008.1.2.4.51",
  JpegLossless: "1.2.840.10008.1.2.4.57",
  JpegLosslessSV1: "1.2.840.10008.1.2.4.70",
  JpegLs: "1.2.840.10008.1.2.4.80",
  JpegLsNearLossless: "1.2.840.10008.1.2.4.81",
  J2k: "1.2.840.10008.1.2.4.90",
  J2kLossy: "1.2.840.10008.1.2.4.91",
  Htj2k: "1.2.840.10008.1.2.4.201",
  Htj2kRpcl: "1.2.840.10008.1.2.4.202",
  Htj2kLossy: "1.2.840.10008.1.2.4.203",
} as const;

type Method = "Rle" | "Jpeg" | "JpegLs" | "Jpeg2000" | "HtJpeg2000";

const DECODERS: Record<string, Method> = {
  [Syntax.Rle]: "Rle",
  [Syntax.JpegBaseline]: "Jpeg",
  [Syntax.JpegExtended]: "Jpeg",
  [Syntax.JpegLossless]: "Jpeg",
  [Syntax.JpegLosslessSV1]: "Jpeg",
  [Syntax.JpegLs]: "JpegLs",
  [Syntax.JpegLsNearLossless]: "JpegLs",
  [Syntax.J2k]: "Jpeg2000",
  [Syntax.J2kLossy]: "Jpeg2000",
  [Syntax.Htj2k]: "HtJpeg2000",
  [Syntax.Htj2kRpcl]: "HtJpeg2000",
  [Syntax.Htj2kLossy]: "HtJpeg2000",
};

interface EncoderSpec {
  method: Method;
  lossy: boolean;
  /** Extra parameters for dcmjs-codecs' encoder. */
  params?: Record<string, unknown>;
}

const ENCODERS: Record<string, EncoderSpec> = {
  [Syntax.Rle]: { method: "Rle", lossy: false },
  [Syntax.JpegBaseline]: { method: "Jpeg", lossy: true, params: { predictor: 0, pointTransform: 0 } },
  [Syntax.JpegLosslessSV1]: { method: "Jpeg", lossy: false, params: { predictor: 1, pointTransform: 0 } },
  [Syntax.JpegLs]: { method: "JpegLs", lossy: false },
  [Syntax.JpegLsNearLossless]: { method: "JpegLs", lossy: true, params: { allowedLossyError: 2 } },
  [Syntax.J2k]: { method: "Jpeg2000", lossy: false },
  [Syntax.J2kLossy]: { method: "Jpeg2000", lossy: true },
  [Syntax.Htj2k]: { method: "HtJpeg2000", lossy: false },
  [Syntax.Htj2kRpcl]: { method: "HtJpeg2000", lossy: false, params: { progressionOrder: 2 } },
  [Syntax.Htj2kLossy]: { method: "HtJpeg2000", lossy: true },
};

/** Photometric interpretations the encoders take as they are (colour is encoded as given, never converted). */
const ENCODABLE_PHOTOMETRIC = new Set(["MONOCHROME1", "MONOCHROME2", "RGB", "PALETTE COLOR", "YBR_FULL"]);

let codecs: Codecs | undefined;

async function load(): Promise<Codecs> {
  await initializeCodecs();
  if (!codecs) {
    const module = await import("dcmjs-codecs");
    codecs = ((module as { default?: Codecs }).default ?? module) as Codecs;
  }
  return codecs;
}

/** Loads the codecs once; decodeFrame and encodeFrame are synchronous after this. */
export async function initializeFrameCodecs(): Promise<void> {
  await load();
}

function loaded(): Codecs {
  if (!codecs || !codecsReady()) {
    throw new TranscodeError("frame codecs are not initialised; call initializeFrameCodecs() first");
  }
  return codecs;
}

export function canDecodeFrames(transferSyntaxUid: string): boolean {
  return transferSyntaxUid in DECODERS;
}

/** Whether native pixels can be encoded in this syntax (lossy ones only when the caller allows it). */
export function canEncodeFrames(
  transferSyntaxUid: string,
  geometry: FrameGeometry,
  allowLossy: boolean,
): boolean {
  const spec = ENCODERS[transferSyntaxUid];
  if (!spec || (spec.lossy && !allowLossy)) return false;
  if (!ENCODABLE_PHOTOMETRIC.has(geometry.photometricInterpretation)) return false;
  if (geometry.bitsAllocated !== 8 && geometry.bitsAllocated !== 16) return false;
  if (geometry.samplesPerPixel !== 1 && geometry.samplesPerPixel !== 3) return false;
  if (transferSyntaxUid === Syntax.JpegBaseline) {
    // Baseline JPEG carries 8-bit unsigned samples only.
    return geometry.bitsStored <= 8 && geometry.pixelRepresentation === 0;
  }
  return true;
}

export function isLossyEncoding(transferSyntaxUid: string): boolean {
  return ENCODERS[transferSyntaxUid]?.lossy ?? false;
}

function context(
  codecs: Codecs,
  geometry: FrameGeometry,
  buffers: Record<string, Uint8Array>,
): NativeContext {
  return new codecs.Context({
    width: geometry.columns,
    height: geometry.rows,
    bitsAllocated: geometry.bitsAllocated,
    bitsStored: geometry.bitsStored,
    samplesPerPixel: geometry.samplesPerPixel,
    pixelRepresentation: geometry.pixelRepresentation,
    planarConfiguration: geometry.planarConfiguration,
    photometricInterpretation: geometry.photometricInterpretation,
    ...buffers,
  });
}

function failure(what: string, transferSyntaxUid: string, error: unknown): TranscodeError {
  const reason = error instanceof Error ? error.message : String(error);
  return new TranscodeError(`cannot ${what} a frame in ${transferSyntaxUid}: ${reason}`);
}

/** Native bytes of one frame as the geometry says: rows × columns × samples × bytes per sample. */
export function nativeFrameLength(geometry: FrameGeometry): number {
  return Math.ceil(
    (geometry.rows * geometry.columns * geometry.samplesPerPixel * geometry.bitsAllocated) / 8,
  );
}

/**
 * Decodes one encapsulated frame (its fragments joined) to little-endian native pixels, interleaved when
 * there are several samples. Signed samples narrower than their container come back sign-extended, whatever
 * the encoder wrote in the bits above Bits Stored.
 */
export function decodeFrame(
  encoded: Uint8Array,
  transferSyntaxUid: string,
  geometry: FrameGeometry,
): DecodedFrame {
  const method = DECODERS[transferSyntaxUid];
  if (!method) throw new TranscodeError(`no decoder for transfer syntax ${transferSyntaxUid}`);
  const codecs = loaded();
  let result: NativeContext;
  try {
    // JPEG hands colour back as RGB (YBR is converted); RLE and JPEG-LS keep what was encoded.
    const params = method === "Jpeg" ? { convertColorspaceToRgb: geometry.samplesPerPixel === 3 } : {};
    result = codecs.NativeCodecs[`decode${method}`](
      context(codecs, geometry, { encodedBuffer: encoded }),
      params,
    );
  } catch (error) {
    throw failure("decode", transferSyntaxUid, error);
  }
  const decoded = result.getDecodedBuffer();
  const expected = nativeFrameLength(geometry);
  if (!decoded || decoded.length < expected) {
    throw new TranscodeError(
      `decoding a frame in ${transferSyntaxUid} gave ${decoded?.length ?? 0} bytes, expected ${expected}`,
    );
  }
  const pixels = Buffer.from(decoded.buffer, decoded.byteOffset, expected);
  if (geometry.pixelRepresentation === 1) signExtend(pixels, geometry.bitsAllocated, geometry.bitsStored);
  let photometric = geometry.photometricInterpretation;
  let planar = geometry.planarConfiguration;
  if (geometry.samplesPerPixel === 3) {
    if (method === "Jpeg" || method === "Jpeg2000" || method === "HtJpeg2000") photometric = "RGB";
    // Every decoder but RLE gives interleaved samples; RLE keeps the planes the data set declares.
    if (method !== "Rle") planar = 0;
  }
  return { pixels, photometricInterpretation: photometric, planarConfiguration: planar };
}

/** Sign-extends samples of `bitsStored` bits in containers of 16 or 32 bits, in place. */
export function signExtend(pixels: Buffer, bitsAllocated: number, bitsStored: number): void {
  if (bitsStored >= bitsAllocated || bitsStored <= 0) return;
  const shift = 32 - bitsStored;
  if (bitsAllocated === 16) {
    for (let i = 0; i + 1 < pixels.length; i += 2) {
      const v = (((pixels[i]! | (pixels[i + 1]! << 8)) << shift) >> shift) & 0xffff;
      pixels[i] = v & 0xff;
      pixels[i + 1] = v >>> 8;
    }
  } else if (bitsAllocated === 32) {
    for (let i = 0; i + 3 < pixels.length; i += 4)
      pixels.writeInt32LE((pixels.readInt32LE(i) << shift) >> shift, i);
  } else if (bitsAllocated === 8) {
    for (let i = 0; i < pixels.length; i++) pixels[i] = (((pixels[i]! << shift) >> shift) & 0xff) >>> 0;
  }
}

export interface EncodeOptions {
  /** JPEG baseline quality, 1 to 100. */
  quality?: number;
}

/**
 * Encodes one frame of little-endian native pixels (interleaved when several samples) in a compressed
 * transfer syntax. The result is the frame's bytes as one fragment would carry them (even length).
 */
export function encodeFrame(
  pixels: Uint8Array,
  transferSyntaxUid: string,
  geometry: FrameGeometry,
  options: EncodeOptions = {},
): Buffer {
  const spec = ENCODERS[transferSyntaxUid];
  if (!spec) throw new TranscodeError(`no encoder for transfer syntax ${transferSyntaxUid}`);
  if (!canEncodeFrames(transferSyntaxUid, geometry, true)) {
    throw new TranscodeError(
      `cannot encode ${geometry.photometricInterpretation} ${geometry.bitsStored}-bit ` +
        `${geometry.pixelRepresentation === 1 ? "signed" : "unsigned"} pixels in ${transferSyntaxUid}`,
    );
  }
  const codecs = loaded();
  const input =
    geometry.planarConfiguration === 1 && geometry.samplesPerPixel > 1
      ? interleave(pixels, geometry)
      : pixels;
  const params = {
    ...spec.params,
    lossy: spec.lossy,
    ...(options.quality === undefined ? {} : { quality: options.quality }),
  };
  let encoded: Uint8Array | undefined;
  try {
    const frame = context(codecs, { ...geometry, planarConfiguration: 0 }, { decodedBuffer: input });
    encoded = codecs.NativeCodecs[`encode${spec.method}`](frame, params).getEncodedBuffer();
  } catch (error) {
    throw failure("encode", transferSyntaxUid, error);
  }
  if (!encoded || encoded.length === 0)
    throw new TranscodeError(`encoding a frame in ${transferSyntaxUid} gave nothing`);
  const out = Buffer.alloc(encoded.length + (encoded.length % 2));
  out.set(encoded);
  return out;
}

/** Planar (RRR…GGG…BBB…) to interleaved (RGBRGB…) samples. */
export function interleave(pixels: Uint8Array, geometry: FrameGeometry): Buffer {
  const bytes = geometry.bitsAllocated / 8;
  const count = geometry.rows * geometry.columns;
  const samples = geometry.samplesPerPixel;
  const out = Buffer.alloc(count * samples * bytes);
  for (let s = 0; s < samples; s++) {
    for (let p = 0; p < count; p++) {
      for (let b = 0; b < bytes; b++)
        out[(p * samples + s) * bytes + b] = pixels[(s * count + p) * bytes + b]!;
    }
  }
  return out;
}
