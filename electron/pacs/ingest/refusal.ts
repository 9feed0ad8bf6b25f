import { Status } from "../dimse/status.js";

/**
 * Why an object was not stored, as the DIMSE status and error comment the sender gets. The
 * comment travels as an LO (64 characters at most), so messages lead with what matters.
 */
export class IngestRefusal extends Error {
  override name = "IngestRefusal";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Maps a failure in persist/index to the status a sender can act on: full disk is "out of resources". */
export function refusalFor(err: unknown): IngestRefusal {
  if (err instanceof IngestRefusal) return err;
  const code = (err as { code?: string }).code;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "SQLITE_FULL") {
    return new IngestRefusal(Status.StoreRefusedOutOfResources, "archive storage is full");
  }
  return new IngestRefusal(Status.ProcessingFailure, `storing failed: ${(err as Error).message}`);
}
