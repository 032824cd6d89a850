/**
 * The experiment spec schema (zod). Field names follow PEFT (`rank` = r, `alpha` = lora_alpha,
 * `dropout` = lora_dropout, `targetModules` = target_modules) and W&B sweeps (`strategy` = method,
 * `parameters`, `values`, `distribution`, `min`, `max`, `q`).
 *
 * Unknown keys are errors everywhere (`.strict()`), so a typo such as `learning_rate` is caught.
 */
import { z } from 'zod';
// The model stage owns its vocabulary (which methods exist, which modules LoRA may target); the
// schema validates spec names against it (experiment -> model).
import { LORA_TARGETS, METHODS, type Method } from '../model/names.js';

export { METHODS, type Method };

/** Learning-rate decay after warmup (a pure function of the step, see src/train/schedule.ts). */
export const SCHEDULES = ['cosine', 'linear', 'constant'] as const;

/**
 * Hyperparameters of one training run. Every field has a default; a sweep overrides some of them.
 */
export const paramsSchema = z
  .object({
    /** LoRA rank r (PEFT `r`). Default 8. */
    rank: z.number().int().positive().default(8),
    /** LoRA alpha (PEFT `lora_alpha`); scaling = alpha / rank. Default: 2 x rank (resolved per variant). */
    alpha: z.number().positive().optional(),
    /** Dropout probability on the adapter input (PEFT `lora_dropout`), in [0, 1): 1 would drop every input. Default 0.05. */
    dropout: z.number().min(0).lt(1).default(0.05),
    /** Modules that get adapters. Default `['c_attn']`, as PEFT's GPT-2 default. */
    targetModules: z.array(z.enum(LORA_TARGETS)).min(1).default(['c_attn']),
    /** rsLoRA scaling alpha / sqrt(rank) instead of alpha / rank (Kalajdzievski 2023). Default false. */
    useRslora: z.boolean().default(false),
    /** Peak learning rate for AdamW. Default 2e-4 (a common LoRA default; full fine-tuning wants less). */
    learningRate: z.number().positive().default(2e-4),
    /** Passes over the training split. Default 3. */
    epochs: z.number().int().positive().default(3),
    /** Sequences per micro-batch. Default 8. */
    batchSize: z.number().int().positive().default(8),
    /** Micro-batches per optimizer step. Default 1. */
    gradientAccumulation: z.number().int().positive().default(1),
    /** Linear warmup steps (optimizer steps). Default 10. */
    warmupSteps: z.number().int().min(0).default(10),
    /** Decay after warmup. Default cosine. */
    schedule: z.enum(SCHEDULES).default('cosine'),
    /** AdamW decoupled weight decay (Loshchilov & Hutter 2019). Default 0. */
    weightDecay: z.number().min(0).default(0),
    /** Global-norm gradient clipping; 0 disables. Default 1.0. */
    maxGradNorm: z.number().min(0).default(1.0),
    /** Sequences longer than this (prompt + completion, in tokens) are truncated from the left of the prompt. Default 256. */
    maxSeqLen: z.number().int().positive().default(256),
    /** Validation every N optimizer steps (and at each epoch end). Default 25. */
    evalEvery: z.number().int().positive().default(25),
    /** Seed for initialisation, dropout and data order. Default 42. */
    seed: z.number().int().min(0).default(42),
  })
  .strict();
export type Params = z.output<typeof paramsSchema>;
export type ParamsInput = z.input<typeof paramsSchema>;

/** A W&B-style distribution for the random strategy. */
export const distributionSchema = z
  .object({
    distribution: z.enum(['uniform', 'log_uniform', 'log_uniform_values', 'int_uniform', 'q_uniform', 'q_log_uniform_values', 'categorical']),
    min: z.number().optional(),
    max: z.number().optional(),
    q: z.number().positive().optional(),
    values: z.array(z.any()).optional(),
  })
  .strict();
export type Distribution = z.output<typeof distributionSchema>;

/** What a derived sweep parameter's function receives: every resolved parameter so far, and the method. */
export type ResolvedSoFar = Omit<z.output<typeof paramsSchema>, 'alpha'> & { alpha?: number; method: Method };

