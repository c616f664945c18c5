/**
 * The one list of calls between the renderer and the main process.
 *
 * Every channel is declared here once, with a zod schema for its request; the
 * TypeScript types of requests, responses and stream events are derived from
 * these declarations. The Electron transport (main/ipc.ts + preload), the
 * browser-mode transport (main/web/) and the renderer client (renderer/api.ts)
 * are thin adapters over this file. This module imports only zod: every
 * process (main, worker, preload, renderer) may import it.
 */
import { z } from 'zod';

/** Caps that apply before any work is done (BAD-INPUTS F.3). */
export const MAX_DOCUMENT_CHARS = 20_000_000;
export const MAX_PROMPT_CHARS = 2_000_000;
export const MAX_TITLE_CHARS = 200;

/** Document ids double as file names: lower-case slugs only, so no path can escape the folder. */
export const DocumentId = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'a document id is lower-case letters, digits and dashes');

export const Theme = z.enum(['system', 'light', 'dark']);
/** Interface language; 'system' follows the OS (Simplified Chinese for any zh locale, else English). */
export const Language = z.enum(['system', 'en', 'zh-CN']);

/** Knobs of one generation request; every field is optional and has an engine default. */
export const GenerateOptions = z
  .object({
    maxTokens: z.number().int().min(1).max(1024).optional(),
    minTokens: z.number().int().min(0).max(1024).optional(),
    greedy: z.boolean().optional(),
    temperature: z.number().finite().min(0).max(5).optional(),
    topK: z.number().int().min(0).max(100_000).optional(),
    topP: z.number().finite().gt(0).max(1).optional(),
    repetitionPenalty: z.number().finite().min(1).max(5).optional(),
    noRepeatNgramSize: z.number().int().min(0).max(16).optional(),
    numBeams: z.number().int().min(1).max(16).optional(),
    lengthPenalty: z.number().finite().min(-5).max(5).optional(),
    earlyStopping: z.boolean().optional(),
    n: z.number().int().min(1).max(8).optional(),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    stop: z.array(z.string().min(1).max(64)).max(8).optional(),
    timeBudgetMs: z.number().int().min(1).max(600_000).optional(),
  })
  .strict();

export const GenerateTask = z.enum(['raw', 'continue', 'outline', 'ideas']);

/** Caps on the writer's per-document prompt parts (NovelAI-style memory and author's note). */
export const MAX_MEMORY_CHARS = 8_000;
export const MAX_AUTHORS_NOTE_CHARS = 1_000;
export const MAX_BRIEF_CHARS = 4_000;

export const OutlineShape = z.enum(['news', 'feature', 'explainer', 'interview']);
/** The structured input of an 'outline' request (the renderer regenerates one part by keeping the others). */
export const OutlineRequest = z
  .object({
    topic: z.string().max(MAX_BRIEF_CHARS),
    notes: z.string().max(MAX_BRIEF_CHARS).optional(),
    shape: OutlineShape,
  })
  .strict();
export const IdeasKind = z.enum(['ideas', 'twists', 'next']);
/** The structured input of an 'ideas' request: `n` distinct ideas are parsed from the output. */
export const IdeasRequest = z
  .object({
    premise: z.string().max(MAX_BRIEF_CHARS),
    genre: z.string().max(200).optional(),
    characters: z.string().max(MAX_BRIEF_CHARS).optional(),
    chapter: z.string().max(MAX_PROMPT_CHARS).optional(),
    kind: IdeasKind,
    n: z.number().int().min(1).max(12).optional(),
  })
  .strict();

/** A parsed article skeleton (the engine's parseOutline), carried by an outline request's 'done' event. */
export interface OutlineResult {
  headlines: string[];
  lede: string;
  nutGraf: string;
  sections: { heading: string; note: string }[];
}

/** Model ids double as folder names under <dataDir>/models: lower-case slugs only. */
export const ModelId = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'a model id is lower-case letters, digits and dashes');

