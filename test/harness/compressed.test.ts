import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  COMPRESSED_SYNTAXES,
  TransferSyntax,
  compressedCopies,
  type TransferSyntaxUid,
} from "../fixtures/compressed.js";
import { generateCtSeries, type CtSeries } from "../fixtures/ct-series.js";
import { dcmdump } from "../support/dcmdump.js";
import { startStorescp, storescu, type StorescpPeer } from "../support/peers.js";
import { run } from "../support/process.js";

const LOSSLESS: readonly TransferSyntaxUid[] = [
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.RleLossless,
  TransferSyntax.JpegLosslessSV1,
  TransferSyntax.JpegLsLossless,
  TransferSyntax.Jpeg2000Lossless,
];

/** Stored pixel values of an explicit VR LE file with native OW pixel data (the last (7FE0,0010)). */
function nativePixels(file: string): Int16Array {
  const bytes = readFileSync(file);
  const at = bytes.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57]));
  const start = bytes.byteOffset + at + 12;
  return new Int16Array(bytes.buffer.slice(start, start + bytes.readUInt32LE(at + 8)));
}

describe("compressedCopies", () => {
  let scratch: string;
  let series: CtSeries;
  let copies: Partial<Record<TransferSyntaxUid, string[]>>;
  let sink: StorescpPeer;

  beforeAll(async () => {
    scratch = mkdtempSync(join(inject("scratchRoot"), "compressed-"));
    series = generateCtSeries({
      dir: join(scratch, "source"),
      slices: 3,
      rows: 64,
      columns: 64,
      patientName: "Codec^Test",
      patientId: "CODEC1",
      seed: "compressed",
    });
    copies = await compressedCopies(series.files, join(scratch, "copies"));
    // Copies share SOP Instance UIDs: unique file names (+uf) keep storescp from overwriting one with another.
    sink = await startStorescp({ extraArgs: ["+uf"] });
  });

  afterAll(async () => {
    await sink?.stop();
  });

  it.each(COMPRESSED_SYNTAXES)("writes %s copies that keep each SOP Instance UID", async (ts) => {
    const files = copies[ts] ?? [];
    expect(files).toHaveLength(3);
    const dumped = await dcmdump(files, { meta: true });
    expect(dumped.map((d) => d.TransferSyntaxUID)).toEqual([ts, ts, ts]);
    expect(dumped.map((d) => d.SOPInstanceUID)).toEqual(series.sopInstanceUids);
  });

  it.each(LOSSLESS)("%s decodes (GDCM) to the original stored values", async (ts) => {
    const [copy] = copies[ts] ?? [];
    const decoded = join(scratch, `decoded-${ts}.dcm`);
    const result = await run("gdcmconv", ["-w", "-X", copy ?? "", decoded]);
    expect(result.code, result.stderr).toBe(0);
    expect(nativePixels(decoded)).toEqual(nativePixels(series.files[0] ?? ""));
  });

  it("makes HTJ2K that dcmjs-codecs decodes to the original stored values", async () => {
    const { Transcoder } = createRequire(import.meta.url)("dcmjs-codecs") as typeof import("dcmjs-codecs");
    const bytes = readFileSync(copies[TransferSyntax.HtJpeg2000Lossless]?.[0] ?? "");
    const transcoder = new Transcoder(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    transcoder.transcode(TransferSyntax.ExplicitVRLittleEndian);
    const [frame] = transcoder.getElements().PixelData as ArrayBuffer[];
    expect(new Int16Array(frame ?? new ArrayBuffer(0))).toEqual(nativePixels(series.files[0] ?? ""));
  });

  it("lets storescu send every syntax DCMTK knows as stored, on one association", async () => {
    const known = COMPRESSED_SYNTAXES.filter((ts) => ts !== TransferSyntax.HtJpeg2000Lossless);
    const files = known.flatMap((ts) => copies[ts] ?? []);
    const result = await storescu(sink, files, { proposeTs: "as-stored" });
    expect(result.code, result.stderr).toBe(0);
    const received = await dcmdump(sink.files(), { meta: true });
    expect(received.map((d) => d.TransferSyntaxUID).sort()).toEqual(
      known.flatMap((ts) => [ts, ts, ts]).sort(),
    );
  });
});
