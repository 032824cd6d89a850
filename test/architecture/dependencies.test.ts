/**
 * The dependency rule of DESIGN.md: stages import downward only. No stage imports `src/run/` (the
 * orchestrator) or `src/commands/` (the CLI); `src/stats/` imports nothing outside itself. Scans every
 * static `import … from '…'`, `export … from '…'` and dynamic `import('…')` of relative paths.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** [importing file relative to src, imported path relative to src] for every relative import. */
export function importEdges(srcDir: string): Array<[string, string]> {
  const edges: Array<[string, string]> = [];
  for (const file of filesUnder(srcDir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = relative(srcDir, resolve(dirname(file), m[1]!));
      edges.push([relative(srcDir, file), target]);
    }
  }
  return edges;
}

const topFolder = (p: string): string => (p.includes(sep) ? p.split(sep)[0]! : '');

/** Violations of the rule, one line each. */
export function violations(edges: Array<[string, string]>): string[] {
  const out: string[] = [];
  for (const [from, to] of edges) {
    const a = topFolder(from);
    const b = topFolder(to);
    if (a === '' || a === 'commands' || a === 'run') continue; // the CLI and the orchestrator sit on top
    if (b === 'run' || b === 'commands') out.push(`${from} imports ${to} (stages import downward only)`);
    if (a === 'stats' && b !== 'stats') out.push(`${from} imports ${to} (src/stats imports nothing but itself)`);
  }
  return out;
}

describe('dependency rule', () => {
  it('no stage imports src/run or src/commands; src/stats imports only itself', () => {
    const edges = importEdges(SRC);
    expect(edges.length).toBeGreaterThan(100);
    expect(violations(edges)).toEqual([]);
  });

  it('the check fails on an upward import (it can fail)', () => {
    expect(violations([[`eval${sep}x.ts`, `run${sep}protocol.js`]])).toHaveLength(1);
    expect(violations([[`stats${sep}x.ts`, `random.js`]])).toHaveLength(1);
    expect(violations([[`run${sep}sweep.ts`, `eval${sep}index.js`]])).toHaveLength(0);
  });
});
