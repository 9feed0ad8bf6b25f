/**
 * The app API over real HTTP against an in-process node that 40 studies were sent to with DCMTK storescu,
 * started from a YAML configuration file as `npm run serve -- --config` does: the study list's filters,
 * sorting and paging checked against the generated studies, reading status round trips and their audit
 * rows, the audit query, roles on every route, configuration read (secrets redacted) and write (validated,
 * persisted with its comments, applied live: the DICOM allow-list is tested with echoscu), and the OpenAPI
 * document against the routes fastify actually registered.
 */
import { readFileSync } from "node:fs";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { validateConfig, readConfigFile } from "../../electron/pacs/config/load.js";
import { startWebServer } from "../../electron/pacs/web/server.js";
import type { GeneratedStudy } from "../fixtures/studies.js";
import { cachedStudies } from "../support/fixture-cache.js";
import { startTestNode, type TestNode } from "../support/hilum.js";
import { echoscu, storescu, type DicomTarget } from "../support/peers.js";
import {
  type Answer,
  call,
  createAccounts,
  expectProblem,
  type FileNode,
  startNodeWithConfigFile,
} from "./api-support.js";

const LAUNCH_SECRET = "L".repeat(40);
const HMAC_SECRET = "H".repeat(48);
const CONFIG_TEXT = `# Hilum test node: this comment must survive PUT /api/config
aeTitle: APITEST # our AE title
http:
  launchSecret: ${LAUNCH_SECRET} # the desktop secret
launch:
  hmacSecret: ${HMAC_SECRET} # shared with the EMR
peers: []
`;

let hilum: FileNode;
let base: string;
let target: DicomTarget;
let studies: GeneratedStudy[];
let tokens: Awaited<ReturnType<typeof createAccounts>>;

beforeAll(async () => {
  const generated = await cachedStudies({ count: 40, seed: "api" });
  studies = generated.studies;
  hilum = await startNodeWithConfigFile(CONFIG_TEXT);
  base = hilum.node.http.url;
  target = { host: "127.0.0.1", port: hilum.node.dicom.port, aeTitle: "APITEST" };
  const sent = await storescu(target, generated.files);
  expect(sent.code, sent.stderr).toBe(0);
  expect(hilum.node.index.counts().studies).toBe(40);
  tokens = await createAccounts(base);
});

afterAll(async () => {
  await hilum?.close();
});

// ---------------------------------------------------------------------------------------------------------
// An independent oracle for the study list, from what the generator wrote.

/** Case and accents ignored, as a user typing into a search box expects. */
function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

function nameComponents(name: string): string[] {
  return fold(name.split("=")[0]!).split("^");
}

function isoDate(da: string): string {
  return `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}`;
}

function uids(list: readonly GeneratedStudy[]): string[] {
  return list.map((s) => s.studyInstanceUid).sort();
}

async function list(query: string, token = tokens.viewer): Promise<Answer> {
  const answer = await call(base, `/api/studies${query ? `?${query}` : ""}`, { token });
  expect(answer.status, answer.text).toBe(200);
  return answer;
}

async function listedUids(query: string): Promise<string[]> {
  const answer = await list(`${query}&limit=1000`);
  expect(answer.json.total).toBe(answer.json.studies.length);
  return (answer.json.studies as Array<{ studyInstanceUid: string }>).map((s) => s.studyInstanceUid).sort();
}

function expectSome(expected: readonly GeneratedStudy[]): void {
  expect(expected.length).toBeGreaterThan(0);
  expect(expected.length).toBeLessThan(40);
}

