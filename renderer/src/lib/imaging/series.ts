/**
 * A series as a stack that streams in: its metadata (one request) sorted into frames, then every frame
 * fetched as stored and decoded in the worker pool — middle first, then alternating outward from the frame
 * in view (`focus`), a frame asked for by the viewport ahead of the rest — into the page's LRU cache, with
 * progress (loaded/total) observable for the UI.
 */
import type { DicomJson, FrameInfo, ImageStack, LoadProgress } from "../viewer-contract";
import { DEFAULT_CACHE_BYTES, LruCache } from "./cache";
import { DecodePool, FrameLoadError, sharedDecodePool } from "./decode-pool";
import { MetadataError, type StackFrame, framesOfInstance, isLossySyntax } from "./descriptor";
import { type ResolvedLuts, resolveLuts } from "./luts";
import { Value } from "./observable";
import { middleIndex, stackOrder } from "./order";
import { type DecodedFrame, type PixelLayout, decodedBytes } from "./pixels";

export class SeriesLoadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

let sharedCache: LruCache<DecodedFrame> | undefined;

/** The page's frame cache (512 MB of decoded pixels unless set otherwise). */
export function frameCache(): LruCache<DecodedFrame> {
  sharedCache ??= new LruCache<DecodedFrame>(DEFAULT_CACHE_BYTES);
  return sharedCache;
}

export interface OpenSeriesOptions {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** The DICOMweb root; default `/dicom-web` on the page's origin. */
  dicomWebRoot?: string;
  /** Extra request headers (e.g. `Authorization` with the desktop's per-launch token). */
  headers?: Record<string, string>;
  cache?: LruCache<DecodedFrame>;
  pool?: DecodePool;
  /** Load every frame in the background (default true); false loads only what is shown. */
  prefetch?: boolean;
  /** Frame requests in flight for this series (default 6, what a browser opens per host). */
  concurrency?: number;
  signal?: AbortSignal;
}

/** Milliseconds from openSeries() to each milestone (performance.now() based). */
export interface SeriesTiming {
  started: number;
  metadataMs?: number;
  firstFrameMs?: number;
  allLoadedMs?: number;
  /** Sums over the frames loaded: time in fetch (worker side) and in decoding. */
  fetchMs: number;
  decodeMs: number;
}

function defaultRoot(): string {
  return `${location.origin}/dicom-web`;
}

async function fetchJson(
  url: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<unknown> {
  const response = await fetch(url, { headers: { accept: "application/dicom+json", ...headers }, signal });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = (await response.json()) as { detail?: string; title?: string };
      detail = problem.detail ?? problem.title ?? detail;
    } catch {
      // not problem+json
    }
    throw new SeriesLoadError(
      `the series metadata could not be read (HTTP ${response.status}): ${detail}`,
      response.status,
    );
  }
  return response.json();
}

/** Opens a series: reads its metadata, sorts its frames and starts streaming them. */
export async function openSeries(options: OpenSeriesOptions): Promise<SeriesStack> {
  const started = performance.now();
  const root = (options.dicomWebRoot ?? defaultRoot()).replace(/\/+$/, "");
  const seriesUrl = `${root}/studies/${options.studyInstanceUid}/series/${options.seriesInstanceUid}`;
  const instances = await fetchJson(`${seriesUrl}/metadata`, options.headers ?? {}, options.signal);
  if (!Array.isArray(instances)) throw new SeriesLoadError("the series metadata is not a JSON array");
  return new SeriesStack(options, root, instances as DicomJson[], started);
}

interface Slot {
  promise?: Promise<DecodedFrame>;
  loadedOnce: boolean;
  error?: string;
  controller?: AbortController;
}

/** The key of a frame in the decoded-frame cache: the volume builder shares entries with the stack. */
export function frameCacheKey(info: FrameInfo): string {
  return `${info.seriesInstanceUid}/${info.sopInstanceUid}/${info.frameNumber}`;
}

export class SeriesStack implements ImageStack {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frames: readonly FrameInfo[];
  /** Instances that are not images (or not displayable), with why. */
  readonly skipped: Array<{ sopInstanceUid: string; reason: string }> = [];
  readonly progress: Value<LoadProgress>;
  readonly timing: SeriesTiming;
  /** Frame indices in the order they finished loading (for tests and the benchmark). */
  readonly loadOrder: number[] = [];
  readonly #entries: StackFrame[];
  readonly #slots: Slot[];
  readonly #root: string;
  readonly #headers: Record<string, string>;
  readonly #cache: LruCache<DecodedFrame>;
  readonly #pool: DecodePool;
  readonly #prefetch: boolean;
  readonly #concurrency: number;
  readonly #luts = new Map<DicomJson, Promise<ResolvedLuts>>();
  readonly #infoListeners = new Set<(index: number) => void>();
  #focus: number;
  #inFlight = 0;
  #loaded = 0;
  #failed = 0;
  #destroyed = false;

