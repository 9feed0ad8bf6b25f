import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export const PYDICOM_DATA = "/usr/lib/python3/dist-packages/pydicom/data";
export const TEST_FILES = join(PYDICOM_DATA, "test_files");
export const CHARSET_FILES = join(PYDICOM_DATA, "charset_files");

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

/** Every pydicom test file the codec must handle: test_files/*.dcm and all of dicomdirtests/. */
export function pydicomTestFiles(): string[] {
  const dcm = readdirSync(TEST_FILES)
    .filter((name) => name.endsWith(".dcm"))
    .sort()
    .map((name) => join(TEST_FILES, name));
  return [...dcm, ...walk(join(TEST_FILES, "dicomdirtests"))];
}

/** What pydicom 2.3.1 reads from a file; ok=false when dcmread (without force) raises. */
export interface PydicomTruth {
  ok: boolean;
  error?: string;
  elementCount?: number;
  /** Items of every sequence, nested ones included. */
  itemCount?: number;
  text: Record<string, string | null>;
  rows?: number | null;
  /** Lengths of the encapsulated pixel data fragments (compressed transfer syntaxes only). */
  fragments?: number[] | null;
  /** What dcmread(force=True) reads when the plain read fails. */
  forced?: PydicomTruth;
}

const TRUTH_SCRIPT = `
import json, sys, warnings
warnings.simplefilter("ignore")
import pydicom
from pydicom.encaps import generate_pixel_data_fragment, get_frame_offsets
from pydicom.filebase import DicomBytesIO

def items(ds):
    n = 0
    for el in ds:
        if el.VR == "SQ":
            n += len(el.value)
            for item in el.value:
                n += items(item)
    return n

def text(value):
    return None if value is None else str(value)

def fragments(ds):
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax is None or not syntax.is_compressed or "PixelData" not in ds:
        return None
    fp = DicomBytesIO(ds.PixelData)
    fp.is_little_endian = True
    get_frame_offsets(fp)
    return [len(f) for f in generate_pixel_data_fragment(fp)]

def read(path, force):
    ds = pydicom.dcmread(path, force=force)
    return {
        "ok": True,
        "fragments": fragments(ds),
        "elementCount": len(ds),
        "itemCount": items(ds),
        "rows": ds.get("Rows"),
        "text": {k: text(ds.get(k)) for k in KEYWORDS},
    }

KEYWORDS = ["PatientName", "PatientID", "StudyInstanceUID", "SOPInstanceUID", "SOPClassUID", "Modality"]
out = {}
for path in json.loads(sys.stdin.read()):
    try:
        out[path] = read(path, False)
    except Exception as error:
        out[path] = {"ok": False, "error": type(error).__name__ + ": " + str(error), "text": {}}
        try:
            out[path]["forced"] = read(path, True)
        except Exception:
            pass
print(json.dumps(out))
`;

/** Ask pydicom (Debian's /usr/bin/python3) about many files in one run. */
export function pydicomTruth(paths: string[]): Map<string, PydicomTruth> {
  const json = execFileSync("/usr/bin/python3", ["-c", TRUTH_SCRIPT], {
    input: JSON.stringify(paths),
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Map(Object.entries(JSON.parse(json.toString("utf8")) as Record<string, PydicomTruth>));
}

/** A small deterministic PRNG (mulberry32) for reproducible fuzzing. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
