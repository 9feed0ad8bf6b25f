import { createServer } from "node:net";

/** Ports this process already handed out: the kernel may return a just-closed port again at once. */
const handedOut = new Set<number>();

function bindEphemeral(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindEphemeral();
    if (port === 0 || handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error("freePort: no unused ephemeral port after 50 attempts");
}
