import { describe, expect, it } from 'vitest';
import { generalLines, printSummary, subjectLines, verdictLines, type SubjectSummary, type SweepResult, type VariantSummary } from '../../src/run/sweep.js';

const variant = (runId: string, objective: number, finalValLoss: number): VariantSummary => ({
  runId, key: `${runId}-key`, status: 'completed', skipped: false, params: { rank: 4 }, objective, finalValLoss, wallSeconds: 12, error: null,
});

function summary(metric: string): string[] {
  const a = variant('run-a', 0.8123, 1.5);
  const result: SweepResult = {
    experiment: 'x', sweepId: 's1', status: 'completed', objective: { metric, goal: metric === 'val_loss' ? 'minimize' : 'maximize' },
    best: a, verdict: null, variants: [a, variant('run-b', 0.7, 1.6)], subjects: [], wallSeconds: 30, db: 'x.duckdb',
  };
  const lines: string[] = [];
  printSummary(result, (l) => lines.push(l), new Map());
  return lines.join('\n').split('\n');
}

const header = (lines: string[]) => lines.find((l) => l.includes('status'))!;

describe('sweep summary table', () => {
  it('has one val_loss column when the objective is val_loss', () => {
    const lines = summary('val_loss');
    expect(header(lines).match(/val_loss/g)).toHaveLength(1);
    expect(lines.join('\n')).toContain('0.8123');
  });

  it('has the objective column and a val_loss column otherwise', () => {
    const lines = summary('classify/f1_macro');
    expect(header(lines)).toContain('classify/f1_macro');
    expect(header(lines).match(/val_loss/g)).toHaveLength(1);
    expect(lines.join('\n')).toContain('1.5000');
  });
});

