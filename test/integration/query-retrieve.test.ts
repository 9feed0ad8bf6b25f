import { mkdtempSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CtSeries } from "../fixtures/ct-series.js";
import { fileDataset } from "../support/archive.js";
import { type DumpedDataset, dcmdump } from "../support/dcmdump.js";
import { cachedCtSeries, cachedStudies } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import {
  type QueryKeys,
  type QueryLevel,
  type StorescpPeer,
  findscu,
  getscu,
  movescu,
  startStorescp,
  storescu,
} from "../support/peers.js";
import { type DimseResponse, dimseResponses, finalResponse, isPending } from "./dimse-log.js";
import { type QueryCharset, findscuWithFiles, writeQueryFile } from "./query-files.js";

const Status = {
  Success: 0x0000,
  Cancel: 0xfe00,
  IdentifierDoesNotMatchSopClass: 0xa900,
  MoveDestinationUnknown: 0xa801,
  OutOfResourcesSubOperations: 0xa702,
} as const;

const CHARSET_FILES = "/usr/lib/python3/dist-packages/pydicom/data/charset_files";
/** Names stored in ISO_IR 144 (Cyrillic), ISO_IR 100 (Latin-1), ISO_IR 126 (Greek), and UTF-8 with an ideographic group. */
const CHARSET_NAMES = ["chrRuss.dcm", "chrGerm.dcm", "chrFren.dcm", "chrGreek.dcm", "chrX1.dcm"];

/** One CT study of two series (30 axial + 10 coronal slices) beside the 200 single-instance studies. */
const CT = {
  patientName: "Phantom^Query",
  patientId: "QR-CT-0001",
  studyDate: "20240115",
  accessionNumber: "QRCT0001",
  rows: 64,
  columns: 64,
};

const UNIQUE_KEY: Record<QueryLevel, string> = {
  PATIENT: "PatientID",
  STUDY: "StudyInstanceUID",
  SERIES: "SeriesInstanceUID",
  IMAGE: "SOPInstanceUID",
};

/** What was sent, one dataset per instance (dcmdump of the sent files, text in UTF-8). */
let sent: DumpedDataset[];
const sentFileOf = new Map<string, string>();

/** The entities of a level, by unique key, each with the sent instances below it. */
function entitiesAt(level: QueryLevel): Map<string, DumpedDataset[]> {
  const entities = new Map<string, DumpedDataset[]>();
  for (const instance of sent) {
    const key = instance[UNIQUE_KEY[level]] ?? "";
    entities.set(key, [...(entities.get(key) ?? []), instance]);
  }
  return entities;
}

function distinct(instances: readonly DumpedDataset[], keyword: string): string[] {
  return [...new Set(instances.map((instance) => instance[keyword] ?? ""))];
}

/** What an SCP must return for `keyword` of an entity, derived from what was sent. */
function expectedValue(level: QueryLevel, instances: readonly DumpedDataset[], keyword: string): string {
  switch (keyword) {
    case "QueryRetrieveLevel":
      return level;
    case "NumberOfPatientRelatedStudies":
      return String(distinct(instances, "StudyInstanceUID").length);
    case "NumberOfStudyRelatedSeries":
      return String(distinct(instances, "SeriesInstanceUID").length);
    case "NumberOfStudyRelatedInstances":
    case "NumberOfSeriesRelatedInstances":
      return String(instances.length);
    case "ModalitiesInStudy":
      return distinct(instances, "Modality").join("\\");
    default:
      return instances[0]?.[keyword] ?? "";
  }
}

/** The alphabetic component group of a person name: what PN matching compares. */
function alphabetic(name: string | undefined): string {
  return (name ?? "").split("=")[0] ?? "";
}

interface ExpectedQuery {
  level: QueryLevel;
  /** The identifier's keys, the level's unique key among them. */
  keys: QueryKeys;
  /** Which entities of the level match, judged on what was sent: their first instance, and all of them. */
  matches: (first: DumpedDataset, instances: readonly DumpedDataset[]) => boolean;
}

/**
 * Checks C-FIND answers against what was sent: exactly the matching entities, once each, every one with
 * exactly the requested keys (Specific Character Set aside) and the values sent. Returns the match count.
 */
