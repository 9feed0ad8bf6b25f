/**
 * The desktop IPC contract: for each request channel, the zod schema its one argument must match (main
 * validates every message with `parseInvoke` before acting on it) and the type of its answer; and the
 * payloads of main's notifications. The renderer bridge and the preload use the same names and types.
 */
import { z } from "zod";
import { uid } from "../api/schemas.js";
import { EVENTS, INVOKE, type InvokeChannel } from "./channels.js";
import type { DisplayLayout } from "./displays.js";
import { UPDATE_CHANNELS, type UpdateState } from "./updates.js";

/** An absolute path on any of the desktop platforms: `/…`, `C:\…`, or a UNC `\\server\…`. */
const absolutePath = z
  .string()
  .min(1)
  .max(4096, "a path is at most 4096 characters")
  .refine((path) => !path.includes("\0"), "a path cannot hold a NUL character")
  .refine((path) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path), "must be an absolute path");

const aeTitle = z
  .string()
  .min(1, "AE title is empty")
  .max(16, "AE title is longer than 16 characters")
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, "AE title holds a character outside the DICOM default repertoire");

/** What a file dialog is for: it decides the dialog's title, filters and whether folders or files. */
export const CHOOSE_PURPOSES = [
  "import-folder",
  "import-files",
  "dicomdir",
  "storage-folder",
  "tls-file",
] as const;
export type ChoosePurpose = (typeof CHOOSE_PURPOSES)[number];

const none = z.undefined();

export const invokeRequests = {
  [INVOKE.info]: none,
  [INVOKE.launchSecret]: none,
  [INVOKE.displays]: none,
  [INVOKE.fullScreen]: z.strictObject({ fullScreen: z.boolean() }),
  [INVOKE.choose]: z.strictObject({ purpose: z.enum(CHOOSE_PURPOSES) }),
  [INVOKE.importPaths]: z.strictObject({
    paths: z.array(absolutePath).min(1, "nothing to import").max(1000, "at most 1000 paths at once"),
  }),
  [INVOKE.sendStudies]: z.strictObject({
    studyInstanceUids: z.array(uid).min(1, "no study to send").max(100, "at most 100 studies at once"),
    peer: aeTitle,
  }),
  [INVOKE.restartCore]: none,
  [INVOKE.firstRunComplete]: none,
  [INVOKE.updateState]: none,
  [INVOKE.updateCheck]: none,
  [INVOKE.updateDownload]: none,
  [INVOKE.updateInstall]: none,
  [INVOKE.updateReload]: none,
  [INVOKE.updateTestFeed]: z.strictObject({
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    channel: z.enum(UPDATE_CHANNELS),
  }),
} satisfies Record<InvokeChannel, z.ZodType>;

export type InvokeRequest<C extends InvokeChannel> = z.input<(typeof invokeRequests)[C]>;

export interface DesktopInfo {
  version: string;
  platform: string;
  /** No first-run wizard has been completed on this installation. */
  firstRun: boolean;
}

export interface JobStarted {
  jobId: string;
}

export interface FeedFound {
  version: string;
  releaseDate?: string;
  /** Newer than the running app. */
  newer: boolean;
}

export interface InvokeResponses {
  [INVOKE.info]: DesktopInfo;
  [INVOKE.launchSecret]: { secret: string };
  [INVOKE.displays]: DisplayLayout;
  [INVOKE.fullScreen]: { fullScreen: boolean };
  [INVOKE.choose]: { paths: string[] };
  [INVOKE.importPaths]: JobStarted;
  [INVOKE.sendStudies]: JobStarted;
  [INVOKE.restartCore]: { restarted: true };
  [INVOKE.firstRunComplete]: { firstRun: false };
  [INVOKE.updateState]: UpdateState;
  [INVOKE.updateCheck]: UpdateState;
  [INVOKE.updateDownload]: UpdateState;
  [INVOKE.updateInstall]: UpdateState;
  [INVOKE.updateReload]: UpdateState;
  [INVOKE.updateTestFeed]: FeedFound;
}

export type InvokeResponse<C extends InvokeChannel> = InvokeResponses[C];

/** An import or a send running in the core: progress after each file, then done or failed. */
export interface JobProgress {
  jobId: string;
  kind: "import" | "send";
  phase: "running" | "done" | "failed";
  /** Files (import) or instances (send) found so far; grows while a folder is being walked. */
  total: number;
  done: number;
  /** Stored (import: new, replaced or already present) or sent. */
  succeeded: number;
  failed: number;
  /** What went wrong with the last failure, or why the job failed. */
  message?: string;
  /** The studies touched (import), so the app can open a single imported study. */
  studyInstanceUids?: string[];
}

export interface EventPayloads {
  [EVENTS.displays]: DisplayLayout;
  [EVENTS.job]: JobProgress;
  [EVENTS.updates]: UpdateState;
  [EVENTS.navigate]: { hash: string };
}

/** A message that does not match the contract; its text names the channel and each bad field. */
export class IpcContractError extends Error {
  override readonly name = "IpcContractError";
}

export function isInvokeChannel(channel: string): channel is InvokeChannel {
  return Object.hasOwn(invokeRequests, channel);
}

/**
 * The validated argument of a request: exactly one argument (none for the argument-less channels),
 * matching the channel's schema. Anything else throws an IpcContractError.
 */
export function parseInvoke<C extends InvokeChannel>(
  channel: C | string,
  args: readonly unknown[],
): z.output<(typeof invokeRequests)[C]> {
  if (!isInvokeChannel(channel)) throw new IpcContractError(`unknown desktop IPC channel "${channel}"`);
  if (args.length > 1) {
    throw new IpcContractError(`"${channel}" takes one argument, got ${args.length}`);
  }
  const result = invokeRequests[channel].safeParse(args[0]);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "argument";
      return `${where}: ${issue.message}`;
    });
    throw new IpcContractError(`"${channel}" refused: ${problems.join("; ")}`);
  }
  return result.data as z.output<(typeof invokeRequests)[C]>;
}
