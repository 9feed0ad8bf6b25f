/**
 * Storage Commitment Push Model as SCP (PS3.4 Annex J). N-ACTION asks Hilum to commit to a list of
 * instances; it is answered at once, then each instance is checked — indexed, of the class named, its file
 * read back whole and its SHA-256 equal to the checksum recorded when it was stored, and the index commit
 * made durable — and the outcome goes back in an N-EVENT-REPORT: on the requester's association if it is
 * still open, else on a new one to the requester (a known peer), proposing the SOP class with Hilum in the SCP
 * role. Failures carry their reason (Table J.3-2): 0112 no such object instance, 0119 class-instance
 * conflict, 0110 processing failure (unreadable, or the checksum does not verify).
 */
import { createHash } from "node:crypto";
import type Database from "better-sqlite3";
import { TransferSyntaxUid } from "../../../shared/dicom/transfer-syntax.js";
import type { CommitmentItem } from "../../../shared/api/workflow.js";
import type { ObjectStore } from "../archive/object-store.js";
import type { PeerConfig } from "../config/schema.js";
import type { Logger } from "../core/logger.js";
import type { Index } from "../db/database.js";
import { type DataSet, DicomParseError, parseDataset } from "../dicom/dataset.js";
import { type WritableElement, encodeDataset } from "../dicom/writer.js";
import type { Association } from "../dimse/association.js";
import type { ServiceHandler } from "../dimse/scp/service.js";
import { openAssociation } from "../dimse/scu/client.js";
import { normalized } from "../dimse/scu/normalized.js";
import { Status, statusName } from "../dimse/status.js";
import type { ClientTls } from "../tls/contexts.js";
import { STORAGE_COMMITMENT_INSTANCE, WorkflowSopClass } from "./sop-classes.js";
import { T } from "./tags.js";

const SOP_CLASS = WorkflowSopClass.StorageCommitmentPushModel;
const REQUEST_COMMITMENT = 1;
const ALL_COMMITTED = 1;
const SOME_FAILED = 2;
/** Waits before each attempt to report on a new association. */
const REPORT_BACKOFF_MS = [0, 2_000, 10_000];

interface Reference {
  sopClassUid: string;
  sopInstanceUid: string;
}

interface Failure extends Reference {
  failureReason: number;
  why: string;
}

class CommitmentRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CommitmentDeps {
  index: Index;
  store: ObjectStore;
  aeTitle: string;
  peers: () => readonly PeerConfig[];
  tlsFor: (peer: PeerConfig) => ClientTls | undefined;
  log: Logger;
}

const COLUMNS = `transaction_uid AS transactionUid, calling_ae_title AS callingAeTitle, state, requested, committed,
  failures, report_error AS reportError, created_at AS createdAt, updated_at AS updatedAt`;

function references(dataset: DataSet): Reference[] {
  const items = dataset.items(T.ReferencedSOPSequence);
  if (items.length === 0) {
    throw new CommitmentRefusal(Status.InvalidArgumentValue, "ReferencedSOPSequence (0008,1199) is empty");
  }
  return items.map((item) => {
    const sopClassUid = item.string(T.ReferencedSOPClassUID) ?? "";
    const sopInstanceUid = item.string(T.ReferencedSOPInstanceUID) ?? "";
    if (!sopClassUid || !sopInstanceUid) {
      throw new CommitmentRefusal(
        Status.InvalidArgumentValue,
        "a referenced SOP item lacks its class or instance UID",
      );
    }
    return { sopClassUid, sopInstanceUid };
  });
}

