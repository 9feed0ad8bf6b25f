import type { AssociationInfo, PresentationContext } from "./context.js";
import {
  APPLICATION_CONTEXT,
  type AcceptedContext,
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  ContextResult,
  PduType,
  RejectReason,
  RejectResult,
  RejectSource,
  type RoleSelection,
} from "./pdu.js";

/** What the acceptor supports: per abstract syntax, the transfer syntaxes it can take, best first. */
export interface AcceptorCapabilities {
  aeTitle: string;
  /** Refuse associations whose called AE title is not ours (reason 7). */
  checkCalledAeTitle: boolean;
  /** Refuse callers that are not in the allow-list (reason 3). */
  isCallerAllowed(callingAeTitle: string): boolean;
  /**
   * For an abstract syntax we serve: either "as-proposed" (take the first proposed syntax we know,
   * which is how storage keeps what the sender chose), or our own order of preference.
   */
  transferSyntaxesFor(
    abstractSyntax: string,
  ): { order: "as-proposed" | "ours"; syntaxes: readonly string[] } | undefined;
  /** Abstract syntaxes for which we accept the requestor acting as SCP (C-GET's returned C-STOREs). */
  acceptsReversedRole(abstractSyntax: string): boolean;
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string;
}

export type NegotiationResult =
  | { kind: "accept"; ac: AssociateAc; contexts: Map<number, PresentationContext> }
  | { kind: "reject"; rj: Omit<AssociateRj, "type">; why: string };

function reject(result: number, source: number, reason: number, why: string): NegotiationResult {
  return { kind: "reject", rj: { result, source, reason }, why };
}

export function negotiate(rq: AssociateRq, caps: AcceptorCapabilities): NegotiationResult {
  if ((rq.protocolVersion & 1) === 0) {
    return reject(
      RejectResult.Permanent,
      RejectSource.ServiceProviderAcse,
      RejectReason.ProtocolVersionNotSupported,
      `protocol version ${rq.protocolVersion} not supported`,
    );
  }
  if (rq.applicationContext !== APPLICATION_CONTEXT) {
    return reject(
      RejectResult.Permanent,
      RejectSource.ServiceUser,
      RejectReason.ApplicationContextNotSupported,
      `application context ${rq.applicationContext} not supported`,
    );
  }
  if (caps.checkCalledAeTitle && rq.calledAeTitle !== caps.aeTitle) {
    return reject(
      RejectResult.Permanent,
      RejectSource.ServiceUser,
      RejectReason.CalledAeNotRecognized,
      `called AE title ${rq.calledAeTitle} is not ${caps.aeTitle}`,
    );
  }
  if (!caps.isCallerAllowed(rq.callingAeTitle)) {
    return reject(
      RejectResult.Permanent,
      RejectSource.ServiceUser,
      RejectReason.CallingAeNotRecognized,
      `calling AE title ${rq.callingAeTitle} is not an allowed peer`,
    );
  }
  const roles = new Map(rq.user.roles.map((r) => [r.sopClassUid, r]));
  const accepted: AcceptedContext[] = [];
  const contexts = new Map<number, PresentationContext>();
  for (const pc of rq.contexts) {
    const choice = chooseTransferSyntax(pc.abstractSyntax, pc.transferSyntaxes, caps);
    accepted.push({ id: pc.id, result: choice.result, transferSyntax: choice.transferSyntax ?? "" });
    if (choice.transferSyntax === undefined) continue;
    const role = roles.get(pc.abstractSyntax);
    const reversed = role?.scp === true && caps.acceptsReversedRole(pc.abstractSyntax);
    contexts.set(pc.id, {
      id: pc.id,
      abstractSyntax: pc.abstractSyntax,
      transferSyntax: choice.transferSyntax,
      scuRole: role ? role.scu : true,
      scpRole: reversed,
    });
  }
  if (contexts.size === 0) {
    return reject(
      RejectResult.Permanent,
      RejectSource.ServiceUser,
      RejectReason.NoReasonGiven,
      "no proposed presentation context is supported",
    );
  }
  const ac: AssociateAc = {
    type: PduType.AssociateAc,
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContext: APPLICATION_CONTEXT,
    contexts: accepted,
    user: {
      maxPduLength: caps.maxPduLength,
      implementationClassUid: caps.implementationClassUid,
      implementationVersionName: caps.implementationVersionName,
      roles: acceptedRoles(rq.user.roles, caps),
      other: [],
    },
  };
  return { kind: "accept", ac, contexts };
}

function chooseTransferSyntax(
  abstractSyntax: string,
  proposed: string[],
  caps: AcceptorCapabilities,
): { result: number; transferSyntax?: string } {
  const supported = caps.transferSyntaxesFor(abstractSyntax);
  if (!supported) return { result: ContextResult.AbstractSyntaxNotSupported };
  const pick =
    supported.order === "as-proposed"
      ? proposed.find((ts) => supported.syntaxes.includes(ts))
      : supported.syntaxes.find((ts) => proposed.includes(ts));
  if (pick === undefined) return { result: ContextResult.TransferSyntaxesNotSupported };
  return { result: ContextResult.Acceptance, transferSyntax: pick };
}

/** Echoes the role selections we agree to (PS3.7 D.3.3.4); a role we refuse comes back as 0. */
function acceptedRoles(roles: RoleSelection[], caps: AcceptorCapabilities): RoleSelection[] {
  return roles.map((role) => ({
    sopClassUid: role.sopClassUid,
    scu: role.scu,
    scp: role.scp && caps.acceptsReversedRole(role.sopClassUid),
  }));
}

export function associationInfo(
  rq: AssociateRq,
  contexts: Map<number, PresentationContext>,
  remote: { address: string; port: number },
): AssociationInfo {
  return {
    callingAeTitle: rq.callingAeTitle,
    calledAeTitle: rq.calledAeTitle,
    remoteAddress: remote.address,
    remotePort: remote.port,
    peerMaxPduLength: rq.user.maxPduLength,
    peerImplementationClassUid: rq.user.implementationClassUid,
    peerImplementationVersionName: rq.user.implementationVersionName,
    contexts,
  };
}
