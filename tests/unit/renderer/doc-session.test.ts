import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { DocumentMeta, InkwellApi, Result } from '../../../common/contract';
import { DocumentSession, saveStateLabel, type SaveState } from '../../../renderer/doc-session';

interface Sent {
  channel: string;
  request: { id?: string; content: string; title?: string };
  resolve: (r: Result<unknown>) => void;
}

/** An api whose answers the test releases by hand, to play out races. */
function fakeApi() {
  const sent: Sent[] = [];
  const api = {
    call: ((channel: string, request: Sent['request']) =>
      new Promise<Result<unknown>>((resolve) => sent.push({ channel, request, resolve }))) as unknown as InkwellApi['call'],
  };
  return { api, sent };
}

const meta = (content: string): DocumentMeta => ({ id: 'doc', title: 't', updatedAt: 1, words: content.split(' ').length });

function start(opts: { content?: string; dirty?: boolean } = {}) {
  const { api, sent } = fakeApi();
  const states: SaveState[] = [];
  const saved: DocumentMeta[] = [];
  const session = new DocumentSession({
    api, id: 'doc', content: opts.content ?? '', dirty: opts.dirty, autosaveDelayMs: 2000, journalDelayMs: 300,
    onState: (s) => states.push(s), onSaved: (m) => saved.push(m),
  });
  const label = () => saveStateLabel(session.getState());
  return { session, sent, states, saved, label };
}

/** Lets promise callbacks run after a fake answer. */
const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); vi.restoreAllMocks(); });

