// Child of registry-kill.test.ts: opens the model registry and updates it in
// a loop — add (a small fake model folder staged, moved into place, then
// registered, as download and import do), rename, setActive, delete — until
// it is killed. It prints "ready" after its first update.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createRng } from '../../../../main/engine/rng';
import { ModelRegistry } from '../../../../main/services/models/registry';

const [dataDir, configFile, seedArg] = process.argv.slice(2);
const rng = createRng(Number(seedArg));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const registry = await ModelRegistry.open({ dataDir });
const config = await fs.readFile(configFile);
const origin = { kind: 'imported' as const, date: '2026-11-29T10:00:00.000Z' };

async function add(): Promise<void> {
  const name = `Fake ${Math.floor(rng() * 1e6)}`;
  const id = await registry.allocateId(name);
  const staging = path.join(registry.modelsDir, `.staging-${id}`);
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  await fs.writeFile(path.join(staging, 'config.json'), config);
  // A few kB of "weights": the registry only sizes them; the point is a folder with several files.
  await fs.writeFile(path.join(staging, 'model.safetensors'), Buffer.alloc(4096 + Math.floor(rng() * 8192), 7));
  await fs.rename(staging, path.join(registry.modelsDir, id));
  await registry.register(id, { name, origin }, { activate: rng() < 0.5 });
}

let announced = false;
for (;;) {
  const models = registry.list();
  const op = models.length < 3 ? 'add' : pick(['add', 'rename', 'setActive', 'delete', 'delete'] as const);
  if (op === 'add') await add();
  else if (op === 'rename') await registry.rename(pick(models).id, `Renamed ${Math.floor(rng() * 1e6)}`);
  else if (op === 'setActive') await registry.setActive(pick(models).id);
  else await registry.delete(pick(models).id);
  if (!announced) {
    announced = true;
    process.stdout.write('ready\n');
  }
}
