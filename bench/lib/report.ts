/** The results as markdown, ready to paste into docs/benchmarks.md. */
import type { Machine } from "./machine.js";
import { RECEIVERS, type ReceiverName } from "./receivers.js";
import type {
  ConcurrentIngestSection,
  DiskFloorSummary,
  Failure,
  FindSection,
  IngestSection,
  IngestSummary,
  Outcome,
  SendSection,
  Target,
} from "./summary.js";

export interface Report {
  startedAt: string;
  finishedAt: string;
  repeats: number;
  machine: Machine;
  /** The CT series: instances and dataset bytes. */
  series: { instances: number; datasetBytes: number; fileBytes: number };
  ingest: Outcome<IngestSection>;
  concurrentIngest: Outcome<ConcurrentIngestSection>;
  send: Outcome<SendSection>;
  find: Outcome<FindSection>;
  targets: Target[];
}

const RECEIVER_LABEL: Record<ReceiverName, string> = {
  Hilum: "Hilum (`npm run serve`)",
  storescp: "DCMTK storescp",
  Orthanc: "Orthanc",
};

const int = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : "–");
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : "–");
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "–");

/** A markdown table; columns after the first are numbers (right-aligned) unless `textColumns` says more. */
function table(header: string[], rows: string[][], textColumns = 1): string[] {
  const align = header.map((_, i) => (i < textColumns ? "---" : "---:"));
  return [header, align, ...rows].map((cells) => `| ${cells.join(" | ")} |`);
}

/** An error on one line: its distinct lines joined, cut at 240 characters. */
function oneLine(error: string): string {
  const lines = [...new Set(error.split("\n").map((line) => line.trim()))].filter((line) => line !== "");
  const text = lines.join(" / ");
  return text.length > 240 ? `${text.slice(0, 239)}…` : text;
}

function failures(list: readonly Failure[]): string[] {
  return list.length === 0 ? [] : ["", ...list.map((f) => `- **failed**: ${f.what}: ${oneLine(f.error)}`)];
}

