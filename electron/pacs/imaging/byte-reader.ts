/** Random access to a stored object's bytes: a file read range by range, or bytes already in memory. */
import { type FileHandle, open } from "node:fs/promises";
import type { FilesystemStore } from "../archive/filesystem-store.js";

export interface ByteReader {
  readonly size: number;
  /** Exactly [offset, offset + length), or an error if the object is shorter. */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export class MemoryReader implements ByteReader {
  readonly size: number;
  constructor(private readonly bytes: Buffer) {
    this.size = bytes.length;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`bytes ${offset}+${length} are outside an object of ${this.size} bytes`);
    }
    return this.bytes.subarray(offset, offset + length);
  }

  async close(): Promise<void> {}
}

export class FileReader implements ByteReader {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileReader> {
    const handle = await open(path, "r");
    try {
      return new FileReader(handle, (await handle.stat()).size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`bytes ${offset}+${length} are outside an object of ${this.size} bytes`);
    }
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new RangeError(`object ended at byte ${offset + filled} while being read`);
      filled += bytesRead;
    }
    return buffer;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * Opens an archived object for random access. An object is published (renamed into its final place) a
 * moment after its index row commits; one still in staging is read whole through the store instead.
 */
export async function openStoredObject(store: FilesystemStore, key: string): Promise<ByteReader> {
  try {
    return await FileReader.open(store.pathOf(key));
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
    return new MemoryReader(await store.read(key));
  }
}
