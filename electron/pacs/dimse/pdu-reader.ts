import { AbortReason, PduError, PduType } from "./pdu.js";

export interface PduFrame {
  type: number;
  body: Buffer;
}

/**
 * Cuts a TCP byte stream into PDUs. Chunks are kept in a list and joined once per PDU, so a
 * large PDU costs linear time; a PDU whose header claims more than the current limit is refused
 * from its 6-byte header alone, before any of its body is buffered.
 */
export class PduReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** `limitFor(type)` returns the largest body accepted for a PDU type right now. */
  constructor(private readonly limitFor: (type: number) => number) {}

  push(chunk: Buffer): PduFrame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: PduFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  private next(): PduFrame | undefined {
    if (this.buffered < 6) return undefined;
    const head = this.peek(6);
    const type = head[0]!;
    const length = head.readUInt32BE(2);
    if (type < PduType.AssociateRq || type > PduType.Abort) {
      throw new PduError(`unrecognised PDU type 0x${type.toString(16)}`, AbortReason.UnrecognizedPdu);
    }
    const limit = this.limitFor(type);
    if (length > limit) {
      throw new PduError(`PDU type ${type} claims ${length} bytes, above the limit of ${limit}`);
    }
    if (this.buffered < 6 + length) return undefined;
    const whole = this.take(6 + length);
    return { type, body: whole.subarray(6) };
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    return Buffer.concat(this.chunks, Math.min(this.buffered, Math.max(n, 64)));
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length === n) {
      this.chunks.shift();
      this.buffered -= n;
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const chunk = this.chunks[0]!;
      if (chunk.length <= need) {
        parts.push(chunk);
        this.chunks.shift();
        need -= chunk.length;
      } else {
        parts.push(chunk.subarray(0, need));
        this.chunks[0] = chunk.subarray(need);
        need = 0;
      }
    }
    this.buffered -= n;
    return Buffer.concat(parts, n);
  }
}
