/**
 * The renderer's API client (renderer/src/lib/api/http.ts) against answers made here: problem+json and other
 * failures become typed ApiErrors, 401s reach the session, answers are checked against the shared schemas,
 * and requests carry what the server expects. Also the STOW-RS answer → per-file outcome matching.
 */
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../shared/api/contract.js";
import {
  errorFromResponse,
  type FetchLike,
  HttpApi,
  parseRetryAfter,
  studyListSearch,
} from "../../renderer/src/lib/api/http.js";
import {
  failureMeaning,
  matchOutcomes,
  parseStoreResponse,
  sopInstanceUidFromMeta,
} from "../../renderer/src/lib/api/stow-outcomes.js";
import { encodePart10 } from "../fixtures/part10.js";

const PROBLEM = "application/problem+json";

function problem(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ type: "about:blank", status, ...body }), {
    status,
    headers: { "content-type": PROBLEM, ...headers },
  });
}

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

interface Call {
  url: string;
  init: RequestInit | undefined;
}

function client(
  answer: (call: Call) => Response | Promise<Response>,
  onUnauthorized?: (e: ApiError) => void,
) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    const call = { url, init };
    calls.push(call);
    return answer(call);
  };
  return { api: new HttpApi({ fetch, onUnauthorized }), calls };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

const ME = {
  name: "alice",
  role: "radiologist",
  via: "session",
  permissions: ["studies:read", "studies:report"],
};
const ROW = {
  studyInstanceUid: "1.2.3",
  patientName: "Smith^James",
  patientId: "P1",
  patientBirthDate: "1970-01-02",
  patientSex: "M",
  studyDate: "2024-05-06",
  studyTime: "10:11:12",
  studyDescription: "CT CHEST",
  accessionNumber: "A1",
  referringPhysicianName: null,
  modalities: ["CT"],
  numberOfSeries: 1,
  numberOfInstances: 3,
  status: "unread",
  priority: "routine",
  statusChangedAt: null,
  statusChangedBy: null,
};

