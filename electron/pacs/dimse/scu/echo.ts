import type { Association } from "../association.js";
import { CommandField, NO_DATASET } from "../command.js";
import { findContext } from "../context.js";

export const VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1";

/** C-ECHO-RQ on an open association; resolves with the response status. */
export async function echo(association: Association): Promise<number> {
  const context = findContext(association.info!, VERIFICATION_SOP_CLASS);
  if (!context) throw new Error("the peer did not accept the Verification SOP Class");
  const rsp = await association.request(context.id, {
    commandField: CommandField.CEchoRq,
    commandDataSetType: NO_DATASET,
    affectedSopClassUid: VERIFICATION_SOP_CLASS,
  });
  return rsp.command.status ?? 0;
}
