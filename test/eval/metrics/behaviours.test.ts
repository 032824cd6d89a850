/** Behaviours of the reference implementations that the shared vectors do not pin (see fixtures README). */
import { describe, expect, it } from 'vitest';
import { metrics } from '../../../src/index.js';
import { porterStem } from '../../../src/eval/metrics/porter.js';
import { tokenize13a } from '../../../src/eval/metrics/bleu.js';

describe('BLEU (sacrebleu)', () => {
  it('brevity penalty uses the closest reference length, the shorter on a tie', () => {
    // hypothesis 4 tokens; references of 3 and 5 tokens are equally close -> 3.
    const r = metrics.corpusBleu(['a b c d'], [['a b c', 'a b c d e']]);
    expect(r.refLen).toBe(3);
    expect(r.bp).toBe(1);
  });
  it('brevity penalty is exp(1 - r/c) when the hypothesis is shorter', () => {
    const r = metrics.corpusBleu(['a b c d'], [['a b c d e f']]);
    expect(r.bp).toBeCloseTo(Math.exp(1 - 6 / 4), 15);
  });
  it('returns 0 without smoothing when no n-gram matches', () => {
    const r = metrics.sentenceBleu('xyz', ['abc']);
    expect(r.score).toBe(0);
    expect(r.precisions).toEqual([0, 0, 0, 0]);
  });
  it('corpus BLEU of a 3-token exact match is 0, sentence BLEU is 100', () => {
    expect(metrics.corpusBleu(['a b c'], [['a b c']]).score).toBe(0);
    expect(metrics.sentenceBleu('a b c', ['a b c']).score).toBeCloseTo(100, 10);
  });
  it('corpus score comes from summed statistics, not the mean of sentence scores', () => {
    const preds = ['the cat sat on the mat today', 'a dog'];
    const refs = [['the cat sat on the mat'], ['a dog barked']];
    const corpus = metrics.corpusBleu(preds, refs).score;
    const mean = (metrics.sentenceBleu(preds[0]!, refs[0]!).score + metrics.sentenceBleu(preds[1]!, refs[1]!).score) / 2;
    expect(Math.abs(corpus - mean)).toBeGreaterThan(1);
  });
  it('lowercase option folds case and is named in the signature', () => {
    const r = metrics.corpusBleu(['THE CAT SAT ON THE MAT'], [['the cat sat on the mat']], { lowercase: true });
    expect(r.score).toBeCloseTo(100, 10);
    expect(r.signature).toMatch(/^nrefs:1\|case:lc\|eff:no\|tok:13a\|smooth:exp\|ref:sacrebleu-2\.6\.0\|fte:/);
  });
  it('signature says nrefs:var for a variable number of references', () => {
    expect(metrics.corpusBleu(['a', 'b'], [['a'], ['b', 'c']]).signature).toContain('nrefs:var');
  });
  it.each([
    ['Hello, world!', 'Hello , world !'],
    ['$1,250,000 and 4.5%', '$ 1,250,000 and 4.5 %'],
    ['plat-\nform', 'platform'],
    ['a\u001cb', 'a b'], // Python str.split() treats U+001C as whitespace
    ['x&amp;y', 'x & y'],
  ])('13a tokenizes %j as %j', (input, expected) => {
    expect(tokenize13a(input)).toBe(expected);
  });
  it('rejects misaligned lists', () => {
    expect(() => metrics.corpusBleu(['a', 'b'], [['a']])).toThrow(TypeError);
  });
});

describe('chrF (sacrebleu)', () => {
  it('counts Unicode code points, not UTF-16 units', () => {
    const r = metrics.chrf(['😀😀'], [['😀😀']]);
    expect(r.stats.slice(0, 3)).toEqual([2, 2, 2]);
    expect(r.score).toBe(100);
  });
  it('ignores all whitespace', () => {
    expect(metrics.chrf(['a b\tc'], [['abc']]).score).toBe(100);
  });
});

describe('ROUGE (rouge-score)', () => {
  it('Lsum equals L when there is no newline', () => {
    const r = metrics.rouge('costs fell in april and sales rose', 'sales rose in may and costs fell');
    expect(r.rougeLsum).toEqual(r.rougeL);
  });
  it('the default tokenizer drops non-Latin text; the unicode option keeps it and says so', () => {
    expect(metrics.rouge('東京 大阪', '東京 大阪').rouge1.fmeasure).toBe(0);
    expect(metrics.rouge('東京 大阪', '東京 大阪', { tokenizer: 'unicode' }).rouge1.fmeasure).toBe(1);
    expect(metrics.rougeSignature('rouge1', { tokenizer: 'unicode' })).toContain('tok:unicode');
  });
  it('several references keep the best F-measure per type', () => {
    const r = metrics.rouge('the cat sat', ['a dog ran', 'the cat sat']);
    expect(r.rouge1.fmeasure).toBe(1);
  });
  it('stems only tokens longer than 3 characters', () => {
    // 'dies' (4 chars) stems to 'die'; 'ies' is never seen, 'tie' untouched.
    expect(metrics.rouge('dies', 'die', { useStemmer: true }).rouge1.fmeasure).toBe(1);
    expect(metrics.rouge('dies', 'die').rouge1.fmeasure).toBe(0);
  });
});

