import { z } from "zod";

/** AE titles: 1–16 characters of the default repertoire, no backslash, not only spaces (PS3.5 AE VR). */
export const aeTitle = z
  .string()
  .trim()
  .min(1, "AE title is empty")
  .max(16, "AE title is longer than 16 characters")
  .regex(
    /^[\x20-\x5b\x5d-\x7e]+$/,
    "AE title holds a character outside the DICOM default repertoire or a backslash",
  );

export const port = z.number().int().min(0).max(65535);
