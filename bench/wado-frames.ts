/**
 * WADO-RS frames/s on the 500-slice CT of `npm run bench` (512×512, 16 bits): every frame fetched once,
 * uncompressed (multipart octet-stream), transcoded to JPEG-LS on the fly (image/jls), and as stored from a
 * JPEG-LS copy of the series; one request at a time and four at once. Prints figures; asserts nothing.
 * The client is node:http with keep-alive in the same process as the node (fetch/undici there costs more CPU
 * than the server does: 8 ms against 2 ms for a 512 KiB frame), so the figures are a floor.
 *
 *   npx tsx bench/wado-frames.ts            (HILUM_FRAMES_SLICES=100 for a quicker run)
 */
import { Agent, request } from "node:http";
import { cachedCompressedSeries } from "../test/support/fixture-cache.js";
import { startTestNode } from "../test/support/hilum.js";
import { storescu } from "../test/support/peers.js";

const SLICES = Number(process.env.HILUM_FRAMES_SLICES ?? 500);
const CT_SERIES = {
  slices: SLICES,
  rows: 512,
  columns: 512,
  bitsStored: 16,
  patientName: "Bench^Ingest",
  patientId: "BENCH500",
  seed: "bench-ingest-500",
} as const;
const JPEG_LS = "1.2.840.10008.1.2.4.80";
const SECRET = "b".repeat(32);

interface Run {
  label: string;
  seconds: number;
  frames: number;
  bytes: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** GET `url`, the body counted and dropped. */
function get(url: string, accept: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${SECRET}`, accept } }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${url}: ${res.statusCode}`)),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function fetchAll(
  urls: string[],
  accept: string,
  concurrency: number,
): Promise<{ seconds: number; bytes: number }> {
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < urls.length) {
      const received = await get(urls[next++]!, accept);
      bytes += received;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: (performance.now() - started) / 1000, bytes };
}

async function main(): Promise<void> {
  console.log(`fixture: ${SLICES}-slice CT 512×512×16 bits, and its JPEG-LS lossless copy (cached)`);
  const { series, copies } = await cachedCompressedSeries({ series: CT_SERIES, syntaxes: [JPEG_LS] });
  const runs: Run[] = [];
  for (const stored of ["uncompressed", "JPEG-LS"] as const) {
    const node = await startTestNode({ http: { launchSecret: SECRET } });
    try {
      const files = stored === "uncompressed" ? series.files : copies[JPEG_LS]!;
      const sent = await storescu(node.target, files, { proposeTs: "as-stored" });
      if (sent.code !== 0) throw new Error(sent.stderr);
      await node.node.ingest.idle();
      const base = `${node.node.http.url}/dicom-web/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}`;
      const urls = series.sopInstanceUids.map((uid) => `${base}/instances/${uid}/frames/1`);
      const cases =
        stored === "uncompressed"
          ? [
              ["uncompressed → octet-stream", 'multipart/related; type="application/octet-stream"'],
              ["uncompressed → image/jls (transcoded)", 'multipart/related; type="image/jls"'],
            ]
          : [["JPEG-LS → image/jls (as stored)", 'multipart/related; type="image/jls"']];
      for (const [label, accept] of cases) {
        await fetchAll(urls.slice(0, 20), accept!, 1); // warm up: codecs, JIT, page cache
        for (const concurrency of [1, 4]) {
          const { seconds, bytes } = await fetchAll(urls, accept!, concurrency);
          runs.push({ label: `${label}, ${concurrency} at once`, seconds, frames: urls.length, bytes });
        }
      }
    } finally {
      await node.close();
    }
  }
  agent.destroy();
  for (const run of runs) {
    const fps = run.frames / run.seconds;
    const mbps = run.bytes / 1e6 / run.seconds;
    console.log(
      `${run.label.padEnd(52)} ${fps.toFixed(0).padStart(6)} frames/s ${mbps.toFixed(1).padStart(8)} MB/s`,
    );
  }
}

await main();
