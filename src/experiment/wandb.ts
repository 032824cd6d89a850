import { parse as parseYaml } from 'yaml';
import { didYouMean, SpecError } from './errors.js';
import type { ExperimentSpecInput } from './schema.js';

/**
 * W&B sweep YAML -> an fte spec input. W&B's keys (`method`, `metric`, `parameters`, `run_cap`) map to
 * `sweep.strategy`, `objective`, `sweep.parameters` and `sweep.runCap`; fte's own fields (model, dataset,
 * the fine-tuning method, evaluate, cost, ...) go in an `fte:` block. Parameter names may be PEFT / HF
 * Trainer names (`lora_r`, `lora_alpha`, `learning_rate`, `num_train_epochs`, ...), mapped to fte's.
 *
 * Parameter forms (W&B): `{ value }` fixes a parameter, `{ values: [...] }` lists them,
 * `{ distribution, min, max, q? }` draws. W&B's `log_uniform` takes *natural-log* bounds
 * (exp(uniform(min, max))); it is converted to fte's `log_uniform` whose bounds are values.
 *
 * Every W&B field fte does not support is an error naming it (never silently ignored): the launch
 * and logging fields (`program`, `command`, `project`, `entity`: fte trains in process and stores in
 * its own database), `metric.target`, early termination other than hyperband, and the parameter keys and distributions fte
 * does not implement (`mu`, `sigma`, `probabilities`, nested `parameters`; normal, beta and inverse
 * log-uniform distributions).
 *
 * `method: bayes` is fte's `strategy: 'bayes'` (TPE, src/experiment/tpe.ts; W&B uses a Gaussian process).
 *
 * @throws SpecError naming the file and key for unknown or unsupported keys, or malformed YAML.
 */
export function specFromWandbYaml(text: string, file: string): ExperimentSpecInput {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new SpecError(file, '', `invalid YAML: ${(err as Error).message.split('\n')[0]!.replace(/:\s*$/, '')}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new SpecError(file, '', 'expected a mapping at the top level');
  const y = doc as Record<string, unknown>;
  const known = ['method', 'metric', 'parameters', 'run_cap', 'name', 'description', 'program', 'command', 'project', 'entity', 'early_terminate', 'fte'];
  for (const key of Object.keys(y)) {
    if (!known.includes(key)) {
      const hint = didYouMean(key, known);
      throw new SpecError(file, key, `unknown W&B sweep key${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${known.join(', ')}`);
    }
  }
  for (const key of Object.keys(y)) {
    const why = UNSUPPORTED_TOP[key];
    if (why) throw new SpecError(file, key, `not supported by fte: ${why}; remove it`);
  }
  if (y.metric !== undefined) {
    if (y.metric === null || typeof y.metric !== 'object' || Array.isArray(y.metric)) throw new SpecError(file, 'metric', 'expected a mapping with name and goal');
    for (const key of Object.keys(y.metric)) {
      if (key === 'target') throw new SpecError(file, 'metric.target', 'not supported by fte: a sweep runs all its variants (stop early with run_cap); remove it');
      if (key !== 'name' && key !== 'goal') throw new SpecError(file, `metric.${key}`, 'unknown W&B metric key; known: name, goal');
    }
  }
  const strategy = y.method ?? 'grid';
  if (strategy !== 'grid' && strategy !== 'random' && strategy !== 'bayes') throw new SpecError(file, 'method', `expected grid, random or bayes, got ${JSON.stringify(strategy)}`);

  const earlyTerminate = y.early_terminate === undefined ? undefined : hyperbandFromWandb(y.early_terminate, file);
  const fte = (y.fte ?? {}) as Record<string, unknown>;
  const params: Record<string, unknown> = { ...((fte.params as Record<string, unknown>) ?? {}) };
  const sweepParams: Record<string, unknown> = {};
  const parameters = (y.parameters ?? {}) as Record<string, unknown>;
  for (const [rawName, def] of Object.entries(parameters)) {
    const name = PARAMETER_ALIASES[rawName] ?? rawName;
    const where = `parameters.${rawName}`;
    if (def === null || typeof def !== 'object' || Array.isArray(def)) throw new SpecError(file, where, 'expected a mapping with value, values or distribution');
    const d = def as Record<string, unknown>;
    for (const key of Object.keys(d)) {
      if (PARAMETER_KEYS.includes(key)) continue;
      const why = UNSUPPORTED_PARAMETER_KEYS[key];
      if (why) throw new SpecError(file, `${where}.${key}`, `not supported by fte: ${why}`);
      const hint = didYouMean(key, PARAMETER_KEYS);
      throw new SpecError(file, `${where}.${key}`, `unknown W&B parameter key${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${PARAMETER_KEYS.join(', ')}`);
    }
    if ('distribution' in d && typeof d.distribution === 'string' && !WANDB_DISTRIBUTIONS.includes(d.distribution)) {
      throw new SpecError(file, `${where}.distribution`, `${JSON.stringify(d.distribution)} is not supported by fte; supported: ${WANDB_DISTRIBUTIONS.join(', ')}`);
    }
    if ('value' in d) {
      if (name === 'method') fte.method = d.value;
      else params[name] = d.value;
    } else if ('values' in d && !('distribution' in d)) {
      sweepParams[name] = d.values;
    } else if ('distribution' in d) {
      const dist = { ...d } as Record<string, unknown>;
      if (dist.distribution === 'log_uniform' && typeof dist.min === 'number' && typeof dist.max === 'number') {
        dist.min = Math.exp(dist.min);
        dist.max = Math.exp(dist.max);
      }
      if (dist.distribution === 'q_log_uniform') {
        dist.distribution = 'q_log_uniform_values';
        dist.min = Math.exp(dist.min as number);
        dist.max = Math.exp(dist.max as number);
      }
      sweepParams[name] = dist;
    } else {
      throw new SpecError(file, where, 'expected value, values or distribution');
    }
  }
  const metric = y.metric as { name?: string; goal?: string } | undefined;
  if (typeof (y.name ?? fte.name) !== 'string') throw new SpecError(file, 'name', 'missing: give the sweep a name (top-level `name:`)');
  for (const key of ['model', 'dataset'] as const) {
    if (fte[key] === undefined) throw new SpecError(file, `fte.${key}`, `missing: a W&B sweep YAML needs an \`fte:\` block with model: { base: <folder> } and dataset: <suite or JSONL>`);
  }
  const { params: _p, ...rest } = fte;
  return {
    name: (y.name as string) ?? (fte.name as string),
    description: (y.description as string) ?? (fte.description as string) ?? '',
    ...rest,
    params,
    sweep: {
      strategy,
      parameters: sweepParams,
      ...(y.run_cap !== undefined ? { runCap: y.run_cap as number } : {}),
      ...(earlyTerminate ? { earlyTerminate } : {}),
    },
    ...(metric?.name ? { objective: { metric: metric.name, goal: (metric.goal as 'minimize' | 'maximize') ?? 'minimize' } } : {}),
  } as ExperimentSpecInput;
}

/**
 * W&B's `early_terminate: { type: hyperband, min_iter | (max_iter and s), eta? }` -> fte's
 * `sweep.earlyTerminate` (min_iter = max_iter / eta^s, rounded, when only max_iter and s are given).
 * @throws SpecError naming `early_terminate.<key>` for another type or an unknown key.
 */
function hyperbandFromWandb(raw: unknown, file: string): { type: 'hyperband'; minIter: number; eta?: number; maxIter?: number } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SpecError(file, 'early_terminate', 'expected a mapping such as { type: hyperband, min_iter: 3 }');
  const e = raw as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!['type', 'min_iter', 'max_iter', 'eta', 's'].includes(key)) throw new SpecError(file, `early_terminate.${key}`, 'not supported by fte; known: type, min_iter, max_iter, eta, s');
  }
  if (e.type !== 'hyperband') throw new SpecError(file, 'early_terminate.type', `only hyperband is supported, got ${JSON.stringify(e.type)}`);
  const eta = e.eta as number | undefined;
  let minIter = e.min_iter as number | undefined;
  if (minIter === undefined) {
    if (typeof e.max_iter !== 'number' || typeof e.s !== 'number') throw new SpecError(file, 'early_terminate.min_iter', 'missing: give min_iter, or max_iter and s');
    minIter = Math.max(1, Math.round(e.max_iter / (eta ?? 3) ** e.s));
  }
  return { type: 'hyperband', minIter, ...(eta !== undefined ? { eta } : {}), ...(e.max_iter !== undefined ? { maxIter: e.max_iter as number } : {}) };
}

