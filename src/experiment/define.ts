import { z } from 'zod';
import {
  costSchema,
  distributionSchema,
  earlyStoppingSchema,
  evaluateSchema,
  experimentSchema,
  baselineSchema,
  localProviderSchema,
  METHODS,
  modelSubjectSchema,
  openaiProviderSchema,
  paramsSchema,
  sweepSchema,
  type ExperimentSpec,
  type ExperimentSpecInput,
} from './schema.js';
import { describeIssue, didYouMean, SpecError, showValue } from './errors.js';
import { METRIC_NAMES } from '../eval/metrics/registry.js';
import { PERTURBATION_NAMES } from '../eval/perturbations/index.js';

/** Names a sweep may vary: every `params` field, plus `method`. */
export const SWEEPABLE = [...Object.keys(paramsSchema.shape), 'method'] as const;

const KNOWN_KEYS: Record<string, string[]> = {
  '': Object.keys(experimentSchema.shape),
  params: Object.keys(paramsSchema.shape),
  sweep: Object.keys(sweepSchema.shape),
  earlyStopping: Object.keys(earlyStoppingSchema.shape),
  evaluate: Object.keys(evaluateSchema.shape),
  cost: Object.keys(costSchema.shape),
  model: ['base'],
  objective: ['metric', 'goal'],
  'evaluate.baselines': Object.keys(baselineSchema.options[1].shape),
  'evaluate.models': Object.keys(modelSubjectSchema.shape),
  'evaluate.baselines.provider': [...new Set([...Object.keys(localProviderSchema.shape), ...Object.keys(openaiProviderSchema.shape)])],
  'evaluate.models.provider': [...new Set([...Object.keys(localProviderSchema.shape), ...Object.keys(openaiProviderSchema.shape)])],
};

function knownKeysAt(path: PropertyKey[]): string[] {
  const key = path.filter((p) => typeof p === 'string').join('.');
  if (key.startsWith('sweep.parameters.')) return Object.keys(distributionSchema.shape);
  return KNOWN_KEYS[key] ?? [];
}

/**
 * Validate an experiment spec and return it typed, with every default filled in (see the doc
 * comments in src/experiment/schema.ts for each default: rank 8, alpha 2 x rank, learning rate 2e-4,
 * epochs 3, batch size 8, ...). Sweep parameters are checked here by name and, for lists, by value;
 * derived (function) parameters are checked per variant at expansion (src/experiment/sweep.ts).
 *
 * @throws SpecError (one line: `<field path>: expected ..., got ...`; the loader adds the file name).
 */
export function defineExperiment(input: ExperimentSpecInput): ExperimentSpec {
  const parsed = experimentSchema.safeParse(input);
  if (!parsed.success) {
    const { path, detail } = describeIssue(parsed.error.issues[0]!, input, knownKeysAt);
    throw new SpecError(undefined, path, detail);
  }
  const spec = parsed.data;
  validateSweepParameters(spec.sweep.parameters, spec.sweep.strategy);
  checkNames('evaluate.perturbations', 'perturbation', spec.evaluate.perturbations, ['none', ...PERTURBATION_NAMES]);
  if (spec.evaluate.metrics) checkNames('evaluate.metrics', 'metric', spec.evaluate.metrics, METRIC_NAMES);
  return spec;
}

/** Each of `names` must be a registry name. @throws SpecError `<where>[i]: unknown <kind> 'x' (did you mean 'y'?); known: ...` */
function checkNames(where: string, kind: string, names: readonly string[], known: readonly string[]): void {
  names.forEach((name, i) => {
    if (known.includes(name)) return;
    const hint = didYouMean(name, known);
    throw new SpecError(undefined, `${where}[${i}]`, `unknown ${kind} '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${known.join(', ')}`);
  });
}

/** Validate the names of sweep parameters and every listed value against the params schema. */
export function validateSweepParameters(parameters: Record<string, unknown>, strategy: 'grid' | 'random' | 'bayes'): void {
  for (const [name, def] of Object.entries(parameters)) {
    const where = `sweep.parameters.${name}`;
    if (!(SWEEPABLE as readonly string[]).includes(name)) {
      const hint = didYouMean(name, SWEEPABLE);
      throw new SpecError(undefined, where, `unknown parameter${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${SWEEPABLE.join(', ')}`);
    }
    if (typeof def === 'function') continue;
    if (Array.isArray(def)) {
      if (def.length === 0) throw new SpecError(undefined, where, 'expected at least one value, got []');
      def.forEach((value, i) => checkParamValue(name, value, `${where}[${i}]`));
      continue;
    }
    if (def !== null && typeof def === 'object') {
      const dist = distributionSchema.safeParse(def);
      if (!dist.success) {
        const { path, detail } = describeIssue(dist.error.issues[0]!, def, () => Object.keys(distributionSchema.shape));
        throw new SpecError(undefined, path ? `${where}.${path}` : where, detail);
      }
      if (strategy === 'grid' && dist.data.distribution !== 'categorical') {
        throw new SpecError(undefined, where, `a grid needs a list of values, got a ${dist.data.distribution} distribution (use strategy 'random' or 'bayes')`);
      }
      const d = dist.data;
      if (d.distribution === 'categorical') {
        if (!d.values?.length) throw new SpecError(undefined, `${where}.values`, 'expected at least one value');
        d.values.forEach((value, i) => checkParamValue(name, value, `${where}.values[${i}]`));
      } else {
        if (d.min === undefined || d.max === undefined) throw new SpecError(undefined, where, `${d.distribution} needs min and max`);
        if (!(d.min <= d.max)) throw new SpecError(undefined, where, `expected min <= max, got min ${d.min}, max ${d.max}`);
        if (d.distribution.includes('log') && d.min <= 0) throw new SpecError(undefined, `${where}.min`, `expected a positive number for a log distribution, got ${d.min}`);
      }
      continue;
    }
    throw new SpecError(undefined, where, `expected a list of values, a distribution or a function, got ${showValue(def)}`);
  }
}

/**
 * Check one value of one parameter against its field in the params schema (or `method`).
 * @throws SpecError naming `fieldPath`.
 */
export function checkParamValue(name: string, value: unknown, fieldPath: string): void {
  if (name === 'method') {
    if (!(METHODS as readonly unknown[]).includes(value)) throw new SpecError(undefined, fieldPath, `expected one of ${METHODS.join(', ')}, got ${showValue(value)}`);
    return;
  }
  const field = (paramsSchema.shape as Record<string, z.ZodType>)[name];
  if (!field) return;
  const result = field.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const { detail } = describeIssue({ ...issue, path: [name] } as typeof issue, { [name]: value }, () => []);
    throw new SpecError(undefined, fieldPath, detail);
  }
}
