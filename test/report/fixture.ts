/**
 * A small but realistic sweep for report tests: 6 LoRA variants (rank {4, 8, 16} x learning rate
 * {1e-4, 3e-4}) on a two-task suite (classify: spam/ham; subject: subject-line generation), one
 * diverged, one stopped early; eval rows for every subject x perturbation x slice x metric;
 * predictions with hostile text (`<script>`, `|`, backticks, `@someone`, `</script>`).
 */
import type { CostRow } from '../../src/cost/types.js';
import type { EvalRow, PredictionRow, Subject, SubjectRow } from '../../src/eval/types.js';
import type { RunOutcome } from '../../src/store/types.js';
import type { StepMetric } from '../../src/train/types.js';
import type { ReportData, RunData, SweepInfo } from '../../src/report/data.js';

export const PERTURBATIONS = ['typos', 'lowercase', 'spaces', 'contractions'] as const;
export const HOSTILE = '<script>alert(1)</script> | `rm -rf` @someone </script><!-- **bold** [x](javascript:alert(2))';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export const SPEC = {
  name: 'email-triage-lora',
  description: 'LoRA rank x learning rate on the email-triage suite (fixture).',
  model: { base: 'models/fte-tiny-base' },
  dataset: 'evals/email-triage',
  method: 'lora',
  objective: { metric: 'classify/f1_macro', goal: 'maximize' },
  cost: { monthlyRequests: 100000, months: 12, ragIndexMonthlyUsd: 70, dataPreparationUsd: 0, targetDevice: 'A100-80GB', apiModel: 'gpt-4o-mini' },
  evaluate: { perturbations: [...PERTURBATIONS], baselines: ['base', 'prompting', 'rag'] },
};

export const SWEEP_ID = 'sw-fixture1';

/** Quality of a subject: base < rag < prompting < fine-tuned (by `skill`, 0..1). */
function evalRowsFor(subject: Subject, skill: number, r: () => number): EvalRow[] {
  const rows: EvalRow[] = [];
  const perts = ['none', ...PERTURBATIONS, 'worst_case'];
  for (const p of perts) {
    const hit = p === 'none' ? 0 : p === 'worst_case' ? 0.12 : 0.02 + 0.05 * r();
    const q = Math.max(0, Math.min(1, skill - hit));
    const cls = { accuracy: 0.5 + 0.45 * q, f1_macro: 0.35 + 0.6 * q, f1_micro: 0.5 + 0.45 * q };
    for (const [metric, value] of Object.entries(cls)) rows.push({ subject, perturbation: p, slice: 'classify', metric, value, n: 40 });
    const gen = { bleu: 2 + 30 * q, chrf: 10 + 40 * q, rougeL: 0.05 + 0.5 * q, rouge1: 0.08 + 0.5 * q };
    for (const [metric, value] of Object.entries(gen)) rows.push({ subject, perturbation: p, slice: 'subject', metric, value, n: 40 });
    if (subject === 'finetuned' || subject === 'base') rows.push({ subject, perturbation: p, slice: 'all', metric: 'perplexity', value: 3 + 20 * (1 - q), n: 80 });
    if (p !== 'none' && p !== 'worst_case') rows.push({ subject, perturbation: p, slice: 'all', metric: 'consistency', value: 0.6 + 0.35 * skill - 0.1 * r(), n: 80 });
  }
  return rows.map(withInterval);
}

/** A 95% interval as the evaluation stage stores one (bootstrap over the test examples): ±0.1 on 0..1 metrics, ±4 BLEU/chrF points, ±1.5 perplexity. */
function withInterval(row: EvalRow): EvalRow {
  const half = row.metric === 'bleu' || row.metric === 'chrf' ? 4 : row.metric === 'perplexity' ? 1.5 : 0.1;
  const bounded = half === 0.1;
  return { ...row, ciLow: Math.max(0, row.value - half), ciHigh: bounded ? Math.min(1, row.value + half) : row.value + half, ciSignature: 'bootstrap-percentile:1000:seed=12345:ci=0.95|over:examples|level:corpus' };
}

