import type { Copy } from "../prepare.js";

/** What became of one copy. */
export interface CopyOutcome {
  ok: boolean;
  /** The transfer syntax it went out in. */
  sentAs?: string;
  error?: string;
}

/**
 * Delivers prepared copies to one destination. `send` answers one outcome per copy, in order; it
 * throws only when the destination could not be reached at all (so a group can try another member).
 */
export interface Sender {
  send(copies: Copy[]): Promise<CopyOutcome[]>;
  close(): Promise<void>;
}

export class Unreachable extends Error {
  override name = "Unreachable";
}
