/**
 * Transcoding off the event loop. Encoding a 512×512 CT slice to JPEG-LS takes the WASM codecs about
 * 15 ms; done inline, every transcoded copy the router sends would stall ingest and the web server for
 * that long, and a second core would sit idle. Jobs go to a few worker threads (transcode-worker.ts),
 * started on first use and stopped after a while without work.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { TranscodeAnswer, TranscodeJob } from "./transcode-worker.js";
import { TranscodeError, initializeCodecs, transcodeDataset } from "./transcode.js";

const IDLE_STOP_MS = 30_000;
const FROM_SOURCE = import.meta.url.endsWith(".ts");

interface Pending {
  id: number;
  part10: ArrayBuffer;
  to: string;
  resolve(dataset: Buffer): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  job?: Pending;
  idle?: NodeJS.Timeout;
}

let bundledScript: string | undefined;

/**
 * Where a bundle's worker script is (each bundle's entry point says, since chunks move). Without one,
 * bundled code transcodes on the calling thread; run from source, the .ts worker is loaded through tsx.
 */
export function useTranscodeWorker(script: string): void {
  bundledScript = script;
}

function spawn(): Worker | undefined {
  if (FROM_SOURCE) {
    const worker = new URL("./transcode-worker.ts", import.meta.url).href;
    const load = `import("tsx/esm/api").then((api) => api.tsImport(${JSON.stringify(worker)}, ${JSON.stringify(import.meta.url)}))`;
    return new Worker(load, { eval: true });
  }
  return bundledScript ? new Worker(bundledScript) : undefined;
}

class TranscodePool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Pending[] = [];
  private nextId = 1;

  constructor(private readonly size: number) {}

  run(part10: Buffer, to: string): Promise<Buffer> | undefined {
    if (!FROM_SOURCE && !bundledScript) return undefined;
    const copy = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, part10: copy, to, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const slot = this.slots.find((s) => !s.job) ?? this.grow();
      if (!slot) return;
      const job = this.waiting.shift()!;
      if (slot.idle) clearTimeout(slot.idle);
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, part10: job.part10, to: job.to } satisfies TranscodeJob, [
        job.part10,
      ]);
    }
  }

  private grow(): Slot | undefined {
    if (this.slots.length >= this.size) return undefined;
    const worker = spawn();
    if (!worker) return undefined;
    const slot: Slot = { worker };
    worker.on("message", (answer: TranscodeAnswer) => this.answered(slot, answer));
    worker.on("error", (err) => this.lost(slot, err.message));
    worker.on("exit", (code) => this.lost(slot, `exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }

  private answered(slot: Slot, answer: TranscodeAnswer): void {
    const job = slot.job;
    if (!job || job.id !== answer.id) return;
    slot.job = undefined;
    if ("dataset" in answer) job.resolve(Buffer.from(answer.dataset));
    else job.reject(answer.transcodeError ? new TranscodeError(answer.error) : new Error(answer.error));
    this.rest(slot);
    this.dispatch();
  }

  /** An idle thread lets the process exit, and leaves the pool after a while. */
  private rest(slot: Slot): void {
    slot.worker.unref();
    slot.idle = setTimeout(() => {
      this.slots.splice(this.slots.indexOf(slot), 1);
      void slot.worker.terminate();
    }, IDLE_STOP_MS);
    slot.idle.unref();
  }

  private lost(slot: Slot, reason: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    if (slot.idle) clearTimeout(slot.idle);
    slot.job?.reject(new TranscodeError(`the transcoding thread stopped: ${reason}`));
    this.dispatch();
  }
}

const pool = new TranscodePool(Math.min(4, availableParallelism()));

/** transcodeDataset on a worker thread (on this one where no worker script is known). */
export async function transcodeOffThread(part10: Buffer, to: string): Promise<Buffer> {
  const offThread = pool.run(part10, to);
  if (offThread) return offThread;
  await initializeCodecs();
  return transcodeDataset(part10, to);
}
