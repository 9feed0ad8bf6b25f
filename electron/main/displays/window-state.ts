/**
 * Remembered window positions, per display id, in `<userData>/window-state.json`. A file that is missing or
 * damaged is treated as empty: window positions are a convenience, never a reason not to start.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { RememberedWindow, RememberedWindows } from "./placement.js";

const rect = z.object({
  x: z.number(),
  y: z.number(),
  width: z.number().positive(),
  height: z.number().positive(),
});
const rememberedSchema = z.record(z.string(), z.object({ bounds: rect, fullScreen: z.boolean() }));

export function parseRemembered(text: string): RememberedWindows {
  try {
    const parsed = rememberedSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export function readRemembered(file: string): RememberedWindows {
  try {
    return parseRemembered(readFileSync(file, "utf8"));
  } catch {
    return {};
  }
}

/**
 * Collects changes as windows move and writes them at most once per `delayMs` (a drag sends dozens of
 * move events), and at once on `flush` (quit).
 */
export class WindowStateStore {
  readonly remembered: RememberedWindows;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    initial: RememberedWindows,
    private readonly write: (text: string) => void,
    private readonly delayMs = 500,
  ) {
    this.remembered = { ...initial };
  }

  remember(displayId: string, state: RememberedWindow): void {
    this.remembered[displayId] = { bounds: { ...state.bounds }, fullScreen: state.fullScreen };
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.write(`${JSON.stringify(this.remembered, null, 2)}\n`);
  }
}
