import { describe, expect, test } from 'vitest';
import type { AppInfo, ModelInfo } from '../../../common/contract';
import { FallbackNotices, resolveDocumentModel, withDocumentModel } from '../../../renderer/document-model';

function model(id: string, active = false): ModelInfo {
  return {
    id,
    name: `Model ${id}`,
    origin: { kind: 'finetuned', date: '2026-01-01' },
    architecture: { layers: 6, width: 384, heads: 6, context: 512, vocab: 50257, parameters: 1e7 },
    sizeBytes: 1,
    validationPerplexity: null,
    active,
    path: `/m/${id}`,
  };
}
const models = [model('base', true), model('novel')];

describe('resolveDocumentModel', () => {
  test.for([
    ['unbound (null)', null, models, { modelId: undefined, model: null, fellBack: false }],
    ['unbound (absent: settings stored before bindings existed)', undefined, models, { modelId: undefined, model: null, fellBack: false }],
    ['bound and installed', 'novel', models, { modelId: 'novel', model: models[1], fellBack: false }],
    ['bound to the active model: still sent, so the binding survives a later switch', 'base', models, { modelId: 'base', model: models[0], fellBack: false }],
    ['bound to a deleted model: the active model, and say so', 'gone', models, { modelId: undefined, model: null, fellBack: true }],
    ['list not loaded yet: send the binding as it is', 'novel', null, { modelId: 'novel', model: null, fellBack: false }],
  ] as const)('%s', ([, bound, list, expected]) => {
    expect(resolveDocumentModel(bound, list)).toEqual(expected);
  });
});

describe('withDocumentModel (the status bar)', () => {
  const info: AppInfo = {
    version: '1', platform: 'linux', mode: 'browser', backend: { name: 'wasm', device: 'cpu', skipped: [] },
    model: { name: 'base', path: '/m/base', nLayer: 2, nEmbd: 64, nPositions: 128 },
  };
  test('a bound model replaces the active one, with its own shape', () => {
    expect(withDocumentModel(info, models[1])?.model).toEqual({ name: 'Model novel', path: '/m/novel', nLayer: 6, nEmbd: 384, nPositions: 512 });
    expect(withDocumentModel(info, models[1])?.backend).toBe(info.backend);
  });
  test.for([
    ['unbound', null],
    ['bound to the active model', models[0]],
  ] as const)('%s: the engine info as it is', ([, m]) => {
    expect(withDocumentModel(info, m)).toBe(info);
  });
  test('no info yet stays null', () => {
    expect(withDocumentModel(null, models[1])).toBeNull();
  });
});

test('a fallback is told once per document and binding', () => {
  const notices = new FallbackNotices();
  expect(notices.shouldTell('doc-a', 'gone')).toBe(true);
  expect(notices.shouldTell('doc-a', 'gone')).toBe(false);
  expect(notices.shouldTell('doc-b', 'gone')).toBe(true);
  expect(notices.shouldTell('doc-a', 'other')).toBe(true);
});
