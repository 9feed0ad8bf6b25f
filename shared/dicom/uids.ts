/** Registered DICOM UIDs (PS3.6 Annex A). Data is in uid-data.ts (generated). */
import { UID_TEXT } from "./uid-data.js";

export interface UidInfo {
  readonly uid: string;
  /** PS3.6's UID type, e.g. "SOP Class", "Transfer Syntax", "Well-known frame of reference". */
  readonly type: string;
  readonly name: string;
  readonly retired: boolean;
  /** A SOP Class of the Storage Service Class (retired ones included). */
  readonly storage: boolean;
}

function parse(): Map<string, UidInfo> {
  const byUid = new Map<string, UidInfo>();
  for (const line of UID_TEXT.trim().split("\n")) {
    const [uid = "", type = "", flags = "", name = ""] = line.split("\t");
    byUid.set(
      uid,
      Object.freeze({ uid, type, name, retired: flags.includes("R"), storage: flags.includes("S") }),
    );
  }
  return byUid;
}

const UIDS: ReadonlyMap<string, UidInfo> = parse();

/** Every Storage SOP Class: composite instances a C-STORE SCP may be asked to keep. */
export const STORAGE_SOP_CLASSES: ReadonlySet<string> = new Set(
  [...UIDS.values()].filter((info) => info.storage).map((info) => info.uid),
);

export function uidInfo(uid: string): UidInfo | undefined {
  return UIDS.get(uid);
}

/** "CT Image Storage" for "1.2.840.10008.5.1.4.1.1.2"; undefined for UIDs PS3.6 does not define. */
export function uidName(uid: string): string | undefined {
  return UIDS.get(uid)?.name;
}
