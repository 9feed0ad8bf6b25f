/**
 * Frame and pixel bulk data reads are audited once per user, address, action and study per
 * `dicomWeb.auditWindowSeconds`: over HTTP against a node (two studies, the launch secret and a login
 * session as two users), and the coalescing itself with a clock of its own. Also: frames read into
 * reused buffers stay right when many are in flight and when a client leaves in the middle of one.
 */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import type { FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { AccessCoalescer, auditAccessCoalesced } from "../../electron/pacs/web/audit.js";
import type { WebContext } from "../../electron/pacs/web/context.js";
import type { CtSeries } from "../fixtures/ct-series.js";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import { AUTH, SECRET, get, readMultipart } from "./dicomweb-support.js";

const OCTET = 'multipart/related; type="application/octet-stream"';
const ADMIN = { username: "Audit.Admin", password: "audit admin password" };

let hilum: TestNode;
let base: string;
let first: CtSeries;
let second: CtSeries;
let token: string;

const instanceUrl = (series: CtSeries, i: number) =>
  `${base}/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${series.sopInstanceUids[i]}`;

function rows(action: string, studyUid: string) {
  return hilum.node.index.audit.query({ action, studyUid });
}

function pixelData(file: string): Buffer {
  const bytes = readFileSync(file);
  const header = readPart10Header(bytes);
  const dataset = parseDataset(bytes.subarray(header.datasetOffset), {
    transferSyntaxUid: header.transferSyntaxUid,
  });
  return dataset.get(0x7fe00010)!.value!;
}

async function frame(series: CtSeries, i: number, headers: Record<string, string> = {}): Promise<Buffer> {
  const response = await get(`${instanceUrl(series, i)}/frames/1`, { accept: OCTET, ...headers });
  expect(response.status).toBe(200);
  const parts = readMultipart(
    response.headers.get("content-type") ?? "",
    Buffer.from(await response.arrayBuffer()),
  );
  expect(parts).toHaveLength(1);
  return parts[0]!.body;
}

beforeAll(async () => {
  const options = { rows: 64, columns: 64, slices: 3, bitsStored: 16 as const };
  first = await cachedCtSeries({
    ...options,
    patientName: "Audit^First",
    patientId: "AUDIT-1",
    seed: "audit-1",
  });
  second = await cachedCtSeries({
    ...options,
    patientName: "Audit^Second",
    patientId: "AUDIT-2",
    seed: "audit-2",
  });
  hilum = await startTestNode({ http: { launchSecret: SECRET } });
  base = `${hilum.node.http.url}/dicom-web`;
  for (const series of [first, second]) {
    const sent = await storescu(hilum.target, series.files);
    expect(sent.code, sent.stderr).toBe(0);
  }
  const setup = await fetch(`${hilum.node.http.url}/api/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ADMIN),
  });
  expect(setup.status).toBe(201);
  token = ((await setup.json()) as { token: string }).token;
});

afterAll(async () => {
  await hilum?.close();
});

describe("audit of frame reads over HTTP", () => {
  it("writes one row for the frames of a study read by one user, another for another study or user", async () => {
    // One user (the launch secret), one study: three frames, two of them twice, and a 304.
    const bodies = [];
    for (const i of [0, 1, 2, 0, 1]) bodies.push(await frame(first, i));
    const etag = (await get(`${instanceUrl(first, 0)}/frames/1`, { accept: OCTET })).headers.get("etag")!;
    const cached = await get(`${instanceUrl(first, 0)}/frames/1`, { accept: OCTET, "if-none-match": etag });
    expect(cached.status).toBe(304);
    let audited = rows("retrieve-frames", first.studyInstanceUid);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      actor: "desktop",
      outcome: "success",
      seriesUid: first.seriesInstanceUid,
      sopInstanceUid: first.sopInstanceUids[0],
      detail: { frames: 1, auditWindowSeconds: 60, via: "launch-secret" },
    });

    // Another study: a row of its own.
    await frame(second, 0);
    await frame(second, 1);
    expect(rows("retrieve-frames", second.studyInstanceUid)).toHaveLength(1);

    // Another user (a login session's bearer token), the first study again: a row of its own.
    await frame(first, 2, { authorization: `Bearer ${token}` });
    await frame(first, 1, { authorization: `Bearer ${token}` });
    audited = rows("retrieve-frames", first.studyInstanceUid);
    expect(audited).toHaveLength(2);
    expect(audited.map((row) => row.actor).sort()).toEqual([ADMIN.username, "desktop"].sort());
    expect(audited.find((row) => row.actor === ADMIN.username)).toMatchObject({
      sopInstanceUid: first.sopInstanceUids[2],
      detail: { via: "token", auditWindowSeconds: 60 },
    });

    // Pixel bulk data is another action: its own row, once per window too.
    for (const i of [0, 1]) {
      const response = await get(`${instanceUrl(first, i)}/bulkdata/7FE00010`, { accept: OCTET });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(rows("retrieve-bulkdata", first.studyInstanceUid)).toHaveLength(1);
  });

  it("sends every frame right with many in flight (reused buffers)", async () => {
    const truth = [...first.files, ...second.files].map(pixelData);
    const series = [first, first, first, second, second, second];
    const rounds = await Promise.all(
      Array.from({ length: 8 }, () =>
        Promise.all(series.map((s, n) => frame(s, n % 3, n % 2 ? {} : { authorization: `Bearer ${token}` }))),
      ),
    );
    for (const round of rounds) round.forEach((body, n) => expect(body.equals(truth[n]!)).toBe(true));
  });

  it("keeps sending right frames after a client leaves in the middle of one", async () => {
    const url = new URL(`${instanceUrl(first, 1)}/frames/1`);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const req = request(url, { headers: { ...AUTH, accept: OCTET } }, (res) => {
          res.once("data", () => {
            req.destroy();
            resolve();
          });
        });
        req.on("error", () => resolve());
        req.end();
      });
    }
    const truth = first.files.map(pixelData);
    for (const i of [0, 1, 2]) expect((await frame(first, i)).equals(truth[i]!)).toBe(true);
  });
});

describe("AccessCoalescer", () => {
  it("admits a key once per window, again once the window has passed or the clock went back", () => {
    let now = 1_000_000;
    const coalescer = new AccessCoalescer(() => now);
    expect(coalescer.admit("a", 60_000)).toBe(true);
    now += 59_999;
    expect(coalescer.admit("a", 60_000)).toBe(false);
    expect(coalescer.admit("b", 60_000)).toBe(true);
    now += 1;
    expect(coalescer.admit("a", 60_000)).toBe(true); // a new window from here
    now += 30_000;
    expect(coalescer.admit("a", 60_000)).toBe(false);
    now -= 3_600_000; // the clock set back: a row rather than a window that never ends
    expect(coalescer.admit("a", 60_000)).toBe(true);
  });

  it("forgets expired keys, and the oldest beyond its bound (more rows, never fewer)", () => {
    let now = 0;
    const coalescer = new AccessCoalescer(() => now, 3);
    for (const key of ["a", "b", "c"]) coalescer.admit(key, 1000);
    expect(coalescer.size).toBe(3);
    coalescer.admit("d", 1000);
    expect(coalescer.size).toBe(3);
    expect(coalescer.admit("a", 1000)).toBe(true); // dropped early: audited again
    now = 5000;
    coalescer.admit("e", 1000);
    expect(coalescer.size).toBe(1);
  });
});

describe("auditAccessCoalesced", () => {
  function context(windowSeconds: number) {
    const appended: Array<{ actor: string; studyUid?: string; outcome: string; detail?: unknown }> = [];
    const ctx = {
      config: { dicomWeb: { auditWindowSeconds: windowSeconds } },
      index: { audit: { append: (entry: (typeof appended)[number]) => appended.push(entry) } },
    } as unknown as WebContext;
    return { ctx, appended };
  }
  const user = (name: string, ip = "10.0.0.1") =>
    ({ principal: { name, role: "viewer", via: "token" }, ip }) as unknown as FastifyRequest;
  const read = { action: "retrieve-frames", studyUid: "1.2.3" };

  it("coalesces by user, address, action and study; failures and reads outside a study are rows of their own", () => {
    const { ctx, appended } = context(60);
    auditAccessCoalesced(ctx, user("ann"), read);
    auditAccessCoalesced(ctx, user("ann"), read);
    auditAccessCoalesced(ctx, user("ann", "10.0.0.2"), read);
    auditAccessCoalesced(ctx, user("bob"), read);
    auditAccessCoalesced(ctx, user("ann"), { ...read, studyUid: "1.2.4" });
    auditAccessCoalesced(ctx, user("ann"), { ...read, action: "retrieve-bulkdata" });
    auditAccessCoalesced(ctx, user("ann"), { ...read, outcome: "failure" });
    auditAccessCoalesced(ctx, user("ann"), { ...read, outcome: "failure" });
    auditAccessCoalesced(ctx, user("ann"), { action: "retrieve-frames" });
    auditAccessCoalesced(ctx, user("ann"), { action: "retrieve-frames" });
    expect(appended).toHaveLength(9);
    expect(appended[0]).toMatchObject({ actor: "ann", detail: { auditWindowSeconds: 60 } });
    expect(appended[5]!.detail).not.toHaveProperty("auditWindowSeconds");
  });

  it("writes a row for every read with a window of 0", () => {
    const { ctx, appended } = context(0);
    for (let i = 0; i < 3; i++) auditAccessCoalesced(ctx, user("ann"), read);
    expect(appended).toHaveLength(3);
    expect(appended[0]!.detail).not.toHaveProperty("auditWindowSeconds");
  });
});
