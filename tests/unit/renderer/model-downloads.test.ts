import { describe, expect, test } from 'vitest';
import type { ApiError, DownloadEvent, ModelInfo, Result } from '../../../common/contract';
import {
  describeDownloadError,
  describeProgress,
  DownloadStore,
  formatBytes,
  formatEta,
  percentOf,
  type DownloadApi,
  type Progress,
} from '../../../renderer/model-downloads';

const progress = (fields: Partial<Progress> = {}): Progress => ({
  type: 'progress',
  phase: 'downloading',
  file: 'model.safetensors',
  fileIndex: 3,
  fileCount: 4,
  bytes: 5 * 1024 * 1024,
  total: 10 * 1024 * 1024,
  speedBytesPerSec: 1024 * 1024,
  etaSeconds: 5,
  ...fields,
});

describe('figures', () => {
  test.for([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KB'],
    [13_301_760, '13 MB'],
    [6 * 1024 ** 3, '6.0 GB'],
  ] as const)('formatBytes(%d) = %s', ([n, s]) => expect(formatBytes(n)).toBe(s));

  test.for([
    [0.2, '1 s'],
    [45, '45 s'],
    [150, '3 min'],
    [3600, '1 h'],
    [4800, '1 h 20 min'],
  ] as const)('formatEta(%d) = %s', ([n, s]) => expect(formatEta(n)).toBe(s));

  test.for([
    [5, 10, 50],
    [10, 10, 100],
    [11, 10, 100],
    [1, 3, 33],
    [5, null, null],
    [5, 0, null],
  ] as const)('percentOf(%d, %s) = %s', ([b, t, p]) => expect(percentOf(b, t)).toBe(p));

  test('the progress line has bytes, speed and time left while downloading', () => {
    expect(describeProgress(progress())).toBe('Downloading model.safetensors (4 of 4) · 5.0 MB of 10 MB · 1.0 MB/s · 5 s left');
    expect(describeProgress(progress({ total: null, etaSeconds: null }))).toBe('Downloading model.safetensors (4 of 4) · 5.0 MB · 1.0 MB/s');
    expect(describeProgress(progress({ phase: 'verifying' }))).toBe('Checking model.safetensors (4 of 4) · 5.0 MB of 10 MB');
  });

  test.for([
    ['checksum_mismatch', /damaged.*checksum.*nothing was installed.*\(sha256 differs\)/],
    ['disk_full', /Not enough free disk space.*resumes.*\(sha256 differs\)/],
    ['download_failed', /download failed: sha256 differs\. What arrived is kept/],
    ['invalid_model', /not a usable model/],
    ['internal', /^sha256 differs$/],
  ] as const)('describeDownloadError(%s)', ([code, re]) => {
    expect(describeDownloadError({ code, message: 'sha256 differs' })).toMatch(re);
  });
});

/** A models.download stream the test drives by hand. */
function fakeApi() {
  const streams: { name: string; emit: (e: DownloadEvent) => void; end: (r: Result<DownloadEvent>) => void; cancelled: boolean }[] = [];
  const discarded: string[] = [];
  let discardResult: Result<{ ok: true }> = { ok: true, value: { ok: true } };
  const api = {
    call: (channel: string, request: { name: string }) => {
      if (channel !== 'models.discardDownload') throw new Error(`unexpected call ${channel}`);
      discarded.push(request.name);
      return Promise.resolve(discardResult);
    },
    stream: (_channel: string, request: { name: string }, onEvent: (e: DownloadEvent) => void) => {
      let end!: (r: Result<DownloadEvent>) => void;
      const done = new Promise<Result<DownloadEvent>>((resolve) => (end = resolve));
      const s = { name: request.name, emit: onEvent, end, cancelled: false };
      streams.push(s);
      return {
        done,
        cancel: () => {
          s.cancelled = true;
          end({ ok: false, error: { code: 'aborted', message: 'cancelled' } });
        },
      };
    },
  } as unknown as DownloadApi;
  return { api, streams, discarded, failDiscard: (e: ApiError) => (discardResult = { ok: false, error: e }) };
}

