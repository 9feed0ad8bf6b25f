import * as tags from "../../../../shared/dicom/tags.js";
import type { ObjectStore } from "../../archive/object-store.js";
import type { Index, RetrieveInstance } from "../../db/database.js";
import { QueryError } from "../../db/query.js";
import { readPart10Header } from "../../dicom/part10.js";
import { encodeDataset } from "../../dicom/writer.js";
import { IdentifierError, type ParsedIdentifier, parseIdentifier } from "../identifier.js";
import { type QueryModel, queryModelOf } from "../query-models.js";
import { Status } from "../status.js";
import type { StoreItem, StoreOutcome } from "../scu/store.js";
import type { ServiceRequest } from "./service.js";

export interface RetrieveDeps {
  index: Index;
  store: ObjectStore;
}

/** Turns index rows into store items that read their bytes from the archive when their turn comes. */
export function archiveItems(store: ObjectStore, instances: RetrieveInstance[]): StoreItem[] {
  return instances.map((row) => ({
    sopClassUid: row.sopClassUid,
    sopInstanceUid: row.sopInstanceUid,
    transferSyntaxUid: row.transferSyntaxUid,
    load: async () => {
      const bytes = await store.read(row.storageKey);
      return { bytes, datasetOffset: readPart10Header(bytes).datasetOffset };
    },
  }));
}

/** Which instances a C-MOVE/C-GET identifier names, by the unique keys of its level (PS3.4 C.4.2.2.1). */
export function matchRetrieve(
  index: Index,
  model: QueryModel,
  identifier: ParsedIdentifier,
): RetrieveInstance[] {
  const uids = (tag: number) => {
    const value = identifier.dataset.string(tag);
    return value
      ? value
          .split("\\")
          .map((v) => v.trim())
          .filter(Boolean)
      : [];
  };
  const level = identifier.level;
  const patientId = identifier.dataset.string(tags.PatientID);
  const request = {
    level: level as "PATIENT" | "STUDY" | "SERIES" | "IMAGE",
    patientId: patientId || undefined,
    studyInstanceUids: uids(tags.StudyInstanceUID),
    seriesInstanceUids: uids(tags.SeriesInstanceUID),
    sopInstanceUids: uids(tags.SOPInstanceUID),
  };
  if (!hasUniqueKey(request) || (model === "STUDY_ROOT" && level === "PATIENT")) {
    throw new IdentifierError(
      Status.MoveIdentifierDoesNotMatchSopClass,
      `identifier lacks the unique key for level ${level}`,
    );
  }
  return index.instancesForRetrieve(request);
}

function hasUniqueKey(request: {
  level: string;
  patientId?: string;
  studyInstanceUids: string[];
  seriesInstanceUids: string[];
  sopInstanceUids: string[];
}): boolean {
  switch (request.level) {
    case "PATIENT":
      return request.patientId !== undefined;
    case "STUDY":
      return request.studyInstanceUids.length > 0;
    case "SERIES":
      return request.seriesInstanceUids.length > 0;
    case "IMAGE":
      return request.sopInstanceUids.length > 0;
    default:
      return false;
  }
}

interface Counts {
  remaining: number;
  completed: number;
  failed: number;
  warning: number;
}

/**
 * Runs the sub-operations of a C-MOVE or C-GET: a pending response after each one with the
 * counts, then the final status that says whether anything failed and which instances did.
 */
async function runRetrieve(
  request: ServiceRequest,
  instances: RetrieveInstance[],
  send: SubOperationSender,
  deps: RetrieveDeps,
): Promise<Counts & { failedUids: string[]; cancelled: boolean }> {
  const counts = noneYet(instances.length);
  const failedUids: string[] = [];
  const pendings: Promise<void>[] = [];
  await send(
    archiveItems(deps.store, instances),
    (outcome) => {
      counts.remaining--;
      if (outcome.category === "success") counts.completed++;
      else if (outcome.category === "warning") counts.warning++;
      else {
        counts.failed++;
        failedUids.push(outcome.sopInstanceUid);
        request.log.warn(
          { uid: outcome.sopInstanceUid, status: outcome.status, error: outcome.error },
          "sub-operation failed",
        );
      }
      if (counts.remaining > 0)
        pendings.push(request.respond({ status: Status.Pending, ...subOperations(counts) }));
    },
    request.cancelled,
  );
  await Promise.all(pendings);
  return { ...counts, failedUids, cancelled: request.cancelled() && counts.remaining > 0 };
}

