/**
 * DICOM Upper Layer PDUs (PS3.8 §9.3): pure encode/decode, strict about every length.
 * Anything malformed throws PduError with the A-ABORT reason the state machine should send.
 */

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PData: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

/** A-ABORT source 2 (service provider) reasons, PS3.8 Table 9-26. */
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;

/** A-ASSOCIATE-RJ result/source/reason, PS3.8 Table 9-21. */
export const RejectResult = { Permanent: 1, Transient: 2 } as const;
export const RejectSource = {
  ServiceUser: 1,
  ServiceProviderAcse: 2,
  ServiceProviderPresentation: 3,
} as const;
export const RejectReason = {
  NoReasonGiven: 1,
  ApplicationContextNotSupported: 2,
  CallingAeNotRecognized: 3,
  CalledAeNotRecognized: 7,
  /** Source 2 (ACSE). */
  ProtocolVersionNotSupported: 2,
  /** Source 3 (presentation). */
  TemporaryCongestion: 1,
  LocalLimitExceeded: 2,
} as const;

export const APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";

export class PduError extends Error {
  constructor(
    message: string,
    readonly reason: number = AbortReason.InvalidPduParameterValue,
  ) {
    super(message);
    this.name = "PduError";
  }
}

export interface RoleSelection {
  sopClassUid: string;
  scu: boolean;
  scp: boolean;
}

export interface UserInformation {
  maxPduLength: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
  maxOperationsInvoked?: number;
  maxOperationsPerformed?: number;
  roles: RoleSelection[];
  /** Sub-items Hilum does not interpret (extended negotiation, user identity), kept raw. */
  other: Array<{ type: number; data: Buffer }>;
}

export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

/** Presentation context result, PS3.8 Table 9-18. */
export const ContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

export interface AcceptedContext {
  id: number;
  result: number;
  transferSyntax: string;
}

export interface AssociateRq {
  type: typeof PduType.AssociateRq;
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  contexts: ProposedContext[];
  user: UserInformation;
}

export interface AssociateAc {
  type: typeof PduType.AssociateAc;
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  contexts: AcceptedContext[];
  user: UserInformation;
}

export interface AssociateRj {
  type: typeof PduType.AssociateRj;
  result: number;
  source: number;
  reason: number;
}

export interface Pdv {
  contextId: number;
  command: boolean;
  last: boolean;
  data: Buffer;
}

export interface PData {
  type: typeof PduType.PData;
  pdvs: Pdv[];
}

export interface ReleaseRq {
  type: typeof PduType.ReleaseRq;
}
export interface ReleaseRp {
  type: typeof PduType.ReleaseRp;
}
export interface Abort {
  type: typeof PduType.Abort;
  source: number;
  reason: number;
}

export type Pdu = AssociateRq | AssociateAc | AssociateRj | PData | ReleaseRq | ReleaseRp | Abort;

const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaxLength: 0x51,
  ImplementationClassUid: 0x52,
  AsyncOperationsWindow: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
} as const;

// ---------------------------------------------------------------- decoding

/** Decodes the body of one PDU (the 6-byte header already consumed and checked). */
export function decodePdu(type: number, body: Buffer): Pdu {
  switch (type) {
    case PduType.AssociateRq:
      return { type, ...decodeAssociate(body, ItemType.PresentationContextRq) } as AssociateRq;
    case PduType.AssociateAc:
      return { type, ...decodeAssociate(body, ItemType.PresentationContextAc) } as AssociateAc;
    case PduType.AssociateRj:
      expectLength(body, 4, "A-ASSOCIATE-RJ");
      return { type, result: body[1]!, source: body[2]!, reason: body[3]! };
    case PduType.PData:
      return { type, pdvs: decodePdvs(body) };
    case PduType.ReleaseRq:
      expectLength(body, 4, "A-RELEASE-RQ");
      return { type };
    case PduType.ReleaseRp:
      expectLength(body, 4, "A-RELEASE-RP");
      return { type };
    case PduType.Abort:
      expectLength(body, 4, "A-ABORT");
      return { type, source: body[2]!, reason: body[3]! };
    default:
      throw new PduError(`unrecognised PDU type 0x${type.toString(16)}`, AbortReason.UnrecognizedPdu);
  }
}

