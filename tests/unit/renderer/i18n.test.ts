import { describe, expect, it } from 'vitest';
import { defineMessages, format, resolveLocale, translator } from '../../../renderer/i18n';

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
