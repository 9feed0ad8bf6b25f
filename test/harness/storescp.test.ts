import { mkdtempSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { generateCtSeries, type CtSeries } from "../fixtures/ct-series.js";
import { dcmdump } from "../support/dcmdump.js";
import { freePort } from "../support/ports.js";
import { echoscu, startStorescp, storescu, type StorescpPeer } from "../support/peers.js";

describe("storescp peer", () => {
  let scratch: string;
  let series: CtSeries;
  let storescp: StorescpPeer;

  beforeAll(async () => {
    scratch = mkdtempSync(join(inject("scratchRoot"), "storescp-"));
    series = generateCtSeries({
      dir: join(scratch, "series"),
      slices: 3,
      rows: 64,
      columns: 64,
      patientName: "Store^Test",
      patientId: "STORE1",
      seed: "storescp",
    });
    storescp = await startStorescp({ aeTitle: "HARNESS_SCP" });
  });

  afterAll(async () => {
    await storescp?.stop();
  });

  it("answers C-ECHO", async () => {
    const result = await echoscu(storescp);
    expect(result.code, result.stderr).toBe(0);
  });

  it("stores what storescu sends, one file per instance with the same SOP Instance UID", async () => {
    const result = await storescu(storescp, series.files);
    expect(result.code, result.stderr).toBe(0);
    const received = storescp.files();
    expect(received.map((file) => basename(file)).sort()).toEqual(
      series.sopInstanceUids.map((uid) => `CT.${uid}`).sort(),
    );
    const dumped = await dcmdump(received);
    expect(dumped.map((d) => d.SOPInstanceUID).sort()).toEqual([...series.sopInstanceUids].sort());
    expect(dumped.every((d) => d.PatientName === "Store^Test")).toBe(true);
  });

  it("stores a folder, recursively", async () => {
    const into = await startStorescp({ dir: join(scratch, "folder-received") });
    try {
      const result = await storescu(into, join(scratch, "series"));
      expect(result.code, result.stderr).toBe(0);
      expect(into.files()).toHaveLength(3);
      expect(into.dir).toBe(join(scratch, "folder-received"));
    } finally {
      await into.stop();
    }
  });

  it("lets a test see a failed association as an exit status", async () => {
    const nobody = { host: "127.0.0.1", port: await freePort(), aeTitle: "NOBODY" };
    const result = await storescu(nobody, series.files.slice(0, 1));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Association Request Failed|connection refused/i);
  });
});