describe('kept runs of a resumed sweep in the table', () => {
  it('a kept completed run reads "skipped"; a kept run that hyperband stopped reads "stopped, kept", never only "skipped"', () => {
    const a = { ...variant('run-a', 0.8123, 1.5), skipped: true };
    const cut: VariantSummary = { ...variant('run-cut', 0.9, 2.5), status: 'stopped', skipped: true };
    const lines: string[] = [];
    printSummary({ experiment: 'x', sweepId: 's1', status: 'completed', objective: { metric: 'val_loss', goal: 'minimize' }, best: a, verdict: null, variants: [a, cut], subjects: [], wallSeconds: 3, db: 'x.duckdb' }, (l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toMatch(/│ \* │ run-a +│ skipped +│/);
    expect(text).toMatch(/│ +│ run-cut +│ stopped, kept +│/);
  });
});

describe('verdict lines under the table', () => {
  it('state the validation objective, the test value with its interval, and each paired test in words', () => {
    const a = variant('run-a', 0.8123, 1.5);
    const b = variant('run-b', 0.7, 1.6);
    const lines = verdictLines({
      best: a,
      variants: [a, b],
      objective: { metric: 'classify/f1_macro', goal: 'maximize' },
      verdict: {
        metric: 'classify/f1_macro', alpha: 0.05, split: 'test', notes: ['vs rag: the two sides were scored on different examples (head 50, base 48, 48 in common); a paired comparison needs the same test examples'],
        test: { value: 0.7971, ciLow: 0.68, ciHigh: 0.9, n: 50 },
        comparisons: [
          { against: 'runner-up', runId: 'run-b', diff: 0.077, ci95: [-0.05, 0.2], pValue: 0.34, test: 'paired-bootstrap:1000:seed=12345', n: 50, outcome: 'ns' },
          { against: 'base', runId: null, diff: 0.7971, ci95: [0.68, 0.9], pValue: 0.0001, test: 'paired-bootstrap:1000:seed=12345', n: 50, outcome: 'better' },
        ],
      },
    });
    expect(lines).toEqual([
      'best: run-a (r=4) classify/f1_macro = 0.8123 on validation (selection); held-out test 0.7971 [0.6800, 0.9000] (n = 50)',
      '  vs runner-up run-b (r=4): +0.077 [−0.05, +0.2], p = 0.34 (paired-bootstrap:1000:seed=12345, n = 50): no significant difference at α = 0.05',
      '  vs base model: +0.797 [+0.68, +0.9], p < 0.001 (paired-bootstrap:1000:seed=12345, n = 50): significantly better at α = 0.05',
      '  note: vs rag: the two sides were scored on different examples (head 50, base 48, 48 in common); a paired comparison needs the same test examples',
    ]);
  });
});

it('names a named baseline by its name in the verdict lines (never "undefined")', () => {
  const a: VariantSummary = { runId: 'run-a', key: 'k', status: 'completed', skipped: false, params: { rank: 4 }, objective: 0.8, finalValLoss: 1.5, wallSeconds: 12, error: null };
  const lines = verdictLines({
    best: a, variants: [a], objective: { metric: 'classify/f1_macro', goal: 'maximize' },
    verdict: { metric: 'classify/f1_macro', alpha: 0.05, split: 'test', test: null, notes: [], comparisons: [{ against: 'gpt-mini', runId: null, diff: 0.1, ci95: [0, 0.2], pValue: 0.04, test: 'paired-bootstrap', n: 10, outcome: 'better' }] },
  });
  expect(lines.join('\n')).toContain('vs gpt-mini:');
  expect(lines.join('\n')).not.toContain('undefined');
});

describe('forgetting line under the verdict', () => {
  it("states the best variant's general-text perplexity change vs the base with its paired test", () => {
    const a = variant('run-a', 0.8123, 1.5);
    const general: SweepResult['general'] = {
      base: { perplexity: { value: 3.1, ciLow: 2.9, ciHigh: 3.3, n: 128 }, bitsPerByte: null, change: null, pValue: null },
      runs: [{ runId: 'run-a', perplexity: { value: 3.2, ciLow: 3, ciHigh: 3.4, n: 128 }, bitsPerByte: null, change: { value: 0.0312, ciLow: -0.012, ciHigh: 0.074, n: 128 }, pValue: 0.04 }],
    };
    expect(generalLines({ best: a, variants: [a], general })).toEqual([
      '  general text perplexity +3.1% vs base [−1.2%, +7.4%] (p = 0.04, n = 128 passages): 3.2 vs 3.1',
    ]);
    expect(generalLines({ best: null, variants: [], general })).toEqual(['base model: general text perplexity 3.1 [2.9, 3.3] (n = 128 passages)']);
    expect(generalLines({ best: a, variants: [a], general: null })).toEqual([]);
  });
});

describe('subjects table', () => {
  const subject = (extra: Partial<SubjectSummary>): SubjectSummary => ({
    subject: 'api-few', kind: 'prompting', prompt: 'few_shot', k: 2, provider: 'openai', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1',
    examples: 10, answered: 10, requests: 10, errors: 0, cached: 0, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0,
    promptTokens: 5000, completionTokens: 50, wallSeconds: 1, usageNotReported: 0, test: { value: 0.6, ciLow: 0.5, ciHigh: 0.7, n: 10 }, ...extra,
  });
  const objective = { metric: 'classify/f1_macro', goal: 'maximize' };
  it('tokens per request as reported', () => {
    const text = subjectLines({ objective, subjects: [subject({})] }).join('\n');
    expect(text).toMatch(/│ 500, 5 +│/);
    expect(text).not.toMatch(/not reported/);
  });
  it('an API that reported no usage: tokens shown as an estimate, and a note says so (never 0, 0)', () => {
    const lines = subjectLines({ objective, subjects: [subject({ usageNotReported: 10, promptTokens: 0, completionTokens: 0, apiPromptTokens: 1250, apiCompletionTokens: 20, apiTokenizer: 'o200k_base' }), subject({ subject: 'bare', usageNotReported: 10, promptTokens: 0, completionTokens: 0 })] });
    const text = lines.join('\n');
    expect(text).toMatch(/│ ~125, 2 \(est\.\) +│/);
    expect(text).toMatch(/│ not reported +│/);
    expect(text).not.toMatch(/│ 0, 0 /);
    expect(lines.filter((l) => /usage not reported by the API for 10 of 10 requests: tokens estimated/.test(l))).toHaveLength(2);
  });
});

describe('oodLines', () => {
  const verdict = (split: 'test' | 'ood', value: number, ciLow: number, ciHigh: number) => ({
    metric: 'classify/f1_macro', alpha: 0.05, split, notes: [], test: { value, ciLow, ciHigh, n: 50 },
    comparisons: split === 'ood' ? [{ against: 'base', runId: null, diff: 0.4, ci95: [0.3, 0.5] as [number, number], pValue: 0.0001, test: 'mcnemar-exact', n: 50, outcome: 'better' as const }] : [],
  });
  it('the OOD value beside the test value; a shift is clear only when the intervals do not overlap; paired tests vs the baselines there', async () => {
    const { oodLines } = await import('../../src/run/sweep.js');
    const lines = oodLines({ verdict: verdict('test', 0.8, 0.7, 0.9), ood: { description: 'later e-mails', verdict: verdict('ood', 0.5, 0.4, 0.6) } });
    expect(lines).toEqual([
      '  out of distribution: classify/f1_macro 0.5000 [0.4000, 0.6000] (n = 50) vs 0.8000 on the test split (−0.3; clearly worse: the 95% intervals do not overlap)',
      '    later e-mails',
      '    vs base model there: +0.4 [+0.3, +0.5], p < 0.001 (mcnemar-exact, n = 50): significantly better at α = 0.05',
    ]);
    expect(oodLines({ verdict: verdict('test', 0.8, 0.7, 0.9), ood: { description: 'x', verdict: verdict('ood', 0.75, 0.65, 0.85) } })[0]).toContain('(−0.05; the 95% intervals overlap)');
    expect(oodLines({ verdict: null, ood: null })).toEqual([]);
    // Scored out of distribution, but not on the objective's slice.
    expect(oodLines({ verdict: verdict('test', 0.8, 0.7, 0.9), ood: { description: 'other task', verdict: null, slices: ['emotion'] } })).toEqual([
      '  out of distribution: no classify/f1_macro there (its slices: emotion); fte report shows them',
      '    other task',
    ]);
  });
});
