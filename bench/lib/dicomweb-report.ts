/** The DICOMweb part's samples, their medians, the targets of issue 3, and the markdown section. */
import type { DicomWebServerName } from "./dicomweb-servers.js";
import type { Machine } from "./machine.js";
import { median } from "./stats.js";
import type { Outcome, Target } from "./summary.js";

export type StoredLabel = "uncompressed" | "JPEG-LS lossless";

export interface FrameSample {
  stored: StoredLabel;
  server: DicomWebServerName;
  repeat: number;
  /** Requests in flight at once. */
  concurrency: number;
  frames: number;
  seconds: number;
  /** Frame payloads only, multipart framing not counted. */
  payloadBytes: number;
  framesPerSecond: number;
  mbPerSecond: number;
  /** Frames whose check failed, and the first few reasons. */
  wrongCount: number;
  wrong: string[];
}

export interface MetadataSample {
  server: DicomWebServerName;
  /** The first request after the server started, then the warm ones. */
  firstByteMs: number[];
  totalMs: number[];
  /** Length of the JSON array each answer held. */
  instances: number[];
}

export interface StoredResult {
  stored: StoredLabel;
  /** Each server as it describes itself ("Orthanc 1.10.1, DICOMweb plugin 1.7"). */
  versions: Partial<Record<DicomWebServerName, string>>;
  fillSeconds: Partial<Record<DicomWebServerName, number>>;
  /** The Content-Type each server answers a frame with (boundary left out), and its part's. */
  contentTypes: Partial<Record<DicomWebServerName, { response: string; part: string }>>;
  /** Frames whose payload length differs between the servers (their first measured run). */
  lengthMismatches: number;
  samples: FrameSample[];
  metadata: MetadataSample[];
}

export interface QidoResult {
  server: DicomWebServerName;
  fillSeconds: number;
  ms: number[];
  matches: number[];
  wrongCounts: number;
  p50: number;
  p95: number;
  meanMatches: number;
}

export interface QidoSection {
  queries: number;
  expectedMeanMatches: number;
  results: QidoResult[];
}

export interface DicomWebReport {
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  loadAverageAtEnd: number[];
  repeats: number;
  frameAccept: string;
  frames: Outcome<StoredResult>[];
  qido: Outcome<QidoSection>;
  targets: Target[];
}

const SERIES_INSTANCES = 500;
const METADATA_TARGET_MS = 100;
const FRAMES_TARGET = 2;

export interface FrameSummary {
  stored: StoredLabel;
  concurrency: number;
  server: DicomWebServerName;
  runs: number;
  framesPerSecond: number;
  mbPerSecond: number;
  wrongCount: number;
}

export function summariseFrames(samples: readonly FrameSample[]): FrameSummary[] {
  const keys = [...new Set(samples.map((s) => `${s.stored}\n${s.concurrency}\n${s.server}`))];
  return keys.map((key) => {
    const mine = samples.filter((s) => `${s.stored}\n${s.concurrency}\n${s.server}` === key);
    const first = mine[0]!;
    return {
      stored: first.stored,
      concurrency: first.concurrency,
      server: first.server,
      runs: mine.length,
      framesPerSecond: median(mine.map((s) => s.framesPerSecond)),
      mbPerSecond: median(mine.map((s) => s.mbPerSecond)),
      wrongCount: mine.reduce((sum, s) => sum + s.wrongCount, 0),
    };
  });
}

/** Cold: the first request; warm: the median of the others. */
export function coldWarm(values: readonly number[]): [number, number] {
  return [values[0] ?? Number.NaN, median(values.slice(1))];
}

const judged = (ok: boolean): Target["verdict"] => (ok ? "PASS" : "MISS");
const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "–");

