/** The view transform: image ↔ canvas maps that measurements rely on. */
import { describe, expect, it } from "vitest";
import {
  applyAffine,
  canvasToImage,
  clipMatrix,
  devicePixelsPerImagePixel,
  fitTransform,
  imageToCanvas,
  imageToCanvasMatrix,
} from "../../renderer/src/lib/viewport/transform.js";

const VIEW = { width: 400, height: 300 };
const base = {
  scale: 2,
  center: { x: 50, y: 25 },
  rotation: 0,
  flipHorizontal: false,
  flipVertical: false,
  invert: false,
};

describe("view transform", () => {
  it("puts `center` at the viewport centre and scales about it", () => {
    expect(imageToCanvas(base, VIEW, { x: 50, y: 25 })).toEqual({ x: 200, y: 150 });
    expect(imageToCanvas(base, VIEW, { x: 60, y: 25 })).toEqual({ x: 220, y: 150 });
    expect(imageToCanvas(base, VIEW, { x: 50, y: 20 })).toEqual({ x: 200, y: 140 });
  });

  it("turns clockwise on screen: image right → screen down at 90°", () => {
    const t = { ...base, rotation: 90 };
    expect(imageToCanvas(t, VIEW, { x: 60, y: 25 })).toEqual({ x: 200, y: 170 });
    expect(imageToCanvas(t, VIEW, { x: 50, y: 35 })).toEqual({ x: 180, y: 150 });
  });

  it("mirrors about the image's own axes before turning", () => {
    const h = { ...base, flipHorizontal: true };
    expect(imageToCanvas(h, VIEW, { x: 60, y: 25 })).toEqual({ x: 180, y: 150 });
    // Flip H then 90°: image right → left → screen up.
    const hr = { ...h, rotation: 90 };
    expect(imageToCanvas(hr, VIEW, { x: 60, y: 25 })).toEqual({ x: 200, y: 130 });
    const v = { ...base, flipVertical: true };
    expect(imageToCanvas(v, VIEW, { x: 50, y: 35 })).toEqual({ x: 200, y: 130 });
  });

  it("round-trips image → canvas → image exactly for any transform", () => {
    for (const rotation of [0, 90, 180, 270, 33]) {
      for (const flipHorizontal of [false, true]) {
        const t = { ...base, rotation, flipHorizontal, flipVertical: !flipHorizontal, scale: 1.37 };
        for (const p of [
          { x: 0, y: 0 },
          { x: 12.25, y: 99.5 },
          { x: -3, y: 7 },
        ]) {
          const back = canvasToImage(t, VIEW, imageToCanvas(t, VIEW, p, 1.5), 1.5);
          expect(back.x).toBeCloseTo(p.x, 9);
          expect(back.y).toBeCloseTo(p.y, 9);
        }
      }
    }
  });

  it("stretches rows by the pixel aspect ratio (row spacing / column spacing)", () => {
    expect(imageToCanvas(base, VIEW, { x: 50, y: 35 }, 2)).toEqual({ x: 200, y: 190 });
  });

  it("fits the whole (turned) image, centred", () => {
    const fitted = fitTransform({ columns: 200, rows: 100 }, VIEW, base);
    expect(fitted.scale).toBe(2);
    expect(fitted.center).toEqual({ x: 100, y: 50 });
    const turned = fitTransform({ columns: 200, rows: 100 }, VIEW, { ...base, rotation: 90 });
    expect(turned.scale).toBe(1.5); // 200 image pixels over 300 CSS pixels of height
    const tall = fitTransform({ columns: 100, rows: 100 }, VIEW, base, 2);
    expect(tall.scale).toBe(1.5); // 200 rows tall after the aspect stretch
  });

  it("maps to clip space so that the viewport corners are ±1", () => {
    const m = imageToCanvasMatrix({ ...base, scale: 1, center: { x: 200, y: 150 } }, VIEW);
    const clip = clipMatrix(m, VIEW);
    const toClip = (x: number, y: number) => [
      clip[0]! * x + clip[3]! * y + clip[6]!,
      clip[1]! * x + clip[4]! * y + clip[7]!,
    ];
    // Float32 for the GPU.
    const close = (got: number[], want: number[]) =>
      got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 6));
    close(toClip(0, 0), [-1, 1]);
    close(toClip(400, 300), [1, -1]);
    close(toClip(200, 150), [0, 0]);
    expect(applyAffine(m, { x: 0, y: 0 })).toEqual({ x: 0, y: 0 });
  });

  it("samples nearest from one device pixel per image pixel up, bilinear below", () => {
    expect(devicePixelsPerImagePixel({ ...base, scale: 0.5 }, 2)).toBe(1);
    expect(devicePixelsPerImagePixel({ ...base, scale: 0.5 }, 1)).toBe(0.5);
    expect(devicePixelsPerImagePixel({ ...base, scale: 1 }, 1, 0.5)).toBe(0.5);
  });
});
