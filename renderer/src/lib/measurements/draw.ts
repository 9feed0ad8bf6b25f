/**
 * Draws measurements on the viewport's overlay canvas (one unit = one CSS pixel): outlines, arrowheads,
 * handles of the selected one. Labels are HTML beside them (ViewportOverlay.svelte), so text stays crisp,
 * readable by assistive technology and by the tests.
 */
import type { Point2 } from "../../../../shared/geometry/vector";
import { type Annotation, type ToCanvas, outlineOf } from "./model";
import type { SaveState } from "./session";

export const COLORS = {
  normal: "#ffd54a",
  selected: "#7fd0ff",
  unsaved: "#ff9f43",
  shadow: "rgba(0, 0, 0, 0.75)",
};

function arrowHead(ctx: CanvasRenderingContext2D, from: Point2, to: Point2, size: number): void {
  const angle = Math.atan2(to.y - from.y, to.x - from.x);
  ctx.beginPath();
  ctx.moveTo(to.x, to.y);
  ctx.lineTo(to.x - size * Math.cos(angle - Math.PI / 7), to.y - size * Math.sin(angle - Math.PI / 7));
  ctx.lineTo(to.x - size * Math.cos(angle + Math.PI / 7), to.y - size * Math.sin(angle + Math.PI / 7));
  ctx.closePath();
  ctx.fill();
}

function stroke(ctx: CanvasRenderingContext2D, lines: Point2[][], color: string, width: number): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  for (const line of lines) {
    if (line.length < 2) continue;
    ctx.beginPath();
    ctx.moveTo(line[0]!.x, line[0]!.y);
    for (const p of line.slice(1)) ctx.lineTo(p.x, p.y);
    ctx.stroke();
  }
}

export function drawAnnotation(
  ctx: CanvasRenderingContext2D,
  annotation: Annotation,
  toCanvas: ToCanvas,
  options: { selected: boolean; saveState: SaveState },
): void {
  const color = options.selected
    ? COLORS.selected
    : options.saveState === "not-saved" || options.saveState === "failed"
      ? COLORS.unsaved
      : COLORS.normal;
  const lines = outlineOf(annotation, toCanvas);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  if (options.saveState === "not-saved" || options.saveState === "failed") ctx.setLineDash([6, 4]);
  // A dark halo under the line keeps it visible on bright and dark tissue alike.
  stroke(ctx, lines, COLORS.shadow, 3.5);
  stroke(ctx, lines, color, 1.5);
  ctx.setLineDash([]);
  ctx.fillStyle = color;
  const c = annotation.points.map(toCanvas);
  switch (annotation.kind) {
    case "arrow":
      if (c.length >= 2) {
        ctx.fillStyle = COLORS.shadow;
        arrowHead(ctx, c[0]!, c[1]!, 14);
        ctx.fillStyle = color;
        arrowHead(ctx, c[0]!, c[1]!, 12);
      }
      break;
    case "probe": {
      const p = c[0]!;
      stroke(
        ctx,
        [
          [
            { x: p.x - 6, y: p.y },
            { x: p.x + 6, y: p.y },
          ],
          [
            { x: p.x, y: p.y - 6 },
            { x: p.x, y: p.y + 6 },
          ],
        ],
        color,
        1.5,
      );
      break;
    }
    case "text": {
      const p = c[0]!;
      ctx.beginPath();
      ctx.arc(p.x, p.y, 2.5, 0, 2 * Math.PI);
      ctx.fill();
      break;
    }
    default:
      break;
  }
  if (
    options.selected ||
    annotation.kind === "length" ||
    annotation.kind === "angle" ||
    annotation.kind === "cobb"
  ) {
    for (const p of c) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, options.selected ? 4 : 2.5, 0, 2 * Math.PI);
      ctx.fillStyle = COLORS.shadow;
      ctx.fill();
      ctx.beginPath();
      ctx.arc(p.x, p.y, options.selected ? 3 : 1.75, 0, 2 * Math.PI);
      ctx.fillStyle = color;
      ctx.fill();
    }
  }
}
