/**
 * QIDO-RS against a node filled by DCMTK storescu: the npm dicomweb-client and plain fetch search it, and
 * every answer is compared with what the generated files hold.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CtSeries } from "../fixtures/ct-series.js";
import type { GeneratedStudies, GeneratedStudy } from "../fixtures/studies.js";
import { cachedCtSeries, cachedStudies } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import {
  type DicomJson,
  type DicomWebClient,
  SECRET,
  dicomWebClient,
  expectProblem,
  first,
  get,
  key,
} from "./dicomweb-support.js";

const MAX_RESULTS = 25;
const CT = { rows: 32, columns: 32, patientName: "Phantom^Qido", patientId: "QIDO-CT-1", seed: "qido-ct" };

let hilum: TestNode;
let base: string;
let client: DicomWebClient;
let generated: GeneratedStudies;
let axial: CtSeries;
let coronal: CtSeries;
/** Every study stored: the generated ones and the CT study. */
let studyCount: number;

beforeAll(async () => {
  hilum = await startTestNode({
    http: { launchSecret: SECRET },
    dicomWeb: { qidoMaxResults: MAX_RESULTS },
  });
  base = `${hilum.node.http.url}/dicom-web`;
  client = dicomWebClient(base);
  generated = await cachedStudies({ count: 40, seed: "qido-web" });
  axial = await cachedCtSeries({
    ...CT,
    slices: 6,
    accessionNumber: "QIDOCT1",
    studyDate: "20240115",
    seriesNumber: 1,
    seriesDescription: "AXIAL",
  });
  coronal = await cachedCtSeries({
    ...CT,
    slices: 3,
    seed: "qido-ct-coronal",
    accessionNumber: "QIDOCT1",
    studyDate: "20240115",
    studyInstanceUid: axial.studyInstanceUid,
    seriesNumber: 2,
    seriesDescription: "CORONAL",
  });
  for (const files of [generated.files, axial.files, coronal.files]) {
    const sent = await storescu(hilum.target, files);
    expect(sent.code, sent.stderr).toBe(0);
  }
  studyCount = generated.studies.length + 1;
});

afterAll(() => hilum?.close());

async function search(path: string, headers: Record<string, string> = {}): Promise<DicomJson[]> {
  const response = await get(`${base}${path}`, headers);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/dicom\+json/);
  return JSON.parse(text) as DicomJson[];
}

/** All results, page by page with limit/offset. */
async function allPages(path: string, pageSize = 10): Promise<DicomJson[]> {
  const out: DicomJson[] = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let offset = 0; ; offset += pageSize) {
    const page = await search(`${path}${sep}limit=${pageSize}&offset=${offset}`);
    out.push(...page);
    if (page.length < pageSize) return out;
  }
}

function uids(results: readonly DicomJson[], keyword = "StudyInstanceUID"): string[] {
  return results.map((r) => String(first(r, keyword))).sort();
}

function personName(name: string): object {
  const [alphabetic = "", ideographic = "", phonetic = ""] = name.split("=");
  return Object.fromEntries(
    [
      ["Alphabetic", alphabetic],
      ["Ideographic", ideographic],
      ["Phonetic", phonetic],
    ].filter(([, v]) => v !== ""),
  );
}

