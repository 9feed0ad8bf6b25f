/**
 * EMR launch over real HTTP: URLs signed by Hilum's own signer, by the shell commands of
 * docs/emr-launch.md (openssl) and by the CLI's `launch-url` are accepted and redirect to the viewer;
 * expired, tampered, wrongly signed, over-long and incomplete ones get a 403 HTML page that says why;
 * a study of another patient is refused; every launch is audited; no secret configured → 404.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canonicalLaunchString,
  launchToken,
  signLaunchUrl,
  verifyLaunch,
} from "../../electron/pacs/web/launch.js";
import type { GeneratedStudy } from "../fixtures/studies.js";
import { cachedStudies } from "../support/fixture-cache.js";
import { CLI_BUNDLE, REPO_ROOT, scratchDir, startTestNode, type TestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import { call, expectProblem } from "./api-support.js";

const SECRET = "an EMR launch secret of 32+ characters!";
const ADMIN_SECRET = "d".repeat(32);

let hilum: TestNode;
let base: string;
let study: GeneratedStudy;
let other: GeneratedStudy;

beforeAll(async () => {
  const generated = await cachedStudies({ count: 6, seed: "launch", patients: 3 });
  hilum = await startTestNode({
    http: { launchSecret: ADMIN_SECRET },
    launch: { hmacSecret: SECRET, maxAgeSeconds: 300 },
  });
  base = hilum.node.http.url;
  const sent = await storescu(hilum.target, generated.files);
  expect(sent.code, sent.stderr).toBe(0);
  study = generated.studies[0]!;
  other = generated.studies.find((s) => s.patientId !== study.patientId)!;
  expect(other).toBeDefined();
});

afterAll(async () => {
  await hilum?.close();
});

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A URL signed over exactly these parameters (in this order in the query), with `token` appended. */
function signed(params: Array<[string, string]>, secret = SECRET): string {
  const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  return `/launch?${query}&token=${launchToken(secret, canonicalLaunchString(params))}`;
}

async function launch(path: string) {
  return call(base, path);
}

async function expectRefused(path: string, why: RegExp): Promise<void> {
  const answer = await launch(path);
  expect(answer.status, answer.text).toBe(403);
  expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
  expect(answer.headers.get("content-security-policy")).toContain("default-src 'self'");
  expect(answer.text).toMatch(/<h1>This link cannot open the viewer<\/h1>/);
  expect(answer.text).toMatch(why);
  expect(answer.text).not.toContain(SECRET);
  expect(answer.headers.get("location")).toBeNull();
}

async function lastLaunchAudit() {
  const audit = await call(base, "/api/audit?action=launch&limit=1", { token: ADMIN_SECRET });
  return audit.json.entries[0];
}

