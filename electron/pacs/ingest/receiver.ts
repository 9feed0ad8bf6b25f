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
 * The DataSink for one incoming C-STORE (or C-GET sub-operation): streams the bytes into staging
 * as they arrive, so the disk write overlaps the transfer, and keeps them for validation and the
 * checksum while the object is small; a large one is hashed as it arrives and read back from disk,
 * so an association's memory stays bounded whatever the size of the instance.
 */
export class InstanceReceiver implements DataSink {
  /** Only for objects too large to keep in memory; small ones are hashed in one piece at the end. */
  private hash?: Hash;
  private chunks: Buffer[] = [];
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
    if (!this.hash && this.length <= this.options.keepInMemory) {
      this.chunks.push(chunk);
      return;
    }
    this.hash ??= this.startStreamingHash();
    this.hash.update(chunk);
  }

  /** The object outgrew memory: hash what was kept, keep only its head for the header, hash the rest as it comes. */
  private startStreamingHash(): Hash {
    const hash = createHash("sha256").update(this.meta);
    for (const kept of this.chunks) hash.update(kept);
    this.complete = false;
    this.chunks = leadingChunks(this.chunks, HEAD_BYTES);
    return hash;
  }
}

function leadingChunks(chunks: Buffer[], bytes: number): Buffer[] {
  const head: Buffer[] = [];
  let size = 0;
  for (const chunk of chunks) {
    if (size >= bytes) break;
    head.push(chunk);
    size += chunk.length;
  }
  return head;
}
