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

  async finish(key: string): Promise<StagedObject> {
    this.done = true;
    const path = join(this.dir, `${key}.${randomUUID()}`);
    const handle = await this.handle.catch(() => undefined);
    try {
      await this.chain;
      if (this.error || !handle) throw this.error ?? new Error("staging file could not be opened");
      // Renamed before the sync so that one journal commit covers data, size and name. The name is
      // no promise of completeness: recovery checks every staged file's content against its key.
      await rename(this.path, path);
      await handle.sync();
      await handle.close();
      this.onFinished({ key, path });
      return { key, path };
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await rm(this.path, { force: true }).catch(() => undefined);
      await rm(path, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.chain;
    await this.handle.then((h) => h.close()).catch(() => undefined);
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}
