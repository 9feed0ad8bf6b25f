/**
 * A transcoding thread (codecs/transcode-pool.ts): receives Part 10 bytes and a target transfer syntax,
 * answers with the re-encoded dataset or the error's message. The WASM codecs load on the first job.
 */
import { parentPort } from "node:worker_threads";
import { TranscodeError, initializeCodecs, transcodeDataset } from "./transcode.js";

export interface TranscodeJob {
  id: number;
  part10: ArrayBuffer;
  to: string;
}

export type TranscodeAnswer =
  { id: number; dataset: ArrayBuffer } | { id: number; error: string; transcodeError: boolean };

const port = parentPort;
if (!port) throw new Error("transcode-worker runs in a worker thread");

port.on("message", (job: TranscodeJob) => {
  void (async () => {
    try {
      await initializeCodecs();
      const dataset = transcodeDataset(Buffer.from(job.part10), job.to);
      // Buffers from dcmjs-codecs are views on their own ArrayBuffer; copy only when it holds more.
      const whole = dataset.byteOffset === 0 && dataset.byteLength === dataset.buffer.byteLength;
      const out = (
        whole
          ? dataset.buffer
          : dataset.buffer.slice(dataset.byteOffset, dataset.byteOffset + dataset.byteLength)
      ) as ArrayBuffer;
      port.postMessage({ id: job.id, dataset: out } satisfies TranscodeAnswer, [out]);
    } catch (err) {
      const error = (err as Error).message ?? String(err);
      port.postMessage({
        id: job.id,
        error,
        transcodeError: err instanceof TranscodeError,
      } satisfies TranscodeAnswer);
    }
  })();
});