describe("GET /api/studies", () => {
  it("lists every stored study, newest first, with the patient and study attributes", async () => {
    const answer = await list("limit=1000");
    expect(answer.json.total).toBe(40);
    const rows = answer.json.studies as Array<Record<string, unknown>>;
    const byDate = [...studies].sort((a, b) => (a.studyDate < b.studyDate ? 1 : -1));
    expect(rows.map((r) => r.studyInstanceUid)).toEqual(byDate.map((s) => s.studyInstanceUid));
    const first = byDate[0]!;
    expect(rows[0]).toMatchObject({
      studyInstanceUid: first.studyInstanceUid,
      patientName: first.patientName,
      patientId: first.patientId,
      patientBirthDate: isoDate(first.patientBirthDate),
      patientSex: first.patientSex,
      studyDate: isoDate(first.studyDate),
      studyTime: `${first.studyTime.slice(0, 2)}:${first.studyTime.slice(2, 4)}:${first.studyTime.slice(4, 6)}`,
      studyDescription: first.studyDescription,
      accessionNumber: first.accessionNumber,
      modalities: [first.modality],
      numberOfSeries: 1,
      numberOfInstances: 1,
      status: "unread",
      priority: "routine",
      statusChangedAt: null,
      statusChangedBy: null,
    });
  });

  it("matches patient names by the start of any component, ignoring case and accents", async () => {
    for (const typed of ["jennifer", "SMI", "agnes", "Jose", "yamada"]) {
      const expected = studies.filter((s) =>
        nameComponents(s.patientName).some((c) => c.startsWith(fold(typed))),
      );
      expectSome(expected);
      expect(await listedUids(`patientName=${encodeURIComponent(typed)}`), typed).toEqual(uids(expected));
    }
  });

  it("matches a patient name pattern with DICOM wildcards against the whole name", async () => {
    const expected = studies.filter((s) => /^smith\^j.*$/.test(nameComponents(s.patientName).join("^")));
    expectSome(expected);
    expect(await listedUids(`patientName=${encodeURIComponent("SMITH^J*")}`)).toEqual(uids(expected));
  });

  it("filters by patient ID, accession number, date range, modality and description", async () => {
    const cases: Array<[string, GeneratedStudy[]]> = [
      ["patientId=HIL0000001", studies.filter((s) => s.patientId === "HIL0000001")],
      ["patientId=HIL000001*", studies.filter((s) => s.patientId.startsWith("HIL000001"))],
      ["accessionNumber=A7640000005", studies.filter((s) => s.accessionNumber === "A7640000005")],
      [
        "from=2010-01-01&to=2015-12-31",
        studies.filter((s) => s.studyDate >= "20100101" && s.studyDate <= "20151231"),
      ],
      ["from=20200101", studies.filter((s) => s.studyDate >= "20200101")],
      ["modality=CT,MR", studies.filter((s) => s.modality === "CT" || s.modality === "MR")],
      ["modality=CT&modality=NM", studies.filter((s) => s.modality === "CT" || s.modality === "NM")],
      ["description=chest", studies.filter((s) => s.studyDescription.toLowerCase().includes("chest"))],
      [
        "modality=CT&from=2010-01-01",
        studies.filter((s) => s.modality === "CT" && s.studyDate >= "20100101"),
      ],
      ["q=hil000000", studies.filter((s) => s.patientId.startsWith("HIL000000"))],
      ["q=jose", studies.filter((s) => nameComponents(s.patientName).some((c) => c.startsWith("jose")))],
      ["q=a764000001", studies.filter((s) => s.accessionNumber.startsWith("A764000001"))],
    ];
    for (const [query, expected] of cases) {
      expectSome(expected);
      expect(await listedUids(query), query).toEqual(uids(expected));
    }
  });

  it("treats SQL and LIKE metacharacters as plain text", async () => {
    for (const text of ["%", "_", "' OR 1=1 --", "x'); DROP TABLE studies; --", "[a-z]*"]) {
      const answer = await list(`description=${encodeURIComponent(text)}`);
      expect(answer.json.total, text).toBe(0);
      expect((await list(`q=${encodeURIComponent(text)}`)).json.total, text).toBe(0);
    }
    expect((await list("")).json.total).toBe(40);
  });

  it("sorts by patient name and by patient ID, both ways", async () => {
    const names = (await list("sort=patientName&order=asc&limit=1000")).json.studies.map(
      (s: { patientName: string }) => nameComponents(s.patientName).join("^"),
    ) as string[];
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(names).size).toBeGreaterThan(5);
    const ids = (await list("sort=patientId&order=desc&limit=1000")).json.studies.map(
      (s: { patientId: string }) => s.patientId,
    ) as string[];
    expect(ids).toEqual([...ids].sort().reverse());
  });

  it("pages with limit and offset: the pages put together are the whole list, total stays the same", async () => {
    const whole = (await list("sort=studyDate&order=asc&limit=1000")).json.studies.map(
      (s: { studyInstanceUid: string }) => s.studyInstanceUid,
    );
    const paged: string[] = [];
    for (let offset = 0; offset < 40; offset += 7) {
      const page = await list(`sort=studyDate&order=asc&limit=7&offset=${offset}`);
      expect(page.json).toMatchObject({ total: 40, limit: 7, offset });
      paged.push(...page.json.studies.map((s: { studyInstanceUid: string }) => s.studyInstanceUid));
    }
    expect(paged).toEqual(whole);
    expect((await list("offset=40")).json.studies).toEqual([]);
  });

  it("refuses bad query parameters with a 400 that names each one", async () => {
    const cases: Array<[string, string]> = [
      ["limit=0", "query.limit"],
      ["limit=1001", "query.limit"],
      ["limit=ten", "query.limit"],
      ["offset=-1", "query.offset"],
      ["limit=5&limit=6", "query.limit"],
      ["sort=age", "query.sort"],
      ["order=sideways", "query.order"],
      ["from=2024-13", "query.from"],
      ["status=unread,done", "query.status.1"],
      ["priority=asap", "query.priority.0"],
      ["modality=c%3Bt", "query.modality.0"],
      ["studyInstanceUid=1.2.abc", "query.studyInstanceUid"],
      ["patientname=smith", "query.patientname"],
    ];
    for (const [query, field] of cases) {
      const answer = await call(base, `/api/studies?${query}`, { token: tokens.viewer });
      expectProblem(answer, 400);
      expect(
        answer.json.errors.map((e: { field: string }) => e.field),
        query,
      ).toContain(field);
      expect(answer.json.detail, query).toContain(field);
    }
  });

  it("needs credentials, and audits each listing with the user", async () => {
    expectProblem(await call(base, "/api/studies"), 401);
    expectProblem(await call(base, "/api/studies", { token: "not-a-session" }), 401);
    await list("patientId=HIL0000002", tokens.viewer);
    const audit = await call(base, "/api/audit?action=study-list&actor=viewer&limit=1", {
      token: tokens.admin,
    });
    expect(audit.json.entries[0]).toMatchObject({
      actor: "viewer",
      action: "study-list",
      outcome: "success",
      detail: {
        query: { patientId: "HIL0000002" },
        total: studies.filter((s) => s.patientId === "HIL0000002").length,
      },
    });
  });
});

