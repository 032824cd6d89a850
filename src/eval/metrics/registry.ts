/**
 * The metric registry: every metric fte can report, by name. Each entry says its kind (which slices
 * it applies to), its scale, its direction, how to compute the corpus value from a whole slice, how
 * to score one example (for per-example prediction rows and HELM's worst case), and its signature.
 *
 * - `generation` metrics compare free text: `predictions[i]` against all of `references[i]`.
 * - `classification` metrics compare labels: `references[i][0]` is the true label; both sides are
 *   trimmed (` spam` and `spam` are the same label).
 * - `likelihood` metrics read token NLLs of the reference completions (`tokenNll`, nats).
 *
 * Scales follow the reference implementations: BLEU, chrF, SQuAD EM/F1 are 0..100; ROUGE and the
 * classification metrics 0..1; perplexity >= 1 (lower is better).
 */
import { UnknownNameError } from '../../errors.js';
import { bleuSignature, corpusBleu, sentenceBleu } from './bleu.js';
import { chrf, chrfSignature } from './chrf.js';
import { classification, classificationSignature } from './classification.js';
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
}

const trimAll = (xs: string[]): string[] => xs.map((x) => x.trim());
const trueLabels = (refs: string[][]): string[] => refs.map((r) => (r[0] ?? '').trim());

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
    compute: ({ predictions, references }) => ({
      value: classification(trueLabels(references), trimAll(predictions))[metric][avg],
      n: predictions.length,
      signature,
    }),
    perExample: (p, refs) => (p.trim() === (refs[0] ?? '').trim() ? 1 : 0),
  };
}

const bleuSig = bleuSignature({}, 1);
const chrfSig = chrfSignature({}, 1);
const emSig = squadSignature('exact_match');
const f1Sig = squadSignature('f1');
const accSig = classificationSignature('accuracy');
const pplSig = perplexitySignature();

const squadF1Def: MetricDef = {
  name: 'f1',
  kind: 'generation',
  scale: 100,
  higherIsBetter: true,
  description: 'SQuAD v1.1 token F1, 0..100',
  signature: f1Sig,
  compute: ({ predictions, references }) => ({ value: squadF1(predictions, references), n: predictions.length, signature: f1Sig }),
  perExample: (p, refs) => 100 * squadStatistics(p, refs).f1,
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
  },
  squadF1Def,
  // The email-triage suite.json names SQuAD token F1 `token_f1`.
  { ...squadF1Def, name: 'token_f1', description: 'alias of f1: SQuAD v1.1 token F1, 0..100' },
  {
    name: 'accuracy',
    kind: 'classification',
    scale: 1,
    higherIsBetter: true,
    description: 'share of predicted labels equal to the true label (trimmed)',
    signature: accSig,
    compute: ({ predictions, references }) => ({
      value: classification(trueLabels(references), trimAll(predictions)).accuracy,
      n: predictions.length,
      signature: accSig,
    }),
    perExample: (p, refs) => (p.trim() === (refs[0] ?? '').trim() ? 1 : 0),
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
  },
];

/** Every metric by name. */
export const METRICS: ReadonlyMap<string, MetricDef> = new Map(DEFS.map((d) => [d.name, d]));
/** Metric names in registry order. */
export const METRIC_NAMES: readonly string[] = DEFS.map((d) => d.name);

/** Default metric names per kind (what the harness reports when the spec names none). */
export const DEFAULT_METRICS: Record<MetricKind, readonly string[]> = {
  generation: ['bleu', 'chrf', 'rouge1', 'rouge2', 'rougeL', 'rougeLsum', 'exact_match', 'f1'],
  classification: ['accuracy', 'f1_macro', 'f1_micro', 'f1_weighted', 'precision_macro', 'recall_macro'],
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
