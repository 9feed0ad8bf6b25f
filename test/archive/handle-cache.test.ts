/**
 * The archive's cache of open read handles: least recently used out, a lent handle never closed under its
 * reader, one open for concurrent readers, nothing cached from a failed open, handles dropped when their
 * object is deleted or the store closes; and an object read from staging while it is published.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FilesystemStore } from "../../electron/pacs/archive/filesystem-store.js";
import { HandleCache } from "../../electron/pacs/archive/handle-cache.js";
import { openStoredObject } from "../../electron/pacs/imaging/byte-reader.js";
import { scratchDir } from "../support/hilum.js";

/** A FileHandle's fd is -1 once it is closed. */
const isClosed = (handle: FileHandle) => handle.fd === -1;
const settled = () => new Promise((resolve) => setTimeout(resolve, 20));
const keyOf = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

let dir: string;

beforeEach(() => {
  dir = scratchDir("handles");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A cache over files named by key in `dir`, counting opens. */
function cacheOver(capacity: number) {
  const opens: string[] = [];
  const cache = new HandleCache(async (key) => {
    opens.push(key);
    return open(join(dir, key), "r");
  }, capacity);
  return { cache, opens };
}

function file(name: string, content = name): void {
  writeFileSync(join(dir, name), content);
}

describe("HandleCache", () => {
  it("keeps handles open across uses, and closes the least recently used beyond its capacity", async () => {
    for (const name of ["a", "b", "c"]) file(name);
    const { cache, opens } = cacheOver(2);
    const a = await cache.acquire("a");
    a.release();
    const b = await cache.acquire("b");
    b.release();
    const again = await cache.acquire("a"); // a becomes the most recently used
    expect(again.handle).toBe(a.handle);
    again.release();
    expect(opens).toEqual(["a", "b"]);
    const c = await cache.acquire("c"); // b goes
    c.release();
    await settled();
    expect(cache.size).toBe(2);
    expect(isClosed(b.handle)).toBe(true);
    expect(isClosed(a.handle)).toBe(false);
    expect(isClosed(c.handle)).toBe(false);
    expect(a.size).toBe(1);
    await cache.close();
    await settled();
    expect(isClosed(a.handle) && isClosed(c.handle)).toBe(true);
  });

  it("never closes a lent handle: evicted while lent, it closes when released", async () => {
    for (const name of ["a", "b"]) file(name, `${name}-content`);
    const { cache } = cacheOver(1);
    const a = await cache.acquire("a");
    (await cache.acquire("b")).release(); // evicts a, which is still lent
    await settled();
    expect(isClosed(a.handle)).toBe(false);
    const buffer = Buffer.alloc(9);
    await a.handle.read(buffer, 0, 9, 0);
    expect(buffer.toString()).toBe("a-content");
    a.release();
    a.release(); // a second release is harmless
    await settled();
    expect(isClosed(a.handle)).toBe(true);
    await cache.close();
  });

  it("opens once for concurrent readers of one key, and caches nothing from a failed open", async () => {
    file("a");
    const { cache, opens } = cacheOver(4);
    const [x, y] = await Promise.all([cache.acquire("a"), cache.acquire("a")]);
    expect(x.handle).toBe(y.handle);
    expect(opens).toEqual(["a"]);
    x.release();
    y.release();
    await expect(cache.acquire("later")).rejects.toMatchObject({ code: "ENOENT" });
    expect(cache.size).toBe(1);
    file("later");
    const later = await cache.acquire("later");
    expect(later.size).toBe(5);
    later.release();
    await cache.close();
  });

  it("drops a key's handle on evict, and after close lends handles of their own", async () => {
    file("a");
    const { cache, opens } = cacheOver(4);
    const lent = await cache.acquire("a");
    await cache.evict("a");
    expect(cache.size).toBe(0);
    expect(isClosed(lent.handle)).toBe(false);
    lent.release();
    await settled();
    expect(isClosed(lent.handle)).toBe(true);
    await cache.close();
    const own = await cache.acquire("a");
    expect(cache.size).toBe(0);
    own.release();
    await settled();
    expect(isClosed(own.handle)).toBe(true);
    expect(opens).toEqual(["a", "a"]);
  });
});

describe("FilesystemStore.acquire", () => {
  /** An object finished in staging, not yet published (its index row is not durable yet). */
  async function staged(store: FilesystemStore, bytes: Buffer) {
    const writer = store.createStaging();
    writer.write(bytes);
    await writer.flush();
    return writer.finish(keyOf(bytes));
  }

  it("reads an object from staging, and through the same handle once it is published", async () => {
    const store = new FilesystemStore(dir);
    await store.init();
    const bytes = Buffer.from("staged object bytes");
    const object = await staged(store, bytes);
    const reader = await openStoredObject(store, object.key);
    await store.publish([object]);
    expect(existsSync(object.path)).toBe(false);
    expect((await reader.read(0, bytes.length)).equals(bytes)).toBe(true);
    await reader.close();
    // Published: found in its final place, through the handle opened in staging.
    const again = await openStoredObject(store, object.key);
    expect((await again.read(7, 6)).toString()).toBe("object");
    await again.close();
    expect(store.openHandles).toBe(1);
    await store.close();
  });

  it("falls back to the final place when the publish renames the object between finding and opening it", async () => {
    const store = new FilesystemStore(dir);
    await store.init();
    const bytes = Buffer.from("published meanwhile");
    const object = await staged(store, bytes);
    // The rename of a publish, before it forgets the staged path: the store still names staging.
    const final = store.pathOf(object.key);
    mkdirSync(dirname(final), { recursive: true });
    renameSync(object.path, final);
    const reader = await openStoredObject(store, object.key);
    expect((await reader.read(0, bytes.length)).equals(bytes)).toBe(true);
    await reader.close();
    await store.close();
  });

  it("closes an object's handle when the object is deleted, and every handle when the store closes", async () => {
    const store = new FilesystemStore(dir, { openHandles: 2 });
    await store.init();
    const keys: string[] = [];
    for (const text of ["one", "two", "three"]) {
      const object = await staged(store, Buffer.from(text));
      await store.publish([object]);
      keys.push(object.key);
    }
    for (const key of keys) await (await openStoredObject(store, key)).close();
    expect(store.openHandles).toBe(2);
    await store.delete(keys[2]!);
    expect(store.openHandles).toBe(1);
    await expect(openStoredObject(store, keys[2]!)).rejects.toMatchObject({ code: "ENOENT" });
    await store.close();
    expect(store.openHandles).toBe(0);
    // A closed store still reads (its handles are then its readers' own).
    const reader = await openStoredObject(store, keys[0]!);
    expect((await reader.read(0, 3)).toString()).toBe("one");
    await reader.close();
  });
});
