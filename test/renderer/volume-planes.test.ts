import { describe, expect, it } from "vitest";
import {
  MPR_VIEWS,
  crosshairLine,
  ontoPlane,
  rotateCrosshair,
  screenAngle,
  screenToWorld,
  scrollPlanes,
  standardPlanes,
  viewMarkers,
  worldToScreen,
} from "../../shared/geometry/volume-planes.js";
import { dot, type Vec3 } from "../../shared/geometry/vector.js";

function close(a: readonly number[], b: readonly number[], digits = 9) {
  a.forEach((value, i) => expect(value).toBeCloseTo(b[i]!, digits));
}

describe("MPR planes", () => {
  it("uses the radiological conventions and labels the edges", () => {
    const planes = standardPlanes([0, 0, 0]);
    expect(viewMarkers(planes.axes.axial)).toEqual({ left: "R", right: "L", top: "A", bottom: "P" });
    expect(viewMarkers(planes.axes.coronal)).toEqual({ left: "R", right: "L", top: "H", bottom: "F" });
    expect(viewMarkers(planes.axes.sagittal)).toEqual({ left: "A", right: "P", top: "H", bottom: "F" });
    close(planes.axes.axial.normal, [0, 0, 1]);
    close(planes.axes.coronal.normal, [0, 1, 0]);
    close(planes.axes.sagittal.normal, [-1, 0, 0]);
  });

  it("rotates the other planes about the view's normal, keeping all three perpendicular", () => {
    let planes = standardPlanes([5, 6, 7]);
    planes = rotateCrosshair(planes, "axial", Math.PI / 6);
    // The axial view stays; coronal turned 30° about +z (clockwise on the axial screen).
    close(planes.axes.axial.right, [1, 0, 0]);
    close(planes.axes.coronal.right, [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6), 0]);
    planes = rotateCrosshair(planes, "coronal", (-35 * Math.PI) / 180); // double oblique
    for (const a of MPR_VIEWS) {
      for (const b of MPR_VIEWS) {
        const expected = a === b ? 1 : 0;
        expect(dot(planes.axes[a].normal, planes.axes[b].normal)).toBeCloseTo(expected, 9);
      }
    }
    expect(viewMarkers(planes.axes.sagittal).right).toMatch(/^P[LR]?[HF]?$/);
    expect(viewMarkers(planes.axes.axial).top.length).toBeGreaterThan(1);
  });

  it("draws the crosshair lines where the other planes cut a view", () => {
    const planes = rotateCrosshair(standardPlanes([0, 0, 0]), "axial", Math.PI / 4);
    const line = crosshairLine(planes, "axial", "coronal");
    // The coronal plane's trace on the axial screen runs along its right axis: 45° clockwise (either way along it).
    expect(Math.sin(screenAngle(planes.axes.axial, line) - Math.PI / 4)).toBeCloseTo(0, 9);
  });

  it("maps screen points to patient points and back", () => {
    const planes = standardPlanes([0, 0, 0]);
    const camera = { focus: [10, 20, 30] as Vec3, mmPerPixel: 0.5, width: 200, height: 100 };
    const p = screenToWorld(planes.axes.coronal, camera, { x: 150, y: 20 });
    close(p, [35, 20, 45]);
    const back = worldToScreen(planes.axes.coronal, camera, p);
    close([back.x, back.y], [150, 20]);
  });

  it("scrolls along the normal and projects onto a plane", () => {
    const planes = scrollPlanes(standardPlanes([1, 2, 3]), "sagittal", 4);
    close(planes.center, [-3, 2, 3]);
    close(ontoPlane([7, 8, 9], [0, 0, 3], [0, 0, 1]), [7, 8, 3]);
  });
});
