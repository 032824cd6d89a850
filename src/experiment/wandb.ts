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
 * @throws SpecError naming the file and key for unknown keys, `bayes`, or malformed YAML.
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
  const strategy = y.method ?? 'grid';
  if (strategy === 'bayes') throw new SpecError(file, 'method', "bayes is not supported; use 'grid' or 'random'");
  if (strategy !== 'grid' && strategy !== 'random') throw new SpecError(file, 'method', `expected grid or random, got ${JSON.stringify(strategy)}`);

  const fte = (y.fte ?? {}) as Record<string, unknown>;
  const params: Record<string, unknown> = { ...((fte.params as Record<string, unknown>) ?? {}) };
  const sweepParams: Record<string, unknown> = {};
  const parameters = (y.parameters ?? {}) as Record<string, unknown>;
  for (const [rawName, def] of Object.entries(parameters)) {
    const name = PARAMETER_ALIASES[rawName] ?? rawName;
    const where = `parameters.${rawName}`;
    if (def === null || typeof def !== 'object' || Array.isArray(def)) throw new SpecError(file, where, 'expected a mapping with value, values or distribution');
    const d = def as Record<string, unknown>;
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
    },
    ...(metric?.name ? { objective: { metric: metric.name, goal: (metric.goal as 'minimize' | 'maximize') ?? 'minimize' } } : {}),
  } as ExperimentSpecInput;
}

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
