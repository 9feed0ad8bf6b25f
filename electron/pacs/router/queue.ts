import type Database from "better-sqlite3";

export type JobState = "queued" | "sending" | "delivered" | "dead" | "cancelled";

export interface NewJob {
  sopInstanceUid: string;
  studyInstanceUid: string;
  storageKey: string;
  sopClassUid: string;
  storedSyntax: string;
  rule: string;
  destination: string;
  transferSyntax?: string;
  coerce?: string;
  notBefore: number;
}

export interface Job extends NewJob {
  id: number;
  member: string | null;
  state: JobState;
  attempts: number;
  lastError: string | null;
  sentAs: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

export interface DestinationCounts {
  queued: number;
  sending: number;
  delivered: number;
  dead: number;
  cancelled: number;
}

const COLUMNS = `id, sop_instance_uid AS sopInstanceUid, study_instance_uid AS studyInstanceUid,
  storage_key AS storageKey, sop_class_uid AS sopClassUid, stored_syntax AS storedSyntax, rule, destination, member, transfer_syntax AS transferSyntax, coerce, state,
  attempts, not_before AS notBefore, last_error AS lastError, sent_as AS sentAs, created_at AS createdAt,
  delivered_at AS deliveredAt`;

/**
 * The router's persistent queue in the index database (migration 004). Every state change is one
 * statement or transaction, so a kill -9 leaves each job queued, sending (re-queued on start),
 * delivered, dead or cancelled — never half-way.
 */
export class RouteQueue {
  private readonly insert;
  private readonly postponeStudy;
  private readonly due;
  private readonly claim;
  private readonly delivered;
  private readonly failed;
  private readonly countsByState;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(`
      INSERT INTO route_jobs (sop_instance_uid, study_instance_uid, storage_key, sop_class_uid, stored_syntax, rule,
                              destination, transfer_syntax, coerce, state, not_before, created_at, updated_at)
      VALUES (@sopInstanceUid, @studyInstanceUid, @storageKey, @sopClassUid, @storedSyntax, @rule, @destination,
              @transferSyntax, @coerce, 'queued', @notBefore, @now, @now)`);
    this.postponeStudy = db.prepare(`
      UPDATE route_jobs SET not_before = @notBefore, updated_at = @now
      WHERE study_instance_uid = @studyInstanceUid AND rule = @rule AND state = 'queued' AND not_before < @notBefore`);
    this.due = db.prepare(`
      SELECT ${COLUMNS} FROM route_jobs
      WHERE destination = ? AND state = 'queued' AND not_before <= ? ORDER BY id LIMIT ?`);
    this.claim = db.prepare(`UPDATE route_jobs SET state = 'sending', updated_at = ? WHERE id = ?`);
    this.delivered = db.prepare(`
      UPDATE route_jobs SET state = 'delivered', attempts = attempts + 1, sent_as = ?, member = ?, last_error = NULL,
                            delivered_at = ?, updated_at = ?
      WHERE id = ?`);
    this.failed = db.prepare(`
      UPDATE route_jobs SET state = ?, attempts = attempts + 1, last_error = ?, not_before = ?, updated_at = ?
      WHERE id = ?`);
    this.countsByState = db.prepare(
      `SELECT destination, state, count(*) AS n FROM route_jobs GROUP BY destination, state`,
    );
  }

  /** Inserts jobs (call inside the ingest transaction) and holds back queued ones of the same study and rule. */
  enqueue(jobs: NewJob[], now: number): void {
    for (const job of jobs) {
      this.insert.run({ transferSyntax: null, coerce: null, ...job, now });
      if (job.notBefore > now) {
        this.postponeStudy.run({
          studyInstanceUid: job.studyInstanceUid,
          rule: job.rule,
          notBefore: job.notBefore,
          now,
        });
      }
    }
  }

  /** Jobs of a destination ready to go, oldest first, claimed as "sending" in one transaction. */
  take(destination: string, limit: number, now: number): Job[] {
    return this.db.transaction(() => {
      const jobs = this.due.all(destination, now, limit) as Job[];
      for (const job of jobs) this.claim.run(now, job.id);
      return jobs.map((job) => ({ ...job, state: "sending" as const }));
    })();
  }

  markDelivered(deliveries: Array<{ id: number; sentAs: string; member: string | null }>, now: number): void {
    this.db.transaction(() => {
      for (const d of deliveries) this.delivered.run(d.sentAs, d.member, now, now, d.id);
    })();
  }

  /** A failed attempt: back to the queue after `retryAt`, or dead when the attempts are used up. */
  markFailed(failures: Array<{ id: number; error: string; retryAt: number | null }>, now: number): void {
    this.db.transaction(() => {
      for (const f of failures)
        this.failed.run(f.retryAt === null ? "dead" : "queued", f.error, f.retryAt ?? now, now, f.id);
    })();
  }