function expectAnswers(responses: readonly DumpedDataset[], query: ExpectedQuery): number {
  const entities = entitiesAt(query.level);
  const uniqueKey = UNIQUE_KEY[query.level];
  const expected = [...entities].filter(([, instances]) => query.matches(instances[0] ?? {}, instances));
  expect(responses.map((response) => response[uniqueKey]).sort()).toEqual(
    expected.map(([uid]) => uid).sort(),
  );
  const returnKeys = [...Object.keys(query.keys), "QueryRetrieveLevel"].sort();
  for (const response of responses) {
    expect(
      Object.keys(response)
        .filter((key) => key !== "SpecificCharacterSet")
        .sort(),
    ).toEqual(returnKeys);
    const instances = entities.get(response[uniqueKey] ?? "") ?? [];
    for (const key of returnKeys) {
      expect(response[key], `${key} of ${response[uniqueKey]}`).toBe(
        expectedValue(query.level, instances, key),
      );
    }
  }
  return expected.length;
}

let hilum: TestNode;
let storescp: StorescpPeer;
let offline: StorescpPeer;
let work: string;
let axial: CtSeries;
let coronal: CtSeries;
let studyCount: number;

beforeAll(async () => {
  work = mkdtempSync(join(inject("scratchRoot"), "query-retrieve-"));
  const studies = await cachedStudies({ count: 200, seed: "query-retrieve" });
  axial = await cachedCtSeries({ ...CT, slices: 30, seed: "qr-axial", seriesDescription: "AXIAL" });
  coronal = await cachedCtSeries({
    ...CT,
    slices: 10,
    seed: "qr-coronal",
    studyInstanceUid: axial.studyInstanceUid,
    seriesNumber: 2,
    seriesDescription: "CORONAL",
  });
  storescp = await startStorescp();
  offline = await startStorescp({ aeTitle: "OFFLINE" });
  hilum = await startTestNode({
    dataDir: join(work, "node"),
    peers: [storescp, offline].map(({ aeTitle, host, port }) => ({ aeTitle, host, port })),
  });
  const charsetFiles = CHARSET_NAMES.map((name) => join(CHARSET_FILES, name));
  const files = [...studies.files, ...axial.files, ...coronal.files, ...charsetFiles];
  for (const batch of [studies.files, [...axial.files, ...coronal.files], charsetFiles]) {
    const result = await storescu(hilum.target, batch);
    expect(result.code, result.stderr).toBe(0);
  }
  sent = await dcmdump(files);
  files.forEach((file, i) => sentFileOf.set(sent[i]?.SOPInstanceUID ?? "", file));
  studyCount = entitiesAt("STUDY").size;
});

afterAll(async () => {
  await hilum?.close();
  await storescp?.stop();
  await offline?.stop();
});

/** findscu with -k keys; the final status must be Success. */
async function find(model: "patient" | "study", query: ExpectedQuery): Promise<number> {
  const result = await findscu(hilum.target, { model, ...query, extraArgs: ["-d"] });
  expect(finalResponse(dimseResponses(result.stderr, "C-FIND RSP")).status).toBe(Status.Success);
  return expectAnswers(result.responses, query);
}

