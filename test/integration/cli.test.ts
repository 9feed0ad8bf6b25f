import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { PYDICOM_TEST_FILES } from "../support/archive.js";
import { dcmdump } from "../support/dcmdump.js";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { CLI_BUNDLE, REPO_ROOT, type TestNode, startTestNode } from "../support/hilum.js";
import { type DicomTarget, type StorescpPeer, startStorescp } from "../support/peers.js";
import { freePort } from "../support/ports.js";
import { type RunResult, run } from "../support/process.js";
import { SCU_SERIES, sendFiles } from "./scu-support.js";

/** `npm run hilum -- …`, as the script runs it. */
function hilum(...args: string[]): Promise<RunResult> {
  return run(process.execPath, [CLI_BUNDLE, ...args], {
    cwd: REPO_ROOT,
    timeoutMs: 120_000,
  });
}

const address = (target: DicomTarget) => `${target.aeTitle}@${target.host}:${target.port}`;

/** What pydicom (force=True, so files without meta too) reads as each file's SOP Instance UID, in order. */
async function pydicomUids(paths: readonly string[]): Promise<Map<string, string>> {
  const script = [
    "import json, sys, warnings",
    "warnings.simplefilter('ignore')",
    "import pydicom",
    "print(json.dumps({p: str(pydicom.dcmread(p, force=True).SOPInstanceUID) for p in sys.argv[1:]}))",
  ].join("\n");
  const result = await run("/usr/bin/python3", ["-c", script, ...paths]);
  if (result.code !== 0) throw new Error(result.stderr);
  return new Map(Object.entries(JSON.parse(result.stdout) as Record<string, string>));
}

async function receivedUids(storescp: StorescpPeer): Promise<string[]> {
  return (await dcmdump(storescp.files())).map((dataset) => dataset.SOPInstanceUID ?? "").sort();
}

async function withStorescp<T>(use: (storescp: StorescpPeer) => Promise<T>): Promise<T> {
  const storescp = await startStorescp();
  try {
    return await use(storescp);
  } finally {
    await storescp.stop();
  }
}

describe("hilum echo", () => {
  let node: TestNode;
  let storescp: StorescpPeer;

  beforeAll(async () => {
    node = await startTestNode();
    storescp = await startStorescp();
  });
  afterAll(async () => {
    await storescp?.stop();
    await node?.close();
  });

  it("gets Success from a Hilum node and from DCMTK storescp", async () => {
    for (const target of [node.target, storescp]) {
      const result = await hilum("echo", address(target));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(`C-ECHO ${address(target)}: Success in `);
    }
  });

  it("fails with exit 1 and says why when nothing listens", async () => {
    const port = await freePort();
    const result = await hilum("echo", `NOBODY@127.0.0.1:${port}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot connect to NOBODY at 127.0.0.1:${port}: connect ECONNREFUSED`);
  });
});