/** A sweep parameter: a list of values, a distribution, or a function of the other resolved parameters. */
export type SweepParameter = unknown[] | z.input<typeof distributionSchema> | ((resolved: ResolvedSoFar) => unknown);

export const sweepSchema = z
  .object({
    /**
     * `grid`: the cartesian product in declaration order; `random`: seeded draws; `bayes`: seeded
     * sequential model-based search (TPE, src/experiment/tpe.ts) proposing each variant from the
     * validation objective of the runs so far (needs runCap).
     */
    strategy: z.enum(['grid', 'random', 'bayes']).default('grid'),
    /** Parameter name -> values | distribution | function of the others. Names are `params` fields or `method`. */
    parameters: z.record(z.string(), z.any()).default({}),
    /** Maximum number of variants (required for random sweeps over continuous distributions). */
    runCap: z.number().int().positive().optional(),
    /** Seed of the random strategy. Default 0. */
    seed: z.number().int().min(0).default(0),
    /**
     * Stop bad variants early (src/experiment/hyperband.ts): `{ type: 'hyperband', minIter, eta?, maxIter? }`,
     * brackets at minIter * eta^k validation evaluations; a run worse than the best 1/eta of the runs
     * at its bracket (on validation loss) ends with status `stopped`. Default: none.
     */
    earlyTerminate: z
      .object({
        type: z.literal('hyperband'),
        /** First bracket, in validation evaluations. */
        minIter: z.number().int().positive(),
        /** Bracket spacing; the best 1/eta of the runs at a bracket go on. Default 3 (W&B's). */
        eta: z.number().gt(1).default(3),
        /** No bracket beyond this many validation evaluations. */
        maxIter: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const earlyStoppingSchema = z
  .object({
    /** Metric watched; only validation loss is available during training. */
    metric: z.enum(['val_loss']).default('val_loss'),
    /** Evaluations without improvement before stopping. Default 3. */
    patience: z.number().int().positive().default(3),
    /**
     * An improvement of at most this much does not reset patience (it still becomes the best
     * checkpoint, as HF's Trainer + EarlyStoppingCallback early_stopping_threshold). Default 0.
     */
    minDelta: z.number().min(0).default(0),
  })
  .strict();

/** Names of spec-defined subjects (baselines, extra models): what `fte compare` and the store call them. */
const SUBJECT_NAME = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'a letter, then letters, digits, _, . and -')
  .refine((n) => n !== 'finetuned' && n !== 'majority', 'finetuned and majority are reserved subject names');

/** An absolute http(s) URL with a host and no user:password part. */
function isPlainHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && u.username === '' && u.password === '' && !/\s/.test(s);
  } catch {
    return false;
  }
}

/** An OpenAI-compatible endpoint (src/providers/types.ts `OpenAIProviderSpec`). */
export const openaiProviderSchema = z
  .object({
    type: z.literal('openai'),
    /** e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama), `http://127.0.0.1:8000/v1` (vLLM, fte serve). */
    baseURL: z.string().refine(isPlainHttpUrl, 'an http(s) URL without credentials, such as http://127.0.0.1:8000/v1 (a key goes in apiKeyEnv)'),
    /** The endpoint's model name. */
    model: z.string().min(1),
    /** Environment variable holding the API key (read at run time, never stored or printed). */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    /** Requests in flight at once. Default 4. */
    concurrency: z.number().int().positive().max(256).optional(),
    /** Per-request timeout, milliseconds. Default 60000. */
    timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
    /** Retries on 408/409/429/5xx, connection errors and timeouts (exponential backoff, Retry-After honoured). Default 4. */
    maxRetries: z.number().int().min(0).max(20).optional(),
  })
  .strict();

/** The in-process model: the spec's base model, or `checkpoint` (a LoRA/QLoRA adapter or full checkpoint folder over it). */
export const localProviderSchema = z
  .object({
    type: z.literal('local'),
    /** A checkpoint folder (adapter_config.json + adapter_model.safetensors, or config.json + model.safetensors); default: the base model. */
    checkpoint: z.string().min(1).optional(),
  })
  .strict();

export const providerSchema = z.discriminatedUnion('type', [localProviderSchema, openaiProviderSchema]);

export const BASELINE_KINDS = ['base', 'prompting', 'rag'] as const;
export const PROMPTS = ['zero_shot', 'few_shot', 'rag'] as const;

/** A baseline: a kind name (the local base model), or an object naming its provider. */
export const baselineSchema = z.union([
  z.enum(BASELINE_KINDS),
  z
    .object({
      kind: z.enum(BASELINE_KINDS),
      /** Subject name (default: the kind). Needed when two baselines share a kind. */
      name: SUBJECT_NAME.optional(),
      /** Demonstrations (prompting) or retrieved examples (rag). Default: `fewShotK` / `ragK`. */
      k: z.number().int().min(0).optional(),
      provider: providerSchema.default({ type: 'local' }),
      /** System message (default: `evaluate.system` for API providers, none for local ones). */
      system: z.string().optional(),
    })
    .strict(),
]);

/** An extra model to evaluate as its own subject (`fte eval`, or beside a sweep's baselines). */
export const modelSubjectSchema = z
  .object({
    name: SUBJECT_NAME,
    provider: providerSchema,
    /** How it is prompted. Default `zero_shot` (a fine-tuned model needs no demonstrations). */
    prompt: z.enum(PROMPTS).default('zero_shot'),
    k: z.number().int().min(0).optional(),
    system: z.string().optional(),
  })
  .strict();

/** The default system message of API subjects: chat models otherwise explain their answers. */
export const DEFAULT_API_SYSTEM = 'Reply with the answer only, in the format of the examples: no explanation, no preamble.';

export const evaluateSchema = z
  .object({
    /** Metric names from the metric registry (src/eval/metrics). Default: all that apply to each slice. */
    metrics: z.array(z.string()).optional(),
    /** Robustness perturbations by registry name (HELM). Default: typos, lowercase, spaces, contractions. */
    perturbations: z.array(z.string()).default(['typos', 'lowercase', 'spaces', 'contractions']),
    /**
     * Baselines: `base` (zero-shot), `prompting` (few-shot), `rag` (BM25-retrieved demonstrations), by
     * name (the local base model) or as `{ kind, name?, k?, provider, system? }`. Default all three, local.
     */
    baselines: z.array(baselineSchema).default(['base', 'prompting', 'rag']),
    /** Extra models evaluated as subjects of their own (each through a provider). Default none. */
    models: z.array(modelSubjectSchema).default([]),
    /** System message of API subjects that set none. Default `DEFAULT_API_SYSTEM`; '' for none. */
    system: z.string().optional(),
    /** Use the response cache kept with the store (a re-run sends no request twice). Default true; `--no-cache` turns it off. */
    cache: z.boolean().default(true),
    /** Few-shot examples for the prompting baseline. Default 3. */
    fewShotK: z.number().int().min(0).default(3),
    /** Retrieved examples for the RAG baseline. Default 3. */
    ragK: z.number().int().min(0).default(3),
    /** Greedy decoding budget in tokens. Default 48. */
    maxNewTokens: z.number().int().positive().default(48),
    /** Test examples evaluated (all when absent). */
    limit: z.number().int().positive().optional(),
    /**
     * Forgetting: general held-out text every variant and the base model are scored on (perplexity,
     * bits per byte, the change vs the base with a paired test; slice `general`). A `.jsonl` file (a
     * string or `{ text }` per line) or a text file (passages separated by blank lines), resolved like
     * `dataset`; `false` turns it off. Default: the built-in base model's held-out pretraining passages.
     */
    general: z.union([z.literal(false), z.string().min(1)]).optional(),
    /**
     * Out-of-distribution test examples, scored by every subject as the split `ood` (metrics,
     * intervals, robustness per slice, beside the in-distribution test split): a JSONL dataset file
     * resolved like `dataset` (rows in any dataset format; prompts also in train/val/test are left
     * out), or `false` for none. Default: the dataset's own OOD split (rows marked `"ood": true`, or
     * a suite's `ood` section, as the built-in e-mail suite has), if any.
     */
    ood: z.union([z.literal(false), z.string().min(1)]).optional(),
    /** Passages of the general text scored (evenly spaced over the set). Default 128. */
    generalPassages: z.number().int().positive().optional(),
    /** Seed of the perturbations. Default 1. */
    seed: z.number().int().min(0).default(1),
    /** 95% intervals of every stored metric: percentile bootstrap over the evaluated examples. */
    bootstrap: z
      .object({
        /** Resamples. Default 1000. */
        resamples: z.number().int().positive().default(1000),
        /** Seed of the resampling. Default 12345. */
        seed: z.number().int().min(0).default(12345),
      })
      .strict()
      .default({ resamples: 1000, seed: 12345 }),
  })
  .strict()
  .superRefine((e, ctx) => {
    const seen = new Map<string, string>();
    const check = (name: string, path: (string | number)[]) => {
      const first = seen.get(name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path, message: `a subject name not already used by evaluate.${first} (give one of them a distinct \`name\`)` });
      else seen.set(name, path.join('.').replace(/\.(\d+)/g, '[$1]'));
    };
    e.baselines.forEach((b, i) => check(typeof b === 'string' ? b : (b.name ?? b.kind), ['baselines', i]));
    e.models.forEach((m, i) => check(m.name, ['models', i]));
  });

