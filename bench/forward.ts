/**
 * `npm run bench`, routing part: how fast Hilum's router forwards a stored 500-slice CT to DCMTK
 * storescp — as stored, and transcoded to JPEG-LS lossless — against DCMTK storescu sending the same
 * files to a storescp in the same run; and the queue's own cost per instance. Prints a markdown
 * section; see docs/benchmarks.md ("Routing") for the method.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { openIndex } from "../electron/pacs/db/database.js";
import { RouteQueue } from "../electron/pacs/router/queue.js";
import { cachedCtSeries } from "../test/support/fixture-cache.js";
import { scratchDir, spawnServe } from "../test/support/hilum.js";
import { startStorescp, storescu } from "../test/support/peers.js";
import { freePort } from "../test/support/ports.js";
import { expectSuccess, timedRun } from "./lib/command.js";
import { loadFolder } from "./lib/files.js";
import { storescuArgs } from "./lib/receivers.js";
import { settle } from "./lib/settle.js";
import { median } from "./lib/stats.js";
import { BENCH_CT_SERIES } from "./lib/series.js";

const REPEATS = 3;
const SERIES = BENCH_CT_SERIES;
const SECRET = "b".repeat(32);

const log = (line: string) => process.stderr.write(`[bench:forward] ${line}\n`);

interface Counts {
  delivered: number;
  queued: number;
  sending: number;
  dead: number;
}

/** Stores the series in a fresh Hilum whose single destination is paused, then times the drain of its queue. */
async function forwardOnce(files: string[], transferSyntax: string): Promise<number> {
  const dataDir = scratchDir("bench-forward");
  const port = await freePort();
  const configFile = join(dataDir, "hilum.yaml");
  writeFileSync(
    configFile,
    stringify({
      http: { launchSecret: SECRET },
      router: {
        destinations: [
          { name: "out", type: "dimse", aeTitle: "FORWARD", host: "127.0.0.1", port, transferSyntax },
        ],
        rules: [{ name: "all", forward: ["out"] }],
      },
    }),
  );
  const node = await spawnServe(["--config", configFile], dataDir);
  const api = async (path: string, method = "GET") => {
    const response = await fetch(`http://127.0.0.1:${node.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${SECRET}` },
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
    return response.json() as Promise<unknown>;
  };
  const counts = async () =>
    ((await api("/api/router")) as { destinations: Array<{ counts: Counts }> }).destinations[0]!.counts;
  const receiver = await startStorescp({ aeTitle: "FORWARD", port });
  try {
    await api("/api/router/destinations/out/pause", "POST");
    expectSuccess(
      await timedRun("storescu", storescuArgs(node.target, files[0]!.replace(/\/[^/]+$/, ""))),
      "storescu → Hilum",
    );
    await settle();
    const started = performance.now();
    await api("/api/router/destinations/out/resume", "POST");
    for (;;) {
      const c = await counts();
      if (c.delivered + c.dead >= SERIES.slices) {
        if (c.dead > 0) throw new Error(`${c.dead} copies dead`);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return SERIES.slices / ((performance.now() - started) / 1000);
  } finally {
    await receiver.stop();
    await node.service.stop(10_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function storescuOnce(folder: string): Promise<number> {
  const receiver = await startStorescp({ aeTitle: "FORWARD" });
  try {
    await settle();
    const run = expectSuccess(
      await timedRun("storescu", storescuArgs(receiver, folder)),
      "storescu → storescp",
    );
    return SERIES.slices / (run.wallMs / 1000);
  } finally {
    await receiver.stop();
  }
}

/** The queue's own cost per instance (enqueue in a transaction, take, mark delivered), in-process. */
function queueOverheadMicros(): number {
  const dir = scratchDir("bench-queue");
  const index = openIndex(join(dir, "index.sqlite"));
  try {
    const queue = new RouteQueue(index.connection);
    const n = 10_000;
    const started = performance.now();
    for (let i = 0; i < n; i += 50) {
      const now = Date.now();
      index.transaction(() =>
        queue.enqueue(
          Array.from({ length: 50 }, (_, k) => ({
            sopInstanceUid: `2.25.${i + k}`,
            studyInstanceUid: "2.25.1",
            storageKey: "0".repeat(64),
            sopClassUid: "1.2.840.10008.5.1.4.1.1.2",
            storedSyntax: "1.2.840.10008.1.2.1",
            rule: "all",
            destination: "out",
            notBefore: now,
          })),
          now,
        ),
      );
      const jobs = queue.take("out", 50, now);
      queue.markDelivered(
        jobs.map((j) => ({ id: j.id, sentAs: "1.2.840.10008.1.2.1", member: null })),
        now,
      );
    }
    return ((performance.now() - started) * 1000) / n;
  } finally {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const series = await cachedCtSeries(SERIES);
  const load = loadFolder(series.files, "forward");
  const linked = (await import("node:fs")).readdirSync(load.folder).map((name) => join(load.folder, name));
  const rates: Record<string, number[]> = { storescu: [], hilum: [], hilumJpegLs: [] };
  try {
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      rates.storescu!.push(await storescuOnce(load.folder));
      rates.hilum!.push(await forwardOnce(linked, "as-stored"));
      rates.hilumJpegLs!.push(await forwardOnce(linked, "jpeg-ls-lossless"));
      log(
        `run ${repeat}: storescu ${rates.storescu!.at(-1)!.toFixed(0)}, Hilum ${rates.hilum!.at(-1)!.toFixed(0)}, Hilum JPEG-LS ${rates.hilumJpegLs!.at(-1)!.toFixed(0)} images/s`,
      );
    }
  } finally {
    load.remove();
  }
  const overhead = queueOverheadMicros();
  const [s, h, j] = [median(rates.storescu!), median(rates.hilum!), median(rates.hilumJpegLs!)];
  const mb = (rate: number) => ((rate * load.datasetBytes) / SERIES.slices / 1e6).toFixed(0);
  const lines = [
    "### Routing: forwarding the stored 500-slice CT to DCMTK storescp (one destination, one association)",
    "",
    "| Sender | images/s | MB/s | runs |",
    "| --- | ---: | ---: | ---: |",
    `| DCMTK storescu (the same files) | ${s.toFixed(0)} | ${mb(s)} | ${REPEATS} |`,
    `| Hilum router, as stored | ${h.toFixed(0)} | ${mb(h)} | ${REPEATS} |`,
    `| Hilum router, transcoded to JPEG-LS lossless | ${j.toFixed(0)} | ${mb(j)} | ${REPEATS} |`,
    "",
    `Hilum / storescu: ${(h / s).toFixed(2)}× as stored (target ≥ 0.8×: ${h / s >= 0.8 ? "PASS" : "**MISS**"}), ${(j / s).toFixed(2)}× with JPEG-LS.`,
    `Queue overhead: ${overhead.toFixed(1)} µs per instance (enqueue in a 50-instance transaction, take, mark delivered; in-process, index on disk).`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  void storescu;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