describe("hilum send", () => {
  it("sends a folder recursively and sums it up", async () => {
    const series = await cachedCtSeries(SCU_SERIES);
    const folder = mkdtempSync(join(inject("scratchRoot"), "send-folder-"));
    for (const [i, file] of series.files.slice(0, 8).entries()) {
      const dir = join(folder, ...Array.from({ length: i % 4 }, (_, depth) => `level-${depth}`));
      mkdirSync(dir, { recursive: true });
      copyFileSync(file, join(dir, `slice-${i}`));
    }
    await withStorescp(async (storescp) => {
      const result = await hilum("send", folder, "--to", address(storescp));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Sent 8 of 8 files to STORESCP in [\d.]+ s \(\d+ images\/s\)$/m);
      expect(await receivedUids(storescp)).toEqual(series.sopInstanceUids.slice(0, 8).sort());
    });
  });

  it("sends the files a DICOMDIR references, resolved against its folder", async () => {
    const dicomdir = join(PYDICOM_TEST_FILES, "dicomdirtests/DICOMDIR");
    const [records = {}] = await dcmdump([dicomdir]);
    const files = Object.entries(records)
      .filter(([key]) => key.endsWith(".ReferencedFileID"))
      .map(([, value]) => join(PYDICOM_TEST_FILES, "dicomdirtests", ...value.split("\\")));
    expect(files).toHaveLength(31);
    const expected = [...(await pydicomUids(files)).values()].sort();
    await withStorescp(async (storescp) => {
      const result = await hilum("send", dicomdir, "--to", address(storescp));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Sent 31 of 31 files to STORESCP in /m);
      expect(await receivedUids(storescp)).toEqual(expected);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// import: every file of pydicom's test_files (the folder itself, not recursive) and its dicomdirtests folder

const REFUSED = "refused: ";
type Expected = "stored" | "skipped" | `${typeof REFUSED}${string}`;

const NOT_DICOM: Expected = "refused: not DICOM or unreadable: not a DICOM file";
const TRUNCATED: Expected = "refused: Error: cannot understand: dataset cannot be parsed";
const NO_SOP_INSTANCE_UID: Expected = "refused: Error: cannot understand (no SOP Instance UID)";

/**
 * What each file is (pydicom 2.3.1 decides: dcmread, and with force=True where that fails) and so what
 * import must do with it. A key ending in "/" stands for every file below that folder. The files without
 * a SOP Instance UID are pydicom's fragments (a few elements each) and DICOMDIRs, which are no instances.
 */
const EXPECTED: Record<string, Expected> = {
  "693_J2KI.dcm": "stored",
  "CT_small.dcm": "stored",
  "ExplVR_BigEnd.dcm": "stored",
  // No file meta: a bare dataset, whose encoding Hilum finds by looking (pydicom only with force=True).
  "ExplVR_BigEndNoMeta.dcm": "stored",
  "ExplVR_LitEndNoMeta.dcm": "stored",
  "GDCMJ2K_TextGBR.dcm": "stored",
  "J2K_pixelrep_mismatch.dcm": "stored",
  "JPEG-lossy.dcm": "stored",
  "JPEG2000-embedded-sequence-delimiter.dcm": "stored",
  "JPEG2000.dcm": "stored",
  "JPGExtended.dcm": "stored",
  "MR_small.dcm": "stored",
  "MR_small_RLE.dcm": "stored",
  "MR_small_bigendian.dcm": "stored",
  "MR_small_expb.dcm": "stored",
  "MR_small_implicit.dcm": "stored",
  "MR_small_jp2klossless.dcm": "stored",
  "MR_small_jpeg_ls_lossless.dcm": "stored",
  "MR_small_padded.dcm": "stored",
  "MR_truncated.dcm": TRUNCATED,
  "README.txt": NOT_DICOM,
  "SC_jpeg_no_color_transform.dcm": "stored",
  "SC_jpeg_no_color_transform_2.dcm": "stored",
  "SC_rgb_dcmtk_+eb+cr.dcm": "stored",
  "SC_rgb_dcmtk_+eb+cy+n1.dcm": "stored",
  "SC_rgb_dcmtk_+eb+cy+n2.dcm": "stored",
  "SC_rgb_dcmtk_+eb+cy+np.dcm": "stored",
  "SC_rgb_dcmtk_+eb+cy+s2.dcm": "stored",
  "SC_rgb_dcmtk_+eb+cy+s4.dcm": "stored",
  "SC_rgb_gdcm_KY.dcm": "stored",
  "SC_rgb_jpeg.dcm": "stored",
  "SC_rgb_jpeg_app14_dcmd.dcm": "stored",
  "SC_rgb_jpeg_dcmd.dcm": "stored",
  "SC_rgb_jpeg_dcmtk.dcm": "stored",
  "SC_rgb_jpeg_gdcm.dcm": "stored",
  "SC_rgb_jpeg_lossy_gdcm.dcm": "stored",
  "SC_rgb_rle.dcm": "stored",
  "SC_rgb_rle_16bit.dcm": "stored",
  "SC_rgb_rle_16bit_2frame.dcm": "stored",
  "SC_rgb_rle_2frame.dcm": "stored",
  "SC_rgb_rle_32bit.dcm": "stored",
  "SC_rgb_rle_32bit_2frame.dcm": "stored",
  "SC_rgb_small_odd.dcm": "stored",
  "SC_rgb_small_odd_jpeg.dcm": "stored",
  "SC_ybr_full_422_uncompressed.dcm": "stored",
  "UN_sequence.dcm": NO_SOP_INSTANCE_UID,
  "badVR.dcm": "stored",
  "empty_charset_LEI.dcm": NO_SOP_INSTANCE_UID,
  "image_dfl.dcm": "stored",
  "liver_1frame.dcm": "stored",
  "liver_expb_1frame.dcm": "stored",
  "meta_missing_tsyntax.dcm": NO_SOP_INSTANCE_UID,
  "nested_priv_SQ.dcm": NO_SOP_INSTANCE_UID,
  // A stray byte before the first element: pydicom, even forced, reads no element from it.
  "no_meta.dcm": NOT_DICOM,
  "no_meta_group_length.dcm": NO_SOP_INSTANCE_UID,
  "priv_SQ.dcm": NO_SOP_INSTANCE_UID,
  "reportsi.dcm": "stored",
  "reportsi_with_empty_number_tags.dcm": "stored",
  "rtdose.dcm": "stored",
  "rtdose_1frame.dcm": "stored",
  "rtdose_expb.dcm": "stored",
  "rtdose_expb_1frame.dcm": "stored",
  "rtdose_rle.dcm": "stored",
  "rtdose_rle_1frame.dcm": "stored",
  "rtplan.dcm": "stored",
  "rtplan.dump": NOT_DICOM,
  "rtplan_truncated.dcm": TRUNCATED,
  "rtstruct.dcm": "stored",
  "rtstruct.dump": NOT_DICOM,
  "test-SR.dcm": "stored",
  "test1.json": NOT_DICOM,
  "test_PN.json": NOT_DICOM,
  "waveform_ecg.dcm": "stored",
  "zipMR.gz": NOT_DICOM,
  // A folder walk leaves DICOMDIR itself out: the files it indexes are in the walk anyway.
  "dicomdirtests/DICOMDIR": "skipped",
  "dicomdirtests/DICOMDIR-bigEnd": NO_SOP_INSTANCE_UID,
  "dicomdirtests/DICOMDIR-empty.dcm": NO_SOP_INSTANCE_UID,
  "dicomdirtests/DICOMDIR-implicit": NO_SOP_INSTANCE_UID,
  "dicomdirtests/DICOMDIR-nooffset": NO_SOP_INSTANCE_UID,
  "dicomdirtests/DICOMDIR-nopatient": NO_SOP_INSTANCE_UID,
  "dicomdirtests/DICOMDIR-reordered": NO_SOP_INSTANCE_UID,
  "dicomdirtests/README.txt": NOT_DICOM,
  "dicomdirtests/77654033/": "stored",
  "dicomdirtests/98892001/": "stored",
  "dicomdirtests/98892003/": "stored",
  "dicomdirtests/TINY_ALPHA/DICOMDIR": "skipped",
  "dicomdirtests/TINY_ALPHA/README": NOT_DICOM,
  "dicomdirtests/TINY_ALPHA/PT000000/": "stored",
};

/** Files of a folder in the order the CLI walks it (sorted by name, depth first). */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
}

function matchesKey(path: string, key: string): boolean {
  const name = relative(PYDICOM_TEST_FILES, path);
  return name === key || (key.endsWith("/") && name.startsWith(key));
}

function expectedFor(path: string): Expected {
  const entry = Object.entries(EXPECTED).find(([key]) => matchesKey(path, key));
  if (entry === undefined) throw new Error(`${path} is not in the expectation table`);
  return entry[1];
}

/** The refusal summary: path → reason. */
function refusalsIn(stdout: string): Map<string, string> {
  const refusals = new Map<string, string>();
  let reason = "";
  for (const line of stdout.split("\n")) {
    const group = /^ {2}\d+ × (.+)$/.exec(line)?.[1];
    if (group !== undefined) reason = group;
    else if (/^ {6}\S/.test(line)) refusals.set(line.trim(), reason);
  }
  return refusals;
}

interface ImportCounts {
  stored: number;
  replaced: number;
  duplicate: number;
}

/**
 * What an import must report, given what the archive holds (SOP Instance UID → content) before it: the
 * same UID with the same transfer syntax and dataset bytes is "already present", other bytes replace it.
 */
function simulateImport(uids: Map<string, string>, held: Map<string, string>): ImportCounts {
  const counts: ImportCounts = { stored: 0, replaced: 0, duplicate: 0 };
  for (const [file, uid] of uids) {
    const bytes = readFileSync(file);
    const header = readPart10Header(bytes);
    const content = createHash("sha256")
      .update(header.transferSyntaxUid)
      .update(bytes.subarray(header.datasetOffset))
      .digest("hex");
    const before = held.get(uid);
    counts[before === undefined ? "stored" : before === content ? "duplicate" : "replaced"]++;
    held.set(uid, content);
  }
  return counts;
}

function summaryLine(counts: ImportCounts, refused: number, files: number): RegExp {
  return new RegExp(
    `^Imported ${counts.stored} new, ${counts.replaced} replaced, ${counts.duplicate} already present, ` +
      `${refused} refused — ${files} files in `,
    "m",
  );
}

function indexedUids(dataDir: string): string[] {
  const db = new Database(join(dataDir, "index.sqlite"), { readonly: true });
  try {
    const rows = db.prepare("SELECT sop_instance_uid AS uid FROM instances").all() as Array<{ uid: string }>;
    return rows.map((row) => row.uid).sort();
  } finally {
    db.close();
  }
}

describe("hilum import of pydicom's test files", () => {
  const topLevel = readdirSync(PYDICOM_TEST_FILES, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(PYDICOM_TEST_FILES, entry.name))
    .sort();
  const dicomdirTests = join(PYDICOM_TEST_FILES, "dicomdirtests");
  const files = [...topLevel, ...walk(dicomdirTests)];
  let imported: string[];
  let refused: string[];
  let uids: Map<string, string>;
  let dataDir: string;

  beforeAll(async () => {
    imported = files.filter((file) => expectedFor(file) !== "skipped");
    refused = imported.filter((file) => expectedFor(file).startsWith(REFUSED));
    uids = await pydicomUids(imported.filter((file) => expectedFor(file) === "stored"));
    dataDir = join(mkdtempSync(join(inject("scratchRoot"), "import-")), "data");
  });

  it("has one expectation for every file, and every expectation matches a file", () => {
    const keys = Object.keys(EXPECTED);
    for (const file of files)
      expect(
        keys.filter((key) => matchesKey(file, key)),
        file,
      ).toHaveLength(1);
    for (const key of keys)
      expect(
        files.filter((file) => matchesKey(file, key)),
        key,
      ).not.toEqual([]);
  });

  it("stores the instances, names every refused file with its reason, exits 1", async () => {
    const result = await hilum("import", ...topLevel, dicomdirTests, "--data", dataDir);
    expect(result.code, result.stderr).toBe(1);
    const held = new Map<string, string>();
    expect(result.stdout).toMatch(summaryLine(simulateImport(uids, held), refused.length, imported.length));
    const refusals = refusalsIn(result.stdout);
    expect([...refusals.keys()].sort()).toEqual([...refused].sort());
    for (const file of refused) {
      expect(refusals.get(file), relative(PYDICOM_TEST_FILES, file)).toContain(
        expectedFor(file).slice(REFUSED.length),
      );
    }
    expect(indexedUids(dataDir)).toEqual([...new Set(uids.values())].sort());
  });

  it("imports the same files again as already present, nothing new", async () => {
    const before = indexedUids(dataDir);
    const held = new Map<string, string>();
    simulateImport(uids, held);
    const again = simulateImport(uids, held);
    expect(again.stored).toBe(0);
    const result = await hilum("import", ...topLevel, dicomdirTests, "--data", dataDir);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(summaryLine(again, refused.length, imported.length));
    expect(indexedUids(dataDir)).toEqual(before);
  });
});

describe("hilum find and move against a Hilum node", () => {
  let sink: StorescpPeer;
  let node: TestNode;
  let studyInstanceUid: string;
  let seriesInstanceUid: string;

  beforeAll(async () => {
    const series = await cachedCtSeries(SCU_SERIES);
    ({ studyInstanceUid, seriesInstanceUid } = series);
    sink = await startStorescp({ aeTitle: "SINK" });
    node = await startTestNode({ peers: [{ aeTitle: "SINK", host: sink.host, port: sink.port }] });
    const outcomes = await sendFiles(node.target, series.files);
    if (outcomes.some((o) => o.category !== "success")) throw new Error("storing the series failed");
  });
  afterAll(async () => {
    await node?.close();
    await sink?.stop();
  });

  it("finds the study by patient ID as JSON", async () => {
    const result = await hilum(
      ...["find", address(node.target), "--level", "STUDY", "--json"],
      ...[
        "-k",
        `PatientID=${SCU_SERIES.patientId}`,
        "-k",
        "StudyInstanceUID",
        "-k",
        "NumberOfStudyRelatedInstances",
      ],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        QueryRetrieveLevel: "STUDY",
        PatientID: SCU_SERIES.patientId,
        StudyInstanceUID: studyInstanceUid,
        NumberOfStudyRelatedInstances: String(SCU_SERIES.slices),
      },
    ]);
    expect(result.stderr).toContain("1 match(es); final status Success");
  });

  it("finds the patient by a name wildcard in the patient root model", async () => {
    const result = await hilum(
      ...["find", address(node.target), "--model", "patient", "--level", "PATIENT", "--json"],
      ...["-k", "PatientName=Scu*", "-k", "PatientID"],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { QueryRetrieveLevel: "PATIENT", PatientName: SCU_SERIES.patientName, PatientID: SCU_SERIES.patientId },
    ]);
  });

  it("moves the series to a known peer and prints the completed count", async () => {
    const result = await hilum(
      ...["move", address(node.target), "--dest", "SINK", "--level", "SERIES"],
      ...["-k", `StudyInstanceUID=${studyInstanceUid}`, "-k", `SeriesInstanceUID=${seriesInstanceUid}`],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `C-MOVE to SINK: Success — ${SCU_SERIES.slices} completed, 0 failed, 0 warnings`,
    );
    expect(sink.files()).toHaveLength(SCU_SERIES.slices);
  });
});

describe.concurrent("hilum usage errors exit 2 and name the problem", () => {
  it.each([
    [["frobnicate"], "unknown command frobnicate"],
    [["send", join(PYDICOM_TEST_FILES, "CT_small.dcm")], "missing --to AE@HOST:PORT"],
    [
      ["find", "PEER@127.0.0.1:104", "--level", "WARD"],
      "--level WARD: expected PATIENT, STUDY, SERIES or IMAGE",
    ],
    [["find", "PEER@127.0.0.1:104", "--model", "tree"], "--model tree: expected study or patient"],
    [["move", "PEER@127.0.0.1:104", "-k", "StudyInstanceUID=1.2"], "missing --dest AE"],
    [["echo", "--bogus"], "Unknown option '--bogus'"],
    [[], "Usage: npm run hilum -- <command>"],
  ])("%j", async (args, message) => {
    const result = await hilum(...args);
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain(message);
  });
});
