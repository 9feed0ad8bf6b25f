import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as tags from "../../shared/dicom/tags.js";
import { decodeText, encodeText, UnencodableTextError } from "../../electron/pacs/dicom/charset.js";
import { type DataSet, parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { CHARSET_FILES } from "./helpers.js";

const FILES = readdirSync(CHARSET_FILES)
  .filter((f) => f.endsWith(".dcm"))
  .sort();

/** Every charset-dependent text value pydicom decodes, keyed "gggg,eeee" or "seq[i]/gggg,eeee". */
const TRUTH_SCRIPT = `
import json, sys, warnings
warnings.simplefilter("ignore")
import pydicom
from pydicom.multival import MultiValue

def walk(ds, prefix, out):
    for el in ds:
        key = prefix + "%04x,%04x" % (el.tag.group, el.tag.elem)
        if el.VR == "SQ":
            for i, item in enumerate(el.value):
                walk(item, key + "[%d]/" % i, out)
        elif el.VR in ("SH", "LO", "ST", "LT", "UC", "UT", "PN"):
            value = el.value
            out[key] = "\\\\".join(str(v) for v in value) if isinstance(value, MultiValue) else ("" if value is None else str(value))

result = {}
for path in json.loads(sys.stdin.read()):
    out = {}
    walk(pydicom.dcmread(path), "", out)
    result[path] = out
print(json.dumps(result))
`;

function read(file: string): DataSet {
  const bytes = readFileSync(join(CHARSET_FILES, file));
  const header = readPart10Header(bytes);
  return parseDataset(bytes.subarray(header.datasetOffset), { transferSyntaxUid: header.transferSyntaxUid });
}

function texts(ds: DataSet, prefix: string, out: Map<string, { ds: DataSet; tag: number }>): void {
  for (const el of ds.elements()) {
    const key = `${prefix}${(el.tag >>> 16).toString(16).padStart(4, "0")},${(el.tag & 0xffff).toString(16).padStart(4, "0")}`;
    if (el.items) el.items.forEach((item, i) => texts(item, `${key}[${i}]/`, out));
    else if (["SH", "LO", "ST", "LT", "UC", "UT", "PN"].includes(el.vr)) out.set(key, { ds, tag: el.tag });
  }
}

function isPrivateData(key: string): boolean {
  const [group = 0, element = 0] = (key.split("/").at(-1) ?? "").split(",").map((h) => parseInt(h, 16));
  return group % 2 === 1 && element > 0xff;
}

/** pydicom prints a PN without trailing empty component groups, and a multi-valued PN value by value. */
function normalise(value: string): string {
  return value
    .split("\\")
    .map((v) => v.replace(/=+$/, ""))
    .join("\\");
}

describe("pydicom's character set files", () => {
  let truth: Record<string, Record<string, string>>;
  beforeAll(() => {
    const paths = FILES.map((f) => join(CHARSET_FILES, f));
    truth = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", TRUTH_SCRIPT], { input: JSON.stringify(paths) }).toString(),
    );
  });

  it.each(FILES)("%s: every text value decodes as pydicom decodes it", (file) => {
    // pydicom also knows private dictionaries; here private data elements of implicit VR files stay UN.
    const expected = Object.fromEntries(
      Object.entries(truth[join(CHARSET_FILES, file)] ?? {}).filter(([key]) => !isPrivateData(key)),
    );
    const ours = new Map<string, { ds: DataSet; tag: number }>();
    texts(read(file), "", ours);
    expect([...ours.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [key, { ds, tag }] of ours) {
      const vr = ds.get(tag)?.vr;
      const value = vr === "LT" || vr === "ST" || vr === "UT" ? ds.string(tag) : ds.strings(tag).join("\\");
      expect(normalise(value ?? ""), key).toBe(normalise(expected[key] ?? ""));
    }
  });

  it.each(FILES)("%s: the patient name re-encodes to the bytes in the file", (file) => {
    const ds = read(file);
    const raw = ds.bytes(tags.PatientName);
    if (!raw) return;
    const name = ds.string(tags.PatientName) ?? "";
    const encoded = encodeText(name, ds.charsets, "PN");
    expect(decodeText(encoded, ds.charsets, "PN")).toBe(name);
    // chrKoreanMulti.dcm ends with a redundant ESC ( B (G0 never left ASCII); both forms are valid.
    if (file !== "chrKoreanMulti.dcm")
      expect(encoded.toString("latin1")).toBe(raw.toString("latin1").replace(/ +$/, ""));
  });

  it("matches the names FileInfo.txt lists", () => {
    const names: Record<string, string> = {
      "chrArab.dcm": "قباني^لنزار",
      "chrFren.dcm": "Buc^Jérôme",
      "chrGerm.dcm": "Äneas^Rüdiger",
      "chrGreek.dcm": "Διονυσιος",
      "chrH31.dcm": "Yamada^Tarou=山田^太郎=やまだ^たろう",
      "chrH32.dcm": "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう",
      "chrHbrw.dcm": "שרון^דבורה",
      "chrI2.dcm": "Hong^Gildong=洪^吉洞=홍^길동",
      "chrRuss.dcm": "Люкceмбypг",
      "chrX1.dcm": "Wang^XiaoDong=王^小東=",
      "chrX2.dcm": "Wang^XiaoDong=王^小东=",
      "chrKoreanMulti.dcm": "김희중",
      "chrJapMulti.dcm": "やまだ^たろう",
    };
    for (const [file, name] of Object.entries(names))
      expect(read(file).string(tags.PatientName), file).toBe(name);
  });

  it("gives a sequence item its own Specific Character Set, else the enclosing one", () => {
    const own = read("chrSQEncoding.dcm");
    expect(own.charsets).toEqual(["ISO_IR 192"]);
    const [item] = own.items(0x00321064);
    expect(item?.charsets).toEqual(["ISO 2022 IR 13", "ISO 2022 IR 87"]);
    expect(item?.string(tags.PatientName)).toBe("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう");
    const inherited = read("chrSQEncoding1.dcm").items(0x00321064)[0];
    expect(inherited?.charsets).toEqual(["ISO 2022 IR 13", "ISO 2022 IR 87"]);
    expect(inherited?.string(tags.PatientName)).toBe("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう");
  });
});

describe("decodeText", () => {
  const bytes = (text: string) => Buffer.from(text, "latin1");

  it("reads bytes above 0x7F in the default repertoire as Latin-1", () => {
    expect(decodeText(bytes("M\xfcller"), [], "PN")).toBe("Müller");
    expect(decodeText(bytes("M\xfcller"), ["ISO_IR 6"], "PN")).toBe("Müller");
  });

  it("falls back to the default repertoire for an unknown term", () => {
    expect(decodeText(bytes("Caf\xe9"), ["ISO_IR 999"], "LO")).toBe("Café");
  });

  it("replaces invalid UTF-8 rather than failing", () => {
    expect(decodeText(Buffer.from([0x41, 0xff, 0x42]), ["ISO_IR 192"], "LO")).toBe("A\ufffdB");
  });

  it("decodes the single-byte sets", () => {
    expect(decodeText(bytes("\xa3\xb1"), ["ISO_IR 101"], "LO")).toBe("Łą");
    expect(decodeText(bytes("\xa4"), ["ISO_IR 203"], "LO")).toBe("€");
    expect(decodeText(bytes("\xa1"), ["ISO_IR 166"], "LO")).toBe("ก");
    expect(decodeText(bytes("\xf0"), ["ISO_IR 148"], "LO")).toBe("ğ");
  });

  it("decodes JIS X 0212 and GB 2312 code extensions", () => {
    expect(decodeText(bytes("\x1b$(D\x30\x21\x1b(B"), ["", "ISO 2022 IR 159"], "LO")).toBe("丂");
    expect(decodeText(bytes("\x1b$)A\xd6\xd0\xce\xc4"), ["", "ISO 2022 IR 58"], "LO")).toBe("中文");
  });

  it("returns to value 1 of (0008,0005) at delimiters", () => {
    // After "^" the G1 set is ISO-IR 100 again, not the Cyrillic one designated before it.
    const value = bytes("\x1b-L\xbb\xee^\xe9");
    expect(decodeText(value, ["ISO 2022 IR 100", "ISO 2022 IR 144"], "PN")).toBe("Лю^é");
    expect(decodeText(value, ["ISO 2022 IR 100", "ISO 2022 IR 144"], "LT")).toBe("Лю^щ");
  });
});

describe("encodeText", () => {
  it("encodes UTF-8, Latin-1 and GB18030", () => {
    expect(encodeText("Äneas^Rüdiger", "ISO_IR 192")).toEqual(Buffer.from("Äneas^Rüdiger", "utf8"));
    expect(encodeText("Äneas^Rüdiger", ["ISO_IR 100"]).toString("latin1")).toBe("\xc4neas^R\xfcdiger");
    expect(encodeText("王^小东", "GB18030")).toEqual(Buffer.from([0xcd, 0xf5, 0x5e, 0xd0, 0xa1, 0xb6, 0xab]));
  });

  it("encodes Japanese with ISO 2022 escapes as PS3.5 Annex H shows", () => {
    const encoded = encodeText("Yamada^Tarou=山田^太郎", ["ISO 2022 IR 6", "ISO 2022 IR 87"], "PN");
    expect(encoded.toString("latin1")).toBe("Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B");
  });

  it("encodes Korean in G1 with a designation after each delimiter (PS3.5 Annex I)", () => {
    const encoded = encodeText("Hong^Gildong=洪^吉洞=홍^길동", "\\ISO 2022 IR 149", "PN");
    expect(encoded.toString("latin1")).toBe(
      "Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf",
    );
  });

  it("throws UnencodableTextError naming the character when the sets lack it", () => {
    expect(() => encodeText("Жуков", "ISO_IR 100")).toThrow(UnencodableTextError);
    expect(() => encodeText("Жуков", "ISO_IR 100")).toThrow(/"Ж".*ISO_IR 100/);
    expect(() => encodeText("山田", [])).toThrow(UnencodableTextError);
    expect(() => encodeText("😀", "GBK")).toThrow(UnencodableTextError);
    expect(() => encodeText("Ä", ["ISO 2022 IR 6", "ISO 2022 IR 87"])).toThrow(UnencodableTextError);
  });

  it("writes ASCII as is under every set", () => {
    expect(encodeText("Doe^John", ["", "ISO 2022 IR 87"]).toString("latin1")).toBe("Doe^John");
  });
});
