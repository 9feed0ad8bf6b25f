/**
 * One import from disk as the study browser shows it: progress, and each file's outcome as its batch is
 * answered. The sending is `importFiles` (lib/api/stow.ts).
 */
import { type FileOutcome, type ImportProgress, importFiles } from "../../lib/api/stow.js";
import { notifyUnauthorized } from "../../lib/api/index.js";

export interface FileRow {
  name: string;
  size: number;
  outcome: FileOutcome | undefined;
}

export class ImportJob {
  files = $state<FileRow[]>([]);
  progress = $state<ImportProgress>({ sentBytes: 0, totalBytes: 0, doneFiles: 0, totalFiles: 0 });
  running = $state(false);
  cancelled = $state(false);
  readonly stored = $derived(this.files.filter((f) => f.outcome?.kind === "stored").length);
  readonly refused = $derived(this.files.filter((f) => f.outcome?.kind === "refused").length);
  private controller = new AbortController();

  constructor(private readonly source: readonly File[]) {
    this.files = source.map((file) => ({
      name: file.webkitRelativePath || file.name,
      size: file.size,
      outcome: undefined,
    }));
    this.progress = { sentBytes: 0, totalBytes: 0, doneFiles: 0, totalFiles: source.length };
  }

  /** Runs to the end (or until cancelled); never rejects. */
  async run(): Promise<void> {
    this.running = true;
    try {
      await importFiles(this.source, {
        signal: this.controller.signal,
        onProgress: (progress) => (this.progress = progress),
        onOutcome: (index, outcome) => {
          const row = this.files[index];
          if (row) row.outcome = outcome;
        },
        onUnauthorized: notifyUnauthorized,
      });
    } catch {
      this.cancelled = true;
    } finally {
      this.running = false;
    }
  }

  cancel(): void {
    this.controller.abort();
  }
}
