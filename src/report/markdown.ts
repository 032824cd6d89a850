/**
 * `fte compare` as GitHub-flavoured markdown for a pull-request comment. The first line is the
 * hidden marker `<!-- fte:compare -->` so a CI step can find and update its own comment.
 *
 * Every piece of text that comes from data (model outputs, inputs, references, ids, labels) goes
 * through `mdText`, which neutralises HTML, markdown syntax, table pipes, code spans and @mentions.
 */
import type { Comparison, MetricDelta } from './compare.js';
import { fmtDelta, fmtNum, fmtUsd, truncate } from '../format.js';
import type { ItemSummary, ReviewSummary } from '../review/summary.js';
import { reviewBaseline, reviewCoverageText, reviewEstimate, reviewPreferenceText, reviewScale } from './sections/review.js';

/**
 * Text safe to place anywhere in a GitHub comment, including a table cell:
 * - `&`, `<`, `>` become entities (no HTML, no `<script>`, no comment that could fake the marker);
 * - `|` becomes `&#124;` (no cell break) and a backtick `&#96;` (no code span);
 * - markdown punctuation `\ * _ [ ] ~ # ! { } ( ) +` and a leading `-`/`=` is backslash-escaped
 *   (CommonMark: any ASCII punctuation may be escaped);
 * - `@name` gets a zero-width space (`&#8203;`) after `@` so it notifies nobody (as dependency bots do);
 * - `:` before a word is escaped so `:emoji:` shortcodes stay literal;
 * - newlines become `<br>` (a table row is one line); other control characters are dropped.
 * `max` truncates first (code points), so an escape is never cut in half.
 */
