/**
 * The metric registry: every metric fte can report, by name. Each entry says its kind (which slices
 * it applies to), its scale, its direction, how to compute the corpus value from a whole slice, how
 * to score one example (for per-example prediction rows and HELM's worst case), and its signature.
 *
 * - `generation` metrics compare free text: `predictions[i]` against all of `references[i]`.
 * - `classification` metrics compare labels: `references[i][0]` is the true label; each prediction
 *   is normalised and mapped to the slice's fixed label set (`labels`, src/eval/labels.ts; default:
 *   the distinct true labels); an answer that maps to no label is invalid: wrong, counted by
 *   `invalid_rate`, never a class. Averages follow scikit-learn with `labels=` the fixed set.
 * - `likelihood` metrics read token NLLs of the reference completions (`tokenNll`, nats).
 *
 * Scales follow the reference implementations: BLEU, chrF, SQuAD EM/F1 are 0..100; ROUGE and the
 * classification metrics 0..1; perplexity >= 1 (lower is better). `scaleLabel` names them for display.
 *
 * `statistics` gives each metric's per-example sufficient statistics and the corpus value from
 * their sum (sacrebleu's "statistics + score" split), which is what a corpus-level bootstrap
 * resamples (src/stats `bootstrapCorpus`): BLEU/chrF n-gram counts, classification tp/fp/fn per
 * label, `[score]` for metrics that are a mean over examples.
 */
import { UnknownNameError } from '../../errors.js';
import { makeSignature } from './signature.js';
import { mapToLabel, labelSet } from '../labels.js';
import { bleuFromStatistics, bleuSignature, bleuStatistics, corpusBleu, sentenceBleu } from './bleu.js';
import { chrf, chrfFromStatistics, chrfSignature, chrfStatistics } from './chrf.js';
import {
  classificationExampleVector,
  classificationFromStatistics,
  classificationSignature,
  classificationStatisticsFixed,
  countsFromVector,
} from './classification.js';
import { perplexity, perplexitySignature } from './perplexity.js';
import { rouge, rougeSignature, type RougeType } from './rouge.js';
import { squadExactMatch, squadF1, squadSignature, squadStatistics } from './squad.js';

export type MetricKind = 'generation' | 'classification' | 'likelihood';

export interface MetricInput {
  predictions: string[];
  /** `references[i]` lists the references of `predictions[i]` (classification: `[trueLabel]`). */
  references: string[][];
  /** Likelihood metrics: NLL (nats) of every reference-completion token of the slice, flattened. */
  tokenNll?: number[];
  /** Likelihood metrics, for intervals: the NLLs per example, shape [examples][tokens]. */
  tokenNllPerExample?: number[][];
  /** Classification metrics: the slice's fixed label set (default: the distinct trimmed true labels). */
  labels?: readonly string[];
}

/** Per-example sufficient statistics, shape [n][dim], and the corpus value from their element-wise sum. */
export interface MetricStatistics {
  stats: number[][];
  aggregate(summed: number[]): number;
}

export interface MetricValue {
  value: number;
  /** Number of examples (likelihood metrics: tokens) the value is over. */
  n: number;
  signature: string;
}

export interface MetricDef {
  name: string;
  kind: MetricKind;
  /** 100 for 0..100 metrics, 1 for 0..1, 0 for unbounded (perplexity). */
  scale: 100 | 1 | 0;
  higherIsBetter: boolean;
  description: string;
  signature: string;
  /** Corpus value of a whole slice (from summed statistics where the metric has them). */
  compute(input: MetricInput): MetricValue;
  /** Score of one example on the metric's own scale, higher = better; absent for likelihood metrics. */
  perExample?(prediction: string, references: string[]): number;
  /** Per-example statistics whose summed `aggregate` equals `compute(input).value` (for bootstrap intervals). */
  statistics?(input: MetricInput): MetricStatistics;
}

/** The scale of a metric as shown beside its value: `0-100`, `0-1`, or `>=1` (perplexity). */
export function scaleLabel(def: Pick<MetricDef, 'scale'>): string {
  return def.scale === 100 ? '0-100' : def.scale === 1 ? '0-1' : '>=1';
}

/** `[score_i]` statistics whose aggregate is the mean (for metrics that average per-example scores). */
function meanStatistics(scores: number[]): MetricStatistics {
  const n = scores.length;
  return { stats: scores.map((x) => [x]), aggregate: (s) => (n === 0 ? 0 : s[0]! / n) };
}

const trueLabels = (refs: string[][]): string[] => refs.map((r) => (r[0] ?? '').trim());

