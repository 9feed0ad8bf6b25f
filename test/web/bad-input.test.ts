/**
 * Bad input on the DICOMweb surface (issue 3, "Bad input"): each case gets a precise status with an
 * application/problem+json body, stores nothing (index counts unchanged, the archive's staging folder
 * empty), touches no file outside the archive, and the server answers the next request.
 */
import { request as httpRequest } from "node:http";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import {
  AUTH,
  BOUNDARY,
  SECRET,
  STOW_TYPE,
  archiveState,
  items,
  multipartBody,
  stow,
  value,
} from "./stow-support.js";

const MAX_BODY_MIB = 1;
const PASSWD = /root:.*:0:0:/;

let hilum: TestNode;
let base: string;
let series: Awaited<ReturnType<typeof cachedCtSeries>>;
let files: Buffer[];
let viewerToken: string;
let state: Awaited<ReturnType<typeof archiveState>>;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function problem(response: Response, status: number): Promise<{ title: string; detail: string }> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as { status: number; title: string; detail: string; type: string };
  expect(body.status).toBe(status);
  expect(body.title).toEqual(expect.any(String));
  expect(body.detail).toEqual(expect.any(String));
  expect(text).not.toMatch(PASSWD);
  return body;
}

/** The request after each refusal: a search and a store still work. */
async function stillServing(): Promise<void> {
  const search = await fetch(`${base}/dicom-web/studies?PatientID=BAD-IN`, { headers: AUTH });
  expect(search.status).toBe(200);
  const found = (await search.json()) as unknown[];
  expect(found).toHaveLength(1);
}

async function unchanged(): Promise<void> {
  expect(await archiveState(hilum.node)).toEqual(state);
  await stillServing();
}

function get(path: string, headers: Record<string, string> = AUTH): Promise<Response> {
  return fetch(`${base}${path}`, { headers });
}

/** A request with the path exactly as written: fetch would resolve `..` segments before sending. */
function rawGet(path: string): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, method: "GET", headers: AUTH },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  hilum = await startTestNode({ http: { launchSecret: SECRET, maxBodyMiB: MAX_BODY_MIB } });
  base = hilum.node.http.url;
  series = await cachedCtSeries({
    slices: 3,
    rows: 64,
    columns: 64,
    patientName: "Bad^Input",
    patientId: "BAD-IN",
    seed: "bad-input",
  });
  files = series.files.map((f) => readFileSync(f));
  const sent = await storescu(hilum.target, series.files);
  expect(sent.code, sent.stderr).toBe(0);
  const created = await fetch(`${base}/api/users`, {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json" },
    body: JSON.stringify({ username: "viewer1", password: "viewer-password-1", role: "viewer" }),
  });
  expect(created.status, await created.text()).toBe(201);
  const login = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "viewer1", password: "viewer-password-1" }),
  });
  expect(login.status).toBe(200);
  viewerToken = ((await login.json()) as { token: string }).token;
});
afterAll(() => hilum.close());

beforeEach(async () => {
  state = await archiveState(hilum.node);
});

/** New instances for STOW: the stored series with other UIDs would need re-encoding; other seeds are simpler. */
async function freshFiles(seed: string, slices = 2): Promise<{ files: Buffer[]; uids: string[] }> {
  const fresh = await cachedCtSeries({
    slices,
    rows: 64,
    columns: 64,
    patientName: "Bad^Fresh",
    patientId: "BAD-FRESH",
    seed,
  });
  return { files: fresh.files.map((f) => readFileSync(f)), uids: fresh.sopInstanceUids };
}

// ---------------------------------------------------------------------------------------------------------

