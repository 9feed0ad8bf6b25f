/**
 * Text of the charset-dependent VRs (SH, LO, ST, LT, UC, UT, PN) under Specific Character Set
 * (0008,0005): single-byte sets, UTF-8/GB18030/GBK, and ISO 2022 code extensions (PS3.5 §6.1.2.5).
 */
import iconv from "iconv-lite";
import { isMultiValuedTextVr } from "../../../shared/dicom/vr.js";

const ESC = 0x1b;

/** A graphic character set that an escape sequence designates to G0 (bytes < 0x80) or G1 (>= 0x80). */
interface CodeSet {
  readonly escape: string;
  readonly codec: string;
  readonly g0: boolean;
  /** Two bytes per character (JIS X 0208/0212, KS X 1001, GB 2312). */
  readonly double: boolean;
}

function codeSet(escape: string, codec: string, g0: boolean, double = false): CodeSet {
  return { escape, codec, g0, double };
}

const ASCII = codeSet("\x1b(B", "latin1", true);
// JIS X 0201 Romaji differs from ASCII only at 0x5C and 0x7E; like pydicom we read it as ASCII.
const ROMAJI = codeSet("\x1b(J", "latin1", true);
const JIS_X_0208 = codeSet("\x1b$B", "eucjp", true, true);
const JIS_X_0212 = codeSet("\x1b$(D", "eucjp", true, true);
const KATAKANA = codeSet("\x1b)I", "shiftjis", false);
const KS_X_1001 = codeSet("\x1b$)C", "euckr", false, true);
const GB_2312 = codeSet("\x1b$)A", "gb2312", false, true);

const G1_SINGLE: Record<string, CodeSet> = {
  "100": codeSet("\x1b-A", "latin1", false),
  "101": codeSet("\x1b-B", "iso88592", false),
  "109": codeSet("\x1b-C", "iso88593", false),
  "110": codeSet("\x1b-D", "iso88594", false),
  "144": codeSet("\x1b-L", "iso88595", false),
  "127": codeSet("\x1b-G", "iso88596", false),
  "126": codeSet("\x1b-F", "iso88597", false),
  "138": codeSet("\x1b-H", "iso88598", false),
  "148": codeSet("\x1b-M", "iso88599", false),
  "203": codeSet("\x1b-b", "iso885915", false),
  "166": codeSet("\x1b-T", "tis620", false),
};

/** What one defined term of (0008,0005) designates. */
interface Term {
  /** ISO_IR 192, GB18030, GBK: the whole value in one codec, no code extensions allowed. */
  readonly standalone?: string;
  readonly g0: CodeSet;
  readonly g1?: CodeSet;
  /** The sets this term adds when it is not the first value (code extensions). */
  readonly extensions: readonly CodeSet[];
}

function buildTerms(): Map<string, Term> {
  const terms = new Map<string, Term>();
  const ascii: Term = { g0: ASCII, extensions: [] };
  for (const name of ["", "ISO_IR 6", "ISO 2022 IR 6"]) terms.set(name, ascii);
  for (const [ir, set] of Object.entries(G1_SINGLE)) {
    const term: Term = { g0: ASCII, g1: set, extensions: [set] };
    terms.set(`ISO_IR ${ir}`, term);
    terms.set(`ISO 2022 IR ${ir}`, term);
  }
  const japanese: Term = { g0: ROMAJI, g1: KATAKANA, extensions: [KATAKANA, ROMAJI] };
  terms.set("ISO_IR 13", japanese);
  terms.set("ISO 2022 IR 13", japanese);
  terms.set("ISO 2022 IR 87", { g0: ASCII, extensions: [JIS_X_0208] });
  terms.set("ISO 2022 IR 159", { g0: ASCII, extensions: [JIS_X_0212] });
  terms.set("ISO 2022 IR 149", { g0: ASCII, extensions: [KS_X_1001] });
  terms.set("ISO 2022 IR 58", { g0: ASCII, extensions: [GB_2312] });
  terms.set("ISO_IR 192", { standalone: "utf8", g0: ASCII, extensions: [] });
  terms.set("GB18030", { standalone: "gb18030", g0: ASCII, extensions: [] });
  terms.set("GBK", { standalone: "gbk", g0: ASCII, extensions: [] });
  return terms;
}

const TERMS = buildTerms();
const DEFAULT_TERM = TERMS.get("") as Term;

const BY_ESCAPE = new Map<string, CodeSet>(
  [ASCII, ROMAJI, JIS_X_0208, JIS_X_0212, KATAKANA, KS_X_1001, GB_2312, ...Object.values(G1_SINGLE)].map(
    (s) => [s.escape, s],
  ),
);

