/**
 * `npm run bench`: Hilum against DCMTK and Orthanc doing the same work in the same run — ingest of a
 * 500-slice CT (on one association, beside the durable-write floor of the disk, and on 4 at once), sending
 * it, and C-FIND latency over 10,000 studies. Prints progress on stderr and a
 * markdown report on stdout, writes every sample to bench/results/<timestamp>.json, and exits 0 whatever
 * the verdicts: it is a benchmark, not a test. See docs/benchmarks.md for the method.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cachedCtSeries, cachedStudies } from "../test/support/fixture-cache.js";
import { chooseQueries, measureFind, type FindResult } from "./lib/find.js";
import { measureDiskFloor, type DiskFloorSample } from "./lib/disk-floor.js";
import { loadFolder, splitLoad, type Load } from "./lib/files.js";
import { measureConcurrentIngest, measureIngest, type IngestSample } from "./lib/ingest.js";
import { describeMachine } from "./lib/machine.js";
import { RECEIVERS } from "./lib/receivers.js";
import { markdown, type Report } from "./lib/report.js";
import { measureCliStartup, measureSend, SENDERS, type SendSample, type StartupSample } from "./lib/send.js";
import { mean } from "./lib/stats.js";
import {
  judgeTargets,
  summariseDiskFloor,
  summariseIngest,
  summariseSend,
  summariseStartup,
  type ConcurrentIngestSection,
  type Failure,
  type FindSection,
  type IngestSection,
  type Outcome,
  type SendSection,
} from "./lib/summary.js";
import { BENCH_CT_SERIES, RESULTS_DIR } from "./lib/series.js";

const REPEATS = 3;
/** Associations at once in the concurrent ingest: the series dealt round-robin between as many storescu. */
const ASSOCIATIONS = 4;
const CT_SERIES = BENCH_CT_SERIES;
const STUDIES = { count: 10_000, seed: "bench-cfind-10k" };
const QUERIES = 50;

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs one measurement; a failure is logged and recorded, and the run goes on. */
async function attempt<T>(what: string, failures: Failure[], body: () => Promise<T>): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    failures.push({ what, error: errorText(error) });
    log(`FAILED ${what}: ${errorText(error)}`);
    return undefined;
  }
}

/** Runs one section; whatever it throws becomes its outcome, so the other sections still run. */
async function section<T>(name: string, body: () => Promise<T>): Promise<Outcome<T>> {
  log(`— ${name}`);
  try {
    return { ok: true, value: await body() };
  } catch (error) {
    log(`FAILED section ${name}: ${errorText(error)}`);
    return { ok: false, error: errorText(error) };
  }
}

const fmt = (value: number, digits = 0) => value.toFixed(digits);

function logIngest(what: string, sample: IngestSample): void {
  log(
    `${what}: ${fmt(sample.imagesPerSecond)} images/s, ${fmt(sample.mbPerSecond)} MB/s, ` +
      `peak RSS ${fmt(sample.peakRssMb)} MB, stored ${sample.stored}`,
  );
}

async function runIngest(load: Load): Promise<IngestSection> {
  const samples: IngestSample[] = [];
  const floor: DiskFloorSample[] = [];
  const failures: Failure[] = [];
  // Receivers (and the floor) take turns within each repeat, so a burst of load from elsewhere hits all alike.
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const receiver of RECEIVERS) {
      const what = `ingest storescu → ${receiver}, run ${repeat}`;
      const sample = await attempt(what, failures, () => measureIngest(receiver, load));
      if (sample === undefined) continue;
      samples.push(sample);
      logIngest(what, sample);
    }
    const what = `durable-write floor, run ${repeat}`;
    const sample = await attempt(what, failures, () => measureDiskFloor(load));
    if (sample === undefined) continue;
    floor.push(sample);
    log(`${what}: ${fmt(sample.imagesPerSecond)} images/s, ${fmt(sample.mbPerSecond)} MB/s`);
  }
  return {
    samples,
    failures,
    summaries: summariseIngest(samples, load.files),
    floor,
    floorSummary: summariseDiskFloor(floor),
  };
}

async function runConcurrentIngest(load: Load): Promise<ConcurrentIngestSection> {
  const split = splitLoad(load, ASSOCIATIONS, "ct-split");
  const samples: IngestSample[] = [];
  const failures: Failure[] = [];
  try {
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      for (const receiver of RECEIVERS) {
        const what = `ingest ${ASSOCIATIONS} × storescu → ${receiver}, run ${repeat}`;
        const sample = await attempt(what, failures, () => measureConcurrentIngest(receiver, split));
        if (sample === undefined) continue;
        samples.push(sample);
        logIngest(what, sample);
      }
    }
  } finally {
    split.remove();
  }
  return {
    associations: ASSOCIATIONS,
    samples,
    failures,
    summaries: summariseIngest(samples, load.files),
  };
}

