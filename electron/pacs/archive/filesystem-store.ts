import { type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { sha256File } from "./checksum.js";
import { HandleCache, type ObjectHandle } from "./handle-cache.js";
import { type ObjectStore, type RecoveryReport, type StagedObject, assertKey } from "./object-store.js";
import { StagingFile } from "./staging-file.js";

/**
 * A folder of content-addressed objects: `objects/ab/<sha256>`. Paths come only from the hash,
 * never from UIDs or names. New objects stream into `staging/<uuid>.part`, are fsynced and
 * renamed `<key>.<nonce>` (complete), a batch is sealed by one fsync of the staging folder and
 * indexed, and once the index rows are durable the objects are renamed into place. After a crash
 * or power loss, `recover` checks each staged file against its key: complete ones are published or
 * handed back for re-indexing, anything else (a transfer cut short) is dropped.
 */
/**
 * Read handles kept open (HandleCache), least recently used out: enough for the frames of a 1,000-slice
 * series fetched again and again, far below the descriptor limit Node raises itself to at start.
 */
export const OPEN_OBJECT_HANDLES = 1024;

export class FilesystemStore implements ObjectStore {
  readonly objectsDir: string;
  readonly stagingDir: string;
  private readonly knownDirs = new Set<string>();
  /** Finished objects not yet published, by key: readers find them here in the meantime. */
  private readonly staged = new Map<string, string>();
  /** The staging folder stays open: every batch syncs it. */
  private stagingHandle?: Promise<FileHandle>;
  private readonly handles: HandleCache;

  constructor(
    readonly root: string,
    options: { openHandles?: number } = {},
  ) {
    this.objectsDir = join(root, "objects");
    this.stagingDir = join(root, "staging");
    this.handles = new HandleCache((key) => this.openHandle(key), options.openHandles ?? OPEN_OBJECT_HANDLES);
  }

  async close(): Promise<void> {
    await this.handles.close();
    const handle = this.stagingHandle;
    this.stagingHandle = undefined;
    if (handle) await (await handle).close();
  }

  async init(): Promise<void> {
    await mkdir(this.objectsDir, { recursive: true });
    await mkdir(this.stagingDir, { recursive: true });
  }

  pathOf(key: string): string {
    assertKey(key);
    return join(this.objectsDir, key.slice(0, 2), key);
  }

  createStaging(): StagingFile {
    return new StagingFile(this.stagingDir, (object) => this.staged.set(object.key, object.path));
  }

  async seal(objects: StagedObject[]): Promise<void> {
    if (objects.length === 0) return;
    this.stagingHandle ??= open(this.stagingDir, "r");
    await (await this.stagingHandle).sync();
  }

  async publish(objects: StagedObject[]): Promise<void> {
    await Promise.all(
      objects.map(async (object) => {
        const target = this.pathOf(object.key);
        await this.ensureDir(target.slice(0, target.length - object.key.length - 1));
        await rename(object.path, target);
        this.forget(object);
      }),
    );
  }

  async discard(objects: StagedObject[]): Promise<void> {
    await Promise.all(objects.map((o) => rm(o.path, { force: true })));
    for (const object of objects) this.forget(object);
  }

  private forget(object: StagedObject): void {
    if (this.staged.get(object.key) === object.path) this.staged.delete(object.key);
  }

  async read(key: string): Promise<Buffer> {
    const handle = await this.openHandle(key);
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async open(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    const handle = await this.openHandle(key);
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  /**
   * An open handle of an object for random access, shared with other readers and kept open after
   * `release()` (least recently used closed first): for readers that come back to the same objects, such as
   * a viewer fetching frames. Found wherever it is, as `open` finds it; the handle stays valid across the
   * publish that renames it out of staging.
   */
  acquire(key: string): Promise<ObjectHandle> {
    assertKey(key);
    return this.handles.acquire(key);
  }

  /** Handles `acquire` keeps open now. */
  get openHandles(): number {
    return this.handles.size;
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const handle = await this.openHandle(key);
      try {
        return { size: (await handle.stat()).size };
      } finally {
        await handle.close();
      }
    } catch {
      return undefined;
    }
  }

  /**
   * Opens an object wherever it is: its final place, or staging while it waits for its index row to be
   * durable. Once open, a concurrent publish (a rename) cannot pull it away; if the publish moved it between
   * locating and opening, it is in its final place.
   */
  private async openHandle(key: string): Promise<FileHandle> {
    const final = this.pathOf(key);
    const staged = this.staged.get(key);
    if (staged === undefined) {
      try {
        return await open(final, "r");
      } catch (err) {
        if ((err as { code?: string }).code !== "ENOENT") throw err;
      }
    }
    // Staged (or staged since the open above failed): published to its final place at any moment.
    const path = staged ?? this.staged.get(key);
    if (path === undefined) throw missing(key);
    try {
      return await open(path, "r");
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT") throw err;
      return open(final, "r");
    }
  }

  async delete(key: string): Promise<void> {
    // Closed first: a file still open cannot be replaced under its name on Windows.
    await this.handles.evict(key);
    await rm(this.pathOf(key), { force: true });
  }

  async recover(isIndexed: (key: string) => boolean): Promise<RecoveryReport> {
    const report: RecoveryReport = { published: 0, discarded: 0, unindexed: [] };
    for (const name of await readdir(this.stagingDir)) {
      const path = join(this.stagingDir, name);
      const key = name.split(".")[0] ?? "";
      const complete = /^[0-9a-f]{64}$/.test(key) && (await sha256File(path)) === key;
      if (!complete) {
        await rm(path, { force: true });
        report.discarded++;
      } else if (!isIndexed(key)) {
        this.staged.set(key, path);
        report.unindexed.push({ key, path });
      } else if (await exists(this.pathOf(key))) {
        await unlink(path);
        report.discarded++;
      } else {
        await this.publish([{ key, path }]);
        report.published++;
      }
    }
    return report;
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }
}

function missing(key: string): Error {
  return Object.assign(new Error(`archive object ${key} is missing`), { code: "ENOENT" });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