describe("PUT /api/studies/{studyUid}/status", () => {
  const put = (uid: string, body: unknown, token: string) =>
    call(base, `/api/studies/${uid}/status`, { method: "PUT", body, token });

  it("sets status and priority, shows them in the list, and audits before and after", async () => {
    const study = studies[3]!;
    const uid = study.studyInstanceUid;
    const first = await put(uid, { status: "in-progress", priority: "stat" }, tokens.radiologist);
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({
      studyInstanceUid: uid,
      status: "in-progress",
      priority: "stat",
      changedBy: "radiologist",
    });
    const second = await put(uid, { status: "read" }, tokens.radiologist);
    expect(second.json).toMatchObject({ status: "read", priority: "stat" }); // priority kept
    const row = (await list(`studyInstanceUid=${uid}`)).json.studies[0];
    expect(row).toMatchObject({ status: "read", priority: "stat", statusChangedBy: "radiologist" });
    expect(Date.parse(row.statusChangedAt)).toBeGreaterThan(Date.now() - 60_000);

    expect(await listedUids("status=read")).toEqual([uid]);
    expect((await list("status=unread")).json.total).toBe(39);
    expect((await list("status=unread,in-progress")).json.total).toBe(39);
    expect(await listedUids("priority=stat,urgent")).toEqual([uid]);
    expect((await list("sort=priority&order=desc&limit=1")).json.studies[0].studyInstanceUid).toBe(uid);
    expect((await list("sort=status&order=asc&limit=1000")).json.studies.at(-1).studyInstanceUid).toBe(uid);

    const audit = await call(base, `/api/audit?action=study-status&studyUid=${uid}`, { token: tokens.admin });
    expect(audit.json.total).toBe(2);
    expect(audit.json.entries.map((e: { actor: string }) => e.actor)).toEqual(["radiologist", "radiologist"]);
    expect(audit.json.entries[0].detail).toMatchObject({
      before: { status: "in-progress", priority: "stat" },
      after: { status: "read", priority: "stat" },
      via: "token",
    });
    expect(audit.json.entries[1].detail).toMatchObject({
      before: { status: "unread", priority: "routine" },
      after: { status: "in-progress", priority: "stat" },
    });
  });

  it("refuses bad input, unknown studies and roles without studies:report, changing nothing", async () => {
    const uid = studies[5]!.studyInstanceUid;
    expectProblem(await put("1.2.abc", { status: "read" }, tokens.admin), 400, /path\.studyUid/);
    expectProblem(await put(uid, { status: "done" }, tokens.admin), 400, /body\.status/);
    expectProblem(await put(uid, { status: "read", priority: "now" }, tokens.admin), 400, /body\.priority/);
    expectProblem(await put(uid, { status: "read", note: "x" }, tokens.admin), 400, /body\.note/);
    expectProblem(await put(uid, {}, tokens.admin), 400, /body\.status/);
    const notJson = await call(base, `/api/studies/${uid}/status`, {
      method: "PUT",
      token: tokens.admin,
      headers: { "content-type": "application/json" },
      body: undefined,
    });
    expectProblem(notJson, 400);
    expectProblem(await put("1.2.3.4.5.6.7.8.9", { status: "read" }, tokens.admin), 404, /no study/);
    expectProblem(await put(uid, { status: "read" }, tokens.viewer), 403, /studies:report/);
    expectProblem(await put(uid, { status: "read" }, tokens.technologist), 403);
    expectProblem(await put(uid, { status: "read" }, ""), 401);
    const row = (await list(`studyInstanceUid=${uid}`)).json.studies[0];
    expect(row).toMatchObject({ status: "unread", priority: "routine", statusChangedBy: null });
    const audit = await call(base, `/api/audit?action=study-status&studyUid=${uid}`, { token: tokens.admin });
    expect(audit.json.total).toBe(0);
    expect(
      (await call(base, "/api/audit?action=study-status&studyUid=1.2.3.4.5.6.7.8.9", { token: tokens.admin }))
        .json.total,
    ).toBe(0);
  });
});

