/**
 * Driving Hilum's QIDO-RS/WADO-RS from the outside: the npm `dicomweb-client` (a browser library, run
 * under Node with the `xhr2` XMLHttpRequest), a multipart/related reader written here from RFC 2046
 * (not Hilum's writer), and dcmdump of the sent files as the truth for metadata.
 */
import { createRequire } from "node:module";
import { expect } from "vitest";
import { tagForKeyword } from "../../shared/dicom/dictionary.js";
import { isMultiValuedTextVr } from "../../shared/dicom/vr.js";
import { run } from "../support/process.js";

export const SECRET = "s".repeat(32);
export const AUTH = { authorization: `Bearer ${SECRET}` };

// ---------------------------------------------------------------------------------------------------------
// dicomweb-client

export interface Attribute {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}
export type DicomJson = Record<string, Attribute>;

export interface MediaType {
  mediaType: string;
  transferSyntaxUID?: string;
}

/** The part of dicomweb-client 0.11.3's API these tests use (its bundled typings are not accurate). */
export interface DicomWebClient {
  searchForStudies(options?: { queryParams?: Record<string, string | number> }): Promise<DicomJson[]>;
  searchForSeries(options?: {
    studyInstanceUID?: string;
    queryParams?: Record<string, string | number>;
  }): Promise<DicomJson[]>;
  searchForInstances(options?: {
    studyInstanceUID?: string;
    seriesInstanceUID?: string;
    queryParams?: Record<string, string | number>;
  }): Promise<DicomJson[]>;
  retrieveStudy(options: { studyInstanceUID: string; mediaTypes?: MediaType[] }): Promise<ArrayBuffer[]>;
  retrieveSeries(options: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    mediaTypes?: MediaType[];
  }): Promise<ArrayBuffer[]>;
  retrieveInstance(options: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
    mediaTypes?: MediaType[];
  }): Promise<ArrayBuffer>;
  retrieveStudyMetadata(options: { studyInstanceUID: string }): Promise<DicomJson[]>;
  retrieveSeriesMetadata(options: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
  }): Promise<DicomJson[]>;
  retrieveInstanceMetadata(options: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
  }): Promise<DicomJson[]>;
  buildInstanceWadoURIUrl(options: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
  }): string;
}

const require = createRequire(import.meta.url);

/**
 * dicomweb-client creates `new XMLHttpRequest()` for every request, which Node 20 lacks: the `xhr2`
 * package provides it (installed on globalThis once, only if nothing else has).
 */
export function dicomWebClient(url: string): DicomWebClient {
  const g = globalThis as { XMLHttpRequest?: unknown };
  g.XMLHttpRequest ??= require("xhr2");
  const { api } = require("dicomweb-client") as {
    api: { DICOMwebClient: new (options: object) => DicomWebClient };
  };
  return new api.DICOMwebClient({ url, headers: AUTH, verbose: false });
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

export async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers: { ...AUTH, ...headers } });
}

/** A problem+json answer with this status and a detail that contains `detail` when given. */
export async function expectProblem(response: Response, status: number, detail?: string | RegExp) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as { status: number; title: string; detail?: string };
  expect(body.status).toBe(status);
  if (detail !== undefined) expect(body.detail ?? "").toMatch(detail);
  return body;
}

