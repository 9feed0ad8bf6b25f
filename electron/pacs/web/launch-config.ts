import { z } from "zod";

/**
 * `launch` in the configuration: EMR launch by signed URL (docs/emr-launch.md). Without `hmacSecret`,
 * `/launch` does not exist (404). Read on every request, so a change applies at once.
 */
export const launchSchema = z.strictObject({
  /** The secret shared with the EMR that signs launch URLs (HMAC-SHA256). */
  hmacSecret: z.string().min(32, "the launch HMAC secret must be at least 32 characters").optional(),
  /** The longest a signed URL may be valid: `exp` further in the future than this is refused. */
  maxAgeSeconds: z.number().int().min(1).max(86_400).default(300),
  /** Allowed difference between the EMR's clock and ours, in seconds. */
  clockSkewSeconds: z.number().int().min(0).max(600).default(30),
});

export type LaunchConfig = z.infer<typeof launchSchema>;
