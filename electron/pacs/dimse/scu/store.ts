import { TransferSyntaxUid } from "../../../../shared/dicom/transfer-syntax.js";
import { transcodeOffThread } from "../../codecs/transcode-pool.js";
import { TranscodeError, canTranscode } from "../../codecs/transcode.js";
import type { Association } from "../association.js";
import { CommandField, Priority } from "../command.js";
import type { PresentationContext } from "../context.js";
import { statusCategory } from "../status.js";
import type { Logger } from "../../core/logger.js";
import type { ClientTls } from "../../tls/contexts.js";
import { type PeerAddress, type ProposedContextSpec, openAssociation } from "./client.js";

/** One instance to send: what it is, and how to get its Part 10 bytes when its turn comes. */
export interface StoreItem {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** The Part 10 file (or a bare dataset, datasetOffset 0) holding the instance. */
  load(): Promise<{ bytes: Buffer; datasetOffset: number }>;
}

export interface StoreOutcome {
  sopInstanceUid: string;
  status: number;
  category: "success" | "warning" | "failure";
  /** The transfer syntax the instance went out in, when it was sent. */
  sentAs?: string;
  error?: string;
}

export interface StoreOptions {
  /** C-MOVE sub-operations name the originator. */
  moveOriginator?: { aeTitle: string; messageId: number };
  /** Only contexts on which the peer agreed to be the storage SCP (C-GET's returned C-STOREs). */
  reversedRole?: boolean;
  allowLossy?: boolean;
  onResult?: (outcome: StoreOutcome) => void;
  cancelled?: () => boolean;
}

const UNCOMPRESSED: string[] = [
  TransferSyntaxUid.ExplicitVRLittleEndian,
  TransferSyntaxUid.ImplicitVRLittleEndian,
];

/**
 * The contexts to propose for a set of instances: for each SOP class each stored transfer syntax in a
 * context of its own (uncompressed ones too: in a shared context the peer would pick its favourite, and
 * an implicit VR instance would be re-encoded for nothing, or fail where the codecs cannot), plus an
 * uncompressed fallback we can transcode to when the peer refuses those.
 */
export function proposeForStore(
  items: Iterable<{ sopClassUid: string; transferSyntaxUid: string }>,
): ProposedContextSpec[] {
  const byClass = new Map<string, Set<string>>();
  for (const item of items) {
    const set = byClass.get(item.sopClassUid) ?? new Set<string>();
    set.add(item.transferSyntaxUid);
    byClass.set(item.sopClassUid, set);
  }
  const specs: ProposedContextSpec[] = [];
  for (const [sopClass, syntaxes] of byClass) {
    for (const ts of syntaxes) specs.push({ abstractSyntax: sopClass, transferSyntaxes: [ts] });
    specs.push({ abstractSyntax: sopClass, transferSyntaxes: [...UNCOMPRESSED] });
  }
  if (specs.length > MAX_CONTEXTS)
    throw new Error(`${specs.length} presentation contexts needed; split the send`);
  return specs;
}

/** PS3.8 allows 128 presentation contexts (odd IDs 1–255) per association. */
const MAX_CONTEXTS = 128;

