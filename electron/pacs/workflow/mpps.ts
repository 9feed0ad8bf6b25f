/**
 * Modality Performed Procedure Step SOP Class as SCP (PS3.4 Annex F): N-CREATE opens a step IN PROGRESS,
 * N-SET updates it until it is COMPLETED or DISCONTINUED, after which it may no longer change. Each step is
 * linked to the scheduled procedure it names (Scheduled Step Attributes Sequence), whose status follows it,
 * and lists the instances it produced, which the archive reports as they arrive.
 */
import type Database from "better-sqlite3";
import type { MppsItem } from "../../../shared/api/workflow.js";
import type { AuditLog } from "../db/audit.js";
import { type DataSet, DicomParseError, parseDataset } from "../dicom/dataset.js";
import type { ServiceHandler, ServiceRequest } from "../dimse/scp/service.js";
import { Status } from "../dimse/status.js";
import { T } from "./tags.js";
import { type WorklistStore, newUid } from "./worklist.js";

type PpsStatus = MppsItem["status"];
const STATUSES = new Set<string>(["IN PROGRESS", "COMPLETED", "DISCONTINUED"]);

class MppsRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const COLUMNS = `sop_instance_uid AS sopInstanceUid, status, worklist_fk AS worklistId,
  calling_ae_title AS callingAeTitle, station_ae_title AS stationAeTitle, modality, patient_id AS patientId,
  patient_name AS patientName, accession_number AS accessionNumber, study_instance_uid AS studyInstanceUid,
  description, started_at AS startedAt, ended_at AS endedAt,
  json_array_length(referenced_instances) AS referencedInstances,
  (SELECT count(*) FROM json_each(mpps.referenced_instances) r
   JOIN instances i ON i.sop_instance_uid = r.value) AS arrivedInstances,
  updated_at AS updatedAt`;

function dateTime(dataset: DataSet, dateTag: number, timeTag: number): string | null {
  const date = dataset.string(dateTag);
  if (!date) return null;
  return `${date}${dataset.string(timeTag) ?? ""}`;
}

/** SOP Instance UIDs of the Performed Series Sequence's Referenced Image Sequences. */
function referencedInstances(dataset: DataSet): string[] {
  return dataset
    .items(T.PerformedSeriesSequence)
    .flatMap((series) => series.items(T.ReferencedImageSequence))
    .map((image) => image.string(T.ReferencedSOPInstanceUID) ?? "")
    .filter((uid) => uid !== "");
}

function statusOf(dataset: DataSet, required: boolean): PpsStatus | undefined {
  const status = dataset.string(T.PerformedProcedureStepStatus);
  if (status === undefined || status === "") {
    if (!required) return undefined;
    throw new MppsRefusal(Status.MissingAttribute, "PerformedProcedureStepStatus (0040,0252) is missing");
  }
  if (!STATUSES.has(status)) {
    throw new MppsRefusal(
      Status.InvalidAttributeValue,
      `PerformedProcedureStepStatus "${status}" is not valid`,
    );
  }
  return status as PpsStatus;
}

export class MppsStore {
  constructor(private readonly db: Database.Database) {}

  get(sopInstanceUid: string): MppsItem | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM mpps WHERE sop_instance_uid = ?`).get(sopInstanceUid) as
      MppsItem | undefined;
  }

  list(limit = 500): MppsItem[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM mpps ORDER BY created_at DESC LIMIT ?`)
      .all(limit) as MppsItem[];
  }

  insert(row: Record<string, unknown>): void {
    this.db
      .prepare(
        `INSERT INTO mpps (sop_instance_uid, status, worklist_fk, calling_ae_title, station_ae_title, modality,
           patient_id, patient_name, accession_number, study_instance_uid, description, started_at, ended_at,
           referenced_instances, created_at, updated_at)
         VALUES (@sopInstanceUid, @status, @worklistId, @callingAeTitle, @stationAeTitle, @modality, @patientId,
           @patientName, @accessionNumber, @studyInstanceUid, @description, @startedAt, @endedAt,
           @referencedInstances, @now, @now)`,
      )
      .run(row);
  }

  update(sopInstanceUid: string, change: Record<string, unknown>): void {
    this.db
      .prepare(
        `UPDATE mpps SET status = coalesce(@status, status), ended_at = coalesce(@endedAt, ended_at),
           description = coalesce(@description, description),
           referenced_instances = CASE WHEN @referencedInstances IS NULL THEN referenced_instances
             ELSE (SELECT json_group_array(DISTINCT value) FROM
                    (SELECT value FROM json_each(mpps.referenced_instances)
                     UNION SELECT value FROM json_each(@referencedInstances))) END,
           updated_at = @now
         WHERE sop_instance_uid = @sopInstanceUid`,
      )
      .run({ sopInstanceUid, ...change });
  }
}

export interface MppsDeps {
  db: Database.Database;
  audit: AuditLog;
  worklist: WorklistStore;
  mpps: MppsStore;
}

function parse(request: ServiceRequest): DataSet {
  const { dataset, context } = request.message;
  if (!dataset) throw new MppsRefusal(Status.MissingAttribute, "the request has no attribute list");
  try {
    return parseDataset(dataset, { transferSyntaxUid: context.transferSyntax });
  } catch (err) {
    if (err instanceof DicomParseError) throw new MppsRefusal(Status.InvalidAttributeValue, err.message);
    throw err;
  }
}

