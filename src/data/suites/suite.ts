/**
 * Eval-suite descriptions (`evals/<name>/suite.json`) and where built-in suites live.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UserInputError } from '../../errors.js';
import { packageRoot } from '../../package-root.js';

export const suiteTaskSchema = z
  .object({
    /** Task name; also the `category` of its examples. */
    name: z.string().min(1),
    category: z.string().min(1),
    /** `classification` (a label per example) or `generation` (free text). */
    kind: z.enum(['classification', 'generation']),
    labels: z.array(z.string()).optional(),
    /** Prompt template, `{{name}}` placeholders (handlebars, no HTML escaping). */
    prompt: z.string().min(1),
    completion: z.string().min(1),
    /** Metric names the evaluation stage computes for this task's slice. */
    metrics: z.array(z.string().min(1)).min(1),
  })
  .strict();

export const suiteSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    description: z.string(),
    /** Name of the builder in the suite registry (`src/data/suites/index.ts`). */
    builder: z.string().min(1),
    source: z.record(z.string(), z.unknown()),
    tasks: z.array(suiteTaskSchema).min(1),
    /** Default number of examples per split, all tasks together. */
    sizes: z.object({ train: z.number().int().positive(), val: z.number().int().positive(), test: z.number().int().positive() }).strict(),
    /** Share of each task in every split (sums to 1). */
    taskShare: z.record(z.string(), z.number().min(0)),
    /** Target length of the body excerpt, UTF-8 bytes (shortened further to fit maxExampleBytes). */
    excerptBytes: z.number().int().positive(),
    maxSubjectBytes: z.number().int().positive(),
    /** Upper bound on prompt + completion, UTF-8 bytes (the built-in model's context is 256 byte tokens). */
    maxExampleBytes: z.number().int().positive(),
    scrubPii: z.boolean(),
    dedup: z.boolean(),
    /**
     * An out-of-distribution split drawn from other corpus groups than `source.groups`, rendered
     * with the same templates, test-only (src/data/manifest.ts `OOD_SPLIT`). Absent: none.
     */
    ood: z
      .object({
        /** How this split differs from the training distribution (shown in reports and the card). */
        description: z.string().min(1),
        /** Corpus groups per label, as `source.groups`; none may also be an in-distribution group. */
        groups: z.record(z.string(), z.array(z.string().min(1)).min(1)),
        /** Examples, all tasks together (split by `taskShare`, half of each label). */
        size: z.number().int().positive(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SuiteDescription = z.output<typeof suiteSchema>;
export type SuiteTask = z.output<typeof suiteTaskSchema>;

/**
 * Resolves a suite reference to its folder: a folder holding `suite.json`, or the name of a built-in
 * suite (`email-triage` -> `<package>/evals/email-triage`). Returns undefined when it is neither.
 */
export function resolveSuiteDir(ref: string): string | undefined {
  if (existsSync(ref) && statSync(ref).isDirectory() && existsSync(join(ref, 'suite.json'))) return resolve(ref);
  if (/^[a-z0-9][a-z0-9-]*$/.test(ref) && !existsSync(ref)) {
    const dir = join(packageRoot(), 'evals', ref);
    if (existsSync(join(dir, 'suite.json'))) return dir;
  }
  return undefined;
}

/** Reads and validates `<dir>/suite.json`. @throws UserInputError naming the file and field. */
export function loadSuiteDescription(dir: string): { suite: SuiteDescription; text: string } {
  const file = join(dir, 'suite.json');
  let text: string;
  let json: unknown;
  try {
    text = readFileSync(file, 'utf8');
    json = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = suiteSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserInputError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return { suite: parsed.data, text };
}
