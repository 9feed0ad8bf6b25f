/** Reading back what Hilum archived, to compare it with what was sent. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { HilumNode } from "../../electron/pacs/node.js";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";

export const PYDICOM_TEST_FILES = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

/** The dataset of a Part 10 file: everything after its file meta information. */
export function datasetOf(bytes: Buffer): Buffer {
  return bytes.subarray(readPart10Header(bytes).datasetOffset);
}

export function fileDataset(path: string): Buffer {
  return datasetOf(readFileSync(path));
}

export interface Archived {
  bytes: Buffer;
  dataset: Buffer;
  transferSyntaxUid: string;
  sha256: string;
}

/** The archived object of an instance, checked against the checksum and key the index holds for it. */
export async function archived(node: HilumNode, sopInstanceUid: string): Promise<Archived> {
  const row = node.index.findInstance(sopInstanceUid);
  if (!row) throw new Error(`instance ${sopInstanceUid} is not in the index`);
  const bytes = await node.store.read(row.storageKey);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== row.sha256 || sha256 !== row.storageKey) {
    throw new Error(`archived object of ${sopInstanceUid} does not match its checksum`);
  }
  const header = readPart10Header(bytes);
  return {
    bytes,
    dataset: bytes.subarray(header.datasetOffset),
    transferSyntaxUid: header.transferSyntaxUid,
    sha256,
  };
}
