/** Where the parser's bytes come from: a buffer in memory, or a file read in windows. */
import { readSync } from "node:fs";
import { DicomParseError } from "./errors.js";

export interface ByteSource {
  /** Bytes available in all; offsets run from 0 to size. */
  readonly size: number;
  /** The window: buf[i] is the byte at offset base + i. */
  readonly buf: Buffer;
  readonly base: number;
  /** Make [pos, pos + n) readable through buf. The caller has checked pos + n <= size. */
  load(pos: number, n: number): void;
}

/** True when [pos, pos + n) is outside the window, i.e. when load() must run. */
export function missing(src: ByteSource, pos: number, n: number): boolean {
  return pos < src.base || pos + n > src.base + src.buf.length;
}

export class MemorySource implements ByteSource {
  readonly base = 0;
  readonly size: number;

  constructor(readonly buf: Buffer) {
    this.size = buf.length;
  }

  load(): void {
    // Everything is already in the window.
  }
}

const WINDOW = 64 * 1024;

/**
 * A file read window by window, so that parsing the header of a 500 MB object reads kilobytes.
 * Values are sliced out of the window they were read in; a new window never overwrites an old one.
 */
export class FileSource implements ByteSource {
  buf: Buffer = Buffer.alloc(0);
  base = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  load(pos: number, n: number): void {
    const length = Math.min(Math.max(n, WINDOW), this.size - pos);
    const buf = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const read = readSync(this.fd, buf, filled, length - filled, pos + filled);
      if (read === 0) {
        throw new DicomParseError(`file ended at offset ${pos + filled} while being read`, pos + filled);
      }
      filled += read;
    }
    this.buf = buf;
    this.base = pos;
  }
}

/** Read [offset, offset + length) of an open file in one piece. */
export function readRange(fd: number, offset: number, length: number): Buffer {
  const source = new FileSource(fd, offset + length);
  source.load(offset, length);
  return source.buf;
}