describe("STOW-RS: malformed multipart", () => {
  it("no boundary in the Content-Type: 400", async () => {
    const response = await fetch(`${base}/dicom-web/studies`, {
      method: "POST",
      headers: { ...AUTH, "content-type": 'multipart/related; type="application/dicom"' },
      body: multipartBody([{ body: files[0]! }]),
    });
    expect((await problem(response, 400)).detail).toMatch(/no boundary/);
    await unchanged();
  });

  it("a body truncated inside a part: 400, and not even the complete parts before it are stored", async () => {
    const fresh = await freshFiles("bad-truncated", 3);
    const whole = multipartBody(fresh.files.map((body) => ({ body })));
    const response = await fetch(`${base}/dicom-web/studies`, {
      method: "POST",
      headers: { ...AUTH, "content-type": STOW_TYPE },
      body: whole.subarray(0, whole.length - fresh.files[2]!.length / 2),
    });
    expect((await problem(response, 400)).detail).toMatch(/ends inside part 3/);
    for (const uid of fresh.uids) expect(hilum.node.index.findInstance(uid)).toBeUndefined();
    await unchanged();
  });

  it("the close delimiter missing: 400", async () => {
    const fresh = await freshFiles("bad-no-close");
    const whole = multipartBody(fresh.files.map((body) => ({ body })));
    const cut = whole.subarray(0, whole.length - `--${BOUNDARY}--\r\n`.length);
    const body = Buffer.concat([cut, Buffer.from(`--${BOUNDARY}\r\n`)]);
    const response = await fetch(`${base}/dicom-web/studies`, {
      method: "POST",
      headers: { ...AUTH, "content-type": STOW_TYPE },
      body,
    });
    expect((await problem(response, 400)).detail).toMatch(/without the close delimiter/);
    await unchanged();
  });

  it("a part without headers: 400", async () => {
    const body = Buffer.concat([
      Buffer.from(`--${BOUNDARY}\r\n\r\n`),
      files[0]!,
      Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    ]);
    const answer = await fetch(`${base}/dicom-web/studies`, {
      method: "POST",
      headers: { ...AUTH, "content-type": STOW_TYPE },
      body,
    });
    expect((await problem(answer, 400)).detail).toMatch(/part 1 has no header fields/);
    await unchanged();
  });

  it("a part with headers but no Content-Type: 400", async () => {
    const answer = await stow(
      base,
      multipartBody([{ body: files[0]!, contentType: null, headers: ["X-A: b"] }]),
    );
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.text).toMatch(/part 1 has no Content-Type/);
    await unchanged();
  });

  it("a body that is not multipart at all, and one with no parts: 400", async () => {
    await problem(
      await fetch(`${base}/dicom-web/studies`, {
        method: "POST",
        headers: { ...AUTH, "content-type": STOW_TYPE },
        body: files[0]!,
      }),
      400,
    );
    await problem(
      await fetch(`${base}/dicom-web/studies`, {
        method: "POST",
        headers: { ...AUTH, "content-type": STOW_TYPE },
        body: `--${BOUNDARY}--\r\n`,
      }),
      400,
    );
    await problem(
      await fetch(`${base}/dicom-web/studies`, {
        method: "POST",
        headers: { ...AUTH, "content-type": STOW_TYPE },
      }),
      400,
    );
    await unchanged();
  });
});

describe("STOW-RS: media types", () => {
  it.each([
    ["application/dicom (no multipart)", "application/dicom"],
    [
      "multipart/related of DICOM JSON",
      `multipart/related; type="application/dicom+json"; boundary=${BOUNDARY}`,
    ],
    ["multipart/form-data", `multipart/form-data; boundary=${BOUNDARY}`],
    ["application/json", "application/json"],
  ])("refuses a request of %s with 415", async (_what, contentType) => {
    const response = await fetch(`${base}/dicom-web/studies`, {
      method: "POST",
      headers: { ...AUTH, "content-type": contentType },
      body: multipartBody([{ body: files[0]! }]),
    });
    await problem(response, 415);
    await unchanged();
  });

  it("refuses a request with a part that is not application/dicom (415): nothing of it is stored", async () => {
    const fresh = await freshFiles("bad-part-type");
    const body = multipartBody([
      { body: fresh.files[0]! },
      { body: Buffer.from("\xff\xd8\xff\xe0 a JPEG", "latin1"), contentType: "image/jpeg" },
      { body: fresh.files[1]! },
    ]);
    const answer = await stow(base, body);
    expect(answer.status).toBe(415);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect((JSON.parse(answer.text) as { detail: string }).detail).toMatch(/part 2 is "image\/jpeg"/);
    for (const uid of fresh.uids) expect(hilum.node.index.findInstance(uid)).toBeUndefined();
    await unchanged();
  });

  it("answers 406 when the client accepts no DICOM JSON (only XML)", async () => {
    const response = await fetch(`${base}/dicom-web/studies`, {
      method: "POST",
      headers: { ...AUTH, "content-type": STOW_TYPE, accept: "application/dicom+xml" },
      body: multipartBody([{ body: files[0]! }]),
    });
    await problem(response, 406);
    await unchanged();
  });
});

