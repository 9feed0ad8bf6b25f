/**
 * The two DICOMweb servers compared, each on a fresh store of its own: Hilum (`npm run serve`'s bundle as a
 * child process, a launch secret as its bearer token) and Orthanc with its DICOMweb plugin (no
 * authentication). Each is filled by DCMTK storescu, can be restarted on the same store (for a cold
 * first request), and close() stops it and removes the store.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { NodeStatus } from "../../electron/pacs/node-status.js";
import { scratchDir, spawnServe } from "../../test/support/hilum.js";
import { startOrthanc, type DicomTarget } from "../../test/support/peers.js";
import { expectSuccess, timedRun } from "./command.js";
import { expectStatus, get, jsonOf } from "./dicomweb-http.js";
import { storescuArgs } from "./receivers.js";

export const DICOMWEB_SERVERS = ["Hilum", "Orthanc"] as const;
export type DicomWebServerName = (typeof DICOMWEB_SERVERS)[number];

const SECRET = "bench-dicomweb-launch-secret-0123456789";

interface Running {
  target: DicomTarget;
  /** http://127.0.0.1:<port>/dicom-web */
  base: string;
  /** What every request carries: the bearer token for Hilum. */
  headers: Record<string, string>;
  /** Hilum's /api/status or Orthanc's /statistics, and how to read the instance count from it. */
  countUrl: string;
  count(json: unknown): number;
  /** "Orthanc 1.10.1, DICOMweb plugin 1.7". */
  version(): Promise<string>;
  stop(): Promise<void>;
}

async function startHilum(store: string): Promise<Running> {
  const config = join(store, "bench-hilum.yaml");
  writeFileSync(config, stringify({ http: { launchSecret: SECRET } }));
  const served = await spawnServe(["--config", config], store);
  const origin = `http://127.0.0.1:${served.httpPort}`;
  return {
    target: served.target,
    base: `${origin}/dicom-web`,
    headers: { authorization: `Bearer ${SECRET}` },
    countUrl: `${origin}/api/status`,
    count: (json) => (json as NodeStatus).archive.instances,
    version: async () => "Hilum (`npm run serve`)",
    stop: async () => void (await served.service.stop(10_000)),
  };
}

async function startOrthancDicomWeb(store: string): Promise<Running> {
  const peer = await startOrthanc({ dicomWeb: true, dir: store });
  return {
    target: peer,
    base: `${peer.baseUrl}/dicom-web`,
    headers: {},
    countUrl: `${peer.baseUrl}/statistics`,
    count: (json) => (json as { CountInstances: number }).CountInstances,
    version: async () => {
      const system = await peer.json<{ Version: string }>("/system");
      const plugin = await peer.json<{ Version: string }>("/plugins/dicom-web");
      return `Orthanc ${system.Version}, DICOMweb plugin ${plugin.Version}`;
    },
    stop: () => peer.stop(),
  };
}

export class DicomWebServer {
  private constructor(
    readonly name: DicomWebServerName,
    private readonly store: string,
    private running: Running,
  ) {}

  /** A fresh server on an empty store. */
  static async start(name: DicomWebServerName): Promise<DicomWebServer> {
    const store = scratchDir(`bench-dicomweb-${name.toLowerCase()}`);
    try {
      return new DicomWebServer(name, store, await DicomWebServer.launch(name, store));
    } catch (error) {
      rmSync(store, { recursive: true, force: true });
      throw error;
    }
  }

  private static launch(name: DicomWebServerName, store: string): Promise<Running> {
    return name === "Hilum" ? startHilum(store) : startOrthancDicomWeb(store);
  }

  get base(): string {
    return this.running.base;
  }

  get headers(): Record<string, string> {
    return this.running.headers;
  }

  version(): Promise<string> {
    return this.running.version();
  }

  async instanceCount(): Promise<number> {
    const result = await get(this.running.countUrl, this.running.headers, false);
    return this.running.count(jsonOf(expectStatus(result, `${this.name} instance count`)));
  }

  /**
   * storescu sends every file of `folder` on one association (`propose`: its transfer syntax flags, e.g.
   * -xt to send JPEG-LS as stored); the server must then hold `expected` instances. Seconds taken.
   */
  async fill(folder: string, expected: number, propose: readonly string[] = []): Promise<number> {
    const args = [...propose, ...storescuArgs(this.running.target, folder)];
    const run = await timedRun("storescu", args, { timeoutMs: 20 * 60_000 });
    expectSuccess(run, `storescu → ${this.name}`);
    const held = await this.instanceCount();
    if (held !== expected) throw new Error(`${this.name} holds ${held} of ${expected} instances sent`);
    return run.wallMs / 1000;
  }

  /** Stopped and started again on the same store: its next request is its first. */
  async restart(): Promise<void> {
    await this.running.stop();
    this.running = await DicomWebServer.launch(this.name, this.store);
  }

  async close(): Promise<void> {
    try {
      await this.running.stop();
    } finally {
      rmSync(this.store, { recursive: true, force: true });
    }
  }
}

/** Fresh servers, one of each, closed whatever `body` does. */
export async function withServers<T>(body: (servers: DicomWebServer[]) => Promise<T>): Promise<T> {
  const servers: DicomWebServer[] = [];
  try {
    for (const name of DICOMWEB_SERVERS) servers.push(await DicomWebServer.start(name));
    return await body(servers);
  } finally {
    for (const server of servers) await server.close();
  }
}
