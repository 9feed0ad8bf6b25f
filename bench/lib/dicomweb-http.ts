/**
 * The DICOMweb client of the bench: node:http in the bench process, with keep-alive where the caller
 * passes an agent (fetch/undici in-process costs more CPU per 0.5 MB frame than the servers measured).
 * Bodies are kept as the chunks received, never copied whole; a frame's single part is located from its
 * first and last bytes.
 */
import { Agent, request } from "node:http";

export interface HttpResult {
  status: number;
  contentType: string;
  chunks: Buffer[];
  bytes: number;
  /** From just before the request to the response headers, the first body byte, the last body byte. */
  headersMs: number;
  firstByteMs: number;
  totalMs: number;
}

/** GET `url`; `agent: false` is a connection of its own, closed after. */
export function get(url: string, headers: Record<string, string>, agent: Agent | false): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { agent, headers }, (res) => {
      const headersMs = performance.now() - started;
      let firstByteMs = Number.NaN;
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        if (chunks.length === 0) firstByteMs = performance.now() - started;
        chunks.push(chunk);
        bytes += chunk.length;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers["content-type"] ?? "",
          chunks,
          bytes,
          headersMs,
          firstByteMs,
          totalMs: performance.now() - started,
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Throws with the start of the body unless the status is `expected`. */
export function expectStatus(result: HttpResult, what: string, expected = 200): HttpResult {
  if (result.status === expected) return result;
  const body = Buffer.concat(result.chunks).toString("utf8", 0, 400);
  throw new Error(`${what}: HTTP ${result.status} ${body}`);
}

/** The body as JSON (a 204 as an empty array: QIDO's "no match"). */
export function jsonOf<T>(result: HttpResult): T {
  if (result.status === 204) return [] as T;
  return JSON.parse(Buffer.concat(result.chunks).toString("utf8")) as T;
}

export interface SinglePart {
  /** The response's Content-Type, boundary left out, and the part's (empty when it has none). */
  responseType: string;
  partType: string;
  payloadBytes: number;
  /** The first 4 bytes of the payload. */
  start: Buffer;
}

/** The first (or last) chunks of `chunks`, joined, until at least `bytes` long. */
function edge(chunks: readonly Buffer[], bytes: number, fromEnd: boolean): Buffer {
  const taken: Buffer[] = [];
  let length = 0;
  for (let i = 0; i < chunks.length && length < bytes; i++) {
    const chunk = chunks[fromEnd ? chunks.length - 1 - i : i]!;
    if (fromEnd) taken.unshift(chunk);
    else taken.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(taken);
}

/** The one part of a multipart/related response (one frame asked for). */
export function singlePart(result: HttpResult): SinglePart {
  const boundary = /boundary="?([^";]+)"?/i.exec(result.contentType)?.[1];
  if (boundary === undefined) throw new Error(`not multipart: ${result.contentType}`);
  const head = edge(result.chunks, 8192, false);
  const open = head.indexOf(`--${boundary}\r\n`);
  const headersEnd = head.indexOf("\r\n\r\n", open);
  if (open < 0 || headersEnd < 0) throw new Error("multipart: no part headers in the first 8 KiB");
  const close = `\r\n--${boundary}--`;
  const tail = edge(result.chunks, close.length + 64, true);
  const closeAt = tail.lastIndexOf(close);
  if (closeAt < 0) throw new Error("multipart: no closing delimiter");
  const payloadStart = headersEnd + 4;
  const partHeaders = head.toString("latin1", open, headersEnd);
  return {
    responseType: result.contentType.replace(/;\s*boundary=[^;]*/i, ""),
    partType: /^content-type:\s*(.*)$/im.exec(partHeaders)?.[1]?.trim() ?? "",
    payloadBytes: result.bytes - tail.length + closeAt - payloadStart,
    start: head.subarray(payloadStart, payloadStart + 4),
  };
}

export interface FramePass {
  concurrency: number;
  seconds: number;
  frames: number;
  /** Sum of the frames' payloads (multipart framing not counted). */
  payloadBytes: number;
  /** Payload length of each frame, in the order of the URLs. */
  lengths: number[];
  /** Frames whose check failed, with why (the first 5). */
  wrong: string[];
  wrongCount: number;
}

/**
 * Every URL fetched once, `concurrency` requests at a time over a fresh keep-alive agent (one socket per
 * request in flight), each frame's part checked by `check` (undefined: right; else why not).
 */
export async function fetchFrames(
  urls: readonly string[],
  headers: Record<string, string>,
  concurrency: number,
  check: (part: SinglePart) => string | undefined,
): Promise<FramePass> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const lengths: number[] = new Array<number>(urls.length).fill(0);
  const wrong: string[] = [];
  let wrongCount = 0;
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const index = next++;
      const part = singlePart(expectStatus(await get(urls[index]!, headers, agent), `frame ${index + 1}`));
      lengths[index] = part.payloadBytes;
      const why = check(part);
      if (why === undefined) continue;
      wrongCount++;
      if (wrong.length < 5) wrong.push(`frame ${index + 1}: ${why}`);
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  const payloadBytes = lengths.reduce((sum, length) => sum + length, 0);
  return { concurrency, seconds, frames: urls.length, payloadBytes, lengths, wrong, wrongCount };
}