/** Unknown terms fall back to the default repertoire, as pydicom and DCMTK do. */
function termOf(name: string | undefined): Term {
  return TERMS.get((name ?? "").trim()) ?? DEFAULT_TERM;
}

/** Characters before which every designation returns to value 1 of (0008,0005) (PS3.5 §6.1.2.5.3). */
function delimitersFor(vr: string): ReadonlySet<number> {
  const set = new Set([0x09, 0x0a, 0x0c, 0x0d]);
  if (isMultiValuedTextVr(vr)) set.add(0x5c);
  if (vr === "PN") {
    set.add(0x5e);
    set.add(0x3d);
  }
  return set;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** ASCII without escape sequences: the same text under every character set. */
function isPlainAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b >= 0x80 || b === ESC) return false;
  }
  return true;
}

/** G1 undesignated (the default repertoire): bytes above 0x7F are read as Latin-1 rather than lost. */
function decodeSingle(bytes: Uint8Array, g1: CodeSet | undefined): string {
  if (!g1 || g1.codec === "latin1") return asBuffer(bytes).toString("latin1");
  return iconv.decode(asBuffer(bytes), g1.codec);
}

/** JIS X 0208/0212 bytes in G0 map onto EUC-JP by setting the high bit (0212 with an SS3 prefix). */
function jisToEucJp(bytes: Uint8Array, set: CodeSet): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x21 || b > 0x7e) {
      out.push(b);
      continue;
    }
    if (set === JIS_X_0212) out.push(0x8f, b | 0x80, ((bytes[++i] ?? 0) & 0x7f) | 0x80);
    else out.push(b | 0x80);
  }
  return Buffer.from(out);
}

/** A run of bytes under one G0/G1 designation. */
function decodeRun(bytes: Uint8Array, g0: CodeSet, g1: CodeSet | undefined): string {
  if (bytes.length === 0) return "";
  if (!g0.double) return decodeSingle(bytes, g1);
  let out = "";
  let start = 0;
  for (let i = 1; i <= bytes.length; i++) {
    const high = i < bytes.length && (bytes[i] as number) >= 0x80;
    if (i < bytes.length && high === (bytes[start] as number) >= 0x80) continue;
    const part = bytes.subarray(start, i);
    out +=
      (bytes[start] as number) >= 0x80 ? decodeSingle(part, g1) : iconv.decode(jisToEucJp(part, g0), "eucjp");
    start = i;
  }
  return out;
}

function matchEscape(bytes: Uint8Array, at: number): [CodeSet | undefined, number] {
  for (const length of [4, 3]) {
    const seq = asBuffer(bytes.subarray(at, at + length)).toString("latin1");
    const set = BY_ESCAPE.get(seq);
    if (set) return [set, length];
  }
  return [undefined, 1];
}

function decodeIso2022(bytes: Uint8Array, term: Term, delimiters: ReadonlySet<number>): string {
  let g0 = term.g0;
  let g1 = term.g1;
  let out = "";
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b === ESC) {
      out += decodeRun(bytes.subarray(start, i), g0, g1);
      const [set, length] = matchEscape(bytes, i);
      if (set?.g0) g0 = set;
      else if (set) g1 = set;
      i += length;
      start = i;
      continue;
    }
    // Inside a two-byte G0 set only control characters can be delimiters: '^' is half a kanji there.
    const resets = delimiters.has(b) && (!g0.double || b < 0x21);
    if (resets && (g0 !== term.g0 || g1 !== term.g1)) {
      out += decodeRun(bytes.subarray(start, i), g0, g1);
      start = i;
      g0 = term.g0;
      g1 = term.g1;
    }
    i++;
  }
  return out + decodeRun(bytes.subarray(start), g0, g1);
}

/**
 * Decode the value of a text element. `charsets` are the values of (0008,0005) in force ([] or
 * [""] for the default repertoire); `vr` decides which characters reset code extensions.
 */
export function decodeText(bytes: Uint8Array, charsets: readonly string[], vr: string): string {
  if (bytes.length === 0) return "";
  const term = termOf(charsets[0]);
  if (term.standalone === "utf8") return asBuffer(bytes).toString("utf8");
  if (term.standalone) return iconv.decode(asBuffer(bytes), term.standalone);
  if (isPlainAscii(bytes)) return asBuffer(bytes).toString("latin1");
  if (!bytes.includes(ESC)) return decodeRun(bytes, term.g0, term.g1);
  return decodeIso2022(bytes, term, delimitersFor(vr));
}

