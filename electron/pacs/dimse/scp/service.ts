import type { Logger } from "../../core/logger.js";
import type { Association, DataSink, InboundMessage } from "../association.js";
import { type Command, NO_DATASET } from "../command.js";
import type { PresentationContext } from "../context.js";

/** One inbound request as a service sees it. */
export interface ServiceRequest {
  association: Association;
  message: InboundMessage;
  log: Logger;
  /** True once the peer sent C-CANCEL-RQ for this request. */
  cancelled(): boolean;
  /** Sends a response on the request's presentation context. */
  respond(fields: ResponseFields, dataset?: Buffer): Promise<void>;
}

export type ResponseFields = Omit<Command, "commandField" | "commandDataSetType"> & { status: number };

export interface ServiceHandler {
  /** Streams the request's dataset somewhere other than memory (C-STORE). */
  sinkFor?(association: Association, context: PresentationContext, command: Command): DataSink | undefined;
  /** Handles the request and sends its final response. */
  handle(request: ServiceRequest): Promise<void>;
}

/** Builds the response command for a request: message ID, SOP class, data set type. */
export function responseCommand(
  request: Command,
  responseField: number,
  fields: ResponseFields,
  withDataset: boolean,
) {
  const command: Command = {
    commandField: responseField,
    commandDataSetType: withDataset ? 0x0000 : NO_DATASET,
    messageIdBeingRespondedTo: request.messageId ?? 0,
    ...fields,
  };
  if (command.affectedSopClassUid === undefined) {
    command.affectedSopClassUid = request.affectedSopClassUid ?? request.requestedSopClassUid;
  }
  if (command.errorComment !== undefined) command.errorComment = command.errorComment.slice(0, 64);
  delete command.messageId;
  return command;
}
