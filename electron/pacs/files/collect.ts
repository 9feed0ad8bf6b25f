import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import * as tags from "../../../shared/dicom/tags.js";
import { parseDataset } from "../dicom/dataset.js";
import { readPart10Header } from "../dicom/part10.js";

/**
 * The files to import or send, from files, folders (walked recursively) and DICOMDIR files (their
 * referenced files, resolved against the DICOMDIR's folder as on a CD).
 */
export async function collectFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (info.isDirectory()) await walk(path, out);
    else if (basename(path).toUpperCase() === "DICOMDIR") out.push(...dicomdirFiles(path));
    else out.push(path);
  }
  return [...new Set(out)];
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile() && entry.name.toUpperCase() !== "DICOMDIR") out.push(path);
  }
}

/** Referenced File IDs (0004,1500) of every directory record: path components under the DICOMDIR's folder. */
export function dicomdirFiles(path: string): string[] {
  const bytes = readFileSync(path);
  const header = readPart10Header(bytes);
  const dataset = parseDataset(bytes.subarray(header.datasetOffset), {
    transferSyntaxUid: header.transferSyntaxUid,
  });
  const root = dirname(path);
  const files: string[] = [];
  for (const record of dataset.items(tags.DirectoryRecordSequence)) {
    const components = record.strings(tags.ReferencedFileID);
    if (components.length === 0) continue;
    files.push(join(root, ...components.filter((c) => c !== ".." && c !== ".")));
  }
  return files;
}
