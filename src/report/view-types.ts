/**
 * The report view model's shapes: plain text and numbers per section (no HTML, no SVG).
 */
import type { CostSectionView } from './cost-view.js';

export interface KeyValue {
  label: string;
  value: string;
}

export interface BestVariantView {
  runId: string;
  label: string;
  objectiveText: string;
  params: KeyValue[];
  why: string[];
}

export interface SummaryView {
  experiment: string;
  description: string;
  sweepId: string;
  facts: KeyValue[];
  dataset: KeyValue[];
  objective: { key: string; goal: string; text: string };
  best: BestVariantView | null;
  headline: string;
  /** Key figures shown as tiles beside the best variant (filled in by `buildReportViewModel`). */
  tiles: { label: string; value: string; sub: string; cls: string }[];
  /** The ROI recommendation (src/cost), repeated in the summary. */
  recommendation: string;
}

export interface TableCell {
  text: string;
  /** Sort key (number as string for numeric columns, so the inline script sorts numerically). */
  sort: string;
  cls?: string;
  /** A second, smaller line (e.g. `early stop`). */
  sub?: string;
}

export interface SweepTableView {
  columns: { label: string; numeric: boolean; title?: string }[];
  rows: { runId: string; label: string; best: boolean; status: string; cells: TableCell[] }[];
}

export interface CurvePoint {
  variant: string;
  split: 'train' | 'val';
  step: number;
  loss: number;
}

export interface CurvesView {
  points: CurvePoint[];
  /** Final point of runs that stopped early or diverged, labelled. */
  markers: { variant: string; step: number; loss: number; kind: 'early stop' | 'diverged' }[];
  notes: string[];
}

export interface HeatmapView {
  x: string;
  y: string;
  cells: { x: string; y: string; xSort: number; ySort: number; value: number | null; text: string; best: boolean }[];
  note: string;
}

export interface BaselineMetricRow {
  metric: string;
  direction: 'higher' | 'lower';
  n: string;
  cells: { subject: string; text: string; best: boolean; delta: string; deltaCls: string }[];
}

export interface BaselineSliceView {
  slice: string;
  rows: BaselineMetricRow[];
  /** Long-form data for the grouped bar chart. */
  chart: { metric: string; subject: string; value: number }[];
}

export interface RobustnessTableView {
  title: string;
  slice: string;
  metric: string;
  subjects: string[];
  rows: { perturbation: string; cells: { text: string; drop: string; dropCls: string }[] }[];
  consistency: { perturbation: string; cells: string[] }[];
  chart: { perturbation: string; subject: string; drop: number }[];
}

export interface SampleView {
  exampleId: string;
  /** The per-example score this example is ranked by. */
  scoreName: string;
  input: string;
  reference: string;
  delta: string;
  deltaCls: string;
  outputs: { subject: string; text: string; score: string; cls: string }[];
}

export interface SamplesView {
  scoreName: string;
  items: SampleView[];
  note: string;
}

export interface ReportViewModel {
  title: string;
  generatedAt: string;
  limited: string | null;
  summary: SummaryView;
  sweepTable: SweepTableView;
  curves: CurvesView;
  heatmap: HeatmapView | null;
  baselines: BaselineSliceView[];
  robustness: RobustnessTableView[];
  cost: CostSectionView;
  samples: SamplesView;
  warnings: string[];
}

export interface ViewModelOptions {
  /** Timestamp printed in the footer (ISO). Default now. */
  generatedAt?: string;
  /** Sample outputs shown. Default 10. */
  samples?: number;
}
