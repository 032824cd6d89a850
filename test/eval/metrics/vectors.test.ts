/**
 * Every case of the reference vectors (test/eval/fixtures/metric-vectors.json, a copy of
 * shared/metric-vectors) must match what sacrebleu / rouge-score / the SQuAD script / scikit-learn
 * printed, to 1e-9 relative.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metrics } from '../../../src/index.js';
import { squadStatistics } from '../../../src/eval/metrics/squad.js';
import type { RougeType } from '../../../src/eval/metrics/rouge.js';

interface Case {
  id: string;
  metric: string;
  options: Record<string, unknown>;
  description: string;
  predictions: string[];
  references: (string[] | string)[];
  expected: Record<string, unknown>;
}

const cases = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/metric-vectors.json', import.meta.url)), 'utf8'),
) as Case[];

/** |a - b| <= 1e-9 * max(|a|, |b|), with exact equality required for zero. */
function close(actual: number, expected: number, what: string): void {
  const tol = 1e-9 * Math.max(Math.abs(actual), Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: got ${actual}, expected ${expected}`);
  }
}

function closeAll(actual: number[], expected: number[], what: string): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  expected.forEach((e, i) => close(actual[i]!, e, `${what}[${i}]`));
}

function check(c: Case): void {
  const e = c.expected;
  const refs = c.references as string[][];
  switch (c.metric) {
    case 'bleu_corpus':
    case 'bleu_sentence': {
      const r =
        c.metric === 'bleu_corpus'
          ? metrics.corpusBleu(c.predictions, refs, { lowercase: c.options.lowercase as boolean })
          : metrics.sentenceBleu(c.predictions[0]!, refs[0]!, { lowercase: c.options.lowercase as boolean });
      close(r.score, e.score as number, 'score');
      closeAll(r.counts, e.counts as number[], 'counts');
      closeAll(r.totals, e.totals as number[], 'totals');
      closeAll(r.precisions, e.precisions as number[], 'precisions');
      close(r.bp, e.bp as number, 'bp');
      close(r.sysLen, e.sys_len as number, 'sys_len');
      close(r.refLen, e.ref_len as number, 'ref_len');
      break;
    }
    case 'chrf': {
      const r = metrics.chrf(c.predictions, refs);
      close(r.score, e.score as number, 'score');
      closeAll(r.stats, e.stats as number[], 'stats');
      break;
    }
    case 'rouge1':
    case 'rouge2':
    case 'rougeL':
    case 'rougeLsum': {
      const per = e.per_example as { precision: number; recall: number; fmeasure: number }[];
      c.predictions.forEach((p, i) => {
        const r = metrics.rouge(p, refs[i]!, { useStemmer: c.options.use_stemmer as boolean })[c.metric as RougeType];
        close(r.precision, per[i]!.precision, `[${i}].precision`);
        close(r.recall, per[i]!.recall, `[${i}].recall`);
        close(r.fmeasure, per[i]!.fmeasure, `[${i}].fmeasure`);
      });
      break;
    }
    case 'squad_em':
    case 'squad_f1': {
      const score = c.metric === 'squad_em' ? metrics.squadExactMatch(c.predictions, refs) : metrics.squadF1(c.predictions, refs);
      close(score, e.score as number, 'score');
      const printed = e.printed as { exact_match: number; f1: number };
      close(metrics.squadExactMatch(c.predictions, refs), printed.exact_match, 'printed.exact_match');
      close(metrics.squadF1(c.predictions, refs), printed.f1, 'printed.f1');
      const stats = c.predictions.map((p, i) => squadStatistics(p, refs[i]!));
      closeAll(stats.map((s) => s.exactMatch), e.per_example_exact_match as number[], 'per_example_exact_match');
      closeAll(stats.map((s) => s.f1), e.per_example_f1 as number[], 'per_example_f1');
      break;
    }
    case 'accuracy':
    case 'f1_macro':
    case 'f1_micro':
    case 'f1_weighted':
    case 'precision_macro':
    case 'recall_macro': {
      const r = metrics.classification(c.references as string[], c.predictions);
      const [name, avg] = c.metric.split('_') as ['accuracy' | 'f1' | 'precision' | 'recall', 'macro' | 'micro' | 'weighted' | undefined];
      if (name === 'accuracy') {
        close(r.accuracy, e.score as number, 'score');
        break;
      }
      const block = r[name];
      close(block[avg!], e.score as number, 'score');
      expect(r.labels).toEqual(e.labels);
      closeAll(Object.values(block.perClass), e.per_class as number[], 'per_class');
      break;
    }
    default:
      throw new Error(`vector ${c.id}: metric ${c.metric} not handled by this test`);
  }
}

describe('metric reference vectors', () => {
  it('reads all cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(48);
  });
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    check(c);
  });
});
