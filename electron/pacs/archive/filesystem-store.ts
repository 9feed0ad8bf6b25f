import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { sha256File } from "./checksum.js";
import { type ObjectStore, type RecoveryReport, type StageSource, type StagedObject, assertKey } from "./object-store.js";

/**
 * A folder of content-addressed objects: `objects/ab/<sha256>`. Paths come only from the hash,
 * never from UIDs or names. New objects are written and fsynced in `staging/` as
 * `<key>.<nonce>`; a batch is sealed by one fsync of the staging folder, indexed, then renamed
 * into place. If the process dies between the index commit and the rename, `recover` finds the
 * staged file by its key, checks its hash and moves it.
 */
export class FilesystemStore implements ObjectStore {
  readonly objectsDir: string;
  readonly stagingDir: string;
  private readonly knownDirs = new Set<string>();

  constructor(readonly root: string) {
    this.objectsDir = join(root, "objects");
    this.stagingDir = join(root, "staging");
  }

  async init(): Promise<void> {
    await mkdir(this.objectsDir, { recursive: true });
    await mkdir(this.stagingDir, { recursive: true });
  }

  /** A fresh path in staging for an object whose key is not known yet (large instances spill here). */
  spillPath(): string {
    return join(this.stagingDir, `spill-${randomUUID()}.part`);
  }

  pathOf(key: string): string {
    assertKey(key);
    return join(this.objectsDir, key.slice(0, 2), key);
  }

  async stage(key: string, source: StageSource): Promise<StagedObject> {
    assertKey(key);
    const path = join(this.stagingDir, `${key}.${randomUUID()}`);
    if ("spillPath" in source) {
      await syncFile(source.spillPath);
      await rename(source.spillPath, path);
      return { key, path };
    }
    const handle = await open(path, "w");
    try {
      await handle.writev(source.chunks);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(path, { force: true });
      throw err;
    }
    await handle.close();
    return { key, path };
  }

  async seal(objects: StagedObject[]): Promise<void> {
    if (objects.length > 0) await syncDir(this.stagingDir);
  }

  async publish(objects: StagedObject[]): Promise<void> {
    await Promise.all(
      objects.map(async (object) => {
        const target = this.pathOf(object.key);
        await this.ensureDir(target.slice(0, target.length - object.key.length - 1));
        await rename(object.path, target);
      }),
    );
  }

  async discard(objects: StagedObject[]): Promise<void> {
    await Promise.all(objects.map((o) => rm(o.path, { force: true })));
  }

  async read(key: string): Promise<Buffer> {
    return readFile(await this.locate(key));
  }

  async open(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    const path = await this.locate(key);
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      return { size: (await stat(await this.locate(key))).size };
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** The published path, or the staged one during the instant between index commit and rename. */
  async locate(key: string): Promise<string> {
    const path = this.pathOf(key);
    try {
      await stat(path);
      return path;
    } catch {
      const staged = (await readdir(this.stagingDir)).find((name) => name.startsWith(`${key}.`));
      if (staged) return join(this.stagingDir, staged);
      throw Object.assign(new Error(`archive object ${key} is missing`), { code: "ENOENT" });
    }
  }

  async recover(isIndexed: (key: string) => boolean): Promise<RecoveryReport> {
    const report: RecoveryReport = { published: 0, discarded: 0 };
    for (const name of await readdir(this.stagingDir)) {
      const path = join(this.stagingDir, name);
      const key = name.split(".")[0] ?? "";
      if (/^[0-9a-f]{64}$/.test(key) && isIndexed(key) && (await sha256File(path)) === key) {
        if (await exists(this.pathOf(key))) await unlink(path);
        else await this.publish([{ key, path }]);
        report.published++;
        continue;
      }
      await rm(path, { force: true });
      report.discarded++;
    }
    return report;
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
