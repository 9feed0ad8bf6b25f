import { type Hash, createHash, webcrypto } from "node:crypto";
import type { StagingWriter } from "../archive/object-store.js";
import type { DataSink } from "../dimse/association.js";
import type { ReceivedObject } from "./received-object.js";

export interface ReceiverOptions {
  /** Objects up to this size are also kept in memory for validation; larger ones are read back from disk. */
  keepInMemory: number;
}

/** Leading bytes kept of a large object: enough for nearly every header. */
const HEAD_BYTES = 1024 * 1024;

/**
 * The DataSink for one incoming C-STORE (or C-GET sub-operation): hashes the bytes and streams
 * them into staging as they arrive, so the disk write overlaps the transfer and an association's
 * memory stays bounded whatever the size of the instance.
 */
export class InstanceReceiver implements DataSink {
  /** Only for objects too large to keep in memory; small ones are hashed in one piece at the end. */
  private hash?: Hash;
  private chunks: Buffer[] = [];
  private kept = 0;
  private length = 0;
  private complete = true;
  private result?: ReceivedObject;

  constructor(
    private readonly transferSyntaxUid: string,
    private readonly meta: Buffer,
    private readonly staging: StagingWriter,
    private readonly options: ReceiverOptions,
  ) {
    staging.write(meta);
  }

  write(chunk: Buffer): Promise<void> | undefined {
    this.length += chunk.length;
    this.keep(chunk);
    return this.staging.write(chunk);
  }

  end(): void {
    this.result = {
      transferSyntaxUid: this.transferSyntaxUid,
      meta: this.meta,
      dataset: this.chunks,
      complete: this.complete,
      datasetLength: this.length,
      sha256: this.digest(),
      staging: this.staging,
    };
  }

  abort(): void {
    this.chunks = [];
    void this.staging.abort();
  }

  received(): ReceivedObject {
    if (!this.result) throw new Error("instance not completely received");
    return this.result;
  }

  /** Memoised: the digest runs once, on the thread pool for objects held in memory. */
  private digest(): () => Promise<string> {
    let result: Promise<string> | undefined;
    const hash = this.hash;
    const parts = [this.meta, ...this.chunks];
    return () =>
      (result ??= hash
        ? Promise.resolve(hash.digest("hex"))
        : webcrypto.subtle
            .digest("SHA-256", Buffer.concat(parts))
            .then((digest) => Buffer.from(digest).toString("hex")));
  }

  private keep(chunk: Buffer): void {
    if (this.hash) {
      this.hash.update(chunk);
    } else if (this.length <= this.options.keepInMemory) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    } else {
      this.hash = createHash("sha256").update(this.meta);
      for (const kept of this.chunks) this.hash.update(kept);
      this.hash.update(chunk);
    }
    if (this.complete) {
      this.complete = false;
      const head: Buffer[] = [];
      let size = 0;
      for (const c of this.chunks) {
        if (size >= HEAD_BYTES) break;
        head.push(c);
        size += c.length;
      }
      this.chunks = head;
      this.kept = size;
    }
  }
}
