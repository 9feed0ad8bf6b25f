/**
 * Viewer layouts: a grid of rows × columns viewports over a list of slots. A slot remembers what it
 * showed (series, slice, window) even while the grid is too small to show it, so switching 2×2 → 1×1 → 2×2
 * brings every viewport back as it was. Pure state transitions; the page renders them.
 */

export interface GridSize {
  rows: number;
  columns: number;
}

/** The preset buttons, in toolbar order ("1×2" is one row of two viewports). */
export const LAYOUT_PRESETS: readonly GridSize[] = [
  { rows: 1, columns: 1 },
  { rows: 1, columns: 2 },
  { rows: 2, columns: 1 },
  { rows: 2, columns: 2 },
  { rows: 3, columns: 3 },
];

/**
 * Largest custom grid side. 4 × 4 = 16 viewports, each with its own WebGL context: Chromium keeps at most
 * 16 live contexts per page and silently loses the oldest beyond that.
 */
export const MAX_GRID_SIDE = 4;

/** What a slot shows; `index` and `voi` are remembered when the slot leaves the grid. */
export interface SlotContent<V = unknown> {
  seriesInstanceUid: string;
  index?: number;
  voi?: V;
}

export interface LayoutState<V = unknown> {
  grid: GridSize;
  /** Slot i is cell i of the grid, row-major; slots past rows × columns are kept but not shown. */
  slots: ReadonlyArray<SlotContent<V> | undefined>;
  /** The active viewport's slot (always a visible one). */
  active: number;
  /** The slot shown alone over the whole grid, if any. */
  maximized?: number;
}

export function layoutLabel(grid: GridSize): string {
  return `${grid.rows}×${grid.columns}`;
}

export function clampGrid(grid: GridSize): GridSize {
  const side = (n: number) => Math.min(MAX_GRID_SIDE, Math.max(1, Math.round(Number.isFinite(n) ? n : 1)));
  return { rows: side(grid.rows), columns: side(grid.columns) };
}

/** "2x3", "2×3", "2 3" → { rows: 2, columns: 3 }; undefined if it is not a grid within the limits. */
export function parseGrid(text: string): GridSize | undefined {
  const match = /^\s*(\d+)\s*[x×*, ]\s*(\d+)\s*$/i.exec(text);
  if (!match) return undefined;
  const grid = { rows: Number(match[1]), columns: Number(match[2]) };
  if (grid.rows < 1 || grid.columns < 1 || grid.rows > MAX_GRID_SIDE || grid.columns > MAX_GRID_SIDE) {
    return undefined;
  }
  return grid;
}

export const cellCount = (grid: GridSize): number => grid.rows * grid.columns;

/** A first layout for a study: the series in order, one per viewport, in the smallest preset that holds them (up to 2×2). */
export function initialLayout<V>(seriesUids: readonly string[]): LayoutState<V> {
  const grid =
    seriesUids.length <= 1
      ? { rows: 1, columns: 1 }
      : seriesUids.length === 2
        ? { rows: 1, columns: 2 }
        : { rows: 2, columns: 2 };
  const slots = seriesUids.slice(0, cellCount(grid)).map((seriesInstanceUid) => ({ seriesInstanceUid }));
  return { grid, slots, active: 0 };
}

/**
 * Switches the grid, keeping every slot's content (slots beyond the new grid are remembered, not lost).
 * The active slot stays active when still visible, else the last visible one becomes active; a maximised
 * viewport is restored first.
 */
export function setGrid<V>(state: LayoutState<V>, grid: GridSize): LayoutState<V> {
  const next = clampGrid(grid);
  const visible = cellCount(next);
  return {
    grid: next,
    slots: state.slots,
    active: Math.min(state.active, visible - 1),
  };
}

/** Puts a series into a slot (a fresh slot content: the new series starts at its own first view). */
export function assignSeries<V>(
  state: LayoutState<V>,
  slot: number,
  seriesInstanceUid: string,
): LayoutState<V> {
  if (slot < 0 || slot >= cellCount(state.grid)) return state;
  const slots = [...state.slots];
  while (slots.length <= slot) slots.push(undefined);
  slots[slot] = { seriesInstanceUid };
  return { ...state, slots, active: slot };
}

/** Remembers what a slot shows now (before it leaves the grid, so it comes back the same). */
export function rememberView<V>(
  state: LayoutState<V>,
  slot: number,
  view: { index?: number; voi?: V },
): LayoutState<V> {
  const content = state.slots[slot];
  if (content === undefined) return state;
  const slots = [...state.slots];
  slots[slot] = { ...content, ...view };
  return { ...state, slots };
}

export function activate<V>(state: LayoutState<V>, slot: number): LayoutState<V> {
  if (slot < 0 || slot >= cellCount(state.grid) || slot === state.active) return state;
  return { ...state, active: slot };
}

/** Double-click: maximise the slot over the grid, or restore the grid if it is the one maximised. */
export function toggleMaximized<V>(state: LayoutState<V>, slot: number): LayoutState<V> {
  if (slot < 0 || slot >= cellCount(state.grid)) return state;
  if (state.maximized === slot) {
    const { maximized: _, ...rest } = state;
    return rest;
  }
  return { ...state, maximized: slot, active: slot };
}

export interface GridCell<V> {
  slot: number;
  content?: SlotContent<V>;
  /** False while another slot is maximised: the cell stays mounted (keeping its viewport) but is hidden. */
  shown: boolean;
}

/** The grid's cells, row-major, with their content. */
export function gridCells<V>(state: LayoutState<V>): Array<GridCell<V>> {
  return [...Array(cellCount(state.grid)).keys()].map((slot) => {
    const content = state.slots[slot];
    const shown = state.maximized === undefined || state.maximized === slot;
    return content === undefined ? { slot, shown } : { slot, content, shown };
  });
}

/** Row and column (0-based) of a slot in the grid. */
export function cellOf(grid: GridSize, slot: number): { row: number; column: number } {
  return { row: Math.floor(slot / grid.columns), column: slot % grid.columns };
}