function subOperations(counts: Counts) {
  return {
    remainingSuboperations: counts.remaining,
    completedSuboperations: counts.completed,
    failedSuboperations: counts.failed,
    warningSuboperations: counts.warning,
  };
}

/** Final C-MOVE/C-GET response: success, B000 with the failed UIDs, A702 when all failed, or cancel. */
async function finishRetrieve(
  request: ServiceRequest,
  result: Counts & { failedUids: string[]; cancelled: boolean },
  transferSyntaxUid: string,
): Promise<void> {
  const failureList =
    result.failedUids.length > 0 || result.cancelled
      ? encodeDataset(
          [{ tag: tags.FailedSOPInstanceUIDList, vr: "UI", value: result.failedUids.join("\\") || null }],
          {
            transferSyntaxUid,
          },
        )
      : undefined;
  const counts = result.cancelled
    ? subOperations(result)
    : {
        completedSuboperations: result.completed,
        failedSuboperations: result.failed,
        warningSuboperations: result.warning,
      };
  let status: number = Status.Success;
  if (result.cancelled) status = Status.Cancel;
  else if (result.failed > 0 && result.completed + result.warning === 0)
    status = Status.MoveRefusedOutOfResourcesSubOperations;
  else if (result.failed > 0 || result.warning > 0) status = Status.SubOperationsCompleteWithFailures;
  await request.respond({ status, ...counts }, failureList);
}

/** Model check and identifier → instances; refusals become the C-MOVE/C-GET failure response. */
function resolveRetrieve(request: ServiceRequest, index: Index, operation: "MOVE" | "GET") {
  const { context, dataset } = request.message;
  const model = queryModelOf(context.abstractSyntax);
  if (!model || model.operation !== operation) {
    throw new IdentifierError(Status.SopClassNotSupported, `not a C-${operation} information model`);
  }
  const identifier = parseIdentifier(dataset, context.transferSyntax);
  return matchRetrieve(index, model.model, identifier);
}

export type SubOperationSender = (
  items: StoreItem[],
  onResult: (outcome: StoreOutcome) => void,
  cancelled: () => boolean,
) => Promise<void>;

/**
 * The whole of a C-MOVE or C-GET once its destination is settled: match the identifier, run the
 * sub-operations through `send` with a pending response after each, audit, and answer.
 */
export async function serveRetrieve(
  request: ServiceRequest,
  deps: RetrieveDeps,
  operation: "MOVE" | "GET",
  send: SubOperationSender,
  auditDetail: Record<string, unknown> = {},
): Promise<void> {
  let instances: RetrieveInstance[];
  try {
    instances = resolveRetrieve(request, deps.index, operation);
  } catch (err) {
    if (!(err instanceof IdentifierError || err instanceof QueryError)) throw err;
    await request.respond({ status: err.status, errorComment: err.message });
    return;
  }
  if (instances.length === 0) {
    await request.respond({ status: Status.Success, ...subOperations(noneYet(0)) });
    return;
  }
  const result = await runRetrieve(request, instances, send, deps);
  deps.index.audit.append({
    actorType: "ae",
    actor: request.association.info!.callingAeTitle,
    action: operation === "MOVE" ? "retrieve-move" : "retrieve-get",
    outcome: result.failed > 0 ? "failure" : "success",
    studyUid: instances[0]?.studyInstanceUid,
    detail: { ...auditDetail, completed: result.completed, failed: result.failed, warning: result.warning },
  });
  await finishRetrieve(request, result, request.message.context.transferSyntax);
}

function noneYet(remaining: number): Counts {
  return { remaining, completed: 0, failed: 0, warning: 0 };
}
