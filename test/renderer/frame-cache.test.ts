/** The decoded-frame cache: least recently used out, bounded by bytes. */
import { describe, expect, it } from "vitest";
import { DEFAULT_CACHE_BYTES, LruCache } from "../../renderer/src/lib/imaging/cache.js";

describe("LRU cache with a byte budget", () => {
  it("defaults to 512 MB", () => {
    expect(new LruCache().budget).toBe(512 * 1024 * 1024);
    expect(DEFAULT_CACHE_BYTES).toBe(512 * 1024 * 1024);
  });

  it("evicts the least recently used entries once the budget is passed", () => {
    const evicted: string[] = [];
    const cache = new LruCache<string>(300);
    cache.onEvict = (key) => evicted.push(key);
    cache.set("a", "A", 100);
    cache.set("b", "B", 100);
    cache.set("c", "C", 100);
    expect(cache.usedBytes).toBe(300);
    cache.get("a"); // a is now the most recent: b goes first
    cache.set("d", "D", 100);
    expect(evicted).toEqual(["b"]);
    expect([...cache.keys()]).toEqual(["c", "a", "d"]);
    cache.set("e", "E", 250);
    expect(evicted).toEqual(["b", "c", "a", "d"]);
    expect(cache.usedBytes).toBe(250);
    expect(cache.get("e")).toBe("E");
  });

  it("never holds more than its budget, and refuses an entry larger than the whole budget", () => {
    const cache = new LruCache<number>(1000);
    for (let i = 0; i < 100; i++) {
      cache.set(`k${i}`, i, 37 + (i % 5) * 50);
      expect(cache.usedBytes).toBeLessThanOrEqual(1000);
    }
    expect(cache.set("huge", 1, 1001)).toBe(false);
    expect(cache.has("huge")).toBe(false);
    expect(cache.usedBytes).toBeLessThanOrEqual(1000);
  });

  it("replacing an entry re-weighs it; peek does not touch recency; delete and a smaller budget free bytes", () => {
    const cache = new LruCache<string>(300);
    cache.set("a", "A", 100);
    cache.set("b", "B", 100);
    cache.set("a", "A2", 150);
    expect(cache.usedBytes).toBe(250);
    expect(cache.peek("b")).toBe("B");
    cache.set("c", "C", 100); // over by 50: b (least recent) goes
    expect(cache.has("b")).toBe(false);
    expect(cache.delete("a")).toBe(true);
    expect(cache.usedBytes).toBe(100);
    cache.set("d", "D", 100);
    cache.budget = 150;
    expect([...cache.keys()]).toEqual(["d"]);
    cache.deletePrefix("d");
    expect(cache.size).toBe(0);
    expect(cache.usedBytes).toBe(0);
  });
});