export class UnencodableTextError extends Error {
  constructor(
    readonly character: string,
    readonly charsets: readonly string[],
  ) {
    const named = charsets.map((c) => c || "ISO_IR 6").join("\\") || "ISO_IR 6";
    super(`character ${JSON.stringify(character)} cannot be encoded in Specific Character Set ${named}`);
    this.name = "UnencodableTextError";
  }
}

/** The bytes of one character in `set`, or undefined when the set lacks it. */
function encodeInSet(ch: string, set: CodeSet): number[] | undefined {
  const bytes = [...iconv.encode(ch, set.codec)];
  const [b0 = 0, b1 = 0, b2 = 0] = bytes;
  if (iconv.decode(Buffer.from(bytes), set.codec) !== ch) return undefined;
  if (set === KATAKANA) return bytes.length === 1 && b0 >= 0xa1 && b0 <= 0xdf ? bytes : undefined;
  if (set === JIS_X_0212) return bytes.length === 3 && b0 === 0x8f ? [b1 & 0x7f, b2 & 0x7f] : undefined;
  if (set.double) {
    const inGr = bytes.length === 2 && b0 >= 0xa1 && b0 <= 0xfe && b1 >= 0xa1 && b1 <= 0xfe;
    if (!inGr) return undefined;
    return set.g0 ? [b0 & 0x7f, b1 & 0x7f] : bytes;
  }
  return bytes.length === 1 && b0 >= 0xa0 ? bytes : undefined;
}

function encodeIso2022(text: string, charsets: readonly string[], vr: string): Buffer {
  const first = termOf(charsets[0]);
  const extensions = charsets.slice(1).flatMap((c) => termOf(c).extensions);
  const delimiters = delimitersFor(vr);
  const out: number[] = [];
  const emit = (escape: string): void => {
    for (let i = 0; i < escape.length; i++) out.push(escape.charCodeAt(i));
  };
  let g0 = first.g0;
  let g1 = first.g1;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) {
      // Back to value 1's G0 before ASCII; before a delimiter G1 returns to it as well.
      if (g0 !== first.g0) emit(first.g0.escape);
      g0 = first.g0;
      if (delimiters.has(cp)) g1 = first.g1;
      out.push(cp);
      continue;
    }
    // Prefer the sets already designated, so that runs of one script need a single escape.
    const sets = [g0, g1, first.g1, ...extensions].filter((s): s is CodeSet => !!s && (s.double || !s.g0));
    let encoded: number[] | undefined;
    let used: CodeSet | undefined;
    for (const set of sets) {
      encoded = encodeInSet(ch, set);
      if (encoded) {
        used = set;
        break;
      }
    }
    if (!encoded || !used) throw new UnencodableTextError(ch, charsets);
    if (used.g0 && g0 !== used) emit(used.escape);
    if (!used.g0 && g1 !== used) emit(used.escape);
    if (used.g0) g0 = used;
    else g1 = used;
    out.push(...encoded);
  }
  if (g0 !== first.g0) emit(first.g0.escape);
  return Buffer.from(out);
}

function encodeStandalone(text: string, codec: string, charsets: readonly string[]): Buffer {
  if (codec === "utf8") return Buffer.from(text, "utf8");
  const encoded = iconv.encode(text, codec);
  if (iconv.decode(encoded, codec) === text) return encoded;
  const bad = [...text].find((ch) => iconv.decode(iconv.encode(ch, codec), codec) !== ch) ?? text;
  throw new UnencodableTextError(bad, charsets);
}

export function isAsciiText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** "ISO 2022 IR 6\ISO 2022 IR 87" → ["ISO 2022 IR 6", "ISO 2022 IR 87"]. */
export function splitCharsets(value: string): string[] {
  return value === "" ? [] : value.split("\\").map((v) => v.trim());
}

/**
 * Encode text for a charset-dependent VR (`vr` picks the characters that reset code extensions:
 * PN adds "^" and "="). Throws UnencodableTextError when a character is not in
 * the given sets, so the caller can switch the data set to ISO_IR 192 (UTF-8).
 */
export function encodeText(text: string, charsets: string | readonly string[], vr = "LO"): Buffer {
  const list = typeof charsets === "string" ? splitCharsets(charsets) : charsets;
  const term = termOf(list[0]);
  if (term.standalone) return encodeStandalone(text, term.standalone, list);
  if (isAsciiText(text)) return Buffer.from(text, "latin1");
  return encodeIso2022(text, list, vr);
}