export interface ReadPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** Reads a multipart body as RFC 2046 §5.1.1 defines it; throws if the close delimiter is missing. */
export function readMultipart(contentType: string, body: Buffer): ReadPart[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`, "latin1");
  const parts: ReadPart[] = [];
  let at = body.indexOf(delimiter);
  if (at !== 0) throw new Error("body does not start with the first boundary");
  for (;;) {
    const afterDelimiter = at + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString("latin1") === "--") return parts;
    const headerStart = afterDelimiter + 2;
    const headerEnd = body.indexOf("\r\n\r\n", headerStart, "latin1");
    if (headerEnd < 0) throw new Error("part without the blank line after its headers");
    const headers: Record<string, string> = {};
    for (const line of body.subarray(headerStart, headerEnd).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error("multipart body has no close delimiter");
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
}

// ---------------------------------------------------------------------------------------------------------
// dcmdump as the truth for metadata

export interface DumpedElement {
  /** Tags ("00100010") and item indexes, outermost first: ["00540016", "0", "00181072"]. */
  path: string[];
  vr: string;
  /** The value as dcmdump prints it, brackets removed; undefined when not loaded or empty. */
  value: string | undefined;
  /** Items, for SQ. */
  items: number;
}

// "(0010,0010) PN [Doe^John]        #   8, 1 PatientName"
const ELEMENT_LINE = /^( *)\(([0-9a-f]{4}),([0-9a-f]{4})\) (\S\S) (.*?)\s+#\s*(?:\d+|u\/l),\s*\d+\s+(.+)$/;

/** Every element of a file's data set, nested ones with their path; meta group left out. */
export async function dumpElements(file: string): Promise<DumpedElement[]> {
  const { stdout, code, stderr } = await run("dcmdump", ["+L", "-M", "-Un", "+U8", file]);
  if (code !== 0) throw new Error(`dcmdump ${file}: ${stderr}`);
  const elements: DumpedElement[] = [];
  const open: Array<{ depth: number; element: DumpedElement; item: number }> = [];
  for (const line of stdout.split("\n")) {
    const match = ELEMENT_LINE.exec(line);
    if (!match) continue;
    const [, indent = "", group = "", elem = "", vr = "", raw = ""] = match;
    const depth = indent.length / 2;
    while (open.length > 0 && (open.at(-1)?.depth ?? 0) >= depth) open.pop();
    const parent = open.at(-1);
    if (group === "fffe") {
      if (elem === "e000" && parent) {
        parent.item += 1;
        parent.element.items += 1;
      }
      continue;
    }
    if (group === "0002" && depth === 0) continue;
    const path = parent ? [...parent.element.path, String(parent.item)] : [];
    let value: string | undefined;
    if (raw.startsWith("[") && raw.endsWith("]")) value = raw.slice(1, -1);
    else if (!raw.startsWith("(")) value = raw;
    else if (vr === "AT") value = raw;
    const element: DumpedElement = { path: [...path, `${group}${elem}`.toUpperCase()], vr, value, items: 0 };
    elements.push(element);
    if (vr === "SQ") open.push({ depth, element, item: -1 });
  }
  return elements;
}

/** The attribute at a dumped path inside a DICOM JSON object. */
export function attributeAt(json: DicomJson, path: readonly string[]): Attribute | undefined {
  let current: DicomJson | undefined = json;
  for (let i = 0; i < path.length - 1; i += 2) {
    const items = current?.[path[i] as string]?.Value as DicomJson[] | undefined;
    current = items?.[Number(path[i + 1])];
  }
  return current?.[path[path.length - 1] as string];
}

const NUMERIC = new Set(["US", "SS", "UL", "SL", "FL", "FD", "SV", "UV", "IS", "DS"]);
const BINARY = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);

function personNameText(value: unknown): string {
  if (value === null) return "";
  const pn = value as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
  const groups = [pn.Alphabetic ?? "", pn.Ideographic ?? "", pn.Phonetic ?? ""];
  while (groups.length > 0 && groups.at(-1) === "") groups.pop();
  return groups.join("=");
}

function closeEnough(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Checks one dumped element against its DICOM JSON attribute; returns a description of the mismatch
 * or undefined. Values DCMTK did not load (long ones) only need to be there as bulk or inline data.
 */
export function compareElement(json: DicomJson, dumped: DumpedElement): string | undefined {
  const where = dumped.path.join("/");
  const attribute = attributeAt(json, dumped.path);
  if (!attribute) return `${where} (${dumped.vr}) is missing`;
  const swappable = new Set([dumped.vr, attribute.vr]);
  const sameVr =
    attribute.vr === dumped.vr || dumped.vr === "UN" || (swappable.has("US") && swappable.has("SS"));
  if (!sameVr) return `${where}: vr ${attribute.vr}, dcmdump says ${dumped.vr}`;
  if (dumped.vr === "UN" || attribute.vr !== dumped.vr) return undefined;
  if (dumped.vr === "SQ") {
    const items = attribute.Value?.length ?? 0;
    return items === dumped.items ? undefined : `${where}: ${items} items, dcmdump has ${dumped.items}`;
  }
  if (BINARY.has(dumped.vr) || dumped.path.at(-1) === "7FE00010") {
    const has = attribute.InlineBinary !== undefined || attribute.BulkDataURI !== undefined;
    return has || dumped.value === undefined ? undefined : `${where}: binary value missing`;
  }
  const values = attribute.Value ?? [];
  if (dumped.value === undefined)
    return values.length === 0 ? undefined : `${where}: has a value, dcmdump none`;
  const multi = isMultiValuedTextVr(dumped.vr) || NUMERIC.has(dumped.vr) || dumped.vr === "AT";
  const expected = multi ? dumped.value.split("\\") : [dumped.value];
  if (values.length !== expected.length) {
    return `${where}: ${JSON.stringify(values)} vs dcmdump ${JSON.stringify(dumped.value)}`;
  }
  for (const [i, want] of expected.entries()) {
    const got = values[i];
    let ok: boolean;
    if (dumped.vr === "PN") ok = personNameText(got) === want.replace(/=+$/, "");
    else if (dumped.vr === "AT") ok = got === want.replace(/[(),]/g, "").toUpperCase();
    else if (NUMERIC.has(dumped.vr)) {
      ok = want.trim() === "" ? got === null : typeof got === "number" && closeEnough(got, Number(want));
    } else ok = want === "" ? got === null : got === want;
    if (!ok) return `${where}: value ${i} is ${JSON.stringify(got)}, dcmdump ${JSON.stringify(want)}`;
  }
  return undefined;
}

/** The tag of a keyword as the 8-hex JSON key. */
export function key(keyword: string): string {
  const tag = tagForKeyword(keyword);
  if (tag === undefined) throw new Error(`no keyword ${keyword}`);
  return tag.toString(16).toUpperCase().padStart(8, "0");
}

/** The first value of an attribute of a DICOM JSON object, by keyword. */
export function first(json: DicomJson, keyword: string): unknown {
  return json[key(keyword)]?.Value?.[0];
}