/** Per-document settings, stored beside the document by the documents service. */
export const DocumentSettingsSchema = z
  .object({
    memory: z.string().max(MAX_MEMORY_CHARS),
    authorsNote: z.string().max(MAX_AUTHORS_NOTE_CHARS),
    /** 'precise' | 'balanced' | 'wild' | 'custom'; null: the app's defaults apply. */
    preset: z.enum(['precise', 'balanced', 'wild', 'custom']).nullable(),
    /** Overrides of the default generation settings for this document. */
    generation: GenerateOptions,
    /** The model this document writes with (a novel bound to its fine-tune); null or absent: the app's active model. */
    modelId: ModelId.nullable().optional(),
  })
  .strict();
export type DocumentSettings = z.infer<typeof DocumentSettingsSchema>;
export const DEFAULT_DOCUMENT_SETTINGS: DocumentSettings = { memory: '', authorsNote: '', preset: null, generation: {} };

export const SettingsSchema = z
  .object({
    theme: Theme,
    language: Language,
    documentsDir: z.string().max(4096),
    autosaveDelayMs: z.number().int().min(500).max(60_000),
    ghostText: z.boolean(),
    /** Underline the text accepted from the model (the marks are kept either way). */
    showProvenance: z.boolean(),
    suggestDelayMs: z.number().int().min(50).max(5_000),
    generation: GenerateOptions,
  })
  .strict();
export type Settings = z.infer<typeof SettingsSchema>;

/** documentsDir '' means "the default folder in the user data directory". */
export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  language: 'system',
  documentsDir: '',
  autosaveDelayMs: 2_000,
  ghostText: true,
  showProvenance: true,
  suggestDelayMs: 300,
  generation: { maxTokens: 24, temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1.1, n: 1 },
};

const Empty = z.object({}).strict();

export interface BackendInfo {
  /** 'tensorflow' (tfjs-node / -gpu), 'wasm' or 'cpu'. */
  name: string;
  /** e.g. 'CUDA GPU', 'CPU (native)', 'CPU (WebAssembly SIMD, 1 thread)'. */
  device: string;
  /** Faster backends that were tried and why they were not used. */
  skipped: { name: string; reason: string }[];
}

export interface AppInfo {
  version: string;
  platform: string;
  mode: 'electron' | 'browser';
  /** null until the engine worker has started. */
  backend: BackendInfo | null;
  model: { name: string; path: string; nLayer: number; nEmbd: number; nPositions: number } | null;
  /** Only when the server runs with INKWELL_TEST_HOOKS=1: counters the end-to-end tests assert on. */
  testHooks?: { cancels: number };
}

export interface DocumentMeta {
  id: string;
  title: string;
  /** Milliseconds since the epoch of the last save. */
  updatedAt: number;
  words: number;
  /** True when the writer renamed it: the title then no longer follows the first line. */
  titled?: boolean;
}

export interface DocumentContent extends DocumentMeta {
  /** Markdown, exactly as stored on disk (or as recovered from the journal). */
  content: string;
  /** True when the content came from the unsaved-changes journal after a crash. */
  recovered: boolean;
  /** The machine-written ranges of `content` (absent: none). */
  provenance?: ProvenanceSpan[];
  /** Marks that could not be found again because the file changed outside Inkwell. */
  provenanceDropped?: number;
}

/**
 * Provenance: one range of the document's Markdown (UTF-16 offsets, end exclusive) that the
 * model wrote and the writer accepted. `text` is content.slice(start, end), kept so that a
 * span can be found again when the file was edited outside the app.
 */
export const MAX_PROVENANCE_SPANS = 100_000;
export const ProvenanceSpanSchema = z
  .object({
    start: z.number().int().min(0).max(MAX_DOCUMENT_CHARS),
    end: z.number().int().min(0).max(MAX_DOCUMENT_CHARS),
    text: z.string().max(MAX_DOCUMENT_CHARS),
  })
  .strict()
  .refine((s) => s.end > s.start && s.text.length === s.end - s.start, 'a span has end > start and text of length end - start');
export type ProvenanceSpan = z.infer<typeof ProvenanceSpanSchema>;
export const ProvenanceSchema = z.array(ProvenanceSpanSchema).max(MAX_PROVENANCE_SPANS);

/** Where a deleted document went: documents.restore brings it back. */
export const TrashStamp = z.string().min(1).max(40).regex(/^[0-9TZ-]+$/, 'a trash stamp is digits, T, Z and dashes');