/** True labels and mapped predictions (null = invalid) over the fixed label set, in canonical spelling. */
function mapLabels({ predictions, references, labels }: MetricInput): { gold: string[]; pred: (string | null)[]; labels: readonly string[] } {
  const raw = trueLabels(references);
  const set = labels ?? labelSet(undefined, [], raw);
  return { gold: raw.map((g) => mapToLabel(g, set) ?? g), pred: predictions.map((p) => mapToLabel(p, set)), labels: set };
}

/** 1 when the answer maps to the true label, else 0 (an answer that is the true label is never invalid). */
const labelCorrect = (p: string, refs: string[]): number => {
  const gold = (refs[0] ?? '').trim();
  return mapToLabel(p, [gold]) === gold ? 1 : 0;
};

function rougeDef(type: RougeType): MetricDef {
  const signature = rougeSignature(type, { useStemmer: true });
  const one = (p: string, refs: string[]): number => rouge(p, refs, { useStemmer: true })[type].fmeasure;
  return {
    name: type,
    kind: 'generation',
    scale: 1,
    higherIsBetter: true,
    description: `${type} F-measure (rouge-score, Porter stemming), mean over examples`,
    signature,
    compute: ({ predictions, references }) => {
      let sum = 0;
      predictions.forEach((p, i) => (sum += one(p, references[i]!)));
      return { value: predictions.length ? sum / predictions.length : 0, n: predictions.length, signature };
    },
    perExample: one,
    statistics: ({ predictions, references }) => meanStatistics(predictions.map((p, i) => one(p, references[i]!))),
  };
}

type Avg = 'micro' | 'macro' | 'weighted';
function classDef(metric: 'f1' | 'precision' | 'recall', avg: Avg): MetricDef {
  const signature = classificationSignature(metric, avg);
  return {
    name: `${metric}_${avg}`,
    kind: 'classification',
    scale: 1,
    higherIsBetter: true,
    description: `${avg}-averaged ${metric} (scikit-learn, zero_division=0)`,
    signature,
    compute: (input) => {
      const { gold, pred, labels } = mapLabels(input);
      return { value: classificationFromStatistics(classificationStatisticsFixed(gold, pred, labels))[metric][avg], n: gold.length, signature };
    },
    perExample: labelCorrect,
    statistics: (input) => {
      const { gold, pred, labels } = mapLabels(input);
      return {
        stats: gold.map((g, i) => classificationExampleVector(g, pred[i]!, labels)),
        aggregate: (summed) => classificationFromStatistics(countsFromVector(summed, labels))[metric][avg],
      };
    },
  };
}

const bleuSig = bleuSignature({}, 1);
const chrfSig = chrfSignature({}, 1);
const emSig = squadSignature('exact_match');
const f1Sig = squadSignature('f1');
const accSig = classificationSignature('accuracy');
const pplSig = perplexitySignature();

const invalidSig = makeSignature({ metric: 'invalid_rate', answers: 'normalized', labels: 'fixed' });

const squadF1Def: MetricDef = {
  name: 'f1',
  kind: 'generation',
  scale: 100,
  higherIsBetter: true,
  description: 'SQuAD v1.1 token F1, 0..100',
  signature: f1Sig,
  compute: ({ predictions, references }) => ({ value: squadF1(predictions, references), n: predictions.length, signature: f1Sig }),
  perExample: (p, refs) => 100 * squadStatistics(p, refs).f1,
  statistics: ({ predictions, references }) => meanStatistics(predictions.map((p, i) => 100 * squadStatistics(p, references[i]!).f1)),
};

