import { type Socket, isIP, connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
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
import type { ClientTls } from "../../tls/contexts.js";

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
  /** Connect over TLS (the peer's certificate is verified against the CAs, and its name against the host). */
  tls?: ClientTls;
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
  const { socket, tlsError } = await connectSocket(peer, timeouts.connectMs, options.tls);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const association = new Association(socket, "requestor", limits, timeouts, log);
  if (options.handlers) association.handlers = options.handlers;
  const rq = associateRq(peer, proposed, options.callingAeTitle, limits.maxPduLength);
  let answer;
  try {
    answer = await association.requestAssociation(rq);
  } catch (err) {
    // With TLS 1.3 the server checks our certificate after our side of the handshake is done: its refusal
    // arrives as an alert on the first read, which the association only sees as a closed connection.
    const refused = tlsError();
    if (refused)
      throw new Error(`TLS connection to ${describe(peer)} refused by the peer: ${tlsProblem(refused)}`);
    throw err;
  }
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

function describe(peer: PeerAddress): string {
  return `${peer.aeTitle} at ${peer.host}:${peer.port}`;
}

/**
 * A connected socket — with TLS, one whose handshake has finished and whose certificate chain and host name
 * checked out — and the first TLS error seen on it after that, if any.
 */
function connectSocket(peer: PeerAddress, timeoutMs: number, tls: ClientTls | undefined) {
  return new Promise<{ socket: Socket; tlsError: () => Error | undefined }>((resolve, reject) => {
    const socket = tls
      ? tlsConnect({
          host: peer.host,
          port: peer.port,
          secureContext: tls.secureContext,
          // SNI carries host names only; an IP address is checked against the certificate's IP SANs anyway.
          ...(isIP(peer.host) === 0 ? { servername: peer.host } : {}),
        })
      : netConnect({ host: peer.host, port: peer.port, noDelay: true });
    let connected = false;
    let lateError: Error | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      const what = tls && connected ? "the TLS handshake with" : "connecting to";
      reject(new Error(`${what} ${describe(peer)} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => (connected = true));
    socket.once(tls ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.on("error", (err) => (lateError ??= err));
      resolve({ socket, tlsError: () => (tls ? lateError : undefined) });
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      if (tls && connected)
        reject(new Error(`TLS handshake with ${describe(peer)} failed: ${tlsProblem(err)}`));
      else reject(new Error(`cannot connect to ${describe(peer)}: ${err.message}`));
    });
  });
}

/** OpenSSL's reason without its prefix, and what it usually means for the person running the SCU. */
function tlsProblem(err: Error): string {
  const { code, reason } = err as Error & { code?: string; reason?: unknown };
  const why = typeof reason === "string" && reason !== "" ? reason : err.message;
  if (/alert (certificate required|handshake failure)/.test(why))
    return `${why} (the peer wants our certificate)`;
  if (/alert (unknown ca|bad certificate|certificate unknown)/.test(why)) {
    return `${why} (the peer does not trust our certificate)`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return `${why} (the certificate is not for this host name or address)`;
  if (
    /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT(_LOCALLY)?))$/.test(
      code ?? "",
    )
  ) {
    return `${why} (we do not trust the peer's certificate: give the CA that signed it)`;
  }
  return why;
}
