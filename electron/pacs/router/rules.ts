import { tagForKeyword } from "../../../shared/dicom/dictionary.js";
import type { DataSet } from "../dicom/dataset.js";
import { type Condition, type Rule, syntaxUid } from "./config.js";

/** What a rule can look at besides the dataset. */
export interface RoutingFacts {
  header: DataSet;
  callingAeTitle: string;
  calledAeTitle: string;
  receivedAt: Date;
}

export interface RouteDecision {
  rule: string;
  destination: string;
  transferSyntax?: string;
  coerce?: string;
  waitSeconds: number;
}

type Test = (value: string | undefined) => boolean;

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** Wildcards as in C-FIND: `*` any run, `?` one character; everything else literal. */
function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

/** A multi-valued attribute matches when the whole value or any one of its values does. */
function anyValue(test: (text: string) => boolean): Test {
  return (value) => value !== undefined && (test(value) || value.split("\\").some((v) => test(v.trim())));
}

function compare(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compileCondition(condition: Condition): Test {
  if (typeof condition === "string") {
    const pattern = wildcard(condition);
    return anyValue((text) => pattern.test(text));
  }
  if ("regex" in condition) {
    const pattern = new RegExp(condition.regex, condition.flags);
    return anyValue((text) => pattern.test(text));
  }
  if ("anyOf" in condition) {
    const tests = condition.anyOf.map((c) => compileCondition(c));
    return (value) => tests.some((t) => t(value));
  }
  const [low, high] = condition.range;
  return anyValue(
    (text) => (low === null || compare(text, low) >= 0) && (high === null || compare(text, high) <= 0),
  );
}

function inTimeWindow(window: NonNullable<Rule["timeWindow"]>, at: Date): boolean {
  if (window.days && !window.days.includes(DAYS[at.getDay()]!)) return false;
  const minutes = at.getHours() * 60 + at.getMinutes();
  const [from, to] = [window.from, window.to].map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3)));
  return from! <= to! ? minutes >= from! && minutes < to! : minutes >= from! || minutes < to!;
}

export interface CompiledRule {
  rule: Rule;
  matches(facts: RoutingFacts): boolean;
  /** Which condition failed, for the explain API; undefined when the rule matches. */
  whyNot(facts: RoutingFacts): string | undefined;
}

/** Compiles a rule's conditions once; unknown keywords are refused when the configuration loads. */
export function compileRule(rule: Rule): CompiledRule {
  const attributeTests = Object.entries(rule.match).map(([keyword, condition]) => {
    const tag = tagForKeyword(keyword);
    if (tag === undefined) throw new Error(`rule ${rule.name}: unknown attribute ${keyword}`);
    return { keyword, tag, test: compileCondition(condition) };
  });
  const calling = rule.callingAeTitle === undefined ? undefined : compileCondition(rule.callingAeTitle);
  const called = rule.calledAeTitle === undefined ? undefined : compileCondition(rule.calledAeTitle);
  const whyNot = (facts: RoutingFacts): string | undefined => {
    if (calling && !calling(facts.callingAeTitle)) return `calling AE title ${facts.callingAeTitle}`;
    if (called && !called(facts.calledAeTitle)) return `called AE title ${facts.calledAeTitle}`;
    if (rule.timeWindow && !inTimeWindow(rule.timeWindow, facts.receivedAt)) return "outside its time window";
    for (const { keyword, tag, test } of attributeTests) {
      const value = facts.header.string(tag);
      if (!test(value)) return `${keyword} = ${value === undefined ? "(absent)" : JSON.stringify(value)}`;
    }
    return undefined;
  };
  return { rule, whyNot, matches: (facts) => whyNot(facts) === undefined };
}

/**
 * Every (rule, destination) an instance goes to, with the transfer syntax and coercions for each
 * copy. Two rules asking for the same copy to the same place send it once, under the first rule.
 */
export function decide(
  rules: CompiledRule[],
  facts: RoutingFacts,
  destinationSyntax: (name: string) => string | undefined,
): RouteDecision[] {
  const decisions: RouteDecision[] = [];
  const seen = new Set<string>();
  for (const { rule, matches } of rules) {
    if (!matches(facts)) continue;
    const coerce = rule.coerce ? JSON.stringify(rule.coerce) : undefined;
    for (const forward of rule.forward) {
      const destination = typeof forward === "string" ? forward : forward.to;
      const override = typeof forward === "string" ? undefined : forward.transferSyntax;
      const transferSyntax = override !== undefined ? syntaxUid(override) : destinationSyntax(destination);
      const key = `${destination}|${transferSyntax ?? ""}|${coerce ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      decisions.push({
        rule: rule.name,
        destination,
        transferSyntax,
        coerce,
        waitSeconds: rule.waitForStableStudySeconds,
      });
    }
  }
  return decisions;
}
