import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Tag, type AttributeReader } from "../../electron/pacs/db/attributes.js";
import type { Index } from "../../electron/pacs/db/database.js";
import { QueryError } from "../../electron/pacs/db/query.js";
import { extractRecord, RecordError, type InstanceRecord } from "../../electron/pacs/db/records.js";
import { CT_IMAGE, MR_IMAGE, freshIndex, record } from "./fixtures.js";

let index: Index;
beforeEach(() => {
  index = freshIndex("commit");
});
afterEach(() => index.close());

/** The derived study attributes, as C-FIND answers them. */
function studyInfo(studyUid: string): Record<string, string | null> {
  const [match] = index.find({
    model: "STUDY_ROOT",
    level: "STUDY",
    keys: [
      { tag: Tag.StudyInstanceUID, vr: "UI", value: studyUid },
      { tag: Tag.ModalitiesInStudy, vr: "CS", value: null },
      { tag: Tag.SOPClassesInStudy, vr: "UI", value: null },
      { tag: Tag.NumberOfStudyRelatedSeries, vr: "IS", value: null },
      { tag: Tag.NumberOfStudyRelatedInstances, vr: "IS", value: null },
      { tag: Tag.NumberOfPatientRelatedStudies, vr: "IS", value: null },
      { tag: Tag.NumberOfPatientRelatedInstances, vr: "IS", value: null },
    ],
  });
  if (!match) return {};
  return {
    modalities: match.get(Tag.ModalitiesInStudy) as string | null,
    sopClasses: match.get(Tag.SOPClassesInStudy) as string | null,
    series: match.get(Tag.NumberOfStudyRelatedSeries) as string | null,
    instances: match.get(Tag.NumberOfStudyRelatedInstances) as string | null,
    patientStudies: match.get(Tag.NumberOfPatientRelatedStudies) as string | null,
    patientInstances: match.get(Tag.NumberOfPatientRelatedInstances) as string | null,
  };
}

function seriesCount(seriesUid: string, studyUid: string): string | null | undefined {
  const [match] = index.find({
    model: "STUDY_ROOT",
    level: "SERIES",
    keys: [
      { tag: Tag.StudyInstanceUID, vr: "UI", value: studyUid },
      { tag: Tag.SeriesInstanceUID, vr: "UI", value: seriesUid },
      { tag: Tag.NumberOfSeriesRelatedInstances, vr: "IS", value: null },
    ],
  });
  return match?.get(Tag.NumberOfSeriesRelatedInstances) as string | null | undefined;
}

const ctStudy: InstanceRecord[] = [
  record({ study: "1.1", series: "1.1.1", sop: "1.1.1.1", size: 100, instanceNumber: 2 }),
  record({ study: "1.1", series: "1.1.1", sop: "1.1.1.2", size: 200, instanceNumber: 1 }),
  record({ study: "1.1", series: "1.1.2", sop: "1.1.2.1", size: 300, modality: "MR", sopClass: MR_IMAGE }),
  record({ study: "1.1", series: "1.1.3", sop: "1.1.3.1", size: 400, modality: "CT", seriesNumber: 3 }),
];

