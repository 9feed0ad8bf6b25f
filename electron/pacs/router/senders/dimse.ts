import type { Logger } from "../../core/logger.js";
import type { ClientTls } from "../../tls/contexts.js";
import type { Association } from "../../dimse/association.js";
import { openAssociation } from "../../dimse/scu/client.js";
import { proposeForStore, storeItems } from "../../dimse/scu/store.js";
import { statusName } from "../../dimse/status.js";
import type { DimseDestination } from "../config.js";
import { type Copy, storeItemOf } from "../prepare.js";
import { type CopyOutcome, type Sender, Unreachable } from "./sender.js";

/** An association left open this long after its last batch is released. */
const IDLE_RELEASE_MS = 5_000;

/**
 * C-STORE to a DICOM peer through Hilum's SCU (TCP_NODELAY on), keeping the association open
 * between batches while its presentation contexts cover what comes next.
 */
export class DimseSender implements Sender {
  private association?: Association;
  private pairs = new Set<string>();
  private idle?: NodeJS.Timeout;

  constructor(
    private readonly destination: DimseDestination,
    private readonly callingAeTitle: string,
    private readonly log: Logger,
    private readonly tls?: ClientTls,
  ) {}

  async send(copies: Copy[]): Promise<CopyOutcome[]> {
    if (this.idle) clearTimeout(this.idle);
    const association = await this.associationFor(copies);
    const items = copies.map(storeItemOf);
    let outcomes;
    try {
      outcomes = await storeItems(association, items);
    } catch (err) {
      this.drop();
      throw new Unreachable(`association with ${this.destination.aeTitle} failed: ${(err as Error).message}`);
    }
    this.idle = setTimeout(() => void this.close(), IDLE_RELEASE_MS);
    this.idle.unref();
    return outcomes.map((o) => ({
      ok: o.category !== "failure",
      sentAs: o.sentAs,
      error: o.category === "failure" ? `${statusName(o.status)}${o.error ? `: ${o.error}` : ""}` : undefined,
    }));
  }

  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    const association = this.association;
    this.drop();
    await association?.release().catch(() => undefined);
  }

  private drop(): void {
    this.association = undefined;
    this.pairs = new Set();
  }

  private async associationFor(copies: Copy[]): Promise<Association> {
    const needed = copies.map((c) => `${c.sopClassUid}|${c.transferSyntaxUid}`);
    if (this.association?.state === "established" && needed.every((pair) => this.pairs.has(pair))) {
      return this.association;
    }
    await this.close();
    const { host, port, aeTitle } = this.destination;
    try {
      this.association = await openAssociation({ aeTitle, host, port }, proposeForStore(copies), {
        callingAeTitle: this.callingAeTitle,
        log: this.log,
        ...(this.tls ? { tls: this.tls } : {}),
      });
    } catch (err) {
      throw new Unreachable((err as Error).message);
    }
    this.pairs = new Set(needed);
    return this.association;
  }
}
