/**
 * Human-readable output of `fte data validate` and `fte data prepare` (cli-table3 tables). The
 * `--json` output is the report object itself.
 */
import { makeTable } from '../cli/table.js';
import type { DatasetManifest } from './manifest.js';
import type { ValidationReport } from './validate.js';

const MAX_ROWS = 20;

function lineList(lines: readonly number[], max = 12): string {
  const shown = lines.slice(0, max).join(', ');
  return lines.length > max ? `${shown}, ... (+${lines.length - max})` : shown;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Renders a validation report as tables, most important first. */
export function renderValidation(r: ValidationReport): string {
  const out: string[] = [];
  const formats = Object.entries(r.formats).map(([f, n]) => `${f} ${n}`).join(', ') || 'none';
  out.push(`${r.file}: ${r.examples} examples, ${r.errors.length} errors, ${r.warnings} warnings (${r.lines} lines, ${r.blankLines} blank; formats: ${formats})`);

  if (r.errors.length) {
    const t = makeTable(['line', 'error', 'detail']);
    for (const e of r.errors.slice(0, MAX_ROWS)) t.push([e.line, e.kind, e.message.replace(/^line \d+: /, '')]);
    out.push('', `Errors (rows rejected) ${Object.entries(r.errorCounts).map(([k, n]) => `${k} ${n}`).join(', ')}`, t.toString());
    if (r.errors.length > MAX_ROWS) out.push(`... ${r.errors.length - MAX_ROWS} more (use --json for all)`);
  }

  if (r.tokens) {
    const t = makeTable(['tokens', 'p50', 'p95', 'max', 'mean'], { colAligns: ['left', 'right', 'right', 'right', 'right'] });
    for (const [name, s] of Object.entries(r.tokens)) t.push([name, s.p50, s.p95, s.max, s.mean]);
    out.push('', `Tokens per example (tokenizer ${r.tokenizer.name}, context ${r.tokenizer.contextLength}; completion includes the end token)`, t.toString());
  }

  if (r.categories.length) {
    const t = makeTable(['category', 'examples', 'share'], { colAligns: ['left', 'right', 'right'] });
    for (const c of r.categories) t.push([c.category, c.count, pct(c.share)]);
    out.push('', 'Categories', t.toString());
  }

  const warn = makeTable(['warning', 'count', 'lines']);
  let anyWarn = false;
  const add = (name: string, count: number, lines: string) => {
    anyWarn = true;
    warn.push([name, count, lines]);
  };
  for (const g of r.exactDuplicates.slice(0, MAX_ROWS)) add('exact duplicate', g.length, lineList(g));
  for (const g of r.normalizedDuplicates.slice(0, MAX_ROWS)) add('normalised duplicate', g.length, lineList(g));
  for (const c of r.conflicts.slice(0, MAX_ROWS)) add(`conflicting completions (${c.completions})`, c.lines.length, lineList(c.lines));
  if (r.mixedFormats) {
    const f = Object.entries(r.mixedFormats).map(([k, n]) => `${k} ${n}`).join(', ');
    add('mixed formats in one file', Object.values(r.mixedFormats).reduce((a, n) => a + (n ?? 0), 0), f);
  }
  if (r.tooLong.length) add(`longer than context ${r.tokenizer.contextLength}`, r.tooLong.length, lineList(r.tooLong.map((x) => x.line)));
  if (anyWarn) out.push('', 'Warnings', warn.toString());
  const more = Math.max(0, r.exactDuplicates.length - MAX_ROWS) + Math.max(0, r.normalizedDuplicates.length - MAX_ROWS) + Math.max(0, r.conflicts.length - MAX_ROWS);
  if (more) out.push(`... ${more} more groups (use --json for all)`);

  if (r.pii.length) {
    const t = makeTable(['PII kind', 'found', 'lines', 'examples (masked)']);
    const short = (s: string) => (s.length > 24 ? `${s.slice(0, 21)}...` : s);
    for (const f of r.pii) t.push([f.kind, f.count, lineList(f.lines, 8), f.samples.map(short).join('  ')]);
    out.push('', 'PII (scrub with fte data prepare --scrub-pii)', t.toString());
  }
  out.push('', r.ok ? (r.warnings ? 'OK with warnings.' : 'OK.') : `${r.errors.length} rows have errors (exit 1).`);
  return out.join('\n');
}

/** Renders the result of a prepare run. */
export function renderPrepare(outDir: string, m: DatasetManifest): string {
  const out: string[] = [];
  const how = m.suite ? `seed ${m.seed}, sizes ${m.counts.train}/${m.counts.val}/${m.counts.test}` : `seed ${m.seed}, split ${m.split.join('/')}`;
  out.push(`${m.source} -> ${outDir}: ${m.counts.kept} kept, ${m.counts.rejected} rejected of ${m.counts.input} rows (${how})`);
  const cats = [...new Set(Object.values(m.categories).flatMap((c) => Object.keys(c)))].sort();
  const t = makeTable(['split', 'examples', ...cats], { colAligns: ['left', 'right', ...cats.map(() => 'right' as const)] });
  for (const s of ['train', 'val', 'test'] as const) t.push([s, m.counts[s], ...cats.map((c) => m.categories[s][c] ?? 0)]);
  if (m.counts.ood) t.push(['ood', m.counts.ood, ...cats.map((c) => m.categories.ood?.[c] ?? 0)]);
  out.push(t.toString());
  if (m.ood) out.push(`ood.jsonl: out-of-distribution examples, evaluated only (never trained or selected on): ${m.ood.description}`);
  const rej = Object.entries(m.rejects);
  if (rej.length) out.push(`rejects.jsonl: ${rej.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const pii = Object.entries(m.pii).filter(([, n]) => n > 0);
  if (m.options.scrubPii) out.push(`PII replaced: ${pii.length ? pii.map(([k, n]) => `${k} ${n}`).join(', ') : 'none found'}`);
  out.push(`fingerprint ${m.fingerprint}`);
  return out.join('\n');
}
