/**
 * End to end on the built-in base model (models/fte-tiny-base, loaded through src/train's
 * `loadForInference`): a handful of email-triage examples through `evaluateSubject` for every subject
 * prompt, checking that every (subject x perturbation x slice x metric) row is produced with a finite
 * value (or n = 0: a perturbation that changed no input of the slice). Skipped when the model folder is absent.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateSubject } from '../../src/eval/evaluate.js';
import { createLocalProvider, type LocalProvider } from '../../src/providers/local.js';
import { DEFAULT_METRICS, getMetric } from '../../src/eval/metrics/registry.js';
import type { Example } from '../../src/data/example.js';
import type { Subject } from '../../src/eval/types.js';
import { loadDataset } from '../../src/data/index.js';
import { loadForInference } from '../../src/train/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const modelDir = `${root}models/fte-tiny-base`;
const haveModel = existsSync(`${modelDir}/config.json`) && existsSync(`${modelDir}/model.safetensors`);

async function loadGenerator(): Promise<LocalProvider> {
  const loaded = await loadForInference(modelDir, undefined, 'auto');
  return createLocalProvider({ model: loaded.model, tokenizer: loaded.tokenizer, name: 'fte-tiny-base', batchSize: 8 });
}

async function loadExamples(): Promise<{ train: Example[]; test: Example[] }> {
  const ds = await loadDataset('email-triage', { seed: 42 });
  const pick = (cat: string, n: number) => ds.test.filter((e) => e.category === cat).slice(0, n);
  return { train: ds.train, test: [...pick('classify', 3), ...pick('subject', 3)] };
}

describe.skipIf(!haveModel)('evaluateSubject on the built-in base model', () => {
  it('produces every (subject x perturbation x slice x metric) row', async () => {
    const model = await loadGenerator();
    const { train, test } = await loadExamples();
    const perturbations = ['typos', 'lowercase', 'spaces', 'contractions', 'expansions', 'synonyms', 'filler', 'misspellings', 'mild_mix'];
    for (const subject of ['base', 'prompting', 'rag'] as Subject[]) {
      const r = await evaluateSubject({ subject, provider: model, test, train, perturbations, fewShotK: 2, ragK: 2, maxNewTokens: 24, seed: 1 });
      const keys = new Set(r.rows.map((x) => `${x.perturbation}|${x.slice}|${x.metric}`));
      for (const [slice, kind] of [['classify', 'classification'], ['subject', 'generation'], ['all', 'generation']] as const) {
        for (const m of DEFAULT_METRICS[kind]) {
          // worst_case needs a per-example score (invalid_rate has none: it depends on the label set)
          for (const p of ['none', ...perturbations, ...(getMetric(m).perExample ? ['worst_case'] : [])]) expect(keys, `${subject} ${p}|${slice}|${m}`).toContain(`${p}|${slice}|${m}`);
        }
        expect(keys).toContain(`none|${slice}|perplexity`);
        for (const p of perturbations) expect(keys).toContain(`${p}|${slice}|consistency`);
      }
      // A perturbation that changed no input of a slice has n = 0 rows with no value (NaN).
      for (const row of r.rows) expect(row.n === 0 || Number.isFinite(row.value), `${row.perturbation}|${row.slice}|${row.metric}`).toBe(true);
      expect(r.rows.every((x) => x.subject === subject && x.signature)).toBe(true);
      expect(r.predictions.filter((p) => p.perturbation === 'none')).toHaveLength(test.length);
      expect(r.promptTokens).toBeGreaterThan(0);
      // every prompt fits the model context with room for the completion
      const ppl = r.rows.find((x) => x.metric === 'perplexity' && x.slice === 'all')!;
      expect(ppl.value).toBeGreaterThan(1);
    }
  }, 600_000);
});
