/**
 * One open document's life between the editor and the disk: the save state
 * the writer sees, autosave after a pause, the unsaved-changes journal (so a
 * crash loses at most ~300 ms of typing) and Ctrl/Cmd+S. Pure TypeScript with
 * an injected api, so it is unit-tested with fake timers and no DOM.
 *
 * Invariant: journal and save requests for a document run one at a time, in
 * the order they were made. Otherwise a journal write that overtakes the save
 * that clears it would leave a stale journal and a false "recovered" notice.
 */
import type { DocumentMeta, InkwellApi, ProvenanceSpan } from '../common/contract';
import { titleFromMarkdown } from './doc-text';

export type SaveState =
  | { kind: 'saved' }
  | { kind: 'saving' }
  | { kind: 'unsaved' }
  | { kind: 'failed'; message: string };

export const JOURNAL_DELAY_MS = 300;

export function saveStateLabel(s: SaveState): string {
  switch (s.kind) {
    case 'saved':
      return 'Saved';
    case 'saving':
      return 'Saving…';
    case 'unsaved':
      return 'Unsaved';
    case 'failed':
      return `Save failed: ${s.message}`;
  }
}

export interface DocumentSessionOptions {
  api: Pick<InkwellApi, 'call'>;
  id: string;
  /** The editor's content when the session starts. */
  content: string;
  /** The machine-written spans of `content` (common/provenance.ts); absent: none. */
  provenance?: readonly ProvenanceSpan[];
  /** True when `content` is not what is on disk (recovered from the journal). */
  dirty?: boolean;
  autosaveDelayMs: number;
  journalDelayMs?: number;
  onState?: (s: SaveState) => void;
  onSaved?: (meta: DocumentMeta) => void;
}

export class DocumentSession {
  readonly id: string;
  private content: string;
  private provenance: readonly ProvenanceSpan[];
  /** What the disk holds (content + spans key), as far as this session knows; null: unknown, so always dirty. */
  private savedContent: string | null;
  private savedProvenanceKey: string;
  private state: SaveState;
  private autosaveTimer: ReturnType<typeof setTimeout> | null = null;
  private journalTimer: ReturnType<typeof setTimeout> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private inFlightSaves = 0;
  private disposed = false;
  private autosaveDelayMs: number;
  private readonly journalDelayMs: number;

  constructor(private readonly opts: DocumentSessionOptions) {
    this.id = opts.id;
    this.content = opts.content;
    this.provenance = opts.provenance ?? [];
    this.savedContent = opts.dirty === true ? null : opts.content;
    this.savedProvenanceKey = spansKey(this.provenance);
    this.autosaveDelayMs = opts.autosaveDelayMs;
    this.journalDelayMs = opts.journalDelayMs ?? JOURNAL_DELAY_MS;
    this.state = opts.dirty === true ? { kind: 'unsaved' } : { kind: 'saved' };
    if (opts.dirty === true) this.armAutosave();
  }

  getState(): SaveState {
    return this.state;
  }

  getContent(): string {
    return this.content;
  }

  getProvenance(): readonly ProvenanceSpan[] {
    return this.provenance;
  }

  /** Unsaved when the text or its machine-written marks differ from what was last saved. */
  isDirty(): boolean {
    return this.content !== this.savedContent || spansKey(this.provenance) !== this.savedProvenanceKey;
  }

  setAutosaveDelay(ms: number): void {
    this.autosaveDelayMs = ms;
  }

  /** Called on every editor change with the document's Markdown and its machine-written spans. */
  edit(content: string, provenance: readonly ProvenanceSpan[] = []): void {
    if (this.disposed) return;
    // Selection-only updates change nothing.
    if (content === this.content && spansKey(provenance) === spansKey(this.provenance)) return;
    this.content = content;
    this.provenance = provenance;
    if (!this.isDirty()) {
      this.clearTimers();
      if (this.inFlightSaves === 0) this.setState({ kind: 'saved' });
      return;
    }
    if (this.inFlightSaves === 0) this.setState({ kind: 'unsaved' });
    this.armJournal();
    this.armAutosave();
  }