export function mdText(s: string, max = 200): string {
  const t = truncate(String(s).replace(/\r\n?/g, '\n'), max);
  return (
    t
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '')
      // 1. markdown punctuation, before any entity is inserted (entities contain `#`).
      .replace(/([\\*_[\]~#!{}()+])/g, '\\$1')
      .replace(/(^|\n)([-=])/g, '$1\\$2')
      .replace(/:(?=[A-Za-z0-9_+-]+:)/g, '\\:')
      // 2. HTML and the characters markdown cannot backslash-escape inside tables and code spans.
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/\|/g, '&#124;')
      .replace(/`/g, '&#96;')
      // 3. @mentions: a zero-width space after `@` (as dependency bots do).
      .replace(/@(?=[A-Za-z0-9_-])/g, '@&#8203;')
      .replace(/\n/g, '<br>')
  );
}

const HEADLINE_MARK: Record<Comparison['headline'], string> = { better: '🟢', worse: '🔴', mixed: '🟡', unchanged: '⚪' };

function arrow(m: Pick<MetricDelta, 'direction'>): string {
  return m.direction === 'lower' ? '↓' : '↑';
}

function passMark(m: MetricDelta): string {
  if (m.pass === true) return '✅';
  if (m.pass === false) return '❌';
  return outcomeMark(m);
}

/** ▲ / ▼ significant, ≈ no significant change, · equal or untested. */
function outcomeMark(m: MetricDelta): string {
  if (m.outcome === 'better') return '▲';
  if (m.outcome === 'worse') return '▼';
  if (m.outcome === 'ns') return '≈';
  return '·';
}

/** `+0.08 [−0.05, +0.2]`: Δ with its 95% interval (paired bootstrap). */
function deltaCell(m: MetricDelta): string {
  return m.ci95 ? `${fmtDelta(m.delta)} [${fmtDelta(m.ci95[0])}, ${fmtDelta(m.ci95[1])}]` : fmtDelta(m.delta);
}

function pCell(m: MetricDelta): string {
  if (m.pValue === null) return '';
  return `${m.pValue < 0.001 ? '<0.001' : String(Number(m.pValue.toPrecision(2)))}${m.test?.startsWith('mcnemar') ? ' ᴹ' : ''}`;
}

function thresholdText(m: MetricDelta): string {
  if (m.threshold === null) return '';
  return m.threshold === 0 ? 'no drop' : m.threshold < 0 ? `drop ≤ ${fmtNum(-m.threshold)}` : `gain ≥ ${fmtNum(m.threshold)}`;
}

function metricTable(rows: MetricDelta[], withThreshold: boolean): string[] {
  const head = withThreshold ? ['| metric | n | base | head | Δ [95% CI] | p | threshold | |', '|---|---:|---:|---:|---:|---:|---|:-:|'] : ['| metric | n | base | head | Δ [95% CI] | p | |', '|---|---:|---:|---:|---:|---:|:-:|'];
  return [
    ...head,
    ...rows.map((m) => {
      const cells = [`${mdText(m.key)} ${arrow(m)}`, m.n === null ? '' : String(m.n), fmtNum(m.base), fmtNum(m.head), deltaCell(m), pCell(m)];
      if (withThreshold) cells.push(thresholdText(m));
      cells.push(passMark(m));
      return `| ${cells.join(' | ')} |`;
    }),
  ];
}

/** The comment body. Ends with a newline. */
export function renderCompareMarkdown(c: Comparison, opts: { version?: string } = {}): string {
  const L: string[] = [c.marker];
  L.push(`### ${HEADLINE_MARK[c.headline]} fte compare: ${c.headline}`);
  L.push('');
  const obj =
    c.objective.base !== null || c.objective.head !== null
      ? ` · objective **${mdText(c.objective.key)}** (${c.objective.goal}): ${fmtNum(c.objective.base)} → ${fmtNum(c.objective.head)} (${fmtDelta(c.objective.head !== null && c.objective.base !== null ? c.objective.head - c.objective.base : null)})`
      : ` · objective ${mdText(c.objective.key)}`;
  L.push(`**head** ${mdText(c.head.label)} vs **base** ${mdText(c.base.label)} · experiment ${mdText(c.head.experiment)}${obj}`);
  L.push('');
  if (c.limited) {
    L.push('> [!WARNING]');
    L.push('> A compared sweep was limited (`--max-steps`, `--limit-train` or `--limit-eval`): a smoke test, not a decision.');
    L.push('');
  }
  if (c.notes.length > 0) {
    L.push('> [!NOTE]');
    L.push('> How the subjects were evaluated:');
    for (const n of c.notes) L.push(`> - ${mdText(n, 400)}`);
    L.push('');
  }
  L.push(`${c.regression ? '❌' : '✅'} ${mdText(c.summary, 400)}`);
  L.push('');
  L.push(...metricTable(c.metrics, c.thresholds.length > 0));
  L.push('');
  L.push(`▲ ▼ significant at α = ${c.alpha}, ≈ no significant change, · equal or untested. Paired tests on the same test examples: exact McNemar (ᴹ) for 0/1-per-example metrics, paired bootstrap (Koehn 2004, 1,000 resamples) otherwise; Δ's interval is the paired bootstrap's 95% percentile interval.`);
  L.push('');
  if (c.robustness.length > 0) {
    L.push('#### Robustness');
    L.push('');
    L.push('| measure | base | head | Δ | |', '|---|---:|---:|---:|:-:|');
    for (const m of c.robustness) L.push(`| ${mdText(m.key)} ${arrow(m)} | ${fmtNum(m.base)} | ${fmtNum(m.head)} | ${fmtDelta(m.delta)} | ${passMark(m)} |`);
    L.push('');
  }
  if (c.ood) {
    L.push('#### Out of distribution');
    L.push('');
    const d = mdText(c.ood.description, 400);
    L.push(`${d}${/[.!?]$/.test(d) ? '' : '.'} Paired tests on those examples; shown for information, not part of the verdict or the thresholds.`);
    L.push('');
    L.push(...metricTable(c.ood.metrics, false));
    L.push('');
  }
  if (c.cost.length > 0) {
    L.push('#### Cost');
    L.push('');
    L.push('| | base | head | Δ |', '|---|---:|---:|---:|');
    for (const r of c.cost) L.push(`| ${mdText(r.name)} | ${fmtUsd(r.base)} | ${fmtUsd(r.head)} | ${r.delta === null ? '—' : `${r.delta > 0 ? '+' : r.delta < 0 ? '−' : '±'}${fmtUsd(Math.abs(r.delta))}`} |`);
    L.push('');
    if (c.base.pricing || c.head.pricing) {
      L.push(`Priced as \`fte roi\` prices them: base ${mdText(c.base.pricing ?? 'n/a')}; head ${mdText(c.head.pricing ?? 'n/a')}.`);
      L.push('');
    }
  }
  if (c.review) L.push(...reviewSection(c), '');
  const changed = c.paramsDiff.filter((p) => p.changed).length;
  L.push(`<details><summary>Parameters (${changed} changed)</summary>`);
  L.push('');
  L.push('| parameter | base | head |', '|---|---|---|');
  for (const p of c.paramsDiff) L.push(`| ${p.changed ? '**' : ''}${mdText(p.name)}${p.changed ? '**' : ''} | ${mdText(p.base)} | ${mdText(p.head)} |`);
  L.push('');
  L.push('</details>');
  L.push('');
  L.push(`<details><summary>Per slice (${new Set(c.perSlice.map((m) => m.slice)).size} slices)</summary>`);
  L.push('');
  L.push('| slice | metric | n | base | head | Δ [95% CI] | p | |', '|---|---|---:|---:|---:|---:|---:|:-:|');
  for (const m of c.perSlice) L.push(`| ${mdText(m.slice)} | ${mdText(m.metric)} ${arrow(m)} | ${m.n ?? ''} | ${fmtNum(m.base)} | ${fmtNum(m.head)} | ${deltaCell(m)} | ${pCell(m)} | ${passMark(m)} |`);
  L.push('');
  L.push('</details>');
  L.push('');
  L.push(`<details><summary>Changed predictions (${c.changedPredictions.length} shown, regressions first)</summary>`);
  L.push('');
  if (c.changedPredictions.length === 0) {
    L.push('No test example got a different output.');
  } else {
    L.push('| example | input | reference | base | head | score Δ |', '|---|---|---|---|---|---:|');
    for (const p of c.changedPredictions) {
      const score = p.improvement === null ? '—' : `${fmtDelta(p.improvement)}${p.scoreName ? ` ${mdText(p.scoreName)}` : ''}`;
      L.push(`| ${mdText(p.exampleId, 40)} | ${mdText(p.input, 160)} | ${mdText(p.reference, 80)} | ${mdText(p.base, 120)} | ${mdText(p.head, 120)} | ${score} |`);
    }
  }
  L.push('');
  L.push('</details>');
  L.push('');
  L.push(`<sub>fte ${mdText(opts.version ?? '')} · base ${mdText(c.base.ref)} · head ${mdText(c.head.ref)} · thresholds: ${c.thresholds.length === 0 ? 'none' : c.thresholds.map((t) => `${mdText(t.metric)}=${t.minImprovement}`).join(', ')}</sub>`);
  return `${L.join('\n')}\n`;
}

/**
 * `#### Human review`: each reviewed side's mean score and 95% interval per rubric item (its run's
 * outputs and the blind baseline's), its blind preference rate with the Wilson interval and counts,
 * and who reviewed how much. Both sides on the same rubric share one table, side by side. Ratings
 * are information: the verdict and the exit code do not use them.
 */
function reviewSection(c: Comparison): string[] {
  const r = c.review!;
  const sides = (['base', 'head'] as const).flatMap((side) => (r[side] ? [{ side, label: c[side].label, s: r[side]! }] : []));
  const est = (x: ItemSummary['run']): string => (x.mean === null ? '—' : `${reviewEstimate(x)} (n = ${x.n})`);
  const table = (group: typeof sides): string[] => {
    // Per side: the run's scores, and the blind baseline's when it was scored.
    const cols: { title: string; cell: (it: ItemSummary) => string; s: ReviewSummary }[] = [];
    for (const { side, s } of group) {
      const prefix = group.length > 1 ? `${side}: ` : '';
      cols.push({ title: `${prefix}run`, cell: (it) => est(it.run), s });
      if (s.items.some((it) => it.baseline.n > 0)) cols.push({ title: `${prefix}blind baseline (${mdText(reviewBaseline(s))})`, cell: (it) => est(it.baseline), s });
    }
    const items: { name: string; scale: string }[] = [];
    for (const { s } of group) for (const it of s.items) if (!items.some((x) => x.name === it.item)) items.push({ name: it.item, scale: reviewScale(it) });
    const cellOf = (col: (typeof cols)[number], name: string): string => {
      const it = col.s.items.find((y) => y.item === name);
      return it ? col.cell(it) : '—';
    };
    return [
      `| rubric item | ${cols.map((x) => x.title).join(' | ')} |`,
      `|---|${cols.map(() => '---:').join('|')}|`,
      ...items.map((it) => `| ${mdText(it.name)}${it.scale ? ` (${it.scale})` : ''} | ${cols.map((col) => cellOf(col, it.name)).join(' | ')} |`),
    ];
  };
  const line = ({ side, label, s }: (typeof sides)[number]): string => {
    const pref = reviewPreferenceText(s);
    const none = s.baselineSubjects.length > 0 ? `no decided blind comparison with ${reviewBaseline(s)} yet${s.preference.tie ? ` (${s.preference.tie} tie${s.preference.tie === 1 ? '' : 's'})` : ''}` : 'reviewed without a blind baseline';
    return `- **${side}** ${mdText(label)}: ${mdText(pref ? `run ${pref}` : none, 400)}; ${mdText(reviewCoverageText(s), 400)}.`;
  };
  const L = ['#### Human review', ''];
  L.push('Blind ratings from `fte review`: mean score per rubric item with its 95% bootstrap interval, and how often the run’s output was preferred (ties left out, 95% Wilson interval). For information only: they never change the verdict or the exit code.');
  L.push('');
  if (r.sameRubric) L.push(...table(sides), '');
  else for (const g of sides) L.push(`**${g.side}** ${mdText(g.label)}`, '', ...table([g]), '');
  for (const g of sides) L.push(line(g));
  return L;
}
