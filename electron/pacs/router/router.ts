import type { ObjectStore } from "../archive/object-store.js";
import { ConfigError } from "../config/errors.js";
import type { Logger } from "../core/logger.js";
import type { Index } from "../db/database.js";
import type { IndexedInstance } from "../ingest/pipeline.js";
import { nextAttemptAt } from "./backoff.js";
import { type Destination, type RouterConfig, syntaxUid } from "./config.js";
import { type Copy, copyOf } from "./prepare.js";
import { type DestinationCounts, type Job, RouteQueue } from "./queue.js";
import { type CompiledRule, compileRule, decide } from "./rules.js";
import { DicomwebSender } from "./senders/dicomweb.js";
import { DimseSender } from "./senders/dimse.js";
import { type CopyOutcome, type Sender, Unreachable } from "./senders/sender.js";
import type { ClientTls } from "../tls/contexts.js";

/** Jobs per association (DIMSE) taken from the queue at once: fewer queue round trips between sends. */
const DIMSE_BATCH = 200;
/** How often deliveries are summed for the rate and latency figures. */
const RATE_WINDOW_MS = 60_000;

export interface DestinationStatus {
  name: string;
  type: Destination["type"];
  paused: boolean;
  counts: DestinationCounts;
  deliveredLastMinute: number;
  meanLatencyMs: number | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

/** One worker of a destination: its own associations, so lanes never share one (one operation at a time each). */
interface Lane {
  destination: Destination;
  senders: Map<string, Sender>;
  running?: Promise<void>;
  wake?: () => void;
  timer?: NodeJS.Timeout;
}

export interface RouterDeps {
  /** Replaced by `reconfigure`. */
  config: RouterConfig;
  aeTitle: string;
  index: Index;
  store: ObjectStore;
  log: Logger;
}

/**
 * Routes each stored instance by the configured rules: jobs are written in the ingest transaction
 * (so no acknowledged instance misses its routing), then delivered by one worker loop per
 * destination with retries, exponential back-off with jitter, and a dead-letter state.
 */
export class Router {
  readonly queue: RouteQueue;
  private rules: CompiledRule[] = [];
  private readonly destinations = new Map<string, Destination>();
  private lanes: Lane[] = [];
  private readonly roundRobin = new Map<string, number>();
  /** Copies being sent per group member, for least-queued balancing. */
  private readonly busy = new Map<string, number>();
  private stopped = false;
  private running = false;
  private tls?: ClientTls;

  constructor(private readonly deps: RouterDeps) {
    this.queue = new RouteQueue(deps.index.connection);
    this.configure(deps.config);
  }

  private configure(config: RouterConfig): void {
    this.rules = config.rules.map(compileRule);
    this.destinations.clear();
    for (const destination of config.destinations) this.destinations.set(destination.name, destination);
    this.deps.config = config;
  }

  /** New rules and destinations (from PUT /api/config): workers stop after their batch and start again on them. */
  async reconfigure(config: RouterConfig): Promise<void> {
    const started = this.running;
    await this.stop();
    this.configure(config);
    if (started) this.start(this.tls);
  }

  /** The ingest hook: runs inside the index transaction of each batch. */
  readonly onIndexed = (instances: IndexedInstance[]): void => {
    const now = Date.now();
    for (const instance of instances) {
      const facts = {
        header: instance.header,
        callingAeTitle: instance.source.callingAeTitle,
        calledAeTitle: instance.source.calledAeTitle ?? "",
        receivedAt: new Date(now),
      };
      const decisions = decide(this.rules, facts, (name) => this.destinationSyntax(name));
      this.queue.enqueue(
        decisions.map((d) => ({
          sopInstanceUid: instance.record.instance.sopInstanceUid,
          studyInstanceUid: instance.record.study.studyInstanceUid,
          storageKey: instance.record.instance.storageKey,
          sopClassUid: instance.record.instance.sopClassUid,
          storedSyntax: instance.record.instance.transferSyntaxUid,
          rule: d.rule,
          destination: d.destination,
          transferSyntax: d.transferSyntax,
          coerce: d.coerce,
          notBefore: Math.round(now + d.waitSeconds * 1000),
        })),
        now,
      );
    }
    if (instances.length > 0) queueMicrotask(() => this.kickAll());
  };

