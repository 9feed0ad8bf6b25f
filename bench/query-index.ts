/**
 * C-FIND index benchmark: fills an index with synthetic studies through commitInstances, then times the
 * queries a study browser and a C-FIND SCP issue most. Prints figures and query plans; compares nothing.
 *
 *   npx tsx bench/query-index.ts [studies=10000] [seriesPerStudy=4] [instancesPerSeries=25]
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tag } from "../electron/pacs/db/attributes.js";
import { openIndex, type Index } from "../electron/pacs/db/database.js";
import type { FindRequest, QueryKey, QueryLevel } from "../electron/pacs/db/query.js";
import type { InstanceRecord } from "../electron/pacs/db/records.js";

const [studyCount = 10_000, seriesPerStudy = 4, instancesPerSeries = 25] = process.argv.slice(2).map(Number);
const ROOT = "1.2.826.0.1.3680043.10.543";
const PREFIXES = Array.from({ length: 200 }, (_, k) => `${letter(k)}${letter(k / 26)}${letter(k * 7)}`);
const MODALITIES = ["CT", "MR", "CR", "US", "DX", "MG", "PT", "NM"];
const SOP_CLASS: Record<string, string> = {
  CT: "1.2.840.10008.5.1.4.1.1.2",
  MR: "1.2.840.10008.5.1.4.1.1.4",
};
const DAY_MS = 86_400_000;
const FIRST_DAY = Date.UTC(2015, 0, 1);
const ITERATIONS = 50;

function letter(n: number): string {
  return String.fromCharCode(65 + (Math.floor(n) % 26));
}

/** Deterministic, so every run indexes the same data. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const random = prng(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const da = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");

/** About 60% of the studies belong to a patient of their own, the rest to returning patients. */
const patientCount = Math.ceil(studyCount * 0.6);

function patientOf(study: number): number {
  return study < patientCount ? study : Math.floor(random() * patientCount);
}

function patientName(patient: number): string {
  const suffix = Array.from({ length: 5 }, () => letter(random() * 26)).join("");
  return `${PREFIXES[patient % PREFIXES.length]}${suffix}^${pick(["ANNA", "JÖRG", "MARIE", "IVAN", "LI"])}`;
}

function studyRecords(study: number, names: Map<number, string>): InstanceRecord[] {
  const patient = patientOf(study);
  const name = names.get(patient) ?? patientName(patient);
  names.set(patient, name);
  const studyUid = `${ROOT}.${study}`;
  const studyDate = da(FIRST_DAY + Math.floor(random() * 3650) * DAY_MS);
  const primary = pick(MODALITIES);
  const records: InstanceRecord[] = [];
  for (let s = 1; s <= seriesPerStudy; s++) {
    const modality = s === seriesPerStudy && random() < 0.3 ? "SR" : primary;
    const seriesUid = `${studyUid}.${s}`;
    for (let k = 1; k <= instancesPerSeries; k++) {
      const sopUid = `${seriesUid}.${k}`;
      const sha256 = createHash("sha256").update(sopUid).digest("hex");
      records.push({
        patient: {
          patientId: `PID${patient}`,
          issuerOfPatientId: "HILUM",
          patientName: name,
          patientBirthDate: da(Date.UTC(1940, 0, 1) + (patient % 20_000) * DAY_MS),
          patientBirthTime: null,
          patientSex: patient % 2 ? "F" : "M",
          otherPatientIds: null,
        },
        study: {
          studyInstanceUid: studyUid,
          studyDate,
          studyTime: `${String(7 + (study % 12)).padStart(2, "0")}1500`,
          accessionNumber: `ACC${study}`,
          referringPhysicianName: "Referrer^Rita",
          studyDescription: `${primary} ${pick(["HEAD", "CHEST", "ABDOMEN", "KNEE"])}`,
          studyId: String(study),
        },
        series: {
          seriesInstanceUid: seriesUid,
          modality,
          seriesNumber: s,
          seriesDescription: `Series ${s}`,
          bodyPartExamined: "CHEST",
          seriesDate: studyDate,
          seriesTime: "101500",
          performedProcedureStepStartDate: studyDate,
          performedProcedureStepStartTime: "101000",
          stationName: `${primary}01`,
          institutionName: "Hilum Clinic",
          protocolName: "Routine",
        },
        instance: {
          sopInstanceUid: sopUid,
          sopClassUid:
            modality === "SR"
              ? "1.2.840.10008.5.1.4.1.1.88.22"
              : (SOP_CLASS[modality] ?? "1.2.840.10008.5.1.4.1.1.7"),
          instanceNumber: k,
          transferSyntaxUid: "1.2.840.10008.1.2.1",
          numberOfFrames: null,
          rows: 512,
          columns: 512,
          contentDate: studyDate,
          contentTime: "101501",
          acquisitionDateTime: null,
          size: 526_000,
          sha256,
          storageKey: sha256,
          callingAeTitle: `${primary}_SCANNER`,
          receivedAt: new Date().toISOString(),
          specificCharacterSet: "ISO_IR 192",
        },
      });
    }
  }
  return records;
}

