/** Random access to a stored object's bytes: a file read range by range, or bytes already in memory. */
import { type FileHandle, open } from "node:fs/promises";
import type { FilesystemStore } from "../archive/filesystem-store.js";
import type { ObjectHandle } from "../archive/handle-cache.js";

export interface ByteReader {
  readonly size: number;
  /** Exactly [offset, offset + length), or an error if the object is shorter. */
  read(offset: number, length: number): Promise<Buffer>;
  /** [offset, offset + length) of the object into `target` at `at` (no buffer of its own). */
  readInto(target: Buffer, at: number, offset: number, length: number): Promise<void>;
  close(): Promise<void>;
}

function checkRange(size: number, offset: number, length: number): void {
  if (offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`bytes ${offset}+${length} are outside an object of ${size} bytes`);
  }
}

export class MemoryReader implements ByteReader {
  readonly size: number;
  constructor(private readonly bytes: Buffer) {
    this.size = bytes.length;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this.size, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }

  async readInto(target: Buffer, at: number, offset: number, length: number): Promise<void> {
    checkRange(this.size, offset, length);
    this.bytes.copy(target, at, offset, offset + length);
  }

  async close(): Promise<void> {}
}

/** Reads a file through an open handle; `done` runs on close (closing the handle, or handing it back). */
export class FileReader implements ByteReader {
  private closing?: Promise<void>;

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly done: () => Promise<void>,
  ) {}

  /** A file of its own, closed with the reader. */
  static async open(path: string): Promise<FileReader> {
    const handle = await open(path, "r");
    try {
      return new FileReader(handle, (await handle.stat()).size, () => handle.close());
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** A handle lent by the store's handle cache, handed back on close. */
  static lent(object: ObjectHandle): FileReader {
    return new FileReader(object.handle, object.size, async () => object.release());
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this.size, offset, length);
    const buffer = Buffer.allocUnsafe(length);
    await this.fill(buffer, 0, offset, length);
    return buffer;
  }

  async readInto(target: Buffer, at: number, offset: number, length: number): Promise<void> {
    checkRange(this.size, offset, length);
    if (at < 0 || at + length > target.length) {
      throw new RangeError(`${length} bytes do not fit at ${at} in a buffer of ${target.length}`);
    }
    await this.fill(target, at, offset, length);
  }

  private async fill(target: Buffer, at: number, offset: number, length: number): Promise<void> {
    if (this.closing) throw new Error("the object's reader is closed");
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(target, at + filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new RangeError(`object ended at byte ${offset + filled} while being read`);
      filled += bytesRead;
    }
  }

  /** Closing twice is harmless. */
  close(): Promise<void> {
    this.closing ??= this.done();
    return this.closing;
  }
}

/**
 * Opens an archived object for random access, through the store's cache of open handles (an object is
 * found in staging during the moment before it is published; the handle stays valid across the publish).
 */
export async function openStoredObject(store: FilesystemStore, key: string): Promise<ByteReader> {
  return FileReader.lent(await store.acquire(key));
}
