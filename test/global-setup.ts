import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

/** One scratch root per `npm test` run; test files create their own folders below it. */
export default function setup(project: TestProject): () => void {
  // The server, CLI and renderer are tested as users run them: from the bundles `npm run serve` builds.
  execFileSync(process.execPath, ["scripts/build-node.mjs"], { stdio: "inherit" });
  execFileSync("npm", ["run", "--silent", "build:renderer"], { stdio: "inherit" });
  const root = mkdtempSync(join(tmpdir(), "hilum-test-"));
  project.provide("scratchRoot", root);
  return () => rmSync(root, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    scratchRoot: string;
  }
}