describe("GET /api/audit", () => {
  it("filters by actor, action, study and time, newest first, and pages", async () => {
    for (let i = 0; i < 5; i++) await list(`accessionNumber=A764000000${i + 1}`, tokens.technologist);
    const all = await call(base, "/api/audit?actor=technologist&action=study-list", { token: tokens.admin });
    expect(all.json.total).toBe(5);
    const entries = all.json.entries as Array<{ id: number; time: string; actor: string }>;
    expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((a, b) => b - a));
    expect(entries.every((e) => e.actor === "technologist")).toBe(true);

    const pages = [];
    for (const offset of [0, 2, 4]) {
      const page = await call(
        base,
        `/api/audit?actor=technologist&action=study-list&limit=2&offset=${offset}`,
        {
          token: tokens.admin,
        },
      );
      expect(page.json).toMatchObject({ total: 5, limit: 2, offset });
      pages.push(...page.json.entries.map((e: { id: number }) => e.id));
    }
    expect(pages).toEqual(entries.map((e) => e.id));

    const pivot = entries[2]!.time;
    const from = await call(
      base,
      `/api/audit?actor=technologist&action=study-list&from=${encodeURIComponent(pivot)}`,
      {
        token: tokens.admin,
      },
    );
    expect(from.json.entries.length).toBeGreaterThan(0);
    expect(from.json.entries.every((e: { time: string }) => e.time >= pivot)).toBe(true);
    expect(from.json.total).toBe(entries.filter((e) => e.time >= pivot).length);
    const to = await call(
      base,
      `/api/audit?actor=technologist&action=study-list&to=${encodeURIComponent(pivot)}`,
      {
        token: tokens.admin,
      },
    );
    expect(to.json.entries.every((e: { time: string }) => e.time < pivot)).toBe(true);
    expect(to.json.total).toBe(entries.filter((e) => e.time < pivot).length);

    const study = await call(
      base,
      `/api/audit?studyUid=${studies[3]!.studyInstanceUid}&action=study-status`,
      {
        token: tokens.admin,
      },
    );
    expect(
      study.json.entries.every((e: { studyUid: string }) => e.studyUid === studies[3]!.studyInstanceUid),
    );

    // Reading the log is audited too.
    const self = await call(base, "/api/audit?action=audit-query&limit=1", { token: tokens.admin });
    expect(self.json.entries[0]).toMatchObject({ actor: "admin", action: "audit-query" });
  });

  it("needs audit:read and valid parameters", async () => {
    expectProblem(await call(base, "/api/audit"), 401);
    expectProblem(await call(base, "/api/audit", { token: tokens.viewer }), 403, /audit:read/);
    expectProblem(await call(base, "/api/audit", { token: tokens.radiologist }), 403);
    expectProblem(await call(base, "/api/audit?from=yesterday", { token: tokens.admin }), 400, /query\.from/);
    expectProblem(await call(base, "/api/audit?limit=5000", { token: tokens.admin }), 400, /query\.limit/);
    expectProblem(await call(base, "/api/audit?studyUid=x", { token: tokens.admin }), 400, /query\.studyUid/);
    expectProblem(await call(base, "/api/audit?who=me", { token: tokens.admin }), 400, /query\.who/);
  });
});

