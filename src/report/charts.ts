/**
 * The report's charts: Vega-Lite specs compiled to Vega and rendered to SVG strings in Node
 * (`vl.compile(spec).spec` -> `new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG()`),
 * so the page needs no script and no network to show them. Vega and Vega-Lite load lazily (they
 * are large) on the first chart.
 *
 * No chart refers to a font file or a URL: text uses the system font stack.
 */
import type { CurvesView, HeatmapView } from './view-model.js';

type VlSpec = Record<string, unknown>;

/** System font stack; nothing is fetched. */
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** Subject colours shared by every chart (and the page's CSS): fine-tuned stands out. */
export const SUBJECT_COLORS: Record<string, string> = { 'Fine-tuned': '#2563eb', 'Base model': '#9ca3af', Prompting: '#f59e0b', RAG: '#10b981', 'Majority class': '#d1d5db' };

/** Subjects in the order every chart lists them; other subjects (named baselines, extra models) go before `Majority class`. */
const SUBJECT_ORDER = ['Fine-tuned', 'Base model', 'Prompting', 'RAG', 'Majority class'];

/** Colours of named baselines and extra models, in the order they appear (none of the built-in subjects'). */
const EXTRA_COLORS = ['#8b5cf6', '#ec4899', '#14b8a6', '#f97316', '#6366f1', '#84cc16', '#0ea5e9', '#a16207'];

/** The subjects of a chart's values in chart order: the built-in ones, then the others as first seen, `Majority class` last. */
export function chartSubjects(values: readonly { subject: string }[]): string[] {
  const present = [...new Set(values.map((v) => v.subject))];
  const known = SUBJECT_ORDER.filter((s) => s !== 'Majority class' && present.includes(s));
  const others = present.filter((s) => !SUBJECT_ORDER.includes(s));
  return [...known, ...others, ...(present.includes('Majority class') ? ['Majority class'] : [])];
}

const CONFIG = {
  font: FONT,
  background: '#ffffff',
  view: { stroke: '#e5e7eb' },
  axis: { labelColor: '#374151', titleColor: '#111827', gridColor: '#f1f5f9', domainColor: '#d1d5db', tickColor: '#d1d5db', labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600 },
  legend: { labelColor: '#374151', titleColor: '#111827', labelFontSize: 11, titleFontSize: 12, labelLimit: 220 },
  header: { labelFontSize: 12, labelColor: '#111827', titleFontSize: 12 },
  title: { fontSize: 13, color: '#111827' },
};

let libs: Promise<{ vl: typeof import('vega-lite'); vega: typeof import('vega') }> | undefined;

function load(): Promise<{ vl: typeof import('vega-lite'); vega: typeof import('vega') }> {
  libs ??= Promise.all([import('vega-lite'), import('vega')]).then(([vl, vega]) => ({ vl, vega }));
  return libs;
}

/**
 * Renders a Vega-Lite spec to an SVG string (inline data only).
 * @throws Error when Vega-Lite rejects the spec (a bug in this module, not user input).
 */
export async function renderVegaLite(spec: VlSpec, label = 'chart'): Promise<string> {
  const { vl, vega } = await load();
  const full = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...spec };
  const compiled = vl.compile(full as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const aria = label.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    return svg.replace('<svg ', `<svg role="img" aria-label="${aria}" `);
  } finally {
    view.finalize();
  }
}

/** A colour scale over `domain`: the fixed colours of `known` (default the subjects'), the extra palette in order for the others. */
function subjectColor(domain: string[], known: Record<string, string> = SUBJECT_COLORS): { domain: string[]; range: string[] } {
  let extra = 0;
  return { domain, range: domain.map((d) => known[d] ?? EXTRA_COLORS[extra++ % EXTRA_COLORS.length]!) };
}

