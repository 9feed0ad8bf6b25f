import type { Logger } from "../core/logger.js";
import type { DataSet } from "../dicom/dataset.js";
import type { ObjectStore, StagedObject } from "../archive/object-store.js";
import type { Index } from "../db/database.js";
import { type InstanceRecord, extractRecord } from "../db/records.js";
import { Status } from "../dimse/status.js";
import * as tags from "../../../shared/dicom/tags.js";
import { readHeader, readStoredHeader } from "./header.js";
import { Publisher } from "./publisher.js";
import { type ReceivedObject, storedSize } from "./received-object.js";
import { IngestRefusal, refusalFor } from "./refusal.js";

/** Who handed us the object, for the index, the audit log and routing rules. */
export interface IngestSource {
  kind: "dimse" | "import" | "stow";
  /** Calling AE title, user name or file path. */
  actor: string;
  callingAeTitle: string;
  calledAeTitle?: string;
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

/** An instance as its index rows are written, for steps that must commit in the same transaction. */
export interface IndexedInstance {
  source: IngestSource;
  record: InstanceRecord;
  header: DataSet;
  outcome: "stored" | "replaced";
}

/** Runs inside the index transaction of a batch: what it writes commits, or rolls back, with the rows. */
export type IndexHook = (instances: IndexedInstance[]) => void;

interface Job {
  request: IngestRequest;
  record: InstanceRecord;
  header: DataSet;
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
  private readonly indexHooks: IndexHook[] = [];

  private readonly publisher: Publisher;

  constructor(private readonly options: IngestOptions) {
    this.publisher = new Publisher(options.store, options.index, options.log);
  }

  /** Later steps (replication, notifications) subscribe here; they run after the acknowledgement. */
  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Steps whose rows must commit with the instance's (the router's queue) register here. */
  onIndexed(hook: IndexHook): void {
    this.indexHooks.push(hook);
  }

  async ingest(request: IngestRequest): Promise<IngestResult> {
    try {
      return await this.admit(request);
    } catch (err) {
      await request.object.staging.abort();
      throw refusalFor(err);
    }
  }

  /** validate → de-duplicate → persist+index (batched); anything thrown here leaves nothing behind. */
  private async admit(request: IngestRequest): Promise<IngestResult> {
    const header = await readHeader(request.object);
    const identity = this.validate(header, request);
    // The sync and the checksum run on the thread pool side by side.
    const [, sha256] = await Promise.all([request.object.staging.sync(), request.object.sha256()]);
    const existing = this.options.index.findInstance(identity.sopInstanceUid);
    if (existing && existing.sha256 === sha256) {
      await request.object.staging.abort();
      this.audit(request, identity, "duplicate", "success");
      return { outcome: "duplicate", ...identity, storageKey: existing.storageKey };
    }
    if (existing && this.options.duplicates !== "replace") {
      await request.object.staging.abort();
      this.audit(
        request,
        identity,
        `duplicate-${this.options.duplicates}`,
        this.options.duplicates === "keep" ? "success" : "failure",
      );
      if (this.options.duplicates === "keep")
        return { outcome: "duplicate", ...identity, storageKey: existing.storageKey };
      throw new IngestRefusal(
        Status.StoreErrorDuplicateRefused,
        "a different object is stored under this SOP Instance UID",
      );
    }
    const record = extractRecord(header, {
      storageKey: sha256,
      sha256,
      size: storedSize(request.object),
      transferSyntaxUid: request.object.transferSyntaxUid,
      callingAeTitle: request.source.callingAeTitle,
      receivedAt: new Date().toISOString(),
    });
    const result = await this.persist(request, record, header, sha256);
    for (const listener of this.listeners) listener(result, request);
    return result;
  }

