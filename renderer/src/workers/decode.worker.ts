/// <reference lib="webworker" />
/**
 * A decode worker: fetches a frame as stored (`transfer-syntax=*`), takes its part apart, decodes it —
 * native pixels directly, compressed ones with dcmjs-codecs' WebAssembly codecs (JPEG baseline/extended/
 * lossless, JPEG-LS, JPEG 2000, HTJ2K, RLE) — and hands the pixels back as a transferable in their native
 * type. The codecs load on the first compressed frame.
 */
import { mediaTypeOf, mediaTypeParameter, parseMultipart } from "../lib/imaging/multipart";
import {
  DECODERS,
  type DecodedFrame,
  NATIVE_SYNTAXES,
  type PixelLayout,
  PixelError,
  decodeNative,
  layoutAfterCodec,
  nativeLength,
} from "../lib/imaging/pixels";
import { FRAME_ACCEPT, type WorkerReply, type WorkerRequest } from "./protocol";

declare const self: DedicatedWorkerGlobalScope;

type Codecs = typeof import("dcmjs-codecs");

let wasmUrl: string | undefined;
let codecs: Promise<Codecs> | undefined;
const inFlight = new Map<number, AbortController>();

/** dcmjs-codecs fetches its WebAssembly through eval("fetch(…)"), which the CSP forbids: fetch it here instead. */
function loadCodecs(): Promise<Codecs> {
  codecs ??= (async () => {
    const module = (await import("dcmjs-codecs")) as Codecs & { default?: Codecs };
    const lib = module.default ?? module;
    const native = lib.NativeCodecs as unknown as { _getWebAssemblyBytes: () => Promise<ArrayBuffer> };
    const url = wasmUrl;
    if (!url) throw new Error("the decode worker was not told where the codecs are");
    native._getWebAssemblyBytes = async () => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`the codecs could not be loaded: HTTP ${response.status}`);
      return response.arrayBuffer();
    };
    await lib.NativeCodecs.initializeAsync();
    return lib;
  })();
  codecs.catch(() => (codecs = undefined));
  return codecs;
}

async function decode(bytes: Uint8Array, syntax: string, layout: PixelLayout): Promise<DecodedFrame> {
  if (NATIVE_SYNTAXES.has(syntax)) return decodeNative(bytes, layout, syntax);
  const method = DECODERS[syntax];
  if (!method) throw new PixelError(`frames in transfer syntax ${syntax} cannot be decoded`);
  const lib = await loadCodecs();
  const context = new lib.Context({
    width: layout.columns,
    height: layout.rows,
    bitsAllocated: layout.bitsAllocated,
    bitsStored: layout.bitsStored,
    samplesPerPixel: layout.samplesPerPixel,
    pixelRepresentation: layout.pixelRepresentation,
    planarConfiguration: layout.planarConfiguration,
    photometricInterpretation: layout.photometricInterpretation,
    encodedBuffer: bytes,
  });
  // As DCMTK does by default (and PS3.5 8.2.1 says): the Photometric Interpretation tells whether colour
  // was transformed to YCbCr, not libjpeg's guess from the markers — RGB-labelled JPEG without an Adobe
  // marker is not converted.
  const ybr = layout.samplesPerPixel === 3 && layout.photometricInterpretation.startsWith("YBR");
  const params = method === "Jpeg" ? { convertColorspaceToRgb: ybr } : {};
  let decoded: Uint8Array | undefined;
  try {
    decoded = lib.NativeCodecs[`decode${method}`](context, params).getDecodedBuffer();
  } catch (error) {
    throw new PixelError(`cannot decode a frame in ${syntax}: ${(error as Error).message ?? String(error)}`);
  }
  const after = layoutAfterCodec(layout, method);
  if (!decoded || decoded.length < nativeLength(after)) {
    throw new PixelError(
      `decoding a frame in ${syntax} gave ${decoded?.length ?? 0} bytes, ${nativeLength(after)} expected`,
    );
  }
  return decodeNative(decoded, after, syntax);
}

async function problemDetail(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { detail?: string; title?: string };
    return body.detail ?? body.title ?? response.statusText;
  } catch {
    return response.statusText;
  }
}

async function load(url: string, headers: Record<string, string>, layout: PixelLayout, signal: AbortSignal) {
  const started = performance.now();
  const response = await fetch(url, { headers: { accept: FRAME_ACCEPT, ...headers }, signal });
  if (!response.ok) {
    const error = new Error(`HTTP ${response.status}: ${await problemDetail(response)}`) as Error & {
      status: number;
    };
    error.status = response.status;
    throw error;
  }
  const contentType = response.headers.get("content-type") ?? "";
  const body = new Uint8Array(await response.arrayBuffer());
  const fetched = performance.now();
  let bytes: Uint8Array;
  let syntax: string;
  if (mediaTypeOf(contentType) === "multipart/related") {
    const part = parseMultipart(body, contentType)[0];
    if (!part) throw new PixelError("the frame response has no part");
    bytes = part.body;
    syntax =
      mediaTypeParameter(part.headers["content-type"] ?? "", "transfer-syntax") ?? "1.2.840.10008.1.2.1";
  } else {
    bytes = body;
    syntax = mediaTypeParameter(contentType, "transfer-syntax") ?? "1.2.840.10008.1.2.1";
  }
  const frame = await decode(bytes, syntax, layout);
  return { frame, fetchMs: fetched - started, decodeMs: performance.now() - fetched };
}

function reply(message: WorkerReply): void {
  if (message.ok) self.postMessage(message, [message.frame.pixels.buffer as ArrayBuffer]);
  else self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request.type === "init") {
    wasmUrl = request.wasmUrl;
    return;
  }
  if (request.type === "cancel") {
    inFlight.get(request.id)?.abort();
    return;
  }
  const controller = new AbortController();
  inFlight.set(request.id, controller);
  try {
    if (request.type === "load") {
      const result = await load(request.url, request.headers, request.layout, controller.signal);
      reply({ id: request.id, ok: true, ...result });
    } else {
      const started = performance.now();
      const frame = await decode(request.bytes, request.transferSyntaxUid, request.layout);
      reply({ id: request.id, ok: true, frame, fetchMs: 0, decodeMs: performance.now() - started });
    }
  } catch (error) {
    const aborted = controller.signal.aborted;
    const status = (error as { status?: number }).status;
    reply({
      id: request.id,
      ok: false,
      error: error instanceof Error ? error.message : String(error),
      ...(status !== undefined ? { status } : {}),
      ...(aborted ? { aborted } : {}),
    });
  } finally {
    inFlight.delete(request.id);
  }
};