describe("GET /launch with a valid token", () => {
  it("redirects to the study and audits the launch", async () => {
    const exp = String(nowSeconds() + 120);
    const answer = await launch(
      signed([
        ["studyUid", study.studyInstanceUid],
        ["patientId", study.patientId],
        ["exp", exp],
      ]),
    );
    expect(answer.status, answer.text).toBe(302);
    expect(answer.headers.get("location")).toBe(`/#/study/${study.studyInstanceUid}`);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const entry = await lastLaunchAudit();
    expect(entry).toMatchObject({
      actor: "emr-launch",
      action: "launch",
      outcome: "success",
      studyUid: study.studyInstanceUid,
      detail: { asked: { studyUid: study.studyInstanceUid, patientId: study.patientId } },
    });
    expect(JSON.stringify(entry)).not.toMatch(/token/);
  });

  it("finds the study by accession number, and falls back to the patient's list or a search", async () => {
    const exp = String(nowSeconds() + 60);
    const byAccession = await launch(
      signed([
        ["accession", study.accessionNumber],
        ["exp", exp],
      ]),
    );
    expect(byAccession.headers.get("location")).toBe(`/#/study/${study.studyInstanceUid}`);
    const unknownStudy = await launch(
      signed([
        ["patientId", study.patientId],
        ["studyUid", "1.2.3.4.5.999"],
        ["exp", exp],
      ]),
    );
    expect(unknownStudy.status).toBe(302);
    expect(unknownStudy.headers.get("location")).toBe(`/#/patient/${study.patientId}`);
    const patientOnly = await launch(
      signed([
        ["patientId", "ID WITH SPACES/AND&"],
        ["exp", exp],
      ]),
    );
    expect(patientOnly.headers.get("location")).toBe(
      `/#/patient/${encodeURIComponent("ID WITH SPACES/AND&")}`,
    );
    const unknownAccession = await launch(
      signed([
        ["accession", "NOPE1"],
        ["exp", exp],
      ]),
    );
    expect(unknownAccession.headers.get("location")).toBe("/#/studies?accessionNumber=NOPE1");
  });

  it("accepts a URL signed with the shell commands of docs/emr-launch.md (openssl)", async () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/emr-launch.md"), "utf8");
    const script = /## Signing from a shell\n\n```sh\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(script).toBeDefined();
    const runnable = script!
      .replace(/^SECRET=.*$/m, `SECRET='${SECRET}'`)
      .replace(/^BASE=.*$/m, `BASE='${base}'`)
      .replace("accession=A123", `accession=${study.accessionNumber}`)
      .replace("patientId=P0042", `patientId=${study.patientId}`)
      .replace("studyUid=1.2.3", `studyUid=${study.studyInstanceUid}`);
    const url = execFileSync("bash", ["-c", runnable], { encoding: "utf8" }).trim();
    expect(url.startsWith(`${base}/launch?accession=`)).toBe(true);
    const answer = await call(base, url.slice(base.length));
    expect(answer.status, answer.text).toBe(302);
    expect(answer.headers.get("location")).toBe(`/#/study/${study.studyInstanceUid}`);
  });

  it("accepts a URL from `npm run hilum -- launch-url` (secret from the config file or the environment)", async () => {
    const dir = scratchDir("launch-cli");
    const configFile = join(dir, "hilum.yaml");
    writeFileSync(configFile, `launch:\n  hmacSecret: "${SECRET}"\n  maxAgeSeconds: 300\n`);
    const fromConfig = execFileSync(
      process.execPath,
      [
        CLI_BUNDLE,
        "launch-url",
        "--study",
        study.studyInstanceUid,
        "--patient",
        study.patientId,
        "--ttl",
        "60",
      ].concat(["--base", base, "--config", configFile]),
      { encoding: "utf8", cwd: REPO_ROOT },
    ).trim();
    const fromEnv = execFileSync(
      process.execPath,
      [CLI_BUNDLE, "launch-url", "--study", study.studyInstanceUid, "--base", `${base}/`],
      { encoding: "utf8", cwd: REPO_ROOT, env: { ...process.env, HILUM_LAUNCH_SECRET: SECRET } },
    ).trim();
    for (const url of [fromConfig, fromEnv]) {
      expect(url.startsWith(`${base}/launch?`), url).toBe(true);
      const answer = await call(base, url.slice(base.length));
      expect(answer.status, answer.text).toBe(302);
      expect(answer.headers.get("location")).toBe(`/#/study/${study.studyInstanceUid}`);
    }
    // A lifetime the node would refuse is refused by the CLI already.
    let failure = "";
    try {
      execFileSync(
        process.execPath,
        [
          CLI_BUNDLE,
          "launch-url",
          "--study",
          "1.2.3",
          "--ttl",
          "3600",
          "--base",
          base,
          "--config",
          configFile,
        ],
        { encoding: "utf8", cwd: REPO_ROOT, stdio: "pipe" },
      );
    } catch (err) {
      failure = String((err as { stderr?: string }).stderr);
    }
    expect(failure).toMatch(/launch\.maxAgeSeconds \(300\)/);
  });
});

