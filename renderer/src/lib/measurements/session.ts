/**
 * The measurements of one open study: loaded from the app API when the study opens, changed by the tools,
 * each change saved at once (`PUT`/`DELETE` per measurement; the client picks the id, so a repeated save is
 * harmless), with an undo history of changes (Ctrl+Z). Every viewport showing the study shares one session.
 *
 * A role without `studies:report` may still measure: the server refuses the save (403), the measurement
 * stays on screen marked "not saved", and `notice` says why.
 *
 * Plain state with a change listener (`subscribe`), so it runs and is tested outside Svelte; components
 * re-read it when told.
 */
import type { HilumApi, Measurement } from "../../../../shared/api/contract";
import type { Annotation } from "./model";

export type SaveState = "saved" | "saving" | "not-saved" | "failed";

/** What a change did: the object before (undefined: created) and after (undefined: deleted). */
interface Change {
  before: Annotation | undefined;
  after: Annotation | undefined;
}

export type MeasurementApi = Pick<HilumApi, "listMeasurements" | "putMeasurement" | "deleteMeasurement">;

function annotationOf(m: Measurement): Annotation {
  return {
    id: m.id,
    sopInstanceUid: m.sopInstanceUid,
    frameNumber: m.frameNumber,
    kind: m.kind,
    points: m.points.map((p) => ({ x: p.x, y: p.y })),
    ...(m.text === undefined ? {} : { text: m.text }),
  };
}

function copy(a: Annotation): Annotation {
  return { ...a, points: a.points.map((p) => ({ x: p.x, y: p.y })) };
}

function errorText(error: unknown): { status: number; text: string } {
  const e = error as { status?: unknown; title?: unknown; detail?: unknown; message?: unknown };
  const status = typeof e?.status === "number" ? e.status : 0;
  const detail = typeof e?.detail === "string" ? e.detail : typeof e?.message === "string" ? e.message : "";
  return { status, text: detail || (typeof e?.title === "string" ? e.title : String(error)) };
}

export class MeasurementSession {
  /** Every measurement of the study, in drawing order. */
  items: Annotation[] = [];
  /** Save state by id (absent: saved, as loaded). */
  saving: Record<string, SaveState> = {};
  /** The selected measurement (Delete removes it). */
  selected: string | undefined = undefined;
  /** Why the last save failed, for the user; cleared by the next successful one. */
  notice: string | undefined = undefined;
  /** The server refused a save for the role (403): later changes stay local without asking again. */
  readOnly = false;
  loaded = false;
  loadError: string | undefined = undefined;

  private readonly history: Change[] = [];
  /** Ids the server holds (so an unsaved object's removal needs no DELETE). */
  private readonly stored = new Set<string>();
  /** One save at a time per id, in order. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly api: MeasurementApi,
    readonly studyInstanceUid: string,
  ) {}

  /** Loads the study's measurements (once; later calls wait for the first). */
  private loading: Promise<void> | undefined;
  load(signal?: AbortSignal): Promise<void> {
    this.loading ??= this.api.listMeasurements(this.studyInstanceUid, { signal }).then(
      (answer) => {
        const known = new Set(this.items.map((a) => a.id));
        const fromServer = answer.measurements.map(annotationOf).filter((a) => !known.has(a.id));
        for (const a of fromServer) this.stored.add(a.id);
        this.items = [...fromServer, ...this.items];
        this.loaded = true;
        this.changed();
      },
      (error: unknown) => {
        this.loadError = errorText(error).text;
        this.loading = undefined;
        this.changed();
      },
    );
    return this.loading;
  }

  /** Called after every change of items, selection, save state or notice (for viewports to redraw). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(id: string): Annotation | undefined {
    return this.items.find((a) => a.id === id);
  }

  /** The measurements drawn on one frame. */
  onFrame(sopInstanceUid: string, frameNumber: number): Annotation[] {
    return this.items.filter((a) => a.sopInstanceUid === sopInstanceUid && a.frameNumber === frameNumber);
  }

  /** Adds a finished measurement and saves it. */
  add(annotation: Annotation): void {
    this.apply({ before: undefined, after: copy(annotation) }, true);
  }

  /** Shows an object while it is being drawn or dragged, without saving or recording it. */
  preview(annotation: Annotation): void {
    const index = this.items.findIndex((a) => a.id === annotation.id);
    this.items =
      index < 0
        ? [...this.items, copy(annotation)]
        : this.items.map((a, i) => (i === index ? copy(annotation) : a));
    this.changed();
  }

  /** Drops a preview that was never added (a drawing cancelled), restoring `before` if it existed. */
  cancelPreview(id: string, before: Annotation | undefined): void {
    this.items = before
      ? this.items.map((a) => (a.id === id ? copy(before) : a))
      : this.items.filter((a) => a.id !== id);
    this.changed();
  }