function frameTargets(frames: readonly Outcome<StoredResult>[]): Target[] {
  return frames.flatMap((outcome) => {
    if (!outcome.ok) {
      return [
        { target: "Hilum frames/s ≥ 2× Orthanc", measured: `no figure (${outcome.error})`, verdict: "MISS" },
      ];
    }
    const summaries = summariseFrames(outcome.value.samples);
    const levels = [...new Set(summaries.map((s) => s.concurrency))];
    return levels.map((concurrency): Target => {
      const at = (server: DicomWebServerName) =>
        summaries.find((s) => s.concurrency === concurrency && s.server === server);
      const [hilum, orthanc] = [at("Hilum"), at("Orthanc")];
      const value = (hilum?.framesPerSecond ?? Number.NaN) / (orthanc?.framesPerSecond ?? Number.NaN);
      const wrong = (hilum?.wrongCount ?? 0) + (orthanc?.wrongCount ?? 0);
      return {
        target: `Hilum frames/s ≥ 2× Orthanc, stored ${outcome.value.stored}, ${concurrency} at once`,
        measured: `${ratio(value)}${wrong === 0 ? "" : ` — ${wrong} frames wrong`}`,
        verdict: judged(value >= FRAMES_TARGET && wrong === 0),
      };
    });
  });
}

function metadataTarget(frames: readonly Outcome<StoredResult>[]): Target {
  const target = `Hilum series metadata < ${METADATA_TARGET_MS} ms (${SERIES_INSTANCES} instances), first byte`;
  const hilum = frames
    .flatMap((outcome) => (outcome.ok ? outcome.value.metadata : []))
    .find((sample) => sample.server === "Hilum");
  if (hilum === undefined)
    return { target, measured: "no figure (the uncompressed part failed)", verdict: "MISS" };
  const [coldFirst, warmFirst] = coldWarm(hilum.firstByteMs);
  const [coldTotal, warmTotal] = coldWarm(hilum.totalMs);
  const complete = hilum.instances.every((count) => count === SERIES_INSTANCES);
  return {
    target,
    measured:
      `cold ${fixed(coldFirst, 1)} ms, warm ${fixed(warmFirst, 1)} ms (whole response: cold ` +
      `${fixed(coldTotal, 1)} ms, warm ${fixed(warmTotal, 1)} ms)${complete ? "" : " — wrong instance count"}`,
    verdict: judged(coldFirst < METADATA_TARGET_MS && warmFirst < METADATA_TARGET_MS && complete),
  };
}

export function judgeTargets(frames: readonly Outcome<StoredResult>[]): Target[] {
  return [...frameTargets(frames), metadataTarget(frames)];
}

// ---------------------------------------------------------------------------------------------------------
// Markdown

function table(header: string[], rows: string[][], textColumns = 1): string[] {
  const align = header.map((_, i) => (i < textColumns ? "---" : "---:"));
  return [header, align, ...rows].map((cells) => `| ${cells.join(" | ")} |`);
}

function framesLines(results: readonly StoredResult[], repeats: number, accept: string): string[] {
  const rows = results.flatMap((result) => {
    const summaries = summariseFrames(result.samples);
    return [...new Set(summaries.map((s) => s.concurrency))].map((concurrency) => {
      const at = (server: DicomWebServerName) =>
        summaries.find((s) => s.concurrency === concurrency && s.server === server);
      const [hilum, orthanc] = [at("Hilum"), at("Orthanc")];
      const [hf, of] = [hilum?.framesPerSecond ?? Number.NaN, orthanc?.framesPerSecond ?? Number.NaN];
      return [
        result.stored,
        String(concurrency),
        fixed(hf),
        fixed(hilum?.mbPerSecond ?? Number.NaN),
        fixed(of),
        fixed(orthanc?.mbPerSecond ?? Number.NaN),
        ratio(hf / of),
      ];
    });
  });
  const header = [
    "Stored as",
    "at once",
    "Hilum frames/s",
    "MB/s",
    "Orthanc frames/s",
    "MB/s",
    "Hilum / Orthanc",
  ];
  const notes = results.map((result) => {
    const wrong = result.samples.reduce((sum, s) => sum + s.wrongCount, 0);
    const types = Object.entries(result.contentTypes).map(
      ([server, type]) => `${server} \`${type.response}\`, parts \`${type.part || "(no Content-Type)"}\``,
    );
    const fills = Object.entries(result.fillSeconds).map(([server, s]) => `${server} ${fixed(s, 1)} s`);
    return (
      `- Stored ${result.stored}: answered as ${types.join(", ")}; ` +
      `${wrong === 0 ? "every frame checked right" : `**${wrong} frames wrong**`}; payload lengths ` +
      `${result.lengthMismatches === 0 ? "identical between the servers" : `differ for ${result.lengthMismatches} frames`}; ` +
      `storescu filled them in ${fills.join(", ")}.`
    );
  });
  return [
    `#### WADO-RS frames: every frame of the 500-slice CT, one request each, medians of ${repeats} runs`,
    "",
    `\`GET …/instances/{i}/frames/1\` with \`Accept: ${accept}\`; MB/s counts frame payloads (MB = 10^6 bytes).`,
    "",
    ...table(header, rows, 2),
    "",
    ...notes,
  ];
}