function expectLength(body: Buffer, length: number, name: string): void {
  if (body.length !== length) throw new PduError(`${name} has length ${body.length}, expected ${length}`);
}

interface Item {
  type: number;
  data: Buffer;
}

/** Splits a run of items (1-byte type, 1 reserved, 2-byte big-endian length). */
function items(buf: Buffer, where: string): Item[] {
  const out: Item[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new PduError(`truncated item header in ${where}`);
    const type = buf[pos]!;
    const length = buf.readUInt16BE(pos + 2);
    if (pos + 4 + length > buf.length) {
      throw new PduError(`item 0x${type.toString(16)} in ${where} claims ${length} bytes, beyond its PDU`);
    }
    out.push({ type, data: buf.subarray(pos + 4, pos + 4 + length) });
    pos += 4 + length;
  }
  return out;
}

/** AE titles: 16 bytes, space padded, printable ASCII only (PS3.5 AE VR). */
function decodeAeTitle(raw: Buffer, which: string): string {
  for (const byte of raw) {
    if (byte !== 0 && (byte < 0x20 || byte > 0x7e || byte === 0x5c)) {
      throw new PduError(`${which} AE title holds a non-printable byte 0x${byte.toString(16)}`);
    }
  }
  const title = raw.toString("latin1").replace(/\0/g, " ").trim();
  if (title.length === 0) throw new PduError(`${which} AE title is empty`);
  return title;
}

/** UIDs: digits and dots, ≤ 64 chars, optional trailing NUL/space padding. */
function decodeUid(raw: Buffer, what: string): string {
  const uid = raw.toString("latin1").replace(/[\0 ]+$/, "");
  if (!/^[0-9.]{1,64}$/.test(uid)) throw new PduError(`${what} is not a valid UID`);
  return uid;
}

function decodeAssociate(body: Buffer, contextItemType: number) {
  if (body.length < 68)
    throw new PduError(`A-ASSOCIATE PDU is ${body.length} bytes, shorter than its header`);
  const protocolVersion = body.readUInt16BE(0);
  const calledAeTitle = decodeAeTitle(body.subarray(4, 20), "called");
  const callingAeTitle = decodeAeTitle(body.subarray(20, 36), "calling");
  let applicationContext: string | undefined;
  let user: UserInformation | undefined;
  const contexts: Array<ProposedContext | AcceptedContext> = [];
  for (const item of items(body.subarray(68), "A-ASSOCIATE")) {
    if (item.type === ItemType.ApplicationContext) {
      applicationContext = decodeUid(item.data, "application context name");
    } else if (item.type === contextItemType) {
      contexts.push(
        contextItemType === ItemType.PresentationContextRq
          ? decodeProposedContext(item.data)
          : decodeAcceptedContext(item.data),
      );
    } else if (item.type === ItemType.UserInformation) {
      user = decodeUserInformation(item.data);
    } else {
      throw new PduError(
        `unexpected item 0x${item.type.toString(16)} in A-ASSOCIATE`,
        AbortReason.UnrecognizedPduParameter,
      );
    }
  }
  if (applicationContext === undefined) throw new PduError("A-ASSOCIATE has no application context item");
  if (user === undefined) throw new PduError("A-ASSOCIATE has no user information item");
  if (contexts.length === 0) throw new PduError("A-ASSOCIATE has no presentation context");
  return { protocolVersion, calledAeTitle, callingAeTitle, applicationContext, contexts, user };
}

function decodeProposedContext(data: Buffer): ProposedContext {
  if (data.length < 4) throw new PduError("presentation context item too short");
  const id = data[0]!;
  if (id % 2 === 0) throw new PduError(`presentation context ID ${id} is even`);
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  for (const sub of items(data.subarray(4), "presentation context")) {
    if (sub.type === ItemType.AbstractSyntax) abstractSyntax = decodeUid(sub.data, "abstract syntax");
    else if (sub.type === ItemType.TransferSyntax)
      transferSyntaxes.push(decodeUid(sub.data, "transfer syntax"));
    else throw new PduError(`unexpected sub-item 0x${sub.type.toString(16)} in presentation context`);
  }
  if (abstractSyntax === undefined) throw new PduError(`presentation context ${id} has no abstract syntax`);
  if (transferSyntaxes.length === 0) throw new PduError(`presentation context ${id} has no transfer syntax`);
  return { id, abstractSyntax, transferSyntaxes };
}

