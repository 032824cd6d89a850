/**
 * A Llama-architecture model end to end through the built CLI, as a user runs it: a tiny Llama
 * checkpoint with a real tokenizer.json and chat template (made by scripts/make-tiny-llama.ts), a
 * chat dataset, a limited `fte sweep` with LoRA on `all-linear`, then the run's adapter loaded back
 * by `fte generate --run`. Plus the spec checks a dry run makes against a Llama base.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { requireBuild } from '../cli/built.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import type { GenerateOutput } from '../../src/commands/generate.js';

const root = resolve(__dirname, '../..');
const jiti = join(root, 'node_modules/jiti/lib/jiti-cli.mjs');
const fte = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 600_000 });

async function query<T = Record<string, unknown>>(db: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const SPAM = ['Win a free prize now', 'Claim your reward today', 'Cheap pills, act now', 'You won the lottery', 'Click here for free money', 'Limited offer, buy now'];
const HAM = ['Lunch on Tuesday?', 'Please review the report', 'Can we move our call?', 'Meeting notes attached', 'Thank you for your help', 'See you at the office'];
const SYSTEM = 'Answer spam or ham.';

function spec(extra = ''): string {
  return `export default {
  name: 'tiny-llama-chat',
  model: { base: './tiny-llama' },
  dataset: './chat.jsonl',
  method: 'lora',
  params: { ${extra}rank: 4, epochs: 1, batchSize: 4, warmupSteps: 0, maxSeqLen: 64, learningRate: 1e-2 },
  sweep: { strategy: 'grid', parameters: { rank: [4] } },
  evaluate: { perturbations: ['typos'], baselines: ['base'], maxNewTokens: 4 },
  objective: { metric: 'val_loss', goal: 'minimize' },
};
`;
}

describe('a tiny Llama with a tokenizer.json and a chat template through fte sweep and fte generate (built CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fte-e2e-llama-'));
  const db = join(dir, 'fte.duckdb');
  let sweep: ReturnType<typeof fte>;

  beforeAll(() => {
    requireBuild('dist/commands/sweep.js', 'dist/commands/generate.js', 'oclif.manifest.json');
    const made = spawnSync(process.execPath, [jiti, join(root, 'scripts/make-tiny-llama.ts'), join(dir, 'tiny-llama'), '--seed', '3'], { encoding: 'utf8' });
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    const rows = Array.from({ length: 48 }, (_, i) => {
      const spam = i % 2 === 0;
      const text = (spam ? SPAM : HAM)[Math.floor(i / 2) % 6] + (i >= 12 ? ` (${i})` : '');
      return { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: `Is this spam? ${text}` }, { role: 'assistant', content: spam ? 'spam' : 'ham' }], category: 'classify' };
    });
    writeFileSync(join(dir, 'chat.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(join(dir, 'spec.ts'), spec("targetModules: ['all-linear'], "));
    sweep = fte(['sweep', 'spec.ts', '--db', db, '--max-steps', '3', '--limit-train', '16', '--limit-eval', '4', '--backend', 'wasm', '--parallel', '1', '--json'], dir);
  }, 600_000);

  it('the sweep completes its LoRA variant and the base baseline', () => {
    expect(sweep.stderr).not.toMatch(/Error:|at .*\.js:\d+/);
    expect(sweep.status).toBe(0);
    const out = JSON.parse(sweep.stdout);
    expect(out.variants).toHaveLength(1);
    expect(out.variants[0].status).toBe('completed');
    expect(out.subjects.map((s: { subject: string }) => s.subject)).toEqual(['base']);
  });

  it('stores a PEFT adapter on all seven linear modules, trained on the chat template', async () => {
    const [run] = await query<{ run_id: string; checkpoint_path: string; status: string }>(db, `SELECT run_id, checkpoint_path, status FROM runs WHERE kind = 'variant'`);
    expect(run!.status).toBe('completed');
    const cfg = JSON.parse(readFileSync(join(run!.checkpoint_path, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', r: 4, fan_in_fan_out: false, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
    const { tensors } = await readSafetensors(join(run!.checkpoint_path, 'adapter_model.safetensors'));
    expect(tensors.size).toBe(2 * 7 * 2);
    expect(tensors.has('base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight')).toBe(true);
    expect(JSON.parse(readFileSync(join(run!.checkpoint_path, 'trainer_state.json'), 'utf8')).promptFormat).toBe('chat_template');
    const kinds = (await query<{ kind: string }>(db, `SELECT DISTINCT kind FROM artifacts WHERE run_id = '${run!.run_id}' ORDER BY 1`)).map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['adapter', 'adapter_config']));
  });

  it('stores and shows the training format: the chat template by model folder/file and sha256 (run params, fte show, the report, the base subject)', async () => {
    const source = JSON.parse(readFileSync(join(dir, 'tiny-llama/tokenizer_config.json'), 'utf8')).chat_template as string;
    const label = `tiny-llama/tokenizer_config.json sha256:${createHash('sha256').update(source).digest('hex').slice(0, 12)}`;
    const [run] = await query<{ run_id: string }>(db, `SELECT run_id FROM runs WHERE kind = 'variant'`);
    const params = await query<{ name: string; value_text: string }>(db, `SELECT name, value_text FROM run_params WHERE run_id = '${run!.run_id}' AND name IN ('promptFormat', 'chatTemplate') ORDER BY name`);
    expect(params).toEqual([{ name: 'chatTemplate', value_text: label }, { name: 'promptFormat', value_text: 'chat_template' }]);
    expect(await query(db, `SELECT subject, prompt_format, chat_template FROM subjects ORDER BY subject`)).toEqual([
      { subject: 'base', prompt_format: 'chat_template', chat_template: label },
      { subject: 'finetuned', prompt_format: 'chat_template', chat_template: label },
    ]);
    const show = fte(['show', run!.run_id, '--db', db], dir);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain(`training format chat template ${label}`);
    expect(show.stdout).toMatch(new RegExp(`│ base +│ local tiny-llama +│ zero-shot, chat template ${label.replace(/[.]/g, '\\.')} +│`));
    const report = fte(['report', '--db', db, '--out', join(dir, 'report.html')], dir);
    expect(report.status, report.stderr).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain(`<li>Training format: chat template ${label}.</li>`);
    expect(html).toContain(`<dt>Training format</dt><dd>chat template ${label}</dd>`);
  });

  it('fte generate --run loads the adapter over the base and renders the chat template', async () => {
    const [run] = await query<{ run_id: string; checkpoint_path: string }>(db, `SELECT run_id, checkpoint_path FROM runs WHERE kind = 'variant'`);
    const ask = ['--prompt', 'Is this spam? Win a free prize now', '--chat', '--system', SYSTEM, '--max-new-tokens', '4', '--json', '--backend', 'wasm'];
    const r = fte(['generate', '--db', db, '--run', run!.run_id, ...ask], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const tuned: GenerateOutput = JSON.parse(r.stdout);
    expect(tuned).toMatchObject({ kind: 'lora', checkpoint: run!.checkpoint_path, promptFormat: 'chat_template', baseModel: join(dir, 'tiny-llama') });
    expect(tuned.ids.length).toBeGreaterThan(0);
    expect(tuned.logprobs).toHaveLength(tuned.ids.length);
    // The same prompt on the base alone: same prompt ids, other probabilities (the adapter is applied).
    const b = fte(['generate', '--model', 'tiny-llama', ...ask], dir);
    expect(b.status).toBe(0);
    const base: GenerateOutput = JSON.parse(b.stdout);
    expect(base.kind).toBe('base');
    expect(base.promptIds).toEqual(tuned.promptIds);
    expect(base.logprobs[0]).not.toBe(tuned.logprobs[0]);
    // best:<experiment> names the same run
    const best: GenerateOutput = JSON.parse(fte(['generate', '--db', db, '--run', 'best:tiny-llama-chat', ...ask], dir).stdout);
    expect(best.ids).toEqual(tuned.ids);
    // an unknown run: one line listing the runs there are
    const bad = fte(['generate', '--db', db, '--run', 'nope', '--prompt', 'x', '--backend', 'wasm'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain(run!.run_id);
  });

  it('fte serve answers a chat completion for the run through the chat template, as fte generate does', async () => {
    const [run] = await query<{ run_id: string }>(db, `SELECT run_id FROM runs WHERE kind = 'variant'`);
    const messages = [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Is this spam? Lunch on Tuesday?' }];
    const gen: GenerateOutput = JSON.parse(fte(['generate', '--db', db, '--run', run!.run_id, '--prompt', messages[1]!.content, '--chat', '--system', SYSTEM, '--max-new-tokens', '5', '--json', '--backend', 'wasm'], dir).stdout);
    const { startServer } = await import('../../src/serve/app.js');
    const server = await startServer({ db, port: 0, maxTokensCap: 64, backend: 'wasm', log: () => {} });
    try {
      const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: run!.run_id, messages, max_tokens: 5 }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
      expect(body.choices[0]!.message.content).toBe(gen.text);
      expect(body.usage.prompt_tokens).toBe(gen.promptIds.length);
    } finally {
      await server.close();
    }
  }, 120_000);

  it('dry run: GPT-2 module names and unknown model types are refused in one line', () => {
    writeFileSync(join(dir, 'gpt2-targets.ts'), spec("targetModules: ['c_attn'], "));
    const t = fte(['sweep', 'gpt2-targets.ts', '--dry-run'], dir);
    expect(t.status).toBe(2);
    expect(t.stderr.trim().split('\n')).toHaveLength(1);
    expect(t.stderr).toMatch(/params\.targetModules: 'c_attn' .*is not a linear module of .*tiny-llama \(model_type llama\); known: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, all-linear/);

    cpSync(join(dir, 'tiny-llama'), join(dir, 'falcon'), { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'falcon/config.json'), 'utf8'));
    writeFileSync(join(dir, 'falcon/config.json'), JSON.stringify({ ...cfg, model_type: 'falcon' }));
    writeFileSync(join(dir, 'falcon.ts'), spec("targetModules: ['all-linear'], ").replace("'./tiny-llama'", "'./falcon'"));
    const f = fte(['sweep', 'falcon.ts', '--dry-run'], dir);
    expect(f.status).toBe(2);
    expect(f.stderr.trim().split('\n')).toHaveLength(1);
    expect(f.stderr).toMatch(/falcon\.ts: model\.base: .*config\.json: model_type 'falcon' is not supported; known: gpt2, llama, mistral, qwen2/);

    const ok = fte(['sweep', 'spec.ts', '--dry-run', '--json'], dir);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).variants).toHaveLength(1);
  });
});
