/**
 * Registers the desktop IPC handlers. Every request is checked twice before its handler runs: it must come
 * from a frame on the app's own origin, and its argument must match the channel's schema
 * (shared/desktop/ipc.ts). A refused request rejects in the renderer with the reason.
 */
import type { z } from "zod";
import type { InvokeChannel } from "../../shared/desktop/channels.js";
import {
  IpcContractError,
  type InvokeResponse,
  type invokeRequests,
  parseInvoke,
} from "../../shared/desktop/ipc.js";

export interface Sender {
  /** webContents id: which window asked. */
  id: number;
  url: string;
}

export type InvokeHandlers = {
  [C in InvokeChannel]: (
    request: z.output<(typeof invokeRequests)[C]>,
    sender: Sender,
  ) => InvokeResponse<C> | Promise<InvokeResponse<C>>;
};

/** The part of an IPC event used: Electron's IpcMainInvokeEvent. */
export interface InvokeEvent {
  sender: { id: number };
  senderFrame: { url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown): void;
}

/** Checks and runs one request; throws IpcContractError for a foreign sender or a bad argument. */
export async function dispatch<C extends InvokeChannel>(
  handlers: InvokeHandlers,
  isTrusted: (url: string) => boolean,
  channel: C,
  event: InvokeEvent,
  args: readonly unknown[],
): Promise<InvokeResponse<C>> {
  // A frame that navigated away or was destroyed while the request travelled has no URL: refused too.
  const url = event.senderFrame?.url;
  if (url === undefined || !isTrusted(url)) {
    throw new IpcContractError(`"${channel}" refused: the request did not come from Hilum's own page`);
  }
  const request = parseInvoke(channel, args);
  return handlers[channel](request, { id: event.sender.id, url });
}

export function registerIpc(
  ipc: IpcMainLike,
  handlers: InvokeHandlers,
  isTrusted: (url: string) => boolean,
  onRefused: (error: Error) => void,
): void {
  for (const channel of Object.keys(handlers) as InvokeChannel[]) {
    ipc.handle(channel, async (event, ...args) => {
      try {
        return await dispatch(handlers, isTrusted, channel, event, args);
      } catch (err) {
        if (err instanceof IpcContractError) onRefused(err);
        throw err;
      }
    });
  }
}