/** Runs one N- operation, turning a refusal into its status and auditing either way. */
async function answer(
  deps: MppsDeps,
  request: ServiceRequest,
  action: string,
  run: () => { sopInstanceUid: string; detail: object },
): Promise<void> {
  const actor = request.association.info?.callingAeTitle ?? "";
  try {
    const { sopInstanceUid, detail } = deps.db.transaction(run).immediate();
    deps.audit.append({
      actorType: "ae",
      actor,
      action,
      outcome: "success",
      detail: { sopInstanceUid, ...detail },
    });
    await request.respond({ status: Status.Success, affectedSopInstanceUid: sopInstanceUid });
  } catch (err) {
    if (!(err instanceof MppsRefusal)) throw err;
    const sopInstanceUid =
      request.message.command.affectedSopInstanceUid ?? request.message.command.requestedSopInstanceUid;
    deps.audit.append({
      actorType: "ae",
      actor,
      action,
      outcome: "failure",
      detail: { sopInstanceUid, why: err.message },
    });
    await request.respond({
      status: err.status,
      errorComment: err.message,
      affectedSopInstanceUid: sopInstanceUid,
    });
  }
}

/** N-CREATE: a new step, IN PROGRESS, linked to its scheduled procedure (which becomes in progress). */
export function mppsCreateService(deps: MppsDeps): ServiceHandler {
  return {
    handle: (request) =>
      answer(deps, request, "mpps-create", () => {
        const sopInstanceUid = request.message.command.affectedSopInstanceUid || newUid();
        if (deps.mpps.get(sopInstanceUid)) {
          throw new MppsRefusal(Status.DuplicateSopInstance, `MPPS ${sopInstanceUid} already exists`);
        }
        const dataset = parse(request);
        const status = statusOf(dataset, true);
        if (status !== "IN PROGRESS") {
          throw new MppsRefusal(
            Status.InvalidAttributeValue,
            `a new MPPS must be IN PROGRESS, not ${status}`,
          );
        }
        const step = dataset.items(T.ScheduledStepAttributesSequence)[0];
        const scheduled = deps.worklist.findScheduled({
          accessionNumber: step?.string(T.AccessionNumber),
          requestedProcedureId: step?.string(T.RequestedProcedureID),
          scheduledProcedureStepId: step?.string(T.ScheduledProcedureStepID),
          studyInstanceUid: step?.string(T.StudyInstanceUID),
        });
        if (scheduled) deps.worklist.setStatus(scheduled.id, "in-progress");
        deps.mpps.insert({
          sopInstanceUid,
          status,
          worklistId: scheduled?.id ?? null,
          callingAeTitle: request.association.info?.callingAeTitle ?? "",
          stationAeTitle: dataset.string(T.PerformedStationAETitle) || null,
          modality: dataset.string(T.Modality) || null,
          patientId: dataset.string(T.PatientID) || null,
          patientName: dataset.string(T.PatientName) || null,
          accessionNumber: step?.string(T.AccessionNumber) || null,
          studyInstanceUid: step?.string(T.StudyInstanceUID) || null,
          description: dataset.string(T.PerformedProcedureStepDescription) || null,
          startedAt: dateTime(dataset, T.PerformedProcedureStepStartDate, T.PerformedProcedureStepStartTime),
          endedAt: null,
          referencedInstances: JSON.stringify(referencedInstances(dataset)),
          now: new Date().toISOString(),
        });
        return { sopInstanceUid, detail: { status, worklistId: scheduled?.id ?? null } };
      }),
  };
}

const WORKLIST_STATUS = { COMPLETED: "completed", DISCONTINUED: "discontinued" } as const;

/** N-SET: updates a step IN PROGRESS; COMPLETED or DISCONTINUED is final and carries over to the procedure. */
export function mppsSetService(deps: MppsDeps): ServiceHandler {
  return {
    handle: (request) =>
      answer(deps, request, "mpps-set", () => {
        const sopInstanceUid = request.message.command.requestedSopInstanceUid ?? "";
        const existing = deps.mpps.get(sopInstanceUid);
        if (!existing) throw new MppsRefusal(Status.NoSuchSopInstance, `no MPPS ${sopInstanceUid}`);
        if (existing.status !== "IN PROGRESS") {
          throw new MppsRefusal(
            Status.ProcessingFailure,
            `Performed Procedure Step Object may no longer be updated (${existing.status})`,
          );
        }
        const dataset = parse(request);
        const status = statusOf(dataset, false);
        const instances = referencedInstances(dataset);
        deps.mpps.update(sopInstanceUid, {
          status: status ?? null,
          endedAt: dateTime(dataset, T.PerformedProcedureStepEndDate, T.PerformedProcedureStepEndTime),
          description: dataset.string(T.PerformedProcedureStepDescription) || null,
          referencedInstances: instances.length > 0 ? JSON.stringify(instances) : null,
          now: new Date().toISOString(),
        });
        if (existing.worklistId !== null && (status === "COMPLETED" || status === "DISCONTINUED")) {
          deps.worklist.setStatus(existing.worklistId, WORKLIST_STATUS[status]);
        }
        return { sopInstanceUid, detail: { status: status ?? existing.status, instances: instances.length } };
      }),
  };
}
