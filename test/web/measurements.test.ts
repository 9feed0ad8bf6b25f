/**
 * Measurement persistence over real HTTP against an in-process node holding two phantom instances sent with
 * DCMTK storescu: create, read, change and delete; the roles that may write; the audit rows with the value
 * before and after; bad input answered 400 naming the field; unknown instances and studies 404.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePhantom, type Phantom } from "../fixtures/phantom.js";
import { scratchDir, startTestNode, type TestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import { call, createAccounts, expectProblem } from "./api-support.js";

let hilum: TestNode;
let base: string;
let tokens: Awaited<ReturnType<typeof createAccounts>>;
let ct: Phantom;
let other: Phantom;

const LENGTH = {
  kind: "length",
  points: [
    { x: 78, y: 128 },
    { x: 178, y: 128 },
  ],
};

beforeAll(async () => {
  const dir = scratchDir("measurements");
  ct = generatePhantom({ dir, seed: "api-ct" });
  other = generatePhantom({
    dir,
    seed: "api-other",
    plane: "coronal",
    studyInstanceUid: ct.studyInstanceUid,
  });
  hilum = await startTestNode();
  base = hilum.node.http.url;
  const sent = await storescu(hilum.target, [ct.file, other.file]);
  expect(sent.code, sent.stderr).toBe(0);
  tokens = await createAccounts(base);
});

afterAll(async () => {
  await hilum?.close();
});

const path = (sop: string, id: string) => `/api/instances/${sop}/measurements/${id}`;
const studyPath = (study: string) => `/api/studies/${study}/measurements`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function auditEntries(action: string): Promise<Array<Record<string, any>>> {
  const answer = await call(base, `/api/audit?action=${action}&limit=1000`, { token: tokens.admin });
  expect(answer.status, answer.text).toBe(200);
  return answer.json.entries;
}

describe("measurements API", () => {
  it("creates, lists, changes and deletes a measurement, auditing each change with before and after", async () => {
    const id = "m-create-1";
    const created = await call(base, path(ct.sopInstanceUid, id), {
      method: "PUT",
      token: tokens.radiologist,
      body: LENGTH,
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      id,
      studyInstanceUid: ct.studyInstanceUid,
      seriesInstanceUid: ct.seriesInstanceUid,
      sopInstanceUid: ct.sopInstanceUid,
      frameNumber: 1,
      kind: "length",
      points: LENGTH.points,
      createdBy: "radiologist",
      updatedBy: "radiologist",
    });

    const listed = await call(base, studyPath(ct.studyInstanceUid), { token: tokens.viewer });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.json.measurements.map((m: { id: string }) => m.id)).toEqual([id]);

    const moved = [
      { x: 80, y: 100 },
      { x: 180, y: 100 },
    ];
    const changed = await call(base, path(ct.sopInstanceUid, id), {
      method: "PUT",
      token: tokens.admin,
      body: { kind: "length", points: moved, text: "across the square" },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({
      points: moved,
      text: "across the square",
      createdBy: "radiologist",
      createdAt: created.json.createdAt,
      updatedBy: "admin",
    });

    const writes = (await auditEntries("measurement-write")).filter((e) => e.detail.id === id);
    expect(writes).toHaveLength(2);
    const [first, second] = [...writes].sort((a, b) => a.id - b.id);
    expect(first).toMatchObject({
      actor: "radiologist",
      studyUid: ct.studyInstanceUid,
      seriesUid: ct.seriesInstanceUid,
      sopInstanceUid: ct.sopInstanceUid,
      detail: { before: null, after: { kind: "length", frameNumber: 1, points: LENGTH.points } },
    });
    expect(second).toMatchObject({
      actor: "admin",
      detail: {
        before: { points: LENGTH.points },
        after: { points: moved, text: "across the square" },
      },
    });

    const removed = await call(base, path(ct.sopInstanceUid, id), {
      method: "DELETE",
      token: tokens.radiologist,
    });
    expect(removed.status, removed.text).toBe(204);
    const deletes = (await auditEntries("measurement-delete")).filter((e) => e.detail.id === id);
    expect(deletes).toHaveLength(1);
    expect(deletes[0]).toMatchObject({
      actor: "radiologist",
      detail: { before: { points: moved }, after: null },
    });

    const after = await call(base, studyPath(ct.studyInstanceUid), { token: tokens.viewer });
    expect(after.json.measurements).toEqual([]);
    expectProblem(
      await call(base, path(ct.sopInstanceUid, id), { method: "DELETE", token: tokens.radiologist }),
      404,
    );
    expect((await auditEntries("measurement-list")).length).toBeGreaterThanOrEqual(2);
  });

  it("lists every kind on every instance of the study, oldest first", async () => {
    const bodies = [
      {
        kind: "angle",
        points: [
          { x: 1, y: 1 },
          { x: 5, y: 5 },
          { x: 9, y: 1 },
        ],
      },
      {
        kind: "cobb",
        points: [
          { x: 1, y: 1 },
          { x: 9, y: 2 },
          { x: 1, y: 20 },
          { x: 9, y: 18 },
        ],
      },
      {
        kind: "ellipse",
        points: [
          { x: 90, y: 90 },
          { x: 160, y: 150 },
        ],
      },
      {
        kind: "rectangle",
        points: [
          { x: 90, y: 90 },
          { x: 160, y: 150 },
        ],
      },
      {
        kind: "arrow",
        points: [
          { x: 10, y: 10 },
          { x: 60, y: 60 },
        ],
        text: "look",
      },
      { kind: "text", points: [{ x: 30, y: 30 }], text: "note" },
      { kind: "probe", points: [{ x: 128.5, y: 128.5 }] },
    ];
    const ids: string[] = [];
    for (const [i, body] of bodies.entries()) {
      const sop = i % 2 === 0 ? ct.sopInstanceUid : other.sopInstanceUid;
      const id = `kinds-${i}`;
      const answer = await call(base, path(sop, id), { method: "PUT", token: tokens.radiologist, body });
      expect(answer.status, answer.text).toBe(201);
      ids.push(id);
    }
    const listed = await call(base, studyPath(ct.studyInstanceUid), { token: tokens.viewer });
    const got = listed.json.measurements as Array<{ id: string; kind: string; sopInstanceUid: string }>;
    expect(got.map((m) => m.id)).toEqual(ids);
    expect(got.map((m) => m.kind)).toEqual(bodies.map((b) => b.kind));
    expect(got[1]!.sopInstanceUid).toBe(other.sopInstanceUid);
    for (const id of ids) {
      const sop = got.find((m) => m.id === id)!.sopInstanceUid;
      const answer = await call(base, path(sop, id), { method: "DELETE", token: tokens.admin });
      expect(answer.status, answer.text).toBe(204);
    }
  });

  it("lets only roles with studies:report write, and any reader read", async () => {
    for (const role of ["viewer", "technologist"] as const) {
      const answer = await call(base, path(ct.sopInstanceUid, `denied-${role}`), {
        method: "PUT",
        token: tokens[role],
        body: LENGTH,
      });
      expectProblem(answer, 403, /studies:report/);
    }
    expectProblem(
      await call(base, path(ct.sopInstanceUid, "anonymous"), { method: "PUT", body: LENGTH }),
      401,
    );
    expectProblem(await call(base, studyPath(ct.studyInstanceUid)), 401);
    const saved = await call(base, path(ct.sopInstanceUid, "kept"), {
      method: "PUT",
      token: tokens.radiologist,
      body: LENGTH,
    });
    expect(saved.status).toBe(201);
    expectProblem(
      await call(base, path(ct.sopInstanceUid, "kept"), { method: "DELETE", token: tokens.viewer }),
      403,
    );
    for (const role of ["viewer", "technologist", "radiologist", "admin"] as const) {
      const answer = await call(base, studyPath(ct.studyInstanceUid), { token: tokens[role] });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json.measurements.some((m: { id: string }) => m.id === "kept")).toBe(true);
    }
    await call(base, path(ct.sopInstanceUid, "kept"), { method: "DELETE", token: tokens.radiologist });
  });

  it("answers 400 naming the field for bad input", async () => {
    const put = (body: unknown, id = "bad", sop = ct.sopInstanceUid) =>
      call(base, path(sop, id), { method: "PUT", token: tokens.radiologist, body });
    const cases: Array<[unknown, string]> = [
      [{ kind: "length", points: [{ x: 1, y: 1 }] }, "body.points"],
      [{ kind: "angle", points: LENGTH.points }, "body.points"],
      [{ kind: "ruler", points: LENGTH.points }, "body.kind"],
      [
        {
          kind: "length",
          points: [
            { x: "1", y: 1 },
            { x: 2, y: 2 },
          ],
        },
        "body.points.0.x",
      ],
      [
        {
          kind: "length",
          points: [
            { x: 1e9, y: 1 },
            { x: 2, y: 2 },
          ],
        },
        "body.points.0.x",
      ],
      [{ kind: "text", points: [{ x: 1, y: 1 }] }, "body.text"],
      [{ ...LENGTH, frameNumber: 0 }, "body.frameNumber"],
      [{ ...LENGTH, frameNumber: 2 }, "body.frameNumber"],
      [{ ...LENGTH, colour: "red" }, "body.colour"],
      [{ points: LENGTH.points }, "body.kind"],
    ];
    for (const [body, field] of cases) {
      const answer = await put(body);
      expectProblem(answer, 400);
      expect(
        answer.json.errors.map((e: { field: string }) => e.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    const badId = await put(LENGTH, "no spaces allowed");
    expectProblem(badId, 400);
    expect(badId.json.errors[0].field).toBe("path.id");
    const badUid = await call(base, path("1.2.abc", "x"), {
      method: "PUT",
      token: tokens.radiologist,
      body: LENGTH,
    });
    expectProblem(badUid, 400);
    expect(badUid.json.errors[0].field).toBe("path.sopInstanceUid");
    const badStudy = await call(base, studyPath("not-a-uid"), { token: tokens.viewer });
    expectProblem(badStudy, 400);
    expect(badStudy.json.errors[0].field).toBe("path.studyUid");
  });

  it("answers 404 for an unknown instance or study, and 409 for an id taken on another instance", async () => {
    expectProblem(
      await call(base, path("1.2.3.4.5", "nowhere"), {
        method: "PUT",
        token: tokens.radiologist,
        body: LENGTH,
      }),
      404,
      /no instance 1\.2\.3\.4\.5/,
    );
    expectProblem(await call(base, studyPath("1.2.3.4.5"), { token: tokens.viewer }), 404, /no study/);
    const saved = await call(base, path(ct.sopInstanceUid, "taken"), {
      method: "PUT",
      token: tokens.radiologist,
      body: LENGTH,
    });
    expect(saved.status).toBe(201);
    expectProblem(
      await call(base, path(other.sopInstanceUid, "taken"), {
        method: "PUT",
        token: tokens.radiologist,
        body: LENGTH,
      }),
      409,
    );
    expectProblem(
      await call(base, path(other.sopInstanceUid, "taken"), { method: "DELETE", token: tokens.radiologist }),
      404,
    );
  });

  it("is described in the OpenAPI document with its permissions", async () => {
    const doc = (await call(base, "/api/openapi.json")).json;
    expect(doc["x-undocumented"]).toBeUndefined();
    const one = doc.paths["/api/instances/{sopInstanceUid}/measurements/{id}"];
    expect(one.put["x-permission"]).toBe("studies:report");
    expect(one.delete["x-permission"]).toBe("studies:report");
    expect(doc.paths["/api/studies/{studyUid}/measurements"].get["x-permission"]).toBe("studies:read");
  });
});
