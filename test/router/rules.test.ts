import { describe, expect, it } from "vitest";
import * as tags from "../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../shared/dicom/transfer-syntax.js";
import { parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { encodeDataset, type WritableElement } from "../../electron/pacs/dicom/writer.js";
import { nextAttemptAt } from "../../electron/pacs/router/backoff.js";
import { routerSchema } from "../../electron/pacs/router/config.js";
import { compileRule, decide, type RoutingFacts } from "../../electron/pacs/router/rules.js";

const SYNTAX = TransferSyntaxUid.ExplicitVRLittleEndian;

function header(elements: WritableElement[]) {
  return parseDataset(encodeDataset(elements, { transferSyntaxUid: SYNTAX }), { transferSyntaxUid: SYNTAX });
}

const CT_HEAD = header([
  { tag: tags.Modality, value: "CT" },
  { tag: tags.StudyDescription, value: "CT HEAD W/O CONTRAST" },
  { tag: tags.BodyPartExamined, value: "HEAD" },
  { tag: tags.StudyDate, value: "20261203" },
  { tag: tags.SliceThickness, value: "0.625" },
  { tag: tags.SeriesNumber, value: "9" },
  { tag: tags.ImageType, value: ["ORIGINAL", "PRIMARY", "AXIAL"] },
]);

/** Wednesday 3 December 2026, 14:30 local time. */
const WEDNESDAY_AFTERNOON = new Date(2026, 11, 2, 14, 30);

function facts(overrides: Partial<RoutingFacts> = {}): RoutingFacts {
  return {
    header: CT_HEAD,
    callingAeTitle: "CT_SCANNER1",
    calledAeTitle: "HILUM",
    receivedAt: WEDNESDAY_AFTERNOON,
    ...overrides,
  };
}

/** A rule as the configuration would hold it, after validation with its defaults. */
function rule(fields: Record<string, unknown>) {
  const config = routerSchema.parse({
    destinations: [{ name: "out", type: "dimse", aeTitle: "OUT", host: "127.0.0.1", port: 104 }],
    rules: [{ name: "r", forward: ["out"], ...fields }],
  });
  return compileRule(config.rules[0]!);
}

describe("routing rule conditions", () => {
  it.each([
    ["exact text", { Modality: "CT" }, true],
    ["exact text, another value", { Modality: "MR" }, false],
    ["exact text is case-sensitive", { Modality: "ct" }, false],
    ["wildcard *", { StudyDescription: "CT HEAD*" }, true],
    ["wildcard ?", { Modality: "C?" }, true],
    ["wildcard treats regex characters literally", { StudyDescription: "CT HEAD W.O*" }, false],
    ["regular expression", { StudyDescription: { regex: "\\bHEAD\\b" } }, true],
    ["regular expression, no match", { StudyDescription: { regex: "^MR" } }, false],
    ["regular expression ignoring case", { StudyDescription: { regex: "head w/o", flags: "i" } }, true],
    ["numeric range", { SliceThickness: { range: ["0.5", "1"] } }, true],
    ["numeric range, outside", { SliceThickness: { range: ["0.7", "10"] } }, false],
    ["numeric range compares numbers, not text", { SeriesNumber: { range: ["2", "10"] } }, true],
    ["open-ended date range", { StudyDate: { range: ["20261201", null] } }, true],
    ["date range before", { StudyDate: { range: [null, "20261130"] } }, false],
    ["any of a list", { BodyPartExamined: { anyOf: ["CHEST", "HEAD"] } }, true],
    ["any value of a multi-valued attribute", { ImageType: "AXIAL" }, true],
    ["an absent attribute never matches", { AccessionNumber: "*" }, false],
    ["every condition must hold", { Modality: "CT", BodyPartExamined: "CHEST" }, false],
  ])("%s", (_, match, expected) => {
    expect(rule({ match }).matches(facts())).toBe(expected);
  });

  it("matches the calling and called AE titles", () => {
    const fromScanners = rule({ callingAeTitle: "CT_*", calledAeTitle: { anyOf: ["HILUM", "HILUM_AI"] } });
    expect(fromScanners.matches(facts())).toBe(true);
    expect(fromScanners.matches(facts({ callingAeTitle: "MR_1" }))).toBe(false);
    expect(fromScanners.matches(facts({ calledAeTitle: "OTHER" }))).toBe(false);
  });

  it("honours a time window, also one that spans midnight, and its weekdays", () => {
    const office = rule({
      timeWindow: { from: "08:00", to: "18:00", days: ["mon", "tue", "wed", "thu", "fri"] },
    });
    expect(office.matches(facts())).toBe(true);
    expect(office.matches(facts({ receivedAt: new Date(2026, 11, 2, 18, 0) }))).toBe(false);
    expect(office.matches(facts({ receivedAt: new Date(2026, 11, 5, 10, 0) }))).toBe(false); // Saturday
    const night = rule({ timeWindow: { from: "22:00", to: "06:00" } });
    expect(night.matches(facts({ receivedAt: new Date(2026, 11, 2, 23, 15) }))).toBe(true);
    expect(night.matches(facts({ receivedAt: new Date(2026, 11, 3, 5, 59) }))).toBe(true);
    expect(night.matches(facts())).toBe(false);
  });

  it("says which condition kept a rule from matching", () => {
    expect(rule({ match: { Modality: "MR" } }).whyNot(facts())).toBe('Modality = "CT"');
    expect(rule({ match: { AccessionNumber: "A*" } }).whyNot(facts())).toBe("AccessionNumber = (absent)");
    expect(rule({ callingAeTitle: "MR_*" }).whyNot(facts())).toBe("calling AE title CT_SCANNER1");
    expect(rule({ match: { Modality: "CT" } }).whyNot(facts())).toBeUndefined();
  });

  it("refuses an invalid regular expression when the configuration is validated, naming the key", () => {
    const result = routerSchema.safeParse({
      destinations: [{ name: "out", type: "dimse", aeTitle: "OUT", host: "127.0.0.1", port: 104 }],
      rules: [{ name: "r", match: { StudyDescription: { regex: "(?i)chest" } }, forward: ["out"] }],
    });
    expect(result.error?.issues.map((issue) => [issue.path.join("."), issue.message])).toEqual([
      ["rules.0.match.StudyDescription", expect.stringMatching(/^invalid regex: .*Invalid group/)],
    ]);
  });

  it("refuses an unknown attribute keyword by name", () => {
    expect(() => rule({ match: { Modalty: "CT" } })).toThrow(/unknown attribute Modalty/);
  });
});

describe("routing decisions", () => {
  const config = routerSchema.parse({
    destinations: [
      { name: "reading", type: "dimse", aeTitle: "READ", host: "127.0.0.1", port: 104 },
      {
        name: "cloud",
        type: "dicomweb",
        url: "https://archive.example.org/dicom-web",
        transferSyntax: "jpeg-ls-lossless",
      },
    ],
    rules: [
      { name: "ct", match: { Modality: "CT" }, forward: ["reading"] },
      {
        name: "everything",
        forward: ["reading", "cloud", { to: "cloud", transferSyntax: "htj2k-lossless" }],
      },
      { name: "mr", match: { Modality: "MR" }, forward: ["cloud"] },
    ],
  });
  const rules = config.rules.map(compileRule);
  const syntaxOf = (name: string) => (name === "cloud" ? "1.2.840.10008.1.2.4.80" : undefined);

  it("sends each copy once, under the first rule that asked for it, with its transfer syntax", () => {
    expect(decide(rules, facts(), syntaxOf)).toEqual([
      { rule: "ct", destination: "reading", transferSyntax: undefined, coerce: undefined, waitSeconds: 0 },
      {
        rule: "everything",
        destination: "cloud",
        transferSyntax: "1.2.840.10008.1.2.4.80",
        coerce: undefined,
        waitSeconds: 0,
      },
      {
        rule: "everything",
        destination: "cloud",
        transferSyntax: "1.2.840.10008.1.2.4.201",
        coerce: undefined,
        waitSeconds: 0,
      },
    ]);
  });
});

describe("retry back-off", () => {
  const retry = { maxAttempts: 5, initialDelaySeconds: 2, maxDelaySeconds: 10 };

  it("doubles the delay per attempt up to the cap, with 50–100 % jitter", () => {
    const at = (attempts: number, random: number) =>
      nextAttemptAt(retry, attempts, 1_000, () => random)! - 1_000;
    expect([1, 2, 3, 4].map((n) => at(n, 0.999_999))).toEqual([2_000, 4_000, 8_000, 10_000]);
    expect([1, 2, 3, 4].map((n) => at(n, 0))).toEqual([1_000, 2_000, 4_000, 5_000]);
  });

  it("gives up after the last attempt: the job becomes a dead letter", () => {
    expect(nextAttemptAt(retry, 5, 0)).toBeNull();
  });
});
