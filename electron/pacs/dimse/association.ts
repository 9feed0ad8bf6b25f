import type { Socket } from "node:net";
import type { Logger } from "../core/logger.js";
import {
  type Command,
  CommandError,
  CommandField,
  decodeCommand,
  encodeCommand,
  hasDataset,
} from "./command.js";
import type { AssociationInfo, PresentationContext } from "./context.js";
import {
  type Abort,
  AbortReason,
  AbortSource,
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  type Pdu,
  PduError,
  PduType,
  type Pdv,
  decodePdu,
  encodePdu,
  pdataHeader,
} from "./pdu.js";
import { PduReader } from "./pdu-reader.js";
import { statusCategory } from "./status.js";

export interface AssociationLimits {
  /** Largest P-DATA-TF body we accept; announced to the peer as Maximum Length Received. */
  maxPduLength: number;
  /** Largest A-ASSOCIATE-RQ/AC body; real ones are a few KiB. */
  maxAssociateLength: number;
  /** Largest command set and largest non-streamed dataset (C-FIND identifiers and the like). */
  maxCommandLength: number;
  maxBufferedDataset: number;
}

export const DEFAULT_LIMITS: AssociationLimits = {
  maxPduLength: 262_144,
  maxAssociateLength: 65_536,
  maxCommandLength: 65_536,
  maxBufferedDataset: 16 * 1024 * 1024,
};

/** Bytes of outbound P-DATA handed to the socket in one corked write before waiting for it to drain. */
const WRITE_BATCH = 1024 * 1024;

export interface AssociationTimeouts {
  /** ARTIM (PS3.8 §9.1.5): for the A-ASSOCIATE-RQ/AC to arrive and for the peer to close after a release or reject. */
  artimMs: number;
  /** An established association with no traffic and no operation in flight is aborted after this. */
  idleMs: number;
}

/** Where an inbound message's dataset goes while it arrives. A returned promise pauses the socket. */
export interface DataSink {
  write(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
  abort(reason: Error): void;
}

export interface InboundMessage {
  context: PresentationContext;
  command: Command;
  /** The dataset when it was buffered (no sink), undefined when there is none or a sink took it. */
  dataset?: Buffer;
  /** What the sink produced, for sinks created by `sinkFor`. */
  sink?: DataSink;
}

export interface AssociationHandlers {
  /** Chooses a streaming sink for a request's dataset; undefined buffers it (bounded). */
  sinkFor?(context: PresentationContext, command: Command): DataSink | undefined;
  /** A complete inbound request (commands below 0x8000, and C-CANCEL). */
  onRequest?(message: InboundMessage): void;
  /** The peer asked to release; resolve when outstanding work is done. */
  onReleaseRequested?(): Promise<void>;
}

/** A dataset to send: a buffer, or chunks (of any size) produced as they are read. */
export type OutboundData = Buffer | AsyncIterable<Buffer>;

interface PendingRequest {
  onResponse(message: InboundMessage): void;
  resolve(message: InboundMessage): void;
  reject(error: Error): void;
}

export class AssociationAborted extends Error {
  override name = "AssociationAborted";
}

type State = "awaiting-rq" | "awaiting-ac" | "established" | "releasing" | "closed";

interface PartialMessage {
  context: PresentationContext;
  commandChunks: Buffer[];
  commandLength: number;
  command?: Command;
  sink?: DataSink;
  dataChunks: Buffer[];
  dataLength: number;
}

/**
 * One DICOM association over one socket, for either role: PDU framing with limits, the
 * association state machine's timers, PDV reassembly, request/response correlation and
 * fragmentation of outbound messages. Negotiation policy lives with the caller.
 */
export class Association {
  state: State;
  info?: AssociationInfo;
  handlers: AssociationHandlers = {};
  readonly closed: Promise<void>;

