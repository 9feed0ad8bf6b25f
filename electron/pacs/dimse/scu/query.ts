import { tagForKeyword, vrForTag } from "../../../../shared/dicom/dictionary.js";
import * as tags from "../../../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../../../shared/dicom/transfer-syntax.js";
import { type DataSet, parseDataset } from "../../dicom/dataset.js";
import { isAsciiText } from "../../dicom/charset.js";
import { type WritableElement, encodeDataset } from "../../dicom/writer.js";
import type { Association, DataSink } from "../association.js";
import { type Command, CommandField, Priority } from "../command.js";
import { findContext } from "../context.js";
import { type QueryModel, sopClassFor } from "../query-models.js";
import { Status } from "../status.js";
import type { ProposedContextSpec } from "./client.js";

export type Level = "PATIENT" | "STUDY" | "SERIES" | "IMAGE";

/** Query keys as a user writes them: keyword (or gggg,eeee) → value; an empty value asks for the attribute back. */
export type KeyValues = Record<string, string>;

const QUERY_SYNTAXES = [TransferSyntaxUid.ExplicitVRLittleEndian, TransferSyntaxUid.ImplicitVRLittleEndian];

export function proposeQuery(model: QueryModel, operation: "FIND" | "MOVE" | "GET"): ProposedContextSpec {
  return { abstractSyntax: sopClassFor(model, operation), transferSyntaxes: [...QUERY_SYNTAXES] };
}

export function parseTagName(name: string): number {
  const hex = /^\(?([0-9a-fA-F]{4}),?([0-9a-fA-F]{4})\)?$/.exec(name);
  if (hex) return parseInt(hex[1]! + hex[2]!, 16);
  const tag = tagForKeyword(name);
  if (tag === undefined) throw new Error(`unknown attribute ${name}`);
  return tag;
}

/** Encodes an identifier; non-ASCII values make it UTF-8 (ISO_IR 192). */
export function buildIdentifier(level: Level, keys: KeyValues, transferSyntaxUid: string): Buffer {
  const elements: WritableElement[] = [{ tag: tags.QueryRetrieveLevel, vr: "CS", value: level }];
  const utf8 = !Object.values(keys).every(isAsciiText);
  if (utf8) elements.push({ tag: tags.SpecificCharacterSet, vr: "CS", value: "ISO_IR 192" });
  for (const [name, value] of Object.entries(keys)) {
    const tag = parseTagName(name);
    const vr = vrForTag(tag);
    elements.push({ tag, vr, value: vr === "SQ" ? [] : value === "" ? null : value });
  }
  return encodeDataset(elements, { transferSyntaxUid, charset: utf8 ? "ISO_IR 192" : "ISO_IR 6" });
}

function contextFor(association: Association, model: QueryModel, operation: "FIND" | "MOVE" | "GET") {
  const context = findContext(association.info!, sopClassFor(model, operation));
  if (!context) throw new Error(`the peer did not accept ${model} ${operation}`);
  return context;
}

export interface FindResult {
  status: number;
  errorComment?: string;
  matches: DataSet[];
}

/** C-FIND: resolves with every match and the final status. */
export async function find(
  association: Association,
  model: QueryModel,
  level: Level,
  keys: KeyValues,
): Promise<FindResult> {
  const context = contextFor(association, model, "FIND");
  const matches: DataSet[] = [];
  const rsp = await association.request(
    context.id,
    {
      commandField: CommandField.CFindRq,
      commandDataSetType: 0,
      affectedSopClassUid: context.abstractSyntax,
      priority: Priority.Medium,
    },
    buildIdentifier(level, keys, context.transferSyntax),
    (pending) => {
      if (pending.dataset)
        matches.push(parseDataset(pending.dataset, { transferSyntaxUid: context.transferSyntax }));
    },
  );
  return { status: rsp.command.status ?? 0, errorComment: rsp.command.errorComment, matches };
}

export interface RetrieveProgress {
  remaining?: number;
  completed?: number;
  failed?: number;
  warning?: number;
}

