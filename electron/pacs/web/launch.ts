/**
 * EMR launch (IHE IID style): `GET /launch?patientId=…&accession=…&studyUid=…&exp=…&token=…` opens the
 * viewer on a study, or on the patient's study list, when the URL was signed with the secret Hilum shares
 * with the EMR (`launch.hmacSecret`). The exact canonical string and a shell example are in
 * docs/emr-launch.md; `signLaunchUrl` here and `npm run hilum -- launch-url` make such URLs.
 *
 * token = base64url(HMAC-SHA256(secret, canonical)), where canonical is every query parameter except
 * `token`, sorted by name, each `name=value` percent-encoded as RFC 3986 (unreserved characters as they are,
 * everything else %XX of its UTF-8 bytes, hex in upper case), joined by `&`. `exp` (Unix seconds) is
 * required and may be at most `launch.maxAgeSeconds` in the future.
 *
 * The token proves the link came from the EMR and says what to open; it is not a login. The viewer it
 * redirects to still needs a session (or the desktop app's secret) to show anything.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ReadingWorklist } from "../db/reading.js";
import { uid } from "./api/common.js";
import type { WebContext } from "./context.js";
import type { ApiDocs } from "./openapi.js";
import { HttpProblem } from "./problem.js";
import { applySecurityHeaders } from "./static.js";

/** The parameters a launch URL may carry; any other is refused, so that nothing unsigned is ever read. */
export const LAUNCH_PARAMETERS = ["patientId", "accession", "studyUid", "exp", "token"] as const;

export interface LaunchTarget {
  patientId?: string;
  accession?: string;
  studyUid?: string;
}

