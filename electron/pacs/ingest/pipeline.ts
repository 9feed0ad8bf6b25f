import { rm } from "node:fs/promises";
import type { Logger } from "../core/logger.js";
import type { DataSet } from "../dicom/dataset.js";
import type { ObjectStore, StagedObject } from "../archive/object-store.js";
import type { Index } from "../db/database.js";
import { type InstanceRecord, extractRecord } from "../db/records.js";
import { Status } from "../dimse/status.js";
import * as tags from "../../../shared/dicom/tags.js";
import { readHeader } from "./header.js";
import { type ReceivedObject, storedSize } from "./received-object.js";
import { IngestRefusal, refusalFor } from "./refusal.js";

/** Who handed us the object, for the index and the audit log. */
export interface IngestSource {
  kind: "dimse" | "import" | "stow";
  /** Calling AE title, user name or file path. */
  actor: string;
  callingAeTitle: string;
}

export interface IngestRequest {
  object: ReceivedObject;
  source: IngestSource;
  /** UIDs the C-STORE command announced; the dataset must agree with them. */
  expected?: { sopClassUid: string; sopInstanceUid: string };
}

export interface IngestResult {
  outcome: "stored" | "replaced" | "duplicate";
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  storageKey: string;
}

export type DuplicatePolicy = "replace" | "keep" | "reject";

export interface IngestOptions {
  store: ObjectStore;
  index: Index;
  log: Logger;
  duplicates: DuplicatePolicy;
  /** Largest batch committed with one directory sync and one index transaction. */
  maxBatch?: number;
}

interface Job {
  request: IngestRequest;
  record: InstanceRecord;
  staging: Promise<StagedObject>;
  resolve(result: IngestResult): void;
  reject(error: unknown): void;
}

type StoredListener = (result: IngestResult, request: IngestRequest) => void;

/**
 * receive → validate → persist → index → acknowledge → hand on. `ingest` resolves only once the
 * object is fsynced in the archive and its index rows are committed; objects that arrive
 * together share one directory sync and one transaction (group commit).
 */
export class IngestPipeline {
  private queue: Job[] = [];
  private committing?: Promise<void>;
  private readonly listeners: StoredListener[] = [];

  constructor(private readonly options: IngestOptions) {}

  /** Later steps (routing, replication) subscribe here; they run after the acknowledgement. */
  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  async ingest(request: IngestRequest): Promise<IngestResult> {
    let header: DataSet;
    try {
      header = readHeader(request.object);
    } catch (err) {
      await this.dropSpill(request.object);
      throw refusalFor(err);
    }
    const identity = this.validate(header, request);
    const existing = this.options.index.findInstance(identity.sopInstanceUid);
    if (existing && existing.sha256 === request.object.sha256) {
      await this.dropSpill(request.object);
      this.audit(request, identity, "duplicate", "success");
      return { outcome: "duplicate", ...identity, storageKey: existing.storageKey };
    }
    if (existing && this.options.duplicates !== "replace") {
      await this.dropSpill(request.object);
      this.audit(request, identity, `duplicate-${this.options.duplicates}`, this.options.duplicates === "keep" ? "success" : "failure");
      if (this.options.duplicates === "keep") return { outcome: "duplicate", ...identity, storageKey: existing.storageKey };
      throw new IngestRefusal(
        Status.StoreErrorDuplicateRefused,
        `SOP instance ${identity.sopInstanceUid} already stored with different content`,
      );
    }
    const record = extractRecord(header, {
      storageKey: request.object.sha256,
      sha256: request.object.sha256,
      size: storedSize(request.object),
      transferSyntaxUid: request.object.transferSyntaxUid,
      callingAeTitle: request.source.callingAeTitle,
      receivedAt: new Date().toISOString(),
    });
    const result = await this.persist(request, record);
    for (const listener of this.listeners) listener(result, request);
    return result;
  }