/**
 * People's time and data for one approach (`cost.effort.<approach>`), priced at `cost.hourlyRateUsd`
 * and `cost.labellingUsdPerExample`. Every field is optional and unset means "not given" (counted 0
 * and reported as not set), never an invented figure.
 */
export const effortSchema = z
  .object({
    /** One-off hours to build it: training pipeline and data handling, prompt design, retrieval index. */
    engineeringHours: z.number().min(0).optional(),
    /** One-off hours of evaluation and QA before it goes live. */
    evaluationHours: z.number().min(0).optional(),
    /** Hours per month to keep it working (monitoring, prompt or index upkeep, incidents). */
    maintenanceHoursPerMonth: z.number().min(0).optional(),
    /** Examples labelled for it (one-off), at `cost.labellingUsdPerExample`. */
    labelledExamples: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * The benefit side of the ROI (`cost.value`), per request. The quality metric is read as the share of
 * requests answered correctly (a fraction in [0, 1], higher is better), so
 *   value per request = q x usdPerCorrect - (1 - q) x errorCost + reviewMinutesSavedPerRequest / 60 x reviewerUsdPerHour
 * with errorCost = escalatedErrorShare x usdPerEscalation + (1 - escalatedErrorShare) x usdPerError.
 * Unset fields count 0.
 */
export const valueSchema = z
  .object({
    /** What a correct answer is worth, USD. */
    usdPerCorrect: z.number().min(0).optional(),
    /** What a wrong answer that goes unnoticed costs, USD. */
    usdPerError: z.number().min(0).optional(),
    /** What a wrong answer caught and handed to a person costs, USD. */
    usdPerEscalation: z.number().min(0).optional(),
    /** Share of wrong answers that are caught and escalated (0..1); the rest cost `usdPerError`. Needed with `usdPerEscalation`. */
    escalatedErrorShare: z.number().min(0).max(1).optional(),
    /** Minutes of human review each automated request saves. */
    reviewMinutesSavedPerRequest: z.number().min(0).optional(),
    /** Loaded hourly cost of the reviewer, USD. Needed with `reviewMinutesSavedPerRequest`. */
    reviewerUsdPerHour: z.number().min(0).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.usdPerEscalation !== undefined && v.escalatedErrorShare === undefined) {
      ctx.addIssue({ code: 'custom', path: ['escalatedErrorShare'], message: 'a share in [0, 1] of wrong answers escalated, to use usdPerEscalation' });
    }
    if (v.reviewMinutesSavedPerRequest !== undefined && v.reviewerUsdPerHour === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reviewerUsdPerHour'], message: 'a number (USD per hour) to price reviewMinutesSavedPerRequest' });
    }
  });

export const costSchema = z
  .object({
    /** Device the runs are priced on, a key of the price table (src/cost/prices). Default: measured device. */
    device: z.string().optional(),
    /** Device a production training run would use, for the "what would it cost there" figure. */
    targetDevice: z.string().default('A100-80GB'),
    /**
     * API model that prices an API-evaluated baseline whose model has no price entry (e.g. one served
     * by `fte serve`). Locally evaluated baselines are priced as served on `servingDevice`; `fte roi
     * --api-model` is the what-if that prices them as API calls.
     */
    apiModel: z.string().default('gpt-4o-mini'),
    /** Price overrides: key -> partial entry (see src/cost/prices). */
    prices: z.record(z.string(), z.any()).default({}),
    /** Requests per month for the ROI view. Default 100,000. */
    monthlyRequests: z.number().positive().default(100_000),
    /** Amortisation horizon in months. Default 12. */
    months: z.number().positive().default(12),
    /** Monthly fixed cost of the RAG index (vector/BM25 store), USD. Default 70. */
    ragIndexMonthlyUsd: z.number().min(0).default(70),
    /** One-off data preparation cost, USD (labelling, review). Default 0. */
    dataPreparationUsd: z.number().min(0).default(0),
    /** Devices the runs used (cores for `cpu-core`). Default: measured (1 for the tfjs CPU/WASM backends). */
    deviceCount: z.number().int().positive().optional(),
    /** Devices a production training run would use on `targetDevice`. Default 1. */
    targetDeviceCount: z.number().int().positive().default(1),
    /**
     * Device the self-hosted approaches (the fine-tuned model; prompting and RAG evaluated locally) are
     * served on, a price-table key. Default: by model size (src/cost/serving.ts): one CPU core up to
     * `cpuServingMaxParams`, else the cheapest device whose memory holds the model.
     */
    servingDevice: z.string().optional(),
    /** Measured or vendor serving throughput of the fine-tuned model on `servingDevice`, tokens/s. Default: from FLOPs x `servingMfu`. */
    servingThroughputTokensPerSecond: z.number().positive().optional(),
    /**
     * Model FLOPs utilisation assumed for training on `targetDevice` (PaLM's MFU). Default 0.3: below the
     * 46% PaLM reports for large-scale pre-training and the ~40-50% Megatron-LM reports, because
     * fine-tuning runs use small batches and short sequences.
     */
    trainingMfu: z.number().positive().max(1).default(0.3),
    /**
     * Model FLOPs utilisation assumed for serving where the evaluation did not measure the throughput on
     * the serving device. Default 0.1: autoregressive decoding reads every weight once per generated
     * token, so it is memory-bound and batched serving reaches about a tenth of peak tensor throughput
     * (the roofline argument of Pope et al. 2022, "Efficiently Scaling Transformer Inference").
     */
    servingMfu: z.number().positive().max(1).default(0.1),
    /** Price the fine-tuned model as a hosted fine-tuned API model (a price-table key such as `gpt-4o-mini-ft`) instead of self-hosting. */
    hostedFinetunedModel: z.string().optional(),
    /** Self-hosted serving devices kept on 24/7 (730 h/month) whatever the volume: the floor of the fine-tuned model's serving cost; 0 = pay only for the tokens served (serverless). Default 1. */
    servingAlwaysOnDevices: z.number().int().min(0).default(1),
    /** System-prompt tokens added to every prompting and RAG request (beyond the measured prompt). Default 0. */
    systemPromptTokens: z.number().int().min(0).default(0),
    /**
     * Loaded cost of an hour of the people who build, evaluate and maintain an approach (salary,
     * overheads), USD. No default: hours in `effort` need it.
     */
    hourlyRateUsd: z.number().min(0).optional(),
    /** Cost of labelling one example, USD (`effort.<approach>.labelledExamples` need it). No default. */
    labellingUsdPerExample: z.number().min(0).optional(),
    /**
     * People's time per approach (`finetuned`, `prompting`, `rag`). Nothing is assumed: an unset
     * figure counts as 0 and the ROI lists it as "not set", because no default would be honest.
     */
    effort: z
      .object({ finetuned: effortSchema.optional(), prompting: effortSchema.optional(), rag: effortSchema.optional() })
      .strict()
      .default({}),
    /** Fine-tuning is repeated every this many months (data drift, new labels). Unset: never retrained. */
    retrainEveryMonths: z.number().positive().optional(),
    /** USD of each retraining. Default: one training run of the priced variant at the prices in force. */
    retrainUsd: z.number().min(0).optional(),
    /**
     * Optional. Nothing set: the ROI compares costs and quality only. See `valueSchema`.
     */
    value: valueSchema.optional(),
    /**
     * Serving assumptions, documented where they are used (src/cost/serving.ts): the memory a served
     * model needs per parameter, and the largest model a single CPU core serves by default.
     */
    servingBytesPerParam: z.number().positive().default(2),
    /** Memory headroom over the weights for the KV cache and activations, as a fraction of the weights. Default 0.2. */
    servingMemoryOverhead: z.number().min(0).default(0.2),
    /** Models up to this many parameters are served on a CPU core by default (`servingDevice` unset). Default 1e8. */
    cpuServingMaxParams: z.number().positive().default(1e8),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const a of ['finetuned', 'prompting', 'rag'] as const) {
      const e = c.effort[a];
      if (!e) continue;
      for (const k of ['engineeringHours', 'evaluationHours', 'maintenanceHoursPerMonth'] as const) {
        if (e[k] !== undefined && e[k] > 0 && c.hourlyRateUsd === undefined) {
          ctx.addIssue({ code: 'custom', path: ['hourlyRateUsd'], message: `a number (USD per hour) to price effort.${a}.${k}` });
        }
      }
      if (e.labelledExamples !== undefined && e.labelledExamples > 0 && c.labellingUsdPerExample === undefined) {
        ctx.addIssue({ code: 'custom', path: ['labellingUsdPerExample'], message: `a number (USD per example) to price effort.${a}.labelledExamples` });
      }
    }
  });