describe("C-FIND SCP, Study Root, driven by findscu", () => {
  it("answers universal matching at STUDY level with every study and exactly the keys asked for", async () => {
    const keys = [
      "StudyInstanceUID",
      "PatientName",
      "PatientID",
      "PatientBirthDate",
      "PatientSex",
      "StudyDate",
      "StudyTime",
      "AccessionNumber",
      "StudyDescription",
      "ReferringPhysicianName",
      "ModalitiesInStudy",
      "NumberOfStudyRelatedSeries",
      "NumberOfStudyRelatedInstances",
    ];
    const matched = await find("study", {
      level: "STUDY",
      keys: Object.fromEntries(keys.map((key) => [key, ""])),
      matches: () => true,
    });
    expect(matched).toBe(studyCount);
  });

  it.each([
    ["m?ller^*", /^m.ller\^/i],
    ["M?LLER^J*", /^m.ller\^j/i],
    ["*son^*", /son\^/i],
    ["wang^xiaodong", /^wang\^xiaodong$/i],
    ["*", /.*/],
  ])("matches PatientName %s (wildcards, case-insensitive)", async (name, pattern) => {
    const matched = await find("study", {
      level: "STUDY",
      keys: { StudyInstanceUID: "", PatientName: name },
      matches: (study) => pattern.test(alphabetic(study.PatientName)),
    });
    expect(matched).toBeGreaterThan(0);
  });

  it.each([
    ["20100101-20151231", (date: string) => date >= "20100101" && date <= "20151231"],
    ["-20051231", (date: string) => date !== "" && date <= "20051231"],
    ["20200101-", (date: string) => date >= "20200101"],
    [CT.studyDate, (date: string) => date === CT.studyDate],
  ])("matches StudyDate %s", async (range, inRange) => {
    const matched = await find("study", {
      level: "STUDY",
      keys: { StudyInstanceUID: "", StudyDate: range, PatientName: "" },
      matches: (study) => inRange(study.StudyDate ?? ""),
    });
    expect(matched).toBeGreaterThan(0);
    expect(matched).toBeLessThan(studyCount);
  });

  it("matches a StudyTime range", async () => {
    const matched = await find("study", {
      level: "STUDY",
      keys: { StudyInstanceUID: "", StudyTime: "080000-115959" },
      matches: (study) => (study.StudyTime ?? "") >= "080000" && (study.StudyTime ?? "") <= "115959",
    });
    expect(matched).toBeGreaterThan(0);
    expect(matched).toBeLessThan(studyCount);
  });

  it("matches a list of StudyInstanceUIDs, ignoring one it does not hold", async () => {
    const uids = [sent[3]?.StudyInstanceUID, sent[150]?.StudyInstanceUID, axial.studyInstanceUid];
    const matched = await find("study", {
      level: "STUDY",
      keys: { StudyInstanceUID: [...uids, "1.2.826.0.1.3680043.2.1143.404"].join("\\"), StudyDate: "" },
      matches: (study) => uids.includes(study.StudyInstanceUID),
    });
    expect(matched).toBe(3);
  });

  it.each([
    ["MR\\US", ["MR", "US"]],
    ["CT", ["CT"]],
  ])("matches ModalitiesInStudy %s", async (value, modalities) => {
    const matched = await find("study", {
      level: "STUDY",
      keys: { StudyInstanceUID: "", ModalitiesInStudy: value },
      matches: (_, instances) => instances.some((instance) => modalities.includes(instance.Modality ?? "")),
    });
    expect(matched).toBeGreaterThan(0);
  });

  it.each([
    {
      keyword: "AccessionNumber",
      label: "single value",
      value: () => sent[42]?.AccessionNumber ?? "",
      matches: (value: string) => value === sent[42]?.AccessionNumber,
    },
    {
      keyword: "AccessionNumber",
      label: "*00015?",
      value: () => "*00015?",
      matches: (value: string) => /00015.$/.test(value),
    },
    {
      keyword: "PatientID",
      label: "single value",
      value: () => CT.patientId,
      matches: (value: string) => value === CT.patientId,
    },
    {
      keyword: "StudyDescription",
      label: "CT*",
      value: () => "CT*",
      matches: (value: string) => value.startsWith("CT"),
    },
  ])("matches $keyword $label", async ({ keyword, value, matches }) => {
    const matched = await find("study", {
      level: "STUDY",
      keys: { StudyInstanceUID: "", AccessionNumber: "", [keyword]: value() },
      matches: (study) => matches(study[keyword] ?? ""),
    });
    expect(matched).toBeGreaterThan(0);
    expect(matched).toBeLessThan(studyCount);
  });

  it("ANDs several keys", async () => {
    const matched = await find("study", {
      level: "STUDY",
      keys: { StudyInstanceUID: "", PatientSex: "F", StudyDate: "20100101-", ModalitiesInStudy: "CT" },
      matches: (study, instances) =>
        study.PatientSex === "F" &&
        (study.StudyDate ?? "") >= "20100101" &&
        instances.some((instance) => instance.Modality === "CT"),
    });
    expect(matched).toBeGreaterThan(0);
  });

  it("answers SERIES level within a study, with series attributes and counts", async () => {
    const keys = { StudyInstanceUID: axial.studyInstanceUid, SeriesInstanceUID: "", Modality: "" };
    const inStudy = (series: DumpedDataset) => series.StudyInstanceUID === axial.studyInstanceUid;
    const all = {
      ...keys,
      SeriesNumber: "",
      SeriesDescription: "",
      BodyPartExamined: "",
      NumberOfSeriesRelatedInstances: "",
    };
    expect(await find("study", { level: "SERIES", keys: all, matches: inStudy })).toBe(2);
    const coronalOnly = { ...keys, SeriesDescription: "COR*" };
    const isCoronal = (series: DumpedDataset) => series.SeriesInstanceUID === coronal.seriesInstanceUid;
    expect(await find("study", { level: "SERIES", keys: coronalOnly, matches: isCoronal })).toBe(1);
    expect(
      await find("study", { level: "SERIES", keys: { ...keys, Modality: "MR" }, matches: () => false }),
    ).toBe(0);
  });

  it("answers IMAGE level within a series: all, a SOPInstanceUID list, an InstanceNumber", async () => {
    const keys = {
      StudyInstanceUID: axial.studyInstanceUid,
      SeriesInstanceUID: axial.seriesInstanceUid,
      SOPInstanceUID: "",
      SOPClassUID: "",
      InstanceNumber: "",
    };
    const inSeries = (image: DumpedDataset) => image.SeriesInstanceUID === axial.seriesInstanceUid;
    expect(await find("study", { level: "IMAGE", keys, matches: inSeries })).toBe(30);
    const picked = [0, 14, 29].map((i) => axial.sopInstanceUids[i] ?? "");
    const list = { ...keys, SOPInstanceUID: picked.join("\\") };
    expect(
      await find("study", {
        level: "IMAGE",
        keys: list,
        matches: (i) => picked.includes(i.SOPInstanceUID ?? ""),
      }),
    ).toBe(3);
    const seventh = { ...keys, InstanceNumber: "7" };
    expect(
      await find("study", {
        level: "IMAGE",
        keys: seventh,
        matches: (i) => inSeries(i) && i.InstanceNumber === "7",
      }),
    ).toBe(1);
  });
});

