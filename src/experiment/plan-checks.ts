/**
 * Checks that need more than the spec itself, run when a sweep is planned (so `fte sweep --dry-run`
 * catches them before any training): the base model's `config.json` (context length, target-module
 * dimensions) and the dataset's tasks (which metrics the objective may name). Both read small files
 * only: no TensorFlow.js, no data preparation. A model folder or dataset that does not exist yet is
 * skipped here (a dry run still works); the run itself refuses it.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonlFile } from '../data/read.js';
import { loadSuiteDescription, resolveSuiteDir } from '../data/suites/suite.js';
import type { Example } from '../data/example.js';
import { METRIC_NAMES } from '../eval/metrics/registry.js';
import { inferSliceKinds, producedMetricKeys, type SliceKind } from '../eval/slices.js';
import { modelTypeOf, readConfig, targetModuleShapes, type ModelConfig } from '../model/config.js';
import { UserInputError } from '../errors.js';
import { evaluationSubjects } from './subjects.js';
import { didYouMean, SpecError } from './errors.js';
import type { ExperimentSpec } from './schema.js';
import type { Variant } from './sweep.js';

/** What the checks read: the spec, its resolved paths (as the user may read them) and its variants. */
export interface PlanCheckInput {
  spec: ExperimentSpec;
  baseModelDir: string;
  /** The base model folder for messages. */
  baseModelLabel: string;
  datasetPath: string;
  variants: readonly Variant[];
}

/**
 * Check the spec against the base model and the dataset.
 * @throws SpecError (no file name; the caller adds it) naming the field: `evaluate.maxNewTokens`,
 *   `params.rank` / `sweep.parameters.rank[i]`, `objective.metric`, `model.base`, `dataset`.
 */
export async function checkPlan(input: PlanCheckInput): Promise<void> {
  const config = await modelConfig(input.baseModelDir);
  if (config) checkModelLimits(input, config);
  checkObjective(input.spec, await sliceKinds(input.spec, input.datasetPath));
  checkSubjects(input.spec);
}

/**
 * Every baseline's and extra model's provider can be opened: a local checkpoint folder holds a
 * checkpoint; an API provider's key variable is set (its value is never read into a message).
 */
export function checkSubjects(spec: ExperimentSpec, env: Record<string, string | undefined> = process.env): void {
  for (const s of evaluationSubjects(spec.evaluate)) {
    const p = s.provider;
    if (p.type === 'local' && p.checkpoint) {
      if (!['adapter_config.json', 'model.safetensors', 'model.safetensors.index.json'].some((f) => existsSync(join(p.checkpoint!, f)))) {
        throw new SpecError(undefined, `${s.field}.provider.checkpoint`, `${p.checkpoint}: not a checkpoint folder (no adapter_config.json or model.safetensors)`);
      }
    }
    if (p.type === 'openai' && p.apiKeyEnv && !env[p.apiKeyEnv]) {
      throw new SpecError(undefined, `${s.field}.provider.apiKeyEnv`, `environment variable ${p.apiKeyEnv} is not set`);
    }
  }
}

async function modelConfig(dir: string): Promise<ModelConfig | undefined> {
  if (!existsSync(join(dir, 'config.json'))) return undefined;
  try {
    return await readConfig(dir);
  } catch (err) {
    if (err instanceof UserInputError) throw new SpecError(undefined, 'model.base', err.message);
    throw err;
  }
}

/**
 * Decoding budget within the context; every LoRA target a module of the base's architecture (PEFT
 * names, or `all-linear`); LoRA rank within the smallest dimension of every target module.
 */