export const experimentSchema = z
  .object({
    /** Experiment name: letters, digits, `-`, `_`. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, - and _ only'),
    description: z.string().default(''),
    /** Base model: a folder with `config.json` + `model.safetensors` (relative to the spec file or cwd). */
    model: z.object({ base: z.string().min(1) }).strict(),
    /** An eval suite folder (with suite.json) or a JSONL file. */
    dataset: z.string().min(1),
    method: z.enum(METHODS).default('lora'),
    params: paramsSchema.default(paramsSchema.parse({})),
    sweep: sweepSchema.default(sweepSchema.parse({})),
    earlyStopping: earlyStoppingSchema.default(earlyStoppingSchema.parse({})),
    evaluate: evaluateSchema.default(evaluateSchema.parse({})),
    cost: costSchema.default(costSchema.parse({})),
    /** What "best variant" means: a metric key `<slice>/<metric>` (e.g. `classify/f1_macro`) or `val_loss`/`perplexity`. */
    objective: z
      .object({ metric: z.string().min(1).default('val_loss'), goal: z.enum(['minimize', 'maximize']).default('minimize') })
      .strict()
      .default({ metric: 'val_loss', goal: 'minimize' }),
    /**
     * Run the variants on `fte worker`s through a Redis queue: `redis://[:PASSWORD@]HOST:PORT[/DB]`
     * (checked by src/run/queue/url.ts, which never prints the password). `fte sweep --queue` and
     * `FTE_QUEUE` take precedence. Where the variants run is no part of the experiment: it is left
     * out of the sweep's stored spec, so a queued and a local run of one spec resume each other.
     */
    queue: z.string().min(1).optional(),
  })
  .strict();

/**
 * What a spec file writes (defaults optional). `sweep.parameters` is typed so that a derived
 * parameter's function sees typed values: `alpha: ({ rank }) => 2 * rank`.
 */
export type ExperimentSpecInput = Omit<z.input<typeof experimentSchema>, 'sweep'> & {
  sweep?: Omit<z.input<typeof sweepSchema>, 'parameters'> & { parameters?: Record<string, SweepParameter> };
};
export type ExperimentSpec = z.output<typeof experimentSchema>;
