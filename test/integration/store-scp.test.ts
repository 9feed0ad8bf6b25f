import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPRESSED_SYNTAXES, TransferSyntax } from "../fixtures/compressed.js";
import { PYDICOM_TEST_FILES, archived, fileDataset } from "../support/archive.js";
import { cachedCompressedSeries, cachedCtSeries } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { dcmdump } from "../support/dcmdump.js";
import { storescu } from "../support/peers.js";
import { run } from "../support/process.js";

/**
 * pydicom's test files that DCMTK's storescu itself cannot send (it never opens an association for
 * them): no file meta or no transfer syntax in it, no SOP Class/Instance UID, not DICOM, or
 * truncated. The CLI import test covers what Hilum says about each of them.
 */
const STORESCU_CANNOT_SEND = new Set([
  "ExplVR_BigEndNoMeta.dcm",
  "ExplVR_LitEndNoMeta.dcm",
  "MR_truncated.dcm",
  "README.txt",
  "SC_rgb_jpeg.dcm",
  "UN_sequence.dcm",
  "empty_charset_LEI.dcm",
  "meta_missing_tsyntax.dcm",
  "nested_priv_SQ.dcm",
  "no_meta.dcm",
  "no_meta_group_length.dcm",
  "priv_SQ.dcm",
  "rtdose_rle.dcm",
  "rtdose_rle_1frame.dcm",
  "rtplan.dump",
  "rtplan_truncated.dcm",
  "rtstruct.dcm",
  "rtstruct.dump",
  "test1.json",
  "test_PN.json",
  "zipMR.gz",
]);

/** storescu re-deflates a deflated dataset as it sends it: the inflated bytes are what must survive. */
function sameContent(syntax: string, a: Buffer, b: Buffer): boolean {
  if (syntax !== TransferSyntax.DeflatedExplicitVRLittleEndian) return a.equals(b);
  return inflateRawSync(a).equals(inflateRawSync(b));
}

const pydicomFiles = readdirSync(PYDICOM_TEST_FILES)
  .filter((name) => statSync(join(PYDICOM_TEST_FILES, name)).isFile())
  .sort();

describe("C-STORE SCP, driven by DCMTK storescu", () => {
  let hilum: TestNode;

  beforeAll(async () => {
    hilum = await startTestNode();
  });
  afterAll(() => hilum.close());

  it.each(pydicomFiles.filter((name) => !STORESCU_CANNOT_SEND.has(name)))(
    "stores pydicom's %s with success, in the transfer syntax it was sent in",
    async (name) => {
      const path = join(PYDICOM_TEST_FILES, name);
      const [sent] = await dcmdump([path], { meta: true });
      const result = await storescu(hilum.target, [path], { proposeTs: "as-stored", extraArgs: ["-v"] });
      expect(result.stderr).toContain("Received Store Response (Success)");
      expect(result.code).toBe(0);
      const object = await archived(hilum.node, sent!.SOPInstanceUID!);
      expect(object.transferSyntaxUid).toBe(sent!.TransferSyntaxUID);
    },
  );

  it("knows why storescu cannot send the rest (the list above stays true)", async () => {
    for (const name of STORESCU_CANNOT_SEND) {
      const result = await storescu(hilum.target, [join(PYDICOM_TEST_FILES, name)], {
        proposeTs: "as-stored",
      }).catch((err: Error) => ({ code: -1, stderr: err.message }));
      expect(result.code, name).not.toBe(0);
      expect(result.stderr, name).not.toContain("Received Store Response");
    }
  });

  it("stores a generated 300-slice CT series byte for byte and indexes every slice", async () => {
    const series = await cachedCtSeries({
      slices: 300,
      patientName: "Store^Series",
      patientId: "STORE300",
      seed: "store-300",
    });
    const before = hilum.node.index.counts().instances;
    const result = await storescu(hilum.target, series.files);
    expect(result.code, result.stderr).toBe(0);
    expect(hilum.node.index.counts().instances - before).toBe(300);
    for (const [i, uid] of series.sopInstanceUids.entries()) {
      if (i % 30 !== 0) continue;
      const object = await archived(hilum.node, uid);
      expect(object.dataset.equals(fileDataset(series.files[i]!)), `slice ${i}`).toBe(true);
    }
  });

  it("writes files that dicom3tools' dciodvfy accepts (Hilum's file meta in front of the received dataset)", async () => {
    const series = await cachedCtSeries({
      slices: 300,
      patientName: "Store^Series",
      patientId: "STORE300",
      seed: "store-300",
    });
    const uid = series.sopInstanceUids[0]!;
    if (!hilum.node.index.findInstance(uid))
      expect((await storescu(hilum.target, [series.files[0]!])).code).toBe(0);
    await hilum.node.ingest.idle();
    const row = hilum.node.index.findInstance(uid)!;
    const result = await run("dciodvfy", [hilum.node.store.pathOf(row.storageKey)]);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/CTImage/);
    expect(output).not.toMatch(/^Error/m);
  });

  it.each(COMPRESSED_SYNTAXES.filter((ts) => ts !== TransferSyntax.HtJpeg2000Lossless))(
    "stores copies encoded in %s as received (DCMTK 3.6.7 cannot send HTJ2K; the SCU test sends those)",
    async (syntax) => {
      const { copies } = await cachedCompressedSeries({
        series: { slices: 300, patientName: "Store^Series", patientId: "STORE300", seed: "store-300" },
        syntaxes: [syntax],
      });
      const files = copies[syntax]!.slice(0, 40);
      const result = await storescu(hilum.target, files, { proposeTs: "as-stored" });
      expect(result.code, result.stderr).toBe(0);
      const dumped = await dcmdump(files.slice(0, 4));
      for (const [i, file] of files.slice(0, 4).entries()) {
        const object = await archived(hilum.node, dumped[i]!.SOPInstanceUID!);
        expect(object.transferSyntaxUid).toBe(syntax);
        expect(sameContent(syntax, object.dataset, fileDataset(file))).toBe(true);
      }
    },
  );
});

describe("instances larger than what is kept in memory", () => {
  it("are hashed as they stream, validated from disk, and stored byte for byte", async () => {
    const hilum = await startTestNode({ storage: { keepInMemoryMiB: 0.1 } });
    try {
      const series = await cachedCtSeries({
        slices: 300,
        patientName: "Store^Series",
        patientId: "STORE300",
        seed: "store-300",
      });
      const files = series.files.slice(0, 6);
      const result = await storescu(hilum.target, files);
      expect(result.code, result.stderr).toBe(0);
      for (const [i, file] of files.entries()) {
        const object = await archived(hilum.node, series.sopInstanceUids[i]!);
        expect(object.dataset.equals(fileDataset(file))).toBe(true);
      }
    } finally {
      await hilum.close();
    }
  });
});