  private readonly reader: PduReader;
  private frames: Array<{ type: number; body: Buffer }> = [];
  private pumping = false;
  private partial?: PartialMessage;
  private pending = new Map<number, PendingRequest>();
  private nextMessageId = 1;
  private sendChain: Promise<void> = Promise.resolve();
  private artim?: NodeJS.Timeout;
  private idle?: NodeJS.Timeout;
  private inFlight = 0;
  private associateWaiter?: { resolve(pdu: AssociateAc | AssociateRj): void; reject(e: Error): void };
  private releaseWaiter?: () => void;
  private onAssociateRq?: (rq: AssociateRq) => void;
  private markClosed!: () => void;

  constructor(
    readonly socket: Socket,
    readonly role: "acceptor" | "requestor",
    readonly limits: AssociationLimits,
    readonly timeouts: AssociationTimeouts,
    readonly log: Logger,
  ) {
    this.state = role === "acceptor" ? "awaiting-rq" : "awaiting-ac";
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    this.reader = new PduReader((type) => this.limitFor(type));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
    socket.on("close", () => this.onClose());
    if (role === "acceptor") this.startArtim("no A-ASSOCIATE-RQ");
  }

  // ---------------------------------------------------------------- negotiation

  /** Acceptor: called once with the peer's A-ASSOCIATE-RQ. */
  whenAssociateRequested(callback: (rq: AssociateRq) => void): void {
    this.onAssociateRq = callback;
  }

  accept(ac: AssociateAc, info: AssociationInfo): void {
    this.clearArtim();
    this.info = info;
    this.state = "established";
    this.write(encodePdu(ac));
    this.touch();
  }

  reject(rj: Omit<AssociateRj, "type">): void {
    this.write(encodePdu({ type: PduType.AssociateRj, ...rj }));
    this.state = "releasing";
    this.socket.end();
    this.startArtim("peer did not close after A-ASSOCIATE-RJ");
  }

  /** Requestor: sends the A-ASSOCIATE-RQ and waits for AC or RJ under ARTIM. */
  requestAssociation(rq: AssociateRq): Promise<AssociateAc | AssociateRj> {
    return new Promise((resolve, reject) => {
      this.associateWaiter = { resolve, reject };
      this.startArtim("no A-ASSOCIATE-AC/RJ");
      this.write(encodePdu(rq));
    });
  }

  /** Requestor: the A-ASSOCIATE-AC arrived and the caller worked out what was agreed. */
  established(info: AssociationInfo): void {
    this.clearArtim();
    this.info = info;
    this.state = "established";
    this.touch();
  }

  // ---------------------------------------------------------------- sending

  newMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId % 0xffff) + 1;
    return id;
  }

  /** Sends a request and resolves with its final (non-pending) response; pending ones go to `onPending`. */
  request(
    contextId: number,
    command: Command,
    data?: OutboundData,
    onPending?: (message: InboundMessage) => void,
  ): Promise<InboundMessage> {
    const messageId = command.messageId ?? this.newMessageId();
    command.messageId = messageId;
    const done = new Promise<InboundMessage>((resolve, reject) => {
      this.pending.set(messageId, {
        resolve,
        reject,
        onResponse: (m) => onPending?.(m),
      });
    });
    this.inFlight++;
    const sent = this.send(contextId, command, data).catch((err: Error) => {
      this.pending.get(messageId)?.reject(err);
      this.pending.delete(messageId);
    });
    return Promise.all([sent, done])
      .then(([, rsp]) => rsp)
      .finally(() => {
        this.inFlight--;
        this.touch();
      });
  }

  /** Sends one message (command, then dataset), never interleaved with another. */
  send(contextId: number, command: Command, data?: OutboundData): Promise<void> {
    const next = this.sendChain.then(() => this.transmit(contextId, command, data));
    this.sendChain = next.catch(() => undefined);
    return next;
  }

  private async transmit(contextId: number, command: Command, data?: OutboundData): Promise<void> {
    if (this.state !== "established") throw new AssociationAborted(`association is ${this.state}`);
    const fragment = this.fragmentSize();
    const encoded = encodeCommand(command);
    await this.writePdvs(contextId, true, encoded, fragment, true);
    if (data === undefined) return;
    if (Buffer.isBuffer(data)) {
      await this.writePdvs(contextId, false, data, fragment, true);
      return;
    }
    let carry: Buffer | undefined;
    for await (const chunk of data) {
      if (carry) await this.writePdvs(contextId, false, carry, fragment, false);
      carry = chunk;
    }
    await this.writePdvs(contextId, false, carry ?? Buffer.alloc(0), fragment, true);
  }

  private fragmentSize(): number {
    const peerMax = this.info?.peerMaxPduLength ?? 0;
    const max = peerMax === 0 || peerMax > 4_194_304 ? 4_194_304 : peerMax;
    return Math.max(max - 6, 1);
  }

  private async writePdvs(
    contextId: number,
    command: boolean,
    data: Buffer,
    fragment: number,
    lastChunk: boolean,
  ) {
    if (this.state !== "established" && this.state !== "releasing") {
      throw new AssociationAborted(`association is ${this.state}`);
    }
    // Up to WRITE_BATCH bytes of PDUs go out in one writev: a peer with 16 KB PDUs would otherwise cost a
    // system call per PDU.
    let offset = 0;
    do {
      const stop = Math.min(offset + WRITE_BATCH, data.length);
      let ok = true;
      this.socket.cork();
      do {
        const end = Math.min(offset + fragment, data.length);
        const last = lastChunk && end === data.length;
        this.socket.write(pdataHeader(contextId, command, last, end - offset));
        ok = this.socket.write(data.subarray(offset, end));
        offset = end;
      } while (offset < stop);
      this.socket.uncork();
      if (!ok) await this.drained();
    } while (offset < data.length);
    this.touch();
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.socket.off("close", onClose);
        resolve();
      };
      const onClose = () => {
        this.socket.off("drain", onDrain);
        reject(new AssociationAborted("connection closed while sending"));
      };
      this.socket.once("drain", onDrain);
      this.socket.once("close", onClose);
    });
  }

  // ---------------------------------------------------------------- release and abort

  /** Requestor: A-RELEASE-RQ, wait for RP, close. */
  async release(): Promise<void> {
    if (this.state !== "established") return;
    await this.sendChain;
    const answered = new Promise<void>((resolve) => (this.releaseWaiter = resolve));
    this.state = "releasing";
    this.write(encodePdu({ type: PduType.ReleaseRq }));
    this.startArtim("no A-RELEASE-RP");
    await Promise.race([answered, this.closed]);
    this.socket.end();
    await this.closed;
  }

  abort(reason: number = AbortReason.NotSpecified, source: number = AbortSource.ServiceProvider): void {
    if (this.state === "closed") return;
    this.log.debug({ reason, source }, "sending A-ABORT");
    this.write(encodePdu({ type: PduType.Abort, source, reason }));
    this.shutdown(new AssociationAborted("association aborted locally"));
  }

  private shutdown(error: Error): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.clearArtim();
    if (this.idle) clearTimeout(this.idle);
    this.partial?.sink?.abort(error);
    this.partial = undefined;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.associateWaiter?.reject(error);
    this.associateWaiter = undefined;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  private onClose(): void {
    if (this.state !== "closed") {
      const expected = this.state === "releasing";
      this.shutdown(new AssociationAborted(expected ? "association released" : "connection closed by peer"));
    }
    this.clearArtim();
    if (this.idle) clearTimeout(this.idle);
    this.markClosed();
  }

  // ---------------------------------------------------------------- receiving

  private limitFor(type: number): number {
    if (type === PduType.AssociateRq || type === PduType.AssociateAc) return this.limits.maxAssociateLength;
    if (type === PduType.PData) return this.limits.maxPduLength;
    return 64;
  }

  private onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    try {
      for (const frame of this.reader.push(chunk)) this.frames.push(frame);
    } catch (err) {
      this.protocolError(err as Error);
      return;
    }
    void this.pump();
  }

  /** Handles frames one at a time; while a sink is slow the socket is paused. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.frames.length > 0 && this.state !== "closed") {
        const frame = this.frames.shift()!;
        const pending = this.handleFrame(frame);
        if (pending) {
          this.socket.pause();
          await pending;
          this.socket.resume();
        }
      }
    } catch (err) {
      this.protocolError(err as Error);
    } finally {
      this.pumping = false;
    }
  }

  private protocolError(err: Error): void {
    const reason = err instanceof PduError ? err.reason : AbortReason.InvalidPduParameterValue;
    this.log.warn({ err: err.message, state: this.state }, "protocol error, aborting association");
    this.abort(reason);
  }

  private handleFrame(frame: { type: number; body: Buffer }): Promise<void> | undefined {
    const pdu = decodePdu(frame.type, frame.body);
    this.touch();
    switch (pdu.type) {
      case PduType.AssociateRq:
        if (this.state !== "awaiting-rq" || !this.onAssociateRq) throw unexpected(pdu);
        this.clearArtim();
        this.onAssociateRq(pdu);
        return undefined;
      case PduType.AssociateAc:
      case PduType.AssociateRj:
        if (this.state !== "awaiting-ac" || !this.associateWaiter) throw unexpected(pdu);
        this.clearArtim();
        this.associateWaiter.resolve(pdu);
        this.associateWaiter = undefined;
        return undefined;
      case PduType.PData:
        if (this.state !== "established" && this.state !== "releasing") throw unexpected(pdu);
        return this.handlePdvs(pdu.pdvs);
      case PduType.ReleaseRq:
        if (this.state !== "established") throw unexpected(pdu);
        return this.handleReleaseRq();
      case PduType.ReleaseRp:
        if (this.state !== "releasing" || !this.releaseWaiter) throw unexpected(pdu);
        this.releaseWaiter();
        return undefined;
      case PduType.Abort:
        this.onPeerAbort(pdu);
        return undefined;
    }
  }

  private onPeerAbort(pdu: Abort): void {
    this.log.debug({ source: pdu.source, reason: pdu.reason }, "peer sent A-ABORT");
    this.shutdown(new AssociationAborted(`peer aborted (source ${pdu.source}, reason ${pdu.reason})`));
    this.socket.destroy();
  }

  private async handleReleaseRq(): Promise<void> {
    this.state = "releasing";
    await this.handlers.onReleaseRequested?.();
    await this.sendChain;
    if ((this.state as State) === "closed") return;
    this.write(encodePdu({ type: PduType.ReleaseRp }));
    this.socket.end();
    this.startArtim("peer did not close after A-RELEASE-RP");
  }

  private async handlePdvs(pdvs: Pdv[]): Promise<void> {
    for (const pdv of pdvs) {
      const pending = this.handlePdv(pdv);
      if (pending) await pending;
    }
  }

  private handlePdv(pdv: Pdv): Promise<void> | undefined {
    const context = this.info?.contexts.get(pdv.contextId);
    if (!context) throw new PduError(`PDV on presentation context ${pdv.contextId}, which was not accepted`);
    const partial = this.partial ?? this.startMessage(context, pdv);
    if (partial.context.id !== context.id) {
      throw new PduError(`PDV on context ${context.id} interleaved with a message on ${partial.context.id}`);
    }
    return pdv.command ? this.commandFragment(partial, pdv) : this.dataFragment(partial, pdv);
  }

  private startMessage(context: PresentationContext, pdv: Pdv): PartialMessage {
    if (!pdv.command)
      throw new PduError("dataset fragment before any command", AbortReason.UnexpectedPduParameter);
    this.partial = { context, commandChunks: [], commandLength: 0, dataChunks: [], dataLength: 0 };
    return this.partial;
  }

  private commandFragment(partial: PartialMessage, pdv: Pdv): Promise<void> | undefined {
    if (partial.command) throw new PduError("command fragment after the command was complete");
    partial.commandChunks.push(pdv.data);
    partial.commandLength += pdv.data.length;
    if (partial.commandLength > this.limits.maxCommandLength) throw new PduError("command set too long");
    if (!pdv.last) return undefined;
    try {
      partial.command = decodeCommand(Buffer.concat(partial.commandChunks));
    } catch (err) {
      if (err instanceof CommandError) throw new PduError(`malformed command: ${err.message}`);
      throw err;
    }
    partial.commandChunks = [];
    if (!hasDataset(partial.command)) return this.complete(partial);
    if (partial.command.commandField < 0x8000) {
      partial.sink = this.handlers.sinkFor?.(partial.context, partial.command);
    }
    return undefined;
  }

  private dataFragment(partial: PartialMessage, pdv: Pdv): Promise<void> | undefined {
    if (!partial.command || !hasDataset(partial.command)) {
      throw new PduError("dataset fragment for a message that has none", AbortReason.UnexpectedPduParameter);
    }
    if (partial.sink) return this.sinkFragment(partial, pdv);
    partial.dataChunks.push(pdv.data);
    partial.dataLength += pdv.data.length;
    if (partial.dataLength > this.limits.maxBufferedDataset)
      throw new PduError("dataset too long for this message");
    return pdv.last ? this.complete(partial) : undefined;
  }

  private async sinkFragment(partial: PartialMessage, pdv: Pdv): Promise<void> {
    const sink = partial.sink!;
    await sink.write(pdv.data);
    if (!pdv.last) return;
    await sink.end();
    await this.complete(partial);
  }

  private complete(partial: PartialMessage): Promise<void> | undefined {
    this.partial = undefined;
    const command = partial.command!;
    const message: InboundMessage = { context: partial.context, command };
    if (partial.sink) message.sink = partial.sink;
    else if (hasDataset(command)) message.dataset = Buffer.concat(partial.dataChunks, partial.dataLength);
    if (command.commandField >= 0x8000) {
      this.dispatchResponse(message);
      return undefined;
    }
    if (!this.handlers.onRequest)
      throw new PduError("request received where none is served", AbortReason.UnexpectedPdu);
    if (command.commandField !== CommandField.CCancelRq) this.inFlight++;
    this.handlers.onRequest(message);
    return undefined;
  }

  /** The SCP side calls this when it has sent the final response to a request. */
  requestFinished(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.touch();
  }

  private dispatchResponse(message: InboundMessage): void {
    const id = message.command.messageIdBeingRespondedTo;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending)
      throw new PduError(`response to unknown message ID ${id}`, AbortReason.UnexpectedPduParameter);
    if (statusCategory(message.command.status ?? 0) === "pending") {
      pending.onResponse(message);
      return;
    }
    this.pending.delete(id!);
    pending.resolve(message);
  }

  // ---------------------------------------------------------------- timers

  private startArtim(why: string): void {
    this.clearArtim();
    this.artim = setTimeout(() => {
      this.log.info({ why }, "ARTIM expired, closing connection");
      this.shutdown(new AssociationAborted(`ARTIM expired: ${why}`));
      this.socket.destroy();
    }, this.timeouts.artimMs);
    this.artim.unref();
  }

  private clearArtim(): void {
    if (this.artim) clearTimeout(this.artim);
    this.artim = undefined;
  }

  /** Restarts the idle timer; it only fires when nothing is in flight. */
  private touch(): void {
    if (this.state !== "established") return;
    if (this.idle) this.idle.refresh();
    else {
      this.idle = setTimeout(() => this.onIdle(), this.timeouts.idleMs);
      this.idle.unref();
    }
  }

  private onIdle(): void {
    if (this.state !== "established") return;
    if (this.inFlight > 0 || this.partial) {
      this.idle?.refresh();
      return;
    }
    this.log.info({ idleMs: this.timeouts.idleMs }, "association idle, aborting");
    this.abort(AbortReason.NotSpecified);
  }

  private write(buf: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(buf);
  }
}

function unexpected(pdu: Pdu): PduError {
  return new PduError(`unexpected PDU type ${pdu.type} in this state`, AbortReason.UnexpectedPdu);
}