function metadataLines(samples: readonly MetadataSample[]): string[] {
  const rows = samples.map((sample) => {
    const [coldFirst, warmFirst] = coldWarm(sample.firstByteMs);
    const [coldTotal, warmTotal] = coldWarm(sample.totalMs);
    const counts = [...new Set(sample.instances)].join(", ");
    return [
      sample.server,
      fixed(coldFirst, 1),
      fixed(coldTotal, 1),
      fixed(warmFirst, 1),
      fixed(warmTotal, 1),
      counts,
    ];
  });
  return [
    `#### Series metadata, ${SERIES_INSTANCES} instances: \`GET …/series/{se}/metadata\``,
    "",
    ...table(
      [
        "Server",
        "first byte, cold (ms)",
        "whole, cold (ms)",
        "first byte, warm (ms)",
        "whole, warm (ms)",
        "instances",
      ],
      rows,
    ),
    "",
    "Cold: the first request after the server was restarted on its filled store (the page cache stays warm); " +
      "warm: the median of the next 10, one at a time on a keep-alive connection.",
  ];
}

function qidoLines(qido: QidoSection): string[] {
  const rows = qido.results.map((r) => [
    r.server,
    fixed(r.p50, 1),
    fixed(r.p95, 1),
    fixed(r.meanMatches, 1),
    String(r.wrongCounts),
    fixed(r.fillSeconds),
  ]);
  return [
    `#### QIDO-RS study search, 10,000 studies, ${qido.queries} queries \`GET /dicom-web/studies?PatientName=<prefix>*\``,
    "",
    ...table(
      ["Server", "p50 (ms)", "p95 (ms)", "mean matches", "wrong counts", "storing 10,000 studies (s)"],
      rows,
    ),
    "",
    `The C-FIND section's prefixes less those Orthanc's QIDO cannot match (apostrophes, spaces; expected mean ` +
      `${fixed(qido.expectedMeanMatches, 1)} matches); wall time per ` +
      "request over keep-alive, the servers taking turns query by query; single runs, not medians.",
  ];
}

export function markdown(report: DicomWebReport): string {
  const m = report.machine;
  const failed = (what: string, outcome: Outcome<unknown>) =>
    outcome.ok ? [] : [`- **failed**: ${what}: ${outcome.error.split("\n")[0]}`];
  const frames = report.frames.flatMap((outcome) => (outcome.ok ? [outcome.value] : []));
  const metadata = frames.flatMap((result) => result.metadata);
  const lines = [
    "### DICOMweb: Hilum against Orthanc's DICOMweb plugin",
    "",
    `Run ${report.startedAt} → ${report.finishedAt}, Hilum ${m.hilum} (${m.gitCommit}) against ` +
      `${frames.find((f) => f.versions.Orthanc)?.versions.Orthanc ?? "Orthanc"}. ${m.cpus} CPUs (${m.cpuModel}); ` +
      `load average ${m.loadAverageAtStart.join(" / ")} at start, ${report.loadAverageAtEnd.join(" / ")} at the end.`,
    "Each server on a fresh store filled by storescu; the client is node:http with keep-alive in the bench process.",
    "",
    ...(frames.length > 0 ? framesLines(frames, report.repeats, report.frameAccept) : []),
    ...report.frames.flatMap((outcome, i) => failed(`frames, part ${i + 1}`, outcome)),
    "",
    ...(metadata.length > 0 ? metadataLines(metadata) : []),
    "",
    ...(report.qido.ok ? qidoLines(report.qido.value) : failed("QIDO-RS", report.qido)),
    "",
    "#### Targets (issue 3)",
    "",
    ...table(
      ["Target", "Measured", "Verdict"],
      report.targets.map((t) => [t.target, t.measured, t.verdict === "PASS" ? "PASS" : "**MISS**"]),
      3,
    ),
  ];
  return lines.join("\n").replace(/\n{3,}/g, "\n\n");
}
