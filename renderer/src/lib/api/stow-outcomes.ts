/**
 * What a STOW-RS answer means for each file sent (pure; `stow.ts` sends). docs/conformance.md §5.
 *
 * The Store Instances Response names instances by SOP Instance UID, not by part, so each file's UID is read
 * from its file meta (0002,0003) before it is sent and the answer is matched back by UID; refusals that
 * carry no UID (a file that is not DICOM at all) are matched, in order, to the files the UIDs left over.
 */
/** Failure Reason (0008,1197) values Hilum answers, and what they mean to the person importing. */
export const FAILURE_REASONS: Readonly<Record<number, string>> = {
  0xa700: "Refused: out of resources (the archive is full)",
  0xa900: "Data set does not match its SOP class, or belongs to another study",
  0xc000: "Cannot understand: not a DICOM Part 10 file, or a data set that does not parse",
  0xc001: "Cannot understand: no SOP Instance, Study or Series UID",
  0xc002: "Cannot understand: the SOP Instance UID differs from the file meta",
  0xc003: "A different object is already stored under this SOP Instance UID",
  0xc122: "Transfer syntax not supported",
  0x0122: "SOP class not supported (not an image or other storage object)",
  0x0110: "Processing failure while storing",
};

/** Warning Reason (0008,1196) values. */
export const WARNING_REASONS: Readonly<Record<number, string>> = {
  0xb000: "Stored; the archive keeps the different object stored earlier under this UID",
};

export function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, "0");
}

/** What a Failure Reason means, by its exact value or, failing that, its class (PS3.18 Table I.2-2). */
export function failureMeaning(code: number): string {
  const known = FAILURE_REASONS[code];
  if (known) return known;
  if (code >= 0xa700 && code <= 0xa7ff) return "Refused: out of resources";
  if (code >= 0xa900 && code <= 0xa9ff) return "Data set does not match SOP class";
  if (code >= 0xc000 && code <= 0xcfff) return "Cannot understand";
  return "Refused";
}

// ---------------------------------------------------------------------------------------------------------
// The file's SOP Instance UID, from its Part 10 file meta.

const LONG_LENGTH = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

/** How much of a file to read for its file meta: far more than any real one needs. */
export const META_BYTES = 16 * 1024;

/**
 * MediaStorageSOPInstanceUID (0002,0003) from the first bytes of a Part 10 file (preamble, `DICM`, the
 * explicit VR little endian group 0002); undefined when the bytes are not such a file.
 */