describe("error mapping", () => {
  it("a problem+json answer becomes an ApiError with its status, title and detail", async () => {
    const { api } = client(() =>
      problem(403, { title: "Forbidden", detail: "the role viewer lacks the permission studies:report" }),
    );
    const error = await failure(api.setStudyStatus("1.2.3", { status: "read" }));
    expect(error).toMatchObject({
      status: 403,
      title: "Forbidden",
      detail: "the role viewer lacks the permission studies:report",
      forbidden: true,
      unauthorized: false,
    });
    expect(error.message).toBe("the role viewer lacks the permission studies:report");
  });

  it("a wrong password is a 401 for the form, and does not count as a lost session", async () => {
    const lost = vi.fn();
    const { api } = client(
      () => problem(401, { title: "Unauthorized", detail: "invalid user name or password" }),
      lost,
    );
    const error = await failure(api.login({ username: "alice", password: "nope" }));
    expect(error).toMatchObject({ status: 401, detail: "invalid user name or password", unauthorized: true });
    expect(lost).not.toHaveBeenCalled();
  });

  it("a 401 from any other call tells the session it has ended", async () => {
    const lost = vi.fn();
    const { api } = client(() => problem(401, { title: "Unauthorized", detail: "sign in first" }), lost);
    await failure(api.listStudies());
    expect(lost).toHaveBeenCalledTimes(1);
    expect(lost.mock.calls[0]![0]).toBeInstanceOf(ApiError);
  });

  it("a lockout carries Retry-After as retryAfterSeconds", async () => {
    const { api } = client(() =>
      problem(
        429,
        { title: "Too Many Requests", detail: "retry in 30 s", retryAfterSeconds: 30 },
        { "retry-after": "29" },
      ),
    );
    const error = await failure(api.login({ username: "alice", password: "x" }));
    expect(error.status).toBe(429);
    // The header wins over the body's own field (the header is what RFC 9110 defines).
    expect(error.retryAfterSeconds).toBe(29);
  });

  it("without the header, the problem's retryAfterSeconds is used", () => {
    const error = errorFromResponse(
      503,
      new Headers({ "content-type": PROBLEM }),
      JSON.stringify({ title: "Service Unavailable", retryAfterSeconds: 1 }),
    );
    expect(error).toMatchObject({ status: 503, title: "Service Unavailable", retryAfterSeconds: 1 });
  });

  it("a 400 names each bad field", () => {
    const error = errorFromResponse(
      400,
      new Headers({ "content-type": PROBLEM }),
      JSON.stringify({
        title: "Bad Request",
        detail: "query.from: expected a date as YYYY-MM-DD or YYYYMMDD",
        errors: [{ field: "query.from", message: "expected a date as YYYY-MM-DD or YYYYMMDD" }],
      }),
    );
    expect(error.errors).toEqual([
      { field: "query.from", message: "expected a date as YYYY-MM-DD or YYYYMMDD" },
    ]);
  });

  it("an answer that is not problem+json keeps its status with the standard title", () => {
    const html = errorFromResponse(502, new Headers({ "content-type": "text/html" }), "<h1>Bad gateway</h1>");
    expect(html).toMatchObject({ status: 502, title: "Bad Gateway", detail: undefined });
    const text = errorFromResponse(404, new Headers({ "content-type": "text/plain" }), "no such thing\n");
    expect(text).toMatchObject({ status: 404, title: "Not Found", detail: "no such thing" });
    const broken = errorFromResponse(500, new Headers({ "content-type": PROBLEM }), "{not json");
    expect(broken).toMatchObject({ status: 500, title: "Internal Server Error" });
    expect(errorFromResponse(418, new Headers(), "").title).toBe("HTTP 418");
  });

  it("no answer at all is status 0, and a cancelled call stays an AbortError", async () => {
    const { api } = client(() => Promise.reject(new TypeError("Failed to fetch")));
    const error = await failure(api.me());
    expect(error).toMatchObject({ status: 0, title: "No answer" });
    expect(error.detail).toMatch(/Failed to fetch/);

    const controller = new AbortController();
    controller.abort();
    const aborting = client(() => Promise.reject(new DOMException("aborted", "AbortError")));
    await expect(aborting.api.listStudies({}, { signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
  });

  it("an answer that does not fit the shared schema is an error, not a half-read object", async () => {
    const { api } = client(() => json({ total: "many", studies: [] }));
    const error = await failure(api.listStudies());
    expect(error).toMatchObject({ status: 0, title: "Unexpected answer" });
    expect(error.detail).toMatch(/GET \/api\/studies: total/);
    const notJson = client(
      () => new Response("<html>", { status: 200, headers: { "content-type": "text/html" } }),
    );
    expect((await failure(notJson.api.me())).title).toBe("Unreadable answer");
  });

  it("Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("requests", () => {
  it("sends JSON with the cookie of the page's origin and returns the validated answer", async () => {
    const { api, calls } = client(() =>
      json({ token: "t", user: { name: "alice", role: "admin" }, expiresAt: "x" }),
    );
    const session = await api.login({ username: "alice", password: "secret secret" });
    expect(session.user).toEqual({ name: "alice", role: "admin" });
    expect(calls[0]!.url).toBe("/api/login");
    expect(calls[0]!.init).toMatchObject({ method: "POST", credentials: "same-origin" });
    expect(new Headers(calls[0]!.init!.headers).get("content-type")).toBe("application/json");
    expect(JSON.parse(String(calls[0]!.init!.body))).toEqual({
      username: "alice",
      password: "secret secret",
    });
  });

  it("me() gives the role and permissions", async () => {
    const { api } = client(() => json(ME));
    expect(await api.me()).toEqual(ME);
  });

  it("a study-list query becomes the API's parameters", async () => {
    expect(
      studyListSearch({
        q: "smi",
        modality: ["CT", "MR"],
        status: [],
        description: "  ",
        from: "2024-01-01",
        sort: "patientName",
        order: "asc",
        limit: 25,
        offset: 50,
      }),
    ).toBe("?q=smi&modality=CT%2CMR&from=2024-01-01&sort=patientName&order=asc&limit=25&offset=50");
    expect(studyListSearch({})).toBe("");
    const { api, calls } = client(() => json({ total: 1, limit: 1, offset: 0, studies: [ROW] }));
    expect(await api.getStudy("1.2.3")).toEqual(ROW);
    expect(calls[0]!.url).toBe("/api/studies?studyInstanceUid=1.2.3&limit=1");
  });

  it("setStudyStatus PUTs to the study's status", async () => {
    const state = {
      studyInstanceUid: "1.2.3",
      status: "read",
      priority: "stat",
      changedAt: "t",
      changedBy: "alice",
    };
    const { api, calls } = client(() => json(state));
    expect(await api.setStudyStatus("1.2.3", { status: "read", priority: "stat" })).toEqual(state);
    expect(calls[0]!.url).toBe("/api/studies/1.2.3/status");
    expect(calls[0]!.init!.method).toBe("PUT");
    expect(JSON.parse(String(calls[0]!.init!.body))).toEqual({ status: "read", priority: "stat" });
  });

  it("logout ignores the (empty) answer", async () => {
    const { api, calls } = client(() => new Response(null, { status: 204 }));
    await expect(api.logout()).resolves.toBeUndefined();
    expect(calls[0]!.init!.method).toBe("POST");
  });
});

describe("STOW-RS outcomes per file", () => {
  const part10 = (uid: string) =>
    encodePart10({
      SOPClassUID: "1.2.840.10008.5.1.4.1.1.7",
      SOPInstanceUID: uid,
      StudyInstanceUID: "1.2.3",
      SeriesInstanceUID: "1.2.3.4",
      Modality: "OT",
    });

  it("reads the SOP Instance UID from the file meta, and nothing from a file that is not Part 10", () => {
    expect(sopInstanceUidFromMeta(part10("1.2.3.4.5"))).toBe("1.2.3.4.5");
    expect(sopInstanceUidFromMeta(part10("1.2.3.4.56").subarray(0, 1024))).toBe("1.2.3.4.56");
    expect(sopInstanceUidFromMeta(new TextEncoder().encode("just some text".repeat(20)))).toBeUndefined();
    expect(sopInstanceUidFromMeta(part10("1.2.3.4.5").subarray(0, 150))).toBeUndefined();
  });

  const answer = {
    "00081190": { vr: "UR", Value: ["http://h/dicom-web/studies/1.2.3"] },
    "00081198": {
      vr: "SQ",
      Value: [
        { "00081197": { vr: "US", Value: [0xc000] } },
        { "00081155": { vr: "UI", Value: ["9.9"] }, "00081197": { vr: "US", Value: [0x0122] } },
      ],
    },
    "00081199": {
      vr: "SQ",
      Value: [
        { "00081155": { vr: "UI", Value: ["1.1"] }, "00081190": { vr: "UR", Value: ["http://h/…/1.1"] } },
        { "00081155": { vr: "UI", Value: ["2.2"] }, "00081196": { vr: "US", Value: [0xb000] } },
      ],
    },
  };

  it("matches stored and refused instances back to the files, by UID and then in order", () => {
    const outcomes = matchOutcomes(["2.2", undefined, "1.1", "9.9"], parseStoreResponse(answer));
    expect(outcomes.map((o) => o.kind)).toEqual(["stored", "refused", "stored", "refused"]);
    expect(outcomes[1]).toMatchObject({ reason: 0xc000 });
    expect(outcomes[1]!.message).toMatch(/^Cannot understand: not a DICOM Part 10 file.*\(C000\)$/);
    expect(outcomes[3]!.message).toMatch(/SOP class not supported.*\(0122\)/);
    expect(outcomes[0]).toMatchObject({ kind: "stored", warning: 0xb000 });
    expect(outcomes[0]!.message).toMatch(/B000/);
    expect(outcomes[2]).toMatchObject({ kind: "stored", sopInstanceUid: "1.1", message: "Stored" });
  });

  it("a file whose UID the answer does not name takes what is left, and a missing answer says so", () => {
    const response = parseStoreResponse({
      "00081199": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: ["7.7"] } }] },
    });
    // The dataset's UID (7.7) differs from the file meta's (6.6): still the one stored instance.
    expect(matchOutcomes(["6.6"], response)[0]).toMatchObject({ kind: "stored", sopInstanceUid: "7.7" });
    expect(matchOutcomes(["6.6", undefined], response)[1]).toMatchObject({
      kind: "refused",
      message: "The server's answer does not mention this file",
    });
    expect(parseStoreResponse(null)).toEqual({ stored: [], failed: [] });
  });

  it("every Failure Reason has a meaning, by value or by class", () => {
    expect(failureMeaning(0xa700)).toMatch(/out of resources/);
    expect(failureMeaning(0xa7ff)).toBe("Refused: out of resources");
    expect(failureMeaning(0xa901)).toBe("Data set does not match SOP class");
    expect(failureMeaning(0xc122)).toBe("Transfer syntax not supported");
    expect(failureMeaning(0xc555)).toBe("Cannot understand");
    expect(failureMeaning(0x0123)).toBe("Refused");
  });
});