describe("GET /launch refused", () => {
  const exp = () => String(nowSeconds() + 60);

  it("expired", async () => {
    const path = signed([
      ["studyUid", study.studyInstanceUid],
      ["exp", String(nowSeconds() - 120)],
    ]);
    await expectRefused(path, /expired/);
    expect(await lastLaunchAudit()).toMatchObject({
      outcome: "failure",
      detail: { reason: expect.stringMatching(/expired/) },
    });
  });

  it("tampered: a parameter changed after signing", async () => {
    const path = signed([
      ["studyUid", study.studyInstanceUid],
      ["exp", exp()],
    ]).replace(study.studyInstanceUid, other.studyInstanceUid);
    await expectRefused(path, /signature does not match/);
    const longer = signed([
      ["studyUid", study.studyInstanceUid],
      ["exp", exp()],
    ]).replace(/exp=\d+/, `exp=${nowSeconds() + 200}`);
    await expectRefused(longer, /signature does not match/);
  });

  it("signed with another secret, or with no token at all", async () => {
    await expectRefused(
      signed(
        [
          ["studyUid", study.studyInstanceUid],
          ["exp", exp()],
        ],
        "another secret of at least 32 characters",
      ),
      /signature does not match/,
    );
    await expectRefused(`/launch?studyUid=${study.studyInstanceUid}&exp=${exp()}`, /no token/);
    await expectRefused(`/launch?studyUid=${study.studyInstanceUid}&exp=${exp()}&token=`, /no token/);
  });

  it("a missing or malformed parameter, an unknown or repeated one", async () => {
    await expectRefused(signed([["studyUid", study.studyInstanceUid]]), /no expiry time/);
    await expectRefused(signed([["exp", exp()]]), /names no patient, accession number or study/);
    await expectRefused(
      signed([
        ["studyUid", study.studyInstanceUid],
        ["exp", "tomorrow"],
      ]),
      /not a Unix time/,
    );
    await expectRefused(
      signed([
        ["studyUid", "1.2.abc"],
        ["exp", exp()],
      ]),
      /not a DICOM UID/,
    );
    await expectRefused(
      signed([
        ["studyUid", study.studyInstanceUid],
        ["exp", exp()],
        ["user", "admin"],
      ]),
      /parameter Hilum does not know: &#34;user&#34;/,
    );
    await expectRefused(
      signed([
        ["studyUid", study.studyInstanceUid],
        ["studyUid", other.studyInstanceUid],
        ["exp", exp()],
      ]),
      /more than once/,
    );
  });

  it("valid for longer than launch.maxAgeSeconds", async () => {
    await expectRefused(
      signed([
        ["studyUid", study.studyInstanceUid],
        ["exp", String(nowSeconds() + 3600)],
      ]),
      /longer than the 300 seconds/,
    );
  });

  it("a study that belongs to another patient than the one named", async () => {
    await expectRefused(
      signed([
        ["studyUid", other.studyInstanceUid],
        ["patientId", study.patientId],
        ["exp", exp()],
      ]),
      /belongs to another patient/,
    );
    expect(await lastLaunchAudit()).toMatchObject({
      outcome: "failure",
      detail: { asked: { studyUid: other.studyInstanceUid, patientId: study.patientId } },
    });
  });

  it("escapes what it echoes", async () => {
    const answer = await launch(`/launch?%3Cscript%3E=1&exp=${exp()}&token=x`);
    expect(answer.status).toBe(403);
    expect(answer.text).not.toContain("<script>");
    expect(answer.text).toContain("&#60;script&#62;");
  });
});

describe("the signer and verifier", () => {
  it("percent-encode as RFC 3986 and sort by name", () => {
    expect(
      canonicalLaunchString([
        ["studyUid", "1.2"],
        ["patientId", "Ünal O'Brien*(x)!"],
        ["exp", "10"],
        ["token", "ignored"],
      ]),
    ).toBe("exp=10&patientId=%C3%9Cnal%20O%27Brien%2A%28x%29%21&studyUid=1.2");
    const now = new Date("2030-01-01T00:00:00Z");
    const url = signLaunchUrl({
      base: "http://h:1/",
      secret: SECRET,
      target: { patientId: "a b" },
      ttlSeconds: 10,
      now,
    });
    expect(url).toMatch(/^http:\/\/h:1\/launch\?exp=1893456010&patientId=a%20b&token=[A-Za-z0-9_-]{43}$/);
    const query = url.split("?")[1]!;
    const config = { secret: SECRET, maxAgeSeconds: 300, clockSkewSeconds: 30 };
    expect(verifyLaunch(query, config, now)).toEqual({ patientId: "a b", exp: 1893456010 });
    // A form-encoded space (+) decodes to the same value, so the same signature holds.
    expect(verifyLaunch(query.replace("%20", "+"), config, now).patientId).toBe("a b");
    expect(() => verifyLaunch(query, config, new Date("2030-01-01T00:01:00Z"))).toThrow(/expired/);
  });
});

describe("GET /launch without launch.hmacSecret", () => {
  it("does not exist", async () => {
    const bare = await startTestNode({ http: { launchSecret: ADMIN_SECRET } });
    try {
      const answer = await call(
        bare.node.http.url,
        `/launch?studyUid=1.2&exp=${nowSeconds() + 60}&token=abc`,
      );
      expectProblem(answer, 404);
    } finally {
      await bare.close();
    }
  });
});