  /** Records and saves a change made through previews (an edit: `before` is the object when the drag began). */
  commit(before: Annotation | undefined, after: Annotation): void {
    if (before && JSON.stringify(before) === JSON.stringify(after)) return;
    this.apply({ before: before ? copy(before) : undefined, after: copy(after) }, true);
  }

  select(id: string | undefined): void {
    if (this.selected === id) return;
    this.selected = id;
    this.changed();
  }

  remove(id: string): void {
    const before = this.get(id);
    if (!before) return;
    this.apply({ before: copy(before), after: undefined }, true);
  }

  get canUndo(): boolean {
    return this.history.length > 0;
  }

  /** Undoes the last change (and saves the result). */
  undo(): boolean {
    const change = this.history.pop();
    if (!change) return false;
    this.apply({ before: change.after, after: change.before }, false);
    return true;
  }

  saveState(id: string): SaveState {
    return this.saving[id] ?? "saved";
  }

  /** Resolves when every save started so far has finished. */
  async settled(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  private apply(change: Change, record: boolean): void {
    const id = (change.after ?? change.before)!.id;
    if (record) this.history.push(change);
    if (change.after) {
      const after = change.after;
      const exists = this.items.some((a) => a.id === id);
      this.items = exists
        ? this.items.map((a) => (a.id === id ? copy(after) : a))
        : [...this.items, copy(after)];
    } else {
      this.items = this.items.filter((a) => a.id !== id);
      if (this.selected === id) this.selected = undefined;
    }
    this.changed();
    this.save(id, change.after);
  }

  private save(id: string, after: Annotation | undefined): void {
    if (after && !this.readOnly) this.setSaving(id, "saving");
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.then(() => this.send(id, after));
    this.queues.set(id, next);
    void next.finally(() => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    });
  }

  private async send(id: string, after: Annotation | undefined): Promise<void> {
    if (!after && !this.stored.has(id)) {
      this.setSaving(id, undefined);
      return;
    }
    if (this.readOnly) {
      this.setSaving(id, after ? "not-saved" : undefined);
      return;
    }
    this.setSaving(id, after ? "saving" : undefined);
    try {
      if (after) {
        await this.api.putMeasurement(after.sopInstanceUid, id, {
          frameNumber: after.frameNumber,
          kind: after.kind,
          points: after.points.map((p) => ({ x: p.x, y: p.y })),
          ...(after.text === undefined ? {} : { text: after.text }),
        });
        this.stored.add(id);
        this.setSaving(id, undefined);
      } else {
        await this.api.deleteMeasurement(this.sopOf(id), id).catch((error: unknown) => {
          // Already gone on the server: that is what was wanted.
          if (errorText(error).status !== 404) throw error;
        });
        this.stored.delete(id);
      }
      if (this.notice !== undefined) {
        this.notice = undefined;
        this.changed();
      }
    } catch (error) {
      const { status, text } = errorText(error);
      if (status === 403) {
        this.readOnly = true;
        this.notice = `Not saved: your role may not save measurements (the server answered 403: ${text}).`;
        this.setSaving(id, after ? "not-saved" : undefined);
      } else {
        this.notice = `Not saved: ${text}`;
        this.setSaving(id, after ? "failed" : undefined);
      }
    }
  }

  /** The instance a deleted measurement was on: remembered from the last time it was seen. */
  private readonly instanceOf = new Map<string, string>();
  private sopOf(id: string): string {
    return this.instanceOf.get(id) ?? "";
  }

  private setSaving(id: string, state: SaveState | undefined): void {
    const next = Object.fromEntries(Object.entries(this.saving).filter(([key]) => key !== id));
    if (state !== undefined) next[id] = state;
    this.saving = next;
    this.changed();
  }

  private changed(): void {
    for (const a of this.items) this.instanceOf.set(a.id, a.sopInstanceUid);
    for (const listener of this.listeners) listener();
  }
}

const sessions = new Map<string, { session: MeasurementSession; users: number }>();

/**
 * The study's shared session (created and loaded on first use); `release` when a viewer closes it. The
 * last release forgets it, so reopening the study loads what the server has.
 */
export function openMeasurementSession(
  api: MeasurementApi,
  studyInstanceUid: string,
): { session: MeasurementSession; release: () => void } {
  let entry = sessions.get(studyInstanceUid);
  if (!entry) {
    entry = { session: new MeasurementSession(api, studyInstanceUid), users: 0 };
    sessions.set(studyInstanceUid, entry);
    void entry.session.load();
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    session: held.session,
    release: () => {
      if (released) return;
      released = true;
      held.users--;
      if (held.users === 0 && sessions.get(studyInstanceUid) === held) sessions.delete(studyInstanceUid);
    },
  };
}
