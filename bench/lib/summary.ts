/** Medians over the repeats, and each target of issue 2 judged PASS or MISS. */
import type { DiskFloorSample } from "./disk-floor.js";
import type { FindResult } from "./find.js";
import type { IngestSample } from "./ingest.js";
import type { ReceiverName } from "./receivers.js";
import type { SenderName, SendSample, StartupSample } from "./send.js";
import { median } from "./stats.js";

/** A section's outcome: its value, or why it failed (the other sections still ran). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

export interface IngestSummary {
  receiver: ReceiverName;
  /** Repeats that completed. */
  runs: number;
  seconds: number;
  imagesPerSecond: number;
  mbPerSecond: number;
  startRssMb: number;
  peakRssMb: number;
  maxPeakRssMb: number;
  /** Every repeat left the receiver holding every instance sent. */
  complete: boolean;
}

export interface DiskFloorSummary {
  runs: number;
  seconds: number;
  imagesPerSecond: number;
  mbPerSecond: number;
}

export interface SendSummary {
  sender: SenderName;
  instances: number;
  runs: number;
  seconds: number;
  imagesPerSecond: number;
  reportedImagesPerSecond: number | null;
  peakRssMb: number;
  complete: boolean;
}

export interface Failure {
  what: string;
  error: string;
}

export interface IngestSection {
  samples: IngestSample[];
  failures: Failure[];
  summaries: IngestSummary[];
  /** The durable-write floor, measured in the same rotation as the receivers. */
  floor: DiskFloorSample[];
  floorSummary: DiskFloorSummary | null;
}

/** The same series split between several storescu processes sending at once, one association each. */
export interface ConcurrentIngestSection {
  associations: number;
  samples: IngestSample[];
  failures: Failure[];
  summaries: IngestSummary[];
}

export interface SendSection {
  samples: SendSample[];
  startup: StartupSample[];
  failures: Failure[];
  summaries: SendSummary[];
  startupSummary: StartupSample | null;
}

export interface FindSection {
  queries: number;
  expectedMeanMatches: number;
  results: FindResult[];
  failures: Failure[];
}

export function summariseIngest(samples: readonly IngestSample[], files: number): IngestSummary[] {
  const names = [...new Set(samples.map((sample) => sample.receiver))];
  return names.map((receiver) => {
    const mine = samples.filter((sample) => sample.receiver === receiver);
    const of = (pick: (sample: IngestSample) => number) => median(mine.map(pick));
    return {
      receiver,
      runs: mine.length,
      seconds: of((s) => s.seconds),
      imagesPerSecond: of((s) => s.imagesPerSecond),
      mbPerSecond: of((s) => s.mbPerSecond),
      startRssMb: of((s) => s.startRssMb),
      peakRssMb: of((s) => s.peakRssMb),
      maxPeakRssMb: Math.max(...mine.map((s) => s.peakRssMb)),
      complete: mine.every((s) => s.stored === files),
    };
  });
}

export function summariseDiskFloor(samples: readonly DiskFloorSample[]): DiskFloorSummary | null {
  if (samples.length === 0) return null;
  const of = (pick: (sample: DiskFloorSample) => number) => median(samples.map(pick));
  return {
    runs: samples.length,
    seconds: of((s) => s.seconds),
    imagesPerSecond: of((s) => s.imagesPerSecond),
    mbPerSecond: of((s) => s.mbPerSecond),
  };
}

export function summariseSend(samples: readonly SendSample[], distinctFiles: number): SendSummary[] {
  const keys = [...new Set(samples.map((sample) => `${sample.sender}\n${sample.instances}`))];
  return keys.map((key) => {
    const mine = samples.filter((sample) => `${sample.sender}\n${sample.instances}` === key);
    const first = mine[0] as SendSample;
    const of = (pick: (sample: SendSample) => number) => median(mine.map(pick));
    const reported = mine.map((s) => s.reportedImagesPerSecond).filter((rate) => rate !== null);
    return {
      sender: first.sender,
      instances: first.instances,
      runs: mine.length,
      seconds: of((s) => s.seconds),
      imagesPerSecond: of((s) => s.imagesPerSecond),
      reportedImagesPerSecond: reported.length === 0 ? null : median(reported),
      peakRssMb: of((s) => s.peakRssMb),
      complete: mine.every((s) => s.received === distinctFiles),
    };
  });
}