describe("C-FIND SCP, Patient Root, driven by findscu", () => {
  const patientKeys = {
    PatientID: "",
    PatientName: "",
    PatientBirthDate: "",
    PatientSex: "",
    NumberOfPatientRelatedStudies: "",
  };

  it("answers universal matching at PATIENT level with every patient and their study counts", async () => {
    const matched = await find("patient", { level: "PATIENT", keys: patientKeys, matches: () => true });
    expect(matched).toBe(entitiesAt("PATIENT").size);
  });

  it("matches PATIENT level on a name wildcard, a birth date range and the sex together", async () => {
    const matched = await find("patient", {
      level: "PATIENT",
      keys: { ...patientKeys, PatientName: "*SON^*", PatientBirthDate: "-19791231", PatientSex: "M" },
      matches: (patient) =>
        /son\^/i.test(alphabetic(patient.PatientName)) &&
        (patient.PatientBirthDate ?? "") !== "" &&
        (patient.PatientBirthDate ?? "") <= "19791231" &&
        patient.PatientSex === "M",
    });
    expect(matched).toBeGreaterThan(0);
  });

  it("answers STUDY, SERIES and IMAGE levels below a patient", async () => {
    const patientId = sent[7]?.PatientID ?? "";
    const ofPatient = (study: DumpedDataset) => study.PatientID === patientId;
    const studyKeys = {
      PatientID: patientId,
      StudyInstanceUID: "",
      StudyDate: "",
      NumberOfStudyRelatedInstances: "",
    };
    expect(await find("patient", { level: "STUDY", keys: studyKeys, matches: ofPatient })).toBeGreaterThan(0);
    const ct = { PatientID: CT.patientId, StudyInstanceUID: axial.studyInstanceUid };
    const seriesKeys = { ...ct, SeriesInstanceUID: "", Modality: "", NumberOfSeriesRelatedInstances: "" };
    const inCtStudy = (series: DumpedDataset) => series.StudyInstanceUID === axial.studyInstanceUid;
    expect(await find("patient", { level: "SERIES", keys: seriesKeys, matches: inCtStudy })).toBe(2);
    const imageKeys = {
      ...ct,
      SeriesInstanceUID: coronal.seriesInstanceUid,
      SOPInstanceUID: "",
      InstanceNumber: "",
    };
    const inCoronal = (image: DumpedDataset) => image.SeriesInstanceUID === coronal.seriesInstanceUid;
    expect(await find("patient", { level: "IMAGE", keys: imageKeys, matches: inCoronal })).toBe(10);
  });
});

