import { lookupTransferSyntax } from "../../../shared/dicom/transfer-syntax.js";

type Codecs = typeof import("dcmjs-codecs");

/** Transfer syntaxes dcmjs-codecs can both read and write (its WASM codecs for the compressed ones). */
export const TRANSCODABLE = new Set<string>([
  "1.2.840.10008.1.2",
  "1.2.840.10008.1.2.1",
  "1.2.840.10008.1.2.2",
  "1.2.840.10008.1.2.5",
  "1.2.840.10008.1.2.4.50",
  "1.2.840.10008.1.2.4.70",
  "1.2.840.10008.1.2.4.80",
  "1.2.840.10008.1.2.4.81",
  "1.2.840.10008.1.2.4.90",
  "1.2.840.10008.1.2.4.91",
  "1.2.840.10008.1.2.4.201",
  "1.2.840.10008.1.2.4.202",
  "1.2.840.10008.1.2.4.203",
]);

const LOSSY_TARGETS = new Set([
  "1.2.840.10008.1.2.4.50",
  "1.2.840.10008.1.2.4.81",
  "1.2.840.10008.1.2.4.91",
  "1.2.840.10008.1.2.4.203",
]);

export class TranscodeError extends Error {
  override name = "TranscodeError";
}

let ready: Promise<void> | undefined;
let codecs: Codecs | undefined;

/**
 * Loads dcmjs-codecs and its WASM codecs once (on demand: a command line that never transcodes
 * never pays for them). The node awaits this before it accepts any association, because a
 * transcode attempted before the codecs exist fails — it must never be silently skipped.
 */
export function initializeCodecs(): Promise<void> {
  ready ??= (async () => {
    const [dcmjs, module] = await Promise.all([import("dcmjs"), import("dcmjs-codecs")]);
    // A CommonJS bundle: its exports arrive as the default export.
    const loaded = ((module as { default?: Codecs }).default ?? module) as Codecs;
    // dcmjs logs every private tag it cannot name; transcoding errors reach the caller as exceptions.
    dcmjs.default.log.setLevel("error");
    loaded.log.setLevel("error");
    await loaded.NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false });
    codecs = loaded;
  })();
  return ready;
}

export function codecsReady(): boolean {
  return codecs?.NativeCodecs.isInitialized() ?? false;
}

export function canTranscode(from: string, to: string, allowLossy = false): boolean {
  if (from === to) return true;
  if (!TRANSCODABLE.has(from) || !TRANSCODABLE.has(to)) return false;
  return allowLossy || !LOSSY_TARGETS.has(to);
}

/** Re-encodes a Part 10 file's dataset in another transfer syntax; returns the dataset bytes. */
export function transcodeDataset(part10: Buffer, to: string): Buffer {
  if (!codecs || !codecsReady()) {
    throw new TranscodeError("codecs are not initialised; call initializeCodecs() first");
  }
  try {
    const copy = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
    const transcoder = new codecs.Transcoder(copy);
    const source = { ...transcoder.getElements() };
    transcoder.transcode(to);
    keepSourceEncoding(transcoder.getElements(), source, lookupTransferSyntax(to)?.encapsulated === true);
    return Buffer.from(transcoder.getDicomDataset());
  } catch (err) {
    throw new TranscodeError(`cannot transcode to ${to}: ${(err as Error).message ?? String(err)}`);
  }
}

/** Attributes whose VR is US or SS as PixelRepresentation says ("xs" in dcmjs's dictionary). */
const PIXEL_VALUE_ATTRIBUTES = [
  "SmallestImagePixelValue",
  "LargestImagePixelValue",
  "SmallestPixelValueInSeries",
  "LargestPixelValueInSeries",
  "PixelPaddingValue",
  "PixelPaddingRangeLimit",
];

/**
 * Decoding replaces dcmjs's VR map with one for PixelData alone, and a source in implicit VR gives these
 * attributes no VR, so those of signed images were written as US (-2000 became 63536); decoding also adds
 * PlanarConfiguration to single-sample images, where PS3.3 forbids it. The source's VRs are kept (the new
 * PixelData VR aside), US or SS set as PixelRepresentation says, and PlanarConfiguration left out again.
 */
function keepSourceEncoding(
  elements: Record<string, unknown>,
  source: Record<string, unknown>,
  encapsulated: boolean,
): void {
  const pixelValueVr = elements.PixelRepresentation === 1 ? "SS" : "US";
  elements._vrMap = {
    ...(source._vrMap as object | undefined),
    ...(elements._vrMap as object | undefined),
    ...Object.fromEntries(
      PIXEL_VALUE_ATTRIBUTES.filter((name) => name in elements).map((name) => [name, pixelValueVr]),
    ),
    // Encapsulated Pixel Data is OB (PS3.5 A.4); dcmjs-codecs keeps the source's OW.
    ...(encapsulated ? { PixelData: "OB" } : {}),
  };
  if (!("PlanarConfiguration" in source) && elements.SamplesPerPixel === 1)
    delete elements.PlanarConfiguration;
}
