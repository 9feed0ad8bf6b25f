import type { Database, Statement } from "better-sqlite3";

const CAPACITY = 256;

/** Prepared statements by SQL text. Query shapes repeat, so a small bounded cache holds them all. */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  get(sql: string): Statement {
    const cached = this.statements.get(sql);
    if (cached) return cached;
    if (this.statements.size >= CAPACITY) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.statements.delete(oldest);
    }
    const statement = this.db.prepare(sql);
    this.statements.set(sql, statement);
    return statement;
  }
}
