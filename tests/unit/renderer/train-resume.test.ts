/** The Train screen's "Resume '<name>' from step N of M" banner (train-state.ts resumeBanner / resumingRun). */
import { describe, expect, test } from 'vitest';
import type { ResumableRun } from '../../../common/contract';
import { translator } from '../../../renderer/i18n';
import { trainMessages } from '../../../renderer/i18n/messages/train';
import { IDLE, reduceRun, resumeBanner, resumingRun, type RunState } from '../../../renderer/train-state';

const run = (runId: string, updatedAt: string, reason: ResumableRun['reason'] = 'crashed'): ResumableRun => ({ runId, name: `Voice ${runId}`, step: 4, totalSteps: 8, updatedAt, reason });
const OLD = run('run-old', '2026-01-01T00:00:00.000Z', 'cancelled');
const NEW = run('run-new', '2026-01-02T00:00:00.000Z', 'interrupted');

describe('resumeBanner', () => {
  test.each<[RunState['phase'], boolean]>([
    ['idle', true], ['failed', true], ['preparing', false], ['training', false], ['paused', false], ['done', false],
  ])('phase %s: offered %s', (phase, shown) => {
    expect(resumeBanner([OLD], phase, null) !== null).toBe(shown);
  });

  test('offers the newest run, with its reason; none when there are none', () => {
    expect(resumeBanner([], 'idle', null)).toBeNull();
    expect(resumeBanner([OLD, NEW], 'idle', null)).toEqual({ offer: NEW, reasonKey: 'resumeInterrupted', confirming: false });
    expect(resumeBanner([OLD], 'idle', null)?.reasonKey).toBe('resumeCancelled');
    expect(resumeBanner([run('run-c', '2026-01-01T00:00:00.000Z')], 'idle', null)?.reasonKey).toBe('resumeCrashed');
  });

  test('Discard asks first (only for the offered run); a hidden run gives way to the next', () => {
    expect(resumeBanner([OLD, NEW], 'idle', 'run-new')?.confirming).toBe(true);
    expect(resumeBanner([OLD, NEW], 'idle', 'run-old')?.confirming).toBe(false);
    expect(resumeBanner([OLD, NEW], 'idle', null, new Set(['run-new']))?.offer).toBe(OLD);
    expect(resumeBanner([OLD, NEW], 'idle', null, new Set(['run-new', 'run-old']))).toBeNull();
  });

  test('the banner text names the run and its step, in both languages', () => {
    const vars = { name: 'Story voice', step: 4, total: 8 };
    expect(translator(trainMessages, 'en')('resumeOffer', vars)).toBe('Resume “Story voice” from step 4 of 8');
    expect(translator(trainMessages, 'zh-CN')('resumeOffer', vars)).toBe('从第 4 步（共 8 步）继续训练“Story voice”');
  });
});

describe('resumingRun', () => {
  test('starts the progress at the checkpoint; the stream then continues it', () => {
    const s = resumingRun(NEW);
    expect(s).toMatchObject({ phase: 'preparing', runId: 'run-new', step: 4, totalSteps: 8, loss: [] });
    expect(s).not.toBe(IDLE);
    const started = reduceRun(s, { type: 'started', runId: 'run-new', runDir: '/d/runs/run-new', steps: 8, preset: 'quick', baseModelId: 'builtin' });
    expect(started).toMatchObject({ phase: 'training', step: 4, totalSteps: 8 });
  });
});
