/** Shared builders for store tests: a tiny experiment, sweep and run outcome. */
import type { RunOutcome } from '../../src/store/types.js';
import type { StepMetric } from '../../src/train/types.js';
import type { Objective, Store } from '../../src/store/writer.js';

export const PARAMS = { rank: 8, alpha: 16, learningRate: 2e-4, targetModules: ['c_attn'], useRslora: false, schedule: 'cosine', epochs: 3 };

export function curve(steps: number, start = 0): StepMetric[] {
  const rows: StepMetric[] = [];
  for (let s = start; s < start + steps; s++) {
    rows.push({ step: s, epoch: s / 10, split: 'train', name: 'loss', value: 3 - s * 0.01 });
    rows.push({ step: s, epoch: s / 10, split: 'train', name: 'learning_rate', value: 2e-4 });
    if (s % 5 === 4) rows.push({ step: s, epoch: s / 10, split: 'val', name: 'loss', value: 3.2 - s * 0.01 });
  }
  return rows;
}

export function outcome(runId: string, overrides: Partial<RunOutcome> = {}): RunOutcome {
  return {
    runId,
    variantKey: `key-${runId}`,
    method: 'lora',
    status: 'completed',
    params: PARAMS,
    startedAt: '2026-11-29T07:00:00.000Z',
    finishedAt: '2026-11-29T07:01:30.000Z',
    train: {
      status: 'completed',
      bestStep: 19,
      bestValLoss: 2.9,
      finalValLoss: 2.95,
      stoppedEarly: false,
      steps: 20,
      tokensTrained: 12_345,
      trainableParams: 1_000,
      totalParams: 100_000,
      adapterBytes: 4_096,
      peakMemoryBytes: 8_000_000,
      estimatedMemoryBytes: 6_500_000,
      baseWeightBytes: 400_000,
      wallSeconds: 90,
      backend: 'cpu',
      device: 'cpu',
      checkpointPath: `/tmp/ckpt/${runId}`,
    },
    stepMetrics: [],
    evalRows: [
      { subject: 'finetuned', perturbation: 'none', slice: 'all', metric: 'perplexity', value: 12.5, n: 10 },
      { subject: 'finetuned', perturbation: 'none', slice: 'all', metric: 'bleu', value: 31.2, n: 10, signature: 'nrefs:1|tok:13a' },
      { subject: 'finetuned', perturbation: 'typos', slice: 'all', metric: 'bleu', value: 25.0, n: 10 },
      { subject: 'finetuned', perturbation: 'none', slice: 'classify', metric: 'f1_macro', value: 0.8, n: 5 },
    ],
    predictions: [
      { subject: 'finetuned', perturbation: 'none', exampleId: 'L1', input: 'hello', reference: 'world', prediction: 'world', scores: { em: 1 } },
    ],
    costs: [{ component: 'train', device: 'cpu', hours: 0.025, tokens: 12_345, usd: 0.01, priceSource: 'test' }],
    artifacts: [{ kind: 'adapter', path: `/tmp/ckpt/${runId}/adapter_model.safetensors`, bytes: 4096, sha256: 'ab'.repeat(32) }],
    ...overrides,
  };
}

/** Experiment + sweep + one started run. */
export async function seed(store: Store, objective: Objective = { metric: 'val_loss', goal: 'minimize' }): Promise<{ sweepId: string }> {
  const experimentId = await store.upsertExperiment({ name: 'demo', specPath: 'experiments/demo.ts', specHash: 'abc', objective });
  const sweepId = await store.createSweep({
    experimentId,
    sweepId: 's1',
    gitCommit: 'deadbeef',
    backend: 'cpu',
    specJson: { name: 'demo' },
    limits: { maxSteps: 20 },
    datasetManifest: { fingerprint: 'f' },
    baseModel: 'models/tiny',
  });
  return { sweepId };
}
