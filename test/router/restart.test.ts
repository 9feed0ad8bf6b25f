import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { type ServedNode, scratchDir, spawnServe } from "../support/hilum.js";
import { type StorescpPeer, startStorescp, storescu } from "../support/peers.js";
import { freePort } from "../support/ports.js";

async function routerStatus(node: ServedNode) {
  const response = await fetch(`http://127.0.0.1:${node.httpPort}/api/status`);
  const status = (await response.json()) as {
    router: Array<{ name: string; counts: Record<string, number> }>;
  };
  return status.router[0]!.counts;
}

describe("the routing queue across kill -9", () => {
  const nodes: ServedNode[] = [];
  let destination: StorescpPeer | undefined;
  afterAll(async () => {
    for (const node of nodes) await node.service.stop();
    await destination?.stop();
  });

  it("delivers every queued instance after a kill -9 and a restart, none lost", async () => {
    const port = await freePort();
    const dataDir = scratchDir("router-restart");
    const configFile = join(dataDir, "hilum.yaml");
    writeFileSync(
      configFile,
      stringify({
        router: {
          destinations: [{ name: "archive", type: "dimse", aeTitle: "ARCHIVE", host: "127.0.0.1", port }],
          rules: [{ name: "all", forward: ["archive"] }],
          retry: { maxAttempts: 100, initialDelaySeconds: 0.2, maxDelaySeconds: 0.5 },
        },
      }),
    );
    const series = await cachedCtSeries({
      slices: 100,
      rows: 256,
      columns: 256,
      patientName: "Queue^Kill",
      patientId: "QKILL",
      seed: "queue-kill",
    });
    const first = await spawnServe(["--config", configFile], dataDir);
    nodes.push(first);
    expect((await storescu(first.target, series.files)).code).toBe(0);
    expect((await routerStatus(first)).delivered ?? 0).toBe(0);
    process.kill(first.service.pid, "SIGKILL");
    await first.service.exited;

    destination = await startStorescp({ aeTitle: "ARCHIVE", port });
    const second = await spawnServe(["--config", configFile], dataDir);
    nodes.push(second);
    const deadline = Date.now() + 60_000;
    while (destination.files().length < 100 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(destination.files()).toHaveLength(100);
    const counts = await routerStatus(second);
    expect(counts).toMatchObject({ delivered: 100, queued: 0, sending: 0, dead: 0 });
  });
});

describe("changing the rules through the app API", () => {
  it("applies a new rule at once, writes it to the configuration file, and audits it", async () => {
    const dataDir = scratchDir("router-live");
    const configFile = join(dataDir, "hilum.yaml");
    const secret = "r".repeat(32);
    const peer = await startStorescp({ aeTitle: "LIVE" });
    writeFileSync(
      configFile,
      stringify({
        http: { launchSecret: secret },
        router: {
          destinations: [
            { name: "live", type: "dimse", aeTitle: "LIVE", host: "127.0.0.1", port: peer.port },
          ],
        },
      }),
    );
    const node = await spawnServe(["--config", configFile], dataDir);
    try {
      const series = await cachedCtSeries({
        slices: 4,
        rows: 128,
        columns: 128,
        patientName: "Live^Rule",
        patientId: "LIVE4",
        seed: "live-4",
      });
      expect((await storescu(node.target, series.files.slice(0, 2))).code).toBe(0);
      const response = await fetch(`http://127.0.0.1:${node.httpPort}/api/config`, {
        method: "PUT",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify({
          router: { rules: [{ name: "ct-live", match: { Modality: "CT" }, forward: ["live"] }] },
        }),
      });
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { applied: string[]; restartRequired: string[] };
      expect(answer.applied.some((key) => key.startsWith("router"))).toBe(true);
      expect(answer.restartRequired).toEqual([]);
      expect((await storescu(node.target, series.files.slice(2))).code).toBe(0);
      const deadline = Date.now() + 20_000;
      while ((await routerStatus(node)).delivered !== 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(await routerStatus(node)).toMatchObject({ delivered: 2 });
      expect(peer.files()).toHaveLength(2);
      const { readFileSync } = await import("node:fs");
      expect(readFileSync(configFile, "utf8")).toContain("ct-live");
      const audit = await fetch(`http://127.0.0.1:${node.httpPort}/api/audit?action=config-write`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(JSON.stringify(await audit.json())).toContain("ct-live");
    } finally {
      await node.service.stop();
      await peer.stop();
    }
  });
});