export interface ExportedFile {
  filename: string;
  mime: string;
  /** The file's bytes, base64-encoded (the transports carry JSON). */
  base64: string;
}

/** Events of a generation stream, in order: any number of `token`, then exactly one `done` or `error`. */
export type GenerateEvent =
  | { type: 'token'; alternative: number; text: string; tokenId: number }
  | {
      type: 'done';
      /** Full generated text of each alternative. */
      texts: string[];
      /** Why generation ended: 'length', 'stop' (stop string / sentence end), 'eos', 'aborted', 'time'. */
      reason: string;
      /** Set when the prompt was longer than the context and was cut from the left. */
      truncatedPromptTokens: number;
      promptTokens: number;
      /** Prompt tokens served from the prefix cache (not recomputed). */
      cachedTokens: number;
      elapsedMs: number;
      /** 'outline' requests: the skeleton parsed from texts[0] (parts that did not parse are empty). */
      outline?: OutlineResult;
      /** 'ideas' requests: distinct ideas parsed from every alternative, at most `ideas.n`. */
      ideas?: string[];
      /** The name of the model that wrote this (its folder's name), so a caller can tell which model answered. */
      model?: string;
    };

export const MAX_PATH_CHARS = 4096;
/** An absolute file-system path chosen by the user (import source, export target). */
const UserPath = z
  .string()
  .min(1)
  .max(MAX_PATH_CHARS)
  .refine((p) => !p.includes('\0'), 'a path cannot contain NUL')
  // Relative paths would resolve against the main process's working folder, which the user never sees.
  .refine((p) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p), 'an absolute path is required');

export type ModelOriginKind = 'builtin' | 'downloaded' | 'imported' | 'finetuned';

/** One installed model, as the registry lists it. */
export interface ModelInfo {
  id: string;
  name: string;
  /** from: catalogue name, source path or base model id; files: training file names (fine-tunes); date: ISO 8601. */
  origin: { kind: ModelOriginKind; from?: string; files?: string[]; steps?: number; date: string };
  architecture: { layers: number; width: number; heads: number; context: number; vocab: number; parameters: number };
  sizeBytes: number;
  validationPerplexity: number | null;
  active: boolean;
  /** The model folder (Hugging Face layout). */
  path: string;
}

/** A model the downloader knows, with what is already on disk. */
export interface CatalogueItem {
  name: string;
  displayName: string;
  repo: string;
  parameters: number;
  /** Sum of the files' sizes, or null when a size is not in the catalogue. */
  sizeBytes: number | null;
  installed: boolean;
  /** Bytes of an interrupted download that the next download resumes from. */
  partialBytes: number;
}

/** Events of a download stream: `progress` (throttled), then one `done`; failures end the stream with an error. */
export type DownloadEvent =
  | {
      type: 'progress';
      phase: 'downloading' | 'verifying' | 'validating';
      file: string;
      fileIndex: number;
      fileCount: number;
      /** Bytes of the whole model on disk so far, and the expected total (null when unknown). */
      bytes: number;
      total: number | null;
      speedBytesPerSec: number;
      etaSeconds: number | null;
    }
  | { type: 'done'; model: ModelInfo };

/** Fine-tuning presets: 'quick' trains the last 2 blocks with embeddings frozen; 'thorough' trains every block. */
export const TrainPreset = z.enum(['quick', 'thorough']);
export type TrainPresetName = z.infer<typeof TrainPreset>;
/** Expert knobs over a preset (also how tests ask for a tiny run). */
export const TrainOverrides = z
  .object({
    steps: z.number().int().min(1).max(100_000),
    block: z.number().int().min(8).max(4096),
    batch: z.number().int().min(1).max(64),
    accum: z.number().int().min(1).max(64),
    lr: z.number().finite().gt(0).max(0.01),
    valEvery: z.number().int().min(1).max(100_000),
    sampleEvery: z.number().int().min(0).max(100_000),
    sampleTokens: z.number().int().min(1).max(256),
    trainLast: z.number().int().min(1).max(128),
    /** Data-parallel training threads; absent: the trainer's default (2 on wasm from 4 cores, else 1). */
    threads: z.number().int().min(1).max(16),
  })
  .partial()
  .strict();
