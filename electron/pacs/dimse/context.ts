/** A presentation context as negotiated: what one PDV context ID means on this association. */
export interface PresentationContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
  /** SCP/SCU role selection as agreed, for C-GET's reversed C-STOREs. */
  scuRole: boolean;
  scpRole: boolean;
}

export interface AssociationInfo {
  callingAeTitle: string;
  calledAeTitle: string;
  remoteAddress: string;
  remotePort: number;
  peerMaxPduLength: number;
  peerImplementationClassUid?: string;
  peerImplementationVersionName?: string;
  contexts: Map<number, PresentationContext>;
}

/** Finds the context for an abstract syntax, preferring one whose transfer syntax the caller likes. */
export function findContext(
  info: AssociationInfo,
  abstractSyntax: string,
  preferred?: (transferSyntax: string) => boolean,
): PresentationContext | undefined {
  const matching = [...info.contexts.values()].filter((pc) => pc.abstractSyntax === abstractSyntax);
  if (preferred) {
    const best = matching.find((pc) => preferred(pc.transferSyntax));
    if (best) return best;
  }
  return matching[0];
}
