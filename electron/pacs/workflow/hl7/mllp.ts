/**
 * An MLLP listener (HL7 v2 over TCP: VT message FS CR). @medplum/hl7's Hl7Server binds every interface, has
 * no size limit and finds a message's end only at the end of a TCP chunk, so the framing is done here —
 * bounded, on the configured address — and @medplum/core parses the messages and builds their ACKs.
 */
import { type Server, type Socket, createServer } from "node:net";
import type { Logger } from "../../core/logger.js";

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

export interface MllpOptions {
  port: number;
  host: string;
  maxMessageBytes: number;
  /** An idle connection is closed after this. */
  idleMs: number;
  log: Logger;
  /** Answers one message (its text, decoded as UTF-8) with the reply to frame and send back. */
  onMessage(text: string, peer: string): Promise<string> | string;
}

export function frame(text: string): Buffer {
  return Buffer.concat([Buffer.from([VT]), Buffer.from(text, "utf8"), Buffer.from([FS, CR])]);
}

/** Cuts a byte stream into MLLP frames; bytes between frames are ignored, as MLLP receivers do. */
export class MllpReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private inFrame = false;

  constructor(private readonly maxBytes: number) {}

  /** The complete messages in this chunk; throws when one grows past the limit. */
  push(chunk: Buffer): Buffer[] {
    const messages: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (!this.inFrame) {
        const start = chunk.indexOf(VT, at);
        if (start < 0) return messages;
        this.inFrame = true;
        at = start + 1;
        continue;
      }
      const end = chunk.indexOf(FS, at);
      const stop = end < 0 ? chunk.length : end;
      this.chunks.push(chunk.subarray(at, stop));
      this.length += stop - at;
      if (this.length > this.maxBytes) throw new Error(`HL7 message longer than ${this.maxBytes} bytes`);
      if (end < 0) return messages;
      messages.push(Buffer.concat(this.chunks, this.length));
      this.chunks = [];
      this.length = 0;
      this.inFrame = false;
      at = end + 1 < chunk.length && chunk[end + 1] === CR ? end + 2 : end + 1;
    }
    return messages;
  }
}

export class MllpServer {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: MllpOptions) {}

  listen(): Promise<{ host: string; port: number }> {
    const server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        const address = server.address();
        if (address === null || typeof address === "string") throw new Error("MLLP listener has no address");
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.end();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
  }

  private onConnection(socket: Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const reader = new MllpReader(this.options.maxMessageBytes);
    let chain = Promise.resolve();
    this.sockets.add(socket);
    socket.setTimeout(this.options.idleMs, () => socket.destroy());
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", (err) => this.options.log.debug({ err: err.message, peer }, "MLLP socket error"));
    socket.on("data", (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch (err) {
        this.options.log.warn({ peer, err: (err as Error).message }, "MLLP connection closed");
        socket.destroy();
        return;
      }
      // One reply per message, in order, even when a handler takes a while.
      for (const message of messages) {
        chain = chain.then(async () => {
          const reply = await this.options.onMessage(message.toString("utf8"), peer);
          if (!socket.destroyed) socket.write(frame(reply));
        });
      }
      chain = chain.catch((err: unknown) => {
        this.options.log.error({ err, peer }, "HL7 message handling failed");
        socket.destroy();
      });
    });
  }
}