  /** Starts delivering; `tls` is the node's DICOM TLS client, for destinations marked `tls: true`. */
  start(tls?: ClientTls): void {
    this.deps.config.destinations.forEach((destination, i) => {
      if (destination.type === "dimse" && destination.tls && !tls) {
        throw new ConfigError(
          `router.destinations.${i}.tls: needs dicom.tls (the node's certificate and CA)`,
        );
      }
    });
    this.tls = tls;
    this.stopped = false;
    this.running = true;
    const requeued = this.queue.requeueInFlight(Date.now());
    if (requeued > 0)
      this.deps.log.warn({ requeued }, "router: jobs in flight at the last stop are queued again");
    for (const destination of this.destinations.values()) {
      const concurrency = destination.type === "group" ? destination.members.length : destination.concurrency;
      for (let i = 0; i < concurrency; i++) this.lanes.push({ destination, senders: new Map() });
    }
    for (const lane of this.lanes) this.run(lane);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const lane of this.lanes) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.wake?.();
    }
    await Promise.all(this.lanes.map((lane) => lane.running));
    await Promise.all(
      this.lanes.flatMap((lane) => [...lane.senders.values()].map((sender) => sender.close())),
    );
  }

  kickAll(): void {
    for (const lane of this.lanes) lane.wake?.();
  }

  pause(destination: string, paused: boolean): void {
    this.requireDestination(destination);
    this.queue.setPaused(destination, paused);
    if (!paused) this.kickAll();
  }

  status(): DestinationStatus[] {
    const counts = this.queue.counts();
    const since = Date.now() - RATE_WINDOW_MS;
    return [...this.destinations.values()].map((destination) => {
      const state = this.queue.destinationState(destination.name);
      const rate = this.queue.throughput(destination.name, since);
      return {
        name: destination.name,
        type: destination.type,
        paused: state.paused,
        counts: counts.get(destination.name) ?? {
          queued: 0,
          sending: 0,
          delivered: 0,
          dead: 0,
          cancelled: 0,
        },
        deliveredLastMinute: rate.delivered,
        meanLatencyMs: rate.meanLatencyMs,
        lastError: state.lastError,
        lastErrorAt: state.lastErrorAt === null ? null : new Date(state.lastErrorAt).toISOString(),
      };
    });
  }

  /** Which rules sent (or did not send) an instance where, for the explain API. */
  explain(sopInstanceUid: string): Job[] {
    return this.queue.jobsOf(sopInstanceUid);
  }

  requireDestination(name: string): Destination {
    const destination = this.destinations.get(name);
    if (!destination) throw new Error(`unknown destination ${name}`);
    return destination;
  }

  private destinationSyntax(name: string): string | undefined {
    const destination = this.destinations.get(name);
    return destination && destination.type !== "group" ? syntaxUid(destination.transferSyntax) : undefined;
  }

  // ---------------------------------------------------------------- delivery

  private run(lane: Lane): void {
    lane.running = (async () => {
      while (!this.stopped) {
        const delivered = await this.step(lane).catch((err: unknown) => {
          this.deps.log.error({ err, destination: lane.destination.name }, "router lane failed");
          return false;
        });
        if (!delivered) await this.sleep(lane);
      }
    })();
  }

  /** Waits for new jobs (a kick) or for the next job's time, whichever comes first. */
  private sleep(lane: Lane): Promise<void> {
    return new Promise((resolve) => {
      const next = this.queue.nextDue(lane.destination.name);
      const wait = next === undefined ? 60_000 : Math.max(10, next - Date.now());
      lane.wake = () => {
        lane.wake = undefined;
        if (lane.timer) clearTimeout(lane.timer);
        resolve();
      };
      lane.timer = setTimeout(() => lane.wake?.(), Math.min(wait, 60_000));
      lane.timer.unref();
    });
  }

  /** One batch: take due jobs, prepare the copies, send, record. False when there was nothing to do. */
  private async step(lane: Lane): Promise<boolean> {
    const destination = lane.destination;
    if (this.queue.destinationState(destination.name).paused) return false;
    const batch = destination.type === "dicomweb" ? destination.batchSize : DIMSE_BATCH;
    const jobs = this.queue.take(destination.name, batch, Date.now());
    if (jobs.length === 0) return false;
    try {
      await this.send(lane, jobs);
    } catch (err) {
      // Whatever went wrong, the claimed jobs go back to the queue with the error rather than stay "sending".
      const now = Date.now();
      const error = `router error: ${(err as Error).message}`;
      this.queue.markFailed(
        jobs.map((job) => ({
          id: job.id,
          error,
          retryAt: nextAttemptAt(this.deps.config.retry, job.attempts + 1, now),
        })),
        now,
      );
      throw err;
    }
    return true;
  }

  private async send(lane: Lane, jobs: Job[]): Promise<void> {
    const destination = lane.destination;
    const failures: Array<{ job: Job; error: string }> = [];
    const delivered: Array<{ id: number; sentAs: string; member: string | null }> = [];
    const { member, outcomes, unreachable } = await this.deliver(
      lane,
      jobs.map((job) => copyOf(this.deps.store, job)),
    );
    jobs.forEach((job, i) => {
      const outcome: CopyOutcome = outcomes[i] ?? { ok: false, error: unreachable ?? "no outcome" };
      if (outcome.ok) delivered.push({ id: job.id, sentAs: outcome.sentAs ?? "", member });
      else failures.push({ job, error: outcome.error ?? "failed" });
    });
    this.queue.recordError(destination.name, unreachable ?? null, Date.now());
    const now = Date.now();
    if (delivered.length > 0) this.queue.markDelivered(delivered, now);
    if (failures.length > 0) {
      this.queue.markFailed(
        failures.map(({ job, error }) => ({
          id: job.id,
          error,
          retryAt: nextAttemptAt(this.deps.config.retry, job.attempts + 1, now),
        })),
        now,
      );
      this.deps.log.warn(
        { destination: destination.name, failed: failures.length, error: failures[0]?.error },
        "routing failures",
      );
    }
  }

  /** Sends to a destination, or for a group to its members in strategy order until one is reachable. */
  private async deliver(
    lane: Lane,
    copies: Copy[],
  ): Promise<{ member: string | null; outcomes: CopyOutcome[]; unreachable?: string }> {
    const destination = lane.destination;
    const candidates = destination.type === "group" ? this.memberOrder(destination) : [destination];
    let lastError = "no member";
    for (const candidate of candidates) {
      const key = `${destination.name}|${candidate.name}`;
      this.busy.set(key, (this.busy.get(key) ?? 0) + copies.length);
      try {
        const outcomes = await this.senderFor(lane, candidate).send(copies);
        return { member: destination.type === "group" ? candidate.name : null, outcomes };
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        lastError = `${candidate.name}: ${err.message}`;
      } finally {
        this.busy.set(key, (this.busy.get(key) ?? 0) - copies.length);
      }
    }
    return { member: null, outcomes: [], unreachable: lastError };
  }

  private memberOrder(group: Extract<Destination, { type: "group" }>): Destination[] {
    const members = group.members.map((name) => this.requireDestination(name));
    if (group.strategy === "least-queued") {
      const counts = this.queue.counts();
      const load = (d: Destination) => (counts.get(d.name)?.queued ?? 0) + this.inFlight(group.name, d.name);
      return [...members].sort((a, b) => load(a) - load(b));
    }
    const start = this.roundRobin.get(group.name) ?? 0;
    this.roundRobin.set(group.name, (start + 1) % members.length);
    return members.map((_, i) => members[(start + i) % members.length]!);
  }

  private inFlight(group: string, member: string): number {
    return this.busy.get(`${group}|${member}`) ?? 0;
  }

  private senderFor(lane: Lane, destination: Destination): Sender {
    const existing = lane.senders.get(destination.name);
    if (existing) return existing;
    const sender =
      destination.type === "dimse"
        ? new DimseSender(
            destination,
            destination.callingAeTitle ?? this.deps.aeTitle,
            this.deps.log,
            destination.tls ? this.tls : undefined,
          )
        : destination.type === "dicomweb"
          ? new DicomwebSender(destination)
          : undefined;
    if (!sender) throw new Error(`destination ${destination.name} cannot send by itself`);
    lane.senders.set(destination.name, sender);
    return sender;
  }
}