export class StorageCommitment {
  private readonly db: Database.Database;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: CommitmentDeps) {
    this.db = deps.index.connection;
  }

  list(limit = 200): CommitmentItem[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM storage_commitments ORDER BY created_at DESC LIMIT ?`)
      .all(limit) as Array<CommitmentItem & { failures: string }>;
    return rows.map((row) => ({ ...row, failures: JSON.parse(row.failures) as Failure[] }));
  }

  /** Resolves when every commitment received so far has been reported (or given up). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  /** The N-ACTION handler. */
  service(): ServiceHandler {
    return {
      handle: async (request) => {
        const { command, dataset, context } = request.message;
        const caller = request.association.info?.callingAeTitle ?? "";
        let transactionUid: string;
        let refs: Reference[];
        try {
          if (command.requestedSopInstanceUid !== STORAGE_COMMITMENT_INSTANCE) {
            throw new CommitmentRefusal(Status.NoSuchSopInstance, "not the Storage Commitment SOP instance");
          }
          if (command.actionTypeId !== REQUEST_COMMITMENT) {
            throw new CommitmentRefusal(
              Status.NoSuchAction,
              `no action type ${command.actionTypeId ?? "(none)"}`,
            );
          }
          if (!dataset)
            throw new CommitmentRefusal(Status.InvalidArgumentValue, "the request has no action information");
          const parsed = parseDataset(dataset, { transferSyntaxUid: context.transferSyntax });
          transactionUid = parsed.string(T.TransactionUID) ?? "";
          if (!transactionUid)
            throw new CommitmentRefusal(Status.InvalidArgumentValue, "TransactionUID (0008,1195) is missing");
          refs = references(parsed);
          this.begin(transactionUid, caller, refs.length);
        } catch (err) {
          const refusal =
            err instanceof CommitmentRefusal
              ? err
              : err instanceof DicomParseError
                ? new CommitmentRefusal(Status.InvalidArgumentValue, err.message)
                : undefined;
          if (!refusal) throw err;
          this.deps.index.audit.append({
            actorType: "ae",
            actor: caller,
            action: "storage-commitment",
            outcome: "failure",
            detail: { why: refusal.message },
          });
          await request.respond({ status: refusal.status, errorComment: refusal.message });
          return;
        }
        await request.respond({
          status: Status.Success,
          actionTypeId: REQUEST_COMMITMENT,
          affectedSopInstanceUid: STORAGE_COMMITMENT_INSTANCE,
        });
        const task = this.commit(transactionUid, caller, refs, request.association)
          .catch((err: unknown) => this.deps.log.error({ err, transactionUid }, "storage commitment failed"))
          .finally(() => this.running.delete(task));
        this.running.add(task);
      },
    };
  }

  private begin(transactionUid: string, caller: string, requested: number): void {
    const now = new Date().toISOString();
    const inserted = this.db
      .prepare(
        `INSERT INTO storage_commitments (transaction_uid, calling_ae_title, state, requested, created_at, updated_at)
         VALUES (?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(transactionUid, caller, requested, now, now);
    if (inserted.changes === 0) {
      throw new CommitmentRefusal(
        Status.DuplicateInvocation,
        `transaction ${transactionUid} was already requested`,
      );
    }
  }

  private async commit(transactionUid: string, caller: string, refs: Reference[], association: Association) {
    const failures: Failure[] = [];
    const committed: Reference[] = [];
    for (const ref of refs) {
      const failure = await this.check(ref);
      if (failure) failures.push(failure);
      else committed.push(ref);
    }
    // What is reported as committed must survive a power loss: its index row must be durable.
    await this.deps.index.sync();
    const report = this.reportDataset(transactionUid, committed, failures);
    const reportError = await this.report(caller, association, report, failures.length > 0);
    this.db
      .prepare(
        `UPDATE storage_commitments SET state = ?, committed = ?, failures = ?, report_error = ?, updated_at = ?
         WHERE transaction_uid = ?`,
      )
      .run(
        reportError ? "report-failed" : "reported",
        committed.length,
        JSON.stringify(failures),
        reportError ?? null,
        new Date().toISOString(),
        transactionUid,
      );
    this.deps.index.audit.append({
      actorType: "ae",
      actor: caller,
      action: "storage-commitment",
      outcome: failures.length === 0 && !reportError ? "success" : "failure",
      detail: { transactionUid, requested: refs.length, committed: committed.length, failures, reportError },
    });
  }

  private async check(ref: Reference): Promise<Failure | undefined> {
    const fail = (failureReason: number, why: string): Failure => ({ ...ref, failureReason, why });
    const row = this.db
      .prepare(
        `SELECT sop_class_uid AS sopClassUid, sha256, storage_key AS storageKey FROM instances WHERE sop_instance_uid = ?`,
      )
      .get(ref.sopInstanceUid) as { sopClassUid: string; sha256: string; storageKey: string } | undefined;
    if (!row) return fail(Status.NoSuchSopInstance, "no such object instance");
    if (row.sopClassUid !== ref.sopClassUid) {
      return fail(Status.ClassInstanceConflict, `the instance is stored as ${row.sopClassUid}`);
    }
    try {
      const hash = createHash("sha256");
      for await (const chunk of await this.deps.store.open(row.storageKey)) hash.update(chunk as Buffer);
      if (hash.digest("hex") !== row.sha256)
        return fail(Status.ProcessingFailure, "the stored object's checksum does not verify");
    } catch (err) {
      return fail(Status.ProcessingFailure, `the stored object cannot be read: ${(err as Error).message}`);
    }
    return undefined;
  }

  private reportDataset(transactionUid: string, committed: Reference[], failures: Failure[]) {
    const item = (ref: Reference): WritableElement[] => [
      { tag: T.ReferencedSOPClassUID, vr: "UI", value: ref.sopClassUid },
      { tag: T.ReferencedSOPInstanceUID, vr: "UI", value: ref.sopInstanceUid },
    ];
    const elements: WritableElement[] = [
      { tag: T.TransactionUID, vr: "UI", value: transactionUid },
      { tag: T.RetrieveAETitle, vr: "AE", value: this.deps.aeTitle },
    ];
    if (committed.length > 0)
      elements.push({ tag: T.ReferencedSOPSequence, vr: "SQ", value: committed.map(item) });
    if (failures.length > 0) {
      elements.push({
        tag: T.FailedSOPSequence,
        vr: "SQ",
        value: failures.map((f) => [...item(f), { tag: T.FailureReason, vr: "US", value: f.failureReason }]),
      });
    }
    return (transferSyntaxUid: string) => encodeDataset(elements, { transferSyntaxUid, charset: "ISO_IR 6" });
  }

  /** Sends the report; resolves with why it could not be delivered, or undefined once it was. */
  private async report(
    caller: string,
    association: Association,
    dataset: (transferSyntaxUid: string) => Buffer,
    someFailed: boolean,
  ): Promise<string | undefined> {
    const call = {
      sopClassUid: SOP_CLASS,
      sopInstanceUid: STORAGE_COMMITMENT_INSTANCE,
      typeId: someFailed ? SOME_FAILED : ALL_COMMITTED,
      dataset,
    };
    if (association.state === "established") {
      try {
        const result = await normalized(association, "N-EVENT-REPORT", call);
        if (result.status === Status.Success) return undefined;
      } catch (err) {
        this.deps.log.info(
          { err: (err as Error).message },
          "commitment report on the same association failed",
        );
      }
    }
    const peer = this.deps.peers().find((p) => p.aeTitle === caller);
    if (!peer) return `${caller} is not a known peer: the report cannot be sent on a new association`;
    let lastError = "";
    for (const wait of REPORT_BACKOFF_MS) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        const outbound = await openAssociation(
          peer,
          [
            {
              abstractSyntax: SOP_CLASS,
              transferSyntaxes: [
                TransferSyntaxUid.ExplicitVRLittleEndian,
                TransferSyntaxUid.ImplicitVRLittleEndian,
              ],
              scpRole: true,
            },
          ],
          { callingAeTitle: this.deps.aeTitle, log: this.deps.log, tls: this.deps.tlsFor(peer) },
        );
        try {
          const result = await normalized(outbound, "N-EVENT-REPORT", call);
          if (result.status === Status.Success) return undefined;
          lastError = `${caller} answered ${statusName(result.status)}`;
        } finally {
          await outbound.release().catch(() => outbound.abort());
        }
      } catch (err) {
        lastError = (err as Error).message;
      }
    }
    return lastError;
  }
}
