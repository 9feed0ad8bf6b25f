/**
 * Generated fixtures memoised on disk, so test files and benchmark runs share one copy instead of each
 * regenerating it. An entry is built in a temporary folder and renamed into place only when complete, so a
 * killed run never leaves half a fixture behind; concurrent builders of one entry race harmlessly.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compressedCopies, type CompressedCopiesOptions } from "../fixtures/compressed.js";
import { generateCtSeries, type CtSeries, type CtSeriesOptions } from "../fixtures/ct-series.js";
import { generateStudies, type GeneratedStudies, type StudiesOptions } from "../fixtures/studies.js";

const MANIFEST = "manifest.json";
const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** `HILUM_FIXTURE_CACHE` or `<tmp>/hilum-fixtures`. */
export function fixtureCacheRoot(): string {
  return process.env.HILUM_FIXTURE_CACHE ?? join(tmpdir(), "hilum-fixtures");
}

let generatorsHash: string | undefined;

/** Hash of the generator sources: editing a generator invalidates what it made. */
function fixturesSourceHash(): string {
  if (generatorsHash !== undefined) return generatorsHash;
  const hash = createHash("sha256");
  for (const name of readdirSync(FIXTURES_DIR).sort()) {
    if (name.endsWith(".ts")) hash.update(name).update(readFileSync(join(FIXTURES_DIR, name)));
  }
  generatorsHash = hash.digest("hex");
  return generatorsHash;
}

/** JSON with object keys sorted, so equal parameters always hash alike. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export interface CachedFixture<T> {
  /** The entry's folder; everything `build` wrote is below it. */
  dir: string;
  value: T;
  /** False when this call built it. */
  hit: boolean;
}

/** Strings in a manifest that name files inside the entry. */
function pathsIn(value: unknown, dir: string): string[] {
  if (typeof value === "string") return value.startsWith(`${dir}/`) ? [value] : [];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap((item) => pathsIn(item, dir));
}

/** A complete entry, or undefined; an entry whose files were cleaned away (tmp reaper) is removed. */
function readEntry<T>(dir: string): CachedFixture<T> | undefined {
  const manifest = join(dir, MANIFEST);
  if (!existsSync(manifest)) return undefined;
  const value = JSON.parse(readFileSync(manifest, "utf8")) as T;
  if (pathsIn(value, dir).every((path) => existsSync(path))) return { dir, value, hit: true };
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

const BUILDING_PREFIX = ".building-";
const ABANDONED_AFTER_MS = 6 * 60 * 60_000;

/** Removes builds a killed run left behind; live ones (other workers) are younger than any build takes. */
function sweepAbandonedBuilds(root: string): void {
  for (const name of readdirSync(root)) {
    if (!name.startsWith(BUILDING_PREFIX)) continue;
    const path = join(root, name);
    const age = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > ABANDONED_AFTER_MS) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Returns the cached fixture for (`kind`, `params`) or builds it: `build(dir)` writes into `dir` and returns
 * a JSON-serialisable description; paths in it that point into `dir` are rewritten to the final folder.
 */
export async function cachedFixture<T>(
  kind: string,
  params: unknown,
  build: (dir: string) => T | Promise<T>,
): Promise<CachedFixture<T>> {
  const key = createHash("sha256")
    .update(`${kind}\n${stableJson(params)}\n${fixturesSourceHash()}`)
    .digest("hex");
  const root = fixtureCacheRoot();
  const dir = join(root, `${kind}-${key.slice(0, 24)}`);
  const cached = readEntry<T>(dir);
  if (cached !== undefined) return cached;
  mkdirSync(root, { recursive: true });
  sweepAbandonedBuilds(root);
  const building = join(root, `${BUILDING_PREFIX}${randomUUID()}`);
  mkdirSync(building);
  try {
    const value = await build(building);
    const json = JSON.stringify(value).replaceAll(
      JSON.stringify(building).slice(1, -1),
      JSON.stringify(dir).slice(1, -1),
    );
    writeFileSync(join(building, MANIFEST), json);
    renameSync(building, dir);
    return { dir, value: JSON.parse(json) as T, hit: false };
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    const winner = readEntry<T>(dir); // another worker finished the same entry first
    if (winner !== undefined) return winner;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The generators, cached.

export async function cachedCtSeries(opts: Omit<CtSeriesOptions, "dir">): Promise<CtSeries> {
  const entry = await cachedFixture("ct-series", opts, (dir) => generateCtSeries({ ...opts, dir }));
  return entry.value;
}

export async function cachedStudies(opts: Omit<StudiesOptions, "dir">): Promise<GeneratedStudies> {
  const entry = await cachedFixture("studies", opts, (dir) => generateStudies({ ...opts, dir }));
  return entry.value;
}

export interface CachedCompressedOptions extends CompressedCopiesOptions {
  /** The CT series whose slices are copied. */
  series: Omit<CtSeriesOptions, "dir">;
}

/** A cached CT series and its cached copies in every (or the chosen) transfer syntax. */
export async function cachedCompressedSeries(
  opts: CachedCompressedOptions,
): Promise<{ series: CtSeries; copies: Awaited<ReturnType<typeof compressedCopies>> }> {
  const series = await cachedCtSeries(opts.series);
  const { series: seriesParams, ...copyOptions } = opts;
  const params = { series: seriesParams, syntaxes: copyOptions.syntaxes };
  const entry = await cachedFixture("compressed", params, (dir) =>
    compressedCopies(series.files, dir, copyOptions),
  );
  return { series, copies: entry.value };
}
