/**
 * `inkwell models ...`: the model library from the command line, over the
 * same ModelsService the app uses (same data folder, same registry).
 *
 *   inkwell models list [--json]
 *   inkwell models catalogue [--json]
 *   inkwell models download NAME [--base-url URL|DIR]
 *   inkwell models import PATH [--name NAME]
 *   inkwell models export ID PATH
 *   inkwell models use ID
 *   inkwell models rm ID
 *
 * Every subcommand takes --data-dir DIR (default: INKWELL_DATA_DIR, then the
 * per-user folder). Ctrl-C during a download pauses it; running the same
 * download again resumes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DownloadEvent, ModelInfo } from '../../common/contract';
import { resolveDataDir, resolveModelDir } from '../app-paths';
import { ModelsService } from '../services/models/models-service';
import { UsageError } from './args';
import type { Io } from './commands';

export const MODELS_HELP = `inkwell models — the model library

  inkwell models list [--json]                  installed models (* marks the active one)
  inkwell models catalogue [--json]             models that can be downloaded
  inkwell models download NAME [--base-url U]   download and register (Ctrl-C pauses; run again to resume)
  inkwell models import PATH [--name NAME]      copy in a Hugging Face GPT-2 folder or .tar, after checking it
  inkwell models export ID PATH                 write a model with its model card to a new folder or PATH.tar
  inkwell models use ID                         make a model the active one
  inkwell models rm ID                          move a model to the trash (not the built-in one)

Options: --data-dir DIR (default INKWELL_DATA_DIR or the per-user folder).
--base-url (or INKWELL_MODELS_BASE_URL): a mirror with the hub's URL pattern, or a local folder holding <repo>/<file>.
`;

const SUBCOMMANDS = ['list', 'catalogue', 'download', 'import', 'export', 'use', 'rm'];

const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function params(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${(n / 1e6).toFixed(1)}M`;
}

function describe(m: ModelInfo): string {
  const ppl = m.validationPerplexity === null ? '' : `  ppl ${m.validationPerplexity.toFixed(2)}`;
  return `${m.active ? '*' : ' '} ${m.id.padEnd(24)} ${m.name.padEnd(28)} ${m.origin.kind.padEnd(10)} ${params(m.architecture.parameters).padStart(7)} ${mb(m.sizeBytes).padStart(10)}${ppl}\n`;
}

/** The app's root (where models/default lives), from this file's place in the source or the bundle. */
function appRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url));
}

/** Progress for a terminal: one line at most every second, so logs stay readable. */
function progressPrinter(io: Io): (e: DownloadEvent) => void {
  let last = 0;
  return (e) => {
    if (e.type !== 'progress') return;
    const now = Date.now();
    if (now - last < 1_000 && e.phase === 'downloading') return;
    last = now;
    const of = e.total === null ? '' : ` of ${mb(e.total)} (${Math.floor((100 * e.bytes) / Math.max(1, e.total))} %)`;
    const eta = e.etaSeconds === null ? '' : `, ${e.etaSeconds} s left`;
    io.stderr(`${e.phase} ${e.file} [${e.fileIndex + 1}/${e.fileCount}]: ${mb(e.bytes)}${of}, ${mb(e.speedBytesPerSec)}/s${eta}\n`);
  };
}

export async function modelsCommand(argv: readonly string[], io: Io): Promise<number> {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { 'data-dir': { type: 'string' }, 'base-url': { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`models: ${(err as Error).message.split('\n')[0]}`);
  }
  const { values, positionals } = parsed;
  const [sub, ...args] = positionals;
  const need = (n: number, usage: string): void => {
    if (args.length !== n) throw new UsageError(`models ${sub}: usage: inkwell models ${usage}`);
  };
  if (sub === undefined || sub === 'help') {
    io.stdout(MODELS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (!SUBCOMMANDS.includes(sub)) throw new UsageError(`models: unknown subcommand '${sub}' (${SUBCOMMANDS.join(', ')})`);
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const service = await ModelsService.open({
    dataDir: resolveDataDir(str('data-dir')),
    builtinDir: resolveModelDir(undefined, [appRoot()], {}),
    baseUrl: str('base-url') || process.env.INKWELL_MODELS_BASE_URL || undefined,
    log: (m) => io.stderr(`${m}\n`),
  });

  switch (sub) {
    case 'list': {
      need(0, 'list [--json]');
      const list = await service.list();
      if (values.json) io.stdout(json(list));
      else if (list.length === 0) io.stdout('no models installed; try: inkwell models download gpt2\n');
      else for (const m of list) io.stdout(describe(m));
      return 0;
    }
    case 'catalogue': {
      need(0, 'catalogue [--json]');
      const items = await service.catalogue();
      if (values.json) io.stdout(json(items));
      else {
        for (const c of items) {
          const state = c.installed ? 'installed' : c.partialBytes > 0 ? `partial ${mb(c.partialBytes)}` : '';
          io.stdout(`${c.name.padEnd(14)} ${c.displayName.padEnd(22)} ${c.repo.padEnd(32)} ${state}\n`);
        }
      }
      return 0;
    }
    case 'download': {
      need(1, 'download NAME [--base-url URL|DIR]');
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        const model = await service.downloadModel(args[0], { onEvent: progressPrinter(io), signal: controller.signal });
        io.stdout(`downloaded ${model.name} as ${model.id} (${mb(model.sizeBytes)})\n`);
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      return 0;
    }
    case 'import': {
      need(1, 'import PATH [--name NAME]');
      const model = await service.import({ path: path.resolve(args[0]), name: str('name') });
      io.stdout(`imported ${model.name} as ${model.id}\n`);
      return 0;
    }
    case 'export': {
      need(2, 'export ID PATH');
      const { path: written } = await service.export(args[0], path.resolve(args[1]));
      io.stdout(`exported ${args[0]} to ${written}\n`);
      return 0;
    }
    case 'use': {
      need(1, 'use ID');
      const model = await service.setActive(args[0]);
      io.stdout(`${model.name} (${model.id}) is now the active model\n`);
      return 0;
    }
    case 'rm': {
      need(1, 'rm ID');
      await service.delete(args[0]);
      io.stdout(`moved ${args[0]} to the trash (${path.join(service.registry.modelsDir, '.trash')})\n`);
      return 0;
    }
    default:
      throw new UsageError(`models: unknown subcommand '${sub}'`);
  }
}