describe('Porter stemmer (NLTK_EXTENSIONS)', () => {
  // NLTK's stem howto: the stems of these plurals printed by PorterStemmer().
  const plurals = ['caresses', 'flies', 'dies', 'mules', 'denied', 'died', 'agreed', 'owned', 'humbled', 'sized', 'meeting', 'stating', 'siezing', 'itemization', 'sensational', 'traditional', 'reference', 'colonizer', 'plotted'];
  const stems = 'caress fli die mule deni die agre own humbl size meet state siez item sensat tradit refer colon plot'.split(' ');
  it.each(plurals.map((p, i) => [p, stems[i]!]))('%s -> %s', (word, stem) => {
    expect(porterStem(word)).toBe(stem);
  });
  it.each([
    ['oed', 'o'],
    ['skies', 'sky'],
    ['dying', 'die'],
    ['news', 'news'],
    ['innings', 'inning'],
    ['generously', 'gener'],
    ['running', 'run'],
    ['happy', 'happi'],
    ['enjoy', 'enjoy'],
    ['controlling', 'control'],
    ['roll', 'roll'],
    ['hopefulness', 'hope'],
    ['archaeology', 'archaeolog'],
    ['geology', 'geolog'],
    ['radically', 'radic'],
    ['on', 'on'],
  ])('%s -> %s', (word, stem) => {
    expect(porterStem(word)).toBe(stem);
  });
});

describe('SQuAD v1.1', () => {
  it('an answer that normalises to "" matches another empty one for EM but gets F1 0', () => {
    expect(metrics.squadExactMatch(['the'], [['']])).toBe(100);
    expect(metrics.squadF1(['the'], [['']])).toBe(0);
  });
  it('deletes punctuation without inserting a space', () => {
    expect(metrics.squadExactMatch(['1,000'], [['1000']])).toBe(100);
    expect(metrics.squadExactMatch(['well-known'], [['well known']])).toBe(0);
  });
  it('removes articles only as whole words (Unicode word boundaries)', () => {
    expect(metrics.normalizeAnswer('The theatre')).toBe('theatre');
    expect(metrics.normalizeAnswer('éa a')).toBe('éa');
  });
});

describe('classification (scikit-learn, zero_division=0)', () => {
  it('counts a label that appears only in predictions', () => {
    const r = metrics.classification(['a', 'a', 'b'], ['a', 'c', 'b']);
    expect(r.labels).toEqual(['a', 'b', 'c']);
    expect(r.precision.perClass.c).toBe(0);
    expect(r.recall.perClass.c).toBe(0);
    expect(r.support).toEqual({ a: 2, b: 1, c: 0 });
    expect(r.f1.macro).toBeCloseTo((2 / 3 + 1 + 0) / 3, 15);
  });
  it('a class never predicted has precision 0', () => {
    const r = metrics.classification(['x', 'y'], ['x', 'x']);
    expect(r.precision.perClass.y).toBe(0);
    expect(r.accuracy).toBe(0.5);
    expect(r.f1.micro).toBe(0.5);
  });
  it('sorts labels by code point as Python does', () => {
    expect(metrics.classification(['\u{1F600}', '\uFF41'], ['\u{1F600}', '\uFF41']).labels).toEqual(['\uFF41', '\u{1F600}']);
  });
});

describe('perplexity', () => {
  it('is exp(mean NLL) with bits per token', () => {
    const r = metrics.perplexity([Math.log(2), Math.log(8)]);
    expect(r.perplexity).toBeCloseTo(4, 12);
    expect(r.bitsPerToken).toBeCloseTo(2, 12);
  });
  it('is NaN on no tokens', () => {
    expect(metrics.perplexity([]).perplexity).toBeNaN();
  });
});

describe('argument shapes (references: string[][]; QA)', () => {
  // Flat references used to be accepted silently: chrF took each character as a reference (nrefs:7),
  // BLEU scored 0. Every corpus metric now checks the layout and throws a TypeError naming it.
  const flat = ['abc def'] as unknown as string[][];
  it.each([
    ['chrf', () => metrics.chrf(['abc def'], flat), /chrf: references\[0\] is a string; expected an array of strings/],
    ['corpusBleu', () => metrics.corpusBleu(['abc def'], flat), /corpusBleu: references\[0\] is a string/],
    ['squadExactMatch', () => metrics.squadExactMatch(['abc def'], flat), /squadExactMatch: references\[0\] is a string/],
    ['squadF1', () => metrics.squadF1(['abc def'], flat), /squadF1: references\[0\] is a string/],
    ['chrf non-string reference', () => metrics.chrf(['a'], [[1 as unknown as string]]), /chrf: references\[0\]\[0\] is a number; expected a string/],
    ['chrf length mismatch', () => metrics.chrf(['a', 'b'], [['a']]), /chrf: 2 predictions but 1 reference lists/],
    ['squadF1 length mismatch', () => metrics.squadF1(['a'], [['a'], ['b']]), /squadF1: 1 predictions but 2/],
    ['corpusBleu predictions not strings', () => metrics.corpusBleu([['a']] as unknown as string[], [['a']]), /corpusBleu: predictions\[0\] is an array; expected a string/],
    ['corpusBleu references not an array', () => metrics.corpusBleu(['a'], 'a' as unknown as string[][]), /corpusBleu: references is a string; expected an array/],
    ['sentenceBleu flat string', () => metrics.sentenceBleu('a b', 'a b' as unknown as string[]), /sentenceBleu: references is a string; expected an array of strings/],
    ['chrfStatistics flat string', () => metrics.chrfStatistics('a b', 'a b' as unknown as string[]), /chrfStatistics: references is a string/],
  ])('%s throws a TypeError', (_name, call, message) => {
    expect(call).toThrow(TypeError);
    expect(call).toThrow(message);
  });

  it('valid input keeps its value', () => {
    expect(metrics.chrf(['abc def'], [['abc def']]).score).toBeCloseTo(100, 9);
    expect(metrics.corpusBleu(['a b c d'], [['a b c d']]).score).toBeCloseTo(100, 9);
    expect(metrics.squadF1(['Paris'], [['paris', 'Lyon']])).toBe(100);
  });
});
