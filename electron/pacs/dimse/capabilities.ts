import { TRANSFER_SYNTAXES, TransferSyntaxUid } from "../../../shared/dicom/transfer-syntax.js";
import { STORAGE_SOP_CLASSES } from "../../../shared/dicom/uids.js";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "../core/implementation.js";
import type { AcceptorCapabilities } from "./negotiation.js";
import { QueryRetrieveSopClass } from "./query-models.js";
import { VERIFICATION_SOP_CLASS } from "./scu/echo.js";

/** Syntaxes for commands with small identifiers: explicit little endian first, as DCMTK prefers. */
const QUERY_SYNTAXES = [
  TransferSyntaxUid.ExplicitVRLittleEndian,
  TransferSyntaxUid.ImplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRBigEndian,
];

/** Every transfer syntax whose dataset layout we can parse: storage keeps whatever the sender chose among them. */
const STORAGE_SYNTAXES = TRANSFER_SYNTAXES.map((ts) => ts.uid);

export interface CapabilityOptions {
  aeTitle: string;
  checkCalledAeTitle: boolean;
  allowUnknownCallers: boolean;
  knownAeTitles: () => Iterable<string>;
  extraStorageSopClasses: readonly string[];
  maxPduLength: number;
  /** Further SOP classes served with the query syntaxes (worklist, MPPS, storage commitment). */
  serviceSopClasses?: readonly string[];
}

export function isStorageSopClass(uid: string, extra: readonly string[]): boolean {
  return STORAGE_SOP_CLASSES.has(uid) || extra.includes(uid);
}

/** What Hilum's SCP offers, as the conformance statement lists it. */
export function scpCapabilities(options: CapabilityOptions): AcceptorCapabilities {
  const qr = new Set<string>([...Object.values(QueryRetrieveSopClass), ...(options.serviceSopClasses ?? [])]);
  return {
    aeTitle: options.aeTitle,
    checkCalledAeTitle: options.checkCalledAeTitle,
    isCallerAllowed: (calling) =>
      options.allowUnknownCallers || new Set(options.knownAeTitles()).has(calling),
    transferSyntaxesFor(abstractSyntax) {
      if (abstractSyntax === VERIFICATION_SOP_CLASS || qr.has(abstractSyntax)) {
        return { order: "ours", syntaxes: QUERY_SYNTAXES };
      }
      if (isStorageSopClass(abstractSyntax, options.extraStorageSopClasses)) {
        return { order: "as-proposed", syntaxes: STORAGE_SYNTAXES };
      }
      return undefined;
    },
    acceptsReversedRole: (abstractSyntax) =>
      isStorageSopClass(abstractSyntax, options.extraStorageSopClasses),
    maxPduLength: options.maxPduLength,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
}
