import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tag } from "../../electron/pacs/db/attributes.js";
import type { Index } from "../../electron/pacs/db/database.js";
import {
  DimseStatus,
  QueryError,
  unsupportedKeys,
  type FindRequest,
  type QueryKey,
  type QueryLevel,
  type QueryModel,
} from "../../electron/pacs/db/query.js";
import { MR_IMAGE, freshIndex, record, type RecordOptions } from "./fixtures.js";

let index: Index;

type Patient = Pick<RecordOptions, "patientId" | "patientName" | "otherPatientIds">;
const patients: Record<string, Patient> = {
  mueller: { patientId: "P1", patientName: "Müller^Jörg", otherPatientIds: "OLD1\\OLD2" },
  muellerAnna: { patientId: "P2", patientName: "MÜLLER^ANNA" },
  ivanov: { patientId: "P3", patientName: "Иванов^Иван" },
  percent: { patientId: "P4", patientName: "100%_Sure^Test" },
  percentX: { patientId: "P5", patientName: "100%xSure^Test" },
  thousand: { patientId: "P6", patientName: "1000X^Test" },
  bracket: { patientId: "P7", patientName: "O[Brien^Pat" },
  yamada: { patientId: "P8", patientName: "Yamada^Tarou=山田^太郎=やまだ^たろう" },
  smith: { patientId: "P9", patientName: "Smith^Jane" },
  smyth: { patientId: "P10", patientName: "Smyth^Joe" },
  nameless: { patientId: "P11", patientName: null },
};

/** One study per patient: s<n> with series s<n>.1 (and s<n>.2 for some), instances s<n>.1.<k>. */
const studies: Array<[keyof typeof patients, Partial<RecordOptions>]> = [
  ["mueller", { studyDate: "20191231", studyTime: "115959", accession: "ACC1", referring: "Wüst^Karl" }],
  ["muellerAnna", { studyDate: "20200101", studyTime: "120000", accession: "ACC2" }],
  ["ivanov", { studyDate: "20200615", studyTime: "123000.5", accession: "ACC3" }],
  ["percent", { studyDate: "20201231", studyTime: "130059", accession: "ACC4" }],
  ["percentX", { studyDate: "20210101", studyTime: "130100", accession: "acc5" }],
  ["thousand", { studyDate: null, studyTime: null, accession: null }],
  ["bracket", { studyDate: "20220101", studyTime: "08", accession: "ACC7" }],
  ["yamada", { studyDate: "20220202", studyTime: "0800", accession: "ACC8" }],
  ["smith", { studyDate: "20230303", accession: "ACC9" }],
  ["smyth", { studyDate: "20230304", accession: "ACC10" }],
  ["nameless", { studyDate: "20230305", accession: "ACC11" }],
];

beforeAll(() => {
  index = freshIndex("query");
  const records = studies.flatMap(([who, study], n) => {
    const base = { ...patients[who], ...study, study: `s${n}`, series: `s${n}.1`, modality: "CT" };
    return [
      record({ ...base, sop: `s${n}.1.1`, instanceNumber: 2 }),
      record({ ...base, sop: `s${n}.1.2`, instanceNumber: 1, acquisitionDateTime: "20200101120000+0100" }),
      record({ ...base, sop: `s${n}.1.3`, instanceNumber: 10, acquisitionDateTime: "20200101120000.25" }),
    ];
  });
  records.push(
    record({
      ...patients.mueller,
      ...studies[0]?.[1],
      study: "s0",
      series: "s0.2",
      sop: "s0.2.1",
      modality: "MR",
      sopClass: MR_IMAGE,
      seriesNumber: 2,
    }),
    record({
      ...patients.ivanov,
      ...studies[2]?.[1],
      study: "s2",
      series: "s2.2",
      sop: "s2.2.1",
      modality: "US",
      seriesNumber: 2,
    }),
  );
  index.commitInstances(records);
});
afterAll(() => index.close());

function key(tag: number, value: string | null = null, vr = "LO"): QueryKey {
  return { tag, vr, value };
}

