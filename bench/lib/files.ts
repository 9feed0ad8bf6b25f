/**
 * Input folders for the senders: fixture folders also hold a manifest.json, and thousands of paths do not
 * fit on a command line, so each load is a temp folder holding only DICOM files (hard links, or copies
 * across file systems).
 */
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

export interface Load {
  /** A folder holding only the DICOM files to send. */
  folder: string;
  files: number;
  /** Sum over the files of the dataset (everything after the Part 10 preamble and meta header). */
  datasetBytes: number;
  /** Sum of the file sizes. */
  fileBytes: number;
  remove(): void;
}

/** `copies` links to each file (`c1-slice-0001.dcm`, `c2-slice-0001.dcm`…) in a new temp folder. */
export function loadFolder(files: readonly string[], label: string, copies = 1): Load {
  const folder = mkdtempSync(join(tmpdir(), `hilum-bench-${label}-`));
  let datasetBytes = 0;
  let fileBytes = 0;
  try {
    for (let copy = 1; copy <= copies; copy++) {
      for (const file of files) {
        linkOrCopy(file, join(folder, `c${copy}-${basename(file)}`));
        const bytes = readFileSync(file); // also warms the page cache for the first measured run
        fileBytes += bytes.length;
        datasetBytes += bytes.length - datasetOffset(bytes);
      }
    }
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    folder,
    files: files.length * copies,
    datasetBytes,
    fileBytes,
    remove: () => rmSync(folder, { recursive: true, force: true }),
  };
}

function linkOrCopy(file: string, link: string): void {
  try {
    linkSync(file, link);
  } catch {
    copyFileSync(file, link);
  }
}

export interface SplitLoad extends Load {
  /** Subfolders of `folder`, one per sender, holding the load's files between them. */
  parts: string[];
}

/** The files of `load` dealt round-robin (in name order) into `count` subfolders of a new temp folder. */
export function splitLoad(load: Load, count: number, label: string): SplitLoad {
  const folder = mkdtempSync(join(tmpdir(), `hilum-bench-${label}-`));
  const parts = Array.from({ length: count }, (_, i) => join(folder, `part-${i + 1}`));
  try {
    for (const part of parts) mkdirSync(part);
    readdirSync(load.folder)
      .sort()
      .forEach((name, i) => linkOrCopy(join(load.folder, name), join(parts[i % count]!, name)));
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  return { ...load, folder, parts, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

/** VRs whose explicit-VR header has a 4-byte length (after 2 reserved bytes). */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

/** Where the dataset starts in a Part 10 file: after the 128-byte preamble, "DICM" and the group 0002 meta. */
export function datasetOffset(file: Buffer): number {
  if (file.toString("latin1", 128, 132) !== "DICM") return 0;
  let offset = 132;
  while (offset + 8 <= file.length && file.readUInt16LE(offset) === 0x0002) {
    const vr = file.toString("latin1", offset + 4, offset + 6);
    offset += LONG_VRS.has(vr) ? 12 + file.readUInt32LE(offset + 8) : 8 + file.readUInt16LE(offset + 6);
  }
  return offset;
}
