/**
 * `fte review` in a real terminal: the built CLI runs in a detached tmux session of a fixed size (a
 * pseudo-terminal, so standard input is a TTY that echoes what is typed); the test types answers with
 * `tmux send-keys`, reads the screen with `tmux capture-pane`, interrupts with Ctrl-C and, once,
 * closes the terminal (`kill-server`: SIGHUP, no clean-up code runs). After each session the store
 * (DuckDB) must hold every answer given, with the blind pairing shown on the screen, and the next
 * session must start at the first unanswered question. Needs tmux (installed by .ci/run); without it
 * the suite fails with one clear line rather than skipping.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { StoreLockedError } from '../../src/store/errors.js';
import { loadReviews, type ReviewRecord } from '../../src/store/reviews.js';
import { reviewSample, type ReviewItem } from '../../src/review/session.js';
import { buildFixtureDb } from '../report/db-fixture.js';
import { requireBuild } from '../cli/built.js';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'fte-review-tmux-'));
const db = join(dir, 'fte.duckdb');
const RUN = 'run-4';
const REVIEWER = 'tia';
/** Seed 5 samples three examples whose run and base outputs all differ, the run's shown at B, A, B. */
const SEED = 5;
/** A private tmux server (its socket in this test's folder), never the user's. */
const SOCKET = join(dir, 'tmux.sock');
const PANE = 'fte-review';
const WAIT_MS = 30_000;

const PROMPT = {
  correct: (pos: string) => `${pos} correct (1-5) Is the answer correct?`,
  format: (pos: string) => `${pos} format (1-5) Is it in the expected format?`,
  tone: (pos: string) => `${pos} tone (1-5) Is the tone right?`,
  preference: 'Which is better, A or B? (a / b / t = tie)',
  note: 'Note (enter for none)',
};
/** A line that waits for an answer (every prompt ends with `?` or `)`). */
const ASKING = /[?)]$/;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-S', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw new Error(`tmux ${args[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

const EXITED = /\[fte review exited: (\d+)\]/;

/**
 * Starts `fte review` in a fresh tmux server, 160 x 50, under /bin/sh, which prints its exit status
 * when it ends (tmux's own `#{pane_dead_status}` can lag: it reaps its child late at times); the pane
 * stays after the command ends so the screen can be read.
 */
function startReview(): void {
  tmux('new-session', '-d', '-s', PANE, '-x', '160', '-y', '50', 'sleep 600');
  tmux('set-option', '-g', 'remain-on-exit', 'on');
  tmux('set-option', '-g', 'default-shell', '/bin/sh');
  const fte = [process.execPath, join(root, 'bin/run.js'), 'review', RUN, '--db', db, '--reviewer', REVIEWER, '--sample', '3', '--seed', String(SEED)].map(quote).join(' ');
  tmux('respawn-pane', '-k', '-t', PANE, '-c', root, '-e', 'NO_COLOR=1', `${fte}; echo "[fte review exited: $?]"`);
}

/** The whole pane, scrollback included, wrapped lines joined, trailing blanks trimmed. */
function screen(): string {
  return tmux('capture-pane', '-p', '-J', '-S', '-', '-t', PANE).split('\n').map((l) => l.trimEnd()).join('\n').trimEnd();
}

const lastLine = (s: string): string => s.split('\n').at(-1) ?? '';

