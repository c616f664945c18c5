import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { DownloadEvent } from '../../../common/contract';
import { catalogueEntryForFolder, CATALOGUE, DEFAULT_BASE_URL, fileUrl, sha256File, type CatalogueEntry } from '../../../main/services/models/catalogue';
import { catalogueStatus, discardDownload, downloadModel, stagingDir, type DownloadOptions } from '../../../main/services/models/download';
import { ModelRegistry } from '../../../main/services/models/registry';
import { startFaultServer, type FaultServer } from '../helpers/fault-http-server';

const TINY = path.resolve('tests/fixtures/models/tiny');
const REPO = 'test/tiny';
const WEIGHTS = 'model.safetensors';

let server: FaultServer;
let entry: CatalogueEntry;
let weightsSha: string;
let weightsSize: number;

beforeAll(async () => {
  server = await startFaultServer();
  entry = await catalogueEntryForFolder(TINY, { name: 'tiny', displayName: 'Tiny GPT-2', repo: REPO });
  for (const f of entry.files) server.setFile(REPO, f.name, await fs.readFile(path.join(TINY, f.name)));
  weightsSha = await sha256File(path.join(TINY, WEIGHTS));
  weightsSize = (await fs.stat(path.join(TINY, WEIGHTS))).size;
});
afterAll(async () => {
  await server.close();
});

let dataDir: string;
let registry: ModelRegistry;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-download-'));
  registry = await ModelRegistry.open({ dataDir });
  server.requests.length = 0;
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

function options(extra: Partial<DownloadOptions> = {}, catalogue: CatalogueEntry[] = [entry]): DownloadOptions {
  return {
    registry,
    catalogue,
    baseUrl: server.baseUrl,
    transfer: { retries: 0, retryDelayMs: 5, stallTimeoutMs: 2_000 },
    progressIntervalMs: 0,
    ...extra,
  };
}

async function installedWeightsSha(): Promise<string> {
  const [model] = registry.list();
  return sha256File(path.join(model.path, WEIGHTS));
}

const partFile = () => path.join(stagingDir(registry, 'tiny'), `${WEIGHTS}.part`);

