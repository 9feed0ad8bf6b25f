import type { FilesystemStore } from "./archive/filesystem-store.js";
import { initializeCodecs } from "./codecs/transcode.js";
import type { HilumConfig } from "./config/schema.js";
import type { Logger } from "./core/logger.js";
import type { Index } from "./db/database.js";
import { DEFAULT_LIMITS } from "./dimse/association.js";
import { scpCapabilities } from "./dimse/capabilities.js";
import { CommandField } from "./dimse/command.js";
import { echoService } from "./dimse/scp/echo.js";
import { findService } from "./dimse/scp/find.js";
import { getService } from "./dimse/scp/get.js";
import { moveService } from "./dimse/scp/move.js";
import { DicomServer } from "./dimse/scp/server.js";
import type { ServiceHandler } from "./dimse/scp/service.js";
import { storeService } from "./dimse/scp/store.js";
import type { IngestPipeline } from "./ingest/pipeline.js";
import { openLocalArchive } from "./local-archive.js";
import type { NodeStatus } from "./node-status.js";
import { startWebServer } from "./web/server.js";

export const VERSION = "0.1.0";

export interface HilumNode {
  config: HilumConfig;
  index: Index;
  store: FilesystemStore;
  ingest: IngestPipeline;
  dicom: { host: string; port: number };
  http: { url: string };
  status(): NodeStatus;
  /** Stops listening, lets in-flight associations finish, closes the index. */
  close(): Promise<void>;
}

export async function startNode(config: HilumConfig, log: Logger): Promise<HilumNode> {
  await initializeCodecs();
  const { index, store, ingest } = await openLocalArchive(config, log);
  const peers = () => config.peers;
  const services = new Map<number, ServiceHandler>([
    [CommandField.CEchoRq, echoService],
    [
      CommandField.CStoreRq,
      storeService(ingest, store, { keepInMemory: config.storage.keepInMemoryMiB * 1024 * 1024 }),
    ],
    [CommandField.CFindRq, findService(index)],
    [
      CommandField.CMoveRq,
      moveService({ index, store, aeTitle: config.aeTitle, peers, log: log.child({ component: "move" }) }),
    ],
    [CommandField.CGetRq, getService({ index, store })],
  ]);
  const server = new DicomServer({
    port: config.dicom.port,
    host: config.dicom.bind,
    maxAssociations: config.dicom.maxAssociations,
    limits: { ...DEFAULT_LIMITS, maxPduLength: config.dicom.maxPduLength },
    timeouts: {
      artimMs: config.dicom.artimTimeoutSeconds * 1000,
      idleMs: config.dicom.idleTimeoutSeconds * 1000,
    },
    capabilities: scpCapabilities({
      aeTitle: config.aeTitle,
      checkCalledAeTitle: config.dicom.checkCalledAeTitle,
      allowUnknownCallers: config.dicom.allowUnknownCallers,
      knownAeTitles: () => config.peers.map((p) => p.aeTitle),
      extraStorageSopClasses: config.dicom.extraStorageSopClasses,
      maxPduLength: config.dicom.maxPduLength,
    }),
    services,
    log: log.child({ component: "dicom" }),
    onAssociation: (event) => {
      if (event.outcome === "accepted") return;
      index.audit.append({
        actorType: "ae",
        actor: event.callingAeTitle,
        action: "association-rejected",
        outcome: "failure",
        detail: { remoteAddress: event.remoteAddress, calledAeTitle: event.calledAeTitle, why: event.why },
      });
    },
  });
  let dicom;
  try {
    dicom = await server.listen();
  } catch (err) {
    index.close();
    throw err;
  }
  const startedAt = new Date().toISOString();
  let httpUrl = "";
  const status = (): NodeStatus => ({
    version: VERSION,
    aeTitle: config.aeTitle,
    startedAt,
    dicom: { ...dicom, activeAssociations: server.activeAssociations },
    http: { url: httpUrl },
    archive: index.counts(),
  });
  let web;
  try {
    web = await startWebServer(
      { config, index, store, ingest, log, status },
      { port: config.http.port, host: config.http.bind },
    );
  } catch (err) {
    await server.close(0);
    index.close();
    throw err;
  }
  httpUrl = web.url;
  return {
    config,
    index,
    store,
    ingest,
    dicom,
    http: { url: web.url },
    status,
    async close() {
      await web.app.close();
      await server.close();
      await ingest.idle();
      await store.close();
      index.close();
    },
  };
}
