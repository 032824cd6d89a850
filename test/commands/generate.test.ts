/**
 * `fte generate` through the built CLI: ids and logprobs against an in-process recomputation and the
 * PyTorch reference, the chat template, a fine-tuned checkpoint folder, one-line errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../cli/built.js';
import { makeTinyLlama } from '../../scripts/make-tiny-llama.js';
import { loadModel } from '../../src/model/load.js';
import { loadHfTokenizer } from '../../src/model/tokenizer.js';
import { initBackend } from '../../src/train/backend.js';
import type { GenerateOutput } from '../../src/commands/generate.js';

const root = resolve(__dirname, '../..');
const FIX = join(root, 'test/fixtures/llama');
const fte = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
const json = (args: string[]): GenerateOutput => {
  const r = fte(['generate', ...args, '--json', '--backend', 'wasm']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
};

let tiny: string;
beforeAll(async () => {
  requireBuild('dist/commands/generate.js', 'oclif.manifest.json');
  tiny = mkdtempSync(join(tmpdir(), 'fte-gen-'));
  await makeTinyLlama(tiny, { seed: 2 });
  await initBackend('wasm');
});

describe('fte generate', () => {
  it('--input-ids on a folder without tokenizer files: the PyTorch reference greedy continuation', () => {
    const ref = JSON.parse(readFileSync(join(FIX, 'llama3-rope/reference.json'), 'utf8'));
    const out = json(['--model', join(FIX, 'llama3-rope'), '--input-ids', ref.greedy.prompt.join(','), '--max-new-tokens', String(ref.greedy.tokens.length)]);
    expect(out.ids).toEqual(ref.greedy.tokens);
    expect(out.text).toBe('');
    expect(out.finishReason).toBe('length');
    expect(out.promptFormat).toBe('ids');
  });

  it('logprobs are ln softmax of the chosen tokens, as a full forward pass computes them', async () => {
    const out = json(['--model', tiny, '--input-ids', '5,6,7', '--max-new-tokens', '6']);
    const m = await loadModel(tiny);
    const seq = [5, 6, 7, ...out.ids];
    const lp = tf.tidy(() => tf.logSoftmax(m.forward(tf.tensor2d([seq], [1, seq.length], 'int32')).logits));
    const v = m.config.vocabSize;
    const data = lp.dataSync();
    out.ids.forEach((id, j) => {
      const row = (3 + j - 1) * v;
      expect(out.logprobs[j]!).toBeCloseTo(data[row + id]!, 4);
      // greedy: the chosen token is the argmax
      expect(Math.max(...Array.from(data.subarray(row, row + v)))).toBeCloseTo(data[row + id]!, 5);
    });
    lp.dispose();
    m.dispose();
  });

  it('--chat renders the chat template with the generation prompt; plain --prompt gets BOS only', async () => {
    const tok = await loadHfTokenizer(tiny);
    const chat = json(['--model', tiny, '--prompt', 'Hello there', '--chat', '--system', 'Be brief.', '--max-new-tokens', '3']);
    expect(chat.promptFormat).toBe('chat_template');
    expect(chat.promptIds).toEqual(tok.encode(tok.chatTemplate!.render([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }], true)));
    expect(chat.promptIds[0]).toBe(tok.bosId);
    const plain = json(['--model', tiny, '--prompt', 'Hello there', '--max-new-tokens', '3']);
    expect(plain.promptIds).toEqual([tok.bosId, ...tok.encode('Hello there')]);
    expect(plain.kind).toBe('base');
    // without --json: the text alone
    const r = fte(['generate', '--model', tiny, '--prompt', 'Hello there', '--max-new-tokens', '3', '--backend', 'wasm']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${plain.text}\n`);
  });

  it('GPT-2 models work the same (the built-in byte model)', () => {
    const out = json(['--model', 'models/fte-tiny-base', '--prompt', 'The people of the United States', '--max-new-tokens', '12']);
    expect(out.ids).toHaveLength(12);
    expect(out.text.length).toBeGreaterThan(0);
  });

  it('bad input: one line, exit 2', () => {
    for (const [args, msg] of [
      [['--model', tiny], /give --prompt TEXT or --input-ids/],
      [['--model', tiny, '--input-ids', '1,x'], /--input-ids: expected comma-separated non-negative integers/],
      [['--model', tiny, '--input-ids', '99999'], /99999 is outside the vocabulary/],
      [['--model', join(FIX, 'llama3-rope'), '--prompt', 'hi'], /tokenizer\.json: not found/],
      [['--prompt', 'hi'], /give --model DIR/],
      [['--model', tiny, '--prompt', 'hi', '--temperature', '-1'], /--temperature/],
    ] as const) {
      const r = fte(['generate', ...args, '--backend', 'wasm']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});