const HOSTILE_EXAMPLES = [
  { id: 'T1', category: 'classify', input: 'Is this e-mail spam or ham?\nSubject: WIN a FREE cruise | today only\nBody: click here', reference: 'spam' },
  { id: 'T2', category: 'classify', input: `Is this e-mail spam or ham?\nSubject: re: build broken\nBody: ${HOSTILE}`, reference: 'ham' },
  { id: 'T3', category: 'subject', input: 'Write the subject line.\nBody: the meeting moved to 3pm, see `calendar.ics`', reference: 'Meeting moved | 3pm' },
  { id: 'T4', category: 'subject', input: 'Write the subject line.\nBody: @someone please review the patch', reference: 'Patch review @someone' },
  { id: 'T5', category: 'classify', input: 'Is this e-mail spam or ham?\nSubject: Your invoice\nBody: attached', reference: 'ham' },
  { id: 'T6', category: 'subject', input: 'Write the subject line.\nBody: new release </script><script>alert(3)</script>', reference: 'Release notes' },
];

/** The 6 hostile examples, then plain ones up to 40 per slice (the eval rows' n), so paired tests have data. */
const EXAMPLES = [
  ...HOSTILE_EXAMPLES,
  ...Array.from({ length: 74 }, (_, k) =>
    k % 2 === 0
      ? { id: `C${k}`, category: 'classify', input: `Is this e-mail spam or ham?\nSubject: note ${k}`, reference: k % 4 === 0 ? 'spam' : 'ham' }
      : { id: `S${k}`, category: 'subject', input: `Write the subject line.\nBody: status update number ${k}`, reference: `Status update ${k}` },
  ),
];
const LABELS = ['spam', 'ham'];

function predictions(subject: Subject, skill: number, r: () => number): PredictionRow[] {
  return EXAMPLES.map((e, i) => {
    const right = r() < skill;
    const wrong = e.category === 'classify' ? (e.reference === 'spam' ? 'ham' : 'spam') : `|not| \`sure\` @${subject}`;
    const prediction = i === 1 ? `ham ${HOSTILE}` : right ? e.reference : i < 6 ? (i % 2 === 0 ? 'ham' : `|not| \`sure\` @${subject}`) : wrong;
    // The hostile examples are the fine-tuned model's worst regressions, so every table that samples outputs shows them.
    const s = i < 6 ? (subject === 'finetuned' ? 0 : 1) : right ? 0.9 + 0.1 * r() : 0.1 * r();
    return {
      subject, perturbation: 'none', exampleId: e.id, input: e.input, reference: e.reference, prediction, scores: { f1_macro: s, rougeL: s, nll_mean: Math.log(3 + 20 * (1 - skill)), nll_tokens: 10 },
      category: e.category, ...(e.category === 'classify' ? { labels: LABELS } : {}),
    };
  });
}

function curves(lr: number, rank: number, steps: number, diverge: boolean): StepMetric[] {
  const out: StepMetric[] = [];
  const floor = 1.2 - 0.02 * Math.log2(rank) - lr * 800;
  for (let step = 1; step <= steps; step++) {
    const epoch = step / 20;
    let loss = floor + 2.2 * Math.exp((-step * lr * 1e4) / 25) + 0.03 * Math.sin(step);
    if (diverge && step > steps - 5) loss = step === steps ? Number.NaN : loss * (1 + (step - steps + 5));
    out.push({ step, epoch, split: 'train', name: 'loss', value: loss });
    out.push({ step, epoch, split: 'train', name: 'learning_rate', value: lr });
    if (step % 10 === 0 && Number.isFinite(loss)) out.push({ step, epoch, split: 'val', name: 'loss', value: loss + 0.08 + 0.001 * step * (rank === 16 ? 1 : 0) });
  }
  return out;
}

