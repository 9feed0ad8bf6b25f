import { connect as netConnect } from "node:net";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "../../core/implementation.js";
import { type Logger, silentLogger } from "../../core/logger.js";
import {
  Association,
  type AssociationHandlers,
  type AssociationLimits,
  type AssociationTimeouts,
  DEFAULT_LIMITS,
} from "../association.js";
import type { AssociationInfo, PresentationContext } from "../context.js";
import { APPLICATION_CONTEXT, type AssociateRq, ContextResult, PduType, type RoleSelection } from "../pdu.js";

export interface PeerAddress {
  aeTitle: string;
  host: string;
  port: number;
}

export interface ProposedContextSpec {
  abstractSyntax: string;
  transferSyntaxes: string[];
  /** Propose that we act as SCP for this SOP class (C-GET brings C-STOREs back to us). */
  scpRole?: boolean;
}

export interface ClientOptions {
  callingAeTitle: string;
  log?: Logger;
  limits?: AssociationLimits;
  timeouts?: Partial<AssociationTimeouts> & { connectMs?: number };
  handlers?: AssociationHandlers;
}

export class AssociationRejected extends Error {
  override name = "AssociationRejected";
  constructor(
    readonly result: number,
    readonly source: number,
    readonly reason: number,
  ) {
    super(
      `association rejected (${result === 1 ? "permanent" : "transient"}, source ${source}, ${rejectText(source, reason)})`,
    );
  }
}

function rejectText(source: number, reason: number): string {
  if (source === 1) {
    return (
      {
        1: "no reason given",
        2: "application context not supported",
        3: "calling AE title not recognized",
        7: "called AE title not recognized",
      }[reason] ?? `reason ${reason}`
    );
  }
  if (source === 2) return reason === 2 ? "protocol version not supported" : `reason ${reason}`;
  return { 1: "temporary congestion", 2: "local limit exceeded" }[reason] ?? `reason ${reason}`;
}

const DEFAULT_CLIENT_TIMEOUTS = { connectMs: 10_000, artimMs: 30_000, idleMs: 300_000 };

/** Opens an association to a peer as requestor; contexts get odd IDs in the order given. */
export async function openAssociation(
  peer: PeerAddress,
  proposed: ProposedContextSpec[],
  options: ClientOptions,
): Promise<Association> {
  if (proposed.length === 0 || proposed.length > 128)
    throw new Error("propose between 1 and 128 presentation contexts");
  const timeouts = { ...DEFAULT_CLIENT_TIMEOUTS, ...options.timeouts };
  const log = (options.log ?? silentLogger).child({ peer: `${peer.aeTitle}@${peer.host}:${peer.port}` });
  const socket = await connectSocket(peer, timeouts.connectMs);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const association = new Association(socket, "requestor", limits, timeouts, log);
  if (options.handlers) association.handlers = options.handlers;
  const rq = associateRq(peer, proposed, options.callingAeTitle, limits.maxPduLength);
  const answer = await association.requestAssociation(rq);
  if (answer.type === PduType.AssociateRj) {
    socket.destroy();
    throw new AssociationRejected(answer.result, answer.source, answer.reason);
  }
  const roles = new Map(answer.user.roles.map((r) => [r.sopClassUid, r]));
  const contexts = new Map<number, PresentationContext>();
  for (const pc of answer.contexts) {
    const asked = rq.contexts.find((c) => c.id === pc.id);
    if (!asked || pc.result !== ContextResult.Acceptance) continue;
    if (!asked.transferSyntaxes.includes(pc.transferSyntax)) continue;
    const spec = proposed[(pc.id - 1) / 2];
    const role = roles.get(asked.abstractSyntax);
    contexts.set(pc.id, {
      id: pc.id,
      abstractSyntax: asked.abstractSyntax,
      transferSyntax: pc.transferSyntax,
      scuRole: role ? role.scu : true,
      scpRole: spec?.scpRole === true && role?.scp === true,
    });
  }
  const info: AssociationInfo = {
    callingAeTitle: options.callingAeTitle,
    calledAeTitle: peer.aeTitle,
    remoteAddress: peer.host,
    remotePort: peer.port,
    peerMaxPduLength: answer.user.maxPduLength,
    peerImplementationClassUid: answer.user.implementationClassUid,
    peerImplementationVersionName: answer.user.implementationVersionName,
    contexts,
  };
  association.established(info);
  if (contexts.size === 0) {
    await association.release();
    throw new Error(`${peer.aeTitle} accepted none of the proposed presentation contexts`);
  }
  return association;
}

function associateRq(
  peer: PeerAddress,
  proposed: ProposedContextSpec[],
  callingAeTitle: string,
  maxPdu: number,
): AssociateRq {
  const roles: RoleSelection[] = [];
  for (const spec of proposed) {
    if (spec.scpRole && !roles.some((r) => r.sopClassUid === spec.abstractSyntax)) {
      roles.push({ sopClassUid: spec.abstractSyntax, scu: false, scp: true });
    }
  }
  return {
    type: PduType.AssociateRq,
    protocolVersion: 1,
    calledAeTitle: peer.aeTitle,
    callingAeTitle,
    applicationContext: APPLICATION_CONTEXT,
    contexts: proposed.map((spec, i) => ({
      id: i * 2 + 1,
      abstractSyntax: spec.abstractSyntax,
      transferSyntaxes: spec.transferSyntaxes,
    })),
    user: {
      maxPduLength: maxPdu,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
      roles,
      other: [],
    },
  };
}

function connectSocket(peer: PeerAddress, timeoutMs: number) {
  return new Promise<import("node:net").Socket>((resolve, reject) => {
    const socket = netConnect({ host: peer.host, port: peer.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${peer.host}:${peer.port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${peer.aeTitle} at ${peer.host}:${peer.port}: ${err.message}`));
    });
  });
}
