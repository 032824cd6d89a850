/** What the training stage produces: curve points and the end-of-run summary. */
/**
 * One point of a curve (`step_metrics` row). split: `train` | `val`; name: `loss`, `learning_rate`,
 * `tokens_per_second`, `grad_norm`, `tensor_bytes` (the step's high-water mark of live tfjs tensor
 * bytes, src/train/memory-meter.ts), `rss_bytes` (process RSS at the step's end).
 */
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
  /**
   * Measured peak training memory, bytes: the high-water mark of live tfjs tensor bytes (each backend
   * buffer once) over every training step and validation pass, tracked at every allocation
   * (src/train/memory-meter.ts). Stored as `runs.peak_memory_bytes`.
   */
  peakMemoryBytes: number;
  /** Peak process RSS sampled at the end of each step, bytes (whole process: runtime, heaps, code). */
  peakRssBytes?: number;
  /** The pre-training estimate (weights + grads + optimizer + activations, src/train/memory.ts), bytes. Stored as `runs.estimated_memory_bytes`. */
  estimatedMemoryBytes?: number;
  /** Memory of the frozen base weights as stored (fp32 or NF4), bytes. */
  baseWeightBytes: number;
  wallSeconds: number;
  backend: string;
  device: string;
  /** Folder holding the best checkpoint (adapter_config.json + adapter_model.safetensors, or config.json + model.safetensors). */
  checkpointPath: string;
  /**
   * How the training examples became text (./data.ts `promptFormat`): `chat_template` (chat rows
   * through the model's chat template, loss on the assistant turns), `flat` (prompt + completion), or
   * `mixed` (some of each). Also in the checkpoint's trainer_state.json; the run stores it as the run
   * parameter `promptFormat`. Absent in outcomes from before it was recorded.
   */
  promptFormat?: 'chat_template' | 'flat' | 'mixed';
  /** The chat template used (`ChatTemplate.label`: model folder/file and sha256), when promptFormat is not `flat`. */
  chatTemplate?: string;
  divergenceReason?: string;
}
