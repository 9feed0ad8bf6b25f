/**
 * `npm run serve`: the Hilum core with its web server, without Electron — a headless PACS node
 * on the embedded defaults (SQLite index and an archive folder under ./hilum-data).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, mergeConfig, readConfigFile, validateConfig } from "./pacs/config/load.js";
import { SERVE_USAGE, parseServeFlags } from "./pacs/config/flags.js";
import { createNodeLogger } from "./pacs/core/log.js";
import { type HilumNode, startNode } from "./pacs/node.js";
import { useTranscodeWorker } from "./pacs/codecs/transcode-pool.js";

// The bundle puts the transcoding thread's script beside this entry point.
useTranscodeWorker(join(dirname(fileURLToPath(import.meta.url)), "transcode-worker.mjs"));

async function main(): Promise<void> {
  const flags = parseServeFlags(process.argv.slice(2));
  if (flags.help) {
    console.log(SERVE_USAGE);
    return;
  }
  const fromFile = flags.configFile ? readConfigFile(flags.configFile) : {};
  const source = flags.configFile ? `${flags.configFile} (with command-line flags)` : "command-line flags";
  const config = validateConfig(mergeConfig(fromFile, flags.overrides), source);
  const log = createNodeLogger({ level: config.log.level, dataDir: config.dataDir, file: config.log.file });
  // The handlers come before the start: a service manager may signal as soon as the ports answer, before
  // startNode() has returned. A signal during start-up stops the node once it has started; a second one
  // exits at once.
  let node: HilumNode | undefined = undefined;
  let requested: string | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (!node) {
      if (requested) process.exit(130);
      requested = signal;
      log.info({ signal }, "stopping once started (signal again to exit now)");
      return;
    }
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping: finishing in-flight associations");
    node.close().then(
      () => {
        log.info("stopped cleanly");
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  node = await startNode(config, log, { configFile: flags.configFile });
  const { host, port, tls } = node.dicom;
  const dicom = tls?.port === port ? `DICOM (TLS only) ${host}:${port}` : `DICOM ${host}:${port}`;
  console.log(
    `Hilum ${config.aeTitle} listening: ${dicom}${tls && tls.port !== port ? `, DICOM TLS ${tls.host}:${tls.port}` : ""}, HTTP ${node.http.url} — data in ${config.dataDir}`,
  );
  if (requested) stop(requested);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else if ((err as { code?: string }).code === "EADDRINUSE") {
    console.error(
      `cannot listen: ${(err as Error).message} (another Hilum or PACS is using the port; pick another with --dicom-port/--http-port)`,
    );
  } else {
    console.error(err);
  }
  process.exit(1);
});