function find(
  level: QueryLevel,
  keys: QueryKey[],
  extra: Partial<FindRequest> = {},
  model: QueryModel = "STUDY_ROOT",
) {
  return index.find({ model, level, keys, ...extra });
}

/** Patient IDs of the STUDY-level matches for one key. */
function studiesOf(match: QueryKey, extra: Partial<FindRequest> = {}): string[] {
  return find("STUDY", [key(Tag.PatientID), match], extra).map((m) => m.get(Tag.PatientID) as string);
}

const pn = (value: string) => key(Tag.PatientName, value, "PN");

function queryError(fn: () => unknown): QueryError {
  try {
    fn();
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error("no QueryError");
}

describe("return keys", () => {
  it("returns exactly the requested keys plus QueryRetrieveLevel, null where there is no value", () => {
    const [match] = find("STUDY", [
      key(Tag.AccessionNumber, "ACC1", "SH"),
      key(Tag.StudyDescription),
      key(0x00091010),
      key(Tag.PatientName, null, "PN"),
      key(Tag.ReferringPhysicianName, null, "PN"),
      key(Tag.SpecificCharacterSet),
    ]);
    expect(match).toEqual(
      new Map<number, string | null>([
        [Tag.AccessionNumber, "ACC1"],
        [Tag.StudyDescription, null],
        [0x00091010, null],
        [Tag.PatientName, "Müller^Jörg"],
        [Tag.ReferringPhysicianName, "Wüst^Karl"],
        [Tag.SpecificCharacterSet, null],
        [Tag.QueryRetrieveLevel, "STUDY"],
      ]),
    );
  });

  it("returns the whole PN with all component groups", () => {
    expect(find("STUDY", [pn("Yamada^Tarou")]).map((m) => m.get(Tag.PatientName))).toEqual([
      "Yamada^Tarou=山田^太郎=やまだ^たろう",
    ]);
  });

  it("answers a sequence key zero-length and lists it as unsupported", () => {
    const sequence: QueryKey = { tag: 0x00101002, vr: "SQ", value: null, items: [[key(Tag.PatientID, "X")]] };
    const matches = find("STUDY", [key(Tag.AccessionNumber, "ACC1"), sequence]);
    expect(matches).toHaveLength(1);
    expect(matches[0]?.get(0x00101002)).toBeNull();
    expect(unsupportedKeys([sequence, key(Tag.PatientName), key(Tag.QueryRetrieveLevel, "STUDY")])).toEqual([
      0x00101002,
    ]);
  });
});

describe("person name matching", () => {
  it("ignores case by default, for non-ASCII names too", () => {
    expect(studiesOf(pn("müller^jörg"))).toEqual(["P1"]);
    expect(studiesOf(pn("MÜLLER*"))).toEqual(["P1", "P2"]);
    expect(studiesOf(pn("иванов^ИВАН"))).toEqual(["P3"]);
    expect(studiesOf(pn("Mu\u0308ller^Jo\u0308rg"))).toEqual(["P1"]);
  });

  it("is case-sensitive when asked", () => {
    expect(studiesOf(pn("müller^jörg"), { caseInsensitivePn: false })).toEqual([]);
    expect(studiesOf(pn("Müller^Jörg"), { caseInsensitivePn: false })).toEqual(["P1"]);
    expect(studiesOf(pn("MÜLLER*"), { caseInsensitivePn: false })).toEqual(["P2"]);
  });

  it("matches the whole name, not a prefix, without wildcards", () => {
    expect(studiesOf(pn("Müller"))).toEqual([]);
    expect(studiesOf(pn("Müller^Jörg^^"))).toEqual(["P1"]);
  });

  it("matches only the alphabetic component group", () => {
    expect(studiesOf(pn("Yamada^Tarou=XXX"))).toEqual(["P8"]);
    expect(studiesOf(pn("=山田^太郎"))).toHaveLength(studies.length);
  });

  it("ignores accents with fuzzy matching", () => {
    expect(studiesOf(pn("Muller^Jorg"))).toEqual([]);
    expect(studiesOf(pn("Muller*"), { fuzzyPn: true })).toEqual(["P1", "P2"]);
    expect(studiesOf(key(Tag.ReferringPhysicianName, "wust^karl", "PN"), { fuzzyPn: true })).toEqual(["P1"]);
  });
});

describe("wildcard matching", () => {
  it("treats ? as exactly one character and * as any run", () => {
    expect(studiesOf(pn("Sm?th*"))).toEqual(["P9", "P10"]);
    expect(studiesOf(pn("Sm?th"))).toEqual([]);
    expect(studiesOf(pn("M?ller^J?rg"))).toEqual(["P1"]);
    expect(studiesOf(pn("*ller^a*"))).toEqual(["P2"]);
    expect(studiesOf(pn("S?th*"))).toEqual([]);
  });

  it("matches SQL metacharacters %, _ and [ literally", () => {
    expect(studiesOf(pn("100%_Sure^Test"))).toEqual(["P4"]);
    expect(studiesOf(pn("100%*"))).toEqual(["P4", "P5"]);
    expect(studiesOf(pn("100_*"))).toEqual([]);
    expect(studiesOf(pn("O[Brien*"))).toEqual(["P7"]);
    expect(studiesOf(pn("o[b*"))).toEqual(["P7"]);
  });

  it("treats a lone * as universal matching, empty names included", () => {
    expect(studiesOf(pn("*"))).toHaveLength(studies.length);
    expect(studiesOf(pn("?*"))).toHaveLength(studies.length - 1);
  });

  it("is case-sensitive for other text", () => {
    expect(studiesOf(key(Tag.AccessionNumber, "ACC1"))).toEqual(["P1"]);
    expect(studiesOf(key(Tag.AccessionNumber, "acc*"))).toEqual(["P5"]);
    expect(studiesOf(key(Tag.AccessionNumber, "ACC1*"))).toEqual(["P1", "P10", "P11"]);
  });

  it("matches any value of a multi-valued attribute", () => {
    expect(studiesOf(key(Tag.OtherPatientIDs, "OLD2"))).toEqual(["P1"]);
    expect(studiesOf(key(Tag.OtherPatientIDs, "OLD*"))).toEqual(["P1"]);
    expect(studiesOf(key(Tag.OtherPatientIDs, "OLD1\\OLD2"))).toEqual(["P1"]);
    expect(studiesOf(key(Tag.OtherPatientIDs, "OLD"))).toEqual([]);
  });
});

describe("range matching", () => {
  const date = (value: string) => key(Tag.StudyDate, value, "DA");
  const time = (value: string) => key(Tag.StudyTime, value, "TM");

  it("matches DA single values and ranges with open ends, never an absent date", () => {
    expect(studiesOf(date("20200101"))).toEqual(["P2"]);
    expect(studiesOf(date("20200101-20201231"))).toEqual(["P2", "P3", "P4"]);
    expect(studiesOf(date("20230304-"))).toEqual(["P10", "P11"]);
    expect(studiesOf(date("-20200101"))).toEqual(["P1", "P2"]);
    expect(studiesOf(date("20201231-20200101"))).toEqual([]);
  });

  it("matches TM ranges with partial values and fractional seconds", () => {
    // P9-P11 carry the fixture's default 120000.
    expect(studiesOf(time("1200-1300"))).toEqual(["P2", "P3", "P4", "P9", "P10", "P11"]);
    expect(studiesOf(time("-0800"))).toEqual(["P7", "P8"]);
    expect(studiesOf(time("123000.4-123000.6"))).toEqual(["P3"]);
    expect(studiesOf(time("123000.6-"))).toEqual(["P4", "P5"]);
    expect(studiesOf(time("1159"))).toEqual(["P1"]);
  });

  it("matches DT ranges in UTC when the value carries an offset", () => {
    const image = (value: string) =>
      find("IMAGE", [
        key(Tag.StudyInstanceUID, "s0"),
        key(Tag.SeriesInstanceUID, "s0.1"),
        key(Tag.SOPInstanceUID),
        key(Tag.AcquisitionDateTime, value, "DT"),
      ]).map((m) => m.get(Tag.SOPInstanceUID));
    expect(image("20200101103000-20200101113000")).toEqual(["s0.1.2"]);
    expect(image("20200101120000.2-20200101120000.3")).toEqual(["s0.1.3"]);
    expect(image("2020")).toEqual(["s0.1.2", "s0.1.3"]);
    expect(image("20200101120000+0100")).toEqual(["s0.1.2"]);
    expect(image("-20200101115959")).toEqual(["s0.1.2"]);
  });

  it("refuses a malformed date with Unable to process", () => {
    const error = queryError(() => studiesOf(date("2020-01-01")));
    expect(error.status).toBe(DimseStatus.UnableToProcess);
    expect(error.status).toBe(0xc000);
  });
});

describe("UID and multiple-value matching", () => {
  it("matches a list of UIDs", () => {
    const matches = find("STUDY", [key(Tag.StudyInstanceUID, "s0\\s2\\nope", "UI")]);
    expect(matches.map((m) => m.get(Tag.StudyInstanceUID))).toEqual(["s0", "s2"]);
  });

  it("matches ModalitiesInStudy when any listed modality is in the study", () => {
    const modalities = (value: string) =>
      find("STUDY", [key(Tag.StudyInstanceUID), key(Tag.ModalitiesInStudy, value, "CS")]).map((m) => [
        m.get(Tag.StudyInstanceUID),
        m.get(Tag.ModalitiesInStudy),
      ]);
    expect(modalities("MR\\US")).toEqual([
      ["s0", "CT\\MR"],
      ["s2", "CT\\US"],
    ]);
    expect(modalities("M*")).toEqual([["s0", "CT\\MR"]]);
    expect(modalities("CT")).toHaveLength(studies.length);
  });

  it("matches SOPClassesInStudy against any class in the study", () => {
    const matches = find("STUDY", [key(Tag.StudyInstanceUID), key(Tag.SOPClassesInStudy, MR_IMAGE, "UI")]);
    expect(matches.map((m) => m.get(Tag.StudyInstanceUID))).toEqual(["s0"]);
  });
});

describe("hierarchy", () => {
  it("refuses keys below the query level with 0xA900", () => {
    expect(queryError(() => find("STUDY", [key(Tag.Modality, "CT")])).status).toBe(0xa900);
    expect(queryError(() => find("PATIENT", [key(Tag.StudyDate)], {}, "PATIENT_ROOT")).status).toBe(
      DimseStatus.IdentifierDoesNotMatchSOPClass,
    );
    expect(
      queryError(() => find("SERIES", [key(Tag.StudyInstanceUID, "s0"), key(Tag.SOPInstanceUID)])).message,
    ).toMatch(/SOPInstanceUID \(0008,0018\) is below the SERIES query level/);
  });

  it("refuses the PATIENT level in Study Root", () => {
    expect(queryError(() => find("PATIENT", [key(Tag.PatientName)])).status).toBe(0xa900);
  });

  it("needs the unique keys of the levels above", () => {
    expect(queryError(() => find("SERIES", [key(Tag.Modality)])).message).toMatch(/needs StudyInstanceUID/);
    expect(queryError(() => find("SERIES", [key(Tag.StudyInstanceUID, "")])).status).toBe(0xa900);
    expect(queryError(() => find("IMAGE", [key(Tag.StudyInstanceUID, "s0")])).message).toMatch(
      /needs SeriesInstanceUID/,
    );
    const patientRoot = () => find("SERIES", [key(Tag.StudyInstanceUID, "s0")], {}, "PATIENT_ROOT");
    expect(queryError(patientRoot).message).toMatch(/needs PatientID/);
  });

  it("answers Patient Root levels", () => {
    const patientsFound = find(
      "PATIENT",
      [pn("M*"), key(Tag.NumberOfPatientRelatedStudies)],
      {},
      "PATIENT_ROOT",
    );
    expect(
      patientsFound.map((m) => [m.get(Tag.PatientName), m.get(Tag.NumberOfPatientRelatedStudies)]),
    ).toEqual([
      ["Müller^Jörg", "1"],
      ["MÜLLER^ANNA", "1"],
    ]);
    const studyLevel = find(
      "STUDY",
      [key(Tag.PatientID, "P1"), key(Tag.StudyInstanceUID)],
      {},
      "PATIENT_ROOT",
    );
    expect(studyLevel.map((m) => m.get(Tag.StudyInstanceUID))).toEqual(["s0"]);
    const series = find(
      "SERIES",
      [key(Tag.PatientID, null), key(Tag.StudyInstanceUID, "s0"), key(Tag.SeriesInstanceUID)],
      {},
      "PATIENT_ROOT",
    );
    expect(series.map((m) => [m.get(Tag.PatientID), m.get(Tag.SeriesInstanceUID)])).toEqual([
      ["P1", "s0.1"],
      ["P1", "s0.2"],
    ]);
  });

  it("returns and matches keys of the levels above alongside their unique keys", () => {
    const keys = (name: string | null) => [
      key(Tag.StudyInstanceUID, "s0"),
      key(Tag.PatientName, name, "PN"),
      key(Tag.StudyDate),
      key(Tag.SeriesInstanceUID),
      key(Tag.Modality),
      key(Tag.NumberOfSeriesRelatedInstances),
    ];
    expect(find("SERIES", keys(null)).map((m) => [...m.values()])).toEqual([
      ["s0", "Müller^Jörg", "20191231", "s0.1", "CT", "3", "SERIES"],
      ["s0", "Müller^Jörg", "20191231", "s0.2", "MR", "1", "SERIES"],
    ]);
    expect(find("SERIES", keys("Smith*"))).toEqual([]);
  });

  it("lists images under one series in instance number order, matching IS numerically", () => {
    const keys = [
      key(Tag.StudyInstanceUID, "s1"),
      key(Tag.SeriesInstanceUID, "s1.1"),
      key(Tag.SOPInstanceUID),
    ];
    const sops = (extra: QueryKey[]) =>
      find("IMAGE", [...keys, ...extra]).map((m) => m.get(Tag.SOPInstanceUID));
    expect(sops([key(Tag.InstanceNumber)])).toEqual(["s1.1.2", "s1.1.1", "s1.1.3"]);
    expect(sops([key(Tag.InstanceNumber, "010", "IS")])).toEqual(["s1.1.3"]);
    expect(queryError(() => sops([key(Tag.InstanceNumber, "1*", "IS")])).status).toBe(0xc000);
  });
});

describe("paging", () => {
  it("applies limit and offset in a stable order", () => {
    const all = find("STUDY", [key(Tag.StudyInstanceUID)]).map((m) => m.get(Tag.StudyInstanceUID));
    const page = find("STUDY", [key(Tag.StudyInstanceUID)], { limit: 3, offset: 2 });
    expect(page.map((m) => m.get(Tag.StudyInstanceUID))).toEqual(all.slice(2, 5));
  });
});

describe("query plans", () => {
  it("uses the indexes for name prefixes, date ranges, accession and parents", () => {
    const plan = (level: QueryLevel, keys: QueryKey[]) =>
      index.explainFind({ model: "STUDY_ROOT", level, keys }).join("\n");
    expect(plan("STUDY", [pn("ABC*")])).toMatch(
      /patients_name_norm \(patient_name_norm>\? AND patient_name_norm<\?\)/,
    );
    expect(plan("STUDY", [key(Tag.StudyDate, "20200101-20200201", "DA")])).toMatch(/studies_date/);
    expect(plan("STUDY", [key(Tag.AccessionNumber, "ACC1")])).toMatch(/studies_accession/);
    expect(plan("SERIES", [key(Tag.StudyInstanceUID, "s0")])).toMatch(/series_study/);
    expect(plan("IMAGE", [key(Tag.StudyInstanceUID, "s0"), key(Tag.SeriesInstanceUID, "s0.1")])).toMatch(
      /instances_series/,
    );
  });
});
