import { describe, expect, test } from 'vitest';
import type { GenerateEvent } from '../../../common/contract';
import { applyEvent, applyResult, describeEngineError, IDLE, type Continuation } from '../../../renderer/continuation';

const tok = (text: string, alternative = 0): GenerateEvent => ({ type: 'token', alternative, text, tokenId: 1 });
const done = (text: string, reason = 'length'): Extract<GenerateEvent, { type: 'done' }> => ({
  type: 'done', texts: [text], reason, truncatedPromptTokens: 0, promptTokens: 3, cachedTokens: 0, elapsedMs: 120,
});
const streaming = (text = ''): Continuation => ({ status: 'streaming', text });

describe('applyEvent', () => {
  test('tokens of alternative 0 accumulate; other alternatives are ignored', () => {
    let s = streaming();
    for (const e of [tok(' once'), tok(' x', 1), tok(' upon')]) s = applyEvent(s, e);
    expect(s).toEqual(streaming(' once upon'));
  });

  test('done takes the final text, which may hold bytes the stream held back', () => {
    expect(applyEvent(streaming(' caf'), done(' café'), 2)).toMatchObject({ status: 'done', text: ' café', tokens: 2, reason: 'length' });
  });

  test.for([IDLE, { status: 'done', text: 'a', reason: 'eos', elapsedMs: 1, tokens: 1 }, { status: 'error', text: '', message: 'm' }] as Continuation[])(
    'late events do not change %j',
    (s) => {
      expect(applyEvent(s, tok('late'))).toBe(s);
    },
  );
});

describe('applyResult', () => {
  test('an error keeps the partial text and explains itself', () => {
    const s = applyResult(streaming('part'), { ok: false, error: { code: 'no_model', message: 'no model at /x' } }, 1);
    expect(s).toMatchObject({ status: 'error', text: 'part' });
    expect(s.status === 'error' && s.message).toMatch(/No model is loaded.*no model at \/x/);
  });

  test.for([
    ['', 'idle'],
    ['partial', 'done'],
  ] as const)('an abort with %j so far ends %s', ([text, status]) => {
    expect(applyResult(streaming(text), { ok: false, error: { code: 'aborted', message: 'cancelled' } }, 1).status).toBe(status);
  });

  test('success settles with the done event', () => {
    expect(applyResult(streaming(' a'), { ok: true, value: done(' ab', 'eos') }, 2)).toMatchObject({ status: 'done', text: ' ab', reason: 'eos' });
  });
});

test.for([
  ['engine_crashed', /stopped unexpectedly/],
  ['io_error', /Lost contact/],
  ['invalid_payload', /^bad$/],
] as const)('describeEngineError %s', ([code, re]) => {
  expect(describeEngineError({ code, message: 'bad' })).toMatch(re);
});

test('a final value that is not a generation result keeps the streamed text', () => {
  const r = applyResult(streaming(' kept'), { ok: true, value: { type: 'done' } as never }, 1);
  expect(r).toMatchObject({ status: 'done', text: ' kept', reason: 'unknown' });
});
