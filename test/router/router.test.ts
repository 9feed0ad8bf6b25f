import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../electron/pacs/config/schema.js";
import { parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { tagForKeyword } from "../../shared/dicom/dictionary.js";
import * as tags from "../../shared/dicom/tags.js";
import { PYDICOM_TEST_FILES, fileDataset } from "../support/archive.js";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { type StorescpPeer, startOrthanc, startStorescp, storescu } from "../support/peers.js";
import { freePort } from "../support/ports.js";
import { run } from "../support/process.js";

const CT_SERIES = {
  slices: 12,
  rows: 256,
  columns: 256,
  patientName: "Route^Me",
  patientId: "ROUTE12",
  seed: "route-12",
};
const MR_FILE = join(PYDICOM_TEST_FILES, "MR_small.dcm");

function dimse(name: string, peer: { aeTitle: string; port: number }, extra: Record<string, unknown> = {}) {
  return {
    name,
    type: "dimse" as const,
    aeTitle: peer.aeTitle,
    host: "127.0.0.1",
    port: peer.port,
    ...extra,
  };
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

function part10(path: string) {
  const bytes = readFileSync(path);
  const header = readPart10Header(bytes);
  const dataset = parseDataset(bytes.subarray(header.datasetOffset), {
    transferSyntaxUid: header.transferSyntaxUid,
  });
  return { bytes, header, dataset };
}

describe("router", () => {
  const nodes: TestNode[] = [];
  const peers: StorescpPeer[] = [];
  async function node(overrides: ConfigInput): Promise<TestNode> {
    const started = await startTestNode(overrides);
    nodes.push(started);
    return started;
  }
  async function storescp(aeTitle: string, port?: number): Promise<StorescpPeer> {
    const peer = await startStorescp({ aeTitle, port });
    peers.push(peer);
    return peer;
  }
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
    for (const p of peers.splice(0)) await p.stop();
  });
  afterAll(async () => {
    for (const p of peers) await p.stop();
  });

  it("sends every CT to the reading station and the AI engine, byte for byte, and nothing else", async () => {
    const reading = await storescp("READING");
    const ai = await storescp("AIENGINE");
    const hilum = await node({
      router: {
        destinations: [dimse("reading", reading), dimse("ai", ai)],
        rules: [{ name: "ct", match: { Modality: "CT" }, forward: ["reading", "ai"] }],
      },
    });
    const series = await cachedCtSeries(CT_SERIES);
    expect((await storescu(hilum.target, [...series.files, MR_FILE])).code).toBe(0);
    const delivered = (name: string) =>
      hilum.node.router.status().find((d) => d.name === name)?.counts.delivered;
    await eventually(
      "both received and recorded the 12 CT slices",
      () => delivered("reading") === 12 && delivered("ai") === 12,
    );
    expect([reading.files().length, ai.files().length]).toEqual([12, 12]);
    const originals = new Set(series.files.map((f) => fileDataset(f).toString("latin1")));
    for (const file of [...reading.files(), ...ai.files()])
      expect(originals.has(fileDataset(file).toString("latin1"))).toBe(true);
    const mrUid = part10(MR_FILE).dataset.string(tags.SOPInstanceUID)!;
    expect(hilum.node.router.explain(mrUid)).toEqual([]);
    const ctJobs = hilum.node.router.explain(series.sopInstanceUids[0]!);
    expect(ctJobs.map((j) => [j.rule, j.destination, j.state])).toEqual([
      ["ct", "reading", "delivered"],
      ["ct", "ai", "delivered"],
    ]);
  });

  it("routes by calling AE title and compresses per destination, losslessly", async () => {
    const archive = await storescp("ARCHIVE");
    const hilum = await node({
      router: {
        destinations: [dimse("archive", archive, { transferSyntax: "jpeg-ls-lossless" })],
        rules: [{ name: "from-ct1", callingAeTitle: "CT1", forward: ["archive"] }],
      },
    });
    const series = await cachedCtSeries(CT_SERIES);
    expect((await storescu(hilum.target, series.files.slice(0, 3), { callingAe: "CT2" })).code).toBe(0);
    expect((await storescu(hilum.target, series.files.slice(3, 6), { callingAe: "CT1" })).code).toBe(0);
    await eventually(
      "the archive received CT1's three",
      () => hilum.node.router.status()[0]?.counts.delivered === 3,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(archive.files()).toHaveLength(3);
    for (const file of archive.files()) {
      const received = part10(file);
      expect(received.header.transferSyntaxUid).toBe("1.2.840.10008.1.2.4.80");
      const uid = received.dataset.string(tags.SOPInstanceUID)!;
      const original = part10(series.files[series.sopInstanceUids.indexOf(uid)]!);
      const decoded = join(archive.dir, "decoded.dcm");
      expect((await run("dcmdjpls", [file, decoded])).code).toBe(0);
      expect(
        part10(decoded).dataset.bytes(tags.PixelData)!.equals(original.dataset.bytes(tags.PixelData)!),
      ).toBe(true);
    }
  });

  it("routes to Orthanc over DIMSE in JPEG 2000 lossless, pixels unchanged", async () => {
    const orthanc = await startOrthanc({ aeTitle: "ORTHANC_PACS" });
    try {
      const hilum = await node({
        router: {
          destinations: [dimse("pacs", orthanc, { transferSyntax: "jpeg2000-lossless" })],
          rules: [{ name: "ct", match: { Modality: "CT" }, forward: ["pacs"] }],
        },
      });
      const series = await cachedCtSeries(CT_SERIES);
      expect((await storescu(hilum.target, series.files.slice(0, 4))).code).toBe(0);
      await eventually(
        "Orthanc holds the four",
        async () => (await orthanc.json<string[]>("/instances")).length === 4,
      );
      expect(hilum.node.router.status()[0]?.counts).toMatchObject({ delivered: 4, dead: 0 });
      for (const id of await orthanc.json<string[]>("/instances")) {
        const file = join(orthanc.dir, `${id}.dcm`);
        writeFileSync(file, Buffer.from(await (await orthanc.rest(`/instances/${id}/file`)).arrayBuffer()));
        const received = part10(file);
        expect(received.header.transferSyntaxUid).toBe("1.2.840.10008.1.2.4.90");
        const decoded = `${file}.raw.dcm`;
        expect((await run("gdcmconv", ["--raw", file, decoded])).code).toBe(0);
        const uid = received.dataset.string(tags.SOPInstanceUID)!;
        const original = part10(series.files[series.sopInstanceUids.indexOf(uid)]!);
        expect(
          part10(decoded).dataset.bytes(tags.PixelData)!.equals(original.dataset.bytes(tags.PixelData)!),
        ).toBe(true);
      }
    } finally {
      await orthanc.stop();
    }
  });

  it("queues while a destination is down, retries with back-off, and delivers every instance when it returns", async () => {
    const port = await freePort();
    const hilum = await node({
      router: {
        destinations: [dimse("late", { aeTitle: "LATE", port })],
        rules: [{ name: "all", forward: ["late"] }],
        retry: { maxAttempts: 50, initialDelaySeconds: 0.2, maxDelaySeconds: 0.5 },
      },
    });
    const series = await cachedCtSeries(CT_SERIES);
    expect((await storescu(hilum.target, series.files)).code).toBe(0);
    await eventually(
      "a delivery attempt failed",
      () => (hilum.node.router.status()[0]?.lastError ?? null) !== null,
    );
    expect(hilum.node.router.status()[0]?.counts.delivered).toBe(0);
    const late = await storescp("LATE", port);
    await eventually("all 12 delivered", () => hilum.node.router.status()[0]?.counts.delivered === 12);
    expect(late.files()).toHaveLength(12);
    expect(hilum.node.router.status()[0]?.counts).toMatchObject({ queued: 0, sending: 0, dead: 0 });
  });

  it("puts a job in the dead-letter list after its last attempt, with the error, and can retry it", async () => {
    const port = await freePort();
    const hilum = await node({
      router: {
        destinations: [dimse("nowhere", { aeTitle: "NOWHERE", port })],
        rules: [{ name: "all", forward: ["nowhere"] }],
        retry: { maxAttempts: 2, initialDelaySeconds: 0.1, maxDelaySeconds: 0.1 },
      },
    });
    expect((await storescu(hilum.target, [MR_FILE])).code).toBe(0);
    await eventually("dead", () => hilum.node.router.status()[0]?.counts.dead === 1);
    const [dead] = hilum.node.router.queue.deadLetters(10, 0);
    expect(dead?.attempts).toBe(2);
    expect(dead?.lastError).toMatch(/ECONNREFUSED|cannot connect/);
    const peer = await storescp("NOWHERE", port);
    expect(hilum.node.router.queue.retry({ destination: "nowhere" }, Date.now())).toBe(1);
    hilum.node.router.kickAll();
    await eventually(
      "delivered after the manual retry",
      () => hilum.node.router.status()[0]?.counts.delivered === 1,
    );
    expect(peer.files()).toHaveLength(1);
  });

  it("spreads a 500-instance study over a group of two storescp, each instance once", async () => {
    const a = await storescp("BALANCEA");
    const b = await storescp("BALANCEB");
    const hilum = await node({
      router: {
        destinations: [
          dimse("a", a),
          dimse("b", b),
          { name: "pool", type: "group", members: ["a", "b"], strategy: "round-robin" },
        ],
        rules: [{ name: "all", forward: ["pool"] }],
      },
    });
    const series = await cachedCtSeries({ ...CT_SERIES, slices: 500, seed: "route-500" });
    expect((await storescu(hilum.target, series.files)).code).toBe(0);
    await eventually(
      "500 delivered",
      () => hilum.node.router.status().find((d) => d.name === "pool")?.counts.delivered === 500,
      60_000,
    );
    expect(a.files().length).toBeGreaterThan(100);
    expect(b.files().length).toBeGreaterThan(100);
    const uids = [...a.files(), ...b.files()].map((f) => part10(f).dataset.string(tags.SOPInstanceUID));
    expect(new Set(uids).size).toBe(500);
  });

  it("holds a study until it is stable, then sends it together; anonymises the copy, not the archive", async () => {
    const research = await storescp("RESEARCH");
    const hilum = await node({
      router: {
        destinations: [dimse("research", research)],
        rules: [
          {
            name: "research",
            forward: ["research"],
            waitForStableStudySeconds: 1.5,
            coerce: { anonymize: true, set: { InstitutionName: "HILUM RESEARCH" } },
          },
        ],
      },
    });
    const series = await cachedCtSeries(CT_SERIES);
    expect((await storescu(hilum.target, series.files.slice(0, 6))).code).toBe(0);
    await new Promise((r) => setTimeout(r, 800));
    expect((await storescu(hilum.target, series.files.slice(6))).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(research.files()).toHaveLength(0);
    await eventually(
      "the stable study arrived",
      () => hilum.node.router.status()[0]?.counts.delivered === 12,
    );
    const copy = part10(research.files()[0]!).dataset;
    expect(copy.string(tags.PatientName)).toMatch(/^ANON-[0-9A-F]{16}$/);
    expect(copy.string(tags.PatientID)).toBe(copy.string(tags.PatientName));
    expect(copy.string(tags.InstitutionName)).toBe("HILUM RESEARCH");
    expect(copy.string(tagForKeyword("PatientIdentityRemoved")!)).toBe("YES");
    const archived = hilum.node.index.find({
      model: "STUDY_ROOT",
      level: "STUDY",
      keys: [{ tag: tags.PatientName, vr: "PN", value: null }],
    });
    expect(archived[0]?.get(tags.PatientName)).toBe("Route^Me");
  });

  it("fails over to the next group member when one is down, least-queued first", async () => {
    const up = await storescp("UPMEMBER");
    const downPort = await freePort();
    const hilum = await node({
      router: {
        destinations: [
          dimse("down", { aeTitle: "DOWNMEMBER", port: downPort }),
          dimse("up", up),
          { name: "pool", type: "group", members: ["down", "up"], strategy: "least-queued" },
        ],
        rules: [{ name: "all", forward: ["pool"] }],
      },
    });
    const series = await cachedCtSeries(CT_SERIES);
    expect((await storescu(hilum.target, series.files)).code).toBe(0);
    await eventually(
      "12 delivered through the member that is up",
      () => hilum.node.router.status().find((d) => d.name === "pool")?.counts.delivered === 12,
    );
    expect(up.files()).toHaveLength(12);
    const jobs = hilum.node.router.explain(series.sopInstanceUids[0]!);
    expect(jobs.map((j) => [j.destination, j.member, j.state, j.attempts])).toEqual([
      ["pool", "up", "delivered", 1],
    ]);
  });

  it("pauses and resumes a destination through the app API, and explains a delivery", async () => {
    const secret = "p".repeat(32);
    const peer = await storescp("PAUSED");
    const hilum = await node({
      http: { launchSecret: secret },
      router: { destinations: [dimse("paused", peer)], rules: [{ name: "all", forward: ["paused"] }] },
    });
    const api = (path: string, method = "GET") =>
      fetch(`${hilum.node.http.url}${path}`, { method, headers: { authorization: `Bearer ${secret}` } });
    expect((await api("/api/router/destinations/paused/pause", "POST")).status).toBe(200);
    expect((await storescu(hilum.target, [MR_FILE])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    const paused = (await (await api("/api/router")).json()) as {
      destinations: Array<{ paused: boolean; counts: { queued: number } }>;
    };
    expect(paused.destinations[0]).toMatchObject({ paused: true, counts: { queued: 1 } });
    expect(peer.files()).toHaveLength(0);
    expect((await api("/api/router/destinations/paused/resume", "POST")).status).toBe(200);
    await eventually("delivered after resume", () => hilum.node.router.status()[0]?.counts.delivered === 1);
    const uid = part10(MR_FILE).dataset.string(tags.SOPInstanceUID)!;
    const explained = (await (await api(`/api/router/explain?sopInstanceUid=${uid}`)).json()) as {
      jobs: Array<{ rule: string; state: string }>;
    };
    expect(explained.jobs).toMatchObject([{ rule: "all", state: "delivered" }]);
    expect((await api("/api/router/destinations/nope/pause", "POST")).status).toBe(404);
    expect((await fetch(`${hilum.node.http.url}/api/router`)).status).toBe(401);
  });
});
