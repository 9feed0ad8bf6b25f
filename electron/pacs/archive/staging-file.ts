import { randomUUID } from "node:crypto";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { StagedObject, StagingWriter } from "./object-store.js";

/** Bytes queued for the disk beyond which the sender is paused. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/**
 * A staging file written chunk by chunk as the network delivers them, so the disk write overlaps
 * the transfer and only the sync remains once the last byte is in. A write error (full disk) is
 * kept and reported by `flush`/`finish`, so the association can still answer with a status.
 */
export class StagingFile implements StagingWriter {
  readonly path: string;
  private readonly handle: Promise<FileHandle>;
  private chain: Promise<void>;
  private pending = 0;
  private error?: Error;
  private done = false;
  private synced?: Promise<void>;

  constructor(
    private readonly dir: string,
    private readonly onFinished: (object: StagedObject) => void,
  ) {
    this.path = join(dir, `${randomUUID()}.part`);
    this.handle = open(this.path, "w");
    this.chain = this.handle.then(
      () => undefined,
      (err: Error) => {
        this.error = err;
      },
    );
  }

  write(chunk: Buffer): Promise<void> | undefined {
    if (this.error || this.done) return undefined;
    this.pending += chunk.length;
    this.chain = this.chain.then(() => this.writeAll(chunk));
    return this.pending > MAX_PENDING_BYTES ? this.chain : undefined;
  }

  private async writeAll(chunk: Buffer): Promise<void> {
    if (this.error) return;
    try {
      const handle = await this.handle;
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    } catch (err) {
      this.error = err as Error;
    } finally {
      this.pending -= chunk.length;
    }
  }

  async flush(): Promise<void> {
    await this.chain;
    if (this.error) throw this.error;
  }

  /** Starts syncing everything written so far; the caller may compute the key meanwhile. */
  sync(): Promise<void> {
    this.synced ??= (async () => {
      this.done = true;
      const handle = await this.handle;
      await this.chain;
      if (this.error) throw this.error;
      await handle.sync();
      await handle.close();
    })();
    return this.synced;
  }

  async finish(key: string): Promise<StagedObject> {
    const path = join(this.dir, `${key}.${randomUUID()}`);
    try {
      await this.sync();
      await rename(this.path, path);
      this.onFinished({ key, path });
      return { key, path };
    } catch (err) {
      await this.handle.then((h) => h.close()).catch(() => undefined);
      await rm(this.path, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async abort(): Promise<void> {
    this.done = true;
    await this.chain;
    await this.synced?.catch(() => undefined);
    await this.handle.then((h) => h.close()).catch(() => undefined);
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}