const model = { id: 'tiny', name: 'Tiny' } as ModelInfo;
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('DownloadStore', () => {
  test('start streams progress, then done tells the installed listeners', async () => {
    const { api, streams } = fakeApi();
    const store = new DownloadStore(api);
    const installed: ModelInfo[] = [];
    store.onInstalled((m) => installed.push(m));
    let changes = 0;
    store.subscribe(() => changes++);
    store.start('tiny');
    expect(store.get('tiny')).toEqual({ status: 'starting' });
    streams[0].emit(progress());
    expect(store.get('tiny')).toMatchObject({ status: 'running', progress: { bytes: 5 * 1024 * 1024 } });
    streams[0].end({ ok: true, value: { type: 'done', model } });
    await tick();
    expect(store.get('tiny')).toEqual({ status: 'done', model });
    expect(installed).toEqual([model]);
    expect(changes).toBe(3);
    expect(store.isActive('tiny')).toBe(false);
  });

  test('a second start while one runs opens no second stream', () => {
    const { api, streams } = fakeApi();
    const store = new DownloadStore(api);
    store.start('tiny');
    store.start('tiny');
    expect(streams).toHaveLength(1);
  });

  test('pause cancels the stream and keeps the bytes; start again resumes with a new stream', async () => {
    const { api, streams, discarded } = fakeApi();
    const store = new DownloadStore(api);
    store.start('tiny');
    streams[0].emit(progress({ bytes: 700 }));
    store.pause('tiny');
    await tick();
    expect(streams[0].cancelled).toBe(true);
    expect(store.get('tiny')).toEqual({ status: 'paused', bytes: 700, total: 10 * 1024 * 1024 });
    expect(discarded).toEqual([]);
    store.start('tiny');
    expect(streams).toHaveLength(2);
  });

  test('discard while running cancels, then asks the service to forget the partial files', async () => {
    const { api, streams, discarded } = fakeApi();
    const store = new DownloadStore(api);
    store.start('tiny');
    streams[0].emit(progress());
    expect(await store.discard('tiny')).toBeNull();
    expect(streams[0].cancelled).toBe(true);
    expect(discarded).toEqual(['tiny']);
    expect(store.get('tiny')).toEqual({ status: 'idle' });
  });

  test('a failed discard is reported and the state kept', async () => {
    const { api, streams, failDiscard } = fakeApi();
    const store = new DownloadStore(api);
    store.start('tiny');
    store.pause('tiny');
    await tick();
    failDiscard({ code: 'conflict', message: 'Tiny is downloading; cancel it first' });
    expect(await store.discard('tiny')).toBe('Could not discard the download: Tiny is downloading; cancel it first');
    expect(store.get('tiny').status).toBe('paused');
    expect(streams).toHaveLength(1);
  });

  test.for([
    ['checksum_mismatch', /checksum/],
    ['disk_full', /disk space/],
    ['download_failed', /HTTP 500/],
  ] as const)('a %s failure ends in an error state with a sentence to act on', async ([code, re]) => {
    const { api, streams } = fakeApi();
    const store = new DownloadStore(api);
    store.start('tiny');
    streams[0].end({ ok: false, error: { code, message: 'config.json: HTTP 500' } });
    await tick();
    const state = store.get('tiny');
    expect(state).toMatchObject({ status: 'error', code });
    if (state.status === 'error') expect(state.message).toMatch(re);
  });

  test('states are kept per model', async () => {
    const { api, streams } = fakeApi();
    const store = new DownloadStore(api);
    store.start('a');
    store.start('b');
    streams[1].emit(progress({ bytes: 1 }));
    expect(store.get('a').status).toBe('starting');
    expect(store.get('b').status).toBe('running');
    expect(store.get('c').status).toBe('idle');
  });
});