export type TrainOverridesValue = z.infer<typeof TrainOverrides>;
export const MAX_TRAINING_FILES = 200;

/** What training.inspect reports before a run: the writer sees the size of the job first. */
export interface DatasetReport {
  files: string[];
  documents: number;
  words: number;
  tokens: number;
  trainTokens: number;
  valTokens: number;
  duplicateParagraphs: number;
  /** Steps the preset would run on this text, and a rough time for them on the current backend. */
  steps: number;
  estimatedSeconds: number;
  backend: string;
  /** Set when the text is small for the steps (the model would learn to copy it). */
  warning: string | null;
}

/**
 * Events of a training stream: 'started' first (only 'reading' events of the files'
 * first read may come before it), then progress (step and reading events are
 * throttled to about 4 a second), then exactly one 'done'; a failure (bad files,
 * a crashed training worker) ends the stream with an error instead.
 */
export type TrainingEvent =
  | { type: 'started'; runId: string; runDir: string; steps: number; preset: TrainPresetName; baseModelId: string }
  | { type: 'dataset'; documents: number; words: number; tokens: number; steps: number; estimatedSeconds: number }
  /**
   * Reading and tokenizing the manuscripts, before the first step: a few a second, then one at 100 %. Files are read twice
   * (to size the run, before 'started'; then by the run itself), so a bar may fill twice. fileIndex counts from 0; fileName
   * is a base name, never a path.
   */
  | { type: 'reading'; bytesRead: number; totalBytes: number; fileIndex: number; fileCount: number; fileName: string }
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number; lr: number; tokensPerSec: number; elapsedMs: number; etaMs: number }
  | { type: 'eval'; step: number; valLoss: number; valPerplexity: number; best: boolean }
  | { type: 'sample'; step: number; text: string; copyRate: number }
  | { type: 'checkpoint'; step: number }
  | { type: 'warning'; code: string; message: string }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  | {
      type: 'done';
      runId: string;
      reason: 'completed' | 'cancelled' | 'early-stopped';
      steps: number;
      message: string;
      /** The registered fine-tune; null when the run was cancelled before a checkpoint. */
      model: ModelInfo | null;
      perplexityBefore: number | null;
      perplexityAfter: number | null;
    };

/**
 * Uploading manuscripts to the main process (browser mode and Electron alike: a page never
 * learns a picked or dropped File's path). A file travels as base64 chunks of at most
 * STAGE_CHUNK_BYTES, in order, into <dataDir>/training-inbox/; its staged path then goes to
 * training.inspect / training.start like a typed one.
 */
export const STAGE_CHUNK_BYTES = 1024 * 1024;
/** Per file: a long novel is a few MB of text; a .docx with pictures can be much more. */
export const MAX_STAGED_FILE_BYTES = 100 * 1024 * 1024;
/** The whole inbox (staged files plus uploads in flight). */
export const MAX_INBOX_BYTES = 1024 * 1024 * 1024;
/** What the training reader can read (main/engine/train/text-extract.ts). */
export const TRAINING_FILE_EXTENSIONS = ['.txt', '.text', '.md', '.markdown', '.docx', '.odt'] as const;
const StageId = z.string().regex(/^[a-f0-9]{32}$/, 'a stage id is 32 hex digits');
const RunId = z.string().min(1).max(80);

/** The run in progress, for a window that reattaches (training.watch replays its events). */
export interface TrainingCurrent {
  runId: string;
  phase: 'preparing' | 'training' | 'paused';
  step: number;
  totalSteps: number;
  baseModelId: string;
  preset: TrainPresetName;
  files: string[];
}

/** A run folder the app can continue: it has a checkpoint and did not finish (training.resumable). */
export interface ResumableRun {
  runId: string;
  /** The name the fine-tune will get. */
  name: string;
  /** The step of its last checkpoint, and the run's planned steps. */
  step: number;
  totalSteps: number;
  /** ISO 8601: when its last checkpoint (or record) was written. */
  updatedAt: string;
  /** crashed: the training worker died; cancelled: the writer stopped it; interrupted: the app quit mid-run. */
  reason: 'crashed' | 'cancelled' | 'interrupted';
}
/** Run folders the app made: run-<date>-<time>-<hex> (newRunId); the only names resume and discard touch. */
const RunFolderId = z.string().regex(/^run-[A-Za-z0-9-]{1,76}$/, 'not a run id');