  /** After a crash, jobs that were being sent go back to the queue: delivery is at-least-once. */
  requeueInFlight(now: number): number {
    return this.db
      .prepare(`UPDATE route_jobs SET state = 'queued', updated_at = ? WHERE state = 'sending'`)
      .run(now).changes;
  }

  retry(filter: { destination?: string; id?: number }, now: number): number {
    const { clause, params } = where(filter);
    return this.db
      .prepare(
        `UPDATE route_jobs SET state = 'queued', not_before = ?, updated_at = ? WHERE state IN ('dead', 'cancelled') ${clause}`,
      )
      .run(now, now, ...params).changes;
  }

  cancel(filter: { destination?: string; id?: number }, now: number): number {
    const { clause, params } = where(filter);
    return this.db
      .prepare(`UPDATE route_jobs SET state = 'cancelled', updated_at = ? WHERE state = 'queued' ${clause}`)
      .run(now, ...params).changes;
  }

  jobsOf(sopInstanceUid: string): Job[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM route_jobs WHERE sop_instance_uid = ? ORDER BY id`)
      .all(sopInstanceUid) as Job[];
  }

  deadLetters(limit: number, offset: number, destination?: string): Job[] {
    const clause = destination ? "AND destination = ?" : "";
    const params = destination ? [destination, limit, offset] : [limit, offset];
    return this.db
      .prepare(
        `SELECT ${COLUMNS} FROM route_jobs WHERE state = 'dead' ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`,
      )
      .all(...params) as Job[];
  }

  counts(): Map<string, DestinationCounts> {
    const out = new Map<string, DestinationCounts>();
    for (const row of this.countsByState.all() as Array<{
      destination: string;
      state: JobState;
      n: number;
    }>) {
      const counts = out.get(row.destination) ?? {
        queued: 0,
        sending: 0,
        delivered: 0,
        dead: 0,
        cancelled: 0,
      };
      counts[row.state] = row.n;
      out.set(row.destination, counts);
    }
    return out;
  }

  /** Deliveries in the last window: how many, and their mean queue-to-delivery latency. */
  throughput(destination: string, since: number): { delivered: number; meanLatencyMs: number | null } {
    const row = this.db
      .prepare(
        `SELECT count(*) AS n, avg(delivered_at - created_at) AS latency FROM route_jobs
                WHERE destination = ? AND state = 'delivered' AND delivered_at >= ?`,
      )
      .get(destination, since) as { n: number; latency: number | null };
    return { delivered: row.n, meanLatencyMs: row.latency };
  }

  /** When the next queued job of a destination becomes due, to sleep until then. */
  nextDue(destination: string): number | undefined {
    const row = this.db
      .prepare(`SELECT min(not_before) AS t FROM route_jobs WHERE destination = ? AND state = 'queued'`)
      .get(destination) as { t: number | null };
    return row.t ?? undefined;
  }

  setPaused(destination: string, paused: boolean): void {
    this.db
      .prepare(
        `INSERT INTO route_destination_state (destination, paused) VALUES (?, ?)
                ON CONFLICT (destination) DO UPDATE SET paused = excluded.paused`,
      )
      .run(destination, paused ? 1 : 0);
  }

  recordError(destination: string, error: string | null, now: number): void {
    this.db
      .prepare(
        `INSERT INTO route_destination_state (destination, last_error, last_error_at) VALUES (?, ?, ?)
                ON CONFLICT (destination) DO UPDATE SET last_error = excluded.last_error, last_error_at = excluded.last_error_at`,
      )
      .run(destination, error, error === null ? null : now);
  }

  destinationState(destination: string): {
    paused: boolean;
    lastError: string | null;
    lastErrorAt: number | null;
  } {
    const row = this.db
      .prepare(
        `SELECT paused, last_error AS lastError, last_error_at AS lastErrorAt FROM route_destination_state WHERE destination = ?`,
      )
      .get(destination) as
      { paused: number; lastError: string | null; lastErrorAt: number | null } | undefined;
    return {
      paused: row?.paused === 1,
      lastError: row?.lastError ?? null,
      lastErrorAt: row?.lastErrorAt ?? null,
    };
  }
}

function where(filter: { destination?: string; id?: number }): {
  clause: string;
  params: Array<string | number>;
} {
  if (filter.id !== undefined) return { clause: "AND id = ?", params: [filter.id] };
  if (filter.destination !== undefined)
    return { clause: "AND destination = ?", params: [filter.destination] };
  return { clause: "", params: [] };
}
