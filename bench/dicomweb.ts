/**
 * `npm run bench`, DICOMweb part: Hilum against Orthanc with its DICOMweb plugin, same data, same run, each
 * on a fresh store filled by storescu — WADO-RS frames/s and MB/s over the whole 500-slice CT (stored
 * uncompressed, and stored as JPEG-LS lossless), time to the first byte of the series metadata (cold and
 * warm), and QIDO-RS study search latency over 10,000 studies. Prints a markdown section on stdout,
 * progress on stderr, every sample to bench/results/<timestamp>-dicomweb.json; exits 0 whatever the
 * verdicts. See docs/benchmarks.md ("DICOMweb") for the method.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { loadavg } from "node:os";
import { join } from "node:path";
import type { CtSeries } from "../test/fixtures/ct-series.js";
import type { GeneratedStudy } from "../test/fixtures/studies.js";
import { cachedCompressedSeries, cachedStudies } from "../test/support/fixture-cache.js";
import {
  expectStatus,
  fetchFrames,
  get,
  jsonOf,
  singlePart,
  type FramePass,
  type SinglePart,
} from "./lib/dicomweb-http.js";
import {
  judgeTargets,
  markdown,
  type DicomWebReport,
  type FrameSample,
  type MetadataSample,
  type QidoSection,
  type StoredLabel,
  type StoredResult,
} from "./lib/dicomweb-report.js";
import { withServers, type DicomWebServer, type DicomWebServerName } from "./lib/dicomweb-servers.js";
import { loadFolder } from "./lib/files.js";
import { chooseQueries, type FindQuery } from "./lib/find.js";
import { describeMachine } from "./lib/machine.js";
import { settle } from "./lib/settle.js";
import { mean, MB, percentile } from "./lib/stats.js";
import type { Outcome } from "./lib/summary.js";
import { BENCH_CT_SERIES, RESULTS_DIR } from "./lib/series.js";

const REPEATS = 3;
const CONCURRENCY = [1, 4] as const;
const CT_SERIES = BENCH_CT_SERIES;
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const JPEG_LS = "1.2.840.10008.1.2.4.80";
/** Every frame as stored, whatever its syntax: what a viewer that decodes itself (cornerstone) asks. */
const FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const FRAME_WARM_UP = 20;
const METADATA_WARM = 10;
const STUDIES = { count: 10_000, seed: "bench-cfind-10k" };
const QUERIES = 50;
const QUERY_WARM_UP = 3;

const log = (line: string) => process.stderr.write(`[bench:dicomweb] ${line}\n`);
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function section<T>(name: string, body: () => Promise<T>): Promise<Outcome<T>> {
  log(`— ${name}`);
  try {
    return { ok: true, value: await body() };
  } catch (error) {
    log(`FAILED ${name}: ${errorText(error)}`);
    return { ok: false, error: errorText(error) };
  }
}

// ---------------------------------------------------------------------------------------------------------
// WADO-RS frames, and the series metadata on the uncompressed store

interface Stored {
  label: StoredLabel;
  syntax: string;
  files: readonly string[];
  /** storescu's proposal flags to send the files as they are. */
  propose: string[];
}

const labels = (syntax: string) =>
  new RegExp(`transfer-?syntax="?${syntax.replaceAll(".", "\\.")}(?![\\d.])`, "i");

/** Every frame as stored: its syntax named, 512×512×2 bytes uncompressed, a JPEG-LS stream (SOI, SOF55) else. */
function checkFrame(stored: Stored, part: SinglePart): string | undefined {
  const described = `${part.responseType}, part ${part.partType}`;
  if (!labels(stored.syntax).test(described)) return `not labelled ${stored.syntax}: ${described}`;
  if (stored.syntax === EXPLICIT_LE) {
    const size = CT_SERIES.rows * CT_SERIES.columns * 2;
    return part.payloadBytes === size ? undefined : `${part.payloadBytes} bytes, not ${size}`;
  }
  return part.start.readUInt32BE(0) === 0xffd8fff7 ? undefined : `starts ${part.start.toString("hex")}`;
}

function frameUrls(server: DicomWebServer, series: CtSeries): string[] {
  const base = `${server.base}/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}`;
  return series.sopInstanceUids.map((uid) => `${base}/instances/${uid}/frames/1`);
}

