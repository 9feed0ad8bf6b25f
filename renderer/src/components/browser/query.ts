/**
 * The study browser's state ↔ the URL hash ↔ `GET /api/studies` parameters, the date shortcuts, and how
 * names and dates are shown. Pure: unit-tested in test/renderer/browser-query.test.ts.
 *
 * The hash query uses the API's own parameter names (`#/studies?q=smith&modality=CT&sort=patientName`), so
 * EMR launch links (`#/studies?accessionNumber=…`) and reloads land on the same list.
 */
import { PRIORITIES, READING_STATUSES, STUDY_SORT_KEYS } from "../../../../shared/api/domain.js";
import type {
  Priority,
  ReadingStatus,
  StudyListQuery,
  StudySortKey,
} from "../../../../shared/api/contract.js";

export const TEXT_FILTERS = [
  "q",
  "patientName",
  "patientId",
  "accessionNumber",
  "studyInstanceUid",
  "description",
] as const;
export type TextFilter = (typeof TEXT_FILTERS)[number];

export interface BrowserFilters extends Record<TextFilter, string> {
  /** YYYY-MM-DD or "". */
  from: string;
  to: string;
  /** One modality code or "" for all. */
  modality: string;
  status: ReadingStatus | "";
  priority: Priority | "";
}

export interface BrowserState {
  filters: BrowserFilters;
  sort: StudySortKey;
  order: "asc" | "desc";
  offset: number;
  limit: number;
}

export const PAGE_SIZES = [25, 50, 100] as const;
export const DEFAULT_LIMIT = 50;
export const DEFAULT_SORT: StudySortKey = "studyDate";

export function emptyFilters(): BrowserFilters {
  return {
    q: "",
    patientName: "",
    patientId: "",
    accessionNumber: "",
    studyInstanceUid: "",
    description: "",
    from: "",
    to: "",
    modality: "",
    status: "",
    priority: "",
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isoOrEmpty(value: string | null): string {
  if (value === null) return "";
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  const date = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : value;
  return ISO_DATE.test(date) ? date : "";
}

function oneOf<T extends string>(values: readonly T[], value: string | null): T | "" {
  return value !== null && (values as readonly string[]).includes(value) ? (value as T) : "";
}

/** The state a hash query describes; anything unreadable falls back to the default. `patientId` pins the patient (`#/patient/{id}`). */
export function stateFromSearch(search: URLSearchParams, patientId?: string): BrowserState {
  const filters = emptyFilters();
  for (const key of TEXT_FILTERS) filters[key] = (search.get(key) ?? "").slice(0, 256);
  if (patientId !== undefined) filters.patientId = patientId;
  filters.from = isoOrEmpty(search.get("from"));
  filters.to = isoOrEmpty(search.get("to"));
  const modality = (search.get("modality") ?? "").toUpperCase();
  filters.modality = /^[A-Z0-9]{1,16}$/.test(modality) ? modality : "";
  filters.status = oneOf(READING_STATUSES, search.get("status"));
  filters.priority = oneOf(PRIORITIES, search.get("priority"));
  const sort = oneOf(STUDY_SORT_KEYS, search.get("sort")) || DEFAULT_SORT;
  const order =
    search.get("order") === "asc" ? "asc" : search.get("order") === "desc" ? "desc" : defaultOrder(sort);
  const limitValue = Number(search.get("limit"));
  const limit = (PAGE_SIZES as readonly number[]).includes(limitValue) ? limitValue : DEFAULT_LIMIT;
  const offsetValue = Number(search.get("offset"));
  const offset = Number.isInteger(offsetValue) && offsetValue > 0 ? offsetValue : 0;
  return { filters, sort, order, offset, limit };
}

/** Dates, status, priority and counts read best newest/most first; names and words A→Z. */
export function defaultOrder(sort: StudySortKey): "asc" | "desc" {
  return ["studyDate", "status", "priority", "numberOfInstances", "statusChangedAt"].includes(sort)
    ? "desc"
    : "asc";
}

/** The hash query for a state: only what differs from the defaults. `patientId` is left out when the route pins it. */
export function searchFromState(state: BrowserState, pinnedPatient = false): string {
  const params = new URLSearchParams();
  for (const key of TEXT_FILTERS) {
    if (key === "patientId" && pinnedPatient) continue;
    const value = state.filters[key].trim();
    if (value) params.set(key, value);
  }
  for (const key of ["from", "to", "modality", "status", "priority"] as const) {
    if (state.filters[key]) params.set(key, state.filters[key]);
  }
  if (state.sort !== DEFAULT_SORT) params.set("sort", state.sort);
  if (state.order !== defaultOrder(state.sort)) params.set("order", state.order);
  if (state.limit !== DEFAULT_LIMIT) params.set("limit", String(state.limit));
  if (state.offset > 0) params.set("offset", String(state.offset));
  return params.toString();
}

/** `GET /api/studies` parameters for a state. */
export function apiQuery(state: BrowserState): StudyListQuery {
  const f = state.filters;
  const query: StudyListQuery = {
    sort: state.sort,
    order: state.order,
    limit: state.limit,
    offset: state.offset,
  };
  for (const key of TEXT_FILTERS) {
    const value = f[key].trim();
    if (value) query[key] = value;
  }
  if (f.from) query.from = f.from;
  if (f.to) query.to = f.to;
  if (f.modality) query.modality = [f.modality];
  if (f.status) query.status = [f.status];
  if (f.priority) query.priority = [f.priority];
  return query;
}

// ---------------------------------------------------------------------------------------------------------
// Dates.

/** YYYY-MM-DD of a date in local time (the reading room's day, not UTC's). */
export function localIsoDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function daysBefore(now: Date, days: number): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - days);
}

