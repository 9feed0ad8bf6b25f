/**
 * The modality workflow of a node (docs/workflow.md): the worklist and its MWL SCP, MPPS, storage
 * commitment, reconciliation of arriving studies with the QC queue and its corrections, and the HL7 order
 * listener. `openWorkflow` builds it on the archive, whose opening already registered the reconciliation
 * hook (so that objects recovered from staging are reconciled too); `services` are the DICOM handlers the node's server dispatches to.
 */
import type { FilesystemStore } from "../archive/filesystem-store.js";
import type { HilumConfig } from "../config/schema.js";
import type { Logger } from "../core/logger.js";
import type { Index } from "../db/database.js";
import { CommandField } from "../dimse/command.js";
import type { ServiceHandler } from "../dimse/scp/service.js";
import type { Router } from "../router/router.js";
import type { ClientTls } from "../tls/contexts.js";
import { StorageCommitment } from "./commitment.js";
import { Corrections } from "./corrections.js";
import { handleHl7 } from "./hl7/orm.js";
import { MllpServer } from "./hl7/mllp.js";
import { MppsStore, mppsCreateService, mppsSetService } from "./mpps.js";
import { worklistFindService } from "./mwl-scp.js";
import { WorkflowSopClass } from "./sop-classes.js";
import type { WorklistStore } from "./worklist.js";

export interface WorkflowDeps {
  config: HilumConfig;
  index: Index;
  store: FilesystemStore;
  router: Router;
  worklist: WorklistStore;
  log: Logger;
  tlsFor: (peer: HilumConfig["peers"][number]) => ClientTls | undefined;
}

export interface Workflow {
  worklist: WorklistStore;
  mpps: MppsStore;
  commitment: StorageCommitment;
  corrections: Corrections;
  /** Per DIMSE command field, per SOP class. */
  services: Map<number, Map<string, ServiceHandler>>;
  /** Where the HL7 listener listens, when enabled. */
  hl7?: { host: string; port: number };
  close(): Promise<void>;
}

export async function openWorkflow(deps: WorkflowDeps): Promise<Workflow> {
  const { index, config, log } = deps;
  const db = index.connection;
  const { worklist } = deps;
  const mpps = new MppsStore(db);
  const commitment = new StorageCommitment({
    index,
    store: deps.store,
    aeTitle: config.aeTitle,
    peers: () => config.peers,
    tlsFor: deps.tlsFor,
    log: log.child({ component: "storage-commitment" }),
  });
  const mppsDeps = { db, audit: index.audit, worklist, mpps };
  const services = new Map<number, Map<string, ServiceHandler>>([
    [
      CommandField.CFindRq,
      new Map([[WorkflowSopClass.ModalityWorklistFind, worklistFindService(db, index.audit)]]),
    ],
    [
      CommandField.NCreateRq,
      new Map([[WorkflowSopClass.ModalityPerformedProcedureStep, mppsCreateService(mppsDeps)]]),
    ],
    [
      CommandField.NSetRq,
      new Map([[WorkflowSopClass.ModalityPerformedProcedureStep, mppsSetService(mppsDeps)]]),
    ],
    [CommandField.NActionRq, new Map([[WorkflowSopClass.StorageCommitmentPushModel, commitment.service()]])],
  ]);
  const hl7Config = config.workflow.hl7;
  const hl7 = hl7Config.enabled
    ? new MllpServer({
        port: hl7Config.port,
        host: hl7Config.bind,
        maxMessageBytes: hl7Config.maxMessageKiB * 1024,
        idleMs: hl7Config.idleTimeoutSeconds * 1000,
        log: log.child({ component: "hl7" }),
        onMessage: (text, peer) => handleHl7(text, worklist, index.audit, peer),
      })
    : undefined;
  const hl7Address = await hl7?.listen();
  return {
    worklist,
    mpps,
    commitment,
    corrections: new Corrections({ index, store: deps.store, worklist, router: deps.router }),
    services,
    ...(hl7Address ? { hl7: hl7Address } : {}),
    async close() {
      await hl7?.close();
      await commitment.idle();
    },
  };
}
