/** What the cost stage produces: one priced row per component. */
/** One `costs` row. component: `train`, `eval`, `train_target_device`, `inference_per_request_<subject>` ... */
export interface CostRow {
  component: string;
  device: string;
  hours: number;
  tokens: number;
  usd: number;
  priceSource: string;
  /** Estimated FLOPs of the work the row prices (training 4N + 2n per token, inference 2N), when known. */
  flops?: number;
}
