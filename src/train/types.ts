/** What the training stage produces: curve points and the end-of-run summary. */
/** One point of a curve (`step_metrics` row). split: `train` | `val`; name: `loss`, `learning_rate`, `tokens_per_second`, `grad_norm`. */
export interface StepMetric {
  step: number;
  epoch: number;
  split: 'train' | 'val';
  name: string;
  value: number;
}

/** What the trainer reports at the end of a run (src/train emits it in its `end` event). */
export interface TrainSummary {
  /** `stopped`: ended early by the sweep (hyperband, see TrainerOptions.onValidation). */
  status: 'completed' | 'diverged' | 'stopped';
  /** Optimizer steps the run would have trained had it not stopped (early stopping, hyperband); absent in older outcomes. */
  plannedSteps?: number;
  bestStep: number;
  bestValLoss: number | null;
  finalValLoss: number | null;
  stoppedEarly: boolean;
  steps: number;
  tokensTrained: number;
  trainableParams: number;
  totalParams: number;
  /** Bytes of the saved adapter (LoRA/QLoRA) or full weights. */
  adapterBytes: number;
  /** Estimated training memory in bytes (weights + grads + optimizer + activations), see src/train/memory. */
  peakMemoryBytes: number;
  /** Memory of the frozen base weights as stored (fp32 or NF4), bytes. */
  baseWeightBytes: number;
  wallSeconds: number;
  backend: string;
  device: string;
  /** Folder holding the best checkpoint (adapter_config.json + adapter_model.safetensors, or config.json + model.safetensors). */
  checkpointPath: string;
  divergenceReason?: string;
}
