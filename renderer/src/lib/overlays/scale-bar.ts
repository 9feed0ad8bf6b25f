/**
 * The scale bar: a horizontal bar of a round length (5 cm, else 10 mm, else smaller) that fits the viewport,
 * from how many mm one CSS pixel spans along the screen's horizontal.
 */

/** Lengths offered, largest first, in mm. */
export const SCALE_BAR_LENGTHS_MM = [50, 10, 5, 1] as const;

export interface ScaleBar {
  mm: number;
  /** Length on screen, CSS pixels. */
  pixels: number;
  label: string;
}

/**
 * The longest bar that fits in `maxPixels`; undefined without a usable scale. When even the shortest does
 * not fit (extreme zoom), the shortest anyway: the bar never disappears while the image is calibrated.
 */
export function scaleBar(mmPerPixel: number, maxPixels: number): ScaleBar | undefined {
  if (!(mmPerPixel > 0) || !Number.isFinite(mmPerPixel)) return undefined;
  const fits = SCALE_BAR_LENGTHS_MM.find((mm) => mm / mmPerPixel <= maxPixels);
  const mm = fits ?? SCALE_BAR_LENGTHS_MM[SCALE_BAR_LENGTHS_MM.length - 1]!;
  return { mm, pixels: mm / mmPerPixel, label: mm > 10 && mm % 10 === 0 ? `${mm / 10} cm` : `${mm} mm` };
}

/**
 * mm per CSS pixel along a screen direction, from two image points one CSS pixel apart on screen (the
 * viewport's canvasToImage) and the pixel spacing.
 */
export function mmPerScreenPixel(
  from: { x: number; y: number },
  to: { x: number; y: number },
  spacing: { row: number; column: number },
): number {
  return Math.hypot((to.x - from.x) * spacing.column, (to.y - from.y) * spacing.row);
}