describe("C-FIND SCP refusals, as findscu sees them", () => {
  it.each([
    ["a SERIES key at STUDY level", "study", "STUDY", { StudyInstanceUID: "", Modality: "" }, /Modality/],
    ["a STUDY key at PATIENT level", "patient", "PATIENT", { PatientID: "", StudyDate: "" }, /StudyDate/],
    ["no QueryRetrieveLevel", "study", undefined, { StudyInstanceUID: "", PatientName: "" }, /Level/],
    ["PATIENT level in Study Root", "study", "PATIENT", { PatientID: "" }, /PATIENT/],
    [
      "SERIES level without the StudyInstanceUID",
      "study",
      "SERIES",
      { SeriesInstanceUID: "" },
      /StudyInstanceUID/,
    ],
  ] as const)("refuses %s with A900 and says why", async (_, model, level, keys, why) => {
    const result = await findscu(hilum.target, { model, level, keys, extraArgs: ["-d"] });
    const responses = dimseResponses(result.stderr, "C-FIND RSP");
    expect(responses).toHaveLength(1);
    expect(finalResponse(responses).status).toBe(Status.IdentifierDoesNotMatchSopClass);
    expect(finalResponse(responses).errorComment).toMatch(why);
    expect(result.responses).toEqual([]);
  });
});

describe("C-FIND SCP character sets", () => {
  let queryCount = 0;
  const queryFile = (charset: QueryCharset, keys: QueryKeys) =>
    writeQueryFile(join(work, `charset-query-${++queryCount}.dcm`), { level: "STUDY", charset, keys });

  it.each([
    { charset: "ISO_IR 100", name: "Weiß*", pattern: /^weiß/iu, answeredIn: "ISO_IR 100" },
    { charset: "ISO_IR 100", name: "*JÜRGEN", pattern: /jürgen$/iu, answeredIn: "ISO_IR 100" },
    { charset: "ISO_IR 100", name: "buc^jérôme", pattern: /^buc\^jérôme$/iu, answeredIn: "ISO_IR 100" },
    { charset: "ISO_IR 192", name: "ÄNEAS^RÜDIGER", pattern: /^äneas\^rüdiger$/iu, answeredIn: "ISO_IR 192" },
    { charset: "ISO_IR 144", name: "Люкceмбypг", pattern: /^люкceмбypг$/iu, answeredIn: "ISO_IR 144" },
    { charset: "ISO_IR 144", name: "ИВАНОВ*", pattern: /^иванов/iu, answeredIn: "ISO_IR 144" },
    { charset: "ISO_IR 192", name: "люк*", pattern: /^люк/iu, answeredIn: "ISO_IR 192" },
    { charset: "ISO_IR 192", name: "Διονυσιος", pattern: /^διονυσιος$/iu, answeredIn: "ISO_IR 192" },
    { charset: "ISO_IR 192", name: "ΠΑΠΑΔΌΠΟΥΛΟΣ^*", pattern: /^παπαδόπουλος\^/iu, answeredIn: "ISO_IR 192" },
    { charset: "ISO_IR 192", name: "山田*", pattern: /^山田/u, answeredIn: "ISO_IR 192" },
  ] as const)(
    "matches PatientName $name sent in $charset, answering in $answeredIn",
    async ({ charset, name, pattern, answeredIn }) => {
      const keys = { StudyInstanceUID: "", PatientName: name, PatientID: "" };
      const result = await findscuWithFiles(hilum.target, "study", [await queryFile(charset, keys)], {
        extraArgs: ["-d"],
      });
      expect(finalResponse(dimseResponses(result.stderr, "C-FIND RSP")).status).toBe(Status.Success);
      const matched = expectAnswers(result.responses, {
        level: "STUDY",
        keys,
        matches: (study) => pattern.test(alphabetic(study.PatientName)),
      });
      expect(matched).toBeGreaterThan(0);
      expect(new Set(result.characterSets)).toEqual(new Set([answeredIn]));
    },
  );

  it("answers in UTF-8 when a name does not fit the query's character set", async () => {
    const keys = { StudyInstanceUID: "", PatientID: "SCSRUSS", PatientName: "" };
    const result = await findscuWithFiles(hilum.target, "study", [await queryFile("ISO_IR 100", keys)]);
    expect(result.responses.map((response) => response.PatientName)).toEqual(["Люкceмбypг"]);
    expect(result.characterSets).toEqual(["ISO_IR 192"]);
  });

  it("matches UTF-8 text given to findscu with -k", async () => {
    const keys = { StudyInstanceUID: "", PatientName: "иванов*" };
    const result = await findscu(hilum.target, {
      model: "study",
      level: "STUDY",
      keys: { SpecificCharacterSet: "ISO_IR 192", ...keys },
    });
    const matches = (study: DumpedDataset) => /^иванов/iu.test(alphabetic(study.PatientName));
    expect(expectAnswers(result.responses, { level: "STUDY", keys, matches })).toBeGreaterThan(0);
  });
});

