/**
 * Reading DICOM JSON (PS3.18 Annex F) as the metadata resource serves it: numbers for IS/DS/US/…,
 * PN as {Alphabetic, …}, sequences as arrays of objects, short binary values as InlineBinary (base64,
 * little endian) and long ones as a BulkDataURI.
 */
import type { DicomJson, DicomJsonAttribute } from "../viewer-contract";

/** 8 upper-case hex digits, the key DICOM JSON uses for a tag. */
export function tagKey(tag: number): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

export function attribute(json: DicomJson | undefined, tag: number): DicomJsonAttribute | undefined {
  return json?.[tagKey(tag)];
}

function values(json: DicomJson | undefined, tag: number): unknown[] {
  return attribute(json, tag)?.Value ?? [];
}

/** A number from a numeric value (or a numeric string, which a malformed IS/DS stays as). */
function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function numberOf(json: DicomJson | undefined, tag: number, index = 0): number | undefined {
  return toNumber(values(json, tag)[index]);
}

/** All values as numbers; undefined when any is missing or not a number. */
export function numbersOf(json: DicomJson | undefined, tag: number): number[] | undefined {
  const raw = values(json, tag);
  if (raw.length === 0) return undefined;
  const out: number[] = [];
  for (const value of raw) {
    const n = toNumber(value);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}

export function stringOf(json: DicomJson | undefined, tag: number, index = 0): string | undefined {
  const value = values(json, tag)[index];
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (value && typeof value === "object" && "Alphabetic" in value) {
    const alphabetic = (value as { Alphabetic?: unknown }).Alphabetic;
    return typeof alphabetic === "string" ? alphabetic : undefined;
  }
  return undefined;
}

export function stringsOf(json: DicomJson | undefined, tag: number): string[] {
  return values(json, tag).map((value) => (typeof value === "string" ? value : String(value ?? "")));
}

/** The items of a sequence. */
export function itemsOf(json: DicomJson | undefined, tag: number): DicomJson[] {
  return values(json, tag).filter((item): item is DicomJson => !!item && typeof item === "object");
}

/** A binary value: its bytes when inline, or where to fetch them. */
export type BinaryValue = { bytes: Uint8Array } | { uri: string };

export function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * A value as 16-bit words (LUT data): from Value (US/SS numbers), InlineBinary or a BulkDataURI (OW,
 * little endian, as the server sends bulk data).
 */
export function binaryOf(json: DicomJson | undefined, tag: number): BinaryValue | number[] | undefined {
  const found = attribute(json, tag);
  if (!found) return undefined;
  if (found.BulkDataURI) return { uri: found.BulkDataURI };
  if (found.InlineBinary !== undefined) return { bytes: base64Bytes(found.InlineBinary) };
  if (found.Value) return found.Value.map((v) => toNumber(v) ?? 0);
  return undefined;
}
