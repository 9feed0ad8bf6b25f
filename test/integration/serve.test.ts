import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, SERVE_BUNDLE, type ServedNode, scratchDir, spawnServe } from "../support/hilum.js";
import { echoscu, storescu } from "../support/peers.js";
import { run } from "../support/process.js";
import { PYDICOM_TEST_FILES } from "../support/archive.js";

function serveCommand(args: string[]) {
  return run(process.execPath, [SERVE_BUNDLE, ...args], {
    cwd: REPO_ROOT,
    timeoutMs: 30_000,
  });
}

describe("npm run serve", () => {
  const nodes: ServedNode[] = [];
  afterAll(async () => {
    for (const node of nodes) await node.service.stop();
  });

  it("starts on the given flags, says where it listens, serves health and status, logs to a file, and stops cleanly on SIGTERM", async () => {
    const node = await spawnServe(["--ae-title", "SERVETEST"]);
    nodes.push(node);
    const target = { ...node.target, aeTitle: "SERVETEST" };
    expect(node.service.log()).toMatch(
      new RegExp(
        `Hilum SERVETEST listening: DICOM 127\\.0\\.0\\.1:${target.port}, HTTP http://127\\.0\\.0\\.1:${node.httpPort}`,
      ),
    );
    expect((await echoscu(target)).code).toBe(0);
    expect((await storescu(target, [join(PYDICOM_TEST_FILES, "CT_small.dcm")])).code).toBe(0);

    const health = await fetch(`http://127.0.0.1:${node.httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const status = (await (await fetch(`http://127.0.0.1:${node.httpPort}/api/status`)).json()) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      aeTitle: "SERVETEST",
      archive: { patients: 1, studies: 1, series: 1, instances: 1 },
    });
    expect((await fetch(`http://127.0.0.1:${node.httpPort}/no/such/thing`)).status).toBe(404);

    const exit = await node.service.stop(10_000);
    expect(exit.code).toBe(0);
    expect(node.service.log()).toMatch(/stopped cleanly/);
    const logFile = join(node.dataDir, "logs", "hilum.log");
    expect(existsSync(logFile)).toBe(true);
    expect(readFileSync(logFile, "utf8")).toMatch(/"msg":"stopped cleanly"/);
  });

  it("keeps the data across a restart", async () => {
    const first = await spawnServe();
    nodes.push(first);
    expect((await storescu(first.target, [join(PYDICOM_TEST_FILES, "MR_small.dcm")])).code).toBe(0);
    await first.service.stop();
    const second = await spawnServe([], first.dataDir);
    nodes.push(second);
    const status = (await (await fetch(`http://127.0.0.1:${second.httpPort}/api/status`)).json()) as {
      archive: { instances: number };
    };
    expect(status.archive.instances).toBe(1);
    await second.service.stop();
  });

  it("takes a YAML config file and refuses a bad one naming the key", async () => {
    const dir = scratchDir("serve-config");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "dicom:\n  port: -4\n");
    const result = await serveCommand(["--config", bad, "--data", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`invalid configuration in ${bad} (with command-line flags):`);
    expect(result.stderr).toContain("dicom.port");
  });

  it("says clearly when the port is taken", async () => {
    const node = await spawnServe();
    nodes.push(node);
    const result = await serveCommand([
      "--data",
      scratchDir("taken"),
      "--bind",
      "127.0.0.1",
      "--dicom-port",
      String(node.target.port),
      "--http-port",
      "0",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot listen: .*EADDRINUSE.*--dicom-port/);
    await node.service.stop();
  });

  it("prints its usage with --help", async () => {
    const result = await serveCommand(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--peer AE@HOST:PORT");
  });
});
