import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openIndex } from "../../electron/pacs/db/database.js";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { type ServedNode, spawnServe, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import { peerEnv } from "../support/process.js";

/** Starts storescu on the files, one association, and counts the C-STORE successes as they come. */
function streamingStorescu(node: ServedNode, files: string[]) {
  const child: ChildProcess = spawn(
    "storescu",
    ["-v", "-aec", node.target.aeTitle, node.target.host, String(node.target.port), ...files],
    { env: peerEnv(), stdio: ["ignore", "ignore", "pipe"] },
  );
  let successes = 0;
  let buffered = "";
  const listeners: Array<() => void> = [];
  child.stderr!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line.includes("Received Store Response (Success)")) successes++;
    for (const listener of listeners) listener();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    exited,
    successes: () => successes,
    whenAtLeast: (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => successes >= n && resolve();
        listeners.push(check);
        check();
      }),
  };
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe("crash safety: kill -9 during a 500-instance storescu run", () => {
  const nodes: ServedNode[] = [];
  afterAll(async () => {
    for (const node of nodes) await node.service.stop();
  });

  it("keeps every acknowledged instance, intact, with no partial file and no orphan row", async () => {
    const series = await cachedCtSeries({
      slices: 500,
      patientName: "Crash^Test",
      patientId: "CRASH500",
      seed: "crash-500",
    });
    const first = await spawnServe();
    nodes.push(first);
    const send = streamingStorescu(first, series.files);
    await send.whenAtLeast(120);
    process.kill(first.service.pid, "SIGKILL");
    await first.service.exited;
    await send.exited;
    const acknowledged = series.sopInstanceUids.slice(0, send.successes());
    expect(acknowledged.length).toBeGreaterThanOrEqual(120);
    expect(acknowledged.length).toBeLessThan(500);

    const second = await spawnServe([], first.dataDir);
    nodes.push(second);
    await second.service.stop();
    expect(second.service.log()).toMatch(/stopped cleanly/);

    const archive = join(first.dataDir, "archive");
    expect(filesUnder(join(archive, "staging")), "staging is empty after recovery").toEqual([]);
    const index = openIndex(join(first.dataDir, "index.sqlite"), { readonly: true });
    try {
      const rows = index.instancesForRetrieve({
        level: "STUDY",
        studyInstanceUids: [series.studyInstanceUid],
      });
      const byUid = new Map(rows.map((row) => [row.sopInstanceUid, row]));
      for (const uid of acknowledged) expect(byUid.has(uid), `acknowledged ${uid} is indexed`).toBe(true);
      const objects = new Set(filesUnder(join(archive, "objects")));
      for (const row of rows) {
        const path = join(archive, "objects", row.storageKey.slice(0, 2), row.storageKey);
        expect(objects.has(path), `row ${row.sopInstanceUid} has its file`).toBe(true);
        expect(sha256(path)).toBe(row.storageKey);
        objects.delete(path);
      }
      expect([...objects], "no archived file without an index row").toEqual([]);
    } finally {
      index.close();
    }
  });
});

describe("startup recovery of the staging area (what a power loss can leave behind)", () => {
  it("re-indexes a complete staged object whose row was lost, drops partial and corrupt ones", async () => {
    const series = await cachedCtSeries({
      slices: 3,
      patientName: "Recover^Me",
      patientId: "RECOVER3",
      seed: "recover-3",
    });
    const first = await startTestNode();
    expect((await storescu(first.target, series.files)).code).toBe(0);
    await first.close();

    const archive = join(first.dataDir, "archive");
    const index = openIndex(join(first.dataDir, "index.sqlite"));
    const [lost] = index.deleteInstances([series.sopInstanceUids[0]!]);
    index.close();
    const key = lost!.storageKey;
    const published = join(archive, "objects", key.slice(0, 2), key);
    renameSync(published, join(archive, "staging", `${key}.lost`));
    writeFileSync(join(archive, "staging", "0d1e.part"), "a transfer cut short");
    copyFileSync(series.files[1]!, join(archive, "staging", `${"e".repeat(64)}.corrupt`));

    const second = await startTestNode({ dataDir: first.dataDir });
    try {
      expect(filesUnder(join(archive, "staging"))).toEqual([]);
      const row = second.node.index.findInstance(series.sopInstanceUids[0]!);
      expect(row?.storageKey).toBe(key);
      expect(sha256(published)).toBe(key);
      expect(second.node.index.counts().instances).toBe(3);
      const recovered = second.node.index.audit.query({ action: "store-recovered" });
      expect(recovered.map((r) => r.sopInstanceUid)).toEqual([series.sopInstanceUids[0]]);
    } finally {
      await second.close();
    }
  });
});
