/**
 * Section 1: storescu (one association, like a modality) sends the CT series to each receiver; then the
 * same series split between 4 storescu processes sending at once (4 associations).
 */
import { expectSuccess, timedRun } from "./command.js";
import type { Load, SplitLoad } from "./files.js";
import { withReceiver, storescuArgs, type ReceiverName, type RunningReceiver } from "./receivers.js";
import { readRss, readTreePeakRss, whileSamplingRss } from "./rss.js";
import { settle } from "./settle.js";
import { MB } from "./stats.js";

export interface IngestSample {
  receiver: ReceiverName;
  seconds: number;
  imagesPerSecond: number;
  mbPerSecond: number;
  /** The receiver's resident memory (VmRSS) once started and idle, before anything is sent. */
  startRssMb: number;
  /** The receiver's VmHWM over its life (start-up, then the whole run). */
  peakRssMb: number;
  /** Instances the receiver reports holding afterwards. */
  stored: number;
}

/** One repeat: a fresh receiver, storescu sends every file of `load`, the receiver is stopped and removed. */
export async function measureIngest(name: ReceiverName, load: Load): Promise<IngestSample> {
  await settle();
  return withReceiver(name, async (receiver) => {
    const startBytes = readRss(receiver.pid) ?? Number.NaN;
    const [sent, peakBytes] = await whileSamplingRss(receiver.pid, async () => {
      const result = await timedRun("storescu", storescuArgs(receiver.target, load.folder));
      return expectSuccess(result, `storescu → ${name}`);
    });
    const seconds = sent.wallMs / 1000;
    return {
      receiver: name,
      seconds,
      imagesPerSecond: load.files / seconds,
      mbPerSecond: load.datasetBytes / MB / seconds,
      startRssMb: startBytes / MB,
      peakRssMb: peakBytes / MB,
      stored: await receiver.instanceCount(),
    };
  });
}

/**
 * One repeat with several associations at once: a fresh receiver, one storescu per part of `split`, all
 * spawned together; the time runs from the first spawn to the last exit. The receiver's peak RSS counts the
 * processes it forks (storescp --fork), and it is stopped and removed.
 */
export async function measureConcurrentIngest(name: ReceiverName, split: SplitLoad): Promise<IngestSample> {
  await settle();
  const body = async (receiver: RunningReceiver): Promise<IngestSample> => {
    const startBytes = readRss(receiver.pid) ?? Number.NaN;
    const [runs, peakBytes] = await whileSamplingRss(
      receiver.pid,
      () => Promise.all(split.parts.map((part) => timedRun("storescu", storescuArgs(receiver.target, part)))),
      readTreePeakRss,
    );
    runs.forEach((run, i) => expectSuccess(run, `storescu ${i + 1} of ${runs.length} → ${name}`));
    const first = Math.min(...runs.map((run) => run.startedMs));
    const seconds = (Math.max(...runs.map((run) => run.startedMs + run.wallMs)) - first) / 1000;
    return {
      receiver: name,
      seconds,
      imagesPerSecond: split.files / seconds,
      mbPerSecond: split.datasetBytes / MB / seconds,
      startRssMb: startBytes / MB,
      peakRssMb: peakBytes / MB,
      stored: await receiver.instanceCount(),
    };
  };
  return withReceiver(name, body, { concurrent: true });
}
