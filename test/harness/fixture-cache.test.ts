import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { cachedCtSeries, cachedFixture, fixtureCacheRoot } from "../support/fixture-cache.js";

describe("fixture cache", () => {
  let previous: string | undefined;

  beforeEach(() => {
    previous = process.env.HILUM_FIXTURE_CACHE;
    process.env.HILUM_FIXTURE_CACHE = mkdtempSync(join(inject("scratchRoot"), "cache-"));
  });

  afterEach(() => {
    if (previous === undefined) delete process.env.HILUM_FIXTURE_CACHE;
    else process.env.HILUM_FIXTURE_CACHE = previous;
  });

  it("builds once per parameters and rewrites paths to the final folder", async () => {
    let builds = 0;
    const build = (dir: string) => {
      builds += 1;
      writeFileSync(join(dir, "a.txt"), "a");
      return { file: join(dir, "a.txt") };
    };
    const first = await cachedFixture("demo", { n: 1, m: 2 }, build);
    const again = await cachedFixture("demo", { m: 2, n: 1 }, build);
    const other = await cachedFixture("demo", { n: 2, m: 2 }, build);
    expect(builds).toBe(2);
    expect([first.hit, again.hit, other.hit]).toEqual([false, true, false]);
    expect(again.value.file).toBe(join(first.dir, "a.txt"));
    expect(existsSync(again.value.file)).toBe(true);
    expect(other.dir).not.toBe(first.dir);
  });

  it("leaves nothing behind when a build fails", async () => {
    const failing = cachedFixture("broken", {}, (dir) => {
      writeFileSync(join(dir, "half.txt"), "half");
      throw new Error("generator crashed");
    });
    await expect(failing).rejects.toThrow("generator crashed");
    expect(readdirSync(fixtureCacheRoot())).toEqual([]);
  });

  it("rebuilds an entry whose files were cleaned away", async () => {
    const build = (dir: string) => {
      writeFileSync(join(dir, "a.txt"), "a");
      return [join(dir, "a.txt")];
    };
    const first = await cachedFixture("reaped", {}, build);
    rmSync(first.value[0] ?? "");
    const again = await cachedFixture("reaped", {}, build);
    expect(again.hit).toBe(false);
    expect(existsSync(again.value[0] ?? "")).toBe(true);
  });

  it("serves a generated CT series from the cache the second time", async () => {
    const params = { slices: 2, rows: 16, columns: 16, patientName: "Cache^Test", patientId: "C1", seed: 9 };
    const first = await cachedCtSeries(params);
    const again = await cachedCtSeries(params);
    expect(again).toEqual(first);
    expect(first.files.every((file) => file.startsWith(fixtureCacheRoot()) && existsSync(file))).toBe(true);
  });
});
