/**
 * The Hilum core inside Electron's utility process (utilityProcess.fork from main): DICOM traffic, the
 * archive and the HTTP server run here, so the windows never stall on them. Plain Node: it talks to main
 * only through `process.parentPort`, with the messages of ./messages.ts.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, mergeConfig, readConfigFile, validateConfig } from "../../pacs/config/load.js";
import { createNodeLogger } from "../../pacs/core/log.js";
import type { Logger } from "../../pacs/core/logger.js";
import { type HilumNode, startNode } from "../../pacs/node.js";
import { importJob, sendJob, throttled } from "./jobs.js";
import { electronFingerprint, loopbackUrl } from "./loopback.js";
import { type FromCore, type ToCore, toCore } from "./messages.js";
import { useTranscodeWorker } from "../../pacs/codecs/transcode-pool.js";

// The bundle puts the transcoding thread's script beside this entry point.
useTranscodeWorker(join(dirname(fileURLToPath(import.meta.url)), "transcode-worker.js"));

interface ParentPort {
  on(event: "message", listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) throw new Error("the desktop core runs in Electron's utility process (utilityProcess.fork)");
const port = parentPort;

const post = (message: FromCore) => port.postMessage(message);
const PROGRESS_INTERVAL_MS = 150;

let node: HilumNode | undefined;
let log: Logger | undefined;
let stopping = false;
const jobs = new Set<Promise<void>>();
const cancelled = () => stopping;

function startFailure(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if ((err as { code?: string }).code === "EADDRINUSE") {
    return `cannot listen: ${(err as Error).message} (another Hilum or PACS uses the port; change it in the configuration file)`;
  }
  return err instanceof Error ? err.message : String(err);
}

async function start(configFile: string, launchSecret: string): Promise<void> {
  try {
    const config = validateConfig(
      mergeConfig(readConfigFile(configFile), { http: { launchSecret } }),
      configFile,
    );
    log = createNodeLogger({ level: config.log.level, dataDir: config.dataDir, file: config.log.file });
    node = await startNode(config, log, { configFile });
    const tls = config.http.tls;
    post({
      type: "ready",
      url: loopbackUrl(node.http.url),
      ...(tls ? { certificateFingerprint: electronFingerprint(tls.certFile) } : {}),
    });
  } catch (err) {
    post({ type: "failed", message: startFailure(err) });
  }
}

function run(job: Promise<void>): void {
  jobs.add(job);
  void job.finally(() => jobs.delete(job));
}

/** Stops the jobs after their current file, then lets in-flight associations and stores finish (node.close) before exiting. */
async function stop(): Promise<void> {
  stopping = true;
  await Promise.allSettled(jobs);
  try {
    await node?.close();
  } catch (err) {
    log?.error({ err }, "error while stopping");
  }
  log?.flush();
  post({ type: "stopped" });
  process.exit(0);
}

function handle(message: ToCore): void {
  const report = throttled((progress) => post({ type: "job", progress }), PROGRESS_INTERVAL_MS);
  switch (message.type) {
    case "start":
      void start(message.configFile, message.launchSecret);
      return;
    case "import":
    case "send": {
      if (!node || stopping) {
        const kind = message.type;
        report({
          jobId: message.jobId,
          kind,
          phase: "failed",
          total: 0,
          done: 0,
          succeeded: 0,
          failed: 0,
          message: "the core is not running",
        });
        return;
      }
      run(
        message.type === "import"
          ? importJob(node, message.jobId, message.paths, report, cancelled)
          : sendJob(node, message.jobId, message.studyInstanceUids, message.peer, report, cancelled),
      );
      return;
    }
    case "stop":
      void stop();
      return;
  }
}

port.on("message", (event) => {
  const parsed = toCore.safeParse(event.data);
  if (parsed.success) handle(parsed.data);
  else log?.warn({ issues: parsed.error.issues }, "ignored a malformed message from the main process");
});
