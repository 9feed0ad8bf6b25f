/**
 * The pool of decode workers (hardwareConcurrency − 1 of them, at least one): each task goes to the worker
 * with the fewest tasks in hand. A worker fetches and decodes (workers/decode.worker.ts), so the main
 * thread only schedules and receives finished pixels (transferred, not copied).
 */
import wasmUrl from "dcmjs-codecs/build/dcmjs-native-codecs.wasm?url";
import type { WorkerReply, WorkerRequest } from "../../workers/protocol";
import type { DecodedFrame, PixelLayout } from "./pixels";

export class FrameLoadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly aborted = false,
  ) {
    super(message);
  }
}

export interface PoolResult {
  frame: DecodedFrame;
  fetchMs: number;
  decodeMs: number;
}

interface Pending {
  resolve(result: PoolResult): void;
  reject(error: Error): void;
  worker: Slot;
}

interface Slot {
  worker: Worker;
  busy: number;
}

export function defaultPoolSize(): number {
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 2 : 2;
  return Math.max(1, cores - 1);
}

function createDecodeWorker(): Worker {
  return new Worker(new URL("../../workers/decode.worker.ts", import.meta.url), { type: "module" });
}

export class DecodePool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #destroyed = false;

  constructor(size = defaultPoolSize(), create: () => Worker = createDecodeWorker) {
    this.size = size;
    for (let i = 0; i < size; i++) {
      const worker = create();
      const slot: Slot = { worker, busy: 0 };
      worker.onmessage = (event: MessageEvent<WorkerReply>) => this.#settle(event.data);
      worker.onerror = (event) =>
        this.#fail(slot, `the decode worker failed: ${event.message || "it did not start"}`);
      const init: WorkerRequest = { type: "init", wasmUrl: new URL(wasmUrl, document.baseURI).href };
      worker.postMessage(init);
      this.#slots.push(slot);
    }
  }

  /** Tasks in hand across the workers. */
  get busy(): number {
    return this.#pending.size;
  }

  /** Fetches a frame (as stored) and decodes it in a worker. */
  load(
    url: string,
    layout: PixelLayout,
    options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ) {
    return this.#run(
      (id) => ({
        type: "load",
        id,
        url: new URL(url, document.baseURI).href,
        headers: options.headers ?? {},
        layout,
      }),
      options.signal,
    );
  }

  /** Decodes bytes in hand (they are transferred to the worker). */
  decode(bytes: Uint8Array, transferSyntaxUid: string, layout: PixelLayout): Promise<PoolResult> {
    return this.#run((id) => ({ type: "decode", id, bytes, transferSyntaxUid, layout }));
  }

  destroy(): void {
    this.#destroyed = true;
    for (const slot of this.#slots) {
      slot.worker.terminate();
      this.#fail(slot, "the decode pool was closed");
    }
  }

  #run(request: (id: number) => WorkerRequest, signal?: AbortSignal): Promise<PoolResult> {
    if (this.#destroyed) return Promise.reject(new FrameLoadError("the decode pool was closed"));
    if (signal?.aborted) return Promise.reject(new FrameLoadError("cancelled", undefined, true));
    const slot = this.#slots.reduce((best, s) => (s.busy < best.busy ? s : best));
    const id = this.#nextId++;
    slot.busy++;
    return new Promise<PoolResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker: slot });
      const message = request(id);
      slot.worker.postMessage(
        message,
        message.type === "decode" ? [message.bytes.buffer as ArrayBuffer] : [],
      );
      signal?.addEventListener(
        "abort",
        () => slot.worker.postMessage({ type: "cancel", id } satisfies WorkerRequest),
        {
          once: true,
        },
      );
    });
  }

  #settle(reply: WorkerReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    pending.worker.busy--;
    if (reply.ok) pending.resolve({ frame: reply.frame, fetchMs: reply.fetchMs, decodeMs: reply.decodeMs });
    else pending.reject(new FrameLoadError(reply.error, reply.status, reply.aborted ?? false));
  }

  #fail(slot: Slot, message: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.worker !== slot) continue;
      this.#pending.delete(id);
      slot.busy--;
      pending.reject(new FrameLoadError(message));
    }
  }
}

let shared: DecodePool | undefined;

/** The page's pool, made on first use. */
export function sharedDecodePool(): DecodePool {
  shared ??= new DecodePool();
  return shared;
}
