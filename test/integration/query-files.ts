/**
 * C-FIND identifiers as files, for what findscu's -k cannot send: text in a character set other than
 * UTF-8 (a command line carries UTF-8 only), and several queries on one association. The file is
 * written by DCMTK's dump2dcm from a text dump encoded in the identifier's own character set.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import iconv from "iconv-lite";
import * as tags from "../../shared/dicom/tags.js";
import { dcmdump } from "../support/dcmdump.js";
import type {
  DicomTarget,
  FindResult,
  QueryKeys,
  QueryLevel,
  QueryModel,
  ScuOptions,
} from "../support/peers.js";
import { run } from "../support/process.js";

/** Specific Character Sets a query file can be written in; "" is the default repertoire. */
export type QueryCharset = "" | "ISO_IR 100" | "ISO_IR 144" | "ISO_IR 192";

const ENCODING: Record<QueryCharset, string> = {
  "": "ascii",
  "ISO_IR 100": "latin1",
  "ISO_IR 144": "iso88595",
  "ISO_IR 192": "utf8",
};

const MODEL_FLAG: Record<Exclude<QueryModel, "worklist" | "psonly">, string> = { patient: "-P", study: "-S" };

function dumpTag(keyword: string): string {
  const tag = (tags as Record<string, number>)[keyword];
  if (tag === undefined) throw new Error(`no tag for keyword ${keyword}`);
  const hex = tag.toString(16).padStart(8, "0");
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

export interface QueryFile {
  /** Sent as QueryRetrieveLevel. */
  level: QueryLevel;
  /** Keyword → value, "" for a zero-length (return) key. */
  keys: QueryKeys;
  charset?: QueryCharset;
}

/** Writes the identifier as a DICOM file at `path`; its text values are encoded in its character set. */
export async function writeQueryFile(path: string, query: QueryFile): Promise<string> {
  const charset = query.charset ?? "";
  const elements: QueryKeys = {
    ...(charset === "" ? {} : { SpecificCharacterSet: charset }),
    QueryRetrieveLevel: query.level,
    ...query.keys,
  };
  const lines = Object.entries(elements).map(([keyword, value]) =>
    value === "" ? dumpTag(keyword) : `${dumpTag(keyword)} [${value}]`,
  );
  const dumpFile = `${path}.txt`;
  writeFileSync(dumpFile, iconv.encode(`${lines.join("\n")}\n`, ENCODING[charset]));
  const result = await run("dump2dcm", ["+te", dumpFile, path]);
  if (result.code !== 0 || result.stderr.includes("E: ")) {
    throw new Error(`dump2dcm ${dumpFile} failed (${result.code}): ${result.stderr}`);
  }
  return path;
}

export interface FileFindResult extends FindResult {
  /** The Specific Character Set each response declared, as sent ("" when it has none). */
  characterSets: string[];
}

/** The Specific Character Set of each file as stored ("" when none), not as dcmdump +U8 rewrites it. */
async function declaredCharsets(files: readonly string[], cwd: string): Promise<string[]> {
  if (files.length === 0) return [];
  const result = await run("dcmdump", ["-q", "+F", "+P", "0008,0005", ...files], { cwd });
  const perFile = result.stdout.split(/^# dcmdump \(\d+\/\d+\): .*$/m).slice(1);
  return perFile.map((text) => /\[(.*)\]/.exec(text)?.[1] ?? "");
}

/**
 * C-FIND with findscu sending each query file in turn on one association. Responses are extracted (-X)
 * and read back converted to UTF-8, those of all queries in the order received.
 */
export async function findscuWithFiles(
  target: DicomTarget,
  model: keyof typeof MODEL_FLAG,
  files: readonly string[],
  opts: ScuOptions = {},
): Promise<FileFindResult> {
  const outDir = mkdtempSync(join(tmpdir(), "hilum-findscu-"));
  try {
    const args = [
      "-aet",
      opts.callingAe ?? "FINDSCU",
      "-aec",
      target.aeTitle,
      ...(opts.extraArgs ?? []),
      MODEL_FLAG[model],
      "-X",
      "-od",
      outDir,
      target.host,
      String(target.port),
      ...files,
    ];
    const result = await run("findscu", args, { timeoutMs: opts.timeoutMs });
    const responseFiles = readdirSync(outDir)
      .filter((name) => /^rsp\d+\.dcm$/.test(name))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const responses = await dcmdump(responseFiles, { cwd: outDir });
    return { ...result, responses, characterSets: await declaredCharsets(responseFiles, outDir) };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