/** RFC 3986 percent-encoding: unreserved characters stay, everything else is %XX (upper-case hex) of UTF-8. */
export function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Every parameter but `token`, sorted by name (UTF-16 code unit order), `name=value` joined by `&`. */
export function canonicalLaunchString(params: ReadonlyArray<readonly [string, string]>): string {
  return params
    .filter(([name]) => name !== "token")
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

export function launchToken(secret: string, canonical: string): string {
  return createHmac("sha256", secret).update(canonical, "utf8").digest("base64url");
}

/** A signed launch URL valid for `ttlSeconds` from `now`. */
export function signLaunchUrl(options: {
  base: string;
  secret: string;
  target: LaunchTarget;
  ttlSeconds: number;
  now?: Date;
}): string {
  const exp = Math.floor((options.now ?? new Date()).getTime() / 1000) + options.ttlSeconds;
  const params: Array<[string, string]> = [];
  for (const name of ["patientId", "accession", "studyUid"] as const) {
    const value = options.target[name];
    if (value !== undefined) params.push([name, value]);
  }
  params.push(["exp", String(exp)]);
  const canonical = canonicalLaunchString(params);
  const base = options.base.replace(/\/+$/, "");
  return `${base}/launch?${canonical}&token=${launchToken(options.secret, canonical)}`;
}

/** Why a launch was refused: shown on the 403 page and written to the audit log. */
export class LaunchRefused extends Error {
  override readonly name = "LaunchRefused";
}

export interface VerifiedLaunch extends LaunchTarget {
  exp: number;
}

/** Checks a launch query string (without the leading `?`); throws LaunchRefused with the reason. */
export function verifyLaunch(
  rawQuery: string,
  config: { secret: string; maxAgeSeconds: number; clockSkewSeconds: number },
  now: Date = new Date(),
): VerifiedLaunch {
  const params = [...new URLSearchParams(rawQuery).entries()];
  const seen = new Map<string, string>();
  for (const [name, value] of params) {
    if (!(LAUNCH_PARAMETERS as readonly string[]).includes(name)) {
      throw new LaunchRefused(`the link has a parameter Hilum does not know: "${name.slice(0, 40)}"`);
    }
    if (seen.has(name)) throw new LaunchRefused(`the link gives "${name}" more than once`);
    seen.set(name, value);
  }
  const token = seen.get("token");
  if (!token) throw new LaunchRefused("the link has no token: it was not signed by the EMR");
  const expText = seen.get("exp");
  if (expText === undefined) throw new LaunchRefused('the link has no expiry time ("exp")');
  if (!/^\d{1,12}$/.test(expText))
    throw new LaunchRefused('the expiry time ("exp") is not a Unix time in seconds');
  const target: LaunchTarget = {};
  for (const name of ["patientId", "accession", "studyUid"] as const) {
    const value = seen.get(name);
    if (value === undefined) continue;
    if (value === "" || value.length > 64)
      throw new LaunchRefused(`"${name}" is empty or longer than 64 characters`);
    target[name] = value;
  }
  if (!target.patientId && !target.accession && !target.studyUid) {
    throw new LaunchRefused("the link names no patient, accession number or study");
  }
  if (target.studyUid !== undefined && !uid.safeParse(target.studyUid).success) {
    throw new LaunchRefused('"studyUid" is not a DICOM UID');
  }
  const expected = Buffer.from(launchToken(config.secret, canonicalLaunchString(params)), "base64url");
  const given = Buffer.from(token, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new LaunchRefused(
      "the signature does not match: the link was changed after it was signed, or signed with another secret",
    );
  }
  const exp = Number(expText);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (exp + config.clockSkewSeconds < nowSeconds) {
    throw new LaunchRefused(
      `the link expired at ${new Date(exp * 1000).toISOString()}; open it again from the EMR`,
    );
  }
  if (exp > nowSeconds + config.maxAgeSeconds + config.clockSkewSeconds) {
    throw new LaunchRefused(
      `the link is valid for longer than the ${config.maxAgeSeconds} seconds this Hilum allows`,
    );
  }
  return { ...target, exp };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function refusalPage(reason: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hilum — link refused</title></head>
<body>
<h1>This link cannot open the viewer</h1>
<p>${escapeHtml(reason.charAt(0).toUpperCase() + reason.slice(1))}.</p>
<p>Open the study again from the EMR to get a fresh link. If this keeps happening, ask your administrator to
check that Hilum and the EMR share the same launch secret and that both clocks are right.</p>
</body>
</html>
`;
}

/**
 * Where the viewer opens (the renderer's hash routes): the study when it is in the archive, else the
 * patient's study list, else the study list searched by accession number or Study Instance UID.
 */
export function viewerRoute(target: { found?: string } & LaunchTarget): string {
  if (target.found) return `/#/study/${encodeURIComponent(target.found)}`;
  if (target.patientId !== undefined) return `/#/patient/${encodeURIComponent(target.patientId)}`;
  if (target.accession !== undefined)
    return `/#/studies?accessionNumber=${encodeURIComponent(target.accession)}`;
  return `/#/studies?studyInstanceUid=${encodeURIComponent(target.studyUid ?? "")}`;
}

export function registerLaunch(app: FastifyInstance, ctx: WebContext, docs: ApiDocs): void {
  const worklist = new ReadingWorklist(ctx.index.connection);
  const audit = (
    request: FastifyRequest,
    outcome: "success" | "failure",
    detail: Record<string, unknown>,
    studyUid?: string,
  ) =>
    ctx.index.audit.append({
      actorType: "user",
      actor: request.principal?.name ?? "emr-launch",
      action: "launch",
      outcome,
      studyUid,
      detail: { ...detail, remoteAddress: request.ip, via: request.principal?.via },
    });
  const refuse = (
    request: FastifyRequest,
    reply: FastifyReply,
    reason: string,
    detail: Record<string, unknown> = {},
  ) => {
    audit(request, "failure", { reason, ...detail });
    applySecurityHeaders(reply);
    return reply
      .code(403)
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .send(refusalPage(reason));
  };

  docs.add({
    method: "GET",
    url: "/launch",
    operationId: "emrLaunch",
    summary: "Open the viewer from the EMR with a signed, expiring URL",
    description:
      "See docs/emr-launch.md for the canonical string the token signs. Answers 404 when `launch.hmacSecret` " +
      "is not configured. Audited (action `launch`), refusals too.",
    tags: ["launch"],
    access: "public",
    query: z.strictObject({
      patientId: z.string().max(64).optional(),
      accession: z.string().max(64).optional(),
      studyUid: uid.optional(),
      exp: z.string().regex(/^\d+$/).describe("Unix time (seconds) after which the link is refused"),
      token: z.string().describe("base64url(HMAC-SHA256(launch.hmacSecret, canonical string))"),
    }),
    responses: {
      302: {
        description:
          "To the viewer: /#/study/{studyUid} when the study is in the archive, else /#/patient/{patientId}, " +
          "else /#/studies?accessionNumber=… or /#/studies?studyInstanceUid=…",
        headers: { Location: "The viewer route" },
      },
      403: {
        description: "An HTML page saying why the link was refused (bad signature, expired, …)",
        contentType: "text/html",
        schema: z.string(),
      },
      404: { description: "EMR launch is not configured (no launch.hmacSecret)" },
    },
  });

  app.get("/launch", async (request, reply) => {
    const launch = ctx.config.launch;
    const secret = launch?.hmacSecret;
    if (!secret) throw new HttpProblem(404, "Not Found", "no resource at GET /launch");
    const rawQuery = request.raw.url?.split("?")[1] ?? "";
    let verified: VerifiedLaunch;
    try {
      verified = verifyLaunch(rawQuery, {
        secret,
        maxAgeSeconds: launch.maxAgeSeconds,
        clockSkewSeconds: launch.clockSkewSeconds,
      });
    } catch (err) {
      if (err instanceof LaunchRefused) return refuse(request, reply, err.message);
      throw err;
    }
    const { patientId, accession, studyUid } = verified;
    const asked = { patientId, accession, studyUid };
    let studies = studyUid || accession ? worklist.locate({ studyUid, accession }) : [];
    // Never open one patient's study under another's name: the EMR's patient must own the study.
    if (patientId !== undefined && studies.length > 0 && studies.every((s) => s.patientId !== patientId)) {
      return refuse(
        request,
        reply,
        `the study named by the link belongs to another patient than "${patientId}"`,
        { asked },
      );
    }
    if (patientId !== undefined) studies = studies.filter((s) => s.patientId === patientId);
    const found = studies.length === 1 ? studies[0] : undefined;
    const location = viewerRoute({ found: found?.studyInstanceUid, ...asked });
    audit(request, "success", { asked, opened: location }, found?.studyInstanceUid ?? studyUid);
    applySecurityHeaders(reply);
    return reply.header("cache-control", "no-store").redirect(location, 302);
  });
}