  /** Saves now (Ctrl/Cmd+S, switching documents). Resolves true when the disk holds the current content. */
  save(): Promise<boolean> {
    this.clearTimers();
    return this.enqueue(async () => {
      if (!this.isDirty()) return true;
      const content = this.content;
      const provenance = this.provenance;
      this.inFlightSaves++;
      this.setState({ kind: 'saving' });
      let failure: string | null = null;
      try {
        const r = await this.opts.api.call('documents.save', { id: this.id, title: titleFromMarkdown(content), content, ...provenanceField(provenance) });
        if (r.ok) {
          this.savedContent = content;
          this.savedProvenanceKey = spansKey(provenance);
          this.opts.onSaved?.(r.value);
        } else {
          failure = r.error.message;
        }
      } catch (err) {
        failure = (err as Error).message;
      } finally {
        this.inFlightSaves--;
      }
      if (failure !== null) {
        this.setState({ kind: 'failed', message: failure });
        this.armJournal(); // the save took the journal's place; make sure a crash still loses nothing
        return false;
      }
      if (this.isDirty()) {
        // Typed while the save was in flight: those words still need a save.
        this.setState({ kind: 'unsaved' });
        this.armJournal();
        this.armAutosave();
        return false;
      }
      this.setState({ kind: 'saved' });
      return true;
    });
  }

  /** Stops timers; pending requests still finish. */
  dispose(): void {
    this.disposed = true;
    this.clearTimers();
  }

  private journal(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.isDirty() || this.inFlightSaves > 0) return;
      const r = await this.opts.api.call('documents.journal', { id: this.id, content: this.content, ...provenanceField(this.provenance) }).catch(
        (err: Error) => ({ ok: false as const, error: { code: 'internal' as const, message: err.message } }),
      );
      // A failed journal is not worth alarming the writer over: the save that follows reports real trouble.
      if (!r.ok) console.warn(`documents.journal ${this.id}: ${r.error.message}`);
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task, task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private armJournal(): void {
    if (this.disposed) return;
    if (this.journalTimer !== null) clearTimeout(this.journalTimer);
    // A journal write sends the whole document (JSON-encoded on this thread): on a 1 MB document that
    // is tens of ms, so large documents wait for a longer pause (1 ms per 500 characters, up to 5 s more).
    const extraMs = Math.min(5_000, Math.floor(this.content.length / 500));
    this.journalTimer = setTimeout(() => {
      this.journalTimer = null;
      void this.journal();
    }, this.journalDelayMs + extraMs);
  }

  private armAutosave(): void {
    if (this.disposed) return;
    if (this.autosaveTimer !== null) clearTimeout(this.autosaveTimer);
    this.autosaveTimer = setTimeout(() => {
      this.autosaveTimer = null;
      void this.save();
    }, this.autosaveDelayMs);
  }

  private clearTimers(): void {
    if (this.autosaveTimer !== null) clearTimeout(this.autosaveTimer);
    if (this.journalTimer !== null) clearTimeout(this.journalTimer);
    this.autosaveTimer = null;
    this.journalTimer = null;
  }

  private setState(s: SaveState): void {
    this.state = s;
    this.opts.onState?.(s);
  }
}

/** A cheap identity of a span list (offsets only: the text follows from the content). */
function spansKey(spans: readonly ProvenanceSpan[]): string {
  return spans.map((s) => `${s.start}-${s.end}`).join(',');
}

/** The request field: omitted when there are no marks, so requests stay as they were for unmarked documents. */
function provenanceField(spans: readonly ProvenanceSpan[]): { provenance?: ProvenanceSpan[] } {
  return spans.length === 0 ? {} : { provenance: [...spans] };
}
