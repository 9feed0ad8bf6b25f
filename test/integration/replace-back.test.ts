/**
 * An instance replaced (A → B) and then replaced back (B → A) before the publisher's next batch: A's object
 * is live again under its key, and deleting "the object B replaced" must not take it away. Found by the
 * WADO-RS frames tests, which store a compressed copy and then the original again.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { receivedFromFile } from "../../electron/pacs/files/dicom-file.js";
import { TransferSyntax } from "../fixtures/compressed.js";
import { cachedCompressedSeries } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";

let hilum: TestNode;

beforeAll(async () => {
  hilum = await startTestNode();
});

afterAll(async () => {
  await hilum?.close();
});

async function ingest(path: string) {
  const object = await receivedFromFile(path, hilum.node.store);
  return hilum.node.ingest.ingest({ object, source: { kind: "import", actor: path, callingAeTitle: "" } });
}

it("keeps the object of an instance replaced and replaced back within one publishing batch", async () => {
  const { series, copies } = await cachedCompressedSeries({
    series: {
      rows: 64,
      columns: 64,
      slices: 1,
      patientName: "Replace^Back",
      patientId: "REPLACE-BACK",
      seed: "replace-back",
    },
    syntaxes: [TransferSyntax.JpegLsLossless],
  });
  const original = series.files[0]!;
  expect((await ingest(original)).outcome).toBe("stored");
  await hilum.node.ingest.idle();
  expect((await ingest(copies[TransferSyntax.JpegLsLossless]![0]!)).outcome).toBe("replaced");
  expect((await ingest(original)).outcome).toBe("replaced");
  await hilum.node.ingest.idle();
  const row = hilum.node.index.findInstance(series.sopInstanceUids[0]!)!;
  expect(existsSync(hilum.node.store.pathOf(row.storageKey))).toBe(true);
  expect((await hilum.node.store.read(row.storageKey)).length).toBe(row.size);
});
