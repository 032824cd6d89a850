/** HELM's misspelling perturbation and HELM's `mild_mix` composition. */
import { describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../../src/errors.js';
import { PERTURBATION_NAMES, getPerturbation, perturbText } from '../../../src/eval/perturbations/index.js';
import { MISSPELLINGS } from '../../../src/eval/perturbations/misspellings.js';

const TEXT = (
  'Already the new product is not available, and because of that the team is worried about the coming year. ' +
  'The quarterly Report shows that revenue grew; Because it is Available, THE office is ready. '
).repeat(10);
const words = (s: string): string[] => s.split(/([^\p{L}\p{N}_]+)/u);

describe('misspellings', () => {
  it('is registered, HELM-named, with HELM prob 0.1 by default', () => {
    expect(PERTURBATION_NAMES).toContain('misspellings');
    expect(getPerturbation('misspellings').params).toEqual({ prob: 0.1, table: 'wikipedia-common-misspellings' });
    expect(getPerturbation('misspellings').signature).toMatch(/^perturbation:misspellings\|prob:0.1\|/);
    expect(() => getPerturbation('misspelings')).toThrow(UnknownNameError);
    expect(() => getPerturbation('misspelings')).toThrow(/misspellings/);
  });

  it('has a table of common misspellings (lower-case words, none mapped to itself)', () => {
    expect(Object.keys(MISSPELLINGS).length).toBeGreaterThan(3000);
    expect(MISSPELLINGS.receive).toEqual(['recieve']);
    for (const [w, ms] of Object.entries(MISSPELLINGS)) {
      expect(w).toMatch(/^[a-z]+$/);
      expect(ms.length).toBeGreaterThan(0);
      expect(ms).not.toContain(w);
    }
  });

  it('is deterministic under a seed and differs across seeds and example ids', () => {
    const p = getPerturbation('misspellings');
    expect(perturbText(p, TEXT, 7, 'a')).toBe(perturbText(p, TEXT, 7, 'a'));
    expect(perturbText(p, TEXT, 7, 'a')).not.toBe(perturbText(p, TEXT, 8, 'a'));
    expect(perturbText(p, TEXT, 7, 'a')).not.toBe(perturbText(p, TEXT, 7, 'b'));
  });

  it('replaces only words in the table, with one of their misspellings, case matched (lower or Capitalised, as HELM)', () => {
    const p = getPerturbation('misspellings', { prob: 1 });
    const before = words(TEXT);
    const after = words(perturbText(p, TEXT, 3, 'x'));
    expect(after.length).toBe(before.length);
    let replaced = 0;
    before.forEach((w, i) => {
      const lw = w.toLowerCase();
      const inTable = Object.hasOwn(MISSPELLINGS, lw) && (w === lw || w === lw[0]!.toUpperCase() + lw.slice(1));
      if (!inTable) {
        expect(after[i], w).toBe(w);
        return;
      }
      replaced++;
      expect(MISSPELLINGS[lw]!.map((m) => (w === lw ? m : m[0]!.toUpperCase() + m.slice(1)))).toContain(after[i]);
    });
    expect(replaced).toBeGreaterThan(100);
    expect(after).toContain('THE'); // ALL CAPS is not a table form in HELM
  });

  it('replaces each table word with probability prob', () => {
    expect(perturbText(getPerturbation('misspellings', { prob: 0 }), TEXT, 3, 'x')).toBe(TEXT);
    const p = getPerturbation('misspellings');
    const tableWords = words(TEXT).filter((w) => Object.hasOwn(MISSPELLINGS, w.toLowerCase()) && w !== w.toUpperCase()).length;
    let changed = 0;
    for (let id = 0; id < 20; id++) {
      const a = words(TEXT);
      const b = words(perturbText(p, TEXT, 1, `e${id}`));
      changed += a.filter((w, i) => w !== b[i]).length;
    }
    const rate = changed / (20 * tableWords);
    expect(rate).toBeGreaterThan(0.06);
    expect(rate).toBeLessThan(0.14);
  });
});

describe('mild_mix (HELM: lowercase, contractions, misspellings 0.1, spaces 1..3)', () => {
  it('has HELM parameters and no typos by default', () => {
    expect(getPerturbation('mild_mix').params).toEqual({ misspelling_prob: 0.1, max_spaces: 3, typo_prob: 0 });
  });

  it('composes lowercase, then contractions, then misspellings, then spaces', () => {
    const text = 'I Am Sure It Is Already Available Because We Do Not Need The Big Room';
    const collapse = (s: string) => s.replace(/ +/g, ' ');
    expect(collapse(perturbText(getPerturbation('mild_mix', { misspelling_prob: 0 }), text, 0, 'x'))).toBe("i'm sure it's already available because we don't need the big room");
    // every table word misspelled: lower-cased first (so "Already" -> an "already" misspelling, lower case),
    // contracted before misspelling ("do not" -> "don't", so "not" is never misspelled here).
    const out = collapse(perturbText(getPerturbation('mild_mix', { misspelling_prob: 1 }), text, 0, 'x')).split(' ');
    const expected = "i'm sure it's already available because we don't need the big room".split(' ');
    expect(out.length).toBe(expected.length);
    out.forEach((w, i) => {
      const e = expected[i]!;
      if (Object.hasOwn(MISSPELLINGS, e)) expect(MISSPELLINGS[e], e).toContain(w);
      else expect(w).toBe(e);
    });
    // spaces: each space becomes 1..3 spaces
    const spaced = perturbText(getPerturbation('mild_mix', { misspelling_prob: 0 }), text.repeat(5), 2, 'y');
    expect(spaced).toMatch(/ {2}/);
    expect(spaced).not.toMatch(/ {4}/);
  });

  it('can add typos on top (typo_prob > 0)', () => {
    const p = getPerturbation('mild_mix', { misspelling_prob: 0, typo_prob: 0.5, max_spaces: 1 });
    expect(perturbText(p, 'hello there general kenobi', 0, 'x')).not.toBe('hello there general kenobi');
  });
});
