/**
 * The dependency rule of DESIGN.md: stages import downward only. No stage imports `src/run/` (the
 * orchestrator) or `src/commands/` (the CLI); `src/stats/` imports nothing outside itself; `src/cost/`
 * takes its inputs from callers, so it imports `src/store/` for types only (`import type`). Scans every
 * static `import … from '…'`, `export … from '…'` and dynamic `import('…')` of relative paths.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
/** `import type { … } from '…'` / `export type { … } from '…'`: erased at compile time. */
const TYPE_ONLY = /\b(?:import|export)\s+type\s+[^'";]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** An import: [importing file relative to src, imported path relative to src, type-only (`import type`)]. */
export type Edge = [string, string, boolean?];

/** Every relative import of the files under `srcDir`. */
export function importEdges(srcDir: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of filesUnder(srcDir)) {
    const text = readFileSync(file, 'utf8');
    const typeOnlyEnds = new Set([...text.matchAll(TYPE_ONLY)].map((m) => m.index! + m[0].length));
    for (const m of text.matchAll(IMPORT)) {
      const target = relative(srcDir, resolve(dirname(file), m[1]!));
      edges.push([relative(srcDir, file), target, typeOnlyEnds.has(m.index! + m[0].length)]);
    }
  }
  return edges;
}

const topFolder = (p: string): string => (p.includes(sep) ? p.split(sep)[0]! : '');

/** Violations of the rule, one line each. */
export function violations(edges: Edge[]): string[] {
  const out: string[] = [];
  for (const [from, to, typeOnly] of edges) {
    const a = topFolder(from);
    const b = topFolder(to);
    if (a === '' || a === 'commands' || a === 'run') continue; // the CLI and the orchestrator sit on top
    if (b === 'run' || b === 'commands') out.push(`${from} imports ${to} (stages import downward only)`);
    if (a === 'stats' && b !== 'stats') out.push(`${from} imports ${to} (src/stats imports nothing but itself)`);
    if (a === 'cost' && b === 'store' && !typeOnly) out.push(`${from} imports ${to} (src/cost takes its inputs from callers: import type only from src/store)`);
  }
  return out;
}

describe('dependency rule', () => {
  it('no stage imports src/run or src/commands; src/stats imports only itself; src/cost imports src/store for types only', () => {
    const edges = importEdges(SRC);
    expect(edges.length).toBeGreaterThan(100);
    expect(violations(edges)).toEqual([]);
  });

  it('the check fails on an upward import (it can fail)', () => {
    expect(violations([[`eval${sep}x.ts`, `run${sep}protocol.js`]])).toHaveLength(1);
    expect(violations([[`stats${sep}x.ts`, `random.js`]])).toHaveLength(1);
    expect(violations([[`run${sep}sweep.ts`, `eval${sep}index.js`]])).toHaveLength(0);
    expect(violations([[`cost${sep}x.ts`, `store${sep}queries.js`, false]])).toHaveLength(1);
    expect(violations([[`cost${sep}x.ts`, `store${sep}queries.js`, true]])).toHaveLength(0);
  });

  it('tells type-only imports from value imports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fte-deps-'));
    mkdirSync(join(dir, 'cost'));
    writeFileSync(join(dir, 'cost', 'a.ts'), `import type {\n  A,\n  B,\n} from '../store/queries.js';\nimport { c } from '../store/writer.js';\nexport type { D } from '../store/types.js';\n`);
    const edges = importEdges(dir).map(([, to, typeOnly]) => [to, typeOnly]);
    expect(edges).toEqual([[join('store', 'queries.js'), true], [join('store', 'writer.js'), false], [join('store', 'types.js'), true]]);
    expect(violations(importEdges(dir))).toEqual([`${join('cost', 'a.ts')} imports ${join('store', 'writer.js')} (src/cost takes its inputs from callers: import type only from src/store)`]);
  });
});
