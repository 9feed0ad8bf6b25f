/**
 * The tools the left mouse button can hold, with their toolbar labels and keyboard shortcuts, and the view
 * commands (toolbar buttons and keys). The right button always zooms, the middle button always pans, the
 * wheel always scrolls the stack (Ctrl+wheel zooms).
 */

export type LeftTool =
  | "window"
  | "zoom"
  | "pan"
  | "scroll"
  | "length"
  | "angle"
  | "cobb"
  | "ellipse"
  | "rectangle"
  | "probe"
  | "arrow"
  | "text";

export interface ToolInfo {
  id: LeftTool;
  label: string;
  title: string;
  /** A letter key that selects it (lower case). */
  key: string;
  group: "view" | "measure" | "annotate";
}

export const TOOLS: readonly ToolInfo[] = [
  {
    id: "window",
    label: "W/L",
    title: "Window/level: drag right widens, down raises the centre (W)",
    key: "w",
    group: "view",
  },
  {
    id: "zoom",
    label: "Zoom",
    title: "Zoom: drag up to enlarge (Z); also the right button",
    key: "z",
    group: "view",
  },
  {
    id: "pan",
    label: "Pan",
    title: "Pan: drag to move (M); also the middle button",
    key: "m",
    group: "view",
  },
  {
    id: "scroll",
    label: "Scroll",
    title: "Scroll the stack by dragging (S); also the wheel",
    key: "s",
    group: "view",
  },
  { id: "length", label: "Length", title: "Length in mm (L)", key: "l", group: "measure" },
  {
    id: "angle",
    label: "Angle",
    title: "Angle: drag the first arm, then click the end of the second (A)",
    key: "a",
    group: "measure",
  },
  {
    id: "cobb",
    label: "Cobb",
    title: "Cobb angle: drag along one end plate, then the other (C)",
    key: "c",
    group: "measure",
  },
  {
    id: "ellipse",
    label: "Ellipse",
    title: "Ellipse ROI: mean, SD, min, max and area (E)",
    key: "e",
    group: "measure",
  },
  {
    id: "rectangle",
    label: "Rect",
    title: "Rectangle ROI: mean, SD, min, max and area (B)",
    key: "b",
    group: "measure",
  },
  {
    id: "probe",
    label: "Probe",
    title: "Probe: the value under the pointer; click to pin it (P)",
    key: "p",
    group: "measure",
  },
  {
    id: "arrow",
    label: "Arrow",
    title: "Arrow: drag from the label end to the tip (K)",
    key: "k",
    group: "annotate",
  },
  {
    id: "text",
    label: "Text",
    title: "Text: click where it goes, type, Enter (T)",
    key: "t",
    group: "annotate",
  },
];

export const MEASURING_TOOLS: ReadonlySet<LeftTool> = new Set([
  "length",
  "angle",
  "cobb",
  "ellipse",
  "rectangle",
  "probe",
  "arrow",
  "text",
]);

export type ViewCommand =
  | "fit"
  | "one-to-one"
  | "rotate-cw"
  | "rotate-ccw"
  | "flip-h"
  | "flip-v"
  | "invert"
  | "reset"
  | "cine"
  | "undo"
  | "delete";

export interface CommandInfo {
  id: ViewCommand;
  label: string;
  title: string;
}

export const COMMANDS: readonly CommandInfo[] = [
  { id: "fit", label: "Fit", title: "Fit the image to the viewport (F)" },
  { id: "one-to-one", label: "1:1", title: "One image pixel per screen pixel (O)" },
  { id: "rotate-ccw", label: "⟲", title: "Rotate 90° counter-clockwise (Shift+R)" },
  { id: "rotate-cw", label: "⟳", title: "Rotate 90° clockwise (R)" },
  { id: "flip-h", label: "⇆", title: "Flip left–right (H)" },
  { id: "flip-v", label: "⇅", title: "Flip top–bottom (V)" },
  { id: "invert", label: "Inv", title: "Invert grey levels (I)" },
  { id: "reset", label: "Reset", title: "Fit, no rotation or flip, the image's own window (X)" },
];

/** The view command a key gives, if any (letters case-insensitive; Shift+R turns the other way). */
export function commandForKey(event: { key: string; shiftKey: boolean }): ViewCommand | undefined {
  switch (event.key.toLowerCase()) {
    case "f":
      return "fit";
    case "o":
      return "one-to-one";
    case "r":
      return event.shiftKey ? "rotate-ccw" : "rotate-cw";
    case "h":
      return "flip-h";
    case "v":
      return "flip-v";
    case "i":
      return "invert";
    case "x":
      return "reset";
    case " ":
      return "cine";
    case "delete":
    case "backspace":
      return "delete";
    default:
      return undefined;
  }
}

export function toolForKey(key: string): LeftTool | undefined {
  return TOOLS.find((tool) => tool.key === key.toLowerCase())?.id;
}
