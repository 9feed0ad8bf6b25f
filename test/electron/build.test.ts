import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const out = mkdtempSync(join(tmpdir(), "hilum-electron-build-"));
const read = (path: string) => readFileSync(join(out, path), "utf8");
const tree = (dir: string): string[] =>
  readdirSync(join(out, dir), { recursive: true, encoding: "utf8" }).filter((f) =>
    statSync(join(out, dir, f)).isFile(),
  );

describe("electron-vite build", () => {
  beforeAll(async () => {
    // Into a folder of its own: out/renderer and out/node are in use by the other tests.
    const cli = join(root, "node_modules/electron-vite/bin/electron-vite.js");
    await promisify(execFile)(process.execPath, [cli, "build", "--outDir", out, "--logLevel", "warn"], {
      cwd: root,
      timeout: 120_000,
    });
  }, 150_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("writes main (with the core's utility-process entry and its transcoding thread), preload and renderer", () => {
    const files = [
      "main/index.js",
      "main/core.js",
      "main/transcode-worker.js",
      "preload/index.cjs",
      "renderer/index.html",
    ];
    for (const file of files) expect(existsSync(join(out, file)), file).toBe(true);
    expect(read("main/core.js")).toContain('"transcode-worker.js"');
    expect(read("main/transcode-worker.js")).not.toMatch(/from "electron"|require\("electron"\)/);
  });

  it("builds a preload a sandbox can load: one CommonJS file requiring only electron", () => {
    expect(tree("preload")).toEqual(["index.cjs"]);
    const preload = read("preload/index.cjs");
    const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(["electron"]));
    expect(preload).not.toMatch(/\bimport\s/);
    expect(preload).toContain('exposeInMainWorld("hilum"');
    expect(preload).not.toMatch(/require\("(node:)?(fs|child_process|path|os)"\)/);
    expect(preload.length).toBeLessThan(20_000);
  });

  it("keeps main thin: no renderer, and the core only in core.js", () => {
    const main = read("main/index.js");
    const mainFiles = tree("main").filter((f) => f.endsWith(".js"));
    for (const file of mainFiles) {
      const text = read(join("main", file));
      expect(text, file).not.toMatch(/svelte|@kitware\/vtk/);
    }
    expect(main).toMatch(/from "electron"/);
    expect(main).not.toMatch(/better-sqlite3|fastify/);
    expect(main).toContain("core.js");
    const core = read("main/core.js");
    expect(core).toMatch(/better-sqlite3|fastify/);
    expect(core).not.toMatch(/from "electron"|require\("electron"\)/);
  });

  it("builds the renderer the core serves, with no inline script (the CSP forbids it)", () => {
    const html = read("renderer/index.html");
    expect(html).toMatch(/<script type="module" crossorigin src="\.\/assets\/main-[\w-]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
  });
});

describe("electron-builder.yml", () => {
  it("matches electron-builder's own schema and keeps the native modules out of the asar archive", async () => {
    const { createRequire } = await import("node:module");
    const { parse } = await import("yaml");
    const require = createRequire(import.meta.url);
    const { validateConfiguration } = require("app-builder-lib/out/util/config/config.js") as {
      validateConfiguration(config: unknown, log: { add(): void; isEnabled: boolean }): Promise<void>;
    };
    const config = parse(readFileSync(join(root, "electron-builder.yml"), "utf8")) as Record<string, unknown>;
    await expect(validateConfiguration(config, { add: () => {}, isEnabled: false })).resolves.toBeUndefined();
    expect(config.asarUnpack).toContain("**/*.node");
    expect(config.extraMetadata).toEqual({ main: "out/main/index.js" });
    expect((config.linux as { target: string[] }).target).toEqual(["AppImage", "deb"]);
    expect((config.win as { target: string[] }).target).toEqual(["nsis"]);
    expect((config.mac as { target: string[] }).target).toEqual(["dmg", "zip"]);
    expect(config.protocols).toEqual([{ name: "Hilum EMR launch", schemes: ["hilum"] }]);
    expect(config.publish).toMatchObject({ provider: "generic" });
  });
});
