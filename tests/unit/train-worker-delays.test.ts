import { describe, expect, test } from 'vitest';
import { testDelays } from '../../main/engine/train-worker';

describe('training test delays (end-to-end specs only)', () => {
  test.each([
    ['hooks on, both delays', { INKWELL_TEST_HOOKS: '1', INKWELL_TRAIN_TEST_DELAYS: '{"stepMs":150,"readingMs":1500}' }, { stepMs: 150, readingMs: 1500 }],
    ['hooks off: ignored', { INKWELL_TRAIN_TEST_DELAYS: '{"stepMs":150}' }, { stepMs: 0, readingMs: 0 }],
    ['hooks on, nothing asked', { INKWELL_TEST_HOOKS: '1' }, { stepMs: 0, readingMs: 0 }],
    ['negative, NaN-like and huge values are bounded', { INKWELL_TEST_HOOKS: '1', INKWELL_TRAIN_TEST_DELAYS: '{"stepMs":-5,"readingMs":1e9}' }, { stepMs: 0, readingMs: 10_000 }],
    ['a string is no delay', { INKWELL_TEST_HOOKS: '1', INKWELL_TRAIN_TEST_DELAYS: '{"stepMs":"100"}' }, { stepMs: 0, readingMs: 0 }],
  ])('%s', (_why, env, want) => {
    expect(testDelays(env)).toEqual(want);
  });
});
