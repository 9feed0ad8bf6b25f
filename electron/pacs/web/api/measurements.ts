/**
 * Measurements and annotations drawn in the viewer, persisted per instance: `GET
 * /api/studies/{studyUid}/measurements` (everything drawn on the study, to show when it is reopened), `PUT
 * /api/instances/{sopInstanceUid}/measurements/{id}` (create or change one; the client picks the id, so a
 * retried PUT is harmless) and `DELETE …/{id}`. Writes need `studies:report` and are audited with the
 * value before and after; reads need `studies:read` and are audited too (they show PHI-bearing images'
 * findings).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  type Measurement,
  measurement,
  measurementBody,
  measurementId,
  studyMeasurements,
} from "../../../../shared/api/measurements.js";
import { type MeasurementRecord, MeasurementStore } from "../../db/measurements.js";
import { auditAccess } from "../audit.js";
import type { WebContext } from "../context.js";
import { type ApiDocs, apiRoute } from "../openapi.js";
import { HttpProblem } from "../problem.js";
import { uid } from "./common.js";

const instanceParams = z.strictObject({ sopInstanceUid: uid, id: measurementId });

function json(record: MeasurementRecord): Measurement {
  return record;
}

/** What the audit row keeps of a measurement: where it is and what it is, not who drew it when (the row says). */
function auditValue(record: MeasurementRecord | undefined): Record<string, unknown> | null {
  if (!record) return null;
  return {
    frameNumber: record.frameNumber,
    kind: record.kind,
    points: record.points,
    ...(record.text === undefined ? {} : { text: record.text }),
  };
}

function badField(field: string, message: string): HttpProblem {
  return new HttpProblem(400, "Bad Request", `${field}: ${message}`, { errors: [{ field, message }] });
}

export function registerMeasurements(app: FastifyInstance, ctx: WebContext, docs: ApiDocs): void {
  const store = new MeasurementStore(ctx.index.connection);

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/studies/:studyUid/measurements",
      operationId: "listStudyMeasurements",
      summary: "The measurements and annotations drawn on a study's images",
      description: "Audited (action `measurement-list`).",
      tags: ["studies"],
      access: { permission: "studies:read" },
      params: z.strictObject({ studyUid: uid }),
      responses: {
        200: { description: "Every measurement on the study, oldest first", schema: studyMeasurements },
        404: { description: "No such study in the archive" },
      },
    },
    async ({ params }, request) => {
      if (!store.studyExists(params.studyUid)) {
        throw new HttpProblem(404, "Not Found", `no study ${params.studyUid} in the archive`);
      }
      const measurements = store.listStudy(params.studyUid).map(json);
      auditAccess(ctx, request, {
        action: "measurement-list",
        studyUid: params.studyUid,
        detail: { count: measurements.length },
      });
      return { studyInstanceUid: params.studyUid, measurements };
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "PUT",
      url: "/api/instances/:sopInstanceUid/measurements/:id",
      operationId: "putMeasurement",
      summary: "Create or change a measurement on an instance",
      description:
        "The client chooses the id (a UUID), so repeating a PUT is harmless. The points must be as many as the " +
        "kind has (a 400 names `body.points`), and the frame must exist in the instance. Audited (action " +
        "`measurement-write`) with the value before (null when created) and after.",
      tags: ["studies"],
      access: { permission: "studies:report" },
      params: instanceParams,
      body: measurementBody,
      responses: {
        200: { description: "Changed", schema: measurement },
        201: { description: "Created", schema: measurement },
        404: { description: "No such instance in the archive" },
        409: { description: "The id belongs to a measurement on another instance" },
      },
    },
    async ({ params, body }, request, reply) => {
      const by = request.principal?.name ?? "anonymous";
      return ctx.index.transaction(() => {
        const instance = store.instance(params.sopInstanceUid);
        if (!instance) {
          throw new HttpProblem(404, "Not Found", `no instance ${params.sopInstanceUid} in the archive`);
        }
        if (body.frameNumber > instance.numberOfFrames) {
          throw badField(
            "body.frameNumber",
            `the instance has ${instance.numberOfFrames} frame${instance.numberOfFrames === 1 ? "" : "s"}`,
          );
        }
        const existing = store.get(params.id);
        if (existing && existing.sopInstanceUid !== params.sopInstanceUid) {
          throw new HttpProblem(
            409,
            "Conflict",
            `measurement ${params.id} is on another instance (${existing.sopInstanceUid})`,
          );
        }
        const { before, after } = store.put(params.id, instance, body, { by });
        auditAccess(ctx, request, {
          action: "measurement-write",
          studyUid: instance.studyInstanceUid,
          seriesUid: instance.seriesInstanceUid,
          sopInstanceUid: instance.sopInstanceUid,
          detail: { id: params.id, before: auditValue(before), after: auditValue(after) },
        });
        reply.code(before ? 200 : 201);
        return json(after);
      });
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "DELETE",
      url: "/api/instances/:sopInstanceUid/measurements/:id",
      operationId: "deleteMeasurement",
      summary: "Remove a measurement",
      description: "Audited (action `measurement-delete`) with the value before.",
      tags: ["studies"],
      access: { permission: "studies:report" },
      params: instanceParams,
      responses: {
        204: { description: "Removed" },
        404: { description: "No such measurement on this instance" },
      },
    },
    async ({ params }, request, reply) => {
      ctx.index.transaction(() => {
        const existing = store.get(params.id);
        if (!existing || existing.sopInstanceUid !== params.sopInstanceUid) {
          throw new HttpProblem(
            404,
            "Not Found",
            `no measurement ${params.id} on instance ${params.sopInstanceUid}`,
          );
        }
        store.delete(params.id);
        auditAccess(ctx, request, {
          action: "measurement-delete",
          studyUid: existing.studyInstanceUid,
          seriesUid: existing.seriesInstanceUid,
          sopInstanceUid: existing.sopInstanceUid,
          detail: { id: params.id, before: auditValue(existing), after: null },
        });
      });
      reply.code(204);
      return reply.send();
    },
  );
}
