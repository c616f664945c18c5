/**
 * The `inkwell` command line (bin/inkwell.mjs runs the bundled dist/main/cli.js).
 * `main(argv, io)` is the whole program as a function, so tests run it in-process.
 * Exit codes: 0 success, 1 runtime failure (message on stderr), 2 bad command line.
 */
import { pathToFileURL } from 'node:url';
import { UsageError } from './cli/args';
import { detokenizeCommand, generateCommand, infoCommand, scoreCommand, tokenizeCommand, type Io } from './cli/commands';
import { FINETUNE_HELP, finetuneCommand } from './cli/finetune';
import { modelsCommand } from './cli/models';

export type { Io } from './cli/commands';

export const HELP = `inkwell — a local GPT-2 writing assistant

Usage:
  inkwell info [--backend NAME] [--json]
      The TensorFlow.js backend in use and why faster ones were skipped.
  inkwell tokenize --model DIR (--text T | --file F) [--json]
      GPT-2 token ids of a text ({"ids":[...]} with --json).
  inkwell detokenize --model DIR --ids 1,2,3 [--json]
      The text of token ids.
  inkwell score --model DIR (--file F | --text T) [--stride N] [--json]
      Mean negative log-likelihood (nats) and perplexity of a text;
      long texts use sliding windows of the model's context, stride n_positions/2.
  inkwell generate --model DIR --prompt T [--max-tokens N] [--min-tokens N]
                   [--greedy | --temperature X --top-k K --top-p P --seed S]
                   [--repetition-penalty X] [--beams N --no-repeat-ngram N
                   --length-penalty X --early-stopping] [--n K] [--stop S] [--json]
      Continues the prompt; prints the text, or {"ids":[...],"text":"..."}
      with --json (an array of them with --n).
  inkwell models list|catalogue|download NAME|import PATH|export ID PATH|use ID|rm ID
      The model library ('inkwell models' for details).
${FINETUNE_HELP}  inkwell --help
      This text.

DIR is a Hugging Face GPT-2 folder: config.json, model.safetensors, vocab.json, merges.txt.
INKWELL_BACKEND=wasm|cpu|tensorflow forces a backend.
`;

const COMMANDS: Record<string, (argv: readonly string[], io: Io) => Promise<number>> = {
  info: infoCommand,
  tokenize: tokenizeCommand,
  detokenize: detokenizeCommand,
  score: scoreCommand,
  generate: generateCommand,
  models: modelsCommand,
  finetune: finetuneCommand,
};

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(HELP);
    return command === undefined ? 2 : 0;
  }
  const run = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    io.stderr(`inkwell: unknown command '${command}'. Run 'inkwell --help' for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(HELP);
    return 0;
  }
  try {
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`inkwell ${err.message}\nRun 'inkwell --help' for usage.\n`);
      return 2;
    }
    io.stderr(`inkwell ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

// Run when executed directly (node dist/main/cli.js ...), not when imported by bin/ or tests.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), processIo);
}
