// `npm start`: the Electron app when Electron's binary is installed, otherwise
// browser mode (dist/main/serve.js), saying why. Extra arguments go to the app.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const args = process.argv.slice(2);

/** The Electron binary's path, or why there is none. */
function findElectron() {
  let binary;
  try {
    // The electron package exports the path of its downloaded binary, and throws when the download never happened.
    binary = require('electron');
  } catch (err) {
    return { reason: `the electron package has no binary (${String(err instanceof Error ? err.message : err).split('\n')[0]})` };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { reason: `the Electron binary ${String(binary)} does not exist` };
  return { binary };
}

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { stdio: 'inherit', cwd: root });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const mainEntry = path.join(root, 'dist/main/index.cjs');
const serveEntry = path.join(root, 'dist/main/serve.js');
const electron = findElectron();

if (electron.binary && existsSync(mainEntry)) {
  run(electron.binary, [root, ...args]);
} else {
  if (!existsSync(serveEntry)) {
    console.error(`inkwell: ${path.relative(root, serveEntry)} is missing; run \`npm run build\` first.`);
    process.exit(1);
  }
  const why = electron.binary ? `${path.relative(root, mainEntry)} is missing (run npm run build)` : electron.reason;
  console.log(`inkwell: starting in browser mode because ${why}.`);
  run(process.execPath, [serveEntry, ...args]);
}