/** Restarted on its store, then GET …/series/{se}/metadata: the first request after start, then 10 more. */
async function measureMetadata(server: DicomWebServer, series: CtSeries): Promise<MetadataSample> {
  await server.restart();
  await settle();
  const url = `${server.base}/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/metadata`;
  const headers = { ...server.headers, accept: "application/dicom+json" };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sample: MetadataSample = { server: server.name, firstByteMs: [], totalMs: [], instances: [] };
  try {
    for (let i = 0; i <= METADATA_WARM; i++) {
      const result = expectStatus(await get(url, headers, agent), `${server.name} series metadata`);
      sample.firstByteMs.push(result.firstByteMs);
      sample.totalMs.push(result.totalMs);
      sample.instances.push(jsonOf<unknown[]>(result).length);
    }
  } finally {
    agent.destroy();
  }
  const warm = sample.firstByteMs.slice(1).map((ms) => ms.toFixed(1));
  log(
    `metadata ${server.name}: first byte ${sample.firstByteMs[0]!.toFixed(1)} ms cold, then ${warm.join(" ")} ms`,
  );
  return sample;
}

async function measureStored(stored: Stored, series: CtSeries): Promise<StoredResult> {
  const load = loadFolder([...stored.files], `dicomweb-${stored.syntax}`);
  const result: StoredResult = {
    stored: stored.label,
    versions: {},
    fillSeconds: {},
    contentTypes: {},
    lengthMismatches: 0,
    samples: [],
    metadata: [],
  };
  try {
    await withServers(async (servers) => {
      for (const server of servers) {
        result.fillSeconds[server.name] = await server.fill(load.folder, load.files, stored.propose);
        log(
          `${stored.label}: stored ${load.files} in ${server.name} in ${result.fillSeconds[server.name]!.toFixed(1)} s`,
        );
        result.versions[server.name] = await server.version();
      }
      if (stored.syntax === EXPLICIT_LE) {
        for (const server of servers) result.metadata.push(await measureMetadata(server, series));
      }
      const check = (part: SinglePart) => checkFrame(stored, part);
      const firstLengths = new Map<DicomWebServerName, number[]>();
      for (const server of servers) {
        const urls = frameUrls(server, series);
        const headers = { ...server.headers, accept: FRAME_ACCEPT };
        const probe = singlePart(expectStatus(await get(urls[0]!, headers, false), `${server.name} frame 1`));
        result.contentTypes[server.name] = { response: probe.responseType, part: probe.partType };
        await fetchFrames(urls.slice(0, FRAME_WARM_UP), headers, 1, check);
      }
      for (let repeat = 1; repeat <= REPEATS; repeat++) {
        for (const concurrency of CONCURRENCY) {
          for (const server of servers) {
            await settle();
            const headers = { ...server.headers, accept: FRAME_ACCEPT };
            const pass = await fetchFrames(frameUrls(server, series), headers, concurrency, check);
            if (!firstLengths.has(server.name)) firstLengths.set(server.name, pass.lengths);
            result.samples.push(frameSample(stored, server.name, repeat, pass));
            log(
              `${stored.label}, ${server.name}, ${concurrency} at once, run ${repeat}: ` +
                `${(pass.frames / pass.seconds).toFixed(0)} frames/s, ` +
                `${(pass.payloadBytes / MB / pass.seconds).toFixed(0)} MB/s` +
                (pass.wrongCount === 0 ? "" : `, ${pass.wrongCount} WRONG: ${pass.wrong.join("; ")}`),
            );
          }
        }
      }
      const [a = [], b = []] = [...firstLengths.values()];
      result.lengthMismatches = a.filter((length, i) => length !== b[i]).length;
    });
  } finally {
    load.remove();
  }
  return result;
}

function frameSample(
  stored: Stored,
  server: DicomWebServerName,
  repeat: number,
  pass: FramePass,
): FrameSample {
  return {
    stored: stored.label,
    server,
    repeat,
    concurrency: pass.concurrency,
    frames: pass.frames,
    seconds: pass.seconds,
    payloadBytes: pass.payloadBytes,
    framesPerSecond: pass.frames / pass.seconds,
    mbPerSecond: pass.payloadBytes / MB / pass.seconds,
    wrongCount: pass.wrongCount,
    wrong: pass.wrong,
  };
}

// ---------------------------------------------------------------------------------------------------------
// QIDO-RS study search

/** Prefixes Orthanc 1.10.1's QIDO can take: letters, "-", and "^" sent as it is. */
const QIDO_SAFE = /^[A-Za-z^-]+$/;

