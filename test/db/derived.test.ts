import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Index } from "../../electron/pacs/db/database.js";
import type { InstanceRecord } from "../../electron/pacs/db/records.js";
import { CT_IMAGE, MR_IMAGE, freshIndex, record } from "./fixtures.js";

/** The derived columns as commit.ts maintains them. */
const STORED = {
  series: `SELECT id, number_of_instances, size_bytes FROM series ORDER BY id`,
  studies: `
    SELECT id, number_of_series, number_of_instances, size_bytes, modalities_in_study, body_parts_in_study,
           sop_classes_in_study
    FROM studies ORDER BY id`,
  patients: `SELECT id, number_of_studies, number_of_series, number_of_instances FROM patients ORDER BY id`,
};

/** The same columns recomputed from the instance rows alone. */
const RECOMPUTED = {
  series: `
    SELECT se.id, count(i.id) AS number_of_instances, coalesce(sum(i.size), 0) AS size_bytes
    FROM series se LEFT JOIN instances i ON i.series_fk = se.id GROUP BY se.id ORDER BY se.id`,
  studies: `
    SELECT s.id,
      (SELECT count(*) FROM series WHERE study_fk = s.id) AS number_of_series,
      (SELECT count(*) FROM series se JOIN instances i ON i.series_fk = se.id
       WHERE se.study_fk = s.id) AS number_of_instances,
      (SELECT coalesce(sum(i.size), 0) FROM series se JOIN instances i ON i.series_fk = se.id
       WHERE se.study_fk = s.id) AS size_bytes,
      (SELECT group_concat(v, '\\' ORDER BY v) FROM
        (SELECT DISTINCT modality AS v FROM series WHERE study_fk = s.id AND modality IS NOT NULL))
        AS modalities_in_study,
      (SELECT group_concat(v, '\\' ORDER BY v) FROM
        (SELECT DISTINCT body_part_examined AS v FROM series
         WHERE study_fk = s.id AND body_part_examined IS NOT NULL)) AS body_parts_in_study,
      (SELECT group_concat(v, '\\' ORDER BY v) FROM
        (SELECT DISTINCT i.sop_class_uid AS v FROM series se JOIN instances i ON i.series_fk = se.id
         WHERE se.study_fk = s.id)) AS sop_classes_in_study
    FROM studies s ORDER BY s.id`,
  patients: `
    SELECT p.id,
      (SELECT count(*) FROM studies WHERE patient_fk = p.id) AS number_of_studies,
      (SELECT count(*) FROM series se JOIN studies s ON s.id = se.study_fk
       WHERE s.patient_fk = p.id) AS number_of_series,
      (SELECT count(*) FROM instances i JOIN series se ON se.id = i.series_fk
       JOIN studies s ON s.id = se.study_fk WHERE s.patient_fk = p.id) AS number_of_instances
    FROM patients p ORDER BY p.id`,
};

/** Rows left empty, which commit.ts must drop. */
const EMPTY_ROWS = `
  SELECT (SELECT count(*) FROM series WHERE id NOT IN (SELECT series_fk FROM instances))
       + (SELECT count(*) FROM studies WHERE id NOT IN (SELECT study_fk FROM series))
       + (SELECT count(*) FROM patients WHERE id NOT IN (SELECT patient_fk FROM studies))`;

const SERIES_INSTANCES = `
  SELECT i.sop_instance_uid FROM instances i JOIN series se ON se.id = i.series_fk
  WHERE se.series_instance_uid = ?`;

/** Deterministic, so a failing step replays. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const STEPS = 300;
const PATIENTS = ["P1", "P2", "P3"];
const STUDIES = ["2.1", "2.2", "2.3", "2.4", "2.5"];
const SERIES = Array.from({ length: 12 }, (_, k) => `3.${k + 1}`);
/** Values holding "\\" (multi-valued CS kept joined) too: the lists must not be split on it. */
const MODALITIES = ["CT", "PT", "CT\\PT", "MR"];
const BODY_PARTS = ["HEAD", "CHEST", "HEAD\\NECK"];
const SOP_CLASSES = [CT_IMAGE, MR_IMAGE, `${CT_IMAGE}\\${MR_IMAGE}`];

