/**
 * Which transfer syntax and which packaging (multipart/related or one part) a frames or pixel bulk data
 * request gets, from its Accept header (PS3.18 §8.7.3.3 and Table 8.7.3-5). Each media type carries the
 * syntaxes it may hold; without a transfer-syntax parameter a compressed type takes the stored syntax if it
 * is one of its own, else its lossless default, so nothing is made lossy unless the client names the lossy
 * syntax. `transfer-syntax=*` asks for the frames as stored.
 */
import { lookupTransferSyntax, TransferSyntaxUid } from "../../../../shared/dicom/transfer-syntax.js";
import { NATIVE_SYNTAX, servedAsStored, whyNotProducible } from "../../imaging/frame-syntax.js";
import type { StoredImage } from "../../imaging/stored-image.js";
import { HttpProblem } from "../problem.js";
import { parseAccept } from "./multipart.js";

const OCTET_STREAM = "application/octet-stream";

interface MediaTypeSpec {
  /** Syntaxes this media type may carry. */
  syntaxes: readonly string[];
  /** Without a transfer-syntax parameter, when the stored syntax is not one of `syntaxes`. */
  default: string;
}

const TS = TransferSyntaxUid;

/** PS3.18 Table 8.7.3-5, the types Hilum can produce (JPEG 51/57 only as stored: there is no encoder). */
const MEDIA_TYPES: Readonly<Record<string, MediaTypeSpec>> = {
  [OCTET_STREAM]: { syntaxes: [NATIVE_SYNTAX], default: NATIVE_SYNTAX },
  "image/jpeg": {
    syntaxes: [TS.JPEGBaseline8Bit, TS.JPEGExtended12Bit, TS.JPEGLossless, TS.JPEGLosslessSV1],
    default: TS.JPEGLosslessSV1,
  },
  "image/jls": { syntaxes: [TS.JPEGLSLossless, TS.JPEGLSNearLossless], default: TS.JPEGLSLossless },
  "image/jp2": { syntaxes: [TS.JPEG2000Lossless, TS.JPEG2000], default: TS.JPEG2000Lossless },
  "image/jphc": { syntaxes: [TS.HTJ2KLossless, TS.HTJ2KLosslessRPCL, TS.HTJ2K], default: TS.HTJ2KLossless },
  "image/dicom-rle": { syntaxes: [TS.RLELossless], default: TS.RLELossless },
};

/** The media type a frame in this transfer syntax is sent as. */
export function mediaTypeOf(syntax: string): string | undefined {
  if (syntax === NATIVE_SYNTAX) return OCTET_STREAM;
  return Object.entries(MEDIA_TYPES).find(([, spec]) => spec.syntaxes.includes(syntax))?.[0];
}

export interface FrameRepresentation {
  multipart: boolean;
  mediaType: string;
  transferSyntaxUid: string;
}

interface Candidate {
  multipart: boolean;
  mediaType: string;
  /** undefined: no parameter; "*": as stored. */
  syntax?: string;
}

/**
 * Which single-part media types are acceptable: any (one frame), only application/octet-stream (the whole
 * Pixel Data of several frames is one value), or none.
 */
export type SinglePart = "any" | "octet-stream" | "none";

/** The Accept header's ranges that concern frames, best first. */
function candidates(accept: string | string[] | undefined, single: SinglePart): Candidate[] {
  const out: Candidate[] = [];
  for (const range of parseAccept(accept)) {
    const syntax = range.params.get("transfer-syntax")?.trim() || undefined;
    if (range.mediaType === "*/*" || range.mediaType === "multipart/*") {
      out.push({ multipart: true, mediaType: OCTET_STREAM, syntax });
    } else if (range.mediaType === "multipart/related") {
      const type = (range.params.get("type") ?? OCTET_STREAM).trim().toLowerCase();
      if (type === "*/*" || type === "image/*") {
        // Any type: as stored (or the default native pixels when no syntax is named).
        out.push({ multipart: true, mediaType: type, syntax: syntax ?? "*" });
      } else out.push({ multipart: true, mediaType: type, syntax });
    } else if (single === "any") {
      if (range.mediaType === "image/*")
        out.push({ multipart: false, mediaType: "image/*", syntax: syntax ?? "*" });
      else out.push({ multipart: false, mediaType: range.mediaType, syntax });
    } else if (
      single === "octet-stream" &&
      (range.mediaType === OCTET_STREAM || range.mediaType === "application/*")
    ) {
      out.push({ multipart: false, mediaType: OCTET_STREAM, syntax });
    }
  }
  return out;
}

/** The target syntax a candidate names for this image, or why it names none. */
function targetOf(
  candidate: Candidate,
  image: StoredImage,
): { syntax: string; lossyAsked: boolean } | string {
  const stored = servedAsStored(image);
  const storedType = mediaTypeOf(stored);
  if (candidate.mediaType === "*/*" || candidate.mediaType === "image/*") {
    if (candidate.syntax !== "*") return `${candidate.mediaType} needs transfer-syntax=*`;
    if (!storedType) return `frames stored in ${stored} have no media type`;
    if (candidate.mediaType === "image/*" && !storedType.startsWith("image/"))
      return `frames are stored uncompressed`;
    return { syntax: stored, lossyAsked: false };
  }
  const spec = MEDIA_TYPES[candidate.mediaType];
  if (!spec) return `${candidate.mediaType} is not a media type for frames`;
  if (candidate.syntax === "*") {
    // As stored, whatever the type named (cornerstone asks octet-stream with transfer-syntax=* for exactly this).
    return storedType
      ? { syntax: stored, lossyAsked: false }
      : `frames stored in ${stored} have no media type`;
  }
  if (candidate.syntax !== undefined) {
    if (!spec.syntaxes.includes(candidate.syntax)) {
      return `${candidate.mediaType} cannot carry transfer syntax ${candidate.syntax}`;
    }
    return { syntax: candidate.syntax, lossyAsked: lookupTransferSyntax(candidate.syntax)?.lossy === true };
  }
  return { syntax: spec.syntaxes.includes(stored) ? stored : spec.default, lossyAsked: false };
}

/**
 * The representation of frames the client gets: the first acceptable range the image can be produced in.
 * 406 (naming what was refused and why) when there is none.
 */
export function negotiateFrames(
  accept: string | string[] | undefined,
  image: StoredImage,
  single: SinglePart,
): FrameRepresentation {
  const reasons: string[] = [];
  for (const candidate of candidates(accept, single)) {
    const target = targetOf(candidate, image);
    if (typeof target === "string") {
      reasons.push(target);
      continue;
    }
    const why = whyNotProducible(image, target.syntax, target.lossyAsked);
    if (why) {
      reasons.push(why);
      continue;
    }
    return {
      multipart: candidate.multipart,
      mediaType: mediaTypeOf(target.syntax)!,
      transferSyntaxUid: target.syntax,
    };
  }
  const offered =
    'multipart/related; type="application/octet-stream" (or image/jls, image/jp2, image/jphc, image/jpeg, ' +
    "image/dicom-rle)" +
    (single === "any"
      ? ", or one of these as a single part"
      : single === "octet-stream"
        ? ", or application/octet-stream"
        : "");
  throw new HttpProblem(
    406,
    "Not Acceptable",
    `no acceptable representation of these frames: ${reasons.length ? reasons.join("; ") : "nothing asked for applies to frames"}. Offered: ${offered}`,
  );
}