  private validate(header: DataSet, request: IngestRequest) {
    const sopInstanceUid = header.string(tags.SOPInstanceUID);
    const sopClassUid = header.string(tags.SOPClassUID) ?? "";
    const studyInstanceUid = header.string(tags.StudyInstanceUID) ?? "";
    const seriesInstanceUid = header.string(tags.SeriesInstanceUID) ?? "";
    if (!sopInstanceUid) throw new IngestRefusal(Status.StoreErrorMissingSopInstanceUid, "dataset has no SOP Instance UID");
    if (!studyInstanceUid || !seriesInstanceUid) {
      throw new IngestRefusal(Status.StoreErrorMissingSopInstanceUid, "dataset has no Study or Series Instance UID");
    }
    const expected = request.expected;
    if (expected && expected.sopInstanceUid !== sopInstanceUid) {
      throw new IngestRefusal(
        Status.StoreErrorUidMismatch,
        `SOP Instance UID ${sopInstanceUid} differs from the command's ${expected.sopInstanceUid}`,
      );
    }
    if (expected && expected.sopClassUid !== sopClassUid) {
      throw new IngestRefusal(
        Status.StoreErrorDataSetDoesNotMatchSopClass,
        `SOP Class UID ${sopClassUid || "(none)"} differs from the command's ${expected.sopClassUid}`,
      );
    }
    return { sopInstanceUid, sopClassUid, studyInstanceUid, seriesInstanceUid };
  }

  private persist(request: IngestRequest, record: InstanceRecord): Promise<IngestResult> {
    const object = request.object;
    const source = object.spillPath ? { spillPath: object.spillPath } : { chunks: [object.meta, ...object.dataset] };
    const staging = this.options.store.stage(object.sha256, source);
    return new Promise((resolve, reject) => {
      this.queue.push({ request, record, staging, resolve, reject });
      this.drain();
    });
  }

  /** Resolves when every object handed to the pipeline so far is committed or refused. */
  async idle(): Promise<void> {
    while (this.committing) await this.committing;
  }

  /** Group commit: whatever queued while the previous batch was committing goes in the next one. */
  private drain(): void {
    if (this.committing) return;
    this.committing = (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch ?? 64);
        await this.commitBatch(batch);
      }
    })().finally(() => {
      this.committing = undefined;
    });
  }

  private async commitBatch(batch: Job[]): Promise<void> {
    const { store, index, log } = this.options;
    const settled = await Promise.allSettled(batch.map((job) => job.staging));
    const ready: Array<{ job: Job; staged: StagedObject }> = [];
    settled.forEach((outcome, i) => {
      const job = batch[i]!;
      if (outcome.status === "fulfilled") ready.push({ job, staged: outcome.value });
      else job.reject(refusalFor(outcome.reason));
    });
    if (ready.length === 0) return;
    const staged = ready.map((r) => r.staged);
    let commits;
    try {
      await store.seal(staged);
      commits = index.transaction(() => {
        const results = index.commitInstances(ready.map((r) => r.job.record));
        ready.forEach(({ job }, i) => {
          const replaced = results[i]?.replaced;
          this.audit(job.request, identityOf(job.record), replaced ? "store-replace" : "store", "success", replaced);
        });
        return results;
      });
    } catch (err) {
      log.error({ err }, "archive commit failed");
      await store.discard(staged).catch(() => undefined);
      for (const { job } of ready) job.reject(refusalFor(err));
      return;
    }
    await store.publish(staged).catch((err: unknown) => log.error({ err }, "publishing staged objects failed; recovery will"));
    ready.forEach(({ job, staged: object }, i) => {
      const replaced = commits[i]?.replaced;
      if (replaced && replaced.storageKey !== object.key) {
        store.delete(replaced.storageKey).catch((err: unknown) => log.warn({ err }, "could not delete replaced object"));
      }
      job.resolve({ outcome: replaced ? "replaced" : "stored", ...identityOf(job.record), storageKey: object.key });
    });
  }

  private audit(
    request: IngestRequest,
    identity: { sopInstanceUid: string; studyInstanceUid: string; seriesInstanceUid: string },
    action: string,
    outcome: "success" | "failure",
    detail?: unknown,
  ): void {
    this.options.index.audit.append({
      actorType: request.source.kind === "dimse" ? "ae" : request.source.kind === "stow" ? "user" : "system",
      actor: request.source.actor,
      action,
      outcome,
      studyUid: identity.studyInstanceUid,
      seriesUid: identity.seriesInstanceUid,
      sopInstanceUid: identity.sopInstanceUid,
      detail: detail === undefined ? undefined : detail,
    });
  }

  private async dropSpill(object: ReceivedObject): Promise<void> {
    if (object.spillPath) await rm(object.spillPath, { force: true });
  }
}

function identityOf(record: InstanceRecord) {
  return {
    sopInstanceUid: record.instance.sopInstanceUid,
    sopClassUid: record.instance.sopClassUid,
    studyInstanceUid: record.study.studyInstanceUid,
    seriesInstanceUid: record.series.seriesInstanceUid,
  };
}