describe("configuration", () => {
  it("reads peers and the configuration with every secret redacted", async () => {
    const peers = await call(base, "/api/peers", { token: tokens.technologist });
    expect(peers.json).toEqual({ allowUnknownCallers: true, peers: [] });
    const answer = await call(base, "/api/config", { token: tokens.radiologist });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.configFile).toBe(hilum.configFile);
    expect(answer.json.config.aeTitle).toBe("APITEST");
    expect(answer.json.config.http.launchSecret).toBe("[redacted]");
    expect(answer.json.config.launch.hmacSecret).toBe("[redacted]");
    expect(answer.json.config.launch.maxAgeSeconds).toBe(300);
    expect(answer.text).not.toContain(LAUNCH_SECRET);
    expect(answer.text).not.toContain(HMAC_SECRET);
    expectProblem(await call(base, "/api/config", { token: tokens.viewer }), 403, /config:read/);
    expectProblem(await call(base, "/api/peers"), 401);
  });

  it("refuses an invalid change with a 400 naming the key, and leaves the file alone", async () => {
    const before = readFileSync(hilum.configFile, "utf8");
    const put = (body: unknown, token = tokens.admin) =>
      call(base, "/api/config", { method: "PUT", body, token });
    const cases: Array<[unknown, string]> = [
      [{ dicom: { bogus: 1 } }, "body.dicom.bogus"],
      [{ dicom: { port: 70000 } }, "body.dicom.port"],
      [{ peers: [{ aeTitle: "AN AE TITLE TOO LONG", host: "h", port: 104 }] }, "body.peers.0.aeTitle"],
      [{ launch: { hmacSecret: "short" } }, "body.launch.hmacSecret"],
      [{ log: { level: "loud" } }, "body.log.level"],
      [{ nonsense: true }, "body.nonsense"],
      [{ http: { tls: { keyFile: "[redacted]", certFile: "c.pem" } } }, "body.http.tls.keyFile"],
    ];
    for (const [body, field] of cases) {
      const answer = await put(body);
      expectProblem(answer, 400);
      expect(
        answer.json.errors.map((e: { field: string }) => e.field),
        field,
      ).toContain(field);
    }
    expectProblem(await put([1, 2]), 400);
    expectProblem(await put({ log: { level: "debug" } }, tokens.technologist), 403, /config:write/);
    expectProblem(await put({ log: { level: "debug" } }, tokens.radiologist), 403);
    expectProblem(await put({ log: { level: "debug" } }, ""), 401);
    expect(readFileSync(hilum.configFile, "utf8")).toBe(before);
    expect(hilum.node.config.log.level).toBe("silent");
  });

  it("writes a change to the file, applies the live keys at once and says which need a restart", async () => {
    // Before: anyone may associate.
    expect((await echoscu(target, { callingAe: "STRANGER" })).code).toBe(0);

    const answer = await call(base, "/api/config", {
      method: "PUT",
      token: tokens.admin,
      body: {
        peers: [{ aeTitle: "FRIEND", host: "127.0.0.1", port: 11112, description: "reading room" }],
        dicom: { allowUnknownCallers: false, maxAssociations: 8 },
        log: { level: "debug" },
        // A GET's redacted value sent back keeps the secret.
        launch: { hmacSecret: "[redacted]", maxAgeSeconds: 120 },
        http: { launchSecret: "[redacted]" },
      },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.changed).toEqual([
      "dicom.allowUnknownCallers",
      "dicom.maxAssociations",
      "launch.maxAgeSeconds",
      "log.level",
      "peers",
    ]);
    expect(answer.json.applied).toEqual([
      "dicom.allowUnknownCallers",
      "launch.maxAgeSeconds",
      "log.level",
      "peers",
    ]);
    expect(answer.json.restartRequired).toEqual(["dicom.maxAssociations"]);
    expect(answer.text).not.toContain(HMAC_SECRET);

    // In the file, with its comments, and still a valid configuration with the secrets intact.
    const text = readFileSync(hilum.configFile, "utf8");
    expect(text).toContain("# Hilum test node: this comment must survive PUT /api/config");
    expect(text).toContain("# shared with the EMR");
    const file = parseYaml(text);
    expect(file).toMatchObject({
      aeTitle: "APITEST",
      peers: [{ aeTitle: "FRIEND", host: "127.0.0.1", port: 11112 }],
      dicom: { allowUnknownCallers: false, maxAssociations: 8 },
      log: { level: "debug" },
      launch: { hmacSecret: HMAC_SECRET, maxAgeSeconds: 120 },
      http: { launchSecret: LAUNCH_SECRET },
    });
    expect(validateConfig(readConfigFile(hilum.configFile), hilum.configFile).dicom.maxAssociations).toBe(8);

    // Applied: the logger (its children too), the peers, and the caller allow-list of the DICOM server.
    expect(hilum.log.level).toBe("debug");
    const linesBefore = hilum.logLines.length;
    expect(hilum.node.config.dicom.maxAssociations).toBe(32); // at the next start
    const peers = await call(base, "/api/peers", { token: tokens.admin });
    expect(peers.json).toMatchObject({ allowUnknownCallers: false, peers: [{ aeTitle: "FRIEND" }] });
    const stranger = await echoscu(target, { callingAe: "STRANGER" });
    expect(stranger.code).not.toBe(0);
    expect(`${stranger.stdout}${stranger.stderr}`).toMatch(/Calling AE Title Not Recognized/i);
    expect((await echoscu(target, { callingAe: "FRIEND" })).code).toBe(0);
    const debugLines = hilum.logLines.slice(linesBefore).map((line) => JSON.parse(line));
    expect(debugLines).toContainEqual(
      expect.objectContaining({
        level: 20,
        component: "dicom",
        calling: "FRIEND",
        msg: "association accepted",
      }),
    );

    const audit = await call(base, "/api/audit?action=config-write", { token: tokens.admin });
    expect(audit.json.total).toBe(1);
    const entry = audit.json.entries[0];
    expect(entry).toMatchObject({
      actor: "admin",
      detail: {
        file: hilum.configFile,
        restartRequired: ["dicom.maxAssociations"],
        before: { "log.level": "silent", "dicom.allowUnknownCallers": true, peers: [] },
        after: { "log.level": "debug", "dicom.allowUnknownCallers": false, "launch.maxAgeSeconds": 120 },
      },
    });
    expect(JSON.stringify(audit.json)).not.toContain(HMAC_SECRET);
    expect(JSON.stringify(audit.json)).not.toContain(LAUNCH_SECRET);

    // null removes a key from the file: back to its default.
    const reset = await call(base, "/api/config", {
      method: "PUT",
      token: tokens.admin,
      body: { dicom: { allowUnknownCallers: null } },
    });
    expect(reset.json.applied).toEqual(["dicom.allowUnknownCallers"]);
    expect(parseYaml(readFileSync(hilum.configFile, "utf8")).dicom).toEqual({ maxAssociations: 8 });
    expect((await echoscu(target, { callingAe: "STRANGER" })).code).toBe(0);
  });
});