describe("STOW-RS: parts that are not DICOM", () => {
  it("fails that part with 0xC000 in FailedSOPSequence and stores the others: 202", async () => {
    const fresh = await freshFiles("bad-not-dicom");
    const answer = await stow(
      base,
      multipartBody([
        { body: fresh.files[0]! },
        { body: Buffer.from("this is a text file, not DICOM\n".repeat(20)) },
        { body: Buffer.alloc(0) },
        { body: fresh.files[1]! },
        // A Part 10 header, then garbage where the SOP Class UID was.
        { body: Buffer.concat([fresh.files[0]!.subarray(0, 400), Buffer.alloc(300, 0xff)]) },
        // A Part 10 header and the dataset's first elements, then garbage: refused by the ingest's full validation.
        { body: Buffer.concat([fresh.files[0]!.subarray(0, 1500), Buffer.alloc(300, 0xff)]) },
      ]),
    );
    expect(answer.status, answer.text).toBe(202);
    expect(answer.contentType).toMatch(/^application\/dicom\+json/);
    const failed = items(answer, "00081198");
    expect(failed.map((f) => value(f, "00081197"))).toEqual([0xc000, 0xc000, 0xc000, 0xc000]);
    expect(failed[0]!["00081155"]).toBeUndefined(); // no UID known for bytes that are not DICOM
    expect(items(answer, "00081199").map((i) => value(i, "00081155"))).toEqual(fresh.uids);
    await hilum.node.ingest.idle();
    expect(hilum.node.index.counts().instances).toBe(state.counts.instances + 2);
    expect((await archiveState(hilum.node)).staging).toEqual([]);
    await stillServing();
  });

  it("all parts not DICOM: 409 with the Store Instances Response, nothing stored", async () => {
    const answer = await stow(
      base,
      multipartBody([{ body: Buffer.from("nope") }, { body: Buffer.from("DICM") }]),
    );
    expect(answer.status).toBe(409);
    expect(items(answer, "00081198").map((f) => value(f, "00081197"))).toEqual([0xc000, 0xc000]);
    await unchanged();
  });
});

describe("STOW-RS: a body over http.maxBodyMiB", () => {
  const big = () => multipartBody([{ body: Buffer.alloc((MAX_BODY_MIB + 1) * 1024 * 1024, 7) }]);

  it("answers 413 at once when the Content-Length says so, and keeps serving", async () => {
    const response = await fetch(`${base}/dicom-web/studies`, {
      method: "POST",
      headers: { ...AUTH, "content-type": STOW_TYPE },
      body: big(),
    });
    // The connection is closed rather than drained: the server reads none of the refused body.
    expect(response.headers.get("connection")).toBe("close");
    expect((await problem(response, 413)).detail).toMatch(/exceeds the limit/);
    await unchanged();
  });

  it("answers 413 once a chunked body passes the limit, dropping the parts it had staged", async () => {
    const fresh = await freshFiles("bad-too-big-chunked");
    const body = Buffer.concat([
      multipartBody(fresh.files.map((b) => ({ body: b }))).subarray(0, -`--${BOUNDARY}--\r\n`.length),
      big(),
    ]);
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const at = (this as unknown as { at?: number }).at ?? 0;
        if (at >= body.length) return controller.close();
        controller.enqueue(body.subarray(at, at + 64 * 1024));
        (this as unknown as { at: number }).at = at + 64 * 1024;
        await sleep(1);
      },
    });
    let status: number;
    try {
      const response = await fetch(`${base}/dicom-web/studies`, {
        method: "POST",
        headers: { ...AUTH, "content-type": STOW_TYPE },
        body: stream,
        duplex: "half",
      } as RequestInit);
      status = (await problem(response, 413)) ? 413 : 0;
    } catch {
      // The server may close the connection before the client has sent everything: also a refusal.
      status = 413;
    }
    expect(status).toBe(413);
    for (const uid of fresh.uids) expect(hilum.node.index.findInstance(uid)).toBeUndefined();
    await unchanged();
  });

  it("stores nothing of an upload the client abandons, and keeps serving", async () => {
    const fresh = await freshFiles("bad-abandoned", 3);
    const body = multipartBody(fresh.files.map((b) => ({ body: b })));
    const controller = new AbortController();
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent >= body.length - 100) {
          await sleep(50);
          controller.abort();
          return;
        }
        c.enqueue(body.subarray(sent, sent + 4096));
        sent += 4096;
        await sleep(1);
      },
    });
    await expect(
      fetch(`${base}/dicom-web/studies`, {
        method: "POST",
        headers: { ...AUTH, "content-type": STOW_TYPE },
        body: stream,
        duplex: "half",
        signal: controller.signal,
      } as RequestInit),
    ).rejects.toThrow();
    // The server notices the closed connection on its own time.
    for (let i = 0; i < 50 && (await archiveState(hilum.node)).staging.length > 0; i++) await sleep(20);
    for (const uid of fresh.uids) expect(hilum.node.index.findInstance(uid)).toBeUndefined();
    await unchanged();
  });
});