describe("commitInstances", () => {
  it("indexes a batch and maintains the derived attributes", () => {
    const results = index.commitInstances(ctStudy);
    expect(results.map((r) => r.sopInstanceUid)).toEqual(ctStudy.map((r) => r.instance.sopInstanceUid));
    expect(results.every((r) => !r.replaced && !r.patientConflict)).toBe(true);
    expect(index.counts()).toEqual({ patients: 1, studies: 1, series: 3, instances: 4, bytes: 1000 });
    expect(studyInfo("1.1")).toEqual({
      modalities: "CT\\MR",
      sopClasses: `${CT_IMAGE}\\${MR_IMAGE}`,
      series: "3",
      instances: "4",
      patientStudies: "1",
      patientInstances: "4",
    });
    expect(seriesCount("1.1.1", "1.1")).toBe("2");
    expect(index.findInstance("1.1.1.2")).toEqual({
      sha256: "sha-1.1.1.2",
      storageKey: "key-1.1.1.2",
      size: 200,
      studyInstanceUid: "1.1",
      seriesInstanceUid: "1.1.1",
    });
    expect(index.hasStorageKey("key-1.1.1.2")).toBe(true);
    expect(index.hasStorageKey("key-none")).toBe(false);
  });

  it("replaces a resent instance in place and reports the previous file", () => {
    index.commitInstances(ctStudy);
    const [result] = index.commitInstances([
      record({ study: "1.1", series: "1.1.1", sop: "1.1.1.1", storageKey: "key-v2", size: 150 }),
    ]);
    expect(result?.replaced).toEqual({
      storageKey: "key-1.1.1.1",
      sha256: "sha-1.1.1.1",
      previousStudyInstanceUid: "1.1",
      previousSeriesInstanceUid: "1.1.1",
      movedStudy: false,
      movedSeries: false,
    });
    expect(index.counts()).toEqual({ patients: 1, studies: 1, series: 3, instances: 4, bytes: 1050 });
    expect(index.findInstance("1.1.1.1")?.storageKey).toBe("key-v2");
    expect(index.hasStorageKey("key-1.1.1.1")).toBe(false);
  });

  it("moves a resent instance to its new series and drops the emptied one", () => {
    index.commitInstances(ctStudy);
    const [result] = index.commitInstances([
      record({ study: "1.1", series: "1.1.1", sop: "1.1.3.1", modality: "CT", storageKey: "key-moved" }),
    ]);
    expect(result?.replaced).toMatchObject({
      movedSeries: true,
      movedStudy: false,
      previousSeriesInstanceUid: "1.1.3",
    });
    expect(seriesCount("1.1.3", "1.1")).toBeUndefined();
    expect(seriesCount("1.1.1", "1.1")).toBe("3");
    expect(studyInfo("1.1")).toMatchObject({ series: "2", instances: "4", modalities: "CT\\MR" });
  });

  it("moves a resent instance to another study and patient, dropping the emptied ones", () => {
    index.commitInstances([record({ study: "1.9", series: "1.9.1", sop: "1.9.1.1", patientId: "OLD" })]);
    const [result] = index.commitInstances([record({ study: "1.1", series: "1.1.1", sop: "1.9.1.1" })]);
    expect(result?.replaced).toMatchObject({
      movedStudy: true,
      movedSeries: true,
      previousStudyInstanceUid: "1.9",
    });
    expect(index.counts()).toMatchObject({ patients: 1, studies: 1, series: 1, instances: 1 });
    expect(studyInfo("1.9")).toEqual({});
  });

  it("keeps a study with its first patient and reports the conflict", () => {
    index.commitInstances([record({ study: "1.1", series: "1.1.1", sop: "1.1.1.1", patientId: "A" })]);
    const [result] = index.commitInstances([
      record({ study: "1.1", series: "1.1.1", sop: "1.1.1.2", patientId: "B", patientName: "Roe^Richard" }),
    ]);
    expect(result?.patientConflict).toEqual({
      studyInstanceUid: "1.1",
      stored: { patientId: "A", issuerOfPatientId: "", patientName: "Doe^John" },
      received: { patientId: "B", issuerOfPatientId: "", patientName: "Roe^Richard" },
    });
    expect(index.counts()).toMatchObject({ patients: 1, studies: 1, instances: 2 });
    expect(studyInfo("1.1")).toMatchObject({ instances: "2", patientInstances: "2" });
  });

  it("keeps a series in its first study and reports the conflict", () => {
    index.commitInstances([record({ study: "1.1", series: "1.1.1", sop: "1.1.1.1" })]);
    const [result] = index.commitInstances([record({ study: "1.2", series: "1.1.1", sop: "1.1.1.2" })]);
    expect(result?.seriesConflict).toEqual({
      seriesInstanceUid: "1.1.1",
      storedStudyInstanceUid: "1.1",
      receivedStudyInstanceUid: "1.2",
    });
    expect(result?.studyInstanceUid).toBe("1.1");
    expect(index.counts()).toMatchObject({ studies: 1, series: 1, instances: 2 });
  });

  it("keeps the stored demographics of a known patient and reports the differences", () => {
    index.commitInstances([record({ study: "1.1", series: "1.1.1", sop: "1.1.1.1", sex: null })]);
    const [result] = index.commitInstances([
      record({ study: "1.2", series: "1.2.1", sop: "1.2.1.1", patientName: "Doe^Jon", sex: "M" }),
    ]);
    expect(result?.demographicsMismatch).toEqual({
      patientId: "PID1",
      issuerOfPatientId: "",
      differences: [{ attribute: "PatientName", stored: "Doe^John", received: "Doe^Jon" }],
    });
    const [patient] = index.find({
      model: "PATIENT_ROOT",
      level: "PATIENT",
      keys: [
        { tag: Tag.PatientID, vr: "LO", value: "PID1" },
        { tag: Tag.PatientName, vr: "PN", value: null },
        { tag: Tag.PatientSex, vr: "CS", value: null },
      ],
    });
    expect(patient?.get(Tag.PatientName)).toBe("Doe^John");
    expect(patient?.get(Tag.PatientSex)).toBe("M");
  });

  it("tells patients apart by issuer and groups objects without a Patient ID", () => {
    index.commitInstances([
      record({ study: "1.1", series: "1.1.1", sop: "1.1.1.1", patientId: "7", issuer: "HOSP_A" }),
      record({ study: "1.2", series: "1.2.1", sop: "1.2.1.1", patientId: "7", issuer: "HOSP_B" }),
      record({ study: "1.3", series: "1.3.1", sop: "1.3.1.1", patientId: "" }),
      record({ study: "1.4", series: "1.4.1", sop: "1.4.1.1", patientId: "" }),
    ]);
    expect(index.counts().patients).toBe(3);
    expect(studyInfo("1.4").patientStudies).toBe("2");
  });

  it("rolls back the whole batch when one record fails", () => {
    const broken = record({ study: "1.2", series: "1.2.1", sop: "1.2.1.1" });
    (broken.instance as { sopClassUid: string | null }).sopClassUid = null;
    expect(() => index.commitInstances([...ctStudy, broken])).toThrow(/NOT NULL/);
    expect(index.counts()).toEqual({ patients: 0, studies: 0, series: 0, instances: 0, bytes: 0 });
  });

  it("commits index rows and audit rows together in transaction()", () => {
    expect(() =>
      index.transaction(() => {
        index.commitInstances(ctStudy);
        index.audit.append({ actorType: "ae", actor: "CT1", action: "store", outcome: "success" });
        throw new Error("storage failed");
      }),
    ).toThrow("storage failed");
    expect(index.counts().instances).toBe(0);
    expect(index.audit.query()).toEqual([]);
    index.transaction(() => {
      index.commitInstances(ctStudy);
      index.audit.append({ actorType: "ae", actor: "CT1", action: "store", outcome: "success" });
    });
    expect(index.counts().instances).toBe(4);
    expect(index.audit.query()).toHaveLength(1);
  });
});

