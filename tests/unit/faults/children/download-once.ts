// Child of download-kill.test.ts: downloads the catalogue entry given as JSON
// from a local server into the registry under <dataDir>, resuming whatever
// partial files an earlier (killed) child left, and prints one JSON line with
// the outcome. Progress lines ("bytes N") let the parent kill it mid-stream.
import { downloadModel } from '../../../../main/services/models/download';
import type { CatalogueEntry } from '../../../../main/services/models/catalogue';
import { ModelRegistry } from '../../../../main/services/models/registry';

const [dataDir, baseUrl, entryJson] = process.argv.slice(2);
const entry = JSON.parse(entryJson) as CatalogueEntry;
try {
  const registry = await ModelRegistry.open({ dataDir });
  const model = await downloadModel(entry.name, {
    registry, catalogue: [entry], baseUrl, progressIntervalMs: 0,
    transfer: { retries: 0, retryDelayMs: 5, stallTimeoutMs: 30_000 },
    onEvent: (e) => e.type === 'progress' && process.stdout.write(`bytes ${e.bytes}\n`),
  });
  process.stdout.write(JSON.stringify({ ok: true, id: model.id, path: model.path }) + '\n');
} catch (err) {
  const e = err as Error & { code?: string };
  process.stdout.write(JSON.stringify({ ok: false, code: e.code ?? null, message: e.message }) + '\n');
}
