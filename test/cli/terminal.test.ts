/**
 * User and model text never reaches the terminal raw: control characters (ESC, BEL, CR, backspace...)
 * in a category, an experiment name or an error are shown escaped by every table and message.
 * Unit tests of the escaping, then the built CLI on a store and a dataset seeded with such text.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTable } from '../../src/cli/table.js';
import { termSafe } from '../../src/cli/terminal.js';
import { openStore } from '../../src/store/open.js';
import { costOfRun } from '../../src/cost/run-cost.js';
import { costSpec } from '../../src/cost/spec.js';
import { resolvePrices } from '../../src/cost/prices.js';
import type { EvalRow, Subject } from '../../src/eval/types.js';
import { curve, outcome, PARAMS } from '../store/fixtures.js';

const EVIL = 'evil\x1b]0;pwned\x07';
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe('termSafe', () => {
  it('shows C0/C1 controls, DEL and bidi overrides as escapes; keeps newlines and printable text', () => {
    expect(termSafe(EVIL)).toBe('evil\\x1b]0;pwned\\x07');
    expect(termSafe('a\rb\bc\td\x7fe\x9bf\u202eg')).toBe('a\\rb\\x08c\\td\\x7fe\\x9bf\\u{202e}g');
    expect(termSafe('line 1\nline 2 — é ✓')).toBe('line 1\nline 2 — é ✓');
    expect(termSafe('\x1b[31mred\x1b[0m', { keepSgr: true })).toBe('\x1b[31mred\x1b[0m');
    expect(termSafe('\x1b]0;t\x07', { keepSgr: true })).toBe('\\x1b]0;t\\x07');
  });

  it('makeTable escapes head and cells (plain strings and {content} cells)', () => {
    const t = makeTable(['h\x1b']);
    t.push([EVIL], [{ content: `x${EVIL}` } as never]);
    const s = t.toString();
    expect(s).not.toMatch(RAW);
    expect(s).toContain('evil\\x1b]0;pwned\\x07');
  });
});

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let dir: string;
let db: string;
let data: string;

const costSection = {
  targetDevice: 'A100-80GB', apiModel: 'gpt-4o-mini', servingDevice: 'L4', servingThroughputTokensPerSecond: 1000,
  monthlyRequests: 100_000, months: 12, ragIndexMonthlyUsd: 70, dataPreparationUsd: 100, servingAlwaysOnDevices: 0,
};
const row = (subject: Subject, value: number): EvalRow => ({ subject, perturbation: 'none', slice: EVIL, metric: 'f1_macro', value, n: 10 });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fte-term-'));
  db = path.join(dir, 'fte.duckdb');
  data = path.join(dir, 'data.jsonl');
  fs.writeFileSync(data, [
    JSON.stringify({ prompt: 'hello there', completion: ' ok', category: EVIL }),
    JSON.stringify({ prompt: 'hello again', completion: ' no', category: 'plain' }),
    JSON.stringify({ prompt: 'hello there', completion: ' ok', category: EVIL }),
    JSON.stringify({ prompt: `mail ${EVIL} at jane.doe@example.com`, completion: ' ok', category: EVIL }),
    `{"prompt": "broken\x1b]0;x\x07`,
  ].join('\n') + '\n');
  const store = await openStore(db);
  try {
    const objective = { metric: `${EVIL}/f1_macro`, goal: 'maximize' as const };
    await store.upsertExperiment({ name: EVIL, specPath: 'experiments/x.ts', specHash: 'h', objective });
    await store.createSweep({ experimentId: EVIL, sweepId: 's1', specJson: { name: EVIL, cost: costSection }, objective });
    await store.startRun({ runId: 'r1', sweepId: 's1', variantKey: 'k1', method: 'lora', params: { ...PARAMS, note: EVIL } });
    await store.appendStepMetrics('r1', curve(10));
    const train = [{ component: 'train', device: 'cpu-core', hours: 0.025, tokens: 12_345, usd: 0.01, priceSource: 'test' }];
    await store.writeRunOutcome(outcome('r1', { params: { ...PARAMS, note: EVIL }, evalRows: [row('finetuned', 0.8)], costs: train }));
    await store.startRun({ runId: 'r2', sweepId: 's1', variantKey: 'k2', method: 'lora', params: PARAMS });
    const failed = outcome('r2', { status: 'failed', error: `worker said ${EVIL}`, evalRows: [] });
    delete failed.train;
    await store.writeRunOutcome(failed);
    const usage = { base: { examples: 10, promptTokens: 400, completionTokens: 50 }, prompting: { examples: 10, promptTokens: 5000, completionTokens: 50 }, rag: { examples: 10, promptTokens: 3000, completionTokens: 50 } };
    await store.writeBaselineResults('s1', [row('prompting', 0.6), row('rag', 0.65), row('base', 0.3)], [], costOfRun({ method: 'lora', usage, totalParams: 1e8, cost: costSpec(costSection), prices: resolvePrices() }));
    await store.finishSweep('s1', 'completed');
  } finally {
    await store.close();
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function fte(args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

describe('no raw control characters from the built CLI', () => {
  it.each([
    [['show', 'r1', '--all']],
    [['show', 'r2']],
    [['runs']],
    [['roi']],
    [['show', EVIL]],
    [['data', 'validate', 'data.jsonl']],
    [['query', `select '${EVIL}' as x`]],
  ])('fte %j', (args) => {
    const r = fte(args[0] === 'data' ? args : [...args, '--db', db]);
    expect(r.out).not.toMatch(RAW);
    expect(r.out).toContain('evil\\x1b]0;pwned\\x07');
  });
});

describe('fte query --csv', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('escapes control characters on a terminal (a pty through script(1)), keeps them in a pipe', () => {
    const sql = `select 'a'||chr(27)||']0;x'||chr(7) as v`;
    const cmd = [process.execPath, path.join(root, 'bin/run.js'), 'query', '--db', db, '--csv', sql].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const tty = spawnSync('script', ['-qc', cmd, '/dev/null'], { encoding: 'utf8' });
    expect(tty.stdout).toContain('a\\x1b]0;x\\x07');
    expect(tty.stdout).not.toMatch(/\x1b|\x07/);
    const pipe = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'query', '--db', db, '--csv', sql], { encoding: 'utf8' });
    expect(pipe.stdout).toBe('v\r\na\x1b]0;x\x07\r\n');
  });
});
