import { mkdtempSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { generateCtSeries, type CtSeries } from "../fixtures/ct-series.js";
import { generateStudies, type GeneratedStudies, type GeneratedStudy } from "../fixtures/studies.js";
import {
  findscu,
  getscu,
  movescu,
  startDcmqrscp,
  startStorescp,
  storescu,
  type DcmqrscpPeer,
  type StorescpPeer,
} from "../support/peers.js";
import { freePort } from "../support/ports.js";

describe("dcmqrscp peer with findscu, movescu and getscu", () => {
  let scratch: string;
  let studies: GeneratedStudies;
  let series: CtSeries;
  let sink: StorescpPeer;
  let archive: DcmqrscpPeer;

  const studyWith = (characterSet: GeneratedStudy["characterSet"]): GeneratedStudy => {
    const study = studies.studies.find((s) => s.characterSet === characterSet);
    if (study === undefined) throw new Error(`no study with character set "${characterSet}"`);
    return study;
  };

  beforeAll(async () => {
    scratch = mkdtempSync(join(inject("scratchRoot"), "dcmqrscp-"));
    studies = generateStudies({ dir: join(scratch, "studies"), count: 40, seed: "dcmqrscp" });
    series = generateCtSeries({
      dir: join(scratch, "series"),
      slices: 3,
      rows: 32,
      columns: 32,
      patientName: "Query^Retrieve",
      patientId: "QR0001",
      accessionNumber: "ACC-QR-1",
      seed: "dcmqrscp",
    });
    sink = await startStorescp({ aeTitle: "SINK" });
    archive = await startDcmqrscp({ aeTitle: "ARCHIVE", peers: [sink] });
    const stored = await storescu(archive, [join(scratch, "studies"), join(scratch, "series")]);
    if (stored.code !== 0) throw new Error(`storescu into dcmqrscp failed: ${stored.stderr}`);
  });

  afterAll(async () => {
    await Promise.all([archive?.stop(), sink?.stop()]);
  });

  it("answers a study-root C-FIND with every study, parsed into keyword → value", async () => {
    const result = await findscu(archive, {
      model: "study",
      level: "STUDY",
      keys: { StudyInstanceUID: "", PatientID: "", StudyDate: "", AccessionNumber: "" },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.responses).toHaveLength(41);
    const byUid = new Map(result.responses.map((r) => [r.StudyInstanceUID, r]));
    for (const study of studies.studies) {
      expect(byUid.get(study.studyInstanceUid)).toMatchObject({
        PatientID: study.patientId,
        StudyDate: study.studyDate,
        AccessionNumber: study.accessionNumber,
        QueryRetrieveLevel: "STUDY",
      });
    }
  });

  it.each(["ISO_IR 100", "ISO_IR 192", ""] as const)(
    "returns %j patient names as the text stored",
    async (cs) => {
      const study = studyWith(cs);
      const result = await findscu(archive, {
        model: "study",
        level: "STUDY",
        keys: { StudyInstanceUID: study.studyInstanceUid, PatientName: "", SpecificCharacterSet: "" },
      });
      expect(result.responses).toHaveLength(1);
      expect(result.responses[0]?.PatientName).toBe(study.patientName);
    },
  );

  it("queries the image level in the order the peer answers", async () => {
    const result = await findscu(archive, {
      model: "study",
      level: "IMAGE",
      keys: {
        StudyInstanceUID: series.studyInstanceUid,
        SeriesInstanceUID: series.seriesInstanceUid,
        SOPInstanceUID: "",
        InstanceNumber: "",
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.responses.map((r) => r.SOPInstanceUID).sort()).toEqual([...series.sopInstanceUids].sort());
  });

  it("moves a study to a peer in its HostTable", async () => {
    const result = await movescu(archive, {
      level: "STUDY",
      keys: { StudyInstanceUID: series.studyInstanceUid },
      destination: "SINK",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(sink.files()).toHaveLength(3);
  });

  it("refuses a move to an unknown destination, visibly", async () => {
    const result = await movescu(archive, {
      level: "STUDY",
      keys: { StudyInstanceUID: series.studyInstanceUid },
      destination: "STRANGER",
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Refused: MoveDestinationUnknown");
  });

  it("lets movescu receive its own retrieve", async () => {
    const dir = join(scratch, "moved-to-self");
    const port = await freePort();
    const self = await startDcmqrscp({
      aeTitle: "ARCHIVE2",
      peers: [{ aeTitle: "MOVESCU", host: "127.0.0.1", port }],
    });
    try {
      expect((await storescu(self, join(scratch, "series"))).code).toBe(0);
      const result = await movescu(self, {
        level: "SERIES",
        keys: { StudyInstanceUID: series.studyInstanceUid, SeriesInstanceUID: series.seriesInstanceUid },
        destination: "MOVESCU",
        receive: { port, dir },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(readdirSync(dir)).toHaveLength(3);
    } finally {
      await self.stop();
    }
  });

  it("serves C-GET", async () => {
    const study = studyWith("ISO_IR 100");
    const result = await getscu(archive, {
      level: "STUDY",
      keys: { StudyInstanceUID: study.studyInstanceUid },
      outDir: join(scratch, "got"),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.files).toHaveLength(1);
    expect(result.files[0]).toContain(study.sopInstanceUid);
  });
});
