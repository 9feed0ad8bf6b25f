/**
 * Section 3: study-level C-FIND latency with 10,000 studies indexed, as findscu wall time, against the
 * floor of the same receiver: echoscu wall time (process start, association, C-ECHO, release).
 */
import type { GeneratedStudy } from "../../test/fixtures/studies.js";
import type { DicomTarget } from "../../test/support/peers.js";
import { expectSuccess, timedRun } from "./command.js";
import type { Load } from "./files.js";
import { storescuArgs, withReceiver, type ReceiverName } from "./receivers.js";
import { settle } from "./settle.js";
import { mean, percentile } from "./stats.js";

export interface FindQuery {
  /** Sent as PatientName=<prefix>* */
  prefix: string;
  /** Studies in the fixture whose patient name starts with the prefix (case-insensitively, too). */
  expected: number;
}

export interface FindResult {
  receiver: ReceiverName;
  studies: number;
  /** storescu of every study on one association. */
  fillSeconds: number;
  echoMs: number[];
  findMs: number[];
  matches: number[];
  /** Queries whose match count differed from the fixture's. */
  wrongCounts: number;
  echoP50: number;
  echoP95: number;
  findP50: number;
  findP95: number;
  /** findP95 − echoP95. */
  aboveFloorMs: number;
  meanMatches: number;
}

const ASCII = /^[\x20-\x7e]*$/;

/** Studies whose name starts with `prefix`, as a set key: count and the first and last study. */
function matchesOf(studies: readonly GeneratedStudy[], prefix: string, fold: boolean): number[] {
  const wanted = fold ? prefix.toUpperCase() : prefix;
  const hits: number[] = [];
  studies.forEach((study, index) => {
    const name = fold ? study.patientName.toUpperCase() : study.patientName;
    if (name.startsWith(wanted)) hits.push(index);
  });
  return hits;
}

/**
 * `count` patient-name prefixes (from ASCII names, at least 3 characters) whose match counts lie nearest
 * to `target`; each selects a different set of studies and matches alike with and without case folding
 * (Orthanc folds case by default). Repeated in turn when fewer distinct ones exist.
 */
export function chooseQueries(studies: readonly GeneratedStudy[], count = 50, target = 50): FindQuery[] {
  const prefixes = new Set<string>();
  for (const { patientName } of studies) {
    if (!ASCII.test(patientName)) continue;
    for (let length = 3; length <= patientName.length; length++) prefixes.add(patientName.slice(0, length));
  }
  const bySet = new Map<string, FindQuery>();
  for (const prefix of prefixes) {
    const exact = matchesOf(studies, prefix, false);
    if (exact.length !== matchesOf(studies, prefix, true).length) continue;
    const key = `${exact.length}:${exact[0]}:${exact.at(-1)}`;
    const known = bySet.get(key);
    if (known === undefined || prefix.length < known.prefix.length) {
      bySet.set(key, { prefix, expected: exact.length });
    }
  }
  const nearest = [...bySet.values()]
    .sort(
      (a, b) =>
        Math.abs(a.expected - target) - Math.abs(b.expected - target) || (a.prefix < b.prefix ? -1 : 1),
    )
    .slice(0, count);
  if (nearest.length === 0) throw new Error("no patient-name prefix to query");
  return Array.from({ length: count }, (_, i) => nearest[i % nearest.length] as FindQuery);
}

function echoArgs(target: DicomTarget): string[] {
  return ["-aet", "ECHOSCU", "-aec", target.aeTitle, target.host, String(target.port)];
}

function findArgs(target: DicomTarget, prefix: string): string[] {
  const keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", `PatientName=${prefix}*`];
  return ["-S", "-aet", "FINDSCU", "-aec", target.aeTitle, ...keys, target.host, String(target.port)];
}

async function echo(target: DicomTarget): Promise<number> {
  return expectSuccess(await timedRun("echoscu", echoArgs(target)), "echoscu").wallMs;
}

/** findscu wall time and the number of pending responses it logged. */
async function find(target: DicomTarget, prefix: string): Promise<[number, number]> {
  const run = expectSuccess(await timedRun("findscu", findArgs(target, prefix)), `findscu ${prefix}*`);
  return [run.wallMs, run.stderr.match(/^I: Find Response: \d+ \(Pending\)/gm)?.length ?? 0];
}

const WARM_UP = 3;

/**
 * A fresh receiver is filled with every study of `load` (storescu, one association), then echoscu and
 * findscu run alternately, one each per query, so that both see the same machine load.
 */
export async function measureFind(
  name: ReceiverName,
  load: Load,
  queries: readonly FindQuery[],
): Promise<FindResult> {
  await settle();
  return withReceiver(name, async (receiver) => {
    const { target } = receiver;
    const fill = await timedRun("storescu", storescuArgs(target, load.folder), { timeoutMs: 20 * 60_000 });
    expectSuccess(fill, `storescu of ${load.files} studies → ${name}`);
    const studies = await receiver.instanceCount();
    if (studies !== load.files) throw new Error(`${name} holds ${studies} of ${load.files} instances sent`);
    await settle();
    for (let i = 0; i < WARM_UP; i++) {
      await echo(target);
      await find(target, queries[i % queries.length]?.prefix ?? "");
    }
    const echoMs: number[] = [];
    const findMs: number[] = [];
    const matches: number[] = [];
    let wrongCounts = 0;
    for (const query of queries) {
      echoMs.push(await echo(target));
      const [ms, found] = await find(target, query.prefix);
      findMs.push(ms);
      matches.push(found);
      if (found !== query.expected) wrongCounts++;
    }
    const echoP95 = percentile(echoMs, 95);
    const findP95 = percentile(findMs, 95);
    return {
      receiver: name,
      studies,
      fillSeconds: fill.wallMs / 1000,
      echoMs,
      findMs,
      matches,
      wrongCounts,
      echoP50: percentile(echoMs, 50),
      echoP95,
      findP50: percentile(findMs, 50),
      findP95,
      aboveFloorMs: findP95 - echoP95,
      meanMatches: mean(matches),
    };
  });
}