/** One checkpoint's sample of a fine-tune, from its run's metrics.jsonl. */
export interface CheckpointSample {
  step: number;
  /** The latest validation loss at or before this step; null when the run had no validation. */
  valLoss: number | null;
  text: string;
  /** Share of the sample's tokens that repeat the training text verbatim (0..1). */
  copyRate: number;
}

/** The native file dialog (Electron only; browser mode answers 'unsupported' and the page uploads instead). */
export type OpenFilesResult = { status: 'ok'; paths: string[] } | { status: 'cancelled' } | { status: 'unsupported' };

/** A call: request schema + response type. `response` is a phantom, used only for its type. */
interface CallDef<Req extends z.ZodType, Res> {
  kind: 'call';
  request: Req;
  response: Res;
}
/** A stream: request schema + event type; the final event carries the result. */
interface StreamDef<Req extends z.ZodType, Ev> {
  kind: 'stream';
  request: Req;
  event: Ev;
}

const call = <Res>() => <Req extends z.ZodType>(request: Req): CallDef<Req, Res> =>
  ({ kind: 'call', request, response: undefined as unknown as Res });
const stream = <Ev>() => <Req extends z.ZodType>(request: Req): StreamDef<Req, Ev> =>
  ({ kind: 'stream', request, event: undefined as unknown as Ev });