  constructor(options: OpenSeriesOptions, root: string, instances: DicomJson[], started: number) {
    this.studyInstanceUid = options.studyInstanceUid;
    this.seriesInstanceUid = options.seriesInstanceUid;
    this.#root = root;
    this.#headers = options.headers ?? {};
    this.#cache = options.cache ?? frameCache();
    this.#pool = options.pool ?? sharedDecodePool();
    this.#prefetch = options.prefetch ?? true;
    this.#concurrency = Math.max(1, options.concurrency ?? 6);
    this.timing = { started, metadataMs: performance.now() - started, fetchMs: 0, decodeMs: 0 };
    const all: StackFrame[] = [];
    for (const json of instances) {
      try {
        all.push(...framesOfInstance(json));
      } catch (error) {
        if (!(error instanceof MetadataError)) throw error;
        const sop = (json["00080018"]?.Value?.[0] as string | undefined) ?? "?";
        this.skipped.push({ sopInstanceUid: sop, reason: error.message });
      }
    }
    if (all.length === 0) {
      const why = this.skipped[0]?.reason ?? "it has no instances";
      throw new SeriesLoadError(`the series has no images to display: ${why}`);
    }
    this.#entries = stackOrder(all.map((f) => f.info)).map((i) => all[i]!);
    this.frames = this.#entries.map((entry) => entry.info);
    this.#slots = this.#entries.map(() => ({ loadedOnce: false }));
    this.#focus = middleIndex(this.frames.length);
    this.progress = new Value<LoadProgress>({ loaded: 0, total: this.frames.length, failed: 0, done: false });
    options.signal?.addEventListener("abort", () => this.destroy(), { once: true });
    // Frames already in the cache (another stack of the same series) count as loaded.
    for (let i = 0; i < this.#slots.length; i++) if (this.#cache.has(this.#key(i))) this.#markLoaded(i);
    this.#pump();
  }

  get length(): number {
    return this.frames.length;
  }

  instance(index: number): DicomJson {
    return this.#entry(index).instance;
  }

  /** The pixel descriptor of a frame (internal to the image core). */
  entry(index: number): StackFrame {
    return this.#entry(index);
  }

  /** Why a frame failed to load, if it did. */
  frameError(index: number): string | undefined {
    return this.#slots[index]?.error;
  }

  /** The frame's pixels if they are in the cache now. */
  cached(index: number): DecodedFrame | undefined {
    return this.#cache.get(this.#key(index));
  }

  /** Centres background loading on this frame (the one in view). */
  focus(index: number): void {
    this.#focus = Math.min(Math.max(0, Math.round(index)), this.frames.length - 1);
    this.#pump();
  }

  /** The frame's pixels: from the cache, or loaded now, ahead of background loading. */
  load(index: number): Promise<DecodedFrame> {
    const cached = this.cached(index);
    if (cached) return Promise.resolve(cached);
    const slot = this.#slots[index];
    if (!slot) return Promise.reject(new RangeError(`no frame ${index} in a stack of ${this.frames.length}`));
    return slot.promise ?? this.#start(index);
  }

  /** The lookup tables a frame's display needs (palette, modality and VOI LUT sequences), fetched once per instance. */
  luts(index: number): Promise<ResolvedLuts> {
    const entry = this.#entry(index);
    let found = this.#luts.get(entry.instance);
    if (!found) {
      found = resolveLuts(entry.pixels, (uri) => this.#bulk(uri));
      this.#luts.set(entry.instance, found);
      found.catch(() => this.#luts.delete(entry.instance));
    }
    return found;
  }

  /** Called with a frame's index when what its FrameInfo says changed (the lossy flag, once a frame arrived). */
  onFrameInfo(listener: (index: number) => void): () => void {
    this.#infoListeners.add(listener);
    return () => this.#infoListeners.delete(listener);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const slot of this.#slots) slot.controller?.abort();
    this.#infoListeners.clear();
  }

  #entry(index: number): StackFrame {
    const entry = this.#entries[index];
    if (!entry) throw new RangeError(`no frame ${index} in a stack of ${this.frames.length}`);
    return entry;
  }

  #key(index: number): string {
    return frameCacheKey(this.#entry(index).info);
  }

  #frameUrl(info: FrameInfo): string {
    return `${this.#root}/studies/${info.studyInstanceUid}/series/${info.seriesInstanceUid}/instances/${info.sopInstanceUid}/frames/${info.frameNumber}`;
  }

  async #bulk(uri: string): Promise<Uint8Array> {
    const response = await fetch(uri, { headers: { accept: "application/octet-stream", ...this.#headers } });
    if (!response.ok) throw new Error(`a lookup table could not be read (HTTP ${response.status})`);
    return new Uint8Array(await response.arrayBuffer());
  }

  #start(index: number): Promise<DecodedFrame> {
    const slot = this.#slots[index]!;
    const { info, pixels } = this.#entry(index);
    const controller = new AbortController();
    const layout: PixelLayout = {
      rows: pixels.rows,
      columns: pixels.columns,
      samplesPerPixel: pixels.samplesPerPixel,
      bitsAllocated: pixels.bitsAllocated,
      bitsStored: pixels.bitsStored,
      highBit: pixels.highBit,
      pixelRepresentation: pixels.pixelRepresentation,
      planarConfiguration: pixels.planarConfiguration,
      photometricInterpretation: pixels.photometricInterpretation,
      ...(pixels.pixelPaddingValue !== undefined ? { pixelPaddingValue: pixels.pixelPaddingValue } : {}),
    };
    this.#inFlight++;
    slot.controller = controller;
    const promise = this.#pool
      .load(this.#frameUrl(info), layout, { headers: this.#headers, signal: controller.signal })
      .then(
        ({ frame, fetchMs, decodeMs }) => {
          this.timing.fetchMs += fetchMs;
          this.timing.decodeMs += decodeMs;
          this.#cache.set(this.#key(index), frame, decodedBytes(frame));
          if (slot.error !== undefined) {
            slot.error = undefined;
            this.#failed--;
          }
          this.#arrived(index, frame.transferSyntaxUid);
          this.#markLoaded(index);
          return frame;
        },
        (error: unknown) => {
          const aborted = error instanceof FrameLoadError && error.aborted;
          if (!aborted && !slot.loadedOnce) {
            if (slot.error === undefined) this.#failed++;
            slot.error = error instanceof Error ? error.message : String(error);
            this.#publish();
          }
          throw error;
        },
      )
      .finally(() => {
        this.#inFlight--;
        slot.promise = undefined;
        slot.controller = undefined;
        this.#pump();
      });
    slot.promise = promise;
    promise.catch(() => undefined);
    return promise;
  }

  /** The transfer syntax of an arrived frame: lossy ones flag every frame of the instance. */
  #arrived(index: number, syntax: string): void {
    const { info, instance } = this.#entry(index);
    if (info.transferSyntaxUid === syntax) return;
    const lossy = isLossySyntax(syntax);
    for (const [i, entry] of this.#entries.entries()) {
      if (entry.instance !== instance) continue;
      entry.info.transferSyntaxUid = syntax;
      if (lossy && !entry.info.lossyCompressed) {
        entry.info.lossyCompressed = true;
        entry.info.lossyMethod ??= syntax;
      }
      for (const listener of this.#infoListeners) listener(i);
    }
  }

  #markLoaded(index: number): void {
    const slot = this.#slots[index]!;
    if (slot.loadedOnce) return;
    slot.loadedOnce = true;
    this.#loaded++;
    this.loadOrder.push(index);
    const now = performance.now();
    this.timing.firstFrameMs ??= now - this.timing.started;
    this.#publish();
  }

  #publish(): void {
    const total = this.frames.length;
    const done = this.#loaded + this.#failed >= total;
    if (done && this.timing.allLoadedMs === undefined)
      this.timing.allLoadedMs = performance.now() - this.timing.started;
    this.progress.set({ loaded: this.#loaded, total, failed: this.#failed, done });
  }

  /** How many frames around the focus background loading keeps in the cache (most of the budget, at least 1). */
  #window(): number {
    const first = this.#entries[0]!.pixels;
    const bytesPerSample = first.samplesPerPixel === 3 ? 3 : Math.max(1, first.bitsAllocated / 8);
    const frameBytes = first.rows * first.columns * bytesPerSample;
    return Math.max(1, Math.floor((this.#cache.budget * 0.9) / frameBytes));
  }

  /**
   * Starts background loads while fewer than `concurrency` are in flight, nearest the focus first. Until a
   * first frame has come (or failed), only one is in flight, so that frame does not share the connection
   * and the server with five others.
   */
  #pump(): void {
    if (this.#destroyed || !this.#prefetch) return;
    const length = this.frames.length;
    const window = Math.min(this.#window(), length);
    const limit = this.#loaded + this.#failed === 0 ? 1 : this.#concurrency;
    while (this.#inFlight < limit) {
      let next = -1;
      // Outward from the focus: focus, +1, −1, +2, −2, …, within the window.
      for (let step = 0, seen = 0; seen < window && step < length; step++) {
        for (const i of step === 0 ? [this.#focus] : [this.#focus + step, this.#focus - step]) {
          if (i < 0 || i >= length || seen >= window) continue;
          seen++;
          const slot = this.#slots[i]!;
          if (slot.promise || slot.error !== undefined || this.#cache.has(this.#key(i))) continue;
          next = i;
          break;
        }
        if (next >= 0) break;
      }
      if (next < 0) return;
      this.#start(next);
    }
  }
}