/** Train (solid) and validation (dashed) loss per variant on shared axes; early-stop and divergence marked. */
export function curvesSpec(c: CurvesView): VlSpec {
  const variants = [...new Set(c.points.map((p) => p.variant))];
  return {
    width: 640,
    height: 300,
    layer: [
      {
        data: { values: c.points },
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'optimizer step', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'loss', type: 'quantitative', title: 'loss (nats/token)', scale: { zero: false } },
          color: { field: 'variant', type: 'nominal', title: 'variant', scale: { scheme: variants.length > 10 ? 'tableau20' : 'tableau10' }, sort: variants },
          strokeDash: { field: 'split', type: 'nominal', title: 'split', scale: { domain: ['train', 'val'], range: [[1, 0], [5, 3]] } },
          detail: { field: 'split' },
          opacity: { condition: { test: "datum.split === 'val'", value: 1 }, value: 0.55 },
        },
      },
      {
        data: { values: c.markers.length > 0 ? c.markers : [{ variant: '', step: 0, loss: 0, kind: '' }] },
        transform: [{ filter: 'datum.kind !== ""' }],
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          y: { field: 'loss', type: 'quantitative' },
          shape: { field: 'kind', type: 'nominal', title: 'marker', scale: { domain: ['early stop', 'hyperband stop', 'diverged'], range: ['triangle-down', 'square', 'cross'] } },
          color: { field: 'variant', type: 'nominal', sort: variants },
        },
      },
    ],
    resolve: { scale: { color: 'shared' } },
  };
}

/** Objective over two swept parameters; the best cell outlined. */
export function heatmapSpec(h: HeatmapView, objectiveKey: string, goal: 'minimize' | 'maximize'): VlSpec {
  const xs = [...new Map(h.cells.map((c) => [c.x, c.xSort])).entries()].sort((a, b) => a[1] - b[1]).map((e) => e[0]);
  const ys = [...new Map(h.cells.map((c) => [c.y, c.ySort])).entries()].sort((a, b) => b[1] - a[1]).map((e) => e[0]);
  const values = h.cells.map((c) => ({ ...c, value: c.value ?? null }));
  const known = h.cells.map((c) => c.value).filter((v): v is number => v !== null);
  const mid = known.length > 0 ? (Math.min(...known) + Math.max(...known)) / 2 : 0;
  return {
    width: Math.max(160, 90 * xs.length),
    height: Math.max(80, 48 * ys.length),
    data: { values },
    encoding: {
      x: { field: 'x', type: 'ordinal', title: h.x, sort: xs, axis: { labelAngle: 0 } },
      y: { field: 'y', type: 'ordinal', title: h.y || ' ', sort: ys },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 2 },
        encoding: {
          fill: {
            condition: { test: 'datum.value == null', value: '#e5e7eb' },
            field: 'value',
            type: 'quantitative',
            title: objectiveKey,
            scale: { scheme: 'viridis', reverse: goal === 'minimize' },
          },
        },
      },
      {
        transform: [{ filter: 'datum.best' }],
        mark: { type: 'rect', fill: null, stroke: '#dc2626', strokeWidth: 3 },
      },
      {
        mark: { type: 'text', fontSize: 12, fontWeight: 600 },
        encoding: {
          text: { field: 'text' },
          // Dark text on the light (yellow) end of viridis and on empty cells, white elsewhere.
          color: {
            condition: { test: `datum.value == null || datum.value ${goal === 'minimize' ? '<' : '>'} ${mid}`, value: '#111827' },
            value: '#ffffff',
          },
        },
      },
    ],
  };
}

/**
 * Subjects side by side per metric (higher-is-better metrics), independent y per metric; an error
 * bar on each bar spans its stored 95% bootstrap interval (`ciLow`..`ciHigh`, where stored).
 */
