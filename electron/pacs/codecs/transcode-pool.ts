/**
 * Codec work off the event loop. Encoding a 512×512 CT slice to JPEG-LS takes the WASM codecs about
 * 15 ms; done inline, every transcoded copy the router sends, every frame a viewer asks for in another
 * syntax and every rendered compressed image would stall ingest and the web server for that long, and a
 * second core would sit idle. Jobs go to a few worker threads (transcode-worker.ts), started on first use
 * and stopped after a while without work; where no worker script is known they run on the calling thread.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import {
  type DecodedFrame,
  type EncodeOptions,
  type FrameGeometry,
  decodeFrame,
  encodeFrame,
  initializeFrameCodecs,
} from "./frames.js";
import type { CodecAnswer, CodecJob, CodecTask } from "./transcode-worker.js";
import { TranscodeError, initializeCodecs, transcodeDataset } from "./transcode.js";

const IDLE_STOP_MS = 30_000;
const FROM_SOURCE = import.meta.url.endsWith(".ts");

type Answer = Extract<CodecAnswer, { bytes: ArrayBuffer }>;

interface Pending {
  job: CodecJob;
  resolve(answer: Answer): void;
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
 * bundled code does its codec work on the calling thread; run from source, the .ts worker is loaded
 * through tsx.
 */
export function useTranscodeWorker(script: string): void {
  bundledScript = script;
}

function spawn(): Worker {
  if (FROM_SOURCE) {
    const worker = new URL("./transcode-worker.ts", import.meta.url).href;
    const load = `import("tsx/esm/api").then((api) => api.tsImport(${JSON.stringify(worker)}, ${JSON.stringify(import.meta.url)}))`;
    return new Worker(load, { eval: true });
  }
  return new Worker(bundledScript!);
}

class CodecPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Pending[] = [];
  private nextId = 1;

  constructor(private readonly size: number) {}

  /** False where no worker script is known: the work is then done on the calling thread. */
  get available(): boolean {
    return FROM_SOURCE || bundledScript !== undefined;
  }

  /** The task's buffer is transferred: give it a copy. */
  run(task: CodecTask): Promise<Answer> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ job: { ...task, id: this.nextId++ }, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const slot = this.slots.find((s) => !s.job) ?? this.grow();
      if (!slot) return;
      const pending = this.waiting.shift()!;
      if (slot.idle) clearTimeout(slot.idle);
      slot.job = pending;
      slot.worker.ref();
      slot.worker.postMessage(pending.job, [payloadOf(pending.job)]);
    }
  }

  private grow(): Slot | undefined {
    if (this.slots.length >= this.size) return undefined;
    const worker = spawn();
    const slot: Slot = { worker };
    worker.on("message", (answer: CodecAnswer) => this.answered(slot, answer));
    worker.on("error", (err) => this.lost(slot, err.message));
    worker.on("exit", (code) => this.lost(slot, `exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }

  private answered(slot: Slot, answer: CodecAnswer): void {
    const pending = slot.job;
    if (!pending || pending.job.id !== answer.id) return;
    slot.job = undefined;
    if ("bytes" in answer) pending.resolve(answer);
    else pending.reject(answer.transcodeError ? new TranscodeError(answer.error) : new Error(answer.error));
    this.rest(slot);
    this.dispatch();
  }

  /** An idle thread lets the process exit, and leaves the pool after a while. */
  private rest(slot: Slot): void {
    slot.worker.unref();
    slot.idle = setTimeout(() => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      void slot.worker.terminate();
    }, IDLE_STOP_MS);
    slot.idle.unref();
  }

  private lost(slot: Slot, reason: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    if (slot.idle) clearTimeout(slot.idle);
    slot.job?.reject(new TranscodeError(`the codec thread stopped: ${reason}`));
    this.dispatch();
  }
}

function payloadOf(job: CodecTask): ArrayBuffer {
  if (job.kind === "dataset") return job.part10;
  return job.kind === "decode-frame" ? job.encoded : job.pixels;
}

/** A copy of the bytes in an ArrayBuffer of their own, to transfer to a thread (Buffer#slice would not copy). */
function copyOf(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

const pool = new CodecPool(Math.min(4, availableParallelism()));

/** transcodeDataset (a Part 10 file's data set in another transfer syntax) on a codec thread. */
export async function transcodeOffThread(part10: Buffer, to: string): Promise<Buffer> {
  if (!pool.available) {
    await initializeCodecs();
    return transcodeDataset(part10, to);
  }
  const { bytes } = await pool.run({ kind: "dataset", part10: copyOf(part10), to });
  return Buffer.from(bytes);
}

/** decodeFrame on a codec thread. */
export async function decodeFrameOffThread(
  encoded: Uint8Array,
  syntax: string,
  geometry: FrameGeometry,
): Promise<DecodedFrame> {
  if (!pool.available) {
    await initializeFrameCodecs();
    return decodeFrame(encoded, syntax, geometry);
  }
  const answer = await pool.run({ kind: "decode-frame", encoded: copyOf(encoded), syntax, geometry });
  return {
    pixels: Buffer.from(answer.bytes),
    photometricInterpretation: answer.photometricInterpretation ?? geometry.photometricInterpretation,
    planarConfiguration: answer.planarConfiguration ?? geometry.planarConfiguration,
  };
}

/** encodeFrame on a codec thread. */
export async function encodeFrameOffThread(
  pixels: Uint8Array,
  syntax: string,
  geometry: FrameGeometry,
  options: EncodeOptions = {},
): Promise<Buffer> {
  if (!pool.available) {
    await initializeFrameCodecs();
    return encodeFrame(pixels, syntax, geometry, options);
  }
  const { bytes } = await pool.run({
    kind: "encode-frame",
    pixels: copyOf(pixels),
    syntax,
    geometry,
    options,
  });
  return Buffer.from(bytes);
}
