/**
 * DIMSE command sets (PS3.7 §6.3, §E): group 0000, always Implicit VR Little Endian.
 * Kept apart from the dataset codec because commands are tiny, fixed-vocabulary and on the hot path.
 */

export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  NEventReportRq: 0x0100,
  NEventReportRsp: 0x8100,
  NGetRq: 0x0110,
  NGetRsp: 0x8110,
  NSetRq: 0x0120,
  NSetRsp: 0x8120,
  NActionRq: 0x0130,
  NActionRsp: 0x8130,
  NCreateRq: 0x0140,
  NCreateRsp: 0x8140,
  NDeleteRq: 0x0150,
  NDeleteRsp: 0x8150,
  CCancelRq: 0x0fff,
} as const;

export const NO_DATASET = 0x0101;
export const Priority = { Medium: 0, High: 1, Low: 2 } as const;

type Vr = "UL" | "US" | "UI" | "AE" | "LO" | "AT";

/** The command elements Hilum reads and writes, keyed by their camel-case keyword. */
const ELEMENTS = {
  affectedSopClassUid: [0x0002, "UI"],
  requestedSopClassUid: [0x0003, "UI"],
  commandField: [0x0100, "US"],
  messageId: [0x0110, "US"],
  messageIdBeingRespondedTo: [0x0120, "US"],
  moveDestination: [0x0600, "AE"],
  priority: [0x0700, "US"],
  commandDataSetType: [0x0800, "US"],
  status: [0x0900, "US"],
  offendingElement: [0x0901, "AT"],
  errorComment: [0x0902, "LO"],
  errorId: [0x0903, "US"],
  affectedSopInstanceUid: [0x1000, "UI"],
  requestedSopInstanceUid: [0x1001, "UI"],
  eventTypeId: [0x1002, "US"],
  actionTypeId: [0x1008, "US"],
  remainingSuboperations: [0x1020, "US"],
  completedSuboperations: [0x1021, "US"],
  failedSuboperations: [0x1022, "US"],
  warningSuboperations: [0x1023, "US"],
  moveOriginatorAeTitle: [0x1030, "AE"],
  moveOriginatorMessageId: [0x1031, "US"],
} as const satisfies Record<string, readonly [number, Vr]>;

type Keyword = keyof typeof ELEMENTS;
type ValueOf<V extends Vr> = V extends "UI" | "AE" | "LO" ? string : V extends "AT" ? number[] : number;

export type Command = { commandField: number; commandDataSetType: number } & {
  -readonly [K in Keyword]?: ValueOf<(typeof ELEMENTS)[K][1]>;
};

const BY_ELEMENT = new Map<number, [Keyword, Vr]>(
  (Object.entries(ELEMENTS) as Array<[Keyword, readonly [number, Vr]]>).map(([k, [e, vr]]) => [e, [k, vr]]),
);

export class CommandError extends Error {
  override name = "CommandError";
}

export function hasDataset(command: Command): boolean {
  return command.commandDataSetType !== NO_DATASET;
}

export function decodeCommand(buf: Buffer): Command {
  const out: Record<string, unknown> = {};
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 8 > buf.length) throw new CommandError("truncated command element header");
    const group = buf.readUInt16LE(pos);
    const element = buf.readUInt16LE(pos + 2);
    const length = buf.readUInt32LE(pos + 4);
    pos += 8;
    if (group !== 0x0000) throw new CommandError(`command set holds group 0x${group.toString(16)}`);
    if (pos + length > buf.length) throw new CommandError(`command element (0000,${hex(element)}) overruns`);
    const known = BY_ELEMENT.get(element);
    if (known) out[known[0]] = decodeValue(buf.subarray(pos, pos + length), known[1]);
    pos += length;
  }
  if (typeof out.commandField !== "number") throw new CommandError("command set has no Command Field");
  if (typeof out.commandDataSetType !== "number") throw new CommandError("command set has no Data Set Type");
  return out as Command;
}

function decodeValue(value: Buffer, vr: Vr): string | number | number[] {
  switch (vr) {
    case "US":
      if (value.length < 2) throw new CommandError("US command element shorter than 2 bytes");
      return value.readUInt16LE(0);
    case "UL":
      if (value.length < 4) throw new CommandError("UL command element shorter than 4 bytes");
      return value.readUInt32LE(0);
    case "AT": {
      const tags: number[] = [];
      for (let i = 0; i + 4 <= value.length; i += 4)
        tags.push(value.readUInt16LE(i) * 0x10000 + value.readUInt16LE(i + 2));
      return tags;
    }
    default:
      return value
        .toString("latin1")
        .replace(/[\0 ]+$/, "")
        .trimStart();
  }
}

export function encodeCommand(command: Command): Buffer {
  const parts: Buffer[] = [];
  const keys = (Object.keys(command) as Keyword[])
    .filter((k) => command[k] !== undefined && k in ELEMENTS)
    .sort((a, b) => ELEMENTS[a][0] - ELEMENTS[b][0]);
  for (const key of keys) {
    const [element, vr] = ELEMENTS[key];
    parts.push(encodeElement(element, encodeValue(command[key]!, vr)));
  }
  const body = Buffer.concat(parts);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([encodeElement(0x0000, groupLength), body]);
}

function encodeElement(element: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0000, 0);
  head.writeUInt16LE(element, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

function encodeValue(value: string | number | number[], vr: Vr): Buffer {
  if (vr === "US") {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value as number, 0);
    return b;
  }
  if (vr === "UL") {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value as number, 0);
    return b;
  }
  if (vr === "AT") {
    const tags = value as number[];
    const b = Buffer.alloc(tags.length * 4);
    tags.forEach((tag, i) => {
      b.writeUInt16LE(Math.floor(tag / 0x10000), i * 4);
      b.writeUInt16LE(tag & 0xffff, i * 4 + 2);
    });
    return b;
  }
  const text = value as string;
  const pad = vr === "UI" ? "\0" : " ";
  return Buffer.from(text.length % 2 === 0 ? text : text + pad, "latin1");
}

function hex(n: number): string {
  return n.toString(16).padStart(4, "0").toUpperCase();
}

export function commandName(field: number): string {
  const entry = Object.entries(CommandField).find(([, value]) => value === field);
  return entry ? entry[0] : `0x${field.toString(16)}`;
}
