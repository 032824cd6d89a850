/**
 * Human review of a run's test outputs (`fte review`): a seeded sample of its clean test examples,
 * each shown with its input, reference, the run's output and, blind and at a seeded random position
 * (A or B), a baseline's output for the same example. The reviewer scores both outputs on the rubric,
 * says which is better and leaves a note. Every answer is written to the store as it is given
 * (src/store/reviews.ts), so Ctrl-C or a closed terminal loses nothing and a re-run continues where
 * it stopped; the blind pairing (which subject was at A) is stored with the first answer.
 */
import { termSafe } from '../cli/terminal.js';
import { UserInputError } from '../errors.js';
import { fnv1a, mulberry32, shuffle } from '../random.js';
import type { Db } from '../store/db.js';
import { baselineRunId } from '../store/ids.js';
import { predictions, type PredictionRecord } from '../store/queries.js';
import { loadReviews, saveReview, type ReviewRecord } from '../store/reviews.js';
import { parseScore, type Rubric } from './rubric.js';

/** One example of the sample, as shown. */
export interface ReviewItem {
  exampleId: string;
  seq: number;
  category: string | null;
  input: string;
  reference: string;
  runOutput: string;
  /** The baseline's output for the same example (null when no baseline has it). */
  baseline: { subject: string; runId: string; output: string } | null;
  /** Where the run's output is shown (null without a baseline). */
  runPosition: 'A' | 'B' | null;
}

export interface SampleOptions {
  /** Examples in the sample. Default 20. */
  sample?: number;
  /** Seed of the sample and of the A/B positions. Default 1. */
  seed?: number;
  /** The baseline shown blind (a subject of the run's sweep). Default `base` when stored, else the first with predictions. */
  baseline?: string;
  /** Stored reviews of this reviewer: their pairing (baseline, position, order) is kept. */
  existing?: readonly ReviewRecord[];
}

/**
 * The seeded sample of `runId`'s clean test examples with the baseline's outputs, in review order.
 * Examples already reviewed (in `existing`) keep their stored pairing and come first.
 * @throws UserInputError when the run has no stored test predictions, or `baseline` is not a subject of its sweep
 */
export async function reviewSample(db: Db, runId: string, opts: SampleOptions = {}): Promise<{ items: ReviewItem[]; baselineSubject: string | null; baselines: string[] }> {
  const own = (await predictions(db, { runIds: [runId], subject: 'finetuned', perturbation: 'none' })).sort((a, b) => a.exampleId.localeCompare(b.exampleId));
  if (own.length === 0) throw new UserInputError(`run ${runId} has no stored test predictions to review (only completed variant runs have them)`);
  const bRun = baselineRunId(own[0]!.sweepId);
  const bPreds = await predictions(db, { runIds: [bRun], perturbation: 'none' });
  const bySubject = new Map<string, Map<string, PredictionRecord>>();
  for (const p of bPreds) {
    if (!bySubject.has(p.subject)) bySubject.set(p.subject, new Map());
    bySubject.get(p.subject)!.set(p.exampleId, p);
  }
  const baselines = [...bySubject.keys()].sort();
  let subject: string | null = null;
  if (opts.baseline !== undefined) {
    if (!bySubject.has(opts.baseline)) {
      throw new UserInputError(`--baseline: '${opts.baseline}' has no stored outputs in sweep ${own[0]!.sweepId}; ${baselines.length ? `known: ${baselines.join(', ')}` : 'the sweep stored no baseline outputs'}`);
    }
    subject = opts.baseline;
  } else subject = bySubject.has('base') ? 'base' : (baselines[0] ?? null);
  const seed = opts.seed ?? 1;
  const n = opts.sample ?? 20;
  const existing = new Map((opts.existing ?? []).map((r) => [r.exampleId, r]));
  const byId = new Map(own.map((p) => [p.exampleId, p]));
  const kept = [...existing.values()].filter((r) => byId.has(r.exampleId)).sort((a, b) => a.seq - b.seq);
  const drawn = shuffle([...own], mulberry32(seed)).filter((p) => !existing.has(p.exampleId));
  const order = [...kept.map((r) => byId.get(r.exampleId)!), ...drawn].slice(0, Math.max(n, kept.length));
  const items = order.map((p, i): ReviewItem => {
    const stored = existing.get(p.exampleId);
    const bSubject = stored ? stored.baselineSubject : subject;
    const bp = bSubject ? bySubject.get(bSubject)?.get(p.exampleId) : undefined;
    const position: 'A' | 'B' | null = stored ? stored.runPosition : bp ? ((fnv1a(`${seed}:${p.exampleId}`) & 1) === 0 ? 'A' : 'B') : null;
    return {
      exampleId: p.exampleId,
      seq: stored ? stored.seq : i,
      category: p.category,
      input: p.input ?? '',
      reference: p.reference ?? '',
      runOutput: p.prediction ?? '',
      baseline: bp && bSubject ? { subject: bSubject, runId: bRun, output: bp.prediction ?? '' } : null,
      runPosition: bp ? position : null,
    };
  });
  return { items, baselineSubject: subject, baselines };
}

