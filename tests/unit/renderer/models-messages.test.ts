import { expect, test } from 'vitest';
import { placeholders, translator } from '../../../renderer/i18n';
import { modelsMessages } from '../../../renderer/i18n/messages/models';
import { describeOrigin, formatParams } from '../../../renderer/panels/ModelCard';

test.for(Object.keys(modelsMessages.en) as (keyof typeof modelsMessages.en)[])('%s: both languages use the same placeholders', (key) => {
  expect(placeholders(modelsMessages['zh-CN'][key])).toEqual(placeholders(modelsMessages.en[key]));
  expect(modelsMessages['zh-CN'][key].trim()).not.toBe('');
});

test.for([
  ['en', 124_439_808, '124 M parameters'],
  ['en', 1_557_611_200, '1.6 B parameters'],
  ['en', 2_500, '3 K parameters'],
  ['zh-CN', 124_439_808, '124M 参数'],
] as const)('formatParams in %s: %i', ([locale, n, text]) => {
  expect(formatParams(n, translator(modelsMessages, locale))).toBe(text);
});

test('describeOrigin names the kind, the base and the steps', () => {
  const t = translator(modelsMessages, 'en');
  expect(describeOrigin({ kind: 'finetuned', from: 'gpt2', steps: 300, date: '' }, t)).toBe('Fine-tuned · from gpt2 · 300 steps');
  expect(describeOrigin({ kind: 'builtin', date: '' }, t)).toBe('Built in');
  expect(describeOrigin({ kind: 'imported', from: '/x', date: '' }, translator(modelsMessages, 'zh-CN'))).toBe('已导入 · 基于 /x');
});
