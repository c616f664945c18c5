/**
 * Large input (issue 7 item 7): a 5 MB paste and a 200,000-word document. The
 * editor must stay responsive, save what it holds, and suggest at the end of
 * the text. Input latency is measured per keystroke, from the keydown to the
 * first animation frame after the DOM shows the character, and reported in
 * the console and the test's annotations; the bound is generous (this is a
 * loaded 2-core machine) so it flags real regressions, not noise.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import type { InkwellPage } from './pages';
import { rpc } from './rpc';

/** Generous: a keystroke that waits on whole-document work (Markdown, counts) takes hundreds of ms here. */
const P95_LATENCY_BOUND_MS = 150;
const TYPED = ' and then the tide came in at last';
const ENDING = 'The end';

// Playwright's trace snapshots the whole DOM at every action: on a 5 MB document that walk, not the
// editor, took minutes (27 s of 30 s in the snapshotter's visitNode for a 0.66 MB paste).
test.use({ trace: 'off' });

/** Deterministic prose: lowercase words only, so the app's word count is exactly the number generated. */
function prose(words: number, seed = 7): { text: string; words: number } {
  const vocab = ('the sea light house keeper climbed stairs every night while gulls turned above grey water ' +
    'she wrote letters nobody read and kept lamp burning until morning came slow cold quiet over harbour').split(' ');
  let s = seed;
  const next = (n: number): number => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    return (s >>> 8) % n;
  };
  const paragraphs: string[] = [];
  let made = 0;
  while (made < words) {
    const n = Math.min(words - made, 100);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(vocab[next(vocab.length)] + (i % 12 === 11 || i === n - 1 ? '.' : ''));
    made += n;
    paragraphs.push(out.join(' '));
  }
  return { text: paragraphs.join('\n\n'), words: made };
}

/** Pastes through a real ClipboardEvent, as the browser does for Ctrl+V. */
async function paste(inkwell: InkwellPage, text: string): Promise<void> {
  await inkwell.editor.click();
  await inkwell.editor.evaluate((el, value) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', value);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, text);
}

interface Latency {
  p50: number;
  p95: number;
  max: number;
  samples: number[];
  /** Event Timing API durations of the keydowns (Chromium rounds them to 8 ms), when it exposes them. */
  eventTiming: number[];
}

/** "N words" as the status bar shows it, with or without the locale's thousands separators. */
const wordsText = (n: number): RegExp => new RegExp(`\\b${String(n).replace(/\B(?=(\d{3})+$)/g, '[,.\\s\u00a0\u202f]?')} words`);

/**
 * The editor's last block. A CSS locator on purpose: Playwright's getByRole
 * query never resolved on a 5 MB document (it computes roles and names across
 * the whole DOM), although the editor was there.
 */
const lastBlock = (page: Page) => page.locator('.editor-content > :last-child');

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/**
 * Types `text` with real key events, one key at a time, and measures each: the
 * keydown's timestamp to the animation frame after the editor's DOM changed.
 */
async function typeMeasuringLatency(page: Page, text: string): Promise<Latency> {
  await page.evaluate(() => {
    const w = window as unknown as { __lat: { t0: number; pending: Promise<number> | null; timing: number[] } };
    const editor = document.querySelector('.editor-content');
    if (editor === null) throw new Error('large-input: no .editor-content');
    w.__lat = { t0: 0, pending: null, timing: [] };
    document.addEventListener(
      'keydown',
      (e) => {
        w.__lat.t0 = e.timeStamp;
        w.__lat.pending = new Promise<number>((resolve) => {
          const obs = new MutationObserver(() => {
            obs.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - w.__lat.t0));
          });
          obs.observe(editor, { subtree: true, childList: true, characterData: true });
        });
      },
      { capture: true },
    );
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (entry.name === 'keydown') w.__lat.timing.push(entry.duration);
      }).observe({ type: 'event', durationThreshold: 16, buffered: false } as PerformanceObserverInit);
    } catch {
      // No Event Timing API: the rAF measure alone.
    }
  });
  const samples: number[] = [];
  for (const ch of text) {
    await page.keyboard.press(ch === ' ' ? 'Space' : ch);
    samples.push(
      await page.evaluate(async () => {
        const w = window as unknown as { __lat: { pending: Promise<number> | null } };
        const p = w.__lat.pending;
        w.__lat.pending = null;
        if (p === null) throw new Error('large-input: the keydown was not seen');
        // A key that changes nothing (focus lost) must fail the test, not hang it.
        return Promise.race([p, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('large-input: no DOM change 10 s after a keydown')), 10_000))]);
      }),
    );
  }
  const eventTiming = await page.evaluate(() => (window as unknown as { __lat: { timing: number[] } }).__lat.timing);
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted[sorted.length - 1], samples, eventTiming };
}

