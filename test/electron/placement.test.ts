import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { DisplayInfo, Rect } from "../../shared/desktop/displays.js";
import {
  type PlacedWindow,
  type Placement,
  type RememberedWindows,
  type ScreenDisplay,
  describeDisplays,
  displayAt,
  fitInto,
  planWindows,
} from "../../electron/main/displays/placement.js";
import {
  WindowStateStore,
  parseRemembered,
  readRemembered,
} from "../../electron/main/displays/window-state.js";
import {
  layoutFromScreens,
  singleScreenLayout,
  type ScreenLike,
} from "../../renderer/src/lib/desktop/screen-layout.js";

const rect = (x: number, y: number, width: number, height: number): Rect => ({ x, y, width, height });
const screen = (id: number, bounds: Rect, scaleFactor = 1, taskbar = 40): ScreenDisplay => ({
  id,
  bounds,
  workArea: { ...bounds, height: bounds.height - taskbar },
  scaleFactor,
});

/** Applies a plan the way windows.ts does, so that hot-plug sequences can be followed step by step. */
function apply(windows: PlacedWindow[], plan: Placement[]): PlacedWindow[] {
  let next = 100 + windows.length;
  const out = windows.map((w) => ({ ...w }));
  for (const action of plan) {
    if (action.kind === "create")
      out.push({ windowId: next++, home: action.display, orphaned: false, bounds: action.bounds });
    else
      Object.assign(
        out.find((w) => w.windowId === action.windowId)!,
        { bounds: action.bounds, orphaned: action.orphaned },
      );
  }
  return out;
}

const ONE = [screen(1, rect(0, 0, 1920, 1080))];
// A worklist monitor on the left of two portrait diagnostic displays, the primary in the middle.
const THREE = [
  screen(30, rect(1536, 0, 1536, 2048), 2),
  screen(10, rect(0, 0, 1536, 2048), 2),
  screen(20, rect(-1920, 500, 1920, 1080), 1),
];

describe("describing displays", () => {
  it("one monitor: index 0, primary", () => {
    expect(describeDisplays(ONE, 1)).toEqual([
      {
        index: 0,
        id: "1",
        label: "Display 1",
        primary: true,
        bounds: rect(0, 0, 1920, 1080),
        workArea: rect(0, 0, 1920, 1040),
        scaleFactor: 1,
      },
    ]);
  });

  it("three monitors, negative origin, mixed scale factors: indexed left to right", () => {
    const displays = describeDisplays(THREE, 10);
    expect(displays.map((d) => [d.index, d.id, d.primary, d.scaleFactor])).toEqual([
      [0, "20", false, 1],
      [1, "10", true, 2],
      [2, "30", false, 2],
    ]);
    expect(displays[0]!.bounds).toEqual(rect(-1920, 500, 1920, 1080));
  });

  it("stacked monitors are ordered top to bottom", () => {
    const displays = describeDisplays(
      [screen(2, rect(0, 1080, 1920, 1080)), screen(1, rect(0, 0, 1920, 1080))],
      1,
    );
    expect(displays.map((d) => d.id)).toEqual(["1", "2"]);
  });

  it("finds the display that shows most of a window, none for a window off every screen", () => {
    const displays = describeDisplays(THREE, 10);
    expect(displayAt(rect(-100, 600, 400, 300), displays)?.id).toBe("10");
    expect(displayAt(rect(-300, 600, 400, 300), displays)?.id).toBe("20");
    expect(displayAt(rect(-5000, 0, 100, 100), displays)).toBeUndefined();
  });
});

