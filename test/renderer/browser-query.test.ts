/**
 * The study browser's pure state: hash query ↔ state ↔ API parameters, the date shortcuts in local time,
 * and how names are shown (renderer/src/components/browser/query.ts).
 */
import { describe, expect, it } from "vitest";
import {
  activeShortcut,
  apiQuery,
  formatPersonName,
  searchFromState,
  shortcutRange,
  stateFromSearch,
} from "../../renderer/src/components/browser/query.js";

describe("the study browser's state", () => {
  it("round-trips through the hash query with the API's parameter names", () => {
    const search = new URLSearchParams(
      "q=smi&accessionNumber=A1&from=2024-01-01&to=20240131&modality=ct&status=read&sort=patientName&order=desc&limit=25&offset=25",
    );
    const state = stateFromSearch(search);
    expect(state.filters).toMatchObject({
      q: "smi",
      accessionNumber: "A1",
      from: "2024-01-01",
      to: "2024-01-31",
      modality: "CT",
      status: "read",
    });
    expect(state).toMatchObject({ sort: "patientName", order: "desc", limit: 25, offset: 25 });
    expect(stateFromSearch(new URLSearchParams(searchFromState(state)))).toEqual(state);
    expect(apiQuery(state)).toEqual({
      q: "smi",
      accessionNumber: "A1",
      from: "2024-01-01",
      to: "2024-01-31",
      modality: ["CT"],
      status: ["read"],
      sort: "patientName",
      order: "desc",
      limit: 25,
      offset: 25,
    });
  });

  it("falls back to the defaults for anything unreadable, and leaves defaults out of the hash", () => {
    const state = stateFromSearch(
      new URLSearchParams("sort=bogus&limit=7&offset=-3&from=yesterday&status=done&modality=C;T"),
    );
    expect(state).toMatchObject({ sort: "studyDate", order: "desc", limit: 50, offset: 0 });
    expect(state.filters).toMatchObject({ from: "", status: "", modality: "" });
    expect(searchFromState(state)).toBe("");
    // Names sort A→Z by default, dates newest first.
    expect(stateFromSearch(new URLSearchParams("sort=patientName")).order).toBe("asc");
  });

  it("a patient route pins the patient ID and keeps it out of the hash query", () => {
    const state = stateFromSearch(new URLSearchParams("patientId=OTHER&q=x"), "P 1");
    expect(state.filters.patientId).toBe("P 1");
    expect(searchFromState(state, true)).toBe("q=x");
    expect(apiQuery(state).patientId).toBe("P 1");
    // An EMR launch link's filters arrive as they are.
    expect(stateFromSearch(new URLSearchParams("studyInstanceUid=1.2.3")).filters.studyInstanceUid).toBe(
      "1.2.3",
    );
  });
});

describe("date shortcuts", () => {
  // 00:30 local time on 1 March 2024 (a leap year): the local day, not UTC's.
  const now = new Date(2024, 2, 1, 0, 30);

  it("are local, inclusive ranges", () => {
    expect(shortcutRange("today", now)).toEqual({ from: "2024-03-01", to: "2024-03-01" });
    expect(shortcutRange("yesterday", now)).toEqual({ from: "2024-02-29", to: "2024-02-29" });
    expect(shortcutRange("last7", now)).toEqual({ from: "2024-02-24", to: "2024-03-01" });
  });

  it("are recognised in a range", () => {
    expect(activeShortcut("2024-02-29", "2024-02-29", now)).toBe("yesterday");
    expect(activeShortcut("2024-02-24", "2024-03-01", now)).toBe("last7");
    expect(activeShortcut("2024-02-23", "2024-03-01", now)).toBeUndefined();
  });
});

describe("names", () => {
  it("shows a PN as Family, Given Middle, with the other groups after it", () => {
    expect(formatPersonName("Smith^James")).toBe("Smith, James");
    expect(formatPersonName("Welby^Marcus^^Dr")).toBe("Welby, Dr Marcus");
    expect(formatPersonName("Müller^Jürgen^K^^Jr")).toBe("Müller, Jürgen K Jr");
    expect(formatPersonName("Yamada^Tarou=山田^太郎=やまだ^たろう")).toBe(
      "Yamada, Tarou (山田, 太郎; やまだ, たろう)",
    );
    expect(formatPersonName("O'Brien")).toBe("O'Brien");
    expect(formatPersonName(null)).toBe("");
  });
});