function decodeAcceptedContext(data: Buffer): AcceptedContext {
  if (data.length < 4) throw new PduError("presentation context item too short");
  const id = data[0]!;
  const result = data[2]!;
  let transferSyntax = "";
  for (const sub of items(data.subarray(4), "presentation context")) {
    if (sub.type !== ItemType.TransferSyntax) continue;
    transferSyntax = result === ContextResult.Acceptance ? decodeUid(sub.data, "transfer syntax") : "";
  }
  return { id, result, transferSyntax };
}

function decodeUserInformation(data: Buffer): UserInformation {
  const user: UserInformation = { maxPduLength: 0, roles: [], other: [] };
  let sawMaxLength = false;
  for (const sub of items(data, "user information")) {
    switch (sub.type) {
      case ItemType.MaxLength:
        if (sub.data.length !== 4) throw new PduError("maximum length sub-item is not 4 bytes");
        user.maxPduLength = sub.data.readUInt32BE(0);
        sawMaxLength = true;
        break;
      case ItemType.ImplementationClassUid:
        user.implementationClassUid = decodeUid(sub.data, "implementation class UID");
        break;
      case ItemType.ImplementationVersionName:
        user.implementationVersionName = sub.data.toString("latin1").trim();
        break;
      case ItemType.AsyncOperationsWindow:
        if (sub.data.length !== 4) throw new PduError("asynchronous operations window is not 4 bytes");
        user.maxOperationsInvoked = sub.data.readUInt16BE(0);
        user.maxOperationsPerformed = sub.data.readUInt16BE(2);
        break;
      case ItemType.RoleSelection:
        user.roles.push(decodeRole(sub.data));
        break;
      default:
        user.other.push({ type: sub.type, data: Buffer.from(sub.data) });
    }
  }
  if (!sawMaxLength) throw new PduError("user information has no maximum length sub-item");
  return user;
}

function decodeRole(data: Buffer): RoleSelection {
  if (data.length < 4) throw new PduError("role selection sub-item too short");
  const uidLength = data.readUInt16BE(0);
  if (2 + uidLength + 2 !== data.length) throw new PduError("role selection sub-item length mismatch");
  return {
    sopClassUid: decodeUid(data.subarray(2, 2 + uidLength), "role selection SOP class"),
    scu: data[2 + uidLength] === 1,
    scp: data[3 + uidLength] === 1,
  };
}

function decodePdvs(body: Buffer): Pdv[] {
  const pdvs: Pdv[] = [];
  let pos = 0;
  while (pos < body.length) {
    if (pos + 6 > body.length) throw new PduError("truncated PDV header");
    const length = body.readUInt32BE(pos);
    if (length < 2 || pos + 4 + length > body.length) {
      throw new PduError(`PDV claims ${length} bytes, beyond its P-DATA-TF`);
    }
    const control = body[pos + 5]!;
    pdvs.push({
      contextId: body[pos + 4]!,
      command: (control & 1) === 1,
      last: (control & 2) === 2,
      data: body.subarray(pos + 6, pos + 4 + length),
    });
    pos += 4 + length;
  }
  if (pdvs.length === 0) throw new PduError("P-DATA-TF without PDV");
  return pdvs;
}

// ---------------------------------------------------------------- encoding

function header(type: number, length: number): Buffer {
  const buf = Buffer.alloc(6);
  buf[0] = type;
  buf.writeUInt32BE(length, 2);
  return buf;
}

function item(type: number, data: Buffer): Buffer {
  if (data.length > 0xffff) throw new Error(`item 0x${type.toString(16)} too long`);
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(data.length, 2);
  return Buffer.concat([head, data]);
}

function ascii(text: string): Buffer {
  return Buffer.from(text, "latin1");
}