async function runSend(once: Load, twice: Load): Promise<SendSection> {
  const samples: SendSample[] = [];
  const startup: StartupSample[] = [];
  const failures: Failure[] = [];
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    const floor = await attempt(`hilum echo, run ${repeat}`, failures, measureCliStartup);
    if (floor !== undefined) {
      startup.push(floor);
      log(`hilum echo, run ${repeat}: ${fmt(floor.seconds, 2)} s, peak RSS ${fmt(floor.peakRssMb)} MB`);
    }
    for (const load of [once, twice]) {
      for (const sender of SENDERS) {
        const what = `send ${sender} → storescp, ${load.files} instances, run ${repeat}`;
        const sample = await attempt(what, failures, () => measureSend(sender, load));
        if (sample === undefined) continue;
        samples.push(sample);
        const reported = sample.reportedImagesPerSecond;
        log(
          `${what}: ${fmt(sample.imagesPerSecond)} images/s` +
            `${reported === null ? "" : ` (CLI says ${reported})`}, peak RSS ${fmt(sample.peakRssMb)} MB`,
        );
      }
    }
  }
  return {
    samples,
    startup,
    failures,
    summaries: summariseSend(samples, once.files),
    startupSummary: summariseStartup(startup),
  };
}

async function runFind(): Promise<FindSection> {
  log(`fixture: ${STUDIES.count} studies (generated once, then cached)`);
  const fixture = await cachedStudies(STUDIES);
  const queries = chooseQueries(fixture.studies, QUERIES);
  const load = loadFolder(fixture.files, "studies");
  const results: FindResult[] = [];
  const failures: Failure[] = [];
  try {
    for (const receiver of ["Hilum", "Orthanc"] as const) {
      const what = `C-FIND on ${receiver}`;
      const result = await attempt(what, failures, () => measureFind(receiver, load, queries));
      if (result === undefined) continue;
      results.push(result);
      log(
        `${what}: stored ${result.studies} studies in ${fmt(result.fillSeconds)} s; ` +
          `echoscu p95 ${fmt(result.echoP95, 1)} ms, findscu p50 ${fmt(result.findP50, 1)} / ` +
          `p95 ${fmt(result.findP95, 1)} ms, ${fmt(result.meanMatches, 1)} matches on average`,
      );
    }
  } finally {
    load.remove();
  }
  return {
    queries: queries.length,
    expectedMeanMatches: mean(queries.map((q) => q.expected)),
    results,
    failures,
  };
}

function writeResults(report: Report): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${report.startedAt.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const machine = await describeMachine();
  log(
    `${machine.cpus} CPUs, load average ${machine.loadAverageAtStart.join(" ")}; ${machine.dcmtk}; ${machine.orthanc}`,
  );
  log(`fixture: ${CT_SERIES.slices}-slice CT (generated once, then cached)`);
  const loads = await section("CT series", async () => {
    const series = await cachedCtSeries(CT_SERIES);
    const once = loadFolder(series.files, "ct");
    try {
      return { once, twice: loadFolder(series.files, "ct-twice", 2) };
    } catch (error) {
      once.remove();
      throw error;
    }
  });
  const failed = { ok: false as const, error: loads.ok ? "" : `no CT series: ${loads.error}` };
  let ingest: Outcome<IngestSection> = failed;
  let concurrentIngest: Outcome<ConcurrentIngestSection> = failed;
  let send: Outcome<SendSection> = failed;
  try {
    if (loads.ok) {
      ingest = await section("ingest", () => runIngest(loads.value.once));
      concurrentIngest = await section(`ingest, ${ASSOCIATIONS} associations at once`, () =>
        runConcurrentIngest(loads.value.once),
      );
      send = await section("sending", () => runSend(loads.value.once, loads.value.twice));
    }
  } finally {
    if (loads.ok) {
      loads.value.once.remove();
      loads.value.twice.remove();
    }
  }
  const find = await section("C-FIND", runFind);
  const once = loads.ok ? loads.value.once : undefined;
  const report: Report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    repeats: REPEATS,
    machine,
    series: {
      instances: once?.files ?? CT_SERIES.slices,
      datasetBytes: once?.datasetBytes ?? Number.NaN,
      fileBytes: once?.fileBytes ?? Number.NaN,
    },
    ingest,
    concurrentIngest,
    send,
    find,
    targets: judgeTargets(ingest, send, find, CT_SERIES.slices),
  };
  const file = writeResults(report);
  const misses = report.targets.filter((t) => t.verdict === "MISS");
  const verdict =
    misses.length === 0
      ? `all ${report.targets.length} targets PASS`
      : `${misses.length} of ${report.targets.length} targets MISS: ${misses.map((t) => t.target).join("; ")}`;
  await new Promise<void>((resolve) => process.stdout.write(`${markdown(report)}\n`, () => resolve()));
  log(`results: ${file}`);
  log(verdict);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // Only the harness itself gets here (each section catches its own failures).
    console.error(error);
    process.exit(1);
  },
);
