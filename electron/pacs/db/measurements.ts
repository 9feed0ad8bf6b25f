/**
 * Measurements and annotations drawn in the viewer (table measurements, migration 005), on the index's own
 * SQLite connection: listed per study, written and removed one by one by id. The caller (the app API)
 * validates the geometry and writes the audit row in the same transaction.
 */
import type { Database } from "better-sqlite3";
import { StatementCache } from "./statements.js";

export type MeasurementKind =
  "length" | "angle" | "cobb" | "ellipse" | "rectangle" | "arrow" | "text" | "probe";

export interface MeasurementRecord {
  id: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  frameNumber: number;
  kind: MeasurementKind;
  points: Array<{ x: number; y: number }>;
  text?: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** What a write gives: the instance, frame, kind, points and text. */
export interface MeasurementInput {
  frameNumber: number;
  kind: MeasurementKind;
  points: Array<{ x: number; y: number }>;
  text?: string;
}

/** The stored instance a measurement is drawn on, from the index. */
export interface MeasuredInstance {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  numberOfFrames: number;
}

interface Row {
  id: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  frameNumber: number;
  kind: MeasurementKind;
  points: string;
  text: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

const COLUMNS = `
  id, study_instance_uid AS studyInstanceUid, series_instance_uid AS seriesInstanceUid,
  sop_instance_uid AS sopInstanceUid, frame_number AS frameNumber, kind, points, text,
  created_at AS createdAt, created_by AS createdBy, updated_at AS updatedAt, updated_by AS updatedBy`;

const BY_STUDY = `SELECT ${COLUMNS} FROM measurements WHERE study_instance_uid = ? ORDER BY created_at, id`;
const BY_ID = `SELECT ${COLUMNS} FROM measurements WHERE id = ?`;
const DELETE = `DELETE FROM measurements WHERE id = ?`;
const UPSERT = `
  INSERT INTO measurements (id, study_instance_uid, series_instance_uid, sop_instance_uid, frame_number, kind,
                            points, text, created_at, created_by, updated_at, updated_by)
  VALUES (@id, @studyInstanceUid, @seriesInstanceUid, @sopInstanceUid, @frameNumber, @kind,
          @points, @text, @createdAt, @createdBy, @updatedAt, @updatedBy)
  ON CONFLICT (id) DO UPDATE SET
    frame_number = excluded.frame_number, kind = excluded.kind, points = excluded.points, text = excluded.text,
    updated_at = excluded.updated_at, updated_by = excluded.updated_by`;

const INSTANCE = `
  SELECT i.sop_instance_uid AS sopInstanceUid, se.series_instance_uid AS seriesInstanceUid,
         s.study_instance_uid AS studyInstanceUid, coalesce(i.number_of_frames, 1) AS numberOfFrames
  FROM instances i JOIN series se ON se.id = i.series_fk JOIN studies s ON s.id = se.study_fk
  WHERE i.sop_instance_uid = ?`;

const STUDY_EXISTS = `SELECT 1 FROM studies WHERE study_instance_uid = ?`;

function record(row: Row): MeasurementRecord {
  const { text, points, ...rest } = row;
  return {
    ...rest,
    points: JSON.parse(points) as Array<{ x: number; y: number }>,
    ...(text === null ? {} : { text }),
  };
}

export class MeasurementStore {
  private readonly statements: StatementCache;

  constructor(db: Database) {
    this.statements = new StatementCache(db);
  }

  instance(sopInstanceUid: string): MeasuredInstance | undefined {
    return this.statements.get(INSTANCE).get(sopInstanceUid) as MeasuredInstance | undefined;
  }

  studyExists(studyInstanceUid: string): boolean {
    return this.statements.get(STUDY_EXISTS).get(studyInstanceUid) !== undefined;
  }

  /** The study's measurements, oldest first. */
  listStudy(studyInstanceUid: string): MeasurementRecord[] {
    return (this.statements.get(BY_STUDY).all(studyInstanceUid) as Row[]).map(record);
  }

  get(id: string): MeasurementRecord | undefined {
    const row = this.statements.get(BY_ID).get(id) as Row | undefined;
    return row ? record(row) : undefined;
  }

  /** Creates the measurement, or replaces its geometry and text (creation time and author stay). */
  put(
    id: string,
    instance: MeasuredInstance,
    input: MeasurementInput,
    change: { by: string; at?: Date },
  ): { before: MeasurementRecord | undefined; after: MeasurementRecord } {
    const before = this.get(id);
    const at = (change.at ?? new Date()).toISOString();
    this.statements.get(UPSERT).run({
      id,
      studyInstanceUid: instance.studyInstanceUid,
      seriesInstanceUid: instance.seriesInstanceUid,
      sopInstanceUid: instance.sopInstanceUid,
      frameNumber: input.frameNumber,
      kind: input.kind,
      points: JSON.stringify(input.points.map((p) => ({ x: p.x, y: p.y }))),
      text: input.text ?? null,
      createdAt: at,
      createdBy: change.by,
      updatedAt: at,
      updatedBy: change.by,
    });
    return { before, after: this.get(id)! };
  }

  /** Removes it; what it was, or undefined when there was none. */
  delete(id: string): MeasurementRecord | undefined {
    const before = this.get(id);
    if (before) this.statements.get(DELETE).run(id);
    return before;
  }
}