describe("deleteInstances", () => {
  it("returns the storage keys and removes the series, study and patient it emptied", () => {
    index.commitInstances([
      ...ctStudy,
      record({ study: "2.1", series: "2.1.1", sop: "2.1.1.1", patientId: "P2" }),
    ]);
    const deleted = index.deleteInstances(["1.1.2.1", "9.9.9"]);
    expect(deleted).toEqual([
      {
        sopInstanceUid: "1.1.2.1",
        storageKey: "key-1.1.2.1",
        sha256: "sha-1.1.2.1",
        studyInstanceUid: "1.1",
        seriesInstanceUid: "1.1.2",
      },
    ]);
    expect(studyInfo("1.1")).toMatchObject({
      modalities: "CT",
      sopClasses: CT_IMAGE,
      series: "2",
      instances: "3",
    });
    index.deleteInstances(["2.1.1.1"]);
    expect(index.counts()).toEqual({ patients: 1, studies: 1, series: 2, instances: 3, bytes: 700 });
    index.deleteInstances(["1.1.1.1", "1.1.1.2", "1.1.3.1"]);
    expect(index.counts()).toEqual({ patients: 0, studies: 0, series: 0, instances: 0, bytes: 0 });
  });
});

describe("instancesForRetrieve", () => {
  beforeEach(() => {
    index.commitInstances([
      ...ctStudy,
      record({ study: "2.1", series: "2.1.1", sop: "2.1.1.1", patientId: "P2" }),
    ]);
  });

  it("lists a study ordered by series and instance number", () => {
    const found = index.instancesForRetrieve({ level: "STUDY", studyInstanceUids: ["1.1"] });
    expect(found.map((i) => i.sopInstanceUid)).toEqual(["1.1.1.2", "1.1.1.1", "1.1.2.1", "1.1.3.1"]);
    expect(found[0]).toEqual({
      sopClassUid: CT_IMAGE,
      sopInstanceUid: "1.1.1.2",
      transferSyntaxUid: "1.2.840.10008.1.2.1",
      storageKey: "key-1.1.1.2",
      size: 200,
      sha256: "sha-1.1.1.2",
      studyInstanceUid: "1.1",
      seriesInstanceUid: "1.1.1",
    });
  });

  it("selects by patient, series list and instance list", () => {
    expect(index.instancesForRetrieve({ level: "PATIENT", patientId: "P2" })).toHaveLength(1);
    const series = index.instancesForRetrieve({ level: "SERIES", seriesInstanceUids: ["1.1.2", "1.1.3"] });
    expect(series.map((i) => i.sopInstanceUid)).toEqual(["1.1.2.1", "1.1.3.1"]);
    const images = index.instancesForRetrieve({
      level: "IMAGE",
      studyInstanceUids: ["1.1"],
      sopInstanceUids: ["1.1.1.1", "2.1.1.1"],
    });
    expect(images.map((i) => i.sopInstanceUid)).toEqual(["1.1.1.1"]);
  });

  it("refuses an identifier without the unique key of its level", () => {
    expect(() => index.instancesForRetrieve({ level: "SERIES", studyInstanceUids: ["1.1"] })).toThrow(
      QueryError,
    );
    expect(() => index.instancesForRetrieve({ level: "PATIENT" })).toThrow(
      expect.objectContaining({ status: 0xa900 }),
    );
  });
});