function aeField(title: string): Buffer {
  return ascii(title.padEnd(16, " ").slice(0, 16));
}

function encodeUser(user: UserInformation): Buffer {
  const max = Buffer.alloc(4);
  max.writeUInt32BE(user.maxPduLength, 0);
  const subs = [item(ItemType.MaxLength, max)];
  if (user.implementationClassUid)
    subs.push(item(ItemType.ImplementationClassUid, ascii(user.implementationClassUid)));
  if (user.maxOperationsInvoked !== undefined) {
    const window = Buffer.alloc(4);
    window.writeUInt16BE(user.maxOperationsInvoked, 0);
    window.writeUInt16BE(user.maxOperationsPerformed ?? 1, 2);
    subs.push(item(ItemType.AsyncOperationsWindow, window));
  }
  for (const role of user.roles) {
    const uid = ascii(role.sopClassUid);
    const data = Buffer.alloc(uid.length + 4);
    data.writeUInt16BE(uid.length, 0);
    uid.copy(data, 2);
    data[uid.length + 2] = role.scu ? 1 : 0;
    data[uid.length + 3] = role.scp ? 1 : 0;
    subs.push(item(ItemType.RoleSelection, data));
  }
  if (user.implementationVersionName) {
    subs.push(item(ItemType.ImplementationVersionName, ascii(user.implementationVersionName.slice(0, 16))));
  }
  for (const other of user.other) subs.push(item(other.type, other.data));
  return item(ItemType.UserInformation, Buffer.concat(subs));
}

function encodeAssociate(pdu: AssociateRq | AssociateAc): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(pdu.protocolVersion, 0);
  aeField(pdu.calledAeTitle).copy(fixed, 4);
  aeField(pdu.callingAeTitle).copy(fixed, 20);
  const parts = [fixed, item(ItemType.ApplicationContext, ascii(pdu.applicationContext))];
  if (pdu.type === PduType.AssociateRq) {
    for (const pc of pdu.contexts) {
      const subs = [item(ItemType.AbstractSyntax, ascii(pc.abstractSyntax))];
      for (const ts of pc.transferSyntaxes) subs.push(item(ItemType.TransferSyntax, ascii(ts)));
      parts.push(
        item(ItemType.PresentationContextRq, Buffer.concat([Buffer.from([pc.id, 0, 0, 0]), ...subs])),
      );
    }
  } else {
    for (const pc of pdu.contexts) {
      const ts = item(ItemType.TransferSyntax, ascii(pc.transferSyntax));
      parts.push(
        item(ItemType.PresentationContextAc, Buffer.concat([Buffer.from([pc.id, 0, pc.result, 0]), ts])),
      );
    }
  }
  parts.push(encodeUser(pdu.user));
  const body = Buffer.concat(parts);
  return Buffer.concat([header(pdu.type, body.length), body]);
}

export function encodePdu(pdu: Exclude<Pdu, PData>): Buffer {
  switch (pdu.type) {
    case PduType.AssociateRq:
    case PduType.AssociateAc:
      return encodeAssociate(pdu);
    case PduType.AssociateRj:
      return Buffer.concat([header(pdu.type, 4), Buffer.from([0, pdu.result, pdu.source, pdu.reason])]);
    case PduType.ReleaseRq:
    case PduType.ReleaseRp:
      return Buffer.concat([header(pdu.type, 4), Buffer.alloc(4)]);
    case PduType.Abort:
      return Buffer.concat([header(pdu.type, 4), Buffer.from([0, 0, pdu.source, pdu.reason])]);
  }
}

/** The 12-byte head of a P-DATA-TF carrying one PDV of `dataLength` bytes; the data follows it on the wire. */
export function pdataHeader(contextId: number, command: boolean, last: boolean, dataLength: number): Buffer {
  const buf = Buffer.alloc(12);
  buf[0] = PduType.PData;
  buf.writeUInt32BE(dataLength + 6, 2);
  buf.writeUInt32BE(dataLength + 2, 6);
  buf[10] = contextId;
  buf[11] = (command ? 1 : 0) | (last ? 2 : 0);
  return buf;
}
