import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Index } from "../../electron/pacs/db/database.js";
import { freshIndex } from "./fixtures.js";

let index: Index;
beforeEach(() => {
  index = freshIndex("audit");
});
afterEach(() => index.close());

function appendSamples(): void {
  index.audit.append({
    time: "2024-03-01T10:00:00Z",
    actorType: "ae",
    actor: "CT1",
    action: "store",
    outcome: "success",
    studyUid: "1.1",
    seriesUid: "1.1.1",
    sopInstanceUid: "1.1.1.1",
    detail: { bytes: 1234 },
  });
  index.audit.append({
    time: "2024-03-02T10:00:00Z",
    actorType: "user",
    actor: "dr.who",
    action: "view",
    outcome: "success",
    studyUid: "1.1",
  });
  index.audit.append({
    time: "2024-03-03T10:00:00Z",
    actorType: "system",
    actor: "scrubber",
    action: "verify",
    outcome: "failure",
  });
}

describe("audit log", () => {
  it("appends rows and reads them back newest first", () => {
    appendSamples();
    const rows = index.audit.query();
    expect(rows.map((r) => r.action)).toEqual(["verify", "view", "store"]);
    expect(rows[2]).toEqual({
      id: 1,
      time: "2024-03-01T10:00:00.000Z",
      actorType: "ae",
      actor: "CT1",
      action: "store",
      outcome: "success",
      studyUid: "1.1",
      seriesUid: "1.1.1",
      sopInstanceUid: "1.1.1.1",
      detail: { bytes: 1234 },
    });
  });

  it("filters by time window, actor, action and study", () => {
    appendSamples();
    const actions = (filter: Parameters<Index["audit"]["query"]>[0]) =>
      index.audit.query(filter).map((r) => r.action);
    expect(actions({ from: "2024-03-02T00:00:00Z", to: "2024-03-03T10:00:00Z" })).toEqual(["view"]);
    expect(actions({ actor: "CT1" })).toEqual(["store"]);
    expect(actions({ action: "verify" })).toEqual(["verify"]);
    expect(actions({ studyUid: "1.1", limit: 1 })).toEqual(["view"]);
  });

  it("refuses UPDATE and DELETE through its triggers", () => {
    appendSamples();
    const raw = new Database(index.path);
    expect(() => raw.prepare("UPDATE audit_log SET actor = 'mallory'").run()).toThrow(
      /audit_log is append-only: UPDATE refused/,
    );
    expect(() => raw.prepare("DELETE FROM audit_log WHERE id = 1").run()).toThrow(
      /audit_log is append-only: DELETE refused/,
    );
    expect(() => raw.prepare("DELETE FROM audit_log").run()).toThrow(/append-only/);
    raw.close();
    expect(index.audit.query()).toHaveLength(3);
  });

  it("refuses an unknown actor type or outcome", () => {
    const bad = { actorType: "robot", actor: "x", action: "y", outcome: "success" } as never;
    expect(() => index.audit.append(bad)).toThrow(/CHECK constraint/);
  });
});