/** Polls the screen until `ok` holds; fails with the screen after WAIT_MS. */
async function waitFor(what: string, ok: (s: string) => boolean): Promise<string> {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const s = screen();
    if (ok(s)) return s;
    if (Date.now() > until) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; the terminal shows:\n${s}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `prompt` is the line the cursor waits on, then types `answer` and Enter. */
async function answer(prompt: string, text: string): Promise<void> {
  const before = await waitFor(`the prompt '${prompt}'`, (s) => lastLine(s) === prompt);
  if (text !== '') tmux('send-keys', '-t', PANE, '-l', text);
  tmux('send-keys', '-t', PANE, 'Enter');
  // The echo (or, for an empty answer, the next prompt) changes the screen: the next wait cannot see this prompt again.
  await waitFor(`'${text}' typed after '${prompt}'`, (s) => s !== before);
}

/** Waits for `fte review` to end; returns its exit status. */
async function exitStatus(): Promise<number> {
  return Number(EXITED.exec(await waitFor('fte review to exit', (s) => EXITED.test(s)))![1]);
}

function killServer(): void {
  spawnSync('tmux', ['-S', SOCKET, 'kill-server'], { encoding: 'utf8', timeout: 10_000 });
}

/**
 * The stored reviews of the reviewer. `waitForLock`: after the terminal closed, wait (bounded) until
 * the killed `fte review` no longer holds the store's lock.
 */
async function stored(waitForLock = false): Promise<Map<string, ReviewRecord>> {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const store = await openStore(db, { readOnly: true });
      try {
        return new Map((await loadReviews(store.db, RUN, REVIEWER)).map((r) => [r.exampleId, r]));
      } finally {
        await store.close();
      }
    } catch (err) {
      if (!waitForLock || !(err instanceof StoreLockedError) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** What the screen shows for an example: output A, then output B (the run's at its blind position). */
const shown = (it: ReviewItem): string => {
  const [a, b] = it.runPosition === 'A' ? [it.runOutput, it.baseline!.output] : [it.baseline!.output, it.runOutput];
  return `OUTPUT A:\n  ${a}\nOUTPUT B:\n  ${b}\n`;
};

/** Scores typed for A and for B, as stored: the run's are the ones at its position. */
const asStored = (it: ReviewItem, a: Record<string, number>, b: Record<string, number>) =>
  it.runPosition === 'A' ? { runScores: a, baselineScores: b } : { runScores: b, baselineScores: a };

let items: ReviewItem[];

beforeAll(async () => {
  requireBuild('dist/commands/review.js', 'oclif.manifest.json');
  const v = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) throw new Error('tmux is not installed: this test drives `fte review` in a real terminal under tmux (apt-get install tmux; .ci/run installs it)');
  await buildFixtureDb(db);
  const store = await openStore(db, { readOnly: true });
  try {
    items = (await reviewSample(store.db, RUN, { sample: 3, seed: SEED })).items;
  } finally {
    await store.close();
  }
  // The pairing checks below mean something only when the two outputs differ and the positions vary.
  expect(items.every((it) => it.baseline !== null && it.baseline.output !== it.runOutput && !/\n/.test(it.runOutput + it.baseline.output))).toBe(true);
  expect(new Set(items.map((it) => it.runPosition)).size).toBe(2);
}, 120_000);

afterAll(() => {
  killServer();
  rmSync(dir, { recursive: true, force: true });
});

describe('fte review in a real terminal (tmux)', () => {
  it('saves each answer as it is typed; Ctrl-C and a closed terminal lose nothing; each restart continues at the first unanswered question', async () => {
    const [e1, e2, e3] = items as [ReviewItem, ReviewItem, ReviewItem];

    // Session 1: example 1 complete, example 2 one score, then Ctrl-C at the next prompt.
    startReview();
    let s = await waitFor('example 1', (x) => x.includes(`── example 1 of 3 (3 left) · ${e1.exampleId}`));
    await answer(PROMPT.correct('A'), '5');
    s = screen();
    expect(s).toContain(shown(e1));
    // A score out of range is asked again, in the terminal too.
    await answer(PROMPT.format('A'), '9');
    await waitFor('the range hint', (x) => x.includes('enter a whole number from 1 to 5 (q to stop; answers so far are saved)'));
    await answer(PROMPT.format('A'), '4');
    await answer(PROMPT.tone('A'), '3');
    for (const q of ['correct', 'format', 'tone'] as const) await answer(PROMPT[q]('B'), '2');
    await answer(PROMPT.preference, 'a');
    await answer(PROMPT.note, 'A reads better');
    await waitFor('example 2', (x) => x.includes(`── example 2 of 3 (2 left) · ${e2.exampleId}`));
    await answer(PROMPT.correct('A'), '4');
    await waitFor('the second question of example 2', (x) => lastLine(x) === PROMPT.format('A'));
    expect(screen()).toContain(shown(e2));
    tmux('send-keys', '-t', PANE, 'C-c');
    expect(await exitStatus()).toBe(130);
    s = screen();
    expect(s).toContain('stopped: 1 completed in this session, 2 left; run the same command to continue');
    expect(s).toContain(`human review: 1 example complete of 2 started, by ${REVIEWER}; blind baseline: base`);
    killServer();

    let saved = await stored();
    expect([...saved.keys()].sort()).toEqual([e1.exampleId, e2.exampleId].sort());
    expect(saved.get(e1.exampleId)).toMatchObject({
      complete: true, source: 'terminal', note: 'A reads better', seq: 0,
      baselineSubject: 'base', baselineRunId: e1.baseline!.runId, runPosition: e1.runPosition,
      preference: e1.runPosition === 'A' ? 'run' : 'baseline',
      ...asStored(e1, { correct: 5, format: 4, tone: 3 }, { correct: 2, format: 2, tone: 2 }),
    });
    // The example in progress: its one answer and its blind pairing, saved before Ctrl-C.
    expect(saved.get(e2.exampleId)).toMatchObject({
      complete: false, preference: null, note: null, seq: 1, baselineSubject: 'base', runPosition: e2.runPosition,
      ...asStored(e2, { correct: 4 }, {}),
    });

    // Session 2: starts at example 2's second question; finish it, answer one score of example 3,
    // then close the terminal (SIGHUP kills fte review where it waits).
    startReview();
    s = await waitFor('the first question of session 2', (x) => x.includes(`── example 2 of 3 (2 left) · ${e2.exampleId}`) && ASKING.test(lastLine(x)));
    expect(lastLine(s)).toBe(PROMPT.format('A'));
    expect(s).toContain(shown(e2));
    await answer(PROMPT.format('A'), '5');
    await answer(PROMPT.tone('A'), '5');
    await answer(PROMPT.correct('B'), '1');
    await answer(PROMPT.format('B'), '1');
    await answer(PROMPT.tone('B'), '1');
    await answer(PROMPT.preference, 't');
    await answer(PROMPT.note, '');
    await waitFor('example 3', (x) => x.includes(`── example 3 of 3 (1 left) · ${e3.exampleId}`));
    await answer(PROMPT.correct('A'), '3');
    await waitFor('the second question of example 3', (x) => lastLine(x) === PROMPT.format('A'));
    expect(screen()).toContain(shown(e3));
    killServer();
    saved = await stored(true);
    expect(saved.get(e2.exampleId)).toMatchObject({ complete: true, preference: 'tie', note: null, runPosition: e2.runPosition, ...asStored(e2, { correct: 4, format: 5, tone: 5 }, { correct: 1, format: 1, tone: 1 }) });
    expect(saved.get(e3.exampleId)).toMatchObject({ complete: false, seq: 2, baselineSubject: 'base', runPosition: e3.runPosition, ...asStored(e3, { correct: 3 }, {}) });
    expect(saved.get(e1.exampleId)).toMatchObject({ complete: true, note: 'A reads better' });

    // Session 3: the next unanswered example, at its second question; q stops cleanly.
    startReview();
    s = await waitFor('the first question of session 3', (x) => x.includes('── example ') && ASKING.test(lastLine(x)));
    expect(s).toContain(`── example 3 of 3 (1 left) · ${e3.exampleId}`);
    expect(lastLine(s)).toBe(PROMPT.format('A'));
    expect(s).not.toContain('── example 1 of 3');
    expect(s).not.toContain('── example 2 of 3');
    await answer(PROMPT.format('A'), 'q');
    expect(await exitStatus()).toBe(0);
    s = screen();
    expect(s).toContain('stopped: 0 completed in this session, 1 left; run the same command to continue');
    expect(s).toContain(`human review: 2 examples complete of 3 started, by ${REVIEWER}; blind baseline: base`);
    killServer();
    expect((await stored()).size).toBe(3);
  }, 240_000);
});