describe("configuration files in JSON, and nodes without one", () => {
  let jsonNode: FileNode;
  let bare: TestNode;

  beforeAll(async () => {
    jsonNode = await startNodeWithConfigFile(
      JSON.stringify({ http: { launchSecret: LAUNCH_SECRET }, storage: { duplicates: "keep" } }),
      "hilum.json",
    );
    bare = await startTestNode({ http: { launchSecret: LAUNCH_SECRET } });
  });
  afterAll(async () => {
    await jsonNode?.close();
    await bare?.close();
  });

  it("rewrites a JSON file as JSON", async () => {
    const answer = await call(jsonNode.node.http.url, "/api/config", {
      method: "PUT",
      token: LAUNCH_SECRET,
      body: { storage: { keepInMemoryMiB: 4 } },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.restartRequired).toEqual(["storage.keepInMemoryMiB"]);
    expect(JSON.parse(readFileSync(jsonNode.configFile, "utf8"))).toEqual({
      http: { launchSecret: LAUNCH_SECRET },
      storage: { duplicates: "keep", keepInMemoryMiB: 4 },
    });
  });

  it("answers 409 when there is no configuration file to write", async () => {
    const answer = await call(bare.node.http.url, "/api/config", {
      method: "PUT",
      token: LAUNCH_SECRET,
      body: { log: { level: "debug" } },
    });
    expectProblem(answer, 409, /no configuration file to write/);
    expect(bare.node.config.log.level).toBe("silent");
    const read = await call(bare.node.http.url, "/api/config", { token: LAUNCH_SECRET });
    expect(read.json.configFile).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------------

/** Every (method, path) of a fastify route tree as `printRoutes({ commonPrefix: false })` draws it. */
function routesOf(tree: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of tree.split("\n")) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? "") + match[2]!;
    stack.push(path);
    for (const method of (match[3] ?? "").split(", ").filter(Boolean)) out.push({ method, path });
  }
  return out;
}

describe("GET /api/openapi.json", () => {
  it("is an OpenAPI 3.1 document describing every /api route the server registered", async () => {
    const answer = await call(base, "/api/openapi.json");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    const doc = answer.json;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc["x-undocumented"]).toBeUndefined();

    // An independent walk: a second server on the same node parts, and fastify's own route tree.
    // The node's parts (config, index, store, ingest, router, status) as the web server's context.
    const second = await startWebServer(
      { ...hilum.node, log: pino({ level: "silent" }) },
      { port: 0, host: "127.0.0.1" },
    );
    let registered;
    try {
      registered = routesOf(second.app.printRoutes({ commonPrefix: false })).filter(
        (r) => r.path.startsWith("/api/") && r.method !== "HEAD",
      );
    } finally {
      await second.app.close();
    }
    expect(registered.length).toBeGreaterThanOrEqual(15);
    for (const route of registered) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path}`).toBeDefined();
    }
    for (const [method, path] of [
      ["get", "/api/studies"],
      ["put", "/api/studies/{studyUid}/status"],
      ["get", "/api/audit"],
      ["get", "/api/peers"],
      ["get", "/api/config"],
      ["put", "/api/config"],
      ["post", "/api/login"],
      ["get", "/api/users"],
      ["get", "/launch"],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const ids = Object.values(doc.paths).flatMap((item) =>
      Object.values(item as Record<string, { operationId: string }>).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("describes parameters, bodies and permissions from the same schemas that validate", async () => {
    const doc = (await call(base, "/api/openapi.json")).json;
    const listOp = doc.paths["/api/studies"].get;
    expect(listOp["x-permission"]).toBe("studies:read");
    const params = Object.fromEntries(listOp.parameters.map((p: { name: string }) => [p.name, p]));
    expect(params.limit.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1000, default: 100 });
    expect(params.status.schema.items.enum).toEqual(["unread", "in-progress", "read"]);
    expect(params.sort.schema.enum).toContain("patientName");
    const statusOp = doc.paths["/api/studies/{studyUid}/status"].put;
    expect(statusOp.parameters[0]).toMatchObject({ name: "studyUid", in: "path", required: true });
    expect(statusOp.requestBody.content["application/json"].schema.required).toEqual(["status"]);
    expect(statusOp.responses["403"].content["application/problem+json"]).toBeDefined();
    expect(doc.paths["/api/login"].post.security).toEqual([]);
    expect(
      doc.paths["/api/users"].post.requestBody.content["application/json"].schema.properties.role.enum,
    ).toEqual(["admin", "radiologist", "technologist", "viewer"]);
  });

  it("agrees with the guards: every route it says needs credentials answers 401 without them", async () => {
    const doc = (await call(base, "/api/openapi.json")).json;
    let checked = 0;
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { security?: [] }>>,
    )) {
      for (const [method, op] of Object.entries(item)) {
        if (op.security !== undefined) continue; // public
        const url = path.replace("{studyUid}", "1.2.3").replace("{name}", "nobody");
        const answer = await call(base, url, {
          method: method.toUpperCase(),
          ...(method === "get" || method === "delete" ? {} : { body: {} }),
        });
        expectProblem(answer, 401);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});
