/** Parameter building blocks, shared with the renderer (shared/api/schemas.ts). */
export { dicomDate, limit, listParam, offset, single, uid } from "../../../../shared/api/schemas.js";

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