export function summariseStartup(samples: readonly StartupSample[]): StartupSample | null {
  if (samples.length === 0) return null;
  return {
    seconds: median(samples.map((s) => s.seconds)),
    peakRssMb: median(samples.map((s) => s.peakRssMb)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Targets

export interface Target {
  target: string;
  measured: string;
  verdict: "PASS" | "MISS";
}

/** Flat memory: the SCU's peak RSS may grow by at most this much from 500 to 1,000 instances sent. */
export const FLAT_RSS_TOLERANCE_MB = 10;

const ratio = (value: number) => `${value.toFixed(2)}×`;
const judged = (ok: boolean): Target["verdict"] => (ok ? "PASS" : "MISS");

function missing(target: string, why: string): Target {
  return { target, measured: `no figure (${why})`, verdict: "MISS" };
}

const VS_ORTHANC = "Hilum ingest ≥ 2× Orthanc";
const VS_STORESCP = "Hilum ingest ≥ 0.5× storescp";
const SERVER_RSS = "Hilum RSS < 250 MB ingesting";
const SCU_SPEED = "Hilum SCU ≥ 0.8× storescu";
const SCU_FLAT = "Hilum SCU memory flat in instances sent";
const FIND_LATENCY = "Hilum C-FIND p95 ≤ 15 ms above echoscu floor";

function ingestTargets(ingest: Outcome<IngestSection>): Target[] {
  const names = [VS_ORTHANC, VS_STORESCP, SERVER_RSS];
  if (!ingest.ok) return names.map((name) => missing(name, ingest.error));
  const by = (name: ReceiverName) => ingest.value.summaries.find((s) => s.receiver === name);
  const hilum = by("Hilum");
  const orthanc = by("Orthanc");
  const storescp = by("storescp");
  const incomplete = (s: IngestSummary) =>
    s.complete ? "" : ` — ${s.receiver} did not store every instance`;
  const versus = (name: string, other: IngestSummary | undefined, goal: number): Target => {
    if (hilum === undefined || other === undefined) return missing(name, "a receiver failed");
    const value = hilum.imagesPerSecond / other.imagesPerSecond;
    const detail = `${ratio(value)}${incomplete(hilum)}${incomplete(other)}`;
    return {
      target: name,
      measured: detail,
      verdict: judged(value >= goal && hilum.complete && other.complete),
    };
  };
  const rss: Target =
    hilum === undefined
      ? missing(SERVER_RSS, "Hilum failed")
      : {
          target: SERVER_RSS,
          measured: `${hilum.maxPeakRssMb.toFixed(0)} MB (highest of ${hilum.runs} runs)`,
          verdict: judged(hilum.maxPeakRssMb < 250),
        };
  return [versus(VS_ORTHANC, orthanc, 2), versus(VS_STORESCP, storescp, 0.5), rss];
}

function sendTargets(send: Outcome<SendSection>, instances: number): Target[] {
  if (!send.ok) return [SCU_SPEED, SCU_FLAT].map((name) => missing(name, send.error));
  const find = (sender: SenderName, count: number) =>
    send.value.summaries.find((s) => s.sender === sender && s.instances === count);
  const hilum = find("Hilum SCU", instances);
  const hilumTwice = find("Hilum SCU", instances * 2);
  const storescu = find("storescu", instances);
  const speed: Target =
    hilum === undefined || storescu === undefined
      ? missing(SCU_SPEED, "a sender failed")
      : {
          target: SCU_SPEED,
          measured:
            `${ratio(hilum.imagesPerSecond / storescu.imagesPerSecond)} (process wall time; ` +
            `sending phase by the CLI's own timer: ${ratio((hilum.reportedImagesPerSecond ?? Number.NaN) / storescu.imagesPerSecond)})`,
          verdict: judged(hilum.imagesPerSecond >= 0.8 * storescu.imagesPerSecond && hilum.complete),
        };
  const flat: Target =
    hilum === undefined || hilumTwice === undefined
      ? missing(SCU_FLAT, "a sender failed")
      : {
          target: SCU_FLAT,
          measured:
            `${hilum.peakRssMb.toFixed(0)} MB at ${hilum.instances}, ${hilumTwice.peakRssMb.toFixed(0)} MB ` +
            `at ${hilumTwice.instances.toLocaleString("en")} (tolerance +${FLAT_RSS_TOLERANCE_MB} MB)`,
          verdict: judged(hilumTwice.peakRssMb - hilum.peakRssMb <= FLAT_RSS_TOLERANCE_MB),
        };
  return [speed, flat];
}

function findTargets(find: Outcome<FindSection>): Target[] {
  if (!find.ok) return [missing(FIND_LATENCY, find.error)];
  const hilum = find.value.results.find((r) => r.receiver === "Hilum");
  if (hilum === undefined) return [missing(FIND_LATENCY, "Hilum failed")];
  const wrong = hilum.wrongCounts === 0 ? "" : ` — ${hilum.wrongCounts} queries returned a wrong match count`;
  return [
    {
      target: FIND_LATENCY,
      measured: `${hilum.aboveFloorMs.toFixed(1)} ms${wrong}`,
      verdict: judged(hilum.aboveFloorMs <= 15 && hilum.wrongCounts === 0),
    },
  ];
}

export function judgeTargets(
  ingest: Outcome<IngestSection>,
  send: Outcome<SendSection>,
  find: Outcome<FindSection>,
  instances: number,
): Target[] {
  return [...ingestTargets(ingest), ...sendTargets(send, instances), ...findTargets(find)];
}
