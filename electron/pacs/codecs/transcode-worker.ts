/**
 * A codec thread (codecs/transcode-pool.ts): re-encodes a Part 10 data set in another transfer syntax, or
 * decodes or encodes one frame, and answers with the bytes or the error's message. The WASM codecs load on
 * the first job.
 */
import { parentPort } from "node:worker_threads";
import {
  type EncodeOptions,
  type FrameGeometry,
  decodeFrame,
  encodeFrame,
  initializeFrameCodecs,
} from "./frames.js";
import { TranscodeError, initializeCodecs, transcodeDataset } from "./transcode.js";

export type CodecTask =
  | { kind: "dataset"; part10: ArrayBuffer; to: string }
  | { kind: "decode-frame"; encoded: ArrayBuffer; syntax: string; geometry: FrameGeometry }
  | {
      kind: "encode-frame";
      pixels: ArrayBuffer;
      syntax: string;
      geometry: FrameGeometry;
      options: EncodeOptions;
    };

export type CodecJob = CodecTask & { id: number };

export type CodecAnswer =
  | { id: number; bytes: ArrayBuffer; photometricInterpretation?: string; planarConfiguration?: number }
  | { id: number; error: string; transcodeError: boolean };

/** The view's bytes in an ArrayBuffer of their own, to transfer (never the codecs' WebAssembly memory). */
function ownBuffer(view: Uint8Array): ArrayBuffer {
  const whole = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
  if (whole && view.buffer instanceof ArrayBuffer) return view.buffer;
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy.buffer;
}

async function run(task: CodecTask): Promise<Omit<Extract<CodecAnswer, { bytes: ArrayBuffer }>, "id">> {
  if (task.kind === "dataset") {
    await initializeCodecs();
    return { bytes: ownBuffer(transcodeDataset(Buffer.from(task.part10), task.to)) };
  }
  await initializeFrameCodecs();
  if (task.kind === "encode-frame")
    return {
      bytes: ownBuffer(encodeFrame(new Uint8Array(task.pixels), task.syntax, task.geometry, task.options)),
    };
  const decoded = decodeFrame(new Uint8Array(task.encoded), task.syntax, task.geometry);
  return {
    bytes: ownBuffer(decoded.pixels),
    photometricInterpretation: decoded.photometricInterpretation,
    planarConfiguration: decoded.planarConfiguration,
  };
}

const port = parentPort;
if (!port) throw new Error("transcode-worker runs in a worker thread");

port.on("message", (job: CodecJob) => {
  run(job).then(
    (answer) => port.postMessage({ id: job.id, ...answer } satisfies CodecAnswer, [answer.bytes]),
    (err: unknown) =>
      port.postMessage({
        id: job.id,
        error: (err as Error).message ?? String(err),
        transcodeError: err instanceof TranscodeError,
      } satisfies CodecAnswer),
  );
});
