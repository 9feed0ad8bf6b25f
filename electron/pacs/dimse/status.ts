/** DIMSE status codes (PS3.7 Annex C, PS3.4 Annexes B and C) as DCMTK names them. */
export const Status = {
  Success: 0x0000,
  Pending: 0xff00,
  PendingWithWarnings: 0xff01,
  Cancel: 0xfe00,

  /** General failures (PS3.7 C.4). */
  SopClassNotSupported: 0x0122,
  ProcessingFailure: 0x0110,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  NoSuchSopInstance: 0x0112,
  InvalidObjectInstance: 0x0117,
  NotAuthorized: 0x0124,

  /** DIMSE-N (PS3.7 C.4). */
  NoSuchAttribute: 0x0105,
  InvalidAttributeValue: 0x0106,
  AttributeListError: 0x0107,
  DuplicateSopInstance: 0x0111,
  NoSuchEventType: 0x0113,
  InvalidArgumentValue: 0x0115,
  NoSuchSopClass: 0x0118,
  ClassInstanceConflict: 0x0119,
  MissingAttribute: 0x0120,
  MissingAttributeValue: 0x0121,
  NoSuchAction: 0x0123,

  /** Storage (PS3.4 B.2.3). */
  StoreRefusedOutOfResources: 0xa700,
  StoreErrorDataSetDoesNotMatchSopClass: 0xa900,
  StoreErrorCannotUnderstand: 0xc000,
  /** Hilum's refinements within the "Cannot understand" range, each with an error comment. */
  StoreErrorMissingSopInstanceUid: 0xc001,
  StoreErrorUidMismatch: 0xc002,
  StoreErrorDuplicateRefused: 0xc003,
  StoreWarningCoercion: 0xb000,
  StoreWarningElementsDiscarded: 0xb007,

  /** Query/Retrieve (PS3.4 C.4). */
  FindRefusedOutOfResources: 0xa700,
  FindIdentifierDoesNotMatchSopClass: 0xa900,
  FindUnableToProcess: 0xc000,
  MoveRefusedOutOfResourcesNumberOfMatches: 0xa701,
  MoveRefusedOutOfResourcesSubOperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  MoveIdentifierDoesNotMatchSopClass: 0xa900,
  MoveUnableToProcess: 0xc000,
  SubOperationsCompleteWithFailures: 0xb000,
} as const;

const NAMES = new Map<number, string>([
  [0x0000, "Success"],
  [0xff00, "Pending"],
  [0xff01, "Pending (warnings)"],
  [0xfe00, "Cancel"],
  [0x0122, "SOP class not supported"],
  [0x0110, "Processing failure"],
  [0x0112, "No such SOP instance"],
  [0x0117, "Invalid object instance"],
  [0x0124, "Not authorized"],
  [0x0105, "No such attribute"],
  [0x0106, "Invalid attribute value"],
  [0x0107, "Attribute list error"],
  [0x0111, "Duplicate SOP instance"],
  [0x0113, "No such event type"],
  [0x0115, "Invalid argument value"],
  [0x0118, "No such SOP class"],
  [0x0119, "Class-instance conflict"],
  [0x0120, "Missing attribute"],
  [0x0121, "Missing attribute value"],
  [0x0123, "No such action"],
  [0x0210, "Duplicate invocation"],
  [0x0211, "Unrecognized operation"],
  [0x0212, "Mistyped argument"],
  [0xa700, "Refused: out of resources"],
  [0xa701, "Refused: out of resources (number of matches)"],
  [0xa702, "Refused: out of resources (sub-operations)"],
  [0xa801, "Refused: move destination unknown"],
  [0xa900, "Error: data set does not match SOP class"],
  [0xb000, "Warning"],
  [0xb007, "Warning: elements discarded"],
  [0xc000, "Error: cannot understand"],
  [0xc001, "Error: cannot understand (no SOP Instance UID)"],
  [0xc002, "Error: cannot understand (UIDs disagree with the command)"],
  [0xc003, "Error: duplicate SOP instance refused"],
]);

export function statusName(status: number): string {
  return NAMES.get(status) ?? `0x${status.toString(16).padStart(4, "0")}`;
}

export type StatusCategory = "success" | "pending" | "cancel" | "warning" | "failure";

export function statusCategory(status: number): StatusCategory {
  if (status === 0x0000) return "success";
  if (status === 0xff00 || status === 0xff01) return "pending";
  if (status === 0xfe00) return "cancel";
  if (status === 0x0001 || (status & 0xf000) === 0xb000 || status === 0x0107 || status === 0x0116)
    return "warning";
  return "failure";
}