  private validate(header: DataSet, request: IngestRequest) {
    const sopInstanceUid = header.string(tags.SOPInstanceUID);
    const sopClassUid = header.string(tags.SOPClassUID) ?? "";
    const studyInstanceUid = header.string(tags.StudyInstanceUID) ?? "";
    const seriesInstanceUid = header.string(tags.SeriesInstanceUID) ?? "";
    if (!sopInstanceUid)
      throw new IngestRefusal(Status.StoreErrorMissingSopInstanceUid, "dataset has no SOP Instance UID");
    if (!studyInstanceUid || !seriesInstanceUid) {
      throw new IngestRefusal(
        Status.StoreErrorMissingSopInstanceUid,
        "dataset has no Study or Series Instance UID",
      );
    }
    const expected = request.expected;
    if (expected && expected.sopInstanceUid !== sopInstanceUid) {
      throw new IngestRefusal(
        Status.StoreErrorUidMismatch,
        "SOP Instance UID in the dataset differs from the command",
      );
    }
    if (expected && expected.sopClassUid !== sopClassUid) {
      throw new IngestRefusal(
        Status.StoreErrorDataSetDoesNotMatchSopClass,
        "SOP Class UID in the dataset differs from the command",
      );
    }
    return { sopInstanceUid, sopClassUid, studyInstanceUid, seriesInstanceUid };
  }

  private persist(
    request: IngestRequest,
    record: InstanceRecord,
    header: DataSet,
    sha256: string,
  ): Promise<IngestResult> {
    const staging = request.object.staging.finish(sha256);
    staging.catch(() => undefined); // awaited by the batch; a failure must not count as unhandled meanwhile
    return new Promise((resolve, reject) => {
      this.queue.push({ request, record, header, staging, resolve, reject });
      this.drain();
    });
  }

  /** Resolves when every object handed to the pipeline so far is committed or refused, and published. */
  async idle(): Promise<void> {
    while (this.committing) await this.committing;
    await this.publisher.idle();
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
          this.audit(
            job.request,
            identityOf(job.record),
            replaced ? "store-replace" : "store",
            "success",
            replaced,
          );
        });
        const indexed = ready.map(({ job }, i): IndexedInstance => ({
          source: job.request.source,
          record: job.record,
          header: job.header,
          outcome: results[i]?.replaced ? "replaced" : "stored",
        }));
        for (const hook of this.indexHooks) hook(indexed);
        return results;
      });
    } catch (err) {
      log.error({ err }, "archive commit failed");
      await store.discard(staged).catch(() => undefined);
      for (const { job } of ready) job.reject(refusalFor(err));
      return;
    }
    ready.forEach(({ job, staged: object }, i) => {
      const replaced = commits[i]?.replaced;
      job.resolve({
        outcome: replaced ? "replaced" : "stored",
        ...identityOf(job.record),
        storageKey: object.key,
      });
    });
    this.publisher.add(
      ready.map(({ staged: object }, i) => {
        const replaced = commits[i]?.replaced?.storageKey;
        return { staged: object, obsolete: replaced !== object.key ? replaced : undefined };
      }),
    );
  }

  /**
   * Re-indexes staged objects whose rows a power loss dropped (see FilesystemStore.recover): they
   * were acknowledged, and their files are the truth.
   */
  async reindex(objects: StagedObject[]): Promise<number> {
    let recovered = 0;
    for (const object of objects) {
      try {
        const header = readStoredHeader(object.path);
        const record = extractRecord(header.dataset, {
          storageKey: object.key,
          sha256: object.key,
          size: header.size,
          transferSyntaxUid: header.transferSyntaxUid,
          callingAeTitle: "",
          receivedAt: new Date().toISOString(),
        });
        this.options.index.transaction(() => {
          this.options.index.commitInstances([record]);
          const source: IngestSource = { kind: "import", actor: "recovery", callingAeTitle: "" };
          for (const hook of this.indexHooks)
            hook([{ source, record, header: header.dataset, outcome: "stored" }]);
          this.options.index.audit.append({
            actorType: "system",
            actor: "recovery",
            action: "store-recovered",
            outcome: "success",
            studyUid: record.study.studyInstanceUid,
            seriesUid: record.series.seriesInstanceUid,
            sopInstanceUid: record.instance.sopInstanceUid,
          });
        });
        this.publisher.add([{ staged: object }]);
        recovered++;
      } catch (err) {
        this.options.log.error(
          { err, path: object.path },
          "staged object could not be re-indexed; left in staging",
        );
      }
    }
    await this.publisher.idle();
    return recovered;
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
}

function identityOf(record: InstanceRecord) {
  return {
    sopInstanceUid: record.instance.sopInstanceUid,
    sopClassUid: record.instance.sopClassUid,
    studyInstanceUid: record.study.studyInstanceUid,
    seriesInstanceUid: record.series.seriesInstanceUid,
  };
}
