/**
 * A frame in the transfer syntax a client asked for: as stored when it matches, else decoded to native
 * pixels and, for a compressed target, encoded again — lossless targets always, lossy ones only when the
 * caller says the client asked for that lossy syntax by name.
 */
import { lookupTransferSyntax, TransferSyntaxUid } from "../../../shared/dicom/transfer-syntax.js";
import { type FrameGeometry, canDecodeFrames, canEncodeFrames, isLossyEncoding } from "../codecs/frames.js";
import { encodeFrameOffThread } from "../codecs/transcode-pool.js";
import type { ByteReader } from "./byte-reader.js";
import { ImagingError } from "./errors.js";
import { nativeFrame, type StoredImage, storedFrameBytes } from "./stored-image.js";

/** Native frames always leave as explicit VR little endian pixels (PS3.18 8.7.3.3.2). */
export const NATIVE_SYNTAX = TransferSyntaxUid.ExplicitVRLittleEndian;

/** The syntax a stored frame is served in without any transcoding. */
export function servedAsStored(image: StoredImage): string {
  return image.encapsulated ? image.transferSyntaxUid : NATIVE_SYNTAX;
}

/** The geometry of the frame once decoded (colour from JPEG and JPEG 2000 comes back as RGB, interleaved). */
function decodedGeometry(image: StoredImage): FrameGeometry {
  const geometry: FrameGeometry = { ...image.pixels };
  if (image.encapsulated && geometry.samplesPerPixel === 3) {
    const jpegFamily = /^1\.2\.840\.10008\.1\.2\.4\.(5\d|7\d|9\d|20\d)$/.test(image.transferSyntaxUid);
    if (jpegFamily) geometry.photometricInterpretation = "RGB";
    geometry.planarConfiguration =
      image.transferSyntaxUid === TransferSyntaxUid.RLELossless ? geometry.planarConfiguration : 0;
  }
  return geometry;
}

/** Undefined when the frame can be produced in `target`, else why not. */
export function whyNotProducible(
  image: StoredImage,
  target: string,
  allowLossy: boolean,
): string | undefined {
  if (target === servedAsStored(image)) return undefined;
  if (image.encapsulated && !canDecodeFrames(image.transferSyntaxUid)) {
    return `frames stored in ${image.transferSyntaxUid} cannot be decoded`;
  }
  if (target === NATIVE_SYNTAX) return undefined;
  if (!lookupTransferSyntax(target)?.encapsulated) return `${target} is not a transfer syntax for frames`;
  if (isLossyEncoding(target) && !allowLossy) {
    return `${target} is lossy; it is produced only when asked for by its transfer-syntax parameter`;
  }
  const geometry = decodedGeometry(image);
  if (!canEncodeFrames(target, geometry, allowLossy)) {
    return (
      `${geometry.photometricInterpretation} frames of ${geometry.bitsAllocated}-bit ` +
      `(${geometry.bitsStored} stored, ${geometry.pixelRepresentation === 1 ? "signed" : "unsigned"}) ` +
      `samples cannot be encoded in ${target}`
    );
  }
  return undefined;
}

/** The frame (0-based) in `target`; check whyNotProducible first. */
export async function frameInSyntax(
  reader: ByteReader,
  image: StoredImage,
  frame: number,
  target: string,
  options: { quality?: number } = {},
): Promise<Buffer> {
  if (target === servedAsStored(image)) return storedFrameBytes(reader, image, frame);
  const native = await nativeFrame(reader, image, frame);
  if (target === NATIVE_SYNTAX) return native.pixels;
  try {
    return await encodeFrameOffThread(native.pixels, target, native.geometry, options);
  } catch (error) {
    throw new ImagingError("unsupported", (error as Error).message);
  }
}
