#!/usr/bin/env node
// The `inkwell` command: runs the bundled CLI (dist/main/cli.js, made by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../dist/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(`inkwell: ${cli} is missing; run \`npm run build\` first.\n`);
  process.exit(1);
}
const { main, processIo } = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv.slice(2), processIo);