/** Splits items, in order, into groups whose proposals fit in one association each. */
export function groupsForAssociations<T extends { sopClassUid: string; transferSyntaxUid: string }>(
  items: T[],
): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let syntaxesByClass = new Map<string, Set<string>>();
  let contexts = 0;
  for (const item of items) {
    const known = syntaxesByClass.get(item.sopClassUid);
    const added = known ? (known.has(item.transferSyntaxUid) ? 0 : 1) : 2;
    if (contexts + added > MAX_CONTEXTS) {
      groups.push(group);
      group = [];
      syntaxesByClass = new Map();
      contexts = 0;
    }
    const syntaxes = syntaxesByClass.get(item.sopClassUid) ?? new Set<string>();
    contexts += syntaxes.size === 0 ? 2 : syntaxes.has(item.transferSyntaxUid) ? 0 : 1;
    syntaxes.add(item.transferSyntaxUid);
    syntaxesByClass.set(item.sopClassUid, syntaxes);
    group.push(item);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * Sends items to a peer over as many associations as their presentation contexts need. An
 * association that cannot be opened fails each of its items with the reason, so every item gets
 * exactly one outcome.
 */
export async function sendToPeer(
  peer: PeerAddress,
  items: StoreItem[],
  options: StoreOptions & { callingAeTitle: string; log?: Logger; tls?: ClientTls },
): Promise<StoreOutcome[]> {
  const outcomes: StoreOutcome[] = [];
  const report = (outcome: StoreOutcome) => {
    outcomes.push(outcome);
    options.onResult?.(outcome);
  };
  for (const group of groupsForAssociations(items)) {
    if (options.cancelled?.()) break;
    let association: Association;
    try {
      association = await openAssociation(peer, proposeForStore(group), {
        callingAeTitle: options.callingAeTitle,
        log: options.log,
        tls: options.tls,
      });
    } catch (err) {
      for (const item of group)
        report({
          sopInstanceUid: item.sopInstanceUid,
          status: 0xa702,
          category: "failure",
          error: (err as Error).message,
        });
      continue;
    }
    try {
      await storeItems(association, group, { ...options, onResult: report });
      await association.release();
    } catch (err) {
      association.abort();
      throw err;
    }
  }
  return outcomes;
}

/** Instances read (and transcoded, on the worker threads) ahead of the one being sent. */
const LOOKAHEAD = 2;

/** Sends instances one after another on an open association; the next ones are read while the current one is in flight. */
export async function storeItems(
  association: Association,
  items: StoreItem[],
  options: StoreOptions = {},
): Promise<StoreOutcome[]> {
  const outcomes: StoreOutcome[] = [];
  // Only the loads not yet sent are held, so memory stays at LOOKAHEAD + 1 instances.
  const loads = new Map<number, ReturnType<StoreItem["load"]>>();
  let started = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    for (; started < Math.min(i + 1 + LOOKAHEAD, items.length); started++) {
      const load = items[started]!.load();
      load.catch(() => undefined);
      loads.set(started, load);
    }
    const loaded = loads.get(i)!;
    loads.delete(i);
    if (options.cancelled?.()) break;
    const outcome = await storeOne(association, item, loaded, options);
    outcomes.push(outcome);
    options.onResult?.(outcome);
  }
  return outcomes;
}

async function storeOne(
  association: Association,
  item: StoreItem,
  loaded: Promise<{ bytes: Buffer; datasetOffset: number }>,
  options: StoreOptions,
): Promise<StoreOutcome> {
  const fail = (error: string): StoreOutcome => ({
    sopInstanceUid: item.sopInstanceUid,
    status: 0xa702,
    category: "failure",
    error,
  });
  const context = chooseContext(association, item, options);
  if (!context)
    return fail(`the peer accepted no presentation context for ${item.sopClassUid} that Hilum can send in`);
  let dataset: Buffer;
  try {
    const { bytes, datasetOffset } = await loaded;
    if (context.transferSyntax === item.transferSyntaxUid) {
      dataset = bytes.subarray(datasetOffset);
    } else {
      dataset = await transcodeOffThread(bytes, context.transferSyntax);
    }
  } catch (err) {
    if (err instanceof TranscodeError) return fail(err.message);
    return fail(`cannot read the instance: ${(err as Error).message}`);
  }
  const rsp = await association.request(
    context.id,
    {
      commandField: CommandField.CStoreRq,
      commandDataSetType: 0x0000,
      affectedSopClassUid: item.sopClassUid,
      affectedSopInstanceUid: item.sopInstanceUid,
      priority: Priority.Medium,
      moveOriginatorAeTitle: options.moveOriginator?.aeTitle,
      moveOriginatorMessageId: options.moveOriginator?.messageId,
    },
    dataset,
  );
  const status = rsp.command.status ?? 0;
  const category = statusCategory(status);
  return {
    sopInstanceUid: item.sopInstanceUid,
    status,
    category: category === "success" || category === "warning" ? category : "failure",
    sentAs: context.transferSyntax,
    error: rsp.command.errorComment,
  };
}

/** Prefers the stored transfer syntax; otherwise a syntax we can transcode to, lossless unless allowed. */
function chooseContext(
  association: Association,
  item: StoreItem,
  options: StoreOptions,
): PresentationContext | undefined {
  const candidates = [...association.info!.contexts.values()].filter(
    (pc) => pc.abstractSyntax === item.sopClassUid && (!options.reversedRole || pc.scpRole),
  );
  return (
    candidates.find((pc) => pc.transferSyntax === item.transferSyntaxUid) ??
    candidates.find((pc) => canTranscode(item.transferSyntaxUid, pc.transferSyntax, options.allowLossy))
  );
}
