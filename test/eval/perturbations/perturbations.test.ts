import { describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../../src/errors.js';
import {
  PERTURBATION_NAMES,
  getPerturbation,
  matchCase,
  perturbExamples,
  perturbPrompt,
  perturbText,
} from '../../../src/eval/perturbations/index.js';
import type { Example } from '../../../src/data/example.js';

const LONG = (
  'The quarterly report shows that revenue grew in every region and the team is not worried about the ' +
  'coming year because do not forget that it is a good time to invest in new products and we are ready '
).repeat(40);

const EXAMPLES: Example[] = Array.from({ length: 20 }, (_, i) => ({
  id: `ex${i}`,
  prompt: `Is this e-mail spam or ham?\nSubject: Meeting moved to Thursday ${i}\nBody: I am sure we don't need the big room, it is a quick chat.\nAnswer:`,
  completion: i % 2 ? ' spam' : ' ham',
  category: 'classify',
  meta: { n: i },
}));

describe('perturbation registry', () => {
  it('has the HELM-style perturbations', () => {
    expect(PERTURBATION_NAMES).toEqual(['typos', 'lowercase', 'spaces', 'contractions', 'expansions', 'synonyms', 'filler', 'misspellings', 'mild_mix']);
  });
  it('throws UnknownNameError for unknown names and parameters', () => {
    expect(() => getPerturbation('typo')).toThrow(UnknownNameError);
    expect(() => getPerturbation('typos', { probability: 0.1 })).toThrow(/known: prob, keyboard/);
  });
  it('names its parameters in the signature', () => {
    expect(getPerturbation('typos').signature).toMatch(/^perturbation:typos\|prob:0.05\|keyboard:qwerty\|/);
    expect(getPerturbation('typos', { prob: 0.2 }).signature).toContain('prob:0.2');
    expect(getPerturbation('spaces').signature).toContain('max:3');
  });
});

// The fixture's prompts hold two table words each ('need', 'the'): at HELM's prob 0.1, seed 1 happens to
// change none of the 20, so the shared invariants run misspellings at 0.5 (its own tests use 0.1).
const SHARED_PARAMS: Record<string, Record<string, number>> = { misspellings: { prob: 0.5 } };

describe.each(PERTURBATION_NAMES)('%s', (name) => {
  const p = getPerturbation(name, SHARED_PARAMS[name]);
  it('is deterministic under a seed and differs across seeds/ids where random', () => {
    expect(perturbText(p, LONG, 7, 'a')).toBe(perturbText(p, LONG, 7, 'a'));
    if (['typos', 'spaces', 'synonyms', 'filler', 'mild_mix'].includes(name)) {
      expect(perturbText(p, LONG, 7, 'a')).not.toBe(perturbText(p, LONG, 8, 'a'));
      expect(perturbText(p, LONG, 7, 'a')).not.toBe(perturbText(p, LONG, 7, 'b'));
    }
  });
  it('changes the input and leaves references, ids, categories and meta untouched', () => {
    const { examples, changed } = perturbExamples(EXAMPLES, p, 1);
    expect(examples.map((e) => e.completion)).toEqual(EXAMPLES.map((e) => e.completion));
    expect(examples.map((e) => [e.id, e.category, e.meta])).toEqual(EXAMPLES.map((e) => [e.id, e.category, e.meta]));
    expect(changed.some(Boolean)).toBe(true);
    changed.forEach((c, i) => expect(c).toBe(examples[i]!.prompt !== EXAMPLES[i]!.prompt));
  });
  it('keeps the template: instruction line and field labels', () => {
    const { examples } = perturbExamples(EXAMPLES, p, 3);
    for (const e of examples) {
      const lines = e.prompt.split('\n');
      expect(lines[0]).toBe('Is this e-mail spam or ham?');
      expect(lines[1]).toMatch(/^Subject:/);
      expect(lines[2]).toMatch(/^Body:/);
      expect(lines[3]).toBe('Answer:');
    }
  });
});

describe('rates', () => {
  it('typos substitute about `prob` of the letters, with a QWERTY neighbour, preserving case', () => {
    for (const prob of [0.05, 0.2]) {
      const p = getPerturbation('typos', { prob });
      const out = perturbText(p, LONG, 11, 'x');
      expect(out.length).toBe(LONG.length);
      let letters = 0;
      let changed = 0;
      for (let i = 0; i < LONG.length; i++) {
        if (/[a-z]/i.test(LONG[i]!)) {
          letters++;
          if (out[i] !== LONG[i]) {
            changed++;
            expect(out[i] === out[i]!.toUpperCase()).toBe(LONG[i] === LONG[i]!.toUpperCase());
          }
        } else {
          expect(out[i]).toBe(LONG[i]);
        }
      }
      const rate = changed / letters;
      // ~6,900 letters: 4 standard deviations of a binomial proportion.
      expect(Math.abs(rate - prob)).toBeLessThan(4 * Math.sqrt((prob * (1 - prob)) / letters));
    }
  });
  it('spaces turn each space into 1..3 spaces, about 2 on average', () => {
    const out = perturbText(getPerturbation('spaces'), LONG, 5, 'x');
    const runs = out.match(/ +/g)!.map((r) => r.length);
    expect(runs.length).toBe(LONG.split(' ').length - 1);
    expect(Math.min(...runs)).toBe(1);
    expect(Math.max(...runs)).toBe(3);
    const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
    expect(Math.abs(mean - 2)).toBeLessThan(0.1);
    expect(out.replace(/ +/g, ' ')).toBe(LONG);
  });
  it('filler inserts about `prob` fillers per word', () => {
    const words = LONG.trim().split(' ').length;
    const out = perturbText(getPerturbation('filler', { prob: 0.1 }), LONG.trim(), 5, 'x');
    const added = out.split(' ').length - words;
    // fillers are one or two words: between 1x and 2x the number of insertions
    expect(added).toBeGreaterThan(0.05 * words);
    expect(added).toBeLessThan(0.25 * words);
  });
  it('synonyms replace words with WordNet synonyms', () => {
    const out = perturbText(getPerturbation('synonyms', { prob: 1 }), 'a big dog', 1, 'x');
    expect(out).toMatch(/^a (large|big) (domestic dog|dog)$/);
    expect(out).not.toBe('a big dog');
  });
});

describe('fixed maps', () => {
  it.each([
    ['contractions', 'I am sure we do not need it, it is fine.', "I'm sure we don't need it, it's fine."],
    ['contractions', 'DO NOT enter', "DON'T enter"],
    ['expansions', "Don't worry, it's fine and we're done; can't stop.", 'Do not worry, it is fine and we are done; cannot stop.'],
    ['expansions', 'Dont touch the donut', 'Dont touch the donut'],
    ['lowercase', 'Hello World', 'hello world'],
  ])('%s: %j -> %j', (name, input, expected) => {
    expect(perturbText(getPerturbation(name), input, 0, 'x')).toBe(expected);
  });
  it('matchCase copies capitalisation', () => {
    expect(matchCase('Big', 'large')).toBe('Large');
    expect(matchCase('BIG', 'large')).toBe('LARGE');
    expect(matchCase('big', 'large')).toBe('large');
  });
  it('mild_mix lowercases, contracts, and keeps the template', () => {
    const out = perturbPrompt(getPerturbation('mild_mix', { typo_prob: 0 }), 'Q?\nBody: It Is A Test\nAnswer:', 0, 'x');
    expect(out.split('\n')[0]).toBe('Q?');
    expect(out.split('\n')[1]!.replace(/ +/g, ' ')).toBe("Body: it's a test");
    expect(out.split('\n')[2]).toBe('Answer:');
  });
});
