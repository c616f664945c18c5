import { afterEach, describe, expect, it } from 'vitest';
import type { AppInfo } from '../../../common/contract';
import { describeEngineError, describeReason } from '../../../renderer/continuation';
import { KNOB_HINTS, PRESETS } from '../../../renderer/generation';
import { defineMessages, format, getActiveLocale, localized, placeholders, resolveLocale, setActiveLocale, translator } from '../../../renderer/i18n';
import { statusMessages } from '../../../renderer/i18n/messages/status';
import { describeEngine } from '../../../renderer/panels/StatusBar';

describe('i18n', () => {
  const set = defineMessages({
    en: { hello: 'Hello, {name}', count: '{n} words' },
    'zh-CN': { hello: '你好，{name}', count: '{n} 字' },
  });

  it('translates with placeholders in either locale', () => {
    expect(translator(set, 'en')('hello', { name: 'Ada' })).toBe('Hello, Ada');
    expect(translator(set, 'zh-CN')('count', { n: 3 })).toBe('3 字');
  });

  it('leaves an unknown placeholder visible', () => {
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });

  it("resolves 'system' from the browser's languages", () => {
    expect(resolveLocale('system', ['zh-TW', 'en'])).toBe('zh-CN');
    expect(resolveLocale('system', ['fr-FR', 'en-GB'])).toBe('en');
    expect(resolveLocale('system', ['fr-FR'])).toBe('en');
    expect(resolveLocale('zh-CN', ['en-US'])).toBe('zh-CN');
  });
});

describe('plurals and numbers', () => {
  const set = defineMessages({
    en: { words_one: '{n} word', words_other: '{n} words', size: '{n} tokens of {max}' },
    'zh-CN': { words_one: '{n} 字', words_other: '{n} 字', size: '{n} / {max} 词元' },
  });

  it.for([
    ['en', 0, '0 words'],
    ['en', 1, '1 word'],
    ['en', 2, '2 words'],
    ['en', 12345, '12,345 words'],
    ['zh-CN', 1, '1 字'],
    ['zh-CN', 12345, '12,345 字'],
  ] as const)('%s: %i → %s', ([locale, n, want]) => {
    expect(translator(set, locale).plural('words', n)).toBe(want);
  });

  it('writes every number in vars the locale way, and strings as they are', () => {
    expect(translator(set, 'en')('size', { n: 1024, max: '1024' })).toBe('1,024 tokens of 1024');
    expect(translator(set, 'en').number(1.25, { maximumFractionDigits: 1 })).toBe('1.3');
  });

  it('lists the placeholders of a template, sorted and unique', () => {
    expect(placeholders('{b} {a} {b} and {c_d}')).toEqual(['a', 'b', 'c_d']);
    expect(placeholders('none')).toEqual([]);
  });
});

describe('strings made outside React follow the active locale', () => {
  afterEach(() => setActiveLocale('en'));

  it('localized() translates in whichever locale is active when called', () => {
    const set = defineMessages({ en: { hi: 'Hi' }, 'zh-CN': { hi: '你好' } });
    const text = localized(set);
    expect(text()('hi')).toBe('Hi');
    setActiveLocale('zh-CN');
    expect(getActiveLocale()).toBe('zh-CN');
    expect(text()('hi')).toBe('你好');
  });

  it.for([
    ['en', 'Precise', 'reached the length limit', 'No model loaded', 'Lost contact with Inkwell: gone'],
    ['zh-CN', '严谨', '已达到长度上限', '未加载模型', '与 Inkwell 失去连接：gone'],
  ] as const)('%s: presets, reasons, engine status and errors', ([locale, preset, reason, model, io]) => {
    setActiveLocale(locale);
    expect(PRESETS.precise.label).toBe(preset);
    expect(KNOB_HINTS.temperature).not.toBe('');
    expect(describeReason('length')).toBe(reason);
    expect(describeEngine({ backend: null, model: null } as unknown as AppInfo).model).toBe(model);
    expect(describeEngineError({ code: 'io_error', message: 'gone' })).toBe(io);
    // The engine's own message for codes without a sentence of ours is shown as it came.
    expect(describeEngineError({ code: 'internal', message: 'boom' })).toBe('boom');
  });

  it('names a loaded model with its sizes in the locale', () => {
    const info = { backend: { name: 'wasm', device: 'cpu' }, model: { name: 'tiny', nLayer: 2, nEmbd: 64, nPositions: 1024 } } as unknown as AppInfo;
    expect(describeEngine(info, translator(statusMessages, 'en'))).toEqual({ backend: 'wasm · cpu', model: 'tiny (2 layers, 64 wide, 1,024 tokens)' });
    expect(describeEngine(info, translator(statusMessages, 'zh-CN')).model).toBe('tiny（2 层，宽 64，上下文 1,024 词元）');
  });
});
