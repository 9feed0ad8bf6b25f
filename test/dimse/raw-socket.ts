/** A raw TCP client for feeding the SCP bytes no well-behaved peer would send. */
import { type Socket, connect } from "node:net";

export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves when the server closes the connection, with the time it took. */
  closed: Promise<number>;
  send(bytes: Buffer): void;
}

export function openRaw(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = connect({ host: "127.0.0.1", port, noDelay: true });
    const closed = new Promise<number>((done) => socket.on("close", () => done(Date.now() - started)));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => undefined);
    socket.once("connect", () =>
      resolve({
        socket,
        closed,
        received: () => Buffer.concat(chunks),
        send: (bytes) => {
          if (!socket.destroyed) socket.write(bytes);
        },
      }),
    );
    socket.once("error", reject);
  });
}

export function pduHeader(type: number, length: number): Buffer {
  const head = Buffer.alloc(6);
  head[0] = type;
  head.writeUInt32BE(length, 2);
  return head;
}
