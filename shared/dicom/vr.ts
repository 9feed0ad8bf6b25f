/** Value Representations (PS3.5 §6.2) and the encoding rules that depend on them. */

export const VRS = [
  "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV",
  "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV",
] as const; // prettier-ignore

export type Vr = (typeof VRS)[number];

/** VRs whose explicit-VR header has 2 reserved bytes and a 32-bit length (PS3.5 §7.1.2). */
const LONG_LENGTH = new Set<string>([
  "OB",
  "OD",
  "OF",
  "OL",
  "OV",
  "OW",
  "SQ",
  "SV",
  "UC",
  "UN",
  "UR",
  "UT",
  "UV",
]);

/** Text VRs whose bytes depend on Specific Character Set (PS3.5 §6.1.2.3). */
const CHARSET_TEXT = new Set<string>(["LO", "LT", "PN", "SH", "ST", "UC", "UT"]);

/** Text VRs, charset-dependent or not. */
const TEXT = new Set<string>([...CHARSET_TEXT, "AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "UR"]);

/** Text VRs that hold exactly one value: a backslash in them is an ordinary character. */
const SINGLE_VALUED_TEXT = new Set<string>(["LT", "ST", "UT", "UR"]);

/** Text VRs whose leading spaces are insignificant as well as their trailing ones. */
const LEADING_SPACE_INSIGNIFICANT = new Set<string>([
  "AE",
  "AS",
  "CS",
  "DA",
  "DS",
  "DT",
  "IS",
  "LO",
  "SH",
  "TM",
  "UI",
]);

const BY_CODE = new Map<number, Vr>(VRS.map((vr) => [(vr.charCodeAt(0) << 8) | vr.charCodeAt(1), vr]));

/** The VR whose two ASCII bytes are `b0 b1`, or undefined when they name none. */
export function vrFromBytes(b0: number, b1: number): Vr | undefined {
  return BY_CODE.get((b0 << 8) | b1);
}

export function isVr(vr: string): vr is Vr {
  return vr.length === 2 && BY_CODE.has((vr.charCodeAt(0) << 8) | vr.charCodeAt(1));
}

export function hasLongLength(vr: string): boolean {
  return LONG_LENGTH.has(vr);
}

export function isTextVr(vr: string): boolean {
  return TEXT.has(vr);
}

export function isCharsetTextVr(vr: string): boolean {
  return CHARSET_TEXT.has(vr);
}

export function isMultiValuedTextVr(vr: string): boolean {
  return TEXT.has(vr) && !SINGLE_VALUED_TEXT.has(vr);
}

/** Trailing padding is always insignificant; leading spaces only for some VRs. */
export function trimTextValue(vr: string, text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0)) end--;
  let start = 0;
  if (LEADING_SPACE_INSIGNIFICANT.has(vr)) {
    while (start < end && text.charCodeAt(start) === 0x20) start++;
  }
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Bytes per value of the VRs that hold binary numbers (OB..OV as arrays of their unit), else undefined. */
const BINARY_SIZE: Readonly<Record<string, number>> = {
  OB: 1, US: 2, SS: 2, OW: 2, UL: 4, SL: 4, FL: 4, AT: 4, OL: 4, OF: 4, FD: 8, SV: 8, UV: 8, OD: 8, OV: 8,
}; // prettier-ignore

export function binaryValueSize(vr: string): number | undefined {
  return BINARY_SIZE[vr];
}

/** The byte that pads a value to even length: NUL for UI and binary VRs, space for text. */
export function padByte(vr: string): number {
  return vr === "UI" || !TEXT.has(vr) ? 0x00 : 0x20;
}
