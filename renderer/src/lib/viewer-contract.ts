/**
 * The contract between the viewer's image core (loading, decoding, the display pipeline, the
 * Viewport that draws) and its interaction layer (tools, measurements, overlays, layouts, sync).
 * Both sides code against these types; change them only together.
 */

/** Patient coordinates in mm (DICOM LPS), and image coordinates in pixels (column, row; 0,0 = top-left corner of the first pixel). */
export type Vec3 = readonly [number, number, number];
export interface ImagePoint {
  x: number;
  y: number;
}
export interface CanvasPoint {
  x: number;
  y: number;
}

/** What a loaded frame knows about itself (from the instance metadata). */
export interface FrameInfo {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  /** 1-based. */
  frameNumber: number;
  rows: number;
  columns: number;
  /** mm between pixel centres (row spacing, column spacing), and where it came from. */
  spacing?: { row: number; column: number; source: "PixelSpacing" | "ImagerPixelSpacing" };
  imagePositionPatient?: Vec3;
  /** Row direction cosines then column direction cosines. */
  imageOrientationPatient?: readonly [number, number, number, number, number, number];
  sliceThickness?: number;
  sliceLocation?: number;
  instanceNumber?: number;
  modality?: string;
  /** Rescale slope/intercept (or a modality LUT) turn stored values into these units: "HU" for CT. */
  units?: string;
  lossyCompressed: boolean;
  photometricInterpretation: string;
}

export interface Voi {
  center: number;
  width: number;
  fn: "LINEAR" | "LINEAR_EXACT" | "SIGMOID";
}

/** How the image sits in the viewport. */
export interface ViewTransform {
  /** CSS pixels per image pixel. */
  scale: number;
  /** Image point shown at the viewport centre. */
  center: ImagePoint;
  /** Degrees, clockwise, multiples of 90 for the toolbar; any value allowed. */
  rotation: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
  invert: boolean;
}

/** The image core's viewport: one canvas showing one frame at a time. */
export interface ViewportApi {
  readonly element: HTMLElement;
  readonly frame: FrameInfo | undefined;
  voi: Voi;
  transform: ViewTransform;
  /** Shows a frame of the stack by index (0-based), loading it if needed. */
  show(index: number): Promise<void>;
  readonly index: number;
  readonly length: number;
  fit(): void;
  reset(): void;
  imageToCanvas(point: ImagePoint): CanvasPoint;
  canvasToImage(point: CanvasPoint): ImagePoint;
  imageToPatient(point: ImagePoint): Vec3 | undefined;
  /** Modality value (e.g. HU) at an image point, undefined outside the image. */
  valueAt(point: ImagePoint): number | undefined;
  /** Modality values inside a region (for ROI statistics). */
  valuesIn(
    contains: (point: ImagePoint) => boolean,
    bounds: { x0: number; y0: number; x1: number; y1: number },
  ): Float64Array;
  /** Called after every redraw, with the 2D context of the overlay canvas the interaction layer draws on. */
  onRender(listener: (overlay: CanvasRenderingContext2D) => void): () => void;
  destroy(): void;
}
