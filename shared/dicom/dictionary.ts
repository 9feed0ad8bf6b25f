/** The PS3.6 data dictionary: tag ↔ VR, VM and keyword. Data is in dictionary-data.ts (generated). */
import { DICTIONARY_TEXT, REPEATERS_TEXT } from "./dictionary-data.js";

export interface DictionaryEntry {
  readonly vr: string;
  readonly vm: string;
  readonly keyword: string;
}

interface Repeater {
  readonly mask: number;
  readonly value: number;
  readonly entry: DictionaryEntry;
}

interface Tables {
  readonly byTag: Map<number, DictionaryEntry>;
  readonly byKeyword: Map<string, number>;
  readonly repeaters: Repeater[];
}

let tables: Tables | undefined;

function parseLine(line: string): [string, DictionaryEntry] {
  const [tag = "", vr = "", vm = "", keyword = ""] = line.split(" ");
  return [tag, Object.freeze({ vr, vm, keyword })];
}

/** Built on first use: a few milliseconds that only code which needs the dictionary pays. */
function load(): Tables {
  if (tables) return tables;
  const byTag = new Map<number, DictionaryEntry>();
  const byKeyword = new Map<string, number>();
  for (const line of DICTIONARY_TEXT.trim().split("\n")) {
    const [hex, entry] = parseLine(line);
    const tag = parseInt(hex, 16);
    byTag.set(tag, entry);
    if (entry.keyword) byKeyword.set(entry.keyword, tag);
  }
  const repeaters: Repeater[] = [];
  for (const line of REPEATERS_TEXT.trim().split("\n")) {
    const [pattern, entry] = parseLine(line);
    const mask = parseInt(pattern.replace(/[0-9A-F]/g, "F").replace(/x/g, "0"), 16);
    const value = parseInt(pattern.replace(/x/g, "0"), 16);
    repeaters.push({ mask, value, entry });
    byKeyword.set(entry.keyword, value);
  }
  tables = { byTag, byKeyword, repeaters };
  return tables;
}

function lookupRepeater(t: Tables, tag: number): DictionaryEntry | undefined {
  // Repeating groups (50xx, 60xx, 7Fxx) use even groups only; odd ones are private.
  if (tag & 0x10000) return undefined;
  for (const r of t.repeaters) {
    if ((tag & r.mask) >>> 0 === r.value) return r.entry;
  }
  return undefined;
}

/** Dictionary entry of a standard tag (repeating groups included), or undefined. */
export function lookupTag(tag: number): DictionaryEntry | undefined {
  const t = load();
  return t.byTag.get(tag) ?? lookupRepeater(t, tag);
}

/** The tag of a standard keyword (for repeating groups: the tag of the first group, e.g. 0x60000010). */
export function tagForKeyword(keyword: string): number | undefined {
  return load().byKeyword.get(keyword);
}

export function isPrivateTag(tag: number): boolean {
  return ((tag >>> 16) & 1) === 1;
}

export function isPrivateCreator(tag: number): boolean {
  const element = tag & 0xffff;
  return isPrivateTag(tag) && element >= 0x0010 && element <= 0x00ff;
}

/**
 * The VR to assume for a tag when the encoding does not carry one (implicit VR, or a writer
 * given none): the dictionary's, UL for group lengths, LO for private creators, else UN.
 */
export function vrForTag(tag: number): string {
  const entry = lookupTag(tag);
  if (entry && entry.vr !== "NONE") return entry.vr;
  if ((tag & 0xffff) === 0 && !entry) return "UL";
  if (isPrivateCreator(tag)) return "LO";
  return "UN";
}

/** "(0010,0010)" — the notation of PS3.5 and of every DICOM tool's messages. */
export function formatTag(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, "0");
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
