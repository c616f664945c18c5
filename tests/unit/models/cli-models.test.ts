// Tests main/cli/models.ts (named cli-models so it sits with the other model-library tests).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { UsageError } from '../../../main/cli/args';
import { modelsCommand } from '../../../main/cli/models';
import { main } from '../../../main/cli';
import { startFaultServer, type FaultServer } from '../helpers/fault-http-server';

const TINY = path.resolve('tests/fixtures/models/tiny');

let dataDir: string;
let out: string;
let err: string;
const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
const run = (...argv: string[]) => modelsCommand([...argv, '--data-dir', dataDir], io);

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-cli-models-'));
  out = '';
  err = '';
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('inkwell models', () => {
  test('import, list, use, export, rm', async () => {
    expect(await run('import', TINY, '--name', 'Tiny one')).toBe(0);
    expect(out).toBe('imported Tiny one as tiny-one\n');
    out = '';
    expect(await run('list', '--json')).toBe(0);
    const list = JSON.parse(out) as { id: string; active: boolean }[];
    expect(list.find((m) => m.id === 'tiny-one')).toBeDefined();
    out = '';
    expect(await run('use', 'tiny-one')).toBe(0);
    out = '';
    expect(await run('list')).toBe(0);
    expect(out).toMatch(/^\* tiny-one +Tiny one +imported/m);
    const target = path.join(dataDir, 'exported');
    expect(await run('export', 'tiny-one', target)).toBe(0);
    expect((await fs.readdir(target)).sort()).toContain('README.md');
    expect(await run('rm', 'tiny-one')).toBe(0);
    expect(out).toMatch(/moved tiny-one to the trash/);
  });

  test.for<[string[], RegExp]>([
    [['frobnicate'], /unknown subcommand 'frobnicate'/],
    [['export', 'only-id'], /usage: inkwell models export ID PATH/],
    [['list', '--bogus'], /models: Unknown option '--bogus'/],
  ])('%o is a usage error', async ([argv, message]) => {
    await expect(run(...argv)).rejects.toSatisfy((e: unknown) => e instanceof UsageError && message.test(e.message));
  });

  test('runtime failures throw with the reason (the CLI prints them and exits 1)', async () => {
    await expect(run('rm', 'nope')).rejects.toThrow(/no model with id "nope"/);
    await expect(run('import', path.join(dataDir, 'missing'))).rejects.toThrow(/not found/);
  });

  test('dispatched from `inkwell models`: exit 1 with the reason, 2 for usage mistakes', async () => {
    expect(await main(['models', 'rm', 'nope', '--data-dir', dataDir], io)).toBe(1);
    expect(err).toMatch(/^inkwell models: no model with id "nope"/);
    expect(await main(['models', 'frob', '--data-dir', dataDir], io)).toBe(2);
    expect(await main(['models', 'list', '--data-dir', dataDir], io)).toBe(0);
  });

  test('no subcommand prints the help and exits 2', async () => {
    expect(await modelsCommand([], io)).toBe(2);
    expect(out).toMatch(/inkwell models list/);
  });
});

describe('inkwell models download', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await startFaultServer();
  });
  afterAll(async () => {
    await server.close();
  });

  test('reports a missing file on the server clearly', async () => {
    // The fault server has no files: the first catalogue file is a 404.
    await expect(run('download', 'gpt2', '--base-url', server.baseUrl)).rejects.toThrow(/openai-community\/gpt2\/resolve\/main\/config\.json: HTTP 404/);
    expect(server.requests[0]?.path).toBe('/openai-community/gpt2/resolve/main/config.json');
  });
});
