/** A one-line progress bar on stderr when it is a terminal, and a line per 10% otherwise (CI logs). */
export class ProgressBar {
  private lastPercent = -1;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, note = ""): void {
    const percent = this.total === 0 ? 100 : Math.floor((done / this.total) * 100);
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      process.stderr.write(`\r${this.label} ${bar} ${done}/${this.total} ${note}`.padEnd(100).slice(0, 120));
      return;
    }
    const step = Math.floor(percent / 10) * 10;
    if (step === this.lastPercent) return;
    this.lastPercent = step;
    process.stderr.write(`${this.label}: ${done}/${this.total} (${step}%)\n`);
  }

  finish(): number {
    if (process.stderr.isTTY) process.stderr.write("\n");
    return (Date.now() - this.started) / 1000;
  }
}
