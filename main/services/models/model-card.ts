/**
 * The README.md (a Hugging Face model card) written beside an exported model,
 * so that other tools and people know what it is: base model, how it was made
 * (training files by name only: a writer's folder structure is nobody's
 * business), steps, validation perplexity and dates. The YAML front matter uses
 * the keys the hub reads (library_name, pipeline_tag, base_model, tags).
 */
import type { ModelInfo } from '../../../common/contract';
import { CATALOGUE } from './catalogue';

/** A catalogue name ("gpt2-medium") becomes its hub repo; anything else is shown as given. */
function baseModelOf(info: ModelInfo): { repo: string | null; label: string | null } {
  const from = info.origin.from;
  if (info.origin.kind === 'builtin') return { repo: null, label: null };
  if (!from) return { repo: null, label: null };
  const entry = CATALOGUE.find((e) => e.name === from || e.repo === from);
  if (entry) return { repo: entry.repo, label: `${entry.displayName} (${entry.repo})` };
  // An import's `from` is a local path: say where it came from by name only.
  if (info.origin.kind === 'imported') return { repo: null, label: null };
  return { repo: null, label: from };
}

/** Keeps a value on one table line: no newlines, no pipes breaking the column. */
function cell(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
}

/** File names only, whatever paths the training run recorded. */
export function fileNamesOnly(files: readonly string[]): string[] {
  return files.map((f) => f.split(/[\\/]/).pop() ?? f).filter((f) => f !== '');
}

function formatParameters(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${Math.round(n / 1e6)}M`;
}

export function renderModelCard(info: ModelInfo, exportedAt: Date = new Date()): string {
  const base = baseModelOf(info);
  const a = info.architecture;
  const front = [
    '---',
    'library_name: transformers',
    'pipeline_tag: text-generation',
    ...(base.repo ? [`base_model: ${base.repo}`] : []),
    'tags:',
    '  - gpt2',
    '  - inkwell',
    ...(info.origin.kind === 'finetuned' ? ['  - fine-tuned'] : []),
    '---',
  ];
  const kind: Record<ModelInfo['origin']['kind'], string> = {
    builtin: 'built into Inkwell',
    downloaded: 'downloaded',
    imported: 'imported into Inkwell',
    finetuned: 'fine-tuned with Inkwell',
  };
  const rows: [string, string][] = [
    ['Base model', base.label ?? 'unknown'],
    ['Origin', `${kind[info.origin.kind]} on ${info.origin.date.slice(0, 10)}`],
  ];
  if (info.origin.files && info.origin.files.length > 0) rows.push(['Training files', fileNamesOnly(info.origin.files).join(', ')]);
  if (info.origin.steps !== undefined) rows.push(['Training steps', String(info.origin.steps)]);
  rows.push(['Validation perplexity', info.validationPerplexity === null ? 'not measured' : info.validationPerplexity.toFixed(2)]);
  rows.push(['Architecture', `GPT-2, ${a.layers} layers, width ${a.width}, ${a.heads} heads, context ${a.context}, ${formatParameters(a.parameters)} parameters`]);
  rows.push(['Exported', exportedAt.toISOString().slice(0, 10)]);

  return [
    ...front,
    '',
    `# ${cell(info.name)}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`),
    '',
    '## Use',
    '',
    'A GPT-2 model in Hugging Face layout (config.json, model.safetensors, vocab.json, merges.txt):',
    '',
    '```python',
    'from transformers import GPT2LMHeadModel, GPT2TokenizerFast',
    'model = GPT2LMHeadModel.from_pretrained("path/to/this/folder")',
    'tokenizer = GPT2TokenizerFast.from_pretrained("path/to/this/folder")',
    '```',
    '',
    'It can also be imported into Inkwell (Models → Import).',
    '',
  ].join('\n');
}