const DEFS: MetricDef[] = [
  {
    name: 'bleu',
    kind: 'generation',
    scale: 100,
    higherIsBetter: true,
    description: 'corpus BLEU (sacrebleu: 13a, exp smoothing); per example: sentence BLEU',
    signature: bleuSig,
    compute: ({ predictions, references }) => {
      const r = corpusBleu(predictions, references);
      return { value: r.score, n: predictions.length, signature: r.signature };
    },
    perExample: (p, refs) => sentenceBleu(p, refs).score,
    statistics: ({ predictions, references }) => ({
      stats: predictions.map((p, i) => {
        const b = bleuStatistics(p, references[i]!);
        return [b.sysLen, b.refLen, ...b.counts, ...b.totals];
      }),
      aggregate: (s) => bleuFromStatistics({ sysLen: s[0]!, refLen: s[1]!, counts: s.slice(2, 6), totals: s.slice(6, 10) }, {}, 1).score,
    }),
  },
  {
    name: 'chrf',
    kind: 'generation',
    scale: 100,
    higherIsBetter: true,
    description: 'corpus chrF (sacrebleu defaults: char order 6, beta 2)',
    signature: chrfSig,
    compute: ({ predictions, references }) => {
      const r = chrf(predictions, references);
      return { value: r.score, n: predictions.length, signature: r.signature };
    },
    perExample: (p, refs) => chrf([p], [refs]).score,
    statistics: ({ predictions, references }) => ({
      stats: predictions.map((p, i) => chrfStatistics(p, references[i]!)),
      aggregate: (s) => chrfFromStatistics(s),
    }),
  },
  rougeDef('rouge1'),
  rougeDef('rouge2'),
  rougeDef('rougeL'),
  rougeDef('rougeLsum'),
  {
    name: 'exact_match',
    kind: 'generation',
    scale: 100,
    higherIsBetter: true,
    description: 'exact match after SQuAD v1.1 normalisation, 0..100',
    signature: emSig,
    compute: ({ predictions, references }) => ({ value: squadExactMatch(predictions, references), n: predictions.length, signature: emSig }),
    perExample: (p, refs) => 100 * squadStatistics(p, refs).exactMatch,
    statistics: ({ predictions, references }) => meanStatistics(predictions.map((p, i) => 100 * squadStatistics(p, references[i]!).exactMatch)),
  },
  squadF1Def,
  // The email-triage suite.json names SQuAD token F1 `token_f1`.
  { ...squadF1Def, name: 'token_f1', description: 'alias of f1: SQuAD v1.1 token F1, 0..100' },
  {
    name: 'accuracy',
    kind: 'classification',
    scale: 1,
    higherIsBetter: true,
    description: 'share of answers that map to the true label (normalised; invalid answers are wrong)',
    signature: accSig,
    compute: (input) => {
      const { gold, pred } = mapLabels(input);
      return { value: gold.length ? gold.filter((g, i) => pred[i] === g).length / gold.length : 0, n: gold.length, signature: accSig };
    },
    perExample: labelCorrect,
    statistics: (input) => {
      const { gold, pred } = mapLabels(input);
      return meanStatistics(gold.map((g, i) => (pred[i] === g ? 1 : 0)));
    },
  },
  {
    name: 'invalid_rate',
    kind: 'classification',
    scale: 1,
    higherIsBetter: false,
    description: 'share of answers that map to no label of the fixed label set (scored as wrong)',
    signature: invalidSig,
    compute: (input) => {
      const { pred } = mapLabels(input);
      return { value: pred.length ? pred.filter((p) => p === null).length / pred.length : 0, n: pred.length, signature: invalidSig };
    },
    statistics: (input) => meanStatistics(mapLabels(input).pred.map((p) => (p === null ? 1 : 0))),
  },
  classDef('f1', 'macro'),
  classDef('f1', 'micro'),
  classDef('f1', 'weighted'),
  classDef('precision', 'macro'),
  classDef('recall', 'macro'),
  classDef('precision', 'weighted'),
  classDef('recall', 'weighted'),
  {
    name: 'perplexity',
    kind: 'likelihood',
    scale: 0,
    higherIsBetter: false,
    description: 'exp(mean NLL) over the reference-completion tokens',
    signature: pplSig,
    compute: ({ tokenNll }) => {
      const r = perplexity(tokenNll ?? []);
      return { value: r.perplexity, n: r.tokens, signature: r.signature };
    },
    // Resampled per example (not per token): [sum NLL, tokens] per example, exp(sum / tokens).
    statistics: ({ tokenNllPerExample }) => ({
      stats: (tokenNllPerExample ?? []).map((x) => [x.reduce((a, b) => a + b, 0), x.length]),
      aggregate: (s) => (s[1]! > 0 ? Math.exp(s[0]! / s[1]!) : 1),
    }),
  },
];

/** Every metric by name. */
export const METRICS: ReadonlyMap<string, MetricDef> = new Map(DEFS.map((d) => [d.name, d]));
/** Metric names in registry order. */
export const METRIC_NAMES: readonly string[] = DEFS.map((d) => d.name);

/** Default metric names per kind (what the harness reports when the spec names none). */
export const DEFAULT_METRICS: Record<MetricKind, readonly string[]> = {
  generation: ['bleu', 'chrf', 'rouge1', 'rouge2', 'rougeL', 'rougeLsum', 'exact_match', 'f1'],
  classification: ['accuracy', 'f1_macro', 'f1_micro', 'f1_weighted', 'precision_macro', 'recall_macro', 'invalid_rate'],
  likelihood: ['perplexity'],
};

/**
 * The metric called `name`.
 * @throws UnknownNameError listing the valid names.
 */
export function getMetric(name: string): MetricDef {
  const d = METRICS.get(name);
  if (!d) throw new UnknownNameError('metric', name, METRIC_NAMES);
  return d;
}
