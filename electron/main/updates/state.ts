/**
 * The updater's state machine: electron-updater's events (and the controller's own failures) in, the state
 * the renderer shows out. Pure, so every transition is tested; an event that makes no sense in the current
 * state (progress after the download finished, a check while downloading) leaves it unchanged.
 */
import type { UpdateChannel, UpdateState } from "../../../shared/desktop/updates.js";

export interface UpdateSettings {
  /** false on a locked-down site: nothing is ever fetched. */
  enabled: boolean;
  channel: UpdateChannel;
  /** The generic provider's base URL (where latest.yml is); none: updates are off. */
  url?: string;
  /** Why updates cannot work here whatever the configuration says (a development build). */
  unavailable?: string;
}

export type UpdateEvent =
  | { type: "configure"; settings: UpdateSettings }
  | { type: "checking" }
  | { type: "available"; version: string }
  | { type: "not-available"; at: Date }
  | { type: "progress"; percent: number; transferred: number; total: number; bytesPerSecond: number }
  | { type: "downloaded"; version: string }
  | { type: "error"; message: string };

export function initialUpdateState(settings: UpdateSettings): UpdateState {
  if (settings.unavailable) return { status: "disabled", reason: settings.unavailable };
  if (!settings.enabled) {
    return { status: "disabled", reason: "updates are turned off in the configuration (updates.enabled)" };
  }
  if (!settings.url) return { status: "disabled", reason: "no update server is configured (updates.url)" };
  return { status: "idle", channel: settings.channel };
}

/** The first line of an error, short enough for a banner (electron-updater's can hold a whole HTTP answer). */
export function shortMessage(message: string): string {
  const line = message.split("\n").find((text) => text.trim() !== "") ?? "unknown error";
  return line.length > 300 ? `${line.slice(0, 299)}…` : line.trim();
}

const versionOf = (state: UpdateState): string | undefined =>
  "version" in state ? state.version : undefined;

/** A download may be under way: an update was found, or a download of one failed and is being retried. */
const downloadable = (state: UpdateState): boolean =>
  state.status === "available" ||
  state.status === "downloading" ||
  (state.status === "error" && state.version !== undefined);

export function nextUpdateState(state: UpdateState, event: UpdateEvent): UpdateState {
  if (event.type === "configure") {
    const fresh = initialUpdateState(event.settings);
    // A download already made for the same channel stays installable.
    const keep =
      fresh.status === "idle" &&
      (state.status === "downloading" || state.status === "downloaded") &&
      state.channel === fresh.channel;
    return keep ? state : fresh;
  }
  if (state.status === "disabled") return state;
  const channel = state.channel;
  const busy = state.status === "downloading" || state.status === "downloaded";
  switch (event.type) {
    case "checking":
      return busy ? state : { status: "checking", channel };
    case "available":
      return busy ? state : { status: "available", channel, version: event.version };
    case "not-available":
      return state.status === "checking"
        ? { status: "up-to-date", channel, checkedAt: event.at.toISOString() }
        : state;
    case "progress": {
      const version = versionOf(state);
      if (version === undefined || !downloadable(state)) return state;
      return {
        status: "downloading",
        channel,
        version,
        percent: Math.min(100, Math.max(0, event.percent)),
        transferred: event.transferred,
        total: event.total,
        bytesPerSecond: event.bytesPerSecond,
      };
    }
    case "downloaded":
      return downloadable(state) ? { status: "downloaded", channel, version: event.version } : state;
    case "error": {
      const version = versionOf(state);
      return {
        status: "error",
        channel,
        message: shortMessage(event.message),
        ...(version === undefined ? {} : { version }),
      };
    }
  }
}