describe("extractRecord", () => {
  function reader(values: Record<number, string>): AttributeReader {
    return {
      string: (tag) => values[tag],
      strings: (tag) => values[tag]?.split("\\") ?? [],
      number: (tag) => (values[tag] === undefined ? undefined : Number(values[tag]?.split("\\")[0])),
    };
  }
  const file = {
    storageKey: "k",
    sha256: "abc",
    size: 10,
    transferSyntaxUid: "1.2.840.10008.1.2.1",
    callingAeTitle: "CT1",
    receivedAt: "2024-01-01T00:00:00.000Z",
  };
  const uids = {
    [Tag.StudyInstanceUID]: "1.1",
    [Tag.SeriesInstanceUID]: "1.1.1",
    [Tag.SOPInstanceUID]: "1.1.1.1",
    [Tag.SOPClassUID]: CT_IMAGE,
  };

  it("fills the record parts and stores a missing Patient ID as empty", () => {
    const r = extractRecord(
      reader({
        ...uids,
        [Tag.PatientName]: "Müller^Jörg",
        [Tag.StudyDate]: "2020.01.02",
        [Tag.InstanceNumber]: "7",
        [Tag.Modality]: "CT",
        [Tag.OtherPatientIDs]: "X1\\X2",
        [Tag.AccessionNumber]: "",
      }),
      file,
    );
    expect(r.patient).toMatchObject({ patientId: "", issuerOfPatientId: "", patientName: "Müller^Jörg" });
    expect(r.patient.otherPatientIds).toBe("X1\\X2");
    expect(r.study).toMatchObject({ studyInstanceUid: "1.1", studyDate: "20200102", accessionNumber: null });
    expect(r.series).toMatchObject({ seriesInstanceUid: "1.1.1", modality: "CT", seriesNumber: null });
    expect(r.instance).toMatchObject({
      sopInstanceUid: "1.1.1.1",
      instanceNumber: 7,
      storageKey: "k",
      size: 10,
    });
  });

  it("refuses an object without a Series Instance UID", () => {
    const values = { ...uids, [Tag.SeriesInstanceUID]: "" };
    expect(() => extractRecord(reader(values), file)).toThrow(RecordError);
    expect(() => extractRecord(reader(values), file)).toThrow(/SeriesInstanceUID \(0020,000E\)/);
  });
});
