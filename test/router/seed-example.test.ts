import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { validateConfig } from "../../electron/pacs/config/load.js";
import type { ConfigInput } from "../../electron/pacs/config/schema.js";
import { PYDICOM_TEST_FILES } from "../support/archive.js";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { REPO_ROOT, type TestNode, startTestNode } from "../support/hilum.js";
import {
  type OrthancPeer,
  type StorescpPeer,
  startOrthanc,
  startStorescp,
  storescu,
} from "../support/peers.js";

/** The YAML block that follows `<!-- name -->` in docs/routing.md. */
function docsExample(name: string): { router: Record<string, unknown> } {
  const doc = readFileSync(join(REPO_ROOT, "docs/routing.md"), "utf8");
  const match = new RegExp(`<!-- ${name} -->\\s*\`\`\`yaml\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!match) throw new Error(`docs/routing.md lost its ${name}`);
  return parseYaml(match[1]!) as { router: Record<string, unknown> };
}
const seedExample = () => docsExample("seed-example");

async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe("the seed's routing example, as docs/routing.md configures it", () => {
  let reading: StorescpPeer;
  let ai: StorescpPeer;
  let cloud: OrthancPeer;
  let hilum: TestNode;
  afterAll(async () => {
    await hilum?.close();
    await Promise.all([reading?.stop(), ai?.stop(), cloud?.stop()]);
  });

  it("validates as written, as does the configuration reference's full example", () => {
    expect(() => validateConfig(seedExample(), "docs/routing.md")).not.toThrow();
    const full = docsExample("full-example");
    const destinations = full.router.destinations as Array<Record<string, unknown>>;
    // The reference names group members it does not spell out; give them their own entries.
    destinations.push(
      { name: "ai1", type: "dimse", aeTitle: "AI1", host: "10.0.0.31", port: 104 },
      { name: "ai2", type: "dimse", aeTitle: "AI2", host: "10.0.0.32", port: 104 },
    );
    expect(() => validateConfig(full, "docs/routing.md")).not.toThrow();
  });

  it("sends every CT to the reading station and the AI engine, and every study to the cloud archive in JPEG-LS", async () => {
    [reading, ai, cloud] = await Promise.all([
      startStorescp({ aeTitle: "READING1" }),
      startStorescp({ aeTitle: "AIENGINE" }),
      startOrthanc({ aeTitle: "CLOUD", dicomWeb: true }),
    ]);
    const example = seedExample();
    const router = structuredClone(example.router) as {
      destinations: Array<Record<string, unknown>>;
      rules: Array<Record<string, unknown>>;
    };
    const at = (name: string) => router.destinations.find((d) => d.name === name)!;
    Object.assign(at("reading"), { host: "127.0.0.1", port: reading.port });
    Object.assign(at("ai"), { host: "127.0.0.1", port: ai.port });
    Object.assign(at("cloud"), { url: `${cloud.baseUrl}/dicom-web` });
    router.rules.find((r) => r.name === "every-study-to-the-cloud")!.waitForStableStudySeconds = 1;
    hilum = await startTestNode({ router } as ConfigInput);

    const ct = await cachedCtSeries({
      slices: 8,
      rows: 256,
      columns: 256,
      patientName: "Seed^Example",
      patientId: "SEED8",
      seed: "seed-8",
    });
    const mr = join(PYDICOM_TEST_FILES, "MR_small.dcm");
    expect((await storescu(hilum.target, [...ct.files, mr])).code).toBe(0);

    const delivered = (name: string) =>
      hilum.node.router.status().find((d) => d.name === name)?.counts.delivered;
    await eventually(
      "reading and AI have the 8 CT slices",
      () => delivered("reading") === 8 && delivered("ai") === 8,
    );
    expect([reading.files().length, ai.files().length]).toEqual([8, 8]);
    await eventually("the cloud archive has all 9 instances", () => delivered("cloud") === 9);
    expect(await cloud.json<string[]>("/instances")).toHaveLength(9);
    const syntaxes = new Set<string>();
    for (const id of await cloud.json<string[]>("/instances")) {
      const header = await cloud.json<Record<string, { Value: string }>>(`/instances/${id}/header?simplify`);
      syntaxes.add((header as unknown as Record<string, string>).TransferSyntaxUID ?? "");
    }
    expect([...syntaxes]).toEqual(["1.2.840.10008.1.2.4.80"]);
    expect(reading.files().every((f) => !f.includes("MR"))).toBe(true);
    const status = hilum.node.router.status();
    expect(status.map((d) => [d.name, d.counts.delivered, d.counts.dead])).toEqual([
      ["reading", 8, 0],
      ["ai", 8, 0],
      ["cloud", 9, 0],
    ]);
  });
});