// ---------------------------------------------------------------------------------------------------------
// The whole /dicom-web surface

describe("credentials and roles", () => {
  const reads = () => [
    "/dicom-web/studies",
    "/dicom-web/series",
    "/dicom-web/instances",
    `/dicom-web/studies/${series.studyInstanceUid}`,
    `/dicom-web/studies/${series.studyInstanceUid}/metadata`,
    `/dicom-web/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${series.sopInstanceUids[0]}/frames/1`,
    `/dicom-web/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${series.sopInstanceUids[0]}/rendered`,
    `/dicom-web/studies/${series.studyInstanceUid}/thumbnail`,
    `/dicom-web/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${series.sopInstanceUids[0]}/bulkdata/7FE00010`,
    `/wado?requestType=WADO&studyUID=${series.studyInstanceUid}&seriesUID=${series.seriesInstanceUid}&objectUID=${series.sopInstanceUids[0]}&contentType=application/dicom`,
  ];

  it("answers 401 to every DICOMweb route without credentials, and with a wrong token", async () => {
    for (const path of reads()) {
      await problem(await get(path, {}), 401);
      await problem(await get(path, { authorization: "Bearer not-a-token" }), 401);
    }
    const response = await fetch(`${base}/dicom-web/studies`, {
      method: "POST",
      headers: { "content-type": STOW_TYPE },
      body: multipartBody([{ body: files[0]! }]),
    });
    await problem(response, 401);
    await unchanged();
  });

  it("lets a viewer read but not store (403), logged in through POST /api/login", async () => {
    const viewer = { authorization: `Bearer ${viewerToken}` };
    expect((await get("/dicom-web/studies", viewer)).status).toBe(200);
    const fresh = await freshFiles("bad-viewer");
    const answer = await stow(base, multipartBody([{ body: fresh.files[0]! }]), { headers: viewer });
    expect(answer.status).toBe(403);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.text).toMatch(/viewer may not studies:write/);
    expect(hilum.node.index.findInstance(fresh.uids[0]!)).toBeUndefined();
    await unchanged();
  });
});

