import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { baselineBarsSpec } from '../../src/report/charts.js';
import { renderReportHtml, safeJsonForScript } from '../../src/report/render.js';
import { buildReportViewModel } from '../../src/report/view-model.js';
import { fixtureReportData, HOSTILE } from './fixture.js';

const SECTIONS = ['summary', 'sweep', 'curves', 'heatmap', 'baselines', 'robustness', 'cost', 'samples'];

describe('report HTML', async () => {
  const vm = buildReportViewModel(fixtureReportData(), { generatedAt: '2026-11-29T08:00:00.000Z' });
  const html = await renderReportHtml(vm, { version: '0.1.0' });

  it('has every section, in order', () => {
    const at = SECTIONS.map((s) => html.indexOf(`data-section="${s}"`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('the cost section leads with the decision and its drivers, then the tables', () => {
    const cost = html.slice(html.indexOf('data-section="cost"'), html.indexOf('data-section="samples"'));
    const at = ['data-testid="decision"', 'data-testid="roi"', 'data-testid="cost-runs"'].map((t) => cost.indexOf(t));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    if (vm.cost.sensitivityTable) expect(cost.indexOf('data-testid="sensitivity"')).toBeLessThan(at[1]!);
  });

  it.each(['curves', 'heatmap', 'baselines', 'robustness', 'sensitivity'])('chart %s is an inline SVG with marks', (chart) => {
    const m = new RegExp(`data-chart="${chart}">(<svg[\\s\\S]*?</svg>)`).exec(html);
    expect(m).not.toBeNull();
    expect(m![1]!.length).toBeGreaterThan(2000);
    expect(m![1]).toMatch(/<path|<rect/);
  });

  it('escapes model text: no hostile markup survives as markup', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('</script><!--');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Exactly two script elements: the JSON data block and the sort script.
    expect(html.match(/<script/g)).toHaveLength(2);
  });

  it('is self-contained: no URL but SVG/XLink namespaces, no external resources', () => {
    const urls = [...html.matchAll(/(?:https?:)?\/\/[A-Za-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
    expect(html).not.toMatch(/<link|@import|<img|<iframe|\ssrc=|\shref="(?!#)/i);
    // Only local references (clip paths, gradients) inside the SVGs.
    expect(html.match(/url\((?!#)/g)).toBeNull();
  });

  it('element ids are unique across the inline SVGs', () => {
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('CSP allows only the inline sort script, by its hash', () => {
    const script = /<script>([\s\S]*?)<\/script>\s*<\/body>/.exec(html)![1]!;
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(html).toContain(`script-src 'sha256-${hash}'`);
    expect(html).toContain("default-src 'none'");
  });

  it('inline JSON parses back to the view model', () => {
    const json = /<script type="application\/json" id="fte-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(vm)));
  });

  it('tables show each stored value with its 95% interval in brackets, and say what the brackets are', () => {
    const table = (id: string): string => new RegExp(`data-testid="${id}">([\\s\\S]*?)</table>`).exec(html)![1]!;
    // The best run's clean classify/f1_macro (0.788) with its stored interval, in the sweep table and the baselines table.
    expect(table('sweep-table')).toMatch(/>0\.788 <span class="ci">\[0\.688, 0\.888\]<\/span>/);
    expect(table('baselines-classify')).toMatch(/>0\.788 <span class="ci">\[0\.688, 0\.888\]<\/span> <span class="delta/);
    expect(table('robustness-classify-f1_macro').match(/<span class="ci">\[/g)!.length).toBe(6 * 4);
    expect(html.match(/Brackets: 95% bootstrap interval over test examples/g)).toHaveLength(3);
  });

  it('the baselines chart draws an error bar per bar from the stored interval', () => {
    const spec = baselineBarsSpec(vm.baselines[1]!.chart)!;
    const layers = (spec.spec as { layer: { mark: { type: string }; encoding: Record<string, { field?: string }> }[] }).layer;
    expect(layers.map((l) => l.mark.type)).toEqual(['bar', 'errorbar']);
    expect([layers[1]!.encoding.y!.field, layers[1]!.encoding.y2!.field]).toEqual(['ciLow', 'ciHigh']);
    const svg = /data-chart="baselines">(<svg[\s\S]*?<\/svg>)/.exec(html)![1]!;
    expect(svg).toContain('mark-rule');
  });

  it('the headline says what the paired test says', () => {
    expect(html).toMatch(/<p class="headline">r&#x3D;8 lr&#x3D;3e-4 is the best variant \(ranked on classify\/f1_macro\)\. On the test split it is significantly better than the base model \(.*p &lt; 0\.001\)/);
    expect(html).toContain('data-testid="verdict-note"');
    expect(html).toContain('<span class="delta good" title="paired test vs the base model: p &lt; 0.001">+0.408</span>');
  });

  it('the best variant row is highlighted', () => {
    expect(html).toMatch(/<tr class="best status-completed" data-run="run-4">/);
  });
});

describe('safeJsonForScript', () => {
  it.each([
    ['</script><script>alert(1)</script>'],
    ['<!-- -->'],
    [HOSTILE],
    ['line\u2028sep\u2029para & <b>'],
  ])('%j cannot end or alter the script element and round-trips', (s) => {
    const out = safeJsonForScript({ s });
    expect(out).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(out)).toEqual({ s });
  });
});
