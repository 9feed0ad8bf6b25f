/**
 * The contract between the viewer's image core (loading, decoding, the display pipeline, the Viewport
 * that draws) and its interaction layer (tools, measurements, overlays, layouts, sync).
 * Both sides code against these types; change them only together.
 *
 * Implementations: `openSeries()` in lib/imaging/series.ts gives an `ImageStack`; `new Viewport(element)`
 * in lib/viewport/viewport.ts (or the `Viewport.svelte` component) is the `ViewportApi`.
 */

/** Patient coordinates in mm (DICOM LPS), and image coordinates in pixels (column, row; 0,0 = top-left corner of the first pixel). */
export type Vec3 = readonly [number, number, number];
export interface ImagePoint {
  x: number;
  y: number;
}
/** CSS pixels from the top-left corner of the viewport element (the overlay canvas is drawn in these units). */
export interface CanvasPoint {
  x: number;
  y: number;
}

/** An instance's DICOM JSON (PS3.18 Annex F) as the metadata resource serves it; keys are 8 hex digits. */
export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}
export type DicomJson = Record<string, DicomJsonAttribute>;

/** What a loaded frame knows about itself (from the instance metadata). */
export interface FrameInfo {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  /** 1-based. */
  frameNumber: number;
  /** Frames in the instance (1 for single-frame instances). */
  numberOfFrames: number;
  rows: number;
  columns: number;
  /** mm between pixel centres (row spacing, column spacing), and where it came from. */
  spacing?: { row: number; column: number; source: "PixelSpacing" | "ImagerPixelSpacing" };
  imagePositionPatient?: Vec3;
  /** Row direction cosines then column direction cosines. */
  imageOrientationPatient?: readonly [number, number, number, number, number, number];
  frameOfReferenceUid?: string;
  sliceThickness?: number;
  sliceLocation?: number;
  instanceNumber?: number;
  seriesNumber?: number;
  modality?: string;
  /** Rescale slope/intercept (or a modality LUT) turn stored values into these units: "HU" for CT. */
  units?: string;
  /** Rescale Slope/Intercept (identity when absent; ignored when `modalityLut` is true). */
  rescale: { slope: number; intercept: number };
  /** A Modality LUT Sequence replaces rescale. */
  modalityLut: boolean;
  /** The windows the instance stores (WindowCenter/Width, VOI LUT Function); the first is the default. */
  windows: Array<Voi & { explanation?: string }>;
  /** A VOI LUT Sequence is stored (used when the instance stores no window). */
  voiLut: boolean;
  /**
   * LossyImageCompression "01", or a lossy transfer syntax of the stored frames (known once a frame has
   * arrived: the image core sets it then and redraws).
   */
  lossyCompressed: boolean;
  /** Why it is lossy: LossyImageCompressionMethod (e.g. "ISO_10918_1") or the transfer syntax UID. */
  lossyMethod?: string;
  /** The stored transfer syntax, once a frame has arrived. */
  transferSyntaxUid?: string;
  photometricInterpretation: string;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
}

/**
 * A VOI window in modality units. LINEAR and SIGMOID as PS3.3 C.11.2.1.2 defines them, LINEAR_EXACT as
 * C.11.2.1.3.2; a VOI LUT Sequence shows as the window its table spans until the window is changed.
 */
export interface Voi {
  center: number;
  width: number;
  fn: "LINEAR" | "LINEAR_EXACT" | "SIGMOID";
}

/**
 * How the image sits in the viewport: canvas = viewportCentre + scale · R(rotation) · F(flips) · (image − center),
 * i.e. the flips mirror the image about its own axes first, then it turns clockwise on screen (the order
 * `viewMatrix` in shared/geometry/orientation.ts assumes).
 */
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

/** Loading state of a stack: frames decoded at least once, out of all; frames that failed. */
export interface LoadProgress {
  loaded: number;
  total: number;
  failed: number;
  /** Every frame has been loaded or has failed. */
  done: boolean;
}

/** A readable store in Svelte's contract (`$progress` works in components), with its current value. */
export interface Observable<T> {
  subscribe(run: (value: T) => void): () => void;
  readonly current: T;
}

/** One series, sorted into a stack of frames (multi-frame instances expanded), streaming in. */
export interface ImageStack {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  /** Sorted: by position along the normal when every frame has one (in InstanceNumber's direction), else by InstanceNumber and frame. */
  readonly frames: readonly FrameInfo[];
  /** The DICOM JSON of the instance a frame belongs to (patient, study and series attributes for overlays). */
  instance(index: number): DicomJson;
  readonly progress: Observable<LoadProgress>;
  /** Stops loading (decoded frames stay in the page's cache until evicted; give viewports another stack first). */
  destroy(): void;
}

/** What changed in a viewport (fired after the change, before the redraw it causes). */
export type ViewportChange = "stack" | "frame" | "voi" | "transform" | "size" | "lossy";

/** The image core's viewport: one canvas showing one frame at a time. */
export interface ViewportApi {
  readonly element: HTMLElement;
  /** The frame at `index` (its pixels may still be loading). */
  readonly frame: FrameInfo | undefined;
  voi: Voi;
  transform: ViewTransform;
  /** The stack shown (undefined until one is set). */
  readonly stack: ImageStack | undefined;
  /** Shows a stack, at `index` (default: its middle frame); the transform is fitted and the VOI is the frame's default. */
  setStack(stack: ImageStack | undefined, index?: number): Promise<void>;
  /** Shows a frame of the stack by index (0-based, clamped), loading it if needed. */
  show(index: number): Promise<void>;
  readonly index: number;
  readonly length: number;
  /** The element's size in CSS pixels. */
  readonly size: { width: number; height: number };
  fit(): void;
  /** Fit, no rotation/flip/invert, and the frame's default VOI. */
  reset(): void;
  imageToCanvas(point: ImagePoint): CanvasPoint;
  canvasToImage(point: CanvasPoint): ImagePoint;
  imageToPatient(point: ImagePoint): Vec3 | undefined;
  /** Modality value (e.g. HU) at an image point, undefined outside the image or for colour images. */
  valueAt(point: ImagePoint): number | undefined;
  /** Modality values of the pixels whose centres are inside a region (for ROI statistics). */
  valuesIn(
    contains: (point: ImagePoint) => boolean,
    bounds: { x0: number; y0: number; x1: number; y1: number },
  ): Float64Array;
  /**
   * Called after every redraw, with the 2D context of the overlay canvas the interaction layer draws on:
   * cleared, and scaled so that one unit is one CSS pixel (the units of CanvasPoint).
   */
  onRender(listener: (overlay: CanvasRenderingContext2D) => void): () => void;
  /** Called when the stack, frame, VOI, transform, size or lossy flag changes. */
  onChange(listener: (change: ViewportChange) => void): () => void;
  /** Asks for a redraw on the next animation frame (e.g. after an overlay's state changed). */
  invalidate(): void;
  destroy(): void;
}