export interface RetrieveResult extends RetrieveProgress {
  status: number;
  errorComment?: string;
  failedSopInstanceUids: string[];
}

function progressOf(command: Command): RetrieveProgress {
  return {
    remaining: command.remainingSuboperations,
    completed: command.completedSuboperations,
    failed: command.failedSuboperations,
    warning: command.warningSuboperations,
  };
}

function retrieveResult(
  message: { command: Command; dataset?: Buffer },
  transferSyntaxUid: string,
): RetrieveResult {
  const failedSopInstanceUids = message.dataset
    ? parseDataset(message.dataset, { transferSyntaxUid }).strings(tags.FailedSOPInstanceUIDList)
    : [];
  return {
    status: message.command.status ?? 0,
    errorComment: message.command.errorComment,
    ...progressOf(message.command),
    failedSopInstanceUids,
  };
}

/** C-MOVE: asks the peer to send what the keys name to `destination`; reports sub-operation counts. */
export async function move(
  association: Association,
  model: QueryModel,
  level: Level,
  keys: KeyValues,
  destination: string,
  onProgress?: (progress: RetrieveProgress) => void,
): Promise<RetrieveResult> {
  const context = contextFor(association, model, "MOVE");
  const rsp = await association.request(
    context.id,
    {
      commandField: CommandField.CMoveRq,
      commandDataSetType: 0,
      affectedSopClassUid: context.abstractSyntax,
      priority: Priority.Medium,
      moveDestination: destination,
    },
    buildIdentifier(level, keys, context.transferSyntax),
    (pending) => onProgress?.(progressOf(pending.command)),
  );
  return retrieveResult(rsp, context.transferSyntax);
}

/**
 * C-GET: the peer sends the instances back on this association. The association must have been
 * opened with storage contexts proposed in the SCP role, and with handlers that take the C-STOREs
 * (see `getHandlers`).
 */
export async function get(
  association: Association,
  model: QueryModel,
  level: Level,
  keys: KeyValues,
  onProgress?: (progress: RetrieveProgress) => void,
): Promise<RetrieveResult> {
  const context = contextFor(association, model, "GET");
  const rsp = await association.request(
    context.id,
    {
      commandField: CommandField.CGetRq,
      commandDataSetType: 0,
      affectedSopClassUid: context.abstractSyntax,
      priority: Priority.Medium,
    },
    buildIdentifier(level, keys, context.transferSyntax),
    (pending) => onProgress?.(progressOf(pending.command)),
  );
  return retrieveResult(rsp, context.transferSyntax);
}

/** Handlers for the C-STORE sub-operations of a C-GET: each instance goes to `accept`, which answers a status. */
export function getHandlers(
  association: () => Association,
  sinkFor: (command: Command, transferSyntaxUid: string) => DataSink,
  accept: (command: Command, sink: DataSink) => Promise<{ status: number; errorComment?: string }>,
) {
  return {
    sinkFor: (context: { transferSyntax: string }, command: Command) =>
      command.commandField === CommandField.CStoreRq ? sinkFor(command, context.transferSyntax) : undefined,
    onRequest: (message: { context: { id: number }; command: Command; sink?: DataSink }) => {
      const { command } = message;
      const reply = (status: number, errorComment?: string) =>
        association().send(message.context.id, {
          commandField: CommandField.CStoreRsp,
          commandDataSetType: 0x0101,
          messageIdBeingRespondedTo: command.messageId ?? 0,
          affectedSopClassUid: command.affectedSopClassUid,
          affectedSopInstanceUid: command.affectedSopInstanceUid,
          status,
          errorComment,
        });
      if (command.commandField !== CommandField.CStoreRq || !message.sink) {
        void reply(Status.UnrecognizedOperation).finally(() => association().requestFinished());
        return;
      }
      void accept(command, message.sink)
        .then((r) => reply(r.status, r.errorComment))
        .catch((err: Error) => reply(Status.ProcessingFailure, err.message))
        .finally(() => association().requestFinished());
    },
  };
}
