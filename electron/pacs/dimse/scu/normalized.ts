import type { Association } from "../association.js";
import { findContext } from "../context.js";
import { type NormalizedOperation, normalizedRequest } from "../normalized.js";

export interface NormalizedResult {
  status: number;
  errorComment?: string;
  /** The instance the SCP names in its response (the UID it created, for an N-CREATE without one). */
  affectedSopInstanceUid?: string;
  /** The response's data set, in the context's transfer syntax. */
  dataset?: Buffer;
  transferSyntaxUid: string;
}

export interface NormalizedCall {
  sopClassUid: string;
  sopInstanceUid?: string;
  typeId?: number;
  /** Encodes the request's data set once the transfer syntax of the context is known. */
  dataset?: (transferSyntaxUid: string) => Buffer;
}

/** Sends one DIMSE-N request on an open association and resolves with its response. */
export async function normalized(
  association: Association,
  operation: NormalizedOperation,
  call: NormalizedCall,
): Promise<NormalizedResult> {
  const context = findContext(association.info!, call.sopClassUid);
  if (!context) throw new Error(`the peer did not accept ${call.sopClassUid}`);
  const command = normalizedRequest({
    operation,
    sopClassUid: call.sopClassUid,
    sopInstanceUid: call.sopInstanceUid,
    typeId: call.typeId,
    withDataset: call.dataset !== undefined,
  });
  const rsp = await association.request(context.id, command, call.dataset?.(context.transferSyntax));
  return {
    status: rsp.command.status ?? 0,
    errorComment: rsp.command.errorComment,
    affectedSopInstanceUid: rsp.command.affectedSopInstanceUid,
    dataset: rsp.dataset,
    transferSyntaxUid: context.transferSyntax,
  };
}