describe("C-CANCEL of a C-FIND", () => {
  /**
   * findscu cancels after the first response while Hilum still has the other 205 to send. The cancel races
   * the last of them, and a C-FIND that sent everything before it could read the cancel rightly ends with
   * Success; so this tries up to three times: every try ends cancelled or complete, and one is cancelled.
   */
  it("stops a long C-FIND with status FE00, and the association answers the next query", async () => {
    const all = await writeQueryFile(join(work, "cancel-all.dcm"), {
      level: "STUDY",
      keys: { StudyInstanceUID: "" },
    });
    const ct = await writeQueryFile(join(work, "cancel-ct.dcm"), {
      level: "STUDY",
      keys: { StudyInstanceUID: "", PatientID: CT.patientId },
    });
    const outcomes: string[] = [];
    while (outcomes.length < 3 && !outcomes.includes("cancelled")) {
      const result = await findscuWithFiles(hilum.target, "study", [all, ct], {
        extraArgs: ["-d", "--cancel", "1"],
      });
      const responses = dimseResponses(result.stderr, "C-FIND RSP");
      const first = responses.filter((response) => response.respondingTo === 1);
      const pending = first.filter((response) => isPending(response.status)).length;
      const { status } = finalResponse(first);
      if (status === Status.Cancel) expect(pending).toBeLessThan(studyCount);
      else expect({ status, pending }).toEqual({ status: Status.Success, pending: studyCount });
      outcomes.push(status === Status.Cancel ? "cancelled" : "completed");
      const next = responses.filter((response) => response.respondingTo === 2);
      expect(next.map((response) => response.status)).toEqual([0xff00, Status.Success]);
      expect(result.responses.at(-1)?.StudyInstanceUID).toBe(axial.studyInstanceUid);
    }
    expect(outcomes).toContain("cancelled");
  });
});

/** storescp and getscu name a received file `<modality>.<SOPInstanceUID>`. */
function receivedUid(file: string): string {
  return basename(file).replace(/^[A-Z]+\./, "");
}

/** The received files are exactly the instances named, each with the very dataset that was sent. */
function expectSameDatasets(received: readonly string[], sopInstanceUids: readonly string[]): void {
  expect(received.map(receivedUid).sort()).toEqual([...sopInstanceUids].sort());
  for (const file of received) {
    const original = sentFileOf.get(receivedUid(file)) ?? "";
    expect(fileDataset(file).equals(fileDataset(original)), receivedUid(file)).toBe(true);
  }
}

/** Pending responses count down consistently, and the final one is Success with every sub-operation done. */
function expectSubOperations(responses: readonly DimseResponse[], total: number): void {
  const pending = responses.filter((response) => isPending(response.status));
  expect(pending.length).toBeGreaterThan(0);
  for (const [i, response] of pending.entries()) {
    const { remaining = 0, completed = 0, failed = 0, warning = 0 } = response;
    expect(remaining + completed + failed + warning).toBe(total);
    expect(failed + warning).toBe(0);
    if (i > 0) expect(remaining).toBeLessThan(pending[i - 1]?.remaining ?? 0);
  }
  expect(finalResponse(responses)).toMatchObject({
    status: Status.Success,
    completed: total,
    failed: 0,
    warning: 0,
  });
}

const retrieves = [
  {
    what: "a study (Study Root, STUDY)",
    model: "study",
    level: "STUDY",
    keys: () => ({ StudyInstanceUID: axial.studyInstanceUid }),
    uids: () => [...axial.sopInstanceUids, ...coronal.sopInstanceUids],
  },
  {
    what: "a series (Study Root, SERIES)",
    model: "study",
    level: "SERIES",
    keys: () => ({ StudyInstanceUID: axial.studyInstanceUid, SeriesInstanceUID: coronal.seriesInstanceUid }),
    uids: () => coronal.sopInstanceUids,
  },
  {
    what: "a patient (Patient Root, PATIENT)",
    model: "patient",
    level: "PATIENT",
    keys: () => ({ PatientID: CT.patientId }),
    uids: () => [...axial.sopInstanceUids, ...coronal.sopInstanceUids],
  },
] as const;

