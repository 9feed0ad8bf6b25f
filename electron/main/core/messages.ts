/**
 * Messages between the main process and the core's utility process. Each side validates what it receives:
 * a malformed message is a bug to report, never something to act on.
 */
import { z } from "zod";
import { uid } from "../../../shared/api/schemas.js";

const jobProgress = z.object({
  jobId: z.string(),
  kind: z.enum(["import", "send"]),
  phase: z.enum(["running", "done", "failed"]),
  total: z.number().int().min(0),
  done: z.number().int().min(0),
  succeeded: z.number().int().min(0),
  failed: z.number().int().min(0),
  message: z.string().optional(),
  studyInstanceUids: z.array(z.string()).optional(),
});

export const toCore = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("start"),
    configFile: z.string().min(1),
    /** The per-launch secret (http.launchSecret): never written to the configuration file. */
    launchSecret: z.string().min(32),
  }),
  z.object({ type: z.literal("import"), jobId: z.string(), paths: z.array(z.string()).min(1) }),
  z.object({
    type: z.literal("send"),
    jobId: z.string(),
    studyInstanceUids: z.array(uid).min(1),
    peer: z.string(),
  }),
  z.object({ type: z.literal("stop") }),
]);

export const fromCore = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("ready"),
    /** The core's HTTP origin on loopback, where the windows load the renderer from. */
    url: z.string(),
    /** SHA-256 of the HTTPS certificate (Electron's "sha256/<base64>" form) when the core serves HTTPS. */
    certificateFingerprint: z.string().optional(),
  }),
  z.object({ type: z.literal("failed"), message: z.string() }),
  z.object({ type: z.literal("job"), progress: jobProgress }),
  z.object({ type: z.literal("stopped") }),
]);

export type ToCore = z.infer<typeof toCore>;
export type FromCore = z.infer<typeof fromCore>;
