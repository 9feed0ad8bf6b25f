import type { StatementCache } from "./statements.js";

export type AuditActorType = "ae" | "user" | "system";
export type AuditOutcome = "success" | "failure";

export interface AuditEntry {
  /** When it happened; defaults to now. Stored as ISO 8601 UTC so that text order is time order. */
  time?: Date | string;
  actorType: AuditActorType;
  /** AE title, user name, or the system component. */
  actor: string;
  /** What was done, e.g. "store", "query", "retrieve", "view", "delete". */
  action: string;
  outcome: AuditOutcome;
  studyUid?: string;
  seriesUid?: string;
  sopInstanceUid?: string;
  /** Anything JSON-serialisable. */
  detail?: unknown;
}

export interface AuditRecord {
  id: number;
  time: string;
  actorType: AuditActorType;
  actor: string;
  action: string;
  outcome: AuditOutcome;
  studyUid: string | null;
  seriesUid: string | null;
  sopInstanceUid: string | null;
  detail: unknown;
}

export interface AuditFilter {
  /** Inclusive. */
  from?: Date | string;
  /** Exclusive. */
  to?: Date | string;
  actor?: string;
  action?: string;
  studyUid?: string;
  /** Default 1000. */
  limit?: number;
  /** Rows to skip (newest first), for paging. */
  offset?: number;
}

const INSERT = `
  INSERT INTO audit_log (time, actor_type, actor, action, outcome, study_uid, series_uid, sop_instance_uid, detail)
  VALUES (@time, @actorType, @actor, @action, @outcome, @studyUid, @seriesUid, @sopInstanceUid, @detail)`;

const COLUMNS = `
  id, time, actor_type AS actorType, actor, action, outcome, study_uid AS studyUid, series_uid AS seriesUid,
  sop_instance_uid AS sopInstanceUid, detail`;

const FILTERS = [
  ["from", "time >= ?"],
  ["to", "time < ?"],
  ["actor", "actor = ?"],
  ["action", "action = ?"],
  ["studyUid", "study_uid = ?"],
] as const;

function isoTime(time: Date | string): string {
  const date = typeof time === "string" ? new Date(time) : time;
  if (Number.isNaN(date.getTime())) throw new RangeError(`Not a time: ${String(time)}`);
  return date.toISOString();
}

function whereClause(filter: AuditFilter): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [field, condition] of FILTERS) {
    const value = filter[field];
    if (value === undefined) continue;
    conditions.push(condition);
    params.push(field === "from" || field === "to" ? isoTime(value) : value);
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "", params };
}

/** Who did what to which study. Rows cannot be changed or removed: SQLite triggers refuse UPDATE and DELETE. */
export class AuditLog {
  constructor(private readonly statements: StatementCache) {}

  append(entry: AuditEntry): AuditRecord {
    const row = {
      time: isoTime(entry.time ?? new Date()),
      actorType: entry.actorType,
      actor: entry.actor,
      action: entry.action,
      outcome: entry.outcome,
      studyUid: entry.studyUid ?? null,
      seriesUid: entry.seriesUid ?? null,
      sopInstanceUid: entry.sopInstanceUid ?? null,
      detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
    };
    const id = Number(this.statements.get(INSERT).run(row).lastInsertRowid);
    return { id, ...row, detail: entry.detail ?? null };
  }

  /** Newest first. */
  query(filter: AuditFilter = {}): AuditRecord[] {
    const { where, params } = whereClause(filter);
    params.push(filter.limit ?? 1000, filter.offset ?? 0);
    const sql = `SELECT ${COLUMNS} FROM audit_log ${where} ORDER BY id DESC LIMIT ? OFFSET ?`;
    const rows = this.statements.get(sql).all(...params) as Array<AuditRecord & { detail: string | null }>;
    return rows.map((row) => ({
      ...row,
      detail: row.detail === null ? null : (JSON.parse(row.detail) as unknown),
    }));
  }

  /** How many rows match the filter (limit and offset ignored). */
  count(filter: AuditFilter = {}): number {
    const { where, params } = whereClause(filter);
    const row = this.statements.get(`SELECT count(*) AS n FROM audit_log ${where}`).get(...params) as {
      n: number;
    };
    return row.n;
  }
}