export const contract = {
  'app.info': call<AppInfo>()(Empty),

  'settings.get': call<Settings>()(Empty),
  /** Merges a partial update; the whole result is validated before anything is written. */
  'settings.set': call<Settings>()(SettingsSchema.partial().strict()),

  'documents.list': call<DocumentMeta[]>()(Empty),
  'documents.open': call<DocumentContent>()(z.object({ id: DocumentId }).strict()),
  /** Creates the document when `id` is absent; returns the saved metadata. */
  'documents.save': call<DocumentMeta>()(
    z
      .object({
        id: DocumentId.optional(),
        title: z.string().max(MAX_TITLE_CHARS).optional(),
        content: z.string().max(MAX_DOCUMENT_CHARS),
        /** Machine-written ranges of `content`; absent: none. Stored beside the file, never in it. */
        provenance: ProvenanceSchema.optional(),
      })
      .strict(),
  ),
  /** Records unsaved changes so that a crash loses nothing; cleared by the next save. */
  'documents.journal': call<{ ok: true }>()(
    z.object({ id: DocumentId, content: z.string().max(MAX_DOCUMENT_CHARS), provenance: ProvenanceSchema.optional() }).strict(),
  ),
  /** Moves the document to the trash; `stamp` names it there for documents.restore. */
  'documents.delete': call<{ ok: true; stamp: string }>()(z.object({ id: DocumentId }).strict()),
  /** Brings a deleted document back from the trash (under a new id if its old one was taken meanwhile). */
  'documents.restore': call<DocumentMeta>()(z.object({ id: DocumentId, stamp: TrashStamp }).strict()),
  /** Gives the document a title of its own; an empty title goes back to following its first line. */
  'documents.rename': call<DocumentMeta>()(z.object({ id: DocumentId, title: z.string().max(MAX_TITLE_CHARS) }).strict()),
  /** The document as a file to download; machine-written text is marked only when `provenance` is true. */
  'documents.export': call<ExportedFile>()(
    z.object({ id: DocumentId, format: z.enum(['md', 'docx']), provenance: z.boolean() }).strict(),
  ),
  /** Memory, author's note and generation settings of one document (defaults when none are stored). */
  'documents.getSettings': call<DocumentSettings>()(z.object({ id: DocumentId }).strict()),
  'documents.setSettings': call<DocumentSettings>()(z.object({ id: DocumentId, settings: DocumentSettingsSchema }).strict()),

  'engine.generate': stream<GenerateEvent>()(
    z
      .object({
        task: GenerateTask,
        /** For 'raw' and 'continue': the text before the caret. */
        context: z.string().max(MAX_PROMPT_CHARS),
        options: GenerateOptions.optional(),
        /** 'continue': always-on background, put first in the prompt (so the prefix cache survives typing). */
        memory: z.string().max(MAX_MEMORY_CHARS).optional(),
        /** 'continue': style guidance, inserted a few lines before the end of the text. */
        authorsNote: z.string().max(MAX_AUTHORS_NOTE_CHARS).optional(),
        /** 'outline': the structured brief; without it the context is the topic of a news story. */
        outline: OutlineRequest.optional(),
        /** 'ideas': the structured brief; without it the context is the premise. */
        ideas: IdeasRequest.optional(),
        /** Runs on this installed model instead of the active one (compare, a document bound to a model); unknown ids are not_found. */
        modelId: ModelId.optional(),
      })
      .strict(),
  ),
  /** Token counts of the parts of the next 'continue' prompt, for the context inspector. */
  'engine.countTokens': call<{ counts: number[]; model: string | null }>()(
    z.object({ texts: z.array(z.string().max(MAX_PROMPT_CHARS)).max(8) }).strict(),
  ),
  /** Cancels a running stream by the id its transport gave it; unknown ids are ignored. */
  'engine.cancel': call<{ cancelled: boolean }>()(z.object({ streamId: z.string().min(1).max(64) }).strict()),
  'models.list': call<ModelInfo[]>()(Empty),
  'models.catalogue': call<CatalogueItem[]>()(Empty),
  'models.setActive': call<ModelInfo>()(z.object({ id: ModelId }).strict()),
  'models.rename': call<ModelInfo>()(z.object({ id: ModelId, name: z.string().trim().min(1).max(MAX_TITLE_CHARS) }).strict()),
  /** Moves the model folder to the trash folder; the built-in model cannot be deleted. */
  'models.delete': call<{ ok: true }>()(z.object({ id: ModelId }).strict()),
  /** Validates a Hugging Face GPT-2 folder (or a .tar or .zip of one), then copies it in. */
  'models.import': call<ModelInfo>()(z.object({ path: UserPath, name: z.string().trim().min(1).max(MAX_TITLE_CHARS).optional() }).strict()),
  /** Writes the model in HF layout with a model card to a new folder (or an archive when the path ends in .tar or .zip). */
  'models.export': call<{ path: string }>()(z.object({ id: ModelId, path: UserPath }).strict()),
  /** Forgets the partial files of an interrupted download. */
  'models.discardDownload': call<{ ok: true }>()(z.object({ name: z.string().min(1).max(80) }).strict()),
  /** Downloads a catalogue model; cancelling (engine.cancel with the stream id) pauses it: the next call resumes. */
  'models.download': stream<DownloadEvent>()(z.object({ name: z.string().min(1).max(80) }).strict()),
  /** Reads and tokenizes the files (in the training worker) and reports their size and the run's rough time. */
  'training.inspect': call<DatasetReport>()(
    z.object({ files: z.array(UserPath).min(1).max(MAX_TRAINING_FILES), baseModelId: ModelId.optional(), preset: TrainPreset.optional() }).strict(),
  ),
  /** Fine-tunes a model in its own worker (one run at a time); the result is registered as a new model. */
  'training.start': stream<TrainingEvent>()(
    z
      .object({
        files: z.array(UserPath).min(1).max(MAX_TRAINING_FILES),
        baseModelId: ModelId,
        preset: TrainPreset,
        name: z.string().trim().min(1).max(MAX_TITLE_CHARS).optional(),
        overrides: TrainOverrides.optional(),
      })
      .strict(),
  ),
  /** Pause takes effect between steps; cancel keeps the last checkpoint. Unknown run ids are not_found. */
  'training.pause': call<{ ok: true }>()(z.object({ runId: z.string().min(1).max(80) }).strict()),
  'training.resume': call<{ ok: true }>()(z.object({ runId: z.string().min(1).max(80) }).strict()),
  'training.cancel': call<{ ok: true }>()(z.object({ runId: z.string().min(1).max(80) }).strict()),
  /** The running run (null when none): a reloaded window reattaches with training.watch. */
  'training.current': call<TrainingCurrent | null>()(Empty),
  /** Replays the run's events so far (from the service's memory), then streams the rest; cancelling only detaches. */
  'training.watch': stream<TrainingEvent>()(z.object({ runId: RunId }).strict()),
  /** Runs with a checkpoint that did not finish (crashed, cancelled, or the app quit), newest first. */
  'training.resumable': call<ResumableRun[]>()(Empty),
  /** Continues such a run from its last checkpoint with its recorded files and settings; the same events as training.start. */
  'training.resumeRun': stream<TrainingEvent>()(z.object({ runId: RunFolderId }).strict()),
  /** Deletes a resumable run's folder (checkpoints included); a running or finished run is refused. */
  'training.discard': call<{ ok: true }>()(z.object({ runId: RunFolderId }).strict()),
  /** Opens an upload; the name is sanitised (the answer has the name it will get). */
  'training.stageBegin': call<{ stageId: string; name: string }>()(
    z.object({ name: z.string().min(1).max(1024), size: z.number().int().min(0).max(MAX_STAGED_FILE_BYTES) }).strict(),
  ),
  /** Chunk `index` (0, 1, 2… in order) of at most STAGE_CHUNK_BYTES, base64. */
  'training.stageChunk': call<{ received: number }>()(
    z
      .object({
        stageId: StageId,
        index: z.number().int().min(0).max(Math.ceil(MAX_STAGED_FILE_BYTES / STAGE_CHUNK_BYTES)),
        base64: z.string().max(Math.ceil(STAGE_CHUNK_BYTES / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64'),
      })
      .strict(),
  ),
  /** Checks the size (and the sha256 when given), then moves the file into place atomically. */
  'training.stageEnd': call<{ path: string; name: string; size: number }>()(
    z.object({ stageId: StageId, sha256: z.string().regex(/^[a-f0-9]{64}$/).optional() }).strict(),
  ),
  /** Drops an upload and its partial file; unknown ids are ignored. */
  'training.stageCancel': call<{ ok: true }>()(z.object({ stageId: StageId }).strict()),
  /** "Samples by step" of a fine-tune: one per checkpoint sample of its run ([] for models without a run). */
  'models.samples': call<CheckpointSample[]>()(z.object({ id: ModelId }).strict()),
  /** Electron: the native open dialog for manuscripts. Browser mode: 'unsupported'. */
  'dialog.openFiles': call<OpenFilesResult>()(z.object({ purpose: z.literal('training') }).strict()),
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type CallChannel = { [K in Channel]: Contract[K]['kind'] extends 'call' ? K : never }[Channel];
export type StreamChannel = { [K in Channel]: Contract[K]['kind'] extends 'stream' ? K : never }[Channel];

export type RequestOf<C extends Channel> = z.input<Contract[C]['request']>;
export type ParsedRequestOf<C extends Channel> = z.output<Contract[C]['request']>;
export type ResponseOf<C extends CallChannel> = Contract[C] extends CallDef<z.ZodType, infer R> ? R : never;
export type EventOf<C extends StreamChannel> = Contract[C] extends StreamDef<z.ZodType, infer E> ? E : never;

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name);
}

/** Expected failures travel as data, never as thrown errors across a process boundary. */
export type ErrorCode =
  | 'unknown_channel'
  | 'invalid_payload'
  | 'not_found'
  | 'conflict'
  | 'io_error'
  | 'engine_crashed'
  | 'engine_error'
  | 'no_model'
  | 'aborted'
  | 'unauthorized'
  | 'internal'
  | 'invalid_model'
  | 'download_failed'
  | 'checksum_mismatch'
  | 'disk_full';

export interface ApiError {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/**
 * The API the renderer sees as `window.inkwell` (Electron) or gets from the
 * WebSocket client (browser mode). Calls resolve to a Result; streams deliver
 * events to a listener and return a handle to cancel them.
 */
export interface InkwellApi {
  call<C extends CallChannel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>>;
  stream<C extends StreamChannel>(
    channel: C,
    request: RequestOf<C>,
    onEvent: (event: EventOf<C>) => void,
  ): StreamHandle<C>;
}

export interface StreamHandle<C extends StreamChannel = StreamChannel> {
  /** Resolves with the final result: the last event, or an error. */
  readonly done: Promise<Result<EventOf<C>>>;
  cancel(): void;
}
