/**
 * Measurements and annotations as the app API stores them (`/api/studies/{studyUid}/measurements`,
 * `/api/instances/{sopInstanceUid}/measurements/{id}`): one per drawn object, on one frame of one instance,
 * as its kind and its points in image coordinates (pixels; (0, 0) is the top-left corner of the first
 * pixel). Values (mm, HU, areas) are derived from the points and the image when shown, never stored, so
 * that they cannot disagree with the pixels. The server validates with these schemas; the renderer uses
 * the same types.
 */
import { z } from "zod";

export const MEASUREMENT_KINDS = [
  "length",
  "angle",
  "cobb",
  "ellipse",
  "rectangle",
  "arrow",
  "text",
  "probe",
] as const;
export type MeasurementKind = (typeof MEASUREMENT_KINDS)[number];

/**
 * Points of each kind: length and arrow (from, to); angle (arm, vertex, arm); Cobb (line 1 from, to, line 2
 * from, to); ellipse and rectangle (two opposite corners of the bounding box); text (anchor); probe (the
 * point).
 */
export const POINT_COUNT: Readonly<Record<MeasurementKind, number>> = {
  length: 2,
  angle: 3,
  cobb: 4,
  ellipse: 2,
  rectangle: 2,
  arrow: 2,
  text: 1,
  probe: 1,
};

/** Image coordinates stay within a generous margin around any image (65535 rows or columns at most). */
const coordinate = z.number().min(-1e6).max(1e6);

export const imagePoint = z.strictObject({ x: coordinate, y: coordinate });

/** A client-chosen id (a UUID, typically): letters, digits, `-` and `_`. */
export const measurementId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "an id is 1–64 letters, digits, '-' or '_'");

/** The body of `PUT /api/instances/{sopInstanceUid}/measurements/{id}`. */
export const measurementBody = z
  .strictObject({
    frameNumber: z.number().int().min(1).max(1_000_000).default(1).describe("1-based; 1 for single-frame"),
    kind: z.enum(MEASUREMENT_KINDS),
    points: z
      .array(imagePoint)
      .min(1)
      .max(4)
      .describe("Image coordinates in pixels, as many as the kind has"),
    text: z.string().max(1024).optional().describe("The text of a text annotation; a note on other kinds"),
  })
  .superRefine((body, ctx) => {
    const expected = POINT_COUNT[body.kind];
    if (body.points.length !== expected) {
      ctx.addIssue({
        code: "custom",
        path: ["points"],
        message: `a ${body.kind} has ${expected} point${expected === 1 ? "" : "s"}, not ${body.points.length}`,
      });
    }
    if (body.kind === "text" && !body.text?.trim()) {
      ctx.addIssue({ code: "custom", path: ["text"], message: "a text annotation needs its text" });
    }
  });
export type MeasurementBody = z.input<typeof measurementBody>;

export const measurement = z.object({
  id: z.string(),
  studyInstanceUid: z.string(),
  seriesInstanceUid: z.string(),
  sopInstanceUid: z.string(),
  frameNumber: z.number().int(),
  kind: z.enum(MEASUREMENT_KINDS),
  points: z.array(z.object({ x: z.number(), y: z.number() })),
  text: z.string().optional(),
  createdAt: z.string().describe("ISO 8601"),
  createdBy: z.string(),
  updatedAt: z.string().describe("ISO 8601"),
  updatedBy: z.string(),
});
export type Measurement = z.output<typeof measurement>;

export const studyMeasurements = z.object({
  studyInstanceUid: z.string(),
  measurements: z.array(measurement).describe("Oldest first"),
});
export type StudyMeasurements = z.output<typeof studyMeasurements>;