test('a 5 MB plain-text paste lands, saves to disk and survives a reload', async ({ inkwell, page, server }) => {
  test.setTimeout(600_000); // tens of seconds of Lexical work on a busy two-core machine
  const { text } = prose(900_000, 11);
  expect(text.length).toBeGreaterThan(5_000_000);
  const lastWords = text.slice(-40);
  const started = Date.now();
  await paste(inkwell, text);
  await expect(lastBlock(page)).toContainText(lastWords.trim(), { timeout: 300_000 });
  const pastedMs = Date.now() - started;
  await inkwell.press('Mod+s');
  await expect(inkwell.saveState).toHaveText('Saved', { timeout: 120_000 });
  const savedMs = Date.now() - started;
  const note = `5 MB paste (${text.length} chars) visible in ${pastedMs} ms, saved in ${savedMs} ms`;
  test.info().annotations.push({ type: 'timing', description: note });
  console.log(`[e2e] ${note}`);

  // The file on disk holds all of it (Markdown of plain paragraphs is the text itself).
  const list = await rpc(server.current.origin, server.current.token, 'documents.list', {});
  if (!list.ok) throw new Error(list.error.message);
  expect(list.value).toHaveLength(1);
  const onDisk = await readFile(path.join(server.dataDir, 'Documents', `${list.value[0].id}.md`), 'utf8');
  expect(onDisk.trim()).toBe(text);

  await page.reload();
  // Polled in the page: Playwright's locator queries did not resolve on this DOM after a reload (see lastBlock).
  await page.waitForFunction(
    (want) => document.querySelector('.editor-content')?.lastElementChild?.textContent?.includes(want) === true,
    lastWords.trim(),
    { timeout: 180_000, polling: 1_000 },
  );
  await expect(page.getByTestId('word-count')).toHaveText(wordsText(900_000), { timeout: 60_000 });
});

test('a 200,000-word document: typing stays responsive, suggestions work at its end, counts and saves stay right', async ({ inkwell, page, server }) => {
  test.setTimeout(600_000);
  const { text, words: proseWords } = prose(200_000);
  const words = proseWords + 3; // the heading and the ending's two words
  const { origin, token } = server.current;
  // The heading gives the document its title (and one more word).
  const saved = await rpc(origin, token, 'documents.save', { content: `# Lighthouse\n\n${text}\n\n${ENDING}` });
  if (!saved.ok) throw new Error(saved.error.message);
  const id = saved.value.id;
  await page.reload();
  await inkwell.openDocument('Lighthouse');
  await expect(page.getByTestId('word-count')).toHaveText(wordsText(words), { timeout: 60_000 });
  // Chromium's Ctrl+End puts the caret at (last block, offset 0), its start; a click on the one-line last
  // block and End put it at the end, where a writer continues.
  await lastBlock(page).scrollIntoViewIfNeeded();
  await lastBlock(page).click();
  await inkwell.press('End');
  await expect.poll(() => page.evaluate(() => getSelection()?.anchorOffset)).toBe(ENDING.length);
  await expect(lastBlock(page)).toHaveText(ENDING);

  // Suggestion requests stay on while typing: they are part of the real per-keystroke load.
  const lat = await typeMeasuringLatency(page, TYPED);
  const eventTiming = lat.eventTiming.length ? ` (Event Timing keydown durations ≥16 ms: ${lat.eventTiming.length}, max ${Math.max(...lat.eventTiming)} ms)` : '';
  const note = `200k-word document, ${lat.samples.length} keystrokes: input latency p50 ${lat.p50.toFixed(1)} ms, p95 ${lat.p95.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms${eventTiming}`;
  test.info().annotations.push({ type: 'latency', description: note });
  console.log(`[e2e] ${note}`);
  await expect(lastBlock(page)).toHaveText(ENDING + TYPED);
  expect(lat.p95).toBeLessThan(P95_LATENCY_BOUND_MS);

  // Suggestions still work on the last part of a long document, and Tab takes one.
  await expect(inkwell.ghostState).toHaveAttribute('data-ghost-state', 'shown', { timeout: 60_000 });
  const ghost = (await inkwell.ghost.getAttribute('data-ghost')) ?? '';
  expect(ghost.trim().length).toBeGreaterThan(0);
  await page.keyboard.press('Tab');
  await expect(inkwell.ghost).toHaveCount(0);
  await expect(lastBlock(page)).toHaveText(ENDING + TYPED + ghost);

  // The count follows the edit (the typed words plus whatever the suggestion added) and the save holds the text.
  const countOf = (s: string): number => s.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu)?.length ?? 0;
  const blockText = (await lastBlock(page).textContent()) ?? '';
  const expectedWords = words - countOf(ENDING) + countOf(blockText);
  await expect(page.getByTestId('word-count')).toHaveText(wordsText(expectedWords), { timeout: 30_000 });
  await inkwell.press('Mod+s');
  await expect(inkwell.saveState).toHaveText('Saved', { timeout: 60_000 });
  const opened = await rpc(origin, token, 'documents.open', { id });
  if (!opened.ok) throw new Error(opened.error.message);
  expect(opened.value.content.slice(-2 * blockText.length)).toContain(TYPED.trim());
  expect(opened.value.content.startsWith(`# Lighthouse\n\n${text.slice(0, 200)}`)).toBe(true);
});