function costs(hours: number, tokens: number): CostRow[] {
  const src = 'AWS EC2 on-demand price list, us-east-1, Linux, c7i.large (2 vCPU) at 0.08925 USD/h, per vCPU (2025-01)';
  return [
    { component: 'train', device: 'cpu-core', hours, tokens, usd: hours * 0.044625 * 2, priceSource: src },
    { component: 'eval', device: 'cpu-core', hours: hours / 5, tokens: tokens / 10, usd: (hours / 5) * 0.044625 * 2, priceSource: src },
    { component: 'train_target_device', device: 'A100-80GB', hours: hours / 400, tokens, usd: (hours / 400) * 1.79, priceSource: 'Lambda on-demand GPU cloud price list (2025-01)' },
    { component: 'inference_input_per_request_finetuned', device: 'A100-80GB', hours: 0, tokens: 50, usd: 0.000003, priceSource: 'Lambda on-demand GPU cloud price list (2025-01)' },
    { component: 'inference_output_per_request_finetuned', device: 'A100-80GB', hours: 0, tokens: 10, usd: 0.000001, priceSource: 'Lambda on-demand GPU cloud price list (2025-01)' },
  ];
}

/** The runs as the sweep writes them (`RunOutcome`s), in grid order. */
export function fixtureOutcomes(): RunOutcome[] {
  const r = rng(7);
  const out: RunOutcome[] = [];
  let i = 0;
  for (const rank of [4, 8, 16]) {
    for (const lr of [1e-4, 3e-4]) {
      i++;
      const diverged = rank === 16 && lr === 3e-4;
      const early = rank === 4 && lr === 1e-4;
      const steps = early ? 40 : 60;
      const skill = diverged ? 0.1 : 0.55 + 0.08 * Math.log2(rank / 4) + (lr === 3e-4 ? 0.1 : 0) - (rank === 16 ? 0.15 : 0);
      const hours = 0.01 + 0.002 * i;
      const stepMetrics = curves(lr, rank, steps, diverged);
      const vals = stepMetrics.filter((m) => m.split === 'val' && m.name === 'loss').map((m) => m.value);
      const bestVal = Math.min(...vals);
      out.push({
        runId: `run-${i}`,
        variantKey: `vk${i}abcdef0123`,
        method: 'lora',
        status: diverged ? 'diverged' : 'completed',
        params: { rank, alpha: 2 * rank, learningRate: lr, dropout: 0.05, targetModules: ['c_attn'], epochs: 3, batchSize: 8, seed: 42 },
        startedAt: `2026-11-29T07:0${i}:00.000Z`,
        finishedAt: `2026-11-29T07:0${i}:40.000Z`,
        train: {
          status: diverged ? 'diverged' : 'completed',
          bestStep: stepMetrics.find((m) => m.split === 'val' && m.name === 'loss' && m.value === bestVal)!.step,
          bestValLoss: bestVal,
          finalValLoss: vals.at(-1)!,
          stoppedEarly: early,
          steps,
          tokensTrained: steps * 8 * 128,
          trainableParams: 6144 * rank,
          totalParams: 2_400_000,
          adapterBytes: 6144 * rank * 4 + 400,
          peakMemoryBytes: 50_000_000,
          estimatedMemoryBytes: 41_000_000,
          baseWeightBytes: 9_600_000,
          wallSeconds: hours * 3600,
          backend: 'wasm',
          device: 'cpu',
          checkpointPath: `.fte/sweeps/${SWEEP_ID}/run-${i}`,
          ...(diverged ? { divergenceReason: 'loss became NaN at step 60' } : {}),
        },
        stepMetrics,
        evalRows: diverged ? [] : evalRowsFor('finetuned', skill, r),
        predictions: diverged ? [] : predictions('finetuned', skill, r),
        costs: costs(hours, steps * 8 * 128),
        artifacts: [{ kind: 'adapter', path: `.fte/sweeps/${SWEEP_ID}/run-${i}/adapter_model.safetensors`, bytes: 6144 * rank * 4, sha256: 'ab'.repeat(32) }],
        ...(diverged ? { error: 'loss became NaN at step 60' } : {}),
      });
    }
  }
  return out;
}

