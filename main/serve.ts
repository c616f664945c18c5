/**
 * Browser-mode entry (dist/main/serve.js): the app without Electron. Serves the
 * built renderer and the router on 127.0.0.1 with a per-launch token, and
 * prints the URL to open.
 *
 *   node dist/main/serve.js [--host 127.0.0.1] [--port 0] [--allow-remote]
 *                           [--data-dir DIR] [--model DIR] [--backend wasm|cpu]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveDataDir, resolveModelDir } from './app-paths';
import { createAppServices } from './services/app-services';
import { isLoopback, serve } from './web/server';
import { generateToken } from './web/token-auth';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** dist/main/serve.js -> the repository (or unpacked app) root. */
const ROOT = path.resolve(HERE, '..', '..');

const USAGE = `usage: node dist/main/serve.js [--host 127.0.0.1] [--port 0] [--allow-remote] [--data-dir DIR] [--model DIR] [--backend NAME]`;

function fail(message: string): never {
  console.error(`inkwell: ${message}`);
  process.exit(2);
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '0' },
        'allow-remote': { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        model: { type: 'string' },
        backend: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}`);
  const host = values.host;
  const allowRemote = values['allow-remote'];
  if (!isLoopback(host) && !allowRemote) {
    fail(
      `refusing to listen on ${host}: anyone who can reach that address and port and knows the token ` +
        `can read and change every document and run the model. If that is what you want (say, the engine on a GPU box ` +
        `on a trusted network), add --allow-remote.`,
    );
  }
  if (allowRemote && !isLoopback(host)) {
    console.warn(`inkwell: --allow-remote: listening on ${host}; keep the token secret, and prefer an SSH tunnel on untrusted networks.`);
  }

  const dataDir = resolveDataDir(values['data-dir']);
  const modelDir = resolveModelDir(values.model, [ROOT]);
  const app = await createAppServices({
    dataDir,
    modelDir,
    modelDirExplicit: Boolean(values.model || process.env.INKWELL_MODEL),
    workerPath: path.join(HERE, 'engine', 'worker.js'),
    mode: 'browser',
    version: version(),
    ...(values.backend ? { backend: values.backend } : {}),
    log: (m) => console.warn(`inkwell: ${m}`),
  });

  let server;
  try {
    server = await serve(app.router, {
      host, port, allowRemote, token: generateToken(), staticDir: path.join(HERE, '..', 'renderer'),
      log: (m) => console.warn(`inkwell: ${m}`),
    });
  } catch (err) {
    await app.close();
    const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
    fail(code === 'EADDRINUSE' ? `port ${port} on ${host} is in use; pick another with --port, or --port 0 for any free one` : String(err));
  }

  console.log(`Inkwell data: ${dataDir}`);
  console.log(`Inkwell model: ${modelDir ?? 'none (set --model or INKWELL_MODEL to a Hugging Face GPT-2 folder)'}`);
  console.log(`Inkwell is running at ${server.url}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.close();
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

await main();