describe("C-MOVE SCP, driven by movescu to a DCMTK storescp", () => {
  const clearReceived = () => storescp.files().forEach((file) => rmSync(file));

  it.each(retrieves)(
    "moves $what byte for byte, counting sub-operations",
    async ({ model, level, keys, uids }) => {
      clearReceived();
      const result = await movescu(hilum.target, {
        model,
        level,
        keys: keys(),
        destination: storescp.aeTitle,
        extraArgs: ["-d"],
      });
      expect(result.code, result.stderr).toBe(0);
      expectSubOperations(dimseResponses(result.stderr, "C-MOVE RSP"), uids().length);
      expectSameDatasets(storescp.files(), uids());
    },
  );

  it("refuses an unknown destination with A801", async () => {
    clearReceived();
    const result = await movescu(hilum.target, {
      level: "STUDY",
      keys: { StudyInstanceUID: axial.studyInstanceUid },
      destination: "NOSUCHAE",
      extraArgs: ["-d"],
    });
    const responses = dimseResponses(result.stderr, "C-MOVE RSP");
    expect(responses).toHaveLength(1);
    expect(finalResponse(responses).status).toBe(Status.MoveDestinationUnknown);
    expect(result.stderr).toContain("MoveDestinationUnknown");
    expect(storescp.files()).toEqual([]);
  });

  it("reports every sub-operation failed, and which, when the destination is down", async () => {
    await offline.stop();
    const uids = [...axial.sopInstanceUids, ...coronal.sopInstanceUids];
    const result = await movescu(hilum.target, {
      level: "STUDY",
      keys: { StudyInstanceUID: axial.studyInstanceUid },
      destination: offline.aeTitle,
      extraArgs: ["-d"],
    });
    const final = finalResponse(dimseResponses(result.stderr, "C-MOVE RSP"));
    expect(final).toMatchObject({
      status: Status.OutOfResourcesSubOperations,
      completed: 0,
      failed: uids.length,
      warning: 0,
    });
    expect([...(final.failedSopInstanceUids ?? [])].sort()).toEqual([...uids].sort());
  });
});

describe("C-GET SCP, driven by getscu", () => {
  it.each(retrieves)(
    "gets $what byte for byte, counting sub-operations",
    async ({ model, level, keys, uids }) => {
      const outDir = mkdtempSync(join(work, "get-"));
      const result = await getscu(hilum.target, { model, level, keys: keys(), outDir, extraArgs: ["-d"] });
      expect(result.code, result.stderr).toBe(0);
      expectSubOperations(dimseResponses(result.stderr, "C-GET RSP"), uids().length);
      expectSameDatasets(result.files, uids());
    },
  );
});

describe("Audit of queries and retrieves", () => {
  it("records each C-FIND, C-MOVE and C-GET with the calling AE", async () => {
    const series = { StudyInstanceUID: axial.studyInstanceUid, SeriesInstanceUID: coronal.seriesInstanceUid };
    await findscu(hilum.target, {
      model: "study",
      level: "STUDY",
      keys: { StudyInstanceUID: "" },
      callingAe: "AUDIT_FIND",
    });
    await movescu(hilum.target, {
      level: "SERIES",
      keys: series,
      destination: storescp.aeTitle,
      callingAe: "AUDIT_MOVE",
    });
    await getscu(hilum.target, {
      level: "SERIES",
      keys: series,
      outDir: mkdtempSync(join(work, "audit-get-")),
      callingAe: "AUDIT_GET",
    });
    const audit = (action: string, actor: string) => hilum.node.index.audit.query({ action, actor });
    expect(audit("query", "AUDIT_FIND")).toEqual([
      expect.objectContaining({
        actorType: "ae",
        outcome: "success",
        detail: expect.objectContaining({ matches: studyCount }),
      }),
    ]);
    const retrieved = expect.objectContaining({
      actorType: "ae",
      outcome: "success",
      studyUid: axial.studyInstanceUid,
    });
    expect(audit("retrieve-move", "AUDIT_MOVE")).toEqual([retrieved]);
    expect(audit("retrieve-get", "AUDIT_GET")).toEqual([retrieved]);
    expect(audit("retrieve-move", "AUDIT_MOVE")[0]?.detail).toMatchObject({
      destination: storescp.aeTitle,
      completed: 10,
    });
  });
});