let index: Index;
let check: Database.Database;
beforeEach(() => {
  index = freshIndex("derived");
  check = new Database(index.path, { readonly: true });
});
afterEach(() => {
  check.close();
  index.close();
});

function expectDerivedColumnsExact(step: number): void {
  for (const table of ["series", "studies", "patients"] as const) {
    const recomputed = check.prepare(RECOMPUTED[table]).all();
    expect(check.prepare(STORED[table]).all(), `${table} after step ${step}`).toEqual(recomputed);
  }
  expect(check.prepare(EMPTY_ROWS).pluck().get(), `empty rows after step ${step}`).toBe(0);
}

describe("derived columns", () => {
  it("match a full recomputation after every step of a random mix of inserts, replacements, deletes", () => {
    const random = prng(20240601);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const maybe = <T>(value: T): T | null => (random() < 0.25 ? null : value);
    const homeStudy = new Map(SERIES.map((series) => [series, pick(STUDIES)]));
    const homePatient = new Map(STUDIES.map((study) => [study, pick(PATIENTS)]));
    const modality = new Map(SERIES.map((series) => [series, pick(MODALITIES)]));
    const bodyPart = new Map(SERIES.map((series) => [series, pick(BODY_PARTS)]));
    const seen = { inserted: 0, replaced: 0, moved: 0, seriesConflicts: 0, patientConflicts: 0, dropped: 0 };
    let nextUid = 1;

    const live = (): string[] =>
      check.prepare(`SELECT sop_instance_uid FROM instances ORDER BY id`).pluck().all() as string[];
    const rows = (): number => {
      const { series, studies, patients } = index.counts();
      return series + studies + patients;
    };

    /** Mostly the series' home study and the study's home patient; sometimes another (a conflict). */
    function randomRecord(sop: string): InstanceRecord {
      const series = pick(SERIES);
      const study = random() < 0.9 ? (homeStudy.get(series) as string) : pick(STUDIES);
      return record({
        patientId: random() < 0.9 ? homePatient.get(study) : pick(PATIENTS),
        study,
        series,
        modality: maybe(modality.get(series) as string),
        bodyPart: maybe(bodyPart.get(series) as string),
        sop,
        sopClass: pick(SOP_CLASSES),
        size: 1 + Math.floor(random() * 10_000),
      });
    }

    /** One transaction of 1–3 records: new UIDs, and re-sent ones (replacements, possibly moving). */
    function commitBatch(uids: string[]): void {
      const batch = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        randomRecord(uids.length > 0 && random() < 0.4 ? pick(uids) : `4.${nextUid++}`),
      );
      for (const result of index.commitInstances(batch)) {
        if (result.replaced) seen.replaced++;
        else seen.inserted++;
        if (result.replaced?.movedSeries) seen.moved++;
        if (result.seriesConflict) seen.seriesConflicts++;
        if (result.patientConflict) seen.patientConflicts++;
      }
    }

    /** A few instances, or a whole series so that series, studies and patients empty and go. */
    function deleteSome(uids: string[]): void {
      const before = rows();
      const victims =
        random() < 0.5
          ? [pick(uids), pick(uids), "9.9.9"]
          : (check.prepare(SERIES_INSTANCES).pluck().all(pick(SERIES)) as string[]);
      index.deleteInstances(victims);
      seen.dropped += before - rows();
    }

    for (let step = 0; step < STEPS; step++) {
      const uids = live();
      if (step < 20 || uids.length === 0 || random() < 0.75) commitBatch(uids);
      else deleteSome(uids);
      expectDerivedColumnsExact(step);
    }
    // Every path was taken, so the comparison above covered each of them.
    for (const [path, count] of Object.entries(seen)) expect(count, path).toBeGreaterThan(0);
  });
});