function machineLines(report: Report): string[] {
  const m = report.machine;
  return [
    `Run ${report.startedAt} → ${report.finishedAt}, Hilum ${m.hilum} (${m.gitCommit}).`,
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${int(m.memoryMb)} MB RAM, temp folder on ${m.disk}, ` +
      `Linux ${m.kernel}, load average at start ${m.loadAverageAtStart.join(" / ")}.`,
    `Node ${m.node}; ${m.dcmtk}; ${m.orthanc}. Every peer runs with TCP_NODELAY=1.`,
    `Figures are medians of ${report.repeats} runs unless said otherwise; MB = 10^6 bytes.`,
  ];
}

const INGEST_HEADER = ["Receiver", "images/s", "MB/s", "peak RSS (MB)", "idle RSS before (MB)", "runs"];

function ingestRow(s: IngestSummary, label = RECEIVER_LABEL[s.receiver]): string[] {
  return [
    label,
    int(s.imagesPerSecond),
    int(s.mbPerSecond),
    int(s.peakRssMb),
    int(s.startRssMb),
    `${s.runs}${s.complete ? "" : " (some stored fewer instances than sent)"}`,
  ];
}

/** Median images/s of `name`, NaN when it has no figure. */
function rateOf(summaries: readonly IngestSummary[], name: ReceiverName): number {
  return summaries.find((s) => s.receiver === name)?.imagesPerSecond ?? NaN;
}

function floorRow(floor: DiskFloorSummary): string[] {
  return [
    "durable-write floor (no network)",
    int(floor.imagesPerSecond),
    int(floor.mbPerSecond),
    "–",
    "–",
    String(floor.runs),
  ];
}

/** "Hilum / floor: 0.71×; Orthanc / floor: 0.69×." — or why there is no floor. */
function floorRatios(summaries: readonly IngestSummary[], floor: DiskFloorSummary | null): string {
  if (floor === null) return "No durable-write floor (every run of it failed).";
  const rate = (name: ReceiverName) => rateOf(summaries, name);
  return (
    `Hilum / floor: ${times(rate("Hilum") / floor.imagesPerSecond)}; ` +
    `Orthanc / floor: ${times(rate("Orthanc") / floor.imagesPerSecond)}.`
  );
}

function ingestLines(report: Report): string[] {
  const { series } = report;
  const title =
    `### Ingest: storescu → receiver, one association, ${series.instances} × 512×512 16-bit CT ` +
    `(${(series.datasetBytes / 1e6).toFixed(1)} MB of datasets)`;
  if (!report.ingest.ok) return [title, "", `**failed**: ${oneLine(report.ingest.error)}`];
  const { summaries, floorSummary } = report.ingest.value;
  const rows = summaries.map((s) => ingestRow(s));
  if (floorSummary !== null) rows.push(floorRow(floorSummary));
  const rate = (name: ReceiverName) => rateOf(summaries, name);
  return [
    title,
    "",
    ...table(INGEST_HEADER, rows),
    "",
    `Hilum / Orthanc: ${times(rate("Hilum") / rate("Orthanc"))}; Hilum / storescp: ` +
      `${times(rate("Hilum") / rate("storescp"))}.`,
    "",
    `${floorRatios(summaries, floorSummary)} The floor: each file, already in memory, written to a new file ` +
      "in 128 KiB chunks, fsynced, closed, renamed, and its folder fsynced, one after another; no network, " +
      "no parsing. MB/s of the floor = file bytes written.",
    ...failures(report.ingest.value.failures),
  ];
}

function concurrentIngestLines(report: Report): string[] {
  const outcome = report.concurrentIngest;
  const associations = outcome.ok ? outcome.value.associations : 4;
  const each = Math.ceil(report.series.instances / associations);
  const title =
    `### Ingest: ${associations} associations at once (${associations} storescu processes, ` +
    `~${each} files each), the same CT series`;
  if (!outcome.ok) return [title, "", `**failed**: ${oneLine(outcome.error)}`];
  const { summaries } = outcome.value;
  const label = (s: IngestSummary) =>
    s.receiver === "storescp" ? "DCMTK storescp (`--fork`)" : RECEIVER_LABEL[s.receiver];
  const rows = summaries.map((s) => ingestRow(s, label(s)));
  const rate = (name: ReceiverName) => rateOf(summaries, name);
  const single = report.ingest.ok ? report.ingest.value : undefined;
  const floor = single?.floorSummary ?? null;
  const versusOne = RECEIVERS.map(
    (name) => `${name} ${times(rate(name) / rateOf(single?.summaries ?? [], name))}`,
  ).join(", ");
  return [
    title,
    "",
    ...table(INGEST_HEADER, rows),
    "",
    `Hilum / Orthanc: ${times(rate("Hilum") / rate("Orthanc"))}; Hilum / storescp: ` +
      `${times(rate("Hilum") / rate("storescp"))}. ${floorRatios(summaries, floor)} ` +
      `${associations} associations / one association: ${versusOne}. No target (issue 2 sets none).`,
    "",
    `The ${report.series.instances} files dealt round-robin into ${associations} folders, one storescu ` +
      "each, all spawned together; time from the first spawn to the last exit. storescp runs with `--fork` " +
      "(without it, it serves one association at a time); its peak RSS is the sum over it and its children.",
    ...failures(outcome.value.failures),
  ];
}

function sendLines(report: Report): string[] {
  const title = "### Sending: SCU → DCMTK storescp, the same CT series";
  if (!report.send.ok) return [title, "", `**failed**: ${oneLine(report.send.error)}`];
  const { summaries, startupSummary } = report.send.value;
  const rows = summaries.map((s) => [
    s.sender === "Hilum SCU" ? "Hilum SCU (`hilum send`)" : "DCMTK storescu",
    s.instances.toLocaleString("en"),
    int(s.imagesPerSecond),
    s.reportedImagesPerSecond === null ? "–" : int(s.reportedImagesPerSecond),
    int(s.peakRssMb),
    `${s.runs}${s.complete ? "" : " (storescp did not receive every file)"}`,
  ]);
  const floor =
    startupSummary === null
      ? []
      : [
          "",
          `Floor under \`hilum send\`: \`hilum echo\` to storescp takes ${startupSummary.seconds.toFixed(2)} s ` +
            `and peaks at ${int(startupSummary.peakRssMb)} MB (Node, the CLI bundle, one association).`,
        ];
  const header = [
    "Sender",
    "instances",
    "images/s (wall)",
    "images/s (CLI's own timer)",
    "peak RSS (MB)",
    "runs",
  ];
  return [
    title,
    "",
    ...table(header, rows),
    "",
    "1,000 instances = the 500 files listed twice (same SOP Instance UIDs; storescp overwrites).",
    ...floor,
    ...failures(report.send.value.failures),
  ];
}

function findLines(report: Report): string[] {
  if (!report.find.ok) return ["### C-FIND", "", `**failed**: ${oneLine(report.find.error)}`];
  const { results, queries, expectedMeanMatches } = report.find.value;
  const studies = (results[0]?.studies ?? 10_000).toLocaleString("en");
  const rows = results.map((r) => [
    RECEIVER_LABEL[r.receiver],
    `${ms(r.echoP50)} / ${ms(r.echoP95)}`,
    `${ms(r.findP50)} / ${ms(r.findP95)}`,
    ms(r.aboveFloorMs),
    `${r.meanMatches.toFixed(1)}${r.wrongCounts === 0 ? "" : ` (${r.wrongCounts} wrong)`}`,
    r.fillSeconds.toFixed(0),
  ]);
  const header = [
    "Receiver",
    "echoscu p50 / p95 (ms)",
    "findscu p50 / p95 (ms)",
    "p95 above floor (ms)",
    "mean matches",
    `storing ${studies} studies (s)`,
  ];
  return [
    `### C-FIND, study level, ${studies} studies indexed, ${queries} queries \`PatientName=<prefix>*\``,
    "",
    ...table(header, rows),
    "",
    `Prefixes chosen from the fixture so that each matches about 50 studies (mean ${expectedMeanMatches.toFixed(1)}); ` +
      "one echoscu and one findscu run alternately per query; single runs, not medians.",
    ...failures(report.find.value.failures),
  ];
}

function targetLines(targets: readonly Target[]): string[] {
  const rows = targets.map((t) => [t.target, t.measured, t.verdict === "PASS" ? "PASS" : "**MISS**"]);
  return ["### Targets (issue 2)", "", ...table(["Target", "Measured", "Verdict"], rows, 3)];
}

export function markdown(report: Report): string {
  return [
    "## Results",
    "",
    ...machineLines(report),
    "",
    ...ingestLines(report),
    "",
    ...concurrentIngestLines(report),
    "",
    ...sendLines(report),
    "",
    ...findLines(report),
    "",
    ...targetLines(report.targets),
    "",
  ].join("\n");
}
