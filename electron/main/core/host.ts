/**
 * Main's side of the core process: starts it (utilityProcess.fork, injected), waits for it to listen,
 * passes jobs on, and on quit asks it to stop and waits until in-flight stores have finished. A core that
 * does not stop in time is killed: the archive's recovery (docs/architecture.md) makes that safe.
 */
import type { JobProgress } from "../../../shared/desktop/ipc.js";
import { type FromCore, type ToCore, fromCore } from "./messages.js";

/** The part of Electron's UtilityProcess used. */
export interface CoreProcess {
  postMessage(message: ToCore): void;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "exit", listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface CoreReady {
  url: string;
  certificateFingerprint?: string;
}

export class CoreStartError extends Error {
  override readonly name = "CoreStartError";
}

export interface CoreHostOptions {
  configFile: string;
  launchSecret: string;
  onJob: (progress: JobProgress) => void;
  /** The core exited without being asked to (a crash): the app cannot go on without it. */
  onCrash: (code: number) => void;
  onProtocolError: (problem: string) => void;
  stopTimeoutMs?: number;
}

export class CoreHost {
  private child: CoreProcess | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly fork: () => CoreProcess,
    private readonly options: CoreHostOptions,
  ) {}

  /** Starts the core; rejects with CoreStartError carrying its reason (a bad configuration, a busy port). */
  start(): Promise<CoreReady> {
    const child = this.fork();
    this.child = child;
    this.stopping = undefined;
    return new Promise<CoreReady>((resolve, reject) => {
      let settled = false;
      child.on("message", (raw) => {
        const parsed = fromCore.safeParse(raw);
        if (!parsed.success) {
          this.options.onProtocolError(parsed.error.issues.map((issue) => issue.message).join("; "));
          return;
        }
        const message: FromCore = parsed.data;
        if (message.type === "ready" && !settled) {
          settled = true;
          resolve({
            url: message.url,
            ...(message.certificateFingerprint
              ? { certificateFingerprint: message.certificateFingerprint }
              : {}),
          });
        } else if (message.type === "failed" && !settled) {
          settled = true;
          child.kill();
          reject(new CoreStartError(message.message));
        } else if (message.type === "job") {
          this.options.onJob(message.progress);
        }
      });
      child.on("exit", (code) => {
        if (this.child === child) this.child = undefined;
        if (!settled) {
          settled = true;
          reject(new CoreStartError(`the core process exited with code ${code} while starting`));
        } else if (!this.stopping) {
          this.options.onCrash(code);
        }
      });
      child.postMessage({
        type: "start",
        configFile: this.options.configFile,
        launchSecret: this.options.launchSecret,
      });
    });
  }

  get running(): boolean {
    return this.child !== undefined && this.stopping === undefined;
  }

  post(message: Extract<ToCore, { type: "import" | "send" }>): boolean {
    if (!this.running) return false;
    this.child!.postMessage(message);
    return true;
  }

  /** Asks the core to finish what it is doing and exit; resolves when it has (or was killed after the timeout). */
  stop(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    this.stopping ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill(), this.options.stopTimeoutMs ?? 30_000);
      child.on("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.postMessage({ type: "stop" });
    });
    return this.stopping;
  }

  /** Stops the core and starts it again, so that settings that need a restart take effect. */
  async restart(): Promise<CoreReady> {
    await this.stop();
    return this.start();
  }
}
