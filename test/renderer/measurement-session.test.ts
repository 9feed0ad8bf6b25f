/**
 * The viewer's measurement session against a fake app API: loading, saving each change in order, undo of
 * create/edit/delete, and the refusal of a role without studies:report (kept on screen, not saved, said so).
 */
import { describe, expect, it } from "vitest";
import { ApiError, type Measurement, type MeasurementBody } from "../../shared/api/contract.js";
import type { Annotation } from "../../renderer/src/lib/measurements/model.js";
import {
  type MeasurementApi,
  MeasurementSession,
  openMeasurementSession,
} from "../../renderer/src/lib/measurements/session.js";

const STUDY = "1.2.3";
const SOP = "1.2.3.4";

class FakeApi implements MeasurementApi {
  calls: string[] = [];
  server = new Map<string, Measurement>();
  refuse = false;

  async listMeasurements(study: string) {
    this.calls.push(`GET ${study}`);
    return { studyInstanceUid: study, measurements: [...this.server.values()] };
  }

  async putMeasurement(sop: string, id: string, body: MeasurementBody) {
    this.calls.push(`PUT ${sop} ${id} ${JSON.stringify(body.points)}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.refuse) {
      throw new ApiError({ status: 403, title: "Forbidden", detail: "the role viewer lacks studies:report" });
    }
    const m: Measurement = {
      id,
      studyInstanceUid: STUDY,
      seriesInstanceUid: "1.2.3.9",
      sopInstanceUid: sop,
      frameNumber: body.frameNumber ?? 1,
      kind: body.kind,
      points: body.points,
      ...(body.text === undefined ? {} : { text: body.text }),
      createdAt: "t",
      createdBy: "r",
      updatedAt: "t",
      updatedBy: "r",
    };
    this.server.set(id, m);
    return m;
  }

  async deleteMeasurement(sop: string, id: string) {
    this.calls.push(`DELETE ${sop} ${id}`);
    if (!this.server.delete(id)) throw new ApiError({ status: 404, title: "Not Found" });
  }
}

const line = (id: string, x = 10): Annotation => ({
  id,
  sopInstanceUid: SOP,
  frameNumber: 1,
  kind: "length",
  points: [
    { x, y: 10 },
    { x: x + 100, y: 10 },
  ],
});

describe("measurement session", () => {
  it("loads the study's measurements and shows them on their frame", async () => {
    const api = new FakeApi();
    await api.putMeasurement(SOP, "old", { kind: "probe", points: [{ x: 1, y: 2 }] });
    await api.putMeasurement("9.9", "elsewhere", { kind: "probe", points: [{ x: 1, y: 2 }] });
    const session = new MeasurementSession(api, STUDY);
    let changes = 0;
    session.subscribe(() => changes++);
    await session.load();
    expect(session.loaded).toBe(true);
    expect(session.onFrame(SOP, 1).map((a) => a.id)).toEqual(["old"]);
    expect(session.onFrame(SOP, 2)).toEqual([]);
    expect(changes).toBeGreaterThan(0);
  });

  it("saves each change in order and undoes create, edit and delete", async () => {
    const api = new FakeApi();
    const session = new MeasurementSession(api, STUDY);
    await session.load();
    api.calls = [];

    session.add(line("a"));
    expect(session.saveState("a")).toBe("saving");
    const moved = line("a", 30);
    session.preview(moved);
    session.commit(line("a"), moved);
    await session.settled();
    expect(session.saveState("a")).toBe("saved");
    expect(api.server.get("a")!.points[0]).toEqual({ x: 30, y: 10 });

    session.remove("a");
    await session.settled();
    expect(api.server.has("a")).toBe(false);
    expect(session.items).toEqual([]);

    expect(session.undo()).toBe(true); // the delete: back, and saved again
    await session.settled();
    expect(api.server.get("a")!.points[0]).toEqual({ x: 30, y: 10 });
    expect(session.undo()).toBe(true); // the edit: back where it was drawn
    await session.settled();
    expect(api.server.get("a")!.points[0]).toEqual({ x: 10, y: 10 });
    expect(session.undo()).toBe(true); // the creation: gone
    await session.settled();
    expect(api.server.has("a")).toBe(false);
    expect(session.items).toEqual([]);
    expect(session.undo()).toBe(false);

    expect(api.calls).toEqual([
      `PUT ${SOP} a [{"x":10,"y":10},{"x":110,"y":10}]`,
      `PUT ${SOP} a [{"x":30,"y":10},{"x":130,"y":10}]`,
      `DELETE ${SOP} a`,
      `PUT ${SOP} a [{"x":30,"y":10},{"x":130,"y":10}]`,
      `PUT ${SOP} a [{"x":10,"y":10},{"x":110,"y":10}]`,
      `DELETE ${SOP} a`,
    ]);
  });

  it("drops a cancelled drawing without saving, and an unchanged edit without recording it", async () => {
    const api = new FakeApi();
    const session = new MeasurementSession(api, STUDY);
    session.preview(line("p"));
    session.cancelPreview("p", undefined);
    session.add(line("q"));
    await session.settled();
    session.commit(line("q"), line("q"));
    await session.settled();
    expect(api.calls.filter((c) => c.startsWith("PUT"))).toHaveLength(1);
    expect(session.items.map((a) => a.id)).toEqual(["q"]);
  });

  it("keeps a refused measurement on screen, marked not saved, and says why", async () => {
    const api = new FakeApi();
    api.refuse = true;
    const session = new MeasurementSession(api, STUDY);
    session.add(line("v"));
    await session.settled();
    expect(session.items.map((a) => a.id)).toEqual(["v"]);
    expect(session.saveState("v")).toBe("not-saved");
    expect(session.readOnly).toBe(true);
    expect(session.notice).toMatch(/your role may not save measurements.*403/);

    // Later changes stay local without asking again; removing an unsaved one needs no DELETE.
    session.add(line("w"));
    session.remove("v");
    await session.settled();
    expect(session.saveState("w")).toBe("not-saved");
    expect(api.calls.filter((c) => !c.startsWith("GET"))).toEqual([
      `PUT ${SOP} v [{"x":10,"y":10},{"x":110,"y":10}]`,
    ]);
  });

  it("shares one session per open study and forgets it when the last user releases it", async () => {
    const api = new FakeApi();
    const first = openMeasurementSession(api, "7.7");
    const second = openMeasurementSession(api, "7.7");
    expect(second.session).toBe(first.session);
    first.release();
    first.release();
    const third = openMeasurementSession(api, "7.7");
    expect(third.session).toBe(first.session);
    second.release();
    third.release();
    const reopened = openMeasurementSession(api, "7.7");
    expect(reopened.session).not.toBe(first.session);
    reopened.release();
    expect(api.calls.filter((c) => c === "GET 7.7")).toHaveLength(2);
  });
});