describe("placing the windows", () => {
  it("opens one window filling each display's work area: 1, 2 and 3 monitors", () => {
    expect(planWindows(describeDisplays(ONE, 1), [], {})).toEqual([
      { kind: "create", display: "1", bounds: rect(0, 0, 1920, 1040), fullScreen: false },
    ]);
    const two = describeDisplays(
      [screen(1, rect(0, 0, 2560, 1440)), screen(2, rect(2560, 0, 2560, 1440))],
      1,
    );
    expect(planWindows(two, [], {}).map((p) => p.kind === "create" && [p.display, p.bounds.x])).toEqual([
      ["1", 0],
      ["2", 2560],
    ]);
    const three = planWindows(describeDisplays(THREE, 10), [], {});
    expect(three).toEqual([
      { kind: "create", display: "20", bounds: rect(-1920, 500, 1920, 1040), fullScreen: false },
      { kind: "create", display: "10", bounds: rect(0, 0, 1536, 2008), fullScreen: false },
      { kind: "create", display: "30", bounds: rect(1536, 0, 1536, 2008), fullScreen: false },
    ]);
  });

  it("restores remembered positions and full screen when the display still exists", () => {
    const remembered: RememberedWindows = {
      "20": { bounds: rect(-1800, 600, 1200, 800), fullScreen: false },
      "30": { bounds: rect(1536, 0, 1536, 2048), fullScreen: true },
    };
    const plan = planWindows(describeDisplays(THREE, 10), [], remembered);
    expect(plan).toContainEqual({
      kind: "create",
      display: "20",
      bounds: rect(-1800, 600, 1200, 800),
      fullScreen: false,
    });
    expect(plan).toContainEqual({
      kind: "create",
      display: "30",
      bounds: rect(1536, 0, 1536, 2008),
      fullScreen: true,
    });
    expect(plan).toContainEqual({
      kind: "create",
      display: "10",
      bounds: rect(0, 0, 1536, 2008),
      fullScreen: false,
    });
  });

  it("ignores positions remembered for a display that is gone, or that no longer overlap it", () => {
    const remembered: RememberedWindows = {
      "99": { bounds: rect(0, 0, 800, 600), fullScreen: true },
      "1": { bounds: rect(5000, 5000, 800, 600), fullScreen: true },
    };
    expect(planWindows(describeDisplays(ONE, 1), [], remembered)).toEqual([
      { kind: "create", display: "1", bounds: rect(0, 0, 1920, 1040), fullScreen: false },
    ]);
  });

  it("fits a remembered window into a display whose resolution dropped (mixed DPI: sizes are in DIP)", () => {
    const remembered: RememberedWindows = { "10": { bounds: rect(100, 100, 3000, 4000), fullScreen: false } };
    const [create] = planWindows(
      describeDisplays([screen(10, rect(0, 0, 1536, 2048), 2)], 10),
      [],
      remembered,
    );
    expect(create).toEqual({
      kind: "create",
      display: "10",
      bounds: rect(0, 0, 1536, 2008),
      fullScreen: false,
    });
  });

  it("leaves windows alone when nothing changed, and windows the user moved elsewhere", () => {
    const displays = describeDisplays(THREE, 10);
    let windows = apply([], planWindows(displays, [], {}));
    expect(planWindows(displays, windows, {})).toEqual([]);
    windows = windows.map((w) => (w.home === "20" ? { ...w, bounds: rect(100, 100, 800, 600) } : w));
    expect(planWindows(displays, windows, {})).toEqual([]);
  });

  it("hot-unplug: the orphan leaves full screen and moves to the nearest remaining display", () => {
    let windows = apply([], planWindows(describeDisplays(THREE, 10), [], {}));
    const right = windows.find((w) => w.home === "30")!;
    const remaining = describeDisplays(
      THREE.filter((d) => d.id !== 30),
      10,
    );
    const plan = planWindows(remaining, windows, {});
    expect(plan).toEqual([
      {
        kind: "move",
        windowId: right.windowId,
        display: "10",
        bounds: rect(0, 0, 1536, 2008),
        fullScreen: false,
        orphaned: true,
      },
    ]);
    windows = apply(windows, plan);
    expect(planWindows(remaining, windows, {})).toEqual([]);
  });

  it("hot-unplug of the left monitor: its window is centred on the nearest one", () => {
    const windows = apply([], planWindows(describeDisplays(THREE, 10), [], {}));
    const left = windows.find((w) => w.home === "20")!;
    const plan = planWindows(
      describeDisplays(
        THREE.filter((d) => d.id !== 20),
        10,
      ),
      windows,
      {},
    );
    expect(plan).toEqual([
      {
        kind: "move",
        windowId: left.windowId,
        display: "10",
        bounds: rect(0, 484, 1536, 1040),
        fullScreen: false,
        orphaned: true,
      },
    ]);
  });

  it("hot-plug back: the orphan returns home to where it was; a new monitor gets a new window", () => {
    let windows = apply([], planWindows(describeDisplays(THREE, 10), [], {}));
    const remembered: RememberedWindows = { "30": { bounds: rect(1600, 100, 1000, 1000), fullScreen: true } };
    const right = windows.find((w) => w.home === "30")!;
    windows = apply(
      windows,
      planWindows(
        describeDisplays(
          THREE.filter((d) => d.id !== 30),
          10,
        ),
        windows,
        remembered,
      ),
    );
    const back = planWindows(describeDisplays(THREE, 10), windows, remembered);
    expect(back).toEqual([
      {
        kind: "move",
        windowId: right.windowId,
        display: "30",
        bounds: rect(1600, 100, 1000, 1000),
        fullScreen: true,
        orphaned: false,
      },
    ]);
    windows = apply(windows, back);
    const fourth = [...THREE, screen(40, rect(3072, 0, 1920, 1080))];
    expect(planWindows(describeDisplays(fourth, 10), windows, remembered)).toEqual([
      { kind: "create", display: "40", bounds: rect(3072, 0, 1920, 1040), fullScreen: false },
    ]);
  });

  it("two monitors unplugged at once: both orphans land on the last one", () => {
    const windows = apply([], planWindows(describeDisplays(THREE, 10), [], {}));
    const plan = planWindows(describeDisplays([THREE[2]!], 20), windows, {});
    expect(plan.map((p) => p.kind === "move" && [p.display, p.orphaned])).toEqual([
      ["20", true],
      ["20", true],
    ]);
    for (const p of plan)
      if (p.kind === "move") expect(fitInto(p.bounds, rect(-1920, 500, 1920, 1040))).toEqual(p.bounds);
  });

  it("a window left on no display after a resolution change comes back into its home", () => {
    const displays = describeDisplays(ONE, 1);
    const windows: PlacedWindow[] = [
      { windowId: 1, home: "1", orphaned: false, bounds: rect(2500, 1200, 800, 600) },
    ];
    expect(planWindows(displays, windows, {})).toEqual([
      { kind: "move", windowId: 1, display: "1", bounds: rect(1120, 440, 800, 600), orphaned: false },
    ]);
  });

  it("no display at all (all unplugged for a moment): nothing moves", () => {
    const windows: PlacedWindow[] = [{ windowId: 1, home: "1", orphaned: false, bounds: rect(0, 0, 10, 10) }];
    expect(planWindows([], windows, {})).toEqual([]);
  });
});

