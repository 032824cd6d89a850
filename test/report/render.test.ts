import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { baselineBarsSpec } from '../../src/report/charts.js';
import { renderReportHtml, safeJsonForScript } from '../../src/report/render.js';
import { buildReportViewModel } from '../../src/report/view-model.js';
import { API_ENDPOINT, API_SUBJECT, EVAL_ID, fixtureEvalOnlyData, fixtureReportData, fixtureSubjectsData, HOSTILE } from './fixture.js';

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

describe('report HTML: subjects by provider and model, named subjects, notes', async () => {
  const vm = buildReportViewModel(fixtureSubjectsData(), { generatedAt: '2026-11-29T08:00:00.000Z' });
  const html = await renderReportHtml(vm, { version: '0.1.0' });
  const table = (id: string): string => new RegExp(`data-testid="${id}">([\\s\\S]*?)</table>`).exec(html)![1]!;

  it('the Subjects table names every subject\'s provider and model, prompt, tokens, errors, cache hits and truncation', () => {
    const t = table('subjects');
    expect(t).toContain('<th scope="row">Fine-tuned (run-4)</th>');
    expect(t.match(/<td class="mono small">local fte-tiny-base<\/td>/g)).toHaveLength(3);
    expect(t).toContain(`<tr class="subject-row" data-subject="${API_SUBJECT}"><th scope="row">${API_SUBJECT}</th><td class="mono small">openai gpt-4o-mini @ ${API_ENDPOINT}</td><td>few-shot (k &#x3D; 4)</td>`);
    expect(t).toContain('<td class="n">900</td><td class="n">5</td><td class="n bad" title="first failure: HTTP 503 &lt;b&gt;upstream&lt;/b&gt; unavailable">3 of 400</td><td class="n">40 of 400</td><td class="">none</td>');
    expect(t).toContain('<td class="bad">no demonstrations (k &#x3D; 4)</td>');
    // The objective column with its interval.
    expect(t).toContain('<td class="n">0.71 <span class="ci">[0.61, 0.81]</span></td>');
    // Inside section 5, before its first metrics table.
    expect(html.indexOf('data-testid="subjects"')).toBeGreaterThan(html.indexOf('data-section="baselines"'));
    expect(html.indexOf('data-testid="subjects"')).toBeLessThan(html.indexOf('data-testid="baselines-all"'));
  });

  it('the notes are visible warnings; a baseline that saw no demonstrations is said under the headline too', () => {
    const notes = /data-testid="subject-notes">([\s\S]*?)<\/div>/.exec(html)![1]!;
    expect(notes.match(/<li>/g)).toHaveLength(4);
    expect(notes).toContain('prompting (local fte-tiny-base) saw no demonstrations at all: the model&#x27;s context could not hold any of its 4 on any of the 80 examples, so it was effectively zero-shot.');
    expect(notes).toContain(`${API_SUBJECT} (openai gpt-4o-mini @ ${API_ENDPOINT}): 3 of 400 requests failed after retries and were scored as empty answers (first: HTTP 503 &lt;b&gt;upstream&lt;/b&gt; unavailable).`);
    const summary = /data-section="summary">([\s\S]*?)<\/section>/.exec(html)![1]!;
    const caveats = [...summary.matchAll(/<div class="banner warn" role="note" data-testid="caveat">([^<]*)<\/div>/g)].map((m) => m[1]);
    expect(caveats).toHaveLength(2);
    expect(caveats[0]).toMatch(/^prompting \(local fte-tiny-base\) saw no demonstrations at all/);
    // Right after the headline, before the tiles.
    expect(summary.indexOf('data-testid="caveat"')).toBeGreaterThan(summary.indexOf('class="headline"'));
    expect(summary.indexOf('data-testid="caveat"')).toBeLessThan(summary.indexOf('data-testid="tiles"'));
    expect(html).not.toContain('<b>upstream');
  });

  it('the extra model has its own column, chart colour and verdict', () => {
    expect(table('baselines-classify')).toContain(`<th scope="col" class="n subj-${API_SUBJECT}">${API_SUBJECT}</th>`);
    expect(table(`robustness-classify-f1_macro`)).toContain(`<th scope="col" class="n">${API_SUBJECT}</th>`);
    const bars = /data-chart="baselines">(<svg[\s\S]*?<\/svg>)/.exec(html)![1]!;
    expect(bars).toContain(API_SUBJECT);
    expect(bars).toContain('#8b5cf6');
    expect(html).toContain(`<h2><span class="num">5</span> Fine-tuned vs base vs prompting vs RAG vs ${API_SUBJECT}</h2>`);
    expect(html).toMatch(new RegExp(`<li>(Significantly (better|worse) than|Not distinguishable from) ${API_SUBJECT} \\(`));
  });
});

describe('report HTML: an evaluation without training', async () => {
  const vm = buildReportViewModel(fixtureEvalOnlyData(), { generatedAt: '2026-11-29T08:00:00.000Z' });
  const html = await renderReportHtml(vm, { version: '0.1.0' });

  it('renders every section, says no variants were trained, and shows the best subject with its paired tests', () => {
    const at = SECTIONS.map((s) => html.indexOf(`data-section="${s}"`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect(html).toContain(`<span class="muted">evaluation ${EVAL_ID}</span>`);
    expect(html).not.toContain('This sweep has no runs yet');
    expect(html).not.toContain('<table class="sortable data" data-testid="sweep-table">');
    expect(html).toContain('No variants were trained: this is an evaluation of baselines and extra models only');
    const top = /data-testid="top-subject">([\s\S]*?)<\/ul>/.exec(html)![1]!;
    expect(top).toContain(`<div class="best-name">${API_SUBJECT}</div>`);
    expect(top).toContain(`openai gpt-4o-mini @ ${API_ENDPOINT}`);
    expect(top).toContain('<strong>0.71</strong> <span class="ci">[0.61, 0.81]</span>');
    expect(top.match(/<li>(Significantly|Not distinguishable)/g)).toHaveLength(3);
    expect(html).toMatch(/<p class="headline">No variants were trained\. gpt-mini has the highest test classify\/f1_macro/);
    expect(html).toContain('data-testid="caveat"');
    expect(html).toContain('data-testid="subjects"');
    expect(html).toMatch(/data-chart="baselines"><svg/);
    expect(html.match(/data-testid="sample"/g)).toHaveLength(10);
    expect(html).toContain(`f1_macro vs base`);
  });

  it('inline JSON parses back to the view model', () => {
    const json = /<script type="application\/json" id="fte-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(vm)));
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