function fill(index: Index): void {
  const names = new Map<number, string>();
  const started = performance.now();
  let instances = 0;
  for (let study = 0; study < studyCount; study++) {
    instances += index.commitInstances(studyRecords(study, names)).length;
    if ((study + 1) % 1000 === 0) {
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `  ${study + 1} studies, ${instances} instances, ${Math.round(instances / seconds)} instances/s`,
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `fill: ${instances} instances in ${seconds.toFixed(1)} s = ${Math.round(instances / seconds)} instances/s, ` +
      `${Math.round(studyCount / seconds)} commits/s (one transaction per study, synchronous=FULL)`,
  );
}

const key = (tag: number, value: string | null = null): QueryKey => ({ tag, vr: "", value });
const studyReturnKeys = [
  Tag.PatientName,
  Tag.PatientID,
  Tag.PatientBirthDate,
  Tag.PatientSex,
  Tag.StudyInstanceUID,
  Tag.StudyDate,
  Tag.StudyTime,
  Tag.AccessionNumber,
  Tag.StudyDescription,
  Tag.ReferringPhysicianName,
  Tag.ModalitiesInStudy,
  Tag.NumberOfStudyRelatedSeries,
  Tag.NumberOfStudyRelatedInstances,
];

function studyQuery(matching: QueryKey[]): FindRequest {
  const tags = new Set(matching.map((k) => k.tag));
  return {
    model: "STUDY_ROOT",
    level: "STUDY",
    keys: [...matching, ...studyReturnKeys.filter((tag) => !tags.has(tag)).map((tag) => key(tag))],
  };
}

function childQuery(level: QueryLevel, parents: QueryKey[], returned: number[]): FindRequest {
  return { model: "STUDY_ROOT", level, keys: [...parents, ...returned.map((tag) => key(tag))] };
}

interface Scenario {
  name: string;
  request: (i: number) => FindRequest;
}

const someStudy = (i: number): string => `${ROOT}.${(i * 197) % studyCount}`;

const scenarios: Scenario[] = [
  {
    name: "STUDY PatientName=ABC*",
    request: (i) => studyQuery([key(Tag.PatientName, `${PREFIXES[i % PREFIXES.length]}*`)]),
  },
  {
    name: "STUDY StudyDate range (18 days)",
    request: (i) => {
      const start = FIRST_DAY + ((i * 61) % 3600) * DAY_MS;
      return studyQuery([key(Tag.StudyDate, `${da(start)}-${da(start + 17 * DAY_MS)}`)]);
    },
  },
  {
    name: "STUDY AccessionNumber exact",
    request: (i) => studyQuery([key(Tag.AccessionNumber, `ACC${(i * 197) % studyCount}`)]),
  },
  {
    name: "SERIES under one study",
    request: (i) =>
      childQuery(
        "SERIES",
        [key(Tag.StudyInstanceUID, someStudy(i))],
        [
          Tag.SeriesInstanceUID,
          Tag.Modality,
          Tag.SeriesNumber,
          Tag.SeriesDescription,
          Tag.NumberOfSeriesRelatedInstances,
        ],
      ),
  },
  {
    name: "IMAGE under one series",
    request: (i) =>
      childQuery(
        "IMAGE",
        [key(Tag.StudyInstanceUID, someStudy(i)), key(Tag.SeriesInstanceUID, `${someStudy(i)}.1`)],
        [Tag.SOPInstanceUID, Tag.SOPClassUID, Tag.InstanceNumber, Tag.Rows, Tag.Columns],
      ),
  },
  {
    name: "(extra) STUDY PatientID exact",
    request: (i) => studyQuery([key(Tag.PatientID, `PID${(i * 131) % patientCount}`)]),
  },
  {
    name: "(extra) STUDY ModalitiesInStudy=MR, first 100",
    request: () => ({ ...studyQuery([key(Tag.ModalitiesInStudy, "MR")]), limit: 100 }),
  },
  {
    name: "(extra) STUDY PatientName=*ABC* (no prefix)",
    request: (i) => studyQuery([key(Tag.PatientName, `*${PREFIXES[i % PREFIXES.length]?.slice(1)}*`)]),
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function measure(index: Index, scenario: Scenario): void {
  index.find(scenario.request(ITERATIONS));
  const times: number[] = [];
  let matches = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const request = scenario.request(i);
    const started = performance.now();
    matches += index.find(request).length;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const ms = (n: number) => n.toFixed(3).padStart(7);
  console.log(
    `${scenario.name.padEnd(46)} p50 ${ms(percentile(times, 50))} ms  p95 ${ms(percentile(times, 95))} ms  ` +
      `max ${ms(times.at(-1) ?? 0)} ms  avg matches ${(matches / ITERATIONS).toFixed(1)}`,
  );
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), "hilum-bench-index-"));
  const path = join(dir, "index.sqlite");
  console.log(`index: ${path}`);
  console.log(`${studyCount} studies × ${seriesPerStudy} series × ${instancesPerSeries} instances`);
  const index = openIndex(path);
  try {
    fill(index);
    console.log("counts:", index.counts(), `file ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB`);
    console.log(`\nqueries (${ITERATIONS} each, Node ${process.version}):`);
    for (const scenario of scenarios) measure(index, scenario);
    console.log("\nquery plans:");
    for (const scenario of scenarios) {
      console.log(`${scenario.name}:\n  ${index.explainFind(scenario.request(0)).join("\n  ")}`);
    }
  } finally {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
