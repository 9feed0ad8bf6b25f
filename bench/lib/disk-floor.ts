/**
 * The durable-write floor under every ingest figure: what it costs to make each instance durable the way a
 * receiver that fsyncs must (Hilum and Orthanc do; storescp does not), with no network and no parsing.
 * Each file of the load, already in memory, is written to a new file in a fresh temp folder on the file
 * system the receivers store on, fsynced, closed, renamed, and the folder fsynced — one file after another,
 * with synchronous calls.
 */
import {
  closeSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Load } from "./files.js";
import { settle } from "./settle.js";
import { MB } from "./stats.js";

/** Bytes per write() call, about what a receiver writes per received chunk. */
export const CHUNK_BYTES = 128 * 1024;

export interface DiskFloorSample {
  files: number;
  /** Bytes written: the whole files, preamble and meta header included. */
  bytes: number;
  seconds: number;
  imagesPerSecond: number;
  mbPerSecond: number;
}

/** Every file of the load, read into memory (not timed). */
function readAll(load: Load): Buffer[] {
  return readdirSync(load.folder)
    .sort()
    .map((name) => readFileSync(join(load.folder, name)));
}

function writeInChunks(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    offset += writeSync(fd, bytes, offset, Math.min(CHUNK_BYTES, bytes.length - offset));
  }
}

function fsyncFolder(folder: string): void {
  const fd = openSync(folder, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** One instance made durable: new file, chunked writes, fsync, close, rename, fsync of the folder. */
function writeDurably(folder: string, name: string, bytes: Buffer): void {
  const partial = join(folder, `${name}.part`);
  const fd = openSync(partial, "wx");
  try {
    writeInChunks(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, join(folder, name));
  fsyncFolder(folder);
}

/** One repeat: every file of `load` made durable, in turn, in a fresh temp folder that is removed after. */
export async function measureDiskFloor(load: Load): Promise<DiskFloorSample> {
  await settle();
  const files = readAll(load);
  const folder = mkdtempSync(join(tmpdir(), "hilum-bench-floor-"));
  try {
    const started = performance.now();
    files.forEach((bytes, i) => writeDurably(folder, `${String(i).padStart(5, "0")}.dcm`, bytes));
    const seconds = (performance.now() - started) / 1000;
    const bytes = files.reduce((sum, file) => sum + file.length, 0);
    return {
      files: files.length,
      bytes,
      seconds,
      imagesPerSecond: files.length / seconds,
      mbPerSecond: bytes / MB / seconds,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
