/**
 * The desktop updater's state, as the renderer shows it. Main owns the transitions
 * (electron/main/updates/state.ts); every failure is a state, never an exception.
 */

export const UPDATE_CHANNELS = ["stable", "beta"] as const;
export type UpdateChannel = (typeof UPDATE_CHANNELS)[number];

export type UpdateState =
  /** Off by configuration (a locked-down site), or no feed URL: nothing is ever fetched. */
  | { status: "disabled"; reason: string }
  | { status: "idle"; channel: UpdateChannel }
  | { status: "checking"; channel: UpdateChannel }
  | { status: "up-to-date"; channel: UpdateChannel; checkedAt: string }
  | { status: "available"; channel: UpdateChannel; version: string }
  | {
      status: "downloading";
      channel: UpdateChannel;
      version: string;
      percent: number;
      transferred: number;
      total: number;
      bytesPerSecond: number;
    }
  /** Ready: "restart to update". */
  | { status: "downloaded"; channel: UpdateChannel; version: string }
  | { status: "error"; channel: UpdateChannel; message: string; version?: string };