export function baselineBarsSpec(all: { metric: string; subject: string; value: number; ciLow?: number; ciHigh?: number }[]): VlSpec | null {
  // A metric that is zero for every subject draws nothing: leave it to the table.
  const nonZero = new Set(all.filter((v) => v.value !== 0).map((v) => v.metric));
  const values = all.filter((v) => nonZero.has(v.metric));
  if (values.length === 0) return null;
  const subjects = chartSubjects(values);
  const metrics = [...new Set(values.map((v) => v.metric))];
  return {
    data: { values },
    facet: { field: 'metric', type: 'nominal', title: null, sort: metrics },
    columns: Math.min(5, metrics.length),
    spec: {
      width: 110,
      height: 120,
      encoding: {
        x: { field: 'subject', type: 'nominal', title: null, sort: subjects, axis: { labels: false, ticks: false, domain: false } },
      },
      layer: [
        {
          mark: { type: 'bar', cornerRadiusEnd: 2 },
          encoding: {
            y: { field: 'value', type: 'quantitative', title: null, axis: { format: '~g', tickCount: 4 } },
            color: { field: 'subject', type: 'nominal', title: 'subject', scale: subjectColor(subjects), sort: subjects },
            tooltip: [{ field: 'subject' }, { field: 'value', format: '.4g' }, { field: 'ciLow', title: '95% low', format: '.4g' }, { field: 'ciHigh', title: '95% high', format: '.4g' }],
          },
        },
        {
          // The stored 95% bootstrap interval of each value (rows without one draw no bar).
          transform: [{ filter: 'isValid(datum.ciLow) && isValid(datum.ciHigh)' }],
          mark: { type: 'errorbar', ticks: { size: 6 }, color: '#111827' },
          encoding: {
            y: { field: 'ciLow', type: 'quantitative', title: null },
            y2: { field: 'ciHigh' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** Drop per perturbation (clean minus perturbed, positive = worse) per subject. */
export function robustnessSpec(values: { perturbation: string; subject: string; drop: number }[]): VlSpec | null {
  // No perturbation moved any score: nothing to draw (the table says so).
  if (values.every((v) => v.drop === 0)) return null;
  const subjects = chartSubjects(values);
  const perturbations = [...new Set(values.map((v) => v.perturbation))];
  return {
    width: 560,
    height: 200,
    data: { values },
    mark: { type: 'bar', cornerRadiusEnd: 2 },
    encoding: {
      x: { field: 'perturbation', type: 'nominal', title: 'perturbation', sort: perturbations, axis: { labelAngle: 0 } },
      xOffset: { field: 'subject', sort: subjects },
      y: { field: 'drop', type: 'quantitative', title: 'drop vs clean', axis: { format: '~g' } },
      color: { field: 'subject', type: 'nominal', title: 'subject', scale: subjectColor(subjects), sort: subjects },
    },
  };
}

/** Monthly cost (USD, log scales) per approach as the monthly request volume varies. */
export function sensitivitySpec(values: { requests: number; approach: string; usd: number }[], volume: number | null): VlSpec {
  const approaches = [...new Set(values.map((v) => v.approach))];
  const colors: Record<string, string> = { 'Fine-tuned': SUBJECT_COLORS['Fine-tuned']!, Prompting: SUBJECT_COLORS.Prompting!, RAG: SUBJECT_COLORS.RAG! };
  const layers: VlSpec[] = [
    {
      data: { values: values.filter((v) => v.usd > 0) },
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x: { field: 'requests', type: 'quantitative', scale: { type: 'log' }, title: 'requests per month', axis: { format: '~s' } },
        y: { field: 'usd', type: 'quantitative', scale: { type: 'log' }, title: 'monthly cost (USD)', axis: { format: '$~s' } },
        color: { field: 'approach', type: 'nominal', title: 'approach', scale: subjectColor(approaches, colors) },
      },
    },
  ];
  if (volume !== null) {
    layers.push({
      data: { values: [{ requests: volume }] },
      mark: { type: 'rule', strokeDash: [4, 3], color: '#6b7280' },
      encoding: { x: { field: 'requests', type: 'quantitative' } },
    });
  }
  return { width: 560, height: 240, layer: layers };
}
