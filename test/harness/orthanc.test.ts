import { existsSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { generateCtSeries, type CtSeries } from "../fixtures/ct-series.js";
import {
  echoscu,
  findscu,
  startOrthanc,
  startStorescp,
  storescu,
  type OrthancPeer,
  type StorescpPeer,
} from "../support/peers.js";

describe("Orthanc peer", () => {
  let scratch: string;
  let series: CtSeries;
  let sink: StorescpPeer;
  let orthanc: OrthancPeer;

  beforeAll(async () => {
    scratch = mkdtempSync(join(inject("scratchRoot"), "orthanc-"));
    series = generateCtSeries({
      dir: join(scratch, "series"),
      slices: 4,
      rows: 32,
      columns: 32,
      patientName: "Orthanc^Test",
      patientId: "ORTH1",
      seed: "orthanc",
    });
    sink = await startStorescp({ aeTitle: "SINK" });
    orthanc = await startOrthanc({ aeTitle: "ORTHANC_T", dicomWeb: true, modalities: { sink } });
  });

  afterAll(async () => {
    await Promise.all([orthanc?.stop(), sink?.stop()]);
  });

  it("runs with our config and answers C-ECHO", async () => {
    const system = await orthanc.json<{ DicomAet: string; DicomPort: number; HttpPort: number }>("/system");
    expect(system).toMatchObject({
      DicomAet: "ORTHANC_T",
      DicomPort: orthanc.dicomPort,
      HttpPort: orthanc.httpPort,
    });
    expect((await echoscu(orthanc)).code).toBe(0);
  });

  it("stores over C-STORE and answers C-FIND from any AE", async () => {
    const stored = await storescu(orthanc, series.files, { callingAe: "SOMEONE" });
    expect(stored.code, stored.stderr).toBe(0);
    expect(await orthanc.json<string[]>("/instances")).toHaveLength(4);
    const found = await findscu(orthanc, {
      model: "study",
      level: "SERIES",
      keys: {
        StudyInstanceUID: series.studyInstanceUid,
        SeriesInstanceUID: "",
        NumberOfSeriesRelatedInstances: "",
      },
      callingAe: "SOMEONE",
    });
    expect(found.code, found.stderr).toBe(0);
    expect(found.responses).toEqual([
      expect.objectContaining({
        SeriesInstanceUID: series.seriesInstanceUid,
        NumberOfSeriesRelatedInstances: "4",
      }),
    ]);
  });

  it("serves DICOMweb (QIDO-RS) through the plugin", async () => {
    const response = await orthanc.rest(`/dicom-web/studies?StudyInstanceUID=${series.studyInstanceUid}`);
    expect(response.status).toBe(200);
    const studies = (await response.json()) as Array<Record<string, { Value?: unknown[] }>>;
    expect(studies[0]?.["0020000D"]?.Value).toEqual([series.studyInstanceUid]);
  });

  it("sends to a configured modality (C-STORE SCU)", async () => {
    const [study] = await orthanc.json<string[]>("/studies");
    await orthanc.json(`/modalities/sink/store`, {
      method: "POST",
      body: JSON.stringify({ Resources: [study] }),
    });
    expect(sink.files()).toHaveLength(4);
  });

  it("reports a REST error with its body", async () => {
    await expect(orthanc.json("/studies/no-such-study")).rejects.toThrow(/404/);
  });

  it("removes its own folder on stop", async () => {
    const other = await startOrthanc();
    expect(existsSync(other.dir)).toBe(true);
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
  });
});