function expectStudy(result: DicomJson, study: GeneratedStudy): void {
  expect(first(result, "PatientName")).toEqual(personName(study.patientName));
  expect(first(result, "PatientID")).toBe(study.patientId);
  expect(first(result, "PatientBirthDate")).toBe(study.patientBirthDate);
  expect(first(result, "PatientSex")).toBe(study.patientSex);
  expect(first(result, "StudyDate")).toBe(study.studyDate);
  expect(first(result, "StudyTime")).toBe(study.studyTime);
  expect(first(result, "AccessionNumber")).toBe(study.accessionNumber);
  expect(first(result, "StudyDescription")).toBe(study.studyDescription);
  expect(result[key("ModalitiesInStudy")]).toEqual({ vr: "CS", Value: [study.modality] });
  if (study.referringPhysicianName === "")
    expect(result[key("ReferringPhysicianName")]).toEqual({ vr: "PN" });
  else expect(first(result, "ReferringPhysicianName")).toEqual(personName(study.referringPhysicianName));
  expect(first(result, "NumberOfStudyRelatedSeries")).toBe(1);
  expect(first(result, "NumberOfStudyRelatedInstances")).toBe(1);
  expect(first(result, "InstanceAvailability")).toBe("ONLINE");
  expect(first(result, "RetrieveURL")).toBe(`${base}/studies/${study.studyInstanceUid}`);
  const ascii = /^[\x20-\x7e]*$/.test(study.patientName);
  expect(result[key("SpecificCharacterSet")]).toEqual(
    ascii ? { vr: "CS" } : { vr: "CS", Value: ["ISO_IR 192"] },
  );
  expect(result[key("QueryRetrieveLevel")]).toBeUndefined();
}

