/** C-FIND/C-MOVE/C-GET statuses, as DCMTK's dimse.h names them. */
export const DimseStatus = {
  /** STATUS_FIND_Failed_IdentifierDoesNotMatchSOPClass (same value for C-MOVE and C-GET). */
  IdentifierDoesNotMatchSOPClass: 0xa900,
  /** STATUS_FIND_Failed_UnableToProcess (0xCxxx; DCMTK answers 0xC000). */
  UnableToProcess: 0xc000,
  /** STATUS_FIND_Pending_WarningUnsupportedOptionalKeys: see unsupportedKeys(). */
  PendingWarningUnsupportedOptionalKeys: 0xff01,
} as const;

/** A request the index refuses; `status` is the DIMSE status the SCP answers with. */
export class QueryError extends Error {
  override readonly name = "QueryError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