/**
 * The C-FIND section's prefixes, in its order (match counts nearest to 50 first), less those Orthanc's
 * QIDO cannot match: with its DICOMweb plugin 1.7 it does not percent-decode query values (%5E, %20 and
 * %27 match nothing), and a value holding an apostrophe matches nothing even sent as it is.
 */
function qidoQueries(studies: readonly GeneratedStudy[]): FindQuery[] {
  const ranked = chooseQueries(studies, 10 * QUERIES);
  const usable = [...new Map(ranked.map((q) => [q.prefix, q])).values()].filter((q) =>
    QIDO_SAFE.test(q.prefix),
  );
  return Array.from({ length: QUERIES }, (_, i) => usable[i % usable.length]!);
}

async function measureQido(): Promise<QidoSection> {
  const fixture = await cachedStudies(STUDIES);
  const queries = qidoQueries(fixture.studies);
  const load = loadFolder(fixture.files, "dicomweb-studies");
  try {
    return await withServers(async (servers) => {
      const fills: number[] = [];
      for (const server of servers) {
        fills.push(await server.fill(load.folder, load.files));
        log(`QIDO: stored ${load.files} studies in ${server.name} in ${fills.at(-1)!.toFixed(1)} s`);
      }
      await settle();
      const agents = servers.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
      const search = async (s: number, prefix: string) => {
        const server = servers[s]!;
        const url = `${server.base}/studies?PatientName=${prefix}*`;
        const headers = { ...server.headers, accept: "application/dicom+json" };
        const result = await get(url, headers, agents[s]!);
        if (result.status !== 204) expectStatus(result, `${server.name} QIDO ${prefix}*`);
        return { ms: result.totalMs, matches: jsonOf<unknown[]>(result).length };
      };
      try {
        for (let i = 0; i < QUERY_WARM_UP; i++) {
          for (let s = 0; s < servers.length; s++) await search(s, queries[i % queries.length]!.prefix);
        }
        // The servers take turns query by query, so a burst of load from elsewhere hits both alike.
        const ms: number[][] = servers.map(() => []);
        const matches: number[][] = servers.map(() => []);
        for (const query of queries) {
          for (let s = 0; s < servers.length; s++) {
            const answer = await search(s, query.prefix);
            ms[s]!.push(answer.ms);
            matches[s]!.push(answer.matches);
          }
        }
        const results = servers.map((server, s) => ({
          server: server.name,
          fillSeconds: fills[s]!,
          ms: ms[s]!,
          matches: matches[s]!,
          wrongCounts: queries.filter((query, q) => matches[s]![q] !== query.expected).length,
          p50: percentile(ms[s]!, 50),
          p95: percentile(ms[s]!, 95),
          meanMatches: mean(matches[s]!),
        }));
        for (const r of results) {
          log(
            `QIDO ${r.server}: p50 ${r.p50.toFixed(1)} / p95 ${r.p95.toFixed(1)} ms, ${r.wrongCounts} wrong counts`,
          );
        }
        return {
          queries: queries.length,
          expectedMeanMatches: mean(queries.map((q) => q.expected)),
          results,
        };
      } finally {
        for (const agent of agents) agent.destroy();
      }
    });
  } finally {
    load.remove();
  }
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const machine = await describeMachine();
  log(`${machine.cpus} CPUs, load average ${machine.loadAverageAtStart.join(" ")}`);
  const fixture = await cachedCompressedSeries({ series: CT_SERIES, syntaxes: [JPEG_LS] });
  const { series } = fixture;
  const storedAs: Stored[] = [
    { label: "uncompressed", syntax: EXPLICIT_LE, files: series.files, propose: [] },
    { label: "JPEG-LS lossless", syntax: JPEG_LS, files: fixture.copies[JPEG_LS] ?? [], propose: ["-xt"] },
  ];
  const frames: Outcome<StoredResult>[] = [];
  for (const stored of storedAs) {
    frames.push(await section(`WADO-RS frames, stored ${stored.label}`, () => measureStored(stored, series)));
  }
  const qido = await section("QIDO-RS", measureQido);
  const report: DicomWebReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    loadAverageAtEnd: loadavg().map((load) => Math.round(load * 100) / 100),
    repeats: REPEATS,
    frameAccept: FRAME_ACCEPT,
    frames,
    qido,
    targets: judgeTargets(frames),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${startedAt.replace(/[:.]/g, "-")}-dicomweb.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  await new Promise<void>((resolve) => process.stdout.write(`${markdown(report)}\n`, () => resolve()));
  log(`results: ${file}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