/** The sweep's baselines (base, prompting, RAG). */
export function fixtureBaselines(): { evalRows: EvalRow[]; predictions: PredictionRow[]; costs: CostRow[] } {
  const r = rng(11);
  const skills: [Subject, number][] = [
    ['base', 0.05],
    ['prompting', 0.45],
    ['rag', 0.5],
  ];
  return {
    evalRows: skills.flatMap(([s, k]) => evalRowsFor(s, k, r)),
    predictions: skills.flatMap(([s, k]) => predictions(s, k, r)),
    costs: [
      { component: 'inference_input_per_request_prompting', device: 'gpt-4o-mini', hours: 0, tokens: 900, usd: 0.000159, priceSource: 'OpenAI API pricing page (standard tier) (2025-01)' },
      { component: 'inference_output_per_request_prompting', device: 'gpt-4o-mini', hours: 0, tokens: 10, usd: 0.000006, priceSource: 'OpenAI API pricing page (standard tier) (2025-01)' },
      { component: 'inference_input_per_request_rag', device: 'gpt-4o-mini', hours: 0, tokens: 700, usd: 0.000129, priceSource: 'OpenAI API pricing page (standard tier) (2025-01)' },
      { component: 'inference_output_per_request_rag', device: 'gpt-4o-mini', hours: 0, tokens: 10, usd: 0.000006, priceSource: 'OpenAI API pricing page (standard tier) (2025-01)' },
    ],
  };
}

export const SWEEP_INFO: SweepInfo = {
  sweepId: SWEEP_ID,
  experimentId: 'exp-fixture',
  experimentName: SPEC.name,
  specPath: 'experiments/lora-rank.ts',
  status: 'completed',
  startedAt: '2026-11-29T07:00:00.000Z',
  finishedAt: '2026-11-29T07:10:00.000Z',
  gitCommit: '0123456789abcdef0123',
  host: 'ci',
  backend: 'wasm',
  spec: SPEC,
  limits: { maxSteps: 60 },
  manifest: { source: 'evals/email-triage', fingerprint: 'f'.repeat(64), counts: { train: 400, val: 50, test: 80 }, piiReplaced: { email: 12, phone: 3 } },
};

/** The same data as `ReportData` without going through the store (for pure view-model tests). */
export function fixtureReportData(): ReportData {
  const runs: RunData[] = fixtureOutcomes().map((o) => ({
    runId: o.runId,
    sweepId: SWEEP_ID,
    variantKey: o.variantKey,
    method: o.method,
    status: o.status,
    startedAt: o.startedAt,
    finishedAt: o.finishedAt,
    wallSeconds: o.train?.wallSeconds,
    device: o.train?.device,
    backend: o.train?.backend,
    tokensTrained: o.train?.tokensTrained,
    trainableParams: o.train?.trainableParams,
    totalParams: o.train?.totalParams,
    adapterBytes: o.train?.adapterBytes,
    bestStep: o.train?.bestStep,
    stoppedEarly: o.train?.stoppedEarly,
    error: o.error,
    params: o.params,
    stepMetrics: o.stepMetrics,
    evalRows: o.evalRows,
    predictions: o.predictions,
    costs: o.costs,
    artifacts: o.artifacts,
  }));
  // The store's ranking (best clean classify/f1_macro among completed runs), as loadReportData reads it.
  const f1 = (r: RunData): number => r.evalRows.find((e) => e.subject === 'finetuned' && e.perturbation === 'none' && e.slice === 'classify' && e.metric === 'f1_macro')?.value ?? -1;
  const best = runs.filter((r) => r.status === 'completed').reduce((a, b) => (f1(b) > f1(a) ? b : a));
  return { sweep: SWEEP_INFO, runs, baselines: fixtureBaselines(), bestRunId: best.runId };
}

/** The extra API model of the subjects fixture (`evaluate.models`), behind an OpenAI-compatible endpoint. */
export const API_SUBJECT = 'gpt-mini';
export const API_ENDPOINT = 'http://127.0.0.1:8000/v1';

/** The spec of the subjects fixture: the three built-in baselines and one extra API model. */
export const SUBJECTS_SPEC = {
  ...SPEC,
  evaluate: {
    ...SPEC.evaluate,
    models: [{ name: API_SUBJECT, prompt: 'few_shot', k: 4, provider: { type: 'openai', baseURL: API_ENDPOINT, model: 'gpt-4o-mini' } }],
  },
};

