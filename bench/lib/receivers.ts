/**
 * The three receivers compared, each started fresh on an empty store: Hilum (`npm run serve` as a child
 * process), DCMTK storescp and Orthanc. stop() ends the server and removes everything it stored.
 */
import { rmSync } from "node:fs";
import { scratchDir, spawnServe } from "../../test/support/hilum.js";
import { startOrthanc, startStorescp, type DicomTarget } from "../../test/support/peers.js";
import type { NodeStatus } from "../../electron/pacs/node-status.js";

export const RECEIVERS = ["Hilum", "storescp", "Orthanc"] as const;
export type ReceiverName = (typeof RECEIVERS)[number];

export interface RunningReceiver {
  name: ReceiverName;
  target: DicomTarget;
  /** The server process whose memory is measured. */
  pid: number;
  /** Instances it holds now. */
  instanceCount(): Promise<number>;
  stop(): Promise<void>;
}

async function startHilum(): Promise<RunningReceiver> {
  const dataDir = scratchDir("bench-serve");
  try {
    const served = await spawnServe([], dataDir);
    return {
      name: "Hilum",
      target: served.target,
      pid: served.service.pid,
      async instanceCount() {
        const response = await fetch(`http://127.0.0.1:${served.httpPort}/api/status`);
        if (!response.ok) throw new Error(`Hilum GET /api/status: ${response.status}`);
        return ((await response.json()) as NodeStatus).archive.instances;
      },
      async stop() {
        await served.service.stop(10_000);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export interface ReceiverOptions {
  /**
   * It will be sent several associations at once: storescp then runs with --fork (a child process per
   * association); without it, it serves one association at a time and the others wait. Hilum and Orthanc
   * serve associations concurrently as they are.
   */
  concurrent?: boolean;
}

async function startDcmtkStorescp(opts: ReceiverOptions): Promise<RunningReceiver> {
  const peer = await startStorescp(opts.concurrent === true ? { extraArgs: ["--fork"] } : {});
  return {
    name: "storescp",
    target: peer,
    pid: peer.service.pid,
    instanceCount: async () => peer.files().length,
    stop: () => peer.stop(),
  };
}

async function startOrthancPacs(): Promise<RunningReceiver> {
  const peer = await startOrthanc();
  return {
    name: "Orthanc",
    target: peer,
    pid: peer.service.pid,
    instanceCount: async () => (await peer.json<{ CountInstances: number }>("/statistics")).CountInstances,
    stop: () => peer.stop(),
  };
}

export function startReceiver(name: ReceiverName, opts: ReceiverOptions = {}): Promise<RunningReceiver> {
  switch (name) {
    case "Hilum":
      return startHilum();
    case "storescp":
      return startDcmtkStorescp(opts);
    case "Orthanc":
      return startOrthancPacs();
  }
}

/** Runs `body` against a fresh receiver and always stops it. */
export async function withReceiver<T>(
  name: ReceiverName,
  body: (receiver: RunningReceiver) => Promise<T>,
  opts: ReceiverOptions = {},
): Promise<T> {
  const receiver = await startReceiver(name, opts);
  try {
    return await body(receiver);
  } finally {
    await receiver.stop();
  }
}

/** storescu's arguments to send a folder (recursively) to `target` on one association. */
export function storescuArgs(target: DicomTarget, folder: string): string[] {
  return ["-aet", "STORESCU", "-aec", target.aeTitle, "+sd", "+r", target.host, String(target.port), folder];
}
