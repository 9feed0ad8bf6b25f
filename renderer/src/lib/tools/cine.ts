/**
 * Cine: plays a viewport's stack at a frame rate, looping, on animation frames (so it never runs ahead of
 * the display and stops when the tab is hidden). A frame still loading holds the loop until it arrives.
 */

export interface CineTarget {
  readonly index: number;
  readonly length: number;
  show(index: number): Promise<void>;
}

export class Cine {
  #raf = 0;
  #last = 0;
  #busy = false;
  #fps: number;

  constructor(
    private readonly target: CineTarget,
    fps: number,
    private readonly onStateChange: (playing: boolean) => void = () => {},
  ) {
    this.#fps = fps;
  }

  get playing(): boolean {
    return this.#raf !== 0;
  }

  set fps(value: number) {
    this.#fps = Math.max(1, Math.min(120, value));
  }

  get fps(): number {
    return this.#fps;
  }

  start(): void {
    if (this.playing || this.target.length < 2) return;
    this.#last = performance.now();
    this.#raf = requestAnimationFrame((t) => this.#tick(t));
    this.onStateChange(true);
  }

  stop(): void {
    if (!this.playing) return;
    cancelAnimationFrame(this.#raf);
    this.#raf = 0;
    this.onStateChange(false);
  }

  toggle(): void {
    if (this.playing) this.stop();
    else this.start();
  }

  #tick(now: number): void {
    this.#raf = requestAnimationFrame((t) => this.#tick(t));
    const interval = 1000 / this.#fps;
    if (this.#busy || now - this.#last < interval - 1) return;
    // Keep the rate even when a frame comes late, without bursting to catch up.
    this.#last = now - Math.min(interval, (now - this.#last) % interval);
    const length = this.target.length;
    if (length < 2) return this.stop();
    this.#busy = true;
    void this.target.show((this.target.index + 1) % length).finally(() => {
      this.#busy = false;
    });
  }
}
