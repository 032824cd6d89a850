/**
 * The Subjects table of section 5: for every baseline, extra model and the best run's own model,
 * the provider and model it ran on, its prompt, the test value of the objective, tokens per answered
 * request, failed requests, cache hits and what a local model's context cut; and the plain notes of
 * src/eval/subject-notes.ts (a baseline that saw no demonstrations at all is said in so many words).
 */
import { promptLabel, providerLabel, subjectNotes } from '../../eval/subject-notes.js';
import { subjectTokensPerRequest } from '../../eval/subject-tokens.js';
import type { EvalRow, SubjectRow } from '../../eval/types.js';
import { fmtNum } from '../../format.js';
import type { ReportData, RunData } from '../data.js';
import { evalRowOf, evalValue, type Objective } from '../objective.js';
import type { BaselinesIntroView, SubjectsView, SubjectTableRow } from '../view-types.js';
import { deltaReference, referenceWords } from './baselines.js';
import { fmtCi, keyLabel, orderSubjects, subjectLabel, subjectsPresent } from './common.js';

/** The metric the report tests subjects on: the objective, or test perplexity (slice `all`) when the objective is validation loss. */
export function testedMetric(objective: Objective): { slice: string; metric: string; key: string } {
  const t = objective.metric === 'val_loss' ? { slice: 'all', metric: 'perplexity' } : { slice: objective.slice, metric: objective.metric };
  return { ...t, key: keyLabel(t.slice, t.metric) };
}

/** The `subjects` rows the report shows: the best run's fine-tuned model first, then the sweep's baselines and extra models in report order. */
export function subjectRows(data: ReportData, best: RunData | null): SubjectRow[] {
  const own = (best?.subjects ?? []).filter((r) => r.subject === 'finetuned');
  const baselines = data.baselines.subjects ?? [];
  const order = orderSubjects(baselines.map((r) => r.subject));
  return [...own, ...[...baselines].sort((a, b) => order.indexOf(a.subject) - order.indexOf(b.subject))];
}

/** A subject saw no demonstrations at all although it asked for some (src/eval/subject-notes.ts says the same). */
export function sawNoDemonstrations(r: SubjectRow): boolean {
  return r.k > 0 && r.examples > 0 && r.noDemonstrations === r.examples;
}

/** A note as a sentence: ending with a full stop (it starts with the subject's stored name, kept as it is). */
function sentence(x: string): string {
  return /[.!?]$/.test(x) ? x : `${x}.`;
}

/**
 * The notes that change how a comparison reads: the subject saw no demonstrations at all, or some of
 * its requests failed (scored as empty answers). Partial truncation and cut inputs stay in the table.
 */
export function severeNotes(r: SubjectRow): string[] {
  const keep = sawNoDemonstrations(r) ? {} : { noDemonstrations: 0, demonstrationsDropped: 0 };
  return subjectNotes({ ...r, inputsCut: 0, ...keep }).map(sentence);
}

function ofN(n: number, total: number): string {
  return n === 0 ? '0' : `${n} of ${total}`;
}

function truncationText(r: SubjectRow): { text: string; cls: string } {
  if (sawNoDemonstrations(r)) return { text: `no demonstrations (k = ${r.k})`, cls: 'bad' };
  const parts: string[] = [];
  if (r.noDemonstrations > 0) parts.push(`${r.noDemonstrations} of ${r.examples} saw no demonstration`);
  if (r.demonstrationsDropped > r.noDemonstrations) parts.push(`${r.demonstrationsDropped} of ${r.examples} lost demonstrations`);
  if (r.inputsCut > 0) parts.push(`${r.inputsCut} of ${r.examples} inputs cut`);
  return parts.length ? { text: parts.join(' · '), cls: 'warn' } : { text: 'none', cls: '' };
}

/**
 * Builds the Subjects table and its notes.
 * @param rows every eval row the report shows (baselines and the best run's), for the objective column
 */
export function buildSubjects(data: ReportData, best: RunData | null, rows: readonly EvalRow[], objective: Objective): SubjectsView {
  const t = testedMetric(objective);
  const out: SubjectTableRow[] = subjectRows(data, best).map((r) => {
    const own = r.subject === 'finetuned' && best;
    const source = own ? best.evalRows : rows;
    const v = evalValue(source, r.subject, t.slice, t.metric);
    const trunc = truncationText(r);
    return {
      subject: r.subject,
      label: own ? `${subjectLabel(r.subject)} (${best.runId})` : subjectLabel(r.subject),
      provider: providerLabel(r),
      prompt: promptLabel(r),
      value: fmtNum(v),
      ci: fmtCi(evalRowOf(source, r.subject, t.slice, t.metric)),
      examples: String(r.examples),
      ...tokenCells(r),
      errors: ofN(r.errors, r.requests),
      errorsTitle: r.firstError ? `first failure: ${r.firstError}` : '',
      cached: ofN(r.cached, r.requests),
      errorsCls: r.errors > 0 ? 'bad' : '',
      truncation: trunc.text,
      truncationCls: trunc.cls,
    };
  });
  const notes = subjectRows(data, best).flatMap((r) => subjectNotes(r)).map(sentence);
  return { metric: `${t.key} (test)`, rows: out, notes };
}

const TITLE_WORD: Record<string, string> = { finetuned: 'Fine-tuned', base: 'base', prompting: 'prompting', rag: 'RAG' };
const BUILTIN_LEDE = 'Best variant against the untuned base model, a few-shot prompting baseline and a RAG baseline (BM25 retrieval of training examples), on the same clean test split.';

/**
 * Section 5's heading (`Fine-tuned vs base vs prompting vs RAG`, or with every named subject) and
 * lede: what is compared and what the deltas are against (`deltaReference`).
 */
export function buildBaselinesIntro(rows: readonly EvalRow[], evalOnly: boolean): BaselinesIntroView {
  const clean = rows.filter((r) => r.perturbation === 'none' && r.metric !== 'consistency');
  const subjects = subjectsPresent(clean);
  const shown = subjects.filter((s) => s !== 'majority');
  const builtin = ['finetuned', 'base', 'prompting', 'rag'];
  const classic = !evalOnly && builtin.every((s) => shown.includes(s)) && shown.every((s) => builtin.includes(s));
  const words = shown.map((s) => TITLE_WORD[s] ?? s).join(' vs ');
  const title = shown.length === 0 ? 'Subjects' : words.charAt(0).toUpperCase() + words.slice(1);
  const ref = deltaReference(subjects);
  const reference = ref ? referenceWords(ref) : '';
  const who = evalOnly ? 'Every evaluated subject (no variants were trained)' : 'The best variant and every baseline and extra model';
  const lede = classic ? BUILTIN_LEDE : `${who}, on the same clean test split; the Subjects table says how each was prompted and served.`;
  return { title, lede, reference };
}

/** Tokens per request in and out: as reported (or measured), `~N` when estimated because the API reported no usage, `not reported` when unknown. */
function tokenCells(r: SubjectRow): { tokensIn: string; tokensOut: string } {
  if (!(r.answered > 0)) return { tokensIn: '—', tokensOut: '—' };
  const t = subjectTokensPerRequest(r);
  if (!t) return { tokensIn: 'not reported', tokensOut: 'not reported' };
  const est = t.basis === 'counted' || t.basis === 'partial' ? '~' : '';
  return { tokensIn: `${est}${Math.round(t.inputTokens)}`, tokensOut: `${est}${Math.round(t.outputTokens)}` };
}
