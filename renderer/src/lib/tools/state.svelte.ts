/**
 * Tool state shared by the toolbar and every viewport: the left button's tool, the cine rate, and the
 * active viewport (the one last pointed at, scrolled or focused), which the toolbar's commands and the
 * keyboard act on.
 */
import type { WindowPreset } from "../display/voi";
import type { LeftTool, ViewCommand } from "./tools";

/** What the toolbar needs of a viewport's interaction controller. */
export interface ActiveViewportTools {
  command(command: ViewCommand): void;
  applyPreset(key: string): boolean;
  /** The window presets of the modality in view (number keys). */
  presets(): readonly WindowPreset[];
  readonly cinePlaying: boolean;
  /** Handles a key meant for the active viewport; true when it did something. */
  handleKey(event: KeyboardEvent): boolean;
}

class ToolState {
  left = $state<LeftTool>("window");
  /** Frames per second of cine. */
  fps = $state(15);
  active = $state.raw<ActiveViewportTools | undefined>(undefined);
  /** Bumped when the active viewport's cine starts or stops, or its stack changes (the toolbar re-reads it). */
  version = $state(0);
}

export const toolState = new ToolState();

export const FPS_CHOICES = [5, 10, 15, 20, 25, 30, 60] as const;
