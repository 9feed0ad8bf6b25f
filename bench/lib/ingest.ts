/** Section 1: storescu (one association, like a modality) sends the CT series to each receiver. */
import { expectSuccess, timedRun } from "./command.js";
import type { Load } from "./files.js";
import { withReceiver, storescuArgs, type ReceiverName } from "./receivers.js";
import { readRss, whileSamplingRss } from "./rss.js";
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
