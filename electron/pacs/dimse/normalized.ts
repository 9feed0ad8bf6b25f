/**
 * DIMSE-N messages (PS3.7 §10) as Hilum uses them: N-CREATE, N-SET, N-ACTION and N-EVENT-REPORT, each a
 * request naming its SOP instance (Affected for N-CREATE and N-EVENT-REPORT, Requested for N-SET and
 * N-ACTION) and a response that names it back as Affected.
 */
import { type Command, CommandField, NO_DATASET } from "./command.js";

export type NormalizedOperation = "N-CREATE" | "N-SET" | "N-ACTION" | "N-EVENT-REPORT";

const FIELDS: Record<NormalizedOperation, number> = {
  "N-CREATE": CommandField.NCreateRq,
  "N-SET": CommandField.NSetRq,
  "N-ACTION": CommandField.NActionRq,
  "N-EVENT-REPORT": CommandField.NEventReportRq,
};

export interface NormalizedRequest {
  operation: NormalizedOperation;
  sopClassUid: string;
  /** N-CREATE may leave it out: the SCP then creates the instance's UID. */
  sopInstanceUid?: string;
  /** N-ACTION's Action Type ID, N-EVENT-REPORT's Event Type ID. */
  typeId?: number;
  withDataset: boolean;
}

/** The request command: which UID elements and type ID elements each operation carries. */
export function normalizedRequest(request: NormalizedRequest): Command {
  const { operation, sopClassUid, sopInstanceUid, typeId } = request;
  const command: Command = {
    commandField: FIELDS[operation],
    commandDataSetType: request.withDataset ? 0x0000 : NO_DATASET,
  };
  const requested = operation === "N-SET" || operation === "N-ACTION";
  if (requested) {
    command.requestedSopClassUid = sopClassUid;
    command.requestedSopInstanceUid = sopInstanceUid;
  } else {
    command.affectedSopClassUid = sopClassUid;
    command.affectedSopInstanceUid = sopInstanceUid;
  }
  if (operation === "N-ACTION") command.actionTypeId = typeId;
  if (operation === "N-EVENT-REPORT") command.eventTypeId = typeId;
  return command;
}

/** The SOP class and instance a received N- request is about, whichever elements carry them. */
export function addressedInstance(command: Command): { sopClassUid?: string; sopInstanceUid?: string } {
  return {
    sopClassUid: command.requestedSopClassUid ?? command.affectedSopClassUid,
    sopInstanceUid: command.requestedSopInstanceUid ?? command.affectedSopInstanceUid,
  };
}
