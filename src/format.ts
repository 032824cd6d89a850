/**
 * The one formatting module: USD, durations, numbers, bytes, percentages and parameter labels, for
 * every stage that prints (terminal tables, progress lines, the HTML report, the markdown comment,
 * ROI messages). One style per quantity. Every function returns plain text; escaping for HTML,
 * markdown or the terminal happens at the renderer.
 */

/** A metric value with a sensible precision: 4 significant digits, `—` for null/non-finite. */
export function fmtNum(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(Math.max(0, digits - 3)).replace('e+', 'e');
  if (Number.isInteger(v) && a < 1e6) return String(v);
  return Number(v.toPrecision(digits)).toString();
}

/** A hyperparameter value: `2e-4` for small floats, arrays joined with `,`. */
export function fmtParam(v: unknown): string {
  if (Array.isArray(v)) return v.map(fmtParam).join(',');
  if (typeof v === 'number') {
    if (v !== 0 && Math.abs(v) < 1e-2) {
      const [m, e] = v.toExponential().split('e');
      return `${Number(Number(m).toPrecision(3))}e${Number(e)}`;
    }
    return Number(v.toPrecision(6)).toString();
  }
  if (v === null || v === undefined) return '—';
  return String(v);
}

/** A signed delta: `+0.0123`, `-1.5`, `±0`. */
export function fmtDelta(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '±0';
  const s = fmtNum(Math.abs(v), digits);
  return `${v > 0 ? '+' : '−'}${s}`;
}

/** USD: whole dollars with thousands separators from $100 (`$1,234`), cents below (`$12.34`), 3 significant digits below one cent (`$0.000412`); `—` for null/non-finite. */
export function fmtUsd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  const sign = v < 0 ? '-' : '';
  if (a === 0) return '$0';
  if (a >= 100) return `${sign}$${a.toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
  if (a >= 0.01) return `${sign}$${a.toFixed(2)}`;
  return `${sign}$${Number(a.toPrecision(3))}`.replace(/e-(\d+)/, 'e-$1');
}

/**
 * Whether two USD amounts print as the same figure with `fmtUsd` (they differ by less than the
 * precision shown: half a cent under $100, half a dollar from $100). Text that compares two costs
 * says "the same" then, never "cheaper" over `$32.58 vs $32.58`.
 */
export function sameUsd(a: number, b: number): boolean {
  return fmtUsd(a) === fmtUsd(b);
}

/** The precision `fmtUsd` prints an amount at, for "the same ...": `to the dollar` from $100, `to the cent` from $0.01, else `to 3 significant figures`. */
export function sameUsdWords(v: number): string {
  const a = Math.abs(v);
  // As fmtUsd rounds: 99.996 prints as $100.00 (cents), 0.00996 as $0.00996.
  if (a >= 100) return 'to the dollar';
  if (a >= 0.01 || a === 0) return 'to the cent';
  return 'to 3 significant figures';
}

/** Items in prose: `a`, `a and b`, `a, b and c`. */
export function andList(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** Bytes in binary units: `1.5 MiB`. */
export function fmtBytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x : Number(x.toPrecision(3))} ${units[i]}`;
}

/** A count with thousands separators; `1.2M` style above a million. */
export function fmtCount(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  return Math.round(v).toLocaleString('en-US');
}

/** Seconds as `1h 02m`, `3m 05s` or `12.3 s`. */
export function fmtDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 59.95) return `${Number(s.toPrecision(3))} s`;
  const whole = Math.round(s); // round once, then split, so 119.6 s is "2m 00s", never "1m 60s"
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** A fraction as a percentage: 0.123 -> `12.3%`. */
export function fmtPct(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${Number((v * 100).toPrecision(digits))}%`;
}

/** Text cut to `max` characters with an ellipsis (by code point, so surrogate pairs survive). */
export function truncate(s: string, max: number): string {
  const cps = Array.from(s);
  return cps.length <= max ? s : `${cps.slice(0, max - 1).join('')}…`;
}

/** Short names of hyperparameters in labels and tables (PEFT's `r`, `lr` as in most training scripts); others keep their name. */
export const PARAM_SHORT: Readonly<Record<string, string>> = {
  rank: 'r',
  learningRate: 'lr',
  dropout: 'drop',
  batchSize: 'bs',
  epochs: 'ep',
  gradientAccumulation: 'accum',
  warmupSteps: 'warmup',
  weightDecay: 'wd',
};

/** `r=4 lr=1e-3 alpha=8`: parameters as `short=value` pairs (`keys`: which ones, in that order; default all). */
export function paramLabel(params: Record<string, unknown>, keys: readonly string[] = Object.keys(params)): string {
  return keys
    .filter((k) => k in params)
    .map((k) => `${PARAM_SHORT[k] ?? k}=${fmtParam(params[k])}`)
    .join(' ');
}

/** A variant's label from its swept parameters: `r=8 lr=2e-4` (`fallback` when none is swept). */
export function variantLabel(params: Record<string, unknown>, swept: readonly string[], fallback: string): string {
  return paramLabel(params, swept) || fallback;
}
