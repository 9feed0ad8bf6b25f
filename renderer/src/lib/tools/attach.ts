/**
 * Puts the interaction layer on a viewport: tools (pointer, wheel, keys), measurements (loaded from and
 * saved to the app API for the study shown), and the overlays. One call per viewport, undone by the
 * function it returns (before the viewport is destroyed).
 */
import { mount, unmount } from "svelte";
import ViewportOverlay from "../overlays/ViewportOverlay.svelte";
import type { ViewportApi } from "../viewer-contract";

export function attachInteraction(viewport: ViewportApi): () => void {
  const overlay = mount(ViewportOverlay, { target: viewport.element, props: { viewport } });
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    void unmount(overlay);
  };
}