describe("remembered window state", () => {
  it("reads what it wrote and treats a damaged file as empty", () => {
    const dir = mkdtempSync(join(tmpdir(), "hilum-window-state-"));
    const file = join(dir, "window-state.json");
    expect(readRemembered(file)).toEqual({});
    writeFileSync(file, "{ not json");
    expect(readRemembered(file)).toEqual({});
    expect(
      parseRemembered(JSON.stringify({ "1": { bounds: rect(0, 0, -5, 10), fullScreen: false } })),
    ).toEqual({});
    const store = new WindowStateStore({}, (text) => writeFileSync(file, text));
    store.remember("2", { bounds: rect(-1920, 0, 800, 600), fullScreen: true });
    store.flush();
    expect(readRemembered(file)).toEqual({ "2": { bounds: rect(-1920, 0, 800, 600), fullScreen: true } });
    expect(JSON.parse(readFileSync(file, "utf8"))).toHaveProperty("2");
  });

  it("writes once per burst of moves", () => {
    vi.useFakeTimers();
    try {
      const writes: string[] = [];
      const store = new WindowStateStore({}, (text) => writes.push(text), 500);
      for (let x = 0; x < 50; x++) store.remember("1", { bounds: rect(x, 0, 800, 600), fullScreen: false });
      expect(writes).toHaveLength(0);
      vi.advanceTimersByTime(500);
      expect(writes).toHaveLength(1);
      expect(JSON.parse(writes[0]!)["1"].bounds.x).toBe(49);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the browser's display contract", () => {
  const wm = (
    left: number,
    top: number,
    isPrimary: boolean,
    devicePixelRatio = 1,
    label = "",
  ): ScreenLike => ({
    left,
    top,
    width: 1920,
    height: 1080,
    availLeft: left,
    availTop: top,
    availWidth: 1920,
    availHeight: 1040,
    devicePixelRatio,
    isPrimary,
    label,
  });

  it("indexes Window Management API screens like the desktop, and knows which one the window is on", () => {
    const left = wm(-1920, 0, false, 1, "DELL U2720Q");
    const main = wm(0, 0, true, 2);
    const layout = layoutFromScreens([main, left], main);
    expect(layout.self).toBe(1);
    expect(layout.displays.map((d: DisplayInfo) => [d.index, d.primary, d.scaleFactor, d.label])).toEqual([
      [0, false, 1, "DELL U2720Q"],
      [1, true, 2, "Display 2"],
    ]);
    expect(layout.displays[0]!.workArea).toEqual(rect(-1920, 0, 1920, 1040));
  });

  it("falls back to the one window's screen", () => {
    expect(
      singleScreenLayout({ width: 2560, height: 1440, availWidth: 2560, availHeight: 1400 }, 1.5),
    ).toEqual({
      displays: [
        {
          index: 0,
          id: "screen",
          label: "Display 1",
          primary: true,
          bounds: rect(0, 0, 2560, 1440),
          workArea: rect(0, 0, 2560, 1400),
          scaleFactor: 1.5,
        },
      ],
      self: 0,
    });
  });
});
