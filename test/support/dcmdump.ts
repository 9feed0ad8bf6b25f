import { run } from "./process.js";

/**
 * One dataset as DCMTK prints it: keyword (or "gggg,eeee" when DCMTK has no name for the tag) → the value
 * text without brackets, multiple values joined by "\". Elements inside sequences are keyed by path, e.g.
 * "ScheduledProcedureStepSequence[0].Modality"; a sequence itself maps to "". Empty values map to "".
 */
export type DumpedDataset = Record<string, string>;

// "(0010,0010) PN [Doe^John]        #   8, 1 PatientName"
const ELEMENT_LINE = /^( *)\(([0-9a-f]{4}),([0-9a-f]{4})\) (\S\S) (.*?)\s+#\s*(?:\d+|u\/l),\s*\d+\s+(.+)$/;
const FILE_HEADER = /^# dcmdump \(\d+\/\d+\): /;
const NO_NAME = new Set(["Unknown Tag & Data", "PrivateCreator"]);

interface OpenSequence {
  depth: number;
  name: string;
  item: number;
}

function valueText(raw: string): string {
  if (raw.startsWith("[") && raw.endsWith("]")) return raw.slice(1, -1);
  if (raw.startsWith("(") && raw.endsWith(")")) return ""; // "(no value available)", "(not loaded)"
  return raw;
}

/** Parses the output of `dcmdump +L -Un` for one dataset; file meta (group 0002) only with `meta`. */
export function parseDcmdumpDataset(text: string, meta = false): DumpedDataset {
  const dataset: DumpedDataset = {};
  const open: OpenSequence[] = [];
  for (const line of text.split("\n")) {
    const match = ELEMENT_LINE.exec(line);
    if (match === null) continue;
    const [, indent = "", group = "", element = "", vr = "", raw = "", keyword = ""] = match;
    const depth = indent.length / 2;
    while (open.length > 0 && (open.at(-1)?.depth ?? 0) >= depth) open.pop();
    if (group === "fffe") {
      const parent = open.at(-1);
      if (element === "e000" && parent !== undefined) parent.item += 1;
      continue;
    }
    if (group === "0002" && !meta) continue;
    const name = NO_NAME.has(keyword) ? `${group},${element}` : keyword;
    const path = [...open.map((s) => `${s.name}[${s.item}]`), name].join(".");
    if (vr === "SQ") {
      dataset[path] = "";
      open.push({ depth, name, item: -1 });
      continue;
    }
    dataset[path] = valueText(raw);
  }
  return dataset;
}

/** Splits `dcmdump +F` output of several files into one text per file, in order. */
function splitFiles(text: string): string[] {
  const parts: string[] = [];
  for (const line of text.split("\n")) {
    if (FILE_HEADER.test(line)) parts.push("");
    else if (parts.length > 0) parts[parts.length - 1] += `${line}\n`;
  }
  return parts;
}

const BASE_ARGS = ["+F", "+L", "-M", "-Un"];

export interface DcmdumpOptions {
  /** Folder the file names are relative to. */
  cwd?: string;
  /** Include the file meta information (TransferSyntaxUID…); default false. */
  meta?: boolean;
}

/**
 * Dumps files with DCMTK's dcmdump (long values not loaded), values converted to UTF-8 from their Specific
 * Character Set, in one process for all files. A file dcmdump cannot convert (non-ASCII text without a
 * character set) is dumped again as stored. Throws when dcmdump cannot read a file at all.
 */
export async function dcmdump(files: readonly string[], opts: DcmdumpOptions = {}): Promise<DumpedDataset[]> {
  if (files.length === 0) return [];
  const converted = await run("dcmdump", [...BASE_ARGS, "+U8", ...files], { cwd: opts.cwd });
  const texts = splitFiles(converted.stdout);
  const datasets: DumpedDataset[] = [];
  for (const [index, file] of files.entries()) {
    const text = texts[index] ?? "";
    const complete = text.includes("# Dicom-Data-Set");
    datasets.push(complete ? parseDcmdumpDataset(text, opts.meta) : await dumpAsStored(file, opts));
  }
  return datasets;
}

async function dumpAsStored(file: string, opts: DcmdumpOptions): Promise<DumpedDataset> {
  const result = await run("dcmdump", [...BASE_ARGS, file], { cwd: opts.cwd });
  if (result.code !== 0) throw new Error(`dcmdump ${file} failed (${result.code}): ${result.stderr}`);
  return parseDcmdumpDataset(result.stdout, opts.meta);
}
