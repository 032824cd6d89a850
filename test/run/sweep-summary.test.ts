import { describe, expect, it } from 'vitest';
import { printSummary, type SweepResult, type VariantSummary } from '../../src/run/sweep.js';

const variant = (runId: string, objective: number, finalValLoss: number): VariantSummary => ({
  runId, key: `${runId}-key`, status: 'completed', skipped: false, params: { rank: 4 }, objective, finalValLoss, wallSeconds: 12, error: null,
});

function summary(metric: string): string[] {
  const a = variant('run-a', 0.8123, 1.5);
  const result: SweepResult = {
    experiment: 'x', sweepId: 's1', status: 'completed', objective: { metric, goal: metric === 'val_loss' ? 'minimize' : 'maximize' },
    best: a, variants: [a, variant('run-b', 0.7, 1.6)], wallSeconds: 30, db: 'x.duckdb',
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