function checkModelLimits(input: PlanCheckInput, config: ModelConfig): void {
  const { spec, baseModelLabel: model } = input;
  if (spec.evaluate.maxNewTokens >= config.nCtx) {
    throw new SpecError(undefined, 'evaluate.maxNewTokens', `expected an integer < ${config.nCtx} (the context length of ${model}), got ${spec.evaluate.maxNewTokens}`);
  }
  const shapes = targetModuleShapes(config);
  const known = Object.keys(shapes);
  for (const v of input.variants) {
    if (v.method === 'full') continue;
    const bad = v.params.targetModules.find((t) => t !== 'all-linear' && !known.includes(t));
    if (bad !== undefined) {
      const field = (spec.sweep.parameters as Record<string, unknown>).targetModules !== undefined ? 'sweep.parameters.targetModules' : 'params.targetModules';
      const hint = bad === 'c_attn' && modelTypeOf(config) !== 'gpt2' ? ' (c_attn is the default, GPT-2\'s)' : '';
      throw new SpecError(undefined, field, `'${bad}'${hint} is not a linear module of ${model} (model_type ${modelTypeOf(config)}); known: ${known.join(', ')}, all-linear`);
    }
    const targets = v.params.targetModules.includes('all-linear') ? known : v.params.targetModules;
    const limit = Math.min(...targets.map((t) => Math.min(...shapes[t]!)));
    if (v.params.rank <= limit) continue;
    throw new SpecError(undefined, rankField(spec, v.params.rank), `expected an integer <= ${limit} (the smallest dimension of the target modules of ${model}), got ${v.params.rank}`);
  }
}

/** Where a variant's rank came from: the sweep's list entry, the sweep's function, or `params.rank`. */
function rankField(spec: ExperimentSpec, rank: number): string {
  const def = (spec.sweep.parameters as Record<string, unknown>).rank;
  if (def === undefined) return 'params.rank';
  if (Array.isArray(def)) return `sweep.parameters.rank[${def.indexOf(rank)}]`;
  const values = (def as { values?: unknown[] }).values;
  if (Array.isArray(values) && values.includes(rank)) return `sweep.parameters.rank.values[${values.indexOf(rank)}]`;
  return 'sweep.parameters.rank';
}

/** Category -> slice kind of the dataset, or undefined when it cannot be read cheaply (not there yet). */
async function sliceKinds(spec: ExperimentSpec, datasetPath: string): Promise<Map<string, SliceKind> | undefined> {
  try {
    const suiteDir = resolveSuiteDir(datasetPath) ?? resolveSuiteDir(spec.dataset);
    if (suiteDir) return new Map(loadSuiteDescription(suiteDir).suite.tasks.map((t) => [t.category, t.kind]));
    if (!existsSync(datasetPath)) return undefined;
    if (statSync(datasetPath).isDirectory()) {
      if (!existsSync(join(datasetPath, 'manifest.json'))) return undefined;
      const { readPreparedSplit } = await import('../data/index.js');
      return inferSliceKinds(readPreparedSplit(join(datasetPath, 'test.jsonl')), readPreparedSplit(join(datasetPath, 'train.jsonl')));
    }
    const rows: Example[] = readJsonlFile(datasetPath).rows.flatMap((r) => (r.ok ? [r.example] : []));
    return inferSliceKinds(rows, []);
  } catch (err) {
    if (err instanceof UserInputError) throw new SpecError(undefined, 'dataset', err.message);
    throw err;
  }
}

/**
 * The objective must be `val_loss` or a metric the evaluation reports for this task: `<slice>/<metric>`
 * or a bare metric (slice `all`). Without the dataset, only the metric name is checked.
 */
function checkObjective(spec: ExperimentSpec, kinds: Map<string, SliceKind> | undefined): void {
  const key = spec.objective.metric;
  if (key === 'val_loss') return;
  const bare = key.startsWith('all/') ? key.slice(4) : key;
  if (!kinds) {
    const metric = bare.slice(bare.lastIndexOf('/') + 1);
    if (METRIC_NAMES.includes(metric)) return;
    const hint = didYouMean(metric, METRIC_NAMES);
    throw new SpecError(undefined, 'objective.metric', `unknown metric '${metric}'${hint ? ` (did you mean '${hint}'?)` : ''}; known: val_loss, ${METRIC_NAMES.join(', ')}`);
  }
  const produced = ['val_loss', ...producedMetricKeys(kinds, spec.evaluate.metrics)];
  if (produced.includes(bare)) return;
  const hint = didYouMean(key, produced);
  throw new SpecError(undefined, 'objective.metric', `the task cannot produce '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; can produce: ${produced.join(', ')}`);
}