describe("path traversal and invalid UIDs in path segments", () => {
  const traversals = [
    "..%2F..%2Fetc%2Fpasswd",
    "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%5C..%5Cetc%5Cpasswd",
    "%252e%252e%252fetc",
    "1.2.3%00",
  ];

  it("answers 400 for an encoded traversal in any UID segment, of every route, and reads no file", async () => {
    const s = series.studyInstanceUid;
    const se = series.seriesInstanceUid;
    const i = series.sopInstanceUids[0]!;
    for (const bad of traversals) {
      const paths = [
        `/dicom-web/studies/${bad}`,
        `/dicom-web/studies/${bad}/metadata`,
        `/dicom-web/studies/${bad}/series`,
        `/dicom-web/studies/${bad}/instances`,
        `/dicom-web/studies/${bad}/rendered`,
        `/dicom-web/studies/${bad}/thumbnail`,
        `/dicom-web/studies/${s}/series/${bad}`,
        `/dicom-web/studies/${s}/series/${bad}/metadata`,
        `/dicom-web/studies/${s}/series/${bad}/instances`,
        `/dicom-web/studies/${s}/series/${se}/instances/${bad}`,
        `/dicom-web/studies/${s}/series/${se}/instances/${bad}/metadata`,
        `/dicom-web/studies/${s}/series/${se}/instances/${bad}/frames/1`,
        `/dicom-web/studies/${s}/series/${se}/instances/${bad}/bulkdata/7FE00010`,
        `/dicom-web/studies/${s}/series/${se}/instances/${i}/frames/${bad}`,
        `/dicom-web/studies/${s}/series/${se}/instances/${i}/bulkdata/${bad}`,
        `/wado?requestType=WADO&studyUID=${bad}&seriesUID=${se}&objectUID=${i}`,
        `/wado?requestType=WADO&studyUID=${s}&seriesUID=${se}&objectUID=${bad}`,
      ];
      for (const path of paths) {
        const response = await get(path);
        expect(response.status, path).toBe(400);
        await problem(response, 400);
      }
      const posted = await stow(base, multipartBody([{ body: files[0]! }]), {
        path: `/dicom-web/studies/${bad}`,
      });
      expect(posted.status, bad).toBe(400);
    }
    await unchanged();
  });

  // Unencoded, `..` segments leave /dicom-web: no route matches (404), or the static handler for `/`
  // finds the normalised path outside its root (403). Either way no file is read.
  it("answers 404 (or the static handler's 403) for a traversal sent unencoded, and reads no file", async () => {
    expect((await rawGet("/dicom-web/studies/../../etc/passwd")).status).toBe(404);
    for (const path of [
      "/dicom-web/studies/../../etc/passwd",
      "/dicom-web/studies/../../../../../../etc/passwd",
      `/dicom-web/studies/${series.studyInstanceUid}/series/../../../etc/passwd`,
      "/dicom-web/../../etc/passwd",
      "/../../etc/passwd",
    ]) {
      const answer = await rawGet(path);
      expect([403, 404], `${path}: ${answer.status}`).toContain(answer.status);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(answer.text).not.toMatch(PASSWD);
    }
    await unchanged();
  });

  it.each([
    ["letters", "1.2.abc"],
    ["an empty component", "1..2"],
    ["a trailing dot", "1.2."],
    ["65 characters", `1.${"2".repeat(63)}`],
    ["a space", "1.2%203"],
  ])("answers 400 for a UID with %s, in STOW and in reads", async (_what, bad) => {
    await problem(await get(`/dicom-web/studies/${bad}`), 400);
    await problem(await get(`/dicom-web/studies/${bad}/series`), 400);
    await problem(
      await get(
        `/dicom-web/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${bad}/metadata`,
      ),
      400,
    );
    const answer = await stow(base, multipartBody([{ body: files[0]! }]), {
      path: `/dicom-web/studies/${bad}`,
    });
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    await unchanged();
  });
});

describe("QIDO-RS parameters", () => {
  it.each([
    ["PatientName", "';DROP TABLE studies;--"],
    ["PatientName", "x' OR '1'='1"],
    ["PatientID", '" OR 1=1; --'],
    ["StudyDescription", "%' UNION SELECT * FROM instances --"],
    ["AccessionNumber", "*'); DELETE FROM studies; --"],
    ["StudyInstanceUID", "1.2' OR 1=1 --"],
  ])("takes SQL metacharacters in %s as data: 200, no match, nothing changed", async (name, text) => {
    const response = await get(`/dicom-web/studies?${name}=${encodeURIComponent(text)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
    await unchanged();
  });

  it("answers 400 naming an unknown includefield, or an unknown attribute", async () => {
    expect((await problem(await get("/dicom-web/studies?includefield=NoSuchKeyword"), 400)).detail).toMatch(
      /NoSuchKeyword/,
    );
    expect(
      (await problem(await get("/dicom-web/studies?includefield=PatientName,Bogus"), 400)).detail,
    ).toMatch(/Bogus/);
    expect((await problem(await get("/dicom-web/series?NotAnAttribute=1"), 400)).detail).toMatch(
      /NotAnAttribute/,
    );
    await problem(await get("/dicom-web/studies?limit=1;DROP TABLE studies"), 400);
    await unchanged();
  });
});

describe("Accept the server cannot produce", () => {
  it("answers 406 on search, retrieve, metadata, frames, rendered and STOW", async () => {
    const s = series.studyInstanceUid;
    const se = series.seriesInstanceUid;
    const i = series.sopInstanceUids[0]!;
    const cases: Array<[string, string]> = [
      ["/dicom-web/studies", "application/dicom+xml"],
      [`/dicom-web/studies/${s}`, "image/gif"],
      [`/dicom-web/studies/${s}/series/${se}/instances/${i}`, 'multipart/related; type="image/gif"'],
      [`/dicom-web/studies/${s}/metadata`, "application/dicom+xml"],
      [`/dicom-web/studies/${s}/series/${se}/instances/${i}/frames/1`, 'multipart/related; type="image/gif"'],
      [`/dicom-web/studies/${s}/series/${se}/instances/${i}/rendered`, "image/tiff"],
    ];
    for (const [path, accept] of cases) {
      const response = await get(path, { ...AUTH, accept });
      expect(response.status, `${path} ${accept}`).toBe(406);
      await problem(response, 406);
    }
    await unchanged();
  });
});
