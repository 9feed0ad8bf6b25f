import { type Hash, createHash } from "node:crypto";
import { type FileHandle, open, rm } from "node:fs/promises";
import type { DataSink } from "../dimse/association.js";
import type { ReceivedObject } from "./received-object.js";

export interface ReceiverOptions {
  /** Above this many dataset bytes the object streams to a spill file instead of memory. */
  spillAbove: number;
  /** How many leading dataset bytes stay in memory after a spill, for header parsing. */
  keepHead: number;
  spillPath: () => string;
}

/**
 * The DataSink for one incoming C-STORE (or C-GET sub-operation): hashes as bytes arrive and
 * keeps them in memory up to a bound, then continues into a spill file, so an association's
 * memory stays bounded whatever the size of the instance.
 */
export class InstanceReceiver implements DataSink {
  private readonly hash: Hash;
  private chunks: Buffer[] = [];
  private length = 0;
  private spill?: { path: string; handle: FileHandle; head: Buffer[]; headLength: number };
  private result?: ReceivedObject;

  constructor(
    private readonly transferSyntaxUid: string,
    private readonly meta: Buffer,
    private readonly options: ReceiverOptions,
  ) {
    this.hash = createHash("sha256").update(meta);
  }

  write(chunk: Buffer): void | Promise<void> {
    this.hash.update(chunk);
    this.length += chunk.length;
    if (this.spill) return this.spillChunk(chunk);
    this.chunks.push(chunk);
    if (this.length > this.options.spillAbove) return this.startSpill();
    return undefined;
  }

  async end(): Promise<void> {
    const sha256 = this.hash.digest("hex");
    const base = { transferSyntaxUid: this.transferSyntaxUid, meta: this.meta, datasetLength: this.length, sha256 };
    if (!this.spill) {
      this.result = { ...base, dataset: this.chunks };
      return;
    }
    await this.spill.handle.close();
    this.result = { ...base, dataset: this.spill.head, spillPath: this.spill.path };
  }

  abort(): void {
    const spill = this.spill;
    this.chunks = [];
    if (spill) void spill.handle.close().finally(() => rm(spill.path, { force: true }));
  }

  received(): ReceivedObject {
    if (!this.result) throw new Error("instance not completely received");
    return this.result;
  }

  private async startSpill(): Promise<void> {
    const path = this.options.spillPath();
    const handle = await open(path, "w");
    this.spill = { path, handle, head: [], headLength: 0 };
    await handle.writev([this.meta, ...this.chunks]);
    for (const chunk of this.chunks) this.keepHead(chunk);
    this.chunks = [];
  }

  private async spillChunk(chunk: Buffer): Promise<void> {
    this.keepHead(chunk);
    await this.spill!.handle.write(chunk);
  }

  private keepHead(chunk: Buffer): void {
    const spill = this.spill!;
    if (spill.headLength >= this.options.keepHead) return;
    spill.head.push(chunk);
    spill.headLength += chunk.length;
  }
}
