import { describe, expect, it } from "vitest";
import {
  LAYOUT_PRESETS,
  MAX_GRID_SIDE,
  activate,
  assignSeries,
  gridCells,
  initialLayout,
  layoutLabel,
  parseGrid,
  rememberView,
  setGrid,
  toggleMaximized,
} from "../../renderer/src/lib/layout/layout.js";

describe("layouts", () => {
  it("offers 1×1, 1×2, 2×1, 2×2 and 3×3", () => {
    expect(LAYOUT_PRESETS.map(layoutLabel)).toEqual(["1×1", "1×2", "2×1", "2×2", "3×3"]);
  });

  it("parses custom grids within the limit", () => {
    expect(parseGrid("2x3")).toEqual({ rows: 2, columns: 3 });
    expect(parseGrid(" 4 × 1 ")).toEqual({ rows: 4, columns: 1 });
    expect(parseGrid("0x2")).toBeUndefined();
    expect(parseGrid(`${MAX_GRID_SIDE + 1}x1`)).toBeUndefined();
    expect(parseGrid("two by two")).toBeUndefined();
  });

  it("hangs a study's series one per viewport", () => {
    expect(initialLayout([]).grid).toEqual({ rows: 1, columns: 1 });
    expect(initialLayout(["a", "b"]).grid).toEqual({ rows: 1, columns: 2 });
    const five = initialLayout(["a", "b", "c", "d", "e"]);
    expect(five.grid).toEqual({ rows: 2, columns: 2 });
    expect(gridCells(five).map((cell) => cell.content?.seriesInstanceUid)).toEqual(["a", "b", "c", "d"]);
  });

  it("keeps every viewport's content across layout switches", () => {
    let state = initialLayout<number>(["a", "b", "c"]);
    state = assignSeries(state, 3, "d");
    state = rememberView(state, 3, { index: 17, voi: 400 });
    state = setGrid(state, { rows: 1, columns: 2 });
    expect(gridCells(state).map((cell) => cell.content?.seriesInstanceUid)).toEqual(["a", "b"]);
    expect(state.active).toBe(1); // slot 3 was active and left the grid
    state = setGrid(state, { rows: 3, columns: 3 });
    const cells = gridCells(state);
    expect(cells).toHaveLength(9);
    expect(cells.map((cell) => cell.content?.seriesInstanceUid)).toEqual(["a", "b", "c", "d", ...Array(5)]);
    expect(cells[3]!.content).toEqual({ seriesInstanceUid: "d", index: 17, voi: 400 });
  });

  it("loads a series into a viewport and makes it active", () => {
    let state = initialLayout(["a", "b"]);
    state = assignSeries(state, 1, "a");
    expect(state.active).toBe(1);
    expect(gridCells(state).map((cell) => cell.content?.seriesInstanceUid)).toEqual(["a", "a"]);
    expect(assignSeries(state, 5, "x")).toBe(state); // outside the grid
    expect(activate(state, 0).active).toBe(0);
    expect(activate(state, 9)).toBe(state);
  });

  it("maximises a viewport on double-click and restores the grid on the next", () => {
    let state = setGrid(initialLayout(["a", "b", "c", "d"]), { rows: 2, columns: 2 });
    state = toggleMaximized(state, 2);
    expect(state.active).toBe(2);
    expect(gridCells(state).map((cell) => cell.shown)).toEqual([false, false, true, false]);
    state = toggleMaximized(state, 2);
    expect(state.maximized).toBeUndefined();
    expect(gridCells(state).every((cell) => cell.shown)).toBe(true);
    // Changing the layout while maximised restores the grid.
    expect(setGrid(toggleMaximized(state, 1), { rows: 1, columns: 2 }).maximized).toBeUndefined();
  });

  it("clamps grids to the WebGL context budget", () => {
    expect(setGrid(initialLayout([]), { rows: 9, columns: 0 }).grid).toEqual({
      rows: MAX_GRID_SIDE,
      columns: 1,
    });
  });
});