/**
 * How the subjects fixture's subjects were evaluated (`subjects` rows): local base (2 inputs cut),
 * local prompting that saw no demonstrations at all (the tiny model's context held none of its 4),
 * local RAG (10 examples lost demonstrations), and the API model with 3 failed requests and 40
 * cache hits. 80 clean test examples each, 400 requests with the perturbed ones.
 */
export function fixtureSubjectRows(): SubjectRow[] {
  const local = { provider: 'local', model: 'fte-tiny-base', endpoint: 'in-process', examples: 80, answered: 80, requests: 400, errors: 0, cached: 0, wallSeconds: 12 };
  return [
    { ...local, subject: 'base', kind: 'base', prompt: 'zero_shot', k: 0, demonstrationsDropped: 0, inputsCut: 2, noDemonstrations: 0, promptTokens: 80 * 120, completionTokens: 80 * 8 },
    { ...local, subject: 'prompting', kind: 'prompting', prompt: 'few_shot', k: 4, demonstrationsDropped: 80, inputsCut: 0, noDemonstrations: 80, promptTokens: 80 * 250, completionTokens: 80 * 8 },
    { ...local, subject: 'rag', kind: 'rag', prompt: 'bm25', k: 3, demonstrationsDropped: 10, inputsCut: 0, noDemonstrations: 0, promptTokens: 80 * 240, completionTokens: 80 * 8 },
    {
      subject: API_SUBJECT, kind: 'model', prompt: 'few_shot', k: 4, provider: 'openai', model: 'gpt-4o-mini', endpoint: API_ENDPOINT,
      examples: 80, answered: 77, requests: 400, errors: 3, firstError: 'HTTP 503 <b>upstream</b> unavailable', cached: 40,
      demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0, promptTokens: 77 * 900, completionTokens: 77 * 5, wallSeconds: 30,
    },
  ];
}

/** The baselines of the subjects fixture: `fixtureBaselines()` plus the API model (skill 0.6: above RAG, below the best variant) and the `subjects` rows. */
export function fixtureSubjectBaselines(): ReportData['baselines'] {
  const b = fixtureBaselines();
  const r = rng(23);
  return {
    evalRows: [...b.evalRows, ...evalRowsFor(API_SUBJECT, 0.6, r)],
    predictions: [...b.predictions, ...predictions(API_SUBJECT, 0.6, r)],
    costs: b.costs,
    subjects: fixtureSubjectRows(),
  };
}

/**
 * The ordinary sweep with an extra API model and `subjects` rows (a prompting baseline that saw no
 * demonstrations); the best run (run-4) stored its own model's `subjects` row.
 */
export function fixtureSubjectsData(): ReportData {
  const d = fixtureReportData();
  const own: SubjectRow = {
    subject: 'finetuned', kind: 'finetuned', prompt: 'zero_shot', k: 0, provider: 'local', model: `.fte/sweeps/${SWEEP_ID}/run-4`, endpoint: 'in-process',
    examples: 80, answered: 80, requests: 400, errors: 0, cached: 0, demonstrationsDropped: 0, inputsCut: 0, noDemonstrations: 0, promptTokens: 80 * 110, completionTokens: 80 * 6, wallSeconds: 10,
  };
  const runs = d.runs.map((r) => (r.runId === d.bestRunId ? { ...r, subjects: [own] } : r));
  return { ...d, runs, sweep: { ...d.sweep, spec: SUBJECTS_SPEC }, baselines: fixtureSubjectBaselines() };
}

export const EVAL_ID = 'ev-fixture1';

/** An evaluation without training (`fte eval SPEC`): no runs, no best run, only the subjects fixture's baselines and API model. */
export function fixtureEvalOnlyData(): ReportData {
  return { sweep: { ...SWEEP_INFO, sweepId: EVAL_ID, spec: SUBJECTS_SPEC, limits: {} }, runs: [], baselines: fixtureSubjectBaselines(), bestRunId: null };
}