export function sopInstanceUidFromMeta(bytes: Uint8Array): string | undefined {
  if (bytes.length < 132) return undefined;
  if (String.fromCharCode(bytes[128]!, bytes[129]!, bytes[130]!, bytes[131]!) !== "DICM") return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 132;
  while (pos + 8 <= bytes.length) {
    const group = view.getUint16(pos, true);
    const element = view.getUint16(pos + 2, true);
    if (group !== 0x0002) return undefined;
    const vr = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!);
    let length: number;
    let value: number;
    if (LONG_LENGTH.has(vr)) {
      if (pos + 12 > bytes.length) return undefined;
      length = view.getUint32(pos + 8, true);
      value = pos + 12;
    } else {
      length = view.getUint16(pos + 6, true);
      value = pos + 8;
    }
    if (value + length > bytes.length) return undefined;
    if (element === 0x0003) {
      const uid = String.fromCharCode(...bytes.subarray(value, value + length)).replace(/[\0 ]+$/, "");
      return /^[0-9.]{1,64}$/.test(uid) ? uid : undefined;
    }
    pos = value + length;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The Store Instances Response.

export interface StoredItem {
  sopInstanceUid: string | undefined;
  retrieveUrl: string | undefined;
  warning: number | undefined;
}

export interface FailedItem {
  sopInstanceUid: string | undefined;
  reason: number;
}

export interface StoreResponse {
  stored: StoredItem[];
  failed: FailedItem[];
}

type DicomJson = Record<string, { Value?: unknown[] } | undefined>;

function items(body: DicomJson, tag: string): DicomJson[] {
  const value = body[tag]?.Value;
  return Array.isArray(value)
    ? (value.filter((v) => v !== null && typeof v === "object") as DicomJson[])
    : [];
}

function firstValue(item: DicomJson, tag: string): unknown {
  return item[tag]?.Value?.[0];
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** FailedSOPSequence (0008,1198) and ReferencedSOPSequence (0008,1199) of a STOW-RS answer (DICOM JSON). */
export function parseStoreResponse(json: unknown): StoreResponse {
  const body = (json !== null && typeof json === "object" ? json : {}) as DicomJson;
  return {
    stored: items(body, "00081199").map((item) => ({
      sopInstanceUid: str(firstValue(item, "00081155")),
      retrieveUrl: str(firstValue(item, "00081190")),
      warning:
        typeof firstValue(item, "00081196") === "number"
          ? (firstValue(item, "00081196") as number)
          : undefined,
    })),
    failed: items(body, "00081198").map((item) => {
      const reason = firstValue(item, "00081197");
      return {
        sopInstanceUid: str(firstValue(item, "00081155")),
        reason: typeof reason === "number" ? reason : 0x0110,
      };
    }),
  };
}

export type FileOutcome =
  | { kind: "stored"; sopInstanceUid?: string; warning?: number; message: string }
  | { kind: "refused"; sopInstanceUid?: string; reason?: number; message: string };

/**
 * Each file's outcome, in the order of `uids` (the files' SOP Instance UIDs as read before sending): first by
 * UID, then the answers without a (matching) UID in order — refusals to the files with no UID first, stored
 * instances to the files with one first. A file the answer does not account for is reported as such.
 */
export function matchOutcomes(
  uids: ReadonlyArray<string | undefined>,
  response: StoreResponse,
): FileOutcome[] {
  const storedByUid = new Map<string, StoredItem[]>();
  const failedByUid = new Map<string, FailedItem[]>();
  const push = <T>(map: Map<string, T[]>, key: string, item: T) =>
    map.set(key, [...(map.get(key) ?? []), item]);
  for (const item of response.stored) if (item.sopInstanceUid) push(storedByUid, item.sopInstanceUid, item);
  for (const item of response.failed) if (item.sopInstanceUid) push(failedByUid, item.sopInstanceUid, item);
  const usedStored = new Set<StoredItem>();
  const usedFailed = new Set<FailedItem>();
  const outcomes: Array<FileOutcome | undefined> = uids.map((uid) => {
    if (uid === undefined) return undefined;
    const stored = storedByUid.get(uid)?.find((item) => !usedStored.has(item));
    if (stored) {
      usedStored.add(stored);
      return storedOutcome(stored);
    }
    const failed = failedByUid.get(uid)?.find((item) => !usedFailed.has(item));
    if (failed) {
      usedFailed.add(failed);
      return failedOutcome(failed);
    }
    return undefined;
  });
  const leftStored = response.stored.filter((item) => !usedStored.has(item));
  const leftFailed = response.failed.filter((item) => !usedFailed.has(item));
  const takeFailed = () => {
    const item = leftFailed.shift();
    return item && failedOutcome(item);
  };
  const takeStored = () => {
    const item = leftStored.shift();
    return item && storedOutcome(item);
  };
  // Left-over answers in order: refusals to files without a UID (not DICOM, so surely refused), stored
  // instances to files whose UID went unanswered; then whatever remains to whichever file remains.
  outcomes.forEach((outcome, index) => {
    if (outcome === undefined) outcomes[index] = uids[index] === undefined ? takeFailed() : takeStored();
  });
  outcomes.forEach((outcome, index) => {
    if (outcome === undefined) outcomes[index] = takeFailed() ?? takeStored();
  });
  return outcomes.map(
    (outcome) => outcome ?? { kind: "refused", message: "The server's answer does not mention this file" },
  );
}

function storedOutcome(item: StoredItem): FileOutcome {
  return {
    kind: "stored",
    sopInstanceUid: item.sopInstanceUid,
    warning: item.warning,
    message:
      item.warning === undefined
        ? "Stored"
        : `${WARNING_REASONS[item.warning] ?? "Stored with a warning"} (${hex4(item.warning)})`,
  };
}

function failedOutcome(item: FailedItem): FileOutcome {
  return {
    kind: "refused",
    sopInstanceUid: item.sopInstanceUid,
    reason: item.reason,
    message: `${failureMeaning(item.reason)} (${hex4(item.reason)})`,
  };
}
