import { resolve } from "node:path";
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
import { bySopClass } from "./dimse/scp/by-sop-class.js";
import { getService } from "./dimse/scp/get.js";
import { moveService } from "./dimse/scp/move.js";
import { type DicomAddresses, DicomServer } from "./dimse/scp/server.js";
import type { ServiceHandler } from "./dimse/scp/service.js";
import { storeService } from "./dimse/scp/store.js";
import type { IngestPipeline } from "./ingest/pipeline.js";
import { openLocalArchive } from "./local-archive.js";
import type { Router } from "./router/router.js";
import type { NodeStatus } from "./node-status.js";
import { loadNodeTls } from "./tls/contexts.js";
import { startWebServer } from "./web/server.js";
import { WorkflowSopClass } from "./workflow/sop-classes.js";
import { type Workflow, openWorkflow } from "./workflow/workflow.js";

export const VERSION = "0.1.0";

export interface HilumNode {
  config: HilumConfig;
  index: Index;
  store: FilesystemStore;
  ingest: IngestPipeline;
  router: Router;
  workflow: Workflow;
  /** The plain DICOM listener (the TLS one when TLS only), and the TLS listener if configured. */
  dicom: DicomAddresses;
  http: { url: string };
  status(): NodeStatus;
  /** Stops listening, lets in-flight associations finish, closes the index. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** The configuration file `config` came from, if any: `PUT /api/config` writes the changes there. */
  configFile?: string;
}

export async function startNode(
  config: HilumConfig,
  log: Logger,
  options: StartOptions = {},
): Promise<HilumNode> {
  // TLS files first: a wrong one stops the start before anything is opened, with an error naming its key.
  const tls = loadNodeTls(config);
  for (const warning of tls.warnings) log.warn(warning);
  await initializeCodecs();
  const { index, store, ingest, router, worklist } = await openLocalArchive(config, log);
  try {
    router.start(tls.dicom?.client);
  } catch (err) {
    index.close();
    throw err;
  }
  let workflow: Workflow;
  try {
    workflow = await openWorkflow({
      config,
      index,
      store,
      router,
      worklist,
      log: log.child({ component: "workflow" }),
      tlsFor: (peer) => tls.clientFor(peer),
    });
  } catch (err) {
    await router.stop();
    index.close();
    throw err;
  }
  const peers = () => config.peers;
  const workflowServices = (field: number) =>
    workflow.services.get(field) ?? new Map<string, ServiceHandler>();
  const services = new Map<number, ServiceHandler>([
    [CommandField.CEchoRq, echoService],
    [
      CommandField.CStoreRq,
      storeService(ingest, store, { keepInMemory: config.storage.keepInMemoryMiB * 1024 * 1024 }),
    ],
    [CommandField.CFindRq, bySopClass(workflowServices(CommandField.CFindRq), findService(index))],
    [CommandField.NCreateRq, bySopClass(workflowServices(CommandField.NCreateRq))],
    [CommandField.NSetRq, bySopClass(workflowServices(CommandField.NSetRq))],
    [CommandField.NActionRq, bySopClass(workflowServices(CommandField.NActionRq))],
    [
      CommandField.CMoveRq,
      moveService({
        index,
        store,
        aeTitle: config.aeTitle,
        peers,
        log: log.child({ component: "move" }),
        tlsFor: (peer) => tls.clientFor(peer),
      }),
    ],
    [CommandField.CGetRq, getService({ index, store })],
  ]);
  const server = new DicomServer({
    port: config.dicom.port,
    host: config.dicom.bind,
    ...(tls.dicom
      ? {
          tls: {
            port: tls.dicom.port,
            options: tls.dicom.server,
            requireClientCertificate: tls.dicom.requireClientCertificate,
            only: tls.dicom.only,
          },
        }
      : {}),
    maxAssociations: config.dicom.maxAssociations,
    limits: { ...DEFAULT_LIMITS, maxPduLength: config.dicom.maxPduLength },
    timeouts: {
      artimMs: config.dicom.artimTimeoutSeconds * 1000,
      idleMs: config.dicom.idleTimeoutSeconds * 1000,
    },
    capabilities: scpCapabilities({
      aeTitle: config.aeTitle,
      checkCalledAeTitle: config.dicom.checkCalledAeTitle,
      // Read per association, so that PUT /api/config changes it at once.
      get allowUnknownCallers() {
        return config.dicom.allowUnknownCallers;
      },
      knownAeTitles: () => config.peers.map((p) => p.aeTitle),
      extraStorageSopClasses: config.dicom.extraStorageSopClasses,
      maxPduLength: config.dicom.maxPduLength,
      serviceSopClasses: Object.values(WorkflowSopClass),
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
    onTlsRefused: (event) => {
      index.audit.append({
        actorType: "system",
        actor: "dicom-tls",
        action: "tls-refused",
        outcome: "failure",
        detail: event,
      });
    },
  });
  let dicom;
  try {
    dicom = await server.listen();
  } catch (err) {
    await workflow.close();
    await router.stop();
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
    router: router.status(),
  });
  let web;
  try {
    web = await startWebServer(
      {
        config,
        index,
        store,
        ingest,
        router,
        workflow,
        log,
        status,
        ...(options.configFile ? { configFile: resolve(options.configFile) } : {}),
      },
      { port: config.http.port, host: config.http.bind, ...(tls.http ? { tls: tls.http.server } : {}) },
    );
  } catch (err) {
    await server.close(0);
    await workflow.close();
    await router.stop();
    index.close();
    throw err;
  }
  httpUrl = web.url;
  return {
    config,
    index,
    store,
    ingest,
    router,
    workflow,
    dicom,
    http: { url: web.url },
    status,
    async close() {
      await web.app.close();
      await server.close();
      await workflow.close();
      await ingest.idle();
      await router.stop();
      await store.close();
      index.close();
    },
  };
}