describe('downloadModel', () => {
  test('downloads, verifies and registers, with monotonic progress and a done event', async () => {
    const events: DownloadEvent[] = [];
    const model = await downloadModel('tiny', options({ onEvent: (e) => events.push(e) }));
    expect(model).toMatchObject({ name: 'Tiny GPT-2', origin: { kind: 'downloaded', from: 'tiny' }, active: true });
    expect(await installedWeightsSha()).toBe(weightsSha);
    const progress = events.filter((e) => e.type === 'progress');
    const bytes = progress.map((e) => e.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    const total = entry.files.reduce((a, f) => a + (f.size ?? 0), 0);
    expect(progress.at(-1)).toMatchObject({ phase: 'validating', bytes: total, total });
    expect(progress.some((e) => e.phase === 'verifying')).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'done', model });
    await expect(fs.stat(stagingDir(registry, 'tiny'))).rejects.toThrow(); // staging moved into place
    await expect(downloadModel('tiny', options())).rejects.toMatchObject({ code: 'conflict' });
  });

  test('a connection dropped half way keeps the partial; the next call resumes with Range to identical bytes', async () => {
    server.fail(WEIGHTS, { kind: 'drop', afterBytes: Math.floor(weightsSize / 2) });
    await expect(downloadModel('tiny', options())).rejects.toMatchObject({ code: 'download_failed', message: expect.stringMatching(/connection lost|truncated/) });
    expect(registry.list()).toEqual([]);
    const partial = (await fs.stat(partFile())).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(weightsSize);
    expect((await catalogueStatus(registry, [entry]))[0].partialBytes).toBeGreaterThan(partial);

    await downloadModel('tiny', options());
    const resumed = server.requests.filter((r) => r.path.endsWith(WEIGHTS)).at(-1);
    expect(resumed?.range).toBe(`bytes=${partial}-`);
    expect(await installedWeightsSha()).toBe(weightsSha);
  });

  test.for([0, 0.5, 0.9999])('a drop at %f of the weights, then a resume, gives identical bytes', async (fraction) => {
    server.fail(WEIGHTS, { kind: 'drop', afterBytes: Math.floor(weightsSize * fraction) });
    await expect(downloadModel('tiny', options())).rejects.toMatchObject({ code: 'download_failed' });
    expect(registry.list()).toEqual([]);
    await downloadModel('tiny', options());
    expect(await installedWeightsSha()).toBe(weightsSha);
  });

  test('a file that changed on the server between attempts (new ETag) is fetched whole, not spliced', async () => {
    const other = path.resolve('tests/fixtures/models/tiny-noprefix');
    const changed = await catalogueEntryForFolder(other, { name: 'tiny', displayName: 'Tiny GPT-2', repo: REPO });
    server.fail(WEIGHTS, { kind: 'drop', afterBytes: 5_000_000 });
    await expect(downloadModel('tiny', options())).rejects.toThrow();
    server.setFile(REPO, WEIGHTS, await fs.readFile(path.join(other, WEIGHTS)));
    try {
      await downloadModel('tiny', options({}, [changed]));
    } finally {
      server.setFile(REPO, WEIGHTS, await fs.readFile(path.join(TINY, WEIGHTS)));
    }
    const weights = server.requests.filter((r) => r.path.endsWith(WEIGHTS));
    expect(weights).toHaveLength(2); // no checksum failure and retry: If-Range made the server send the new file whole
    expect(weights[1]).toMatchObject({ range: expect.stringMatching(/^bytes=\d+-$/), ifRange: expect.stringMatching(/^"[0-9a-f]+"$/), status: 200 });
    expect(await installedWeightsSha()).toBe(await sha256File(path.join(other, WEIGHTS)));
  });

  test('progress events are throttled and the bar still reaches the end', async () => {
    const events: DownloadEvent[] = [];
    await downloadModel('tiny', options({ progressIntervalMs: 10_000, onEvent: (e) => events.push(e) }));
    const progress = events.filter((e) => e.type === 'progress');
    // One forced event per file boundary and phase change, none per chunk (there are hundreds of chunks).
    expect(progress.length).toBeLessThanOrEqual(3 * entry.files.length + 2);
    expect(progress.at(-1)?.bytes).toBe(entry.files.reduce((a, f) => a + (f.size ?? 0), 0));
  });

  test('transient failures are retried within one call, resuming each time', async () => {
    server.fail(WEIGHTS, { kind: 'drop', afterBytes: 1_000_000 }, { kind: 'status', status: 503 }, { kind: 'drop', afterBytes: 2_000_000 });
    await downloadModel('tiny', options({ transfer: { retries: 3, retryDelayMs: 5 } }));
    const ranges = server.requests.filter((r) => r.path.endsWith(WEIGHTS)).map((r) => r.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges.slice(1).every((r) => r !== undefined && /^bytes=\d+-$/.test(r))).toBe(true);
    expect(await installedWeightsSha()).toBe(weightsSha);
  });

  test('pause (abort) keeps the partial and a later call resumes', async () => {
    const controller = new AbortController();
    server.fail(WEIGHTS, { kind: 'stall', afterBytes: 3_000_000 });
    const onEvent = (e: DownloadEvent) => {
      if (e.type === 'progress' && e.file === WEIGHTS && e.bytes > 3_000_000) controller.abort();
    };
    await expect(downloadModel('tiny', options({ signal: controller.signal, onEvent }))).rejects.toMatchObject({ code: 'aborted' });
    expect((await fs.stat(partFile())).size).toBeGreaterThan(0);
    await downloadModel('tiny', options());
    expect(await installedWeightsSha()).toBe(weightsSha);
  });

  test('wrong bytes twice: checksum mismatch, nothing registered, no partial left', async () => {
    server.fail(WEIGHTS, { kind: 'wrongBytes' }, { kind: 'wrongBytes' });
    await expect(downloadModel('tiny', options())).rejects.toMatchObject({ code: 'checksum_mismatch', message: expect.stringContaining(WEIGHTS) });
    expect(registry.list()).toEqual([]);
    await expect(fs.stat(partFile())).rejects.toThrow();
    const again = await ModelRegistry.open({ dataDir });
    expect(again.list()).toEqual([]);
  });

  test('wrong bytes once: deleted and downloaded again from scratch', async () => {
    server.fail(WEIGHTS, { kind: 'wrongBytes' });
    await downloadModel('tiny', options());
    expect(await installedWeightsSha()).toBe(weightsSha);
  });

  test.for([
    [{ kind: 'status', status: 404 }, 'not_found', /HTTP 404.*not on the server/],
    [{ kind: 'status', status: 500 }, 'download_failed', /HTTP 500.*server error/],
    [{ kind: 'status', status: 403 }, 'download_failed', /HTTP 403.*access denied/],
    [{ kind: 'status', status: 429, headers: { 'retry-after': '7' } }, 'download_failed', /retry after 7 s/],
    [{ kind: 'redirect', location: 'http://evil.example/x' }, 'download_failed', /evil\.example, which is not an allowed download host/],
    [{ kind: 'status', status: 200, headers: { 'content-encoding': 'gzip' } }, 'download_failed', /compressed/],
  ] as const)('%o fails with %s and a clear message', async ([fault, code, message]) => {
    server.fail(WEIGHTS, fault);
    await expect(downloadModel('tiny', options())).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    expect(registry.list()).toEqual([]);
  });

  test('a redirect loop stops at the limit', async () => {
    const self = `${server.baseUrl}/${REPO}/resolve/main/${WEIGHTS}`;
    server.fail(WEIGHTS, ...Array.from({ length: 8 }, () => ({ kind: 'redirect' as const, location: self })));
    await expect(downloadModel('tiny', options({ transfer: { retries: 0, maxRedirects: 3 } }))).rejects.toThrow(/more than 3 redirects/);
  });

  test('a redirect to an allowed host is followed', async () => {
    server.fail(WEIGHTS, { kind: 'redirect', location: `/${REPO}/resolve/main/${WEIGHTS}` });
    await downloadModel('tiny', options());
    expect(await installedWeightsSha()).toBe(weightsSha);
  });

  test('a server that ignores Range (200) restarts the file instead of appending', async () => {
    server.fail(WEIGHTS, { kind: 'drop', afterBytes: 4_000_000 }, { kind: 'ignoreRange' });
    await downloadModel('tiny', options({ transfer: { retries: 1, retryDelayMs: 5 } }));
    expect(server.requests.filter((r) => r.fault === 'ignoreRange')[0]?.range).toMatch(/^bytes=\d+-$/);
    expect(await installedWeightsSha()).toBe(weightsSha);
  });

  test('a 206 with a wrong Content-Range is refused and the file restarts clean', async () => {
    server.fail(WEIGHTS, { kind: 'drop', afterBytes: 4_000_000 }, { kind: 'wrongContentRange' });
    await downloadModel('tiny', options({ transfer: { retries: 2, retryDelayMs: 5 } }));
    const ranges = server.requests.filter((r) => r.path.endsWith(WEIGHTS)).map((r) => [r.fault, r.range]);
    expect(ranges).toEqual([['drop', undefined], ['wrongContentRange', expect.stringMatching(/^bytes=[1-9]\d*-$/)], [null, undefined]]);
    expect(await installedWeightsSha()).toBe(weightsSha);
  });

  test('a 416 on a partial that is already complete finishes without re-downloading', async () => {
    const noSize = { ...entry, files: entry.files.map((f) => (f.name === WEIGHTS ? { ...f, size: null } : f)) };
    await fs.mkdir(stagingDir(registry, 'tiny'), { recursive: true });
    await fs.copyFile(path.join(TINY, WEIGHTS), partFile());
    await downloadModel('tiny', options({}, [noSize]));
    expect(server.requests.find((r) => r.path.endsWith(WEIGHTS))?.range).toBe(`bytes=${weightsSize}-`);
    expect(await installedWeightsSha()).toBe(weightsSha);
  });

  test('a Content-Length that lies is detected', async () => {
    server.fail(WEIGHTS, { kind: 'lieLength', contentLength: weightsSize + 100 });
    await expect(downloadModel('tiny', options())).rejects.toThrow(/says the file has \d+ bytes, the catalogue says/);
    const noSize = { ...entry, files: entry.files.map((f) => (f.name === WEIGHTS ? { ...f, size: null } : f)) };
    server.fail(WEIGHTS, { kind: 'lieLength', contentLength: weightsSize + 100 });
    await expect(downloadModel('tiny', options({}, [noSize]))).rejects.toThrow(/truncated|connection lost/);
    expect(registry.list()).toEqual([]);
  });

  test('a stalled connection times out and keeps the partial', async () => {
    server.fail(WEIGHTS, { kind: 'stall', afterBytes: 1_000_000 });
    await expect(downloadModel('tiny', options({ transfer: { retries: 0, stallTimeoutMs: 300 } }))).rejects.toThrow(/stalled|connection lost/);
    expect((await fs.stat(partFile())).size).toBe(1_000_000);
  });

  test('too little free disk space fails before any request', async () => {
    await expect(downloadModel('tiny', options({ transfer: { freeBytes: async () => 1_000 } }))).rejects.toMatchObject({ code: 'disk_full' });
    expect(server.requests).toEqual([]);
  });

  test('two downloads of the same model at once: the second is refused', async () => {
    const first = downloadModel('tiny', options());
    await expect(downloadModel('tiny', options())).rejects.toMatchObject({ code: 'conflict', message: /already downloading/ });
    await first;
  });

  test('a lock held by another live process refuses; a stale lock is taken over', async () => {
    const lock = path.join(stagingDir(registry, 'tiny'), '.lock');
    await fs.mkdir(path.dirname(lock), { recursive: true });
    await fs.writeFile(lock, String(process.ppid));
    await expect(downloadModel('tiny', options())).rejects.toMatchObject({ code: 'conflict', message: /another Inkwell process/ });
    await fs.writeFile(lock, '999999999');
    const model = await downloadModel('tiny', options());
    await expect(fs.stat(path.join(model.path, '.lock'))).rejects.toThrow();
  });

  test('a local mirror folder works as the base URL', async () => {
    const mirror = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-mirror-'));
    try {
      await fs.mkdir(path.join(mirror, REPO), { recursive: true });
      for (const f of entry.files) await fs.copyFile(path.join(TINY, f.name), path.join(mirror, REPO, f.name));
      await downloadModel('tiny', options({ baseUrl: mirror }));
      expect(await installedWeightsSha()).toBe(weightsSha);
      expect(server.requests).toEqual([]);
    } finally {
      await fs.rm(mirror, { recursive: true, force: true });
    }
  });

  test('files that download fine but do not form a model are not registered', async () => {
    const broken = { ...entry, files: entry.files.filter((f) => f.name !== 'merges.txt').concat({ name: 'merges.txt', size: null, sha256: null }) };
    server.fail('merges.txt', { kind: 'status', status: 200 }); // "status 200" body instead of merges
    await expect(downloadModel('tiny', options({}, [broken]))).rejects.toMatchObject({ code: 'invalid_model' });
    expect(registry.list()).toEqual([]);
  });

  test('discardDownload removes the partial files', async () => {
    server.fail(WEIGHTS, { kind: 'drop', afterBytes: 100_000 });
    await expect(downloadModel('tiny', options())).rejects.toThrow();
    await discardDownload(registry, 'tiny', [entry]);
    expect((await catalogueStatus(registry, [entry]))[0]).toMatchObject({ partialBytes: 0, installed: false });
  });

  test('unknown names list the catalogue', async () => {
    await expect(downloadModel('gpt5', options())).rejects.toMatchObject({ code: 'not_found', message: /gpt5.*tiny/ });
  });
});

describe('catalogue', () => {
  test('default URLs follow the hub pattern', () => {
    const gpt2 = CATALOGUE.find((e) => e.name === 'gpt2');
    expect(gpt2 && fileUrl(DEFAULT_BASE_URL, gpt2, 'model.safetensors').href).toBe(
      'https://huggingface.co/openai-community/gpt2/resolve/main/model.safetensors',
    );
    expect(CATALOGUE.map((e) => e.name)).toEqual(['gpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl', 'distilgpt2']);
  });

  test('the known tokenizer hashes match the real GPT-2 files', async () => {
    const gpt2 = CATALOGUE[0];
    for (const name of ['vocab.json', 'merges.txt']) {
      const f = gpt2.files.find((x) => x.name === name);
      expect(f?.sha256).toBe(await sha256File(path.join(TINY, name)));
    }
  });
});