/** A fresh (unanswered) review row for an item: its blind pairing, no answers yet. */
export function blankReview(runId: string, reviewer: string, rubric: Rubric, item: ReviewItem, source: ReviewRecord['source']): ReviewRecord {
  return {
    runId, exampleId: item.exampleId, reviewer, seq: item.seq, rubricJson: JSON.stringify(rubric),
    baselineSubject: item.baseline?.subject ?? null, baselineRunId: item.baseline?.runId ?? null, runPosition: item.runPosition,
    runScores: {}, baselineScores: {}, preference: null, note: null, complete: false, source,
  };
}

/** The outputs in display order: `[['A', 'run'], ['B', 'baseline']]` or the swap; only the run's without a baseline. */
export function displayOrder(item: Pick<ReviewItem, 'baseline' | 'runPosition'>): ['A' | 'B', 'run' | 'baseline'][] {
  if (!item.baseline) return [['A', 'run']];
  return item.runPosition === 'B' ? [['A', 'baseline'], ['B', 'run']] : [['A', 'run'], ['B', 'baseline']];
}

/** Lines of answers, one at a time; null at the end of the input. */
export interface LineSource {
  next(): Promise<string | null>;
}

export interface SessionOptions {
  db: Db;
  runId: string;
  reviewer: string;
  rubric: Rubric;
  items: readonly ReviewItem[];
  existing: readonly ReviewRecord[];
  input: LineSource;
  /** Text for the reviewer (prompts have no newline). */
  write: (text: string) => void;
  /** Write each answer after its prompt (input piped in, not typed at a terminal that echoes it). */
  echo?: boolean;
}

export interface SessionResult {
  /** Examples completed in this session. */
  completed: number;
  /** Examples of the sample still not complete. */
  remaining: number;
  /** How the session ended: every example done, the reviewer typed q, or the input ended. */
  ended: 'done' | 'quit' | 'eof';
}

const QUIT = /^(q|quit|exit)$/i;

/**
 * Walk the reviewer through the sample's unfinished examples, saving after every answer.
 * Scores must be whole numbers within the item's range; the preference is a, b or t (tie); the note
 * may be empty. `q` stops (answers so far are kept).
 */
export async function runReviewSession(o: SessionOptions): Promise<SessionResult> {
  const stored = new Map(o.existing.map((r) => [r.exampleId, r]));
  const todo = o.items.filter((it) => !stored.get(it.exampleId)?.complete);
  let completed = 0;
  const safe = (s: string) => termSafe(s);
  const ask = async (prompt: string, accept: (t: string) => boolean, hint: string): Promise<string | 'quit' | 'eof'> => {
    for (;;) {
      o.write(prompt);
      const line = await o.input.next();
      if (line === null) {
        o.write('\n');
        return 'eof';
      }
      if (o.echo) o.write(`${line}\n`);
      if (QUIT.test(line.trim())) return 'quit';
      if (accept(line)) return line;
      o.write(`  ${hint} (q to stop; answers so far are saved)\n`);
    }
  };
  for (const [k, item] of todo.entries()) {
    const rec = stored.get(item.exampleId) ?? blankReview(o.runId, o.reviewer, o.rubric, item, 'terminal');
    rec.source = 'terminal';
    o.write(`\n── example ${o.items.indexOf(item) + 1} of ${o.items.length} (${todo.length - k} left) · ${safe(item.exampleId)}${item.category ? ` · ${safe(item.category)}` : ''}\n`);
    o.write(`INPUT:\n${indent(safe(item.input))}\nREFERENCE:\n${indent(safe(item.reference))}\n`);
    const order = displayOrder(item);
    for (const [pos, who] of order) o.write(`OUTPUT ${pos}:\n${indent(safe(who === 'run' ? item.runOutput : item.baseline!.output))}\n`);
    for (const [pos, who] of order) {
      const scores = who === 'run' ? rec.runScores : rec.baselineScores;
      for (const it of o.rubric.items) {
        if (scores[it.name] !== undefined) continue;
        const a = await ask(`${order.length > 1 ? `${pos} ` : ''}${it.name} (${it.min}-${it.max}) ${it.question} `, (t) => parseScore(it, t) !== null, `enter a whole number from ${it.min} to ${it.max}`);
        if (a === 'quit' || a === 'eof') return { completed, remaining: todo.length - completed, ended: a };
        scores[it.name] = parseScore(it, a)!;
        await saveReview(o.db, rec);
      }
    }
    if (item.baseline && rec.preference === null) {
      const a = await ask('Which is better, A or B? (a / b / t = tie) ', (t) => /^(a|b|t|tie)$/i.test(t.trim()), 'enter a, b or t');
      if (a === 'quit' || a === 'eof') return { completed, remaining: todo.length - completed, ended: a };
      const c = a.trim().toLowerCase();
      rec.preference = c.startsWith('t') ? 'tie' : (c === 'a') === (item.runPosition === 'A') ? 'run' : 'baseline';
      await saveReview(o.db, rec);
    }
    const note = await ask('Note (enter for none) ', () => true, '');
    if (note === 'quit' || note === 'eof') return { completed, remaining: todo.length - completed, ended: note };
    rec.note = note.trim() || null;
    rec.complete = true;
    await saveReview(o.db, rec);
    completed++;
  }
  return { completed, remaining: 0, ended: 'done' };
}

function indent(s: string): string {
  return (s === '' ? '(empty)' : s).split('\n').map((l) => `  ${l}`).join('\n');
}

/** The stored reviews of `runId` by `reviewer` (convenience re-export for the command). */
export { loadReviews };
