import { z } from "zod";

/** A DICOM UID (PS3.5 9.1): digits and dots, at most 64 characters, no empty or zero-led component. */
export const uid = z
  .string()
  .max(64, "a UID has at most 64 characters")
  .regex(/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/, "not a DICOM UID (digits and dots)");

/** A comma-separated list in a query string (`modality=CT,MR`), or the parameter repeated. */
export function listParam<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => {
    const values = Array.isArray(value) ? value : value === undefined ? undefined : [value];
    return values
      ?.flatMap((v) => String(v).split(","))
      .map((v) => v.trim())
      .filter((v) => v !== "");
  }, z.array(item).optional());
}

/** A query string parameter that must appear at most once (fastify makes a repeated one an array). */
export function single<T extends z.ZodType>(schema: T) {
  return z.preprocess((value, ctx) => {
    if (!Array.isArray(value)) return value;
    ctx.addIssue({ code: "custom", message: "given more than once" });
    return z.NEVER;
  }, schema);
}

export const limit = (max: number, fallback: number) =>
  single(z.coerce.number().int().min(1).max(max).default(fallback)).describe(
    `At most this many rows (1–${max}, default ${fallback})`,
  );

export const offset = single(z.coerce.number().int().min(0).default(0)).describe("Rows to skip, for paging");

/** YYYY-MM-DD or YYYYMMDD → YYYYMMDD. */
export const dicomDate = z
  .string()
  .regex(/^\d{4}-?\d{2}-?\d{2}$/, "expected a date as YYYY-MM-DD or YYYYMMDD")
  .transform((text) => text.replaceAll("-", ""));

/** DA "YYYYMMDD" → "YYYY-MM-DD"; anything else as stored. */
export function isoDate(da: string | null): string | null {
  if (da === null) return null;
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return match ? `${match[1]}-${match[2]}-${match[3]}` : da;
}

/** TM "HHMMSS.FFFFFF" (or shorter) → "HH:MM:SS" / "HH:MM"; anything else as stored. */
export function isoTime(tm: string | null): string | null {
  if (tm === null) return null;
  const match = /^(\d{2})(\d{2})?(\d{2})?(\.\d+)?$/.exec(tm.trim());
  if (!match) return tm;
  return [match[1], match[2] ?? "00", match[3]].filter((part) => part !== undefined).join(":");
}