describe('DocumentSession', () => {
  test('starts Saved; an edit makes it Unsaved; a selection-only change does nothing', () => {
    const { session, label, sent } = start({ content: 'a' });
    expect(label()).toBe('Saved');
    session.edit('a');
    expect(label()).toBe('Saved');
    session.edit('ab');
    expect(label()).toBe('Unsaved');
    expect(sent).toEqual([]);
  });

  test('journals 300 ms after the last change, with the latest content', async () => {
    const { session, sent } = start();
    session.edit('a');
    vi.advanceTimersByTime(200);
    session.edit('ab');
    vi.advanceTimersByTime(299);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.map((s) => [s.channel, s.request.content])).toEqual([['documents.journal', 'ab']]);
  });

  test('autosaves after the idle delay with a title from the first heading, then shows Saved', async () => {
    const { session, sent, label, saved } = start();
    session.edit('# My title\n\nbody');
    await vi.advanceTimersByTimeAsync(300);
    sent[0].resolve({ ok: true, value: { ok: true } });
    await vi.advanceTimersByTimeAsync(1700);
    expect(sent[1]).toMatchObject({ channel: 'documents.save', request: { id: 'doc', title: 'My title', content: '# My title\n\nbody' } });
    expect(label()).toBe('Saving…');
    sent[1].resolve({ ok: true, value: meta('x') });
    await flush();
    expect(label()).toBe('Saved');
    expect(saved).toHaveLength(1);
  });

  test('typing again restarts the autosave delay', async () => {
    const { session, sent } = start();
    session.edit('a');
    await vi.advanceTimersByTimeAsync(1500);
    sent[0]?.resolve({ ok: true, value: { ok: true } });
    session.edit('ab');
    await vi.advanceTimersByTimeAsync(1999);
    expect(sent.filter((s) => s.channel === 'documents.save')).toEqual([]);
  });

  test('save() (Ctrl+S) saves at once and skips the journal', async () => {
    const { session, sent, label } = start();
    session.edit('x');
    const p = session.save();
    await flush();
    expect(sent.map((s) => s.channel)).toEqual(['documents.save']);
    sent[0].resolve({ ok: true, value: meta('x') });
    await expect(p).resolves.toBe(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(1);
    expect(label()).toBe('Saved');
  });

  test('a clean document does not save', async () => {
    const { session, sent } = start({ content: 'same' });
    await expect(session.save()).resolves.toBe(true);
    expect(sent).toEqual([]);
  });

  test('words typed during a save stay Unsaved and get their own save', async () => {
    const { session, sent, label } = start();
    session.edit('one');
    const p = session.save();
    await flush();
    session.edit('one two');
    expect(label()).toBe('Saving…');
    sent[0].resolve({ ok: true, value: meta('one') });
    await expect(p).resolves.toBe(false);
    expect(label()).toBe('Unsaved');
    await vi.advanceTimersByTimeAsync(300);
    expect(sent.at(-1)).toMatchObject({ channel: 'documents.journal', request: { content: 'one two' } });
    sent.at(-1)?.resolve({ ok: true, value: { ok: true } });
    await vi.advanceTimersByTimeAsync(1700);
    const saves = sent.filter((s) => s.channel === 'documents.save');
    expect(saves.map((s) => s.request.content)).toEqual(['one', 'one two']);
  });

  test('a failed save says why, stays dirty and journals so a crash loses nothing', async () => {
    const { session, sent, label } = start();
    session.edit('text');
    const p = session.save();
    await flush();
    sent[0].resolve({ ok: false, error: { code: 'io_error', message: 'ENOSPC: disk full' } });
    await expect(p).resolves.toBe(false);
    expect(label()).toBe('Save failed: ENOSPC: disk full');
    expect(session.isDirty()).toBe(true);
    await vi.advanceTimersByTimeAsync(300);
    expect(sent.at(-1)).toMatchObject({ channel: 'documents.journal', request: { content: 'text' } });
  });

  test('requests run one at a time, in order: a journal never overtakes a save', async () => {
    const { session, sent } = start();
    session.edit('a');
    await vi.advanceTimersByTimeAsync(300); // journal 'a' in flight
    const p = session.save(); // queued behind it
    await flush();
    expect(sent.map((s) => s.channel)).toEqual(['documents.journal']);
    sent[0].resolve({ ok: true, value: { ok: true } });
    await flush();
    expect(sent.map((s) => s.channel)).toEqual(['documents.journal', 'documents.save']);
    sent[1].resolve({ ok: true, value: meta('a') });
    await expect(p).resolves.toBe(true);
  });

  test('a recovered document starts Unsaved and autosaves without an edit', async () => {
    const { sent, label } = start({ content: 'from journal', dirty: true });
    expect(label()).toBe('Unsaved');
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent[0]).toMatchObject({ channel: 'documents.save', request: { content: 'from journal' } });
  });

  test('undoing back to the saved text returns to Saved and cancels the autosave', async () => {
    const { session, sent, label } = start({ content: 'base' });
    session.edit('base!');
    session.edit('base');
    expect(label()).toBe('Saved');
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([]);
  });

  test('dispose stops the timers', async () => {
    const { session, sent } = start();
    session.edit('a');
    session.dispose();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([]);
  });

  test('a thrown transport error becomes a failed state, not an unhandled rejection', async () => {
    const api = { call: (() => Promise.reject(new Error('socket gone'))) as unknown as InkwellApi['call'] };
    const session = new DocumentSession({ api, id: 'doc', content: '', autosaveDelayMs: 2000 });
    session.edit('x');
    await expect(session.save()).resolves.toBe(false);
    expect(saveStateLabel(session.getState())).toBe('Save failed: socket gone');
  });
});

describe('DocumentSession and provenance', () => {
  const spans = [{ start: 2, end: 5, text: 'cde' }];

  test('a change of marks alone is unsaved; journal and save carry the spans; Saved once stored', async () => {
    const { session, sent, label } = start({ content: 'abcdef' });
    session.edit('abcdef', spans);
    expect(label()).toBe('Unsaved');
    await vi.advanceTimersByTimeAsync(300);
    expect(sent[0]).toMatchObject({ channel: 'documents.journal', request: { content: 'abcdef', provenance: spans } });
    sent[0].resolve({ ok: true, value: { ok: true } });
    await vi.advanceTimersByTimeAsync(1700);
    expect(sent[1]).toMatchObject({ channel: 'documents.save', request: { content: 'abcdef', provenance: spans } });
    sent[1].resolve({ ok: true, value: meta('abcdef') });
    await flush();
    expect(label()).toBe('Saved');
    session.edit('abcdef', [{ start: 2, end: 5, text: 'cde' }]); // the same marks, a new array
    expect(label()).toBe('Saved');
  });

  test('opened with marks, the same marks are not a change; removing them is', () => {
    const { api } = fakeApi();
    const session = new DocumentSession({ api, id: 'doc', content: 'abcdef', provenance: spans, autosaveDelayMs: 2000 });
    session.edit('abcdef', spans);
    expect(session.isDirty()).toBe(false);
    session.edit('abcdef', []);
    expect(session.isDirty()).toBe(true);
    session.dispose();
  });
});