/** W&B top-level fields fte reads nothing from, with the reason (each is an error naming it). */
const UNSUPPORTED_TOP: Record<string, string> = {
  program: 'fte trains in process (W&B\'s program is the script its agent launches)',
  command: 'fte trains in process (W&B\'s command is how its agent launches the program)',
  project: 'fte stores runs in its own database (--db), not in a W&B project',
  entity: 'fte stores runs in its own database (--db), not under a W&B entity',
};

/** The keys of a W&B parameter fte reads. */
const PARAMETER_KEYS = ['value', 'values', 'distribution', 'min', 'max', 'q'];

/** W&B parameter keys fte does not implement. */
const UNSUPPORTED_PARAMETER_KEYS: Record<string, string> = {
  mu: 'normal distributions are not implemented (use uniform or log_uniform_values with min and max)',
  sigma: 'normal distributions are not implemented (use uniform or log_uniform_values with min and max)',
  probabilities: 'weighted categorical values are not implemented (values are drawn uniformly)',
  parameters: 'nested parameters are not implemented (flatten them)',
  a: 'beta distributions are not implemented',
  b: 'beta distributions are not implemented',
};

/** W&B distributions fte implements (W&B's log_uniform / q_log_uniform take natural-log bounds). */
const WANDB_DISTRIBUTIONS = ['constant', 'categorical', 'int_uniform', 'uniform', 'q_uniform', 'log_uniform', 'log_uniform_values', 'q_log_uniform', 'q_log_uniform_values'];

/** PEFT / HF Trainer argument names -> fte parameter names. */
export const PARAMETER_ALIASES: Record<string, string> = {
  r: 'rank',
  lora_r: 'rank',
  lora_rank: 'rank',
  lora_alpha: 'alpha',
  lora_dropout: 'dropout',
  target_modules: 'targetModules',
  use_rslora: 'useRslora',
  learning_rate: 'learningRate',
  lr: 'learningRate',
  num_train_epochs: 'epochs',
  per_device_train_batch_size: 'batchSize',
  batch_size: 'batchSize',
  gradient_accumulation_steps: 'gradientAccumulation',
  warmup_steps: 'warmupSteps',
  weight_decay: 'weightDecay',
  max_grad_norm: 'maxGradNorm',
  max_seq_length: 'maxSeqLen',
  lr_scheduler_type: 'schedule',
  eval_steps: 'evalEvery',
};
