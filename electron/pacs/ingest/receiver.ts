import { type Hash, createHash } from "node:crypto";
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
  private readonly hash: Hash;
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
    this.hash = createHash("sha256").update(meta);
    staging.write(meta);
  }

  write(chunk: Buffer): Promise<void> | undefined {
    this.hash.update(chunk);
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
      sha256: this.hash.digest("hex"),
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

  private keep(chunk: Buffer): void {
    if (this.complete && this.length <= this.options.keepInMemory) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
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