export const DATE_SHORTCUTS = ["today", "yesterday", "last7"] as const;
export type DateShortcut = (typeof DATE_SHORTCUTS)[number];

export const SHORTCUT_LABELS: Record<DateShortcut, string> = {
  today: "Today",
  yesterday: "Yesterday",
  last7: "Last 7 days",
};

/** The inclusive date range of a shortcut; "last 7 days" is today and the six days before it. */
export function shortcutRange(kind: DateShortcut, now: Date = new Date()): { from: string; to: string } {
  const today = localIsoDate(now);
  if (kind === "today") return { from: today, to: today };
  if (kind === "yesterday") {
    const yesterday = localIsoDate(daysBefore(now, 1));
    return { from: yesterday, to: yesterday };
  }
  return { from: localIsoDate(daysBefore(now, 6)), to: today };
}

/** The shortcut a range equals, if any. */
export function activeShortcut(from: string, to: string, now: Date = new Date()): DateShortcut | undefined {
  return DATE_SHORTCUTS.find((kind) => {
    const range = shortcutRange(kind, now);
    return range.from === from && range.to === to;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Display.

/** "Family, Given Middle" from a DICOM PN's first (alphabetic) group; the other groups in brackets. */
export function formatPersonName(pn: string | null | undefined): string {
  if (!pn) return "";
  const [alphabetic = "", ...others] = pn.split("=");
  const group = (text: string) => {
    const [family = "", given = "", middle = "", prefix = "", suffix = ""] = text
      .split("^")
      .map((p) => p.trim());
    const rest = [prefix, given, middle].filter(Boolean).join(" ");
    const name = [family, rest].filter(Boolean).join(", ");
    return suffix ? `${name} ${suffix}` : name;
  };
  const main = group(alphabetic);
  const extra = others.map(group).filter((name) => name && name !== main);
  return extra.length > 0 ? `${main} (${extra.join("; ")})`.trim() : main;
}

export const STATUS_LABELS: Record<ReadingStatus, string> = {
  unread: "Unread",
  "in-progress": "In progress",
  read: "Read",
};

export const PRIORITY_LABELS: Record<Priority, string> = {
  routine: "Routine",
  urgent: "Urgent",
  stat: "STAT",
};

/** Modalities offered in the filter (any other code in a link still filters). */
export const MODALITIES = ["CT", "MR", "CR", "DX", "US", "MG", "PT", "NM", "XA", "RF", "OT", "SC"] as const;
