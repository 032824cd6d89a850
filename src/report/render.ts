/**
 * Renders the report view model to ONE self-contained HTML page: handlebars templates from
 * `templates/` (`report.hbs` + `partials/<section>.hbs`), CSS and the small sort script inlined,
 * charts inlined as SVG, the view model inlined as JSON. A Content-Security-Policy allows no
 * network and only the one inline script (by its SHA-256 hash), so even text that slipped past
 * escaping could not run.
 *
 * Escaping: every `{{value}}` is HTML-escaped by handlebars; the only triple-stash values are the
 * CSS and script files, Vega's SVG output and the JSON made safe by `safeJsonForScript`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { baselineBarsSpec, curvesSpec, heatmapSpec, renderVegaLite, robustnessSpec, sensitivitySpec } from './charts.js';
import { subjectLabel, type ReportViewModel } from './view-model.js';

/** `templates/` of the package (same depth from `src/report` and `dist/report`). */
export const TEMPLATES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

/**
 * JSON that can sit inside `<script type="application/json">`: `<`, `>`, `&` and the JavaScript
 * line separators U+2028/U+2029 become `\u` escapes, so `</script>` or `<!--` in the data cannot end
 * or alter the element, and `JSON.parse` gives back the same value.
 */
export function safeJsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The rendered charts, SVG strings (null when the section has no data). */
export interface ReportCharts {
  curves: string | null;
  heatmap: string | null;
  baselines: (string | null)[];
  robustness: (string | null)[];
  sensitivity: string | null;
}

/** Renders every chart of the view model to SVG (Vega-Lite in Node). */
export async function renderCharts(vm: ReportViewModel): Promise<ReportCharts> {
  const goal = vm.summary.objective.goal === 'maximize' ? 'maximize' : 'minimize';
  const [curves, heatmap, baselines, robustness, sensitivity] = await Promise.all([
    vm.curves.points.length > 0 ? renderVegaLite(curvesSpec(vm.curves), 'Training and validation loss per variant') : null,
    vm.heatmap && vm.heatmap.cells.length > 0 ? renderVegaLite(heatmapSpec(vm.heatmap, vm.summary.objective.key, goal), `${vm.summary.objective.key} over ${vm.heatmap.y} and ${vm.heatmap.x}`) : null,
    Promise.all(
      vm.baselines.map((b) => {
        const spec = baselineBarsSpec(b.chart);
        return spec ? renderVegaLite(spec, `Metrics per subject, slice ${b.slice}`) : null;
      }),
    ),
    Promise.all(
      vm.robustness.map((r) => {
        const spec = robustnessSpec(r.chart);
        return spec ? renderVegaLite(spec, `Drop of ${r.title} per perturbation and subject`) : null;
      }),
    ),
    vm.cost.sensitivity.length > 0 ? renderVegaLite(sensitivitySpec(vm.cost.sensitivity, vm.cost.volume), 'Monthly cost per approach as the request volume varies') : null,
  ]);
  return { curves, heatmap, baselines, robustness, sensitivity };
}

let compiled: { template: Handlebars.TemplateDelegate; css: string; script: string } | undefined;

function compile(dir: string): { template: Handlebars.TemplateDelegate; css: string; script: string } {
  const hb = Handlebars.create();
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('subjectLabel', (s: unknown) => subjectLabel(String(s)));
  const partials = join(dir, 'partials');
  for (const f of readdirSync(partials)) {
    if (f.endsWith('.hbs')) hb.registerPartial(f.slice(0, -4), readFileSync(join(partials, f), 'utf8'));
  }
  return {
    template: hb.compile(readFileSync(join(dir, 'report.hbs'), 'utf8'), { strict: false, noEscape: false }),
    css: readFileSync(join(dir, 'report.css'), 'utf8'),
    script: readFileSync(join(dir, 'report-sort.js'), 'utf8'),
  };
}

/**
 * Renders the page.
 * @param vm the report view model (`buildReportViewModel`)
 * @param opts.version fte version printed in the footer; `templatesDir` to render other templates
 * @returns the HTML document (UTF-8 text)
 */
export async function renderReportHtml(vm: ReportViewModel, opts: { version?: string; templatesDir?: string } = {}): Promise<string> {
  const t = opts.templatesDir ? compile(opts.templatesDir) : (compiled ??= compile(TEMPLATES_DIR));
  const charts = await renderCharts(vm);
  const scriptHash = `sha256-${createHash('sha256').update(t.script, 'utf8').digest('base64')}`;
  return t.template({
    vm,
    charts,
    css: t.css,
    script: t.script,
    scriptHash,
    version: opts.version ?? '0.0.0',
    dataJson: safeJsonForScript(vm),
  });
}
