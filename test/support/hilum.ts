/**
 * Hilum itself under test: in-process nodes (fast, with the index at hand) and `npm run serve`
 * child processes (for signals, kill -9 and the command line).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pino from "pino";
import type { ConfigInput } from "../../electron/pacs/config/schema.js";
import { mergeConfig, validateConfig } from "../../electron/pacs/config/load.js";
import { type HilumNode, type StartOptions, startNode } from "../../electron/pacs/node.js";
import type { DicomTarget } from "./peers.js";
import { freePort } from "./ports.js";
import { type Service, spawnService, waitForPort } from "./process.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");

/** The bundles `npm run serve` and `npm run hilum` run (built by scripts/build-node.mjs, in the global setup). */
export const SERVE_BUNDLE = join(REPO_ROOT, "out/node/headless.mjs");
export const CLI_BUNDLE = join(REPO_ROOT, "out/node/cli.mjs");

export interface TestNode {
  node: HilumNode;
  target: DicomTarget;
  dataDir: string;
  close(): Promise<void>;
}

export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hilum-${prefix}-`));
}

/**
 * A node in this process on loopback, on free ports, logging nothing unless HILUM_TEST_LOG names a level.
 * `options.configFile` is the file `PUT /api/config` writes (the overrides should then hold its content).
 */
export async function startTestNode(
  overrides: ConfigInput = {},
  options: StartOptions = {},
): Promise<TestNode> {
  const dataDir = overrides.dataDir ?? scratchDir("node");
  const base: ConfigInput = {
    dataDir,
    dicom: { port: 0, bind: "127.0.0.1" },
    http: { port: 0, bind: "127.0.0.1" },
    log: { level: "silent", file: false },
  };
  const config = validateConfig(mergeConfig(base, overrides), "test");
  const log = pino({ level: process.env.HILUM_TEST_LOG ?? "silent" });
  const node = await startNode(config, log, options);
  return {
    node,
    dataDir,
    target: { host: "127.0.0.1", port: node.dicom.port, aeTitle: config.aeTitle },
    close: () => node.close(),
  };
}

export interface ServedNode {
  service: Service;
  target: DicomTarget;
  httpPort: number;
  dataDir: string;
  logFile: string;
}

/** `npm run serve` as a child process (through tsx, as the script does), on free loopback ports. */
export async function spawnServe(args: string[] = [], dataDir = scratchDir("serve")): Promise<ServedNode> {
  const dicomPort = await freePort();
  const httpPort = await freePort();
  const logFile = join(dataDir, "serve.out");
  const service = spawnService(
    "hilum-serve",
    process.execPath,
    [
      SERVE_BUNDLE,
      "--data",
      dataDir,
      "--dicom-port",
      String(dicomPort),
      "--http-port",
      String(httpPort),
      "--bind",
      "127.0.0.1",
      ...args,
    ],
    { logFile, cwd: REPO_ROOT },
  );
  await waitForPort(dicomPort, 30_000, service);
  await waitForPort(httpPort, 30_000, service);
  return {
    service,
    target: { host: "127.0.0.1", port: dicomPort, aeTitle: "HILUM" },
    httpPort,
    dataDir,
    logFile,
  };
}
