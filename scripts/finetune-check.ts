/**
 * Sanity check of the product path on the e-mail triage suite: fine-tune one LoRA variant of a base
 * model and compare spam/ham accuracy of the base and the fine-tuned model by scoring both
 * completions (lower completion NLL wins), plus the validation loss. Not a benchmark: a quick
 * "does fine-tuning help" check used while building the base model.
 *
 *   npx jiti scripts/finetune-check.ts [baseDir] [lr] [epochs] [rank] [method]
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadDataset } from '../src/data/index.js';
import type { Example } from '../src/data/example.js';
import { paramsSchema } from '../src/experiment/schema.js';
import { encodeExample, evalBatches } from '../src/train/data.js';
import { type LoadedModel, loadForInference, trainVariant } from '../src/train/index.js';
import { maskedLoss } from '../src/train/trainer.js';

const [baseDir = 'models/fte-tiny-base', lr = '3e-3', epochs = '2', rank = '8', method = 'lora', targets = 'c_attn,attn.c_proj', only = ''] = process.argv.slice(2);
const data = await loadDataset('evals/email-triage', { seed: 42 });
if (only) for (const k of ['train', 'val'] as const) data[k] = data[k].filter((e) => e.category === only);
console.log('train', data.train.length, 'val', data.val.length, 'test', data.test.length);

/**
 * Classify slice: accuracy of the label whose completion has the lower total NLL, and the ROC AUC
 * of log P(spam) - log P(ham) (length-free view of whether the model separates the classes).
 */
function classifyAccuracy(lm: LoadedModel, test: Example[]): number {
  const cls = test.filter((e) => e.category === 'classify');
  let correct = 0;
  const predicted: Record<string, number> = {};
  const margins: { m: number; spam: boolean }[] = [];
  for (const e of cls) {
    const scores = [' spam', ' ham'].map((c) => {
      const enc = encodeExample({ ...e, completion: c }, lm.tokenizer, lm.config.nCtx);
      return maskedLoss(lm.model, evalBatches([enc], 1, lm.tokenizer.eosId)) * (enc.tokens.length - enc.completionStart);
    });
    const pred = scores[0]! < scores[1]! ? ' spam' : ' ham';
    if (pred === e.completion) correct++;
    predicted[pred] = (predicted[pred] ?? 0) + 1;
    margins.push({ m: scores[1]! - scores[0]!, spam: e.completion === ' spam' });
  }
  const pos = margins.filter((x) => x.spam);
  const neg = margins.filter((x) => !x.spam);
  let auc = 0;
  for (const p of pos) for (const n of neg) auc += p.m > n.m ? 1 : p.m === n.m ? 0.5 : 0;
  console.log('  predictions', JSON.stringify(predicted), 'AUC', (auc / (pos.length * neg.length)).toFixed(3));
  return correct / cls.length;
}

const valLoss = (lm: LoadedModel, xs: Example[]) => maskedLoss(lm.model, evalBatches(xs.map((e) => encodeExample(e, lm.tokenizer, lm.config.nCtx)), 16, lm.tokenizer.eosId));
const base = await loadForInference(baseDir, undefined, 'wasm');
console.log('base: test loss', valLoss(base, data.test).toFixed(3), 'classify acc', classifyAccuracy(base, data.test).toFixed(3), 'majority', (data.test.filter((e) => e.category === 'classify' && e.completion === ' ham').length / data.test.filter((e) => e.category === 'classify').length).toFixed(3));
base.dispose();
const t0 = Date.now();
const params = { ...paramsSchema.parse({ learningRate: Number(lr), epochs: Number(epochs), rank: Number(rank), targetModules: targets.split(','), warmupSteps: 10 }), alpha: 2 * Number(rank) };
const s = await trainVariant({
  baseModelDir: baseDir, method: method as 'lora', params, train: data.train, val: data.val, earlyStopping: { patience: 3, minDelta: 0.001 }, outDir: `/work/ftcheck/run-${process.pid}`, backend: 'wasm',
  onEvent: (e) => { if (e.type === 'eval') console.log(`  step ${e.step} val ${e.valLoss.toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`); },
});
console.log('train', JSON.stringify({ steps: s.steps, bestStep: s.bestStep, bestValLoss: s.bestValLoss, tokens: s.tokensTrained, wall: s.wallSeconds.toFixed(0), tokPerSec: (s.tokensTrained / s.wallSeconds).toFixed(0) }));
const ft = await loadForInference(baseDir, s.checkpointPath, 'wasm');
console.log('fine-tuned: test loss', valLoss(ft, data.test).toFixed(3), 'classify acc', classifyAccuracy(ft, data.test).toFixed(3));
ft.dispose();
void tf;
