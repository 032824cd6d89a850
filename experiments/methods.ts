/**
 * Full fine-tuning vs LoRA vs QLoRA at one rank, on the same suite and budget.
 *
 * The seed guide's trade-off, measured: full fine-tuning updates every weight (most memory: weights
 * + gradients + two AdamW moments), LoRA trains rank-8 adapters on a frozen base, QLoRA does the same
 * over a base stored as 4-bit NF4 (blocks of 64, one absmax scale each). Compare quality, trainable
 * parameters, adapter bytes, training memory (the report's "Peak memory" column: measured, live tensor
 * bytes at every allocation, with the pre-training estimate below it) and wall time in the report.
 * Expected order of the measured peaks: QLoRA < LoRA < full.
 *
 * Learning rate: full fine-tuning moves all weights, so it takes a smaller step (3e-4) than the
 * adapters (2e-3); the value is derived per method.
 */
import { defineExperiment } from 'fte';

export default defineExperiment({
  name: 'methods',
  description: 'Full fine-tuning vs LoRA vs QLoRA (rank 8) on the built-in e-mail triage suite',
  model: { base: 'models/fte-tiny-base' },
  dataset: 'evals/email-triage',
  params: {
    rank: 8,
    alpha: 16,
    targetModules: ['c_attn', 'attn.c_proj'],
    epochs: 2,
    batchSize: 8,
    warmupSteps: 10,
    seed: 42,
  },
  sweep: {
    strategy: 'grid',
    parameters: {
      method: ['full', 'lora', 'qlora'],
      learningRate: ({ method }) => (method === 'full' ? 3e-4 : 2e-3),
    },
  },
  evaluate: { perturbations: ['typos', 'lowercase'], baselines: ['base', 'prompting', 'rag'], fewShotK: 2, ragK: 2, maxNewTokens: 24 },
  objective: { metric: 'classify/f1_macro', goal: 'maximize' },
});