describe("QIDO-RS studies", () => {
  it("dicomweb-client (npm, xhr2 under Node) finds every stored study with the values the files hold", async () => {
    const found: DicomJson[] = [];
    for (let offset = 0; found.length < studyCount; offset += MAX_RESULTS) {
      const page = await client.searchForStudies({ queryParams: { limit: MAX_RESULTS, offset } });
      expect(page.length).toBeGreaterThan(0);
      found.push(...page);
    }
    expect(found).toHaveLength(studyCount);
    const byUid = new Map(found.map((r) => [String(first(r, "StudyInstanceUID")), r]));
    for (const study of generated.studies) {
      const result = byUid.get(study.studyInstanceUid);
      expect(result, study.studyInstanceUid).toBeDefined();
      expectStudy(result as DicomJson, study);
    }
    const ct = byUid.get(axial.studyInstanceUid) as DicomJson;
    expect(first(ct, "NumberOfStudyRelatedSeries")).toBe(2);
    expect(first(ct, "NumberOfStudyRelatedInstances")).toBe(9);
    // Keys come in ascending tag order, as PS3.18 F.2.1.1 asks.
    const keys = Object.keys(ct);
    expect(keys).toEqual([...keys].sort());
  });

  it("matches like C-FIND: wildcards ignoring case, date ranges, lists, tags by number", async () => {
    const studies = generated.studies;
    const cases: Array<[string, (s: GeneratedStudy) => boolean]> = [
      ["PatientName=smi*", (s) => s.patientName.toLowerCase().startsWith("smi")],
      ["PatientName=*AVIS^M*", (s) => /avis\^m/i.test(s.patientName.split("=")[0] ?? "")],
      [`PatientName=${encodeURIComponent("петрова^*")}`, (s) => s.patientName.startsWith("Петрова^")],
      ["StudyDate=20100101-20151231", (s) => s.studyDate >= "20100101" && s.studyDate <= "20151231"],
      ["StudyDate=-20050630", (s) => s.studyDate <= "20050630"],
      ["ModalitiesInStudy=CT,MR", (s) => s.modality === "CT" || s.modality === "MR"],
      [`00100020=${studies[3]?.patientId}`, (s) => s.patientId === studies[3]?.patientId],
      [`AccessionNumber=${studies[5]?.accessionNumber}`, (s) => s === studies[5]],
      [
        `StudyInstanceUID=${studies[1]?.studyInstanceUid},${studies[2]?.studyInstanceUid}`,
        (s) => s === studies[1] || s === studies[2],
      ],
      ["PatientSex=F&ModalitiesInStudy=CT", (s) => s.patientSex === "F" && s.modality === "CT"],
    ];
    for (const [query, keep] of cases) {
      const expected = studies.filter(keep).map((s) => s.studyInstanceUid);
      expect(expected.length, query).toBeGreaterThan(0);
      const got = uids(await allPages(`/studies?${query}`)).filter((uid) => uid !== axial.studyInstanceUid);
      expect(got, query).toEqual(expected.sort());
    }
    const ct = await search(`/studies?PatientID=${CT.patientId}&ModalitiesInStudy=CT`);
    expect(uids(ct)).toEqual([axial.studyInstanceUid]);
  });

  it("fuzzymatching=true ignores accents in person names; without it they count", async () => {
    const accented = generated.studies.find((s) =>
      /[ÀÖÜÉÈÇØÅÑßäöüéèçøåñ]/.test(s.patientName.split("^")[0] ?? ""),
    );
    expect(accented, "the generated studies hold a Latin-1 name").toBeDefined();
    const family = (accented as GeneratedStudy).patientName.split("^")[0] as string;
    const plain = family.normalize("NFD").replace(/\p{M}/gu, "").toUpperCase();
    expect(plain).not.toBe(family.toUpperCase());
    const same = (s: GeneratedStudy) =>
      (s.patientName.split("^")[0] ?? "").normalize("NFD").replace(/\p{M}/gu, "").toUpperCase() === plain;
    const expected = generated.studies
      .filter(same)
      .map((s) => s.studyInstanceUid)
      .sort();
    const q = `PatientName=${encodeURIComponent(`${plain}^*`)}`;
    expect(uids(await search(`/studies?${q}&fuzzymatching=true`))).toEqual(expected);
    const literal = generated.studies.filter(
      (s) => (s.patientName.split("^")[0] ?? "").toUpperCase() === plain,
    );
    expect(uids(await search(`/studies?${q}`))).toEqual(literal.map((s) => s.studyInstanceUid).sort());
  });

  it("includefield adds attributes (by keyword or tag, repeated or comma-separated, or all)", async () => {
    const study = generated.studies[0] as GeneratedStudy;
    const samePatient = generated.studies.filter((s) => s.patientId === study.patientId).length;
    const [one] = await search(
      `/studies?StudyInstanceUID=${study.studyInstanceUid}&includefield=NumberOfPatientRelatedStudies,00080062&includefield=IssuerOfPatientID`,
    );
    expect(first(one as DicomJson, "NumberOfPatientRelatedStudies")).toBe(samePatient);
    expect((one as DicomJson)[key("SOPClassesInStudy")]).toEqual({ vr: "UI", Value: [study.sopClassUid] });
    expect((one as DicomJson)[key("IssuerOfPatientID")]).toEqual({ vr: "LO" });
    const [all] = await search(`/studies/${axial.studyInstanceUid}/series?SeriesNumber=1&includefield=all`);
    expect(first(all as DicomJson, "BodyPartExamined")).toBe("CHEST");
    expect(first(all as DicomJson, "PatientName")).toEqual({ Alphabetic: CT.patientName });
    expect(first(all as DicomJson, "Modality")).toBe("CT");
  });

  it("pages with limit and offset in a stable order, and warns when the server's maximum cuts a result", async () => {
    const full = await allPages("/studies", 7);
    expect(uids(full)).toHaveLength(studyCount);
    expect(new Set(uids(full)).size).toBe(studyCount);
    const again = await allPages("/studies", 11);
    expect(again.map((r) => first(r, "StudyInstanceUID"))).toEqual(
      full.map((r) => first(r, "StudyInstanceUID")),
    );
    const capped = await get(`${base}/studies`);
    expect(((await capped.json()) as unknown[]).length).toBe(MAX_RESULTS);
    expect(capped.headers.get("warning")).toMatch(/^299 .*additional results/);
    const asked = await get(`${base}/studies?limit=10`);
    expect(((await asked.json()) as unknown[]).length).toBe(10);
    expect(asked.headers.get("warning")).toBeNull();
  });

  it("answers an empty result with 200 and []", async () => {
    const response = await get(`${base}/studies?PatientID=NOBODY-AT-ALL`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("[]");
    expect(await client.searchForStudies({ queryParams: { PatientID: "NOBODY-AT-ALL" } })).toEqual([]);
  });
});

describe("QIDO-RS series and instances", () => {
  it("lists a study's series and a series' instances in order, with their retrieve URLs", async () => {
    const series = await client.searchForSeries({ studyInstanceUID: axial.studyInstanceUid });
    expect(series.map((s) => first(s, "SeriesInstanceUID"))).toEqual([
      axial.seriesInstanceUid,
      coronal.seriesInstanceUid,
    ]);
    expect(series.map((s) => first(s, "SeriesDescription"))).toEqual(["AXIAL", "CORONAL"]);
    expect(series.map((s) => first(s, "NumberOfSeriesRelatedInstances"))).toEqual([6, 3]);
    expect(series.map((s) => first(s, "SeriesNumber"))).toEqual([1, 2]);
    expect(first(series[1] as DicomJson, "RetrieveURL")).toBe(
      `${base}/studies/${axial.studyInstanceUid}/series/${coronal.seriesInstanceUid}`,
    );
    const instances = await client.searchForInstances({
      studyInstanceUID: axial.studyInstanceUid,
      seriesInstanceUID: axial.seriesInstanceUid,
    });
    expect(instances.map((i) => first(i, "SOPInstanceUID"))).toEqual(axial.sopInstanceUids);
    expect(instances.map((i) => first(i, "InstanceNumber"))).toEqual([1, 2, 3, 4, 5, 6]);
    const one = instances[0] as DicomJson;
    expect(first(one, "SOPClassUID")).toBe("1.2.840.10008.5.1.4.1.1.2");
    expect(first(one, "Rows")).toBe(CT.rows);
    expect(first(one, "Columns")).toBe(CT.columns);
    expect(first(one, "RetrieveURL")).toBe(
      `${base}/studies/${axial.studyInstanceUid}/series/${axial.seriesInstanceUid}/instances/${axial.sopInstanceUids[0]}`,
    );
    const inStudy = await search(`/studies/${axial.studyInstanceUid}/instances`);
    expect(inStudy.map((i) => first(i, "SOPInstanceUID")).sort()).toEqual(
      [...axial.sopInstanceUids, ...coronal.sopInstanceUids].sort(),
    );
    // Not confined to a series: each instance says which series it is in.
    expect(first(inStudy[0] as DicomJson, "SeriesInstanceUID")).toBeDefined();
    expect(first(inStudy[0] as DicomJson, "Modality")).toBe("CT");
  });

  it("searches series and instances across all studies (relational), with the study's attributes", async () => {
    const mr = await allPages("/series?Modality=MR");
    const expected = generated.studies.filter((s) => s.modality === "MR").map((s) => s.seriesInstanceUid);
    expect(uids(mr, "SeriesInstanceUID")).toEqual(expected.sort());
    const study = generated.studies.find((s) => s.modality === "MR") as GeneratedStudy;
    const row = mr.find((s) => first(s, "SeriesInstanceUID") === study.seriesInstanceUid) as DicomJson;
    expect(first(row, "PatientID")).toBe(study.patientId);
    expect(first(row, "StudyInstanceUID")).toBe(study.studyInstanceUid);
    const [instance, ...rest] = await search(`/instances?SOPInstanceUID=${coronal.sopInstanceUids[1]}`);
    expect(rest).toHaveLength(0);
    expect(first(instance as DicomJson, "PatientName")).toEqual({ Alphabetic: CT.patientName });
    expect(first(instance as DicomJson, "SeriesDescription")).toBe("CORONAL");
    expect(first(instance as DicomJson, "InstanceNumber")).toBe(2);
    const coronalOnly = await search(`/studies/${axial.studyInstanceUid}/series?SeriesDescription=COR*`);
    expect(uids(coronalOnly, "SeriesInstanceUID")).toEqual([coronal.seriesInstanceUid]);
  });

  it("audits each search with the user, the level and the number of matches", async () => {
    await search(`/studies/${axial.studyInstanceUid}/series`);
    const [row] = hilum.node.index.audit.query({ action: "qido", limit: 1 });
    expect(row?.actor).toBe("desktop");
    expect(row?.studyUid).toBe(axial.studyInstanceUid);
    expect(row?.detail).toMatchObject({ level: "SERIES", matches: 2 });
  });
});

describe("QIDO-RS refuses bad requests precisely, and keeps serving", () => {
  it("takes SQL metacharacters as plain data", async () => {
    const before = hilum.node.index.counts();
    for (const value of ["';DROP TABLE studies;--", "x' OR '1'='1", '" OR 1=1 --', "%", "_", "[a-z]*"]) {
      const results = await search(`/studies?PatientName=${encodeURIComponent(value)}`);
      expect(results, value).toEqual([]);
    }
    expect(await search("/studies?PatientName=%27;DROP%20TABLE%20studies;--")).toEqual([]);
    expect(hilum.node.index.counts()).toEqual(before);
    expect(uids(await allPages("/studies"))).toHaveLength(studyCount);
  });

  it("400 for an unknown attribute, includefield or parameter value, naming it", async () => {
    await expectProblem(await get(`${base}/studies?PatientNam=X`), 400, /PatientNam/);
    await expectProblem(await get(`${base}/studies?includefield=NoSuchThing`), 400, /NoSuchThing/);
    await expectProblem(await get(`${base}/studies?includefield=PatientID,Bogus`), 400, /Bogus/);
    await expectProblem(await get(`${base}/studies?limit=-1`), 400, /limit/);
    await expectProblem(await get(`${base}/studies?limit=ten`), 400, /limit/);
    await expectProblem(await get(`${base}/studies?offset=1.5`), 400, /offset/);
    await expectProblem(await get(`${base}/studies?fuzzymatching=maybe`), 400, /fuzzymatching/);
    await expectProblem(await get(`${base}/studies?StudyDate=yesterday`), 400, /StudyDate/);
    await expectProblem(await get(`${base}/studies?Modality=CT`), 400, /below the STUDY/);
    await expectProblem(await get(`${base}/studies?PatientID=A&PatientID=B`), 400, /PatientID/);
    await expectProblem(
      await get(`${base}/studies?ReferencedSeriesSequence.SeriesInstanceUID=1`),
      400,
      /sequence/,
    );
  });

  it("400 for a path segment that is not a UID, before anything is read", async () => {
    await expectProblem(await get(`${base}/studies/1.2.abc/series`), 400, /not a valid UID/);
    await expectProblem(await get(`${base}/studies/..%2F..%2Fetc%2Fpasswd/series`), 400, /not a valid UID/);
    await expectProblem(await get(`${base}/studies/1.2.3/series/1..2/instances`), 400, /Series Instance UID/);
    await expectProblem(await get(`${base}/studies/${"1".repeat(65)}/instances`), 400);
    const unknown = await search(`/studies/1.2.3.4.5/series`);
    expect(unknown).toEqual([]);
  });

  it("406 for a representation other than JSON, 401 without credentials", async () => {
    await expectProblem(await get(`${base}/studies`, { accept: "application/dicom+xml" }), 406);
    await expectProblem(
      await get(`${base}/studies`, { accept: 'multipart/related; type="application/dicom+xml"' }),
      406,
    );
    const json = await get(`${base}/studies?limit=1`, { accept: "application/json" });
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    await expectProblem(await fetch(`${base}/studies`), 401);
    await expectProblem(await fetch(`${base}/studies`, { headers: { authorization: "Bearer wrong" } }), 401);
    expect((await search("/studies?limit=1")).length).toBe(1);
  });
});
