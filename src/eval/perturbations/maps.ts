/**
 * Fixed word maps for the perturbations: QWERTY neighbours (typos), contractions and their
 * expansions, filler words. fte's own lists, written for HELM-style perturbations (Liang et al. 2022,
 * "Holistic Evaluation of Language Models", §5.2 robustness).
 */

/** Keys physically adjacent on a US QWERTY keyboard (same row and the rows above/below). */
export const QWERTY_NEIGHBOURS: Readonly<Record<string, string>> = {
  q: 'wa', w: 'qeas', e: 'wrsd', r: 'etdf', t: 'ryfg', y: 'tugh', u: 'yihj', i: 'uojk', o: 'ipkl', p: 'ol',
  a: 'qwsz', s: 'awedxz', d: 'serfcx', f: 'drtgvc', g: 'ftyhbv', h: 'gyujnb', j: 'huikmn', k: 'jiolm', l: 'kop',
  z: 'asx', x: 'zsdc', c: 'xdfv', v: 'cfgb', b: 'vghn', n: 'bhjm', m: 'njk',
};

/** Contraction -> expansion (lower case; apostrophe ASCII). One expansion per contraction. */
export const CONTRACTIONS: Readonly<Record<string, string>> = {
  "aren't": 'are not', "can't": 'cannot', "couldn't": 'could not', "could've": 'could have', "didn't": 'did not',
  "doesn't": 'does not', "don't": 'do not', "hadn't": 'had not', "hasn't": 'has not', "haven't": 'have not',
  "he'll": 'he will', "here's": 'here is', "i'd": 'i would', "i'll": 'i will', "i'm": 'i am', "i've": 'i have',
  "isn't": 'is not', "it'll": 'it will', "it's": 'it is', "let's": 'let us', "mightn't": 'might not',
  "mustn't": 'must not', "shan't": 'shall not', "she'll": 'she will', "shouldn't": 'should not',
  "should've": 'should have', "that's": 'that is', "there's": 'there is', "they'll": 'they will',
  "they're": 'they are', "they've": 'they have', "wasn't": 'was not', "we'll": 'we will', "we're": 'we are',
  "we've": 'we have', "weren't": 'were not', "what's": 'what is', "where's": 'where is', "who's": 'who is',
  "won't": 'will not', "wouldn't": 'would not', "would've": 'would have', "you'd": 'you would',
  "you'll": 'you will', "you're": 'you are', "you've": 'you have',
};

/** Expansion -> contraction: the inverse of CONTRACTIONS (every expansion above is unique). */
export const EXPANSIONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(CONTRACTIONS).map(([c, e]) => [e, c]),
);

/** Filler words and phrases inserted between words (HELM's filler-word perturbation). */
export const FILLERS: readonly string[] = ['uh', 'um', 'er', 'ah', 'like', 'you know', 'I mean', 'well', 'so', 'basically', 'actually'];

/** Words the synonym perturbation never replaces (function words WordNet lists as rare nouns/verbs). */
export const SYNONYM_STOPWORDS: ReadonlySet<string> = new Set(
  ('a an the and or but if then else of to in on at by for with from as is are was were be been being am do does did ' +
    'have has had not no yes it its this that these those there here he she they we you i me my your our their his her ' +
    'them us who what which when where why how all any some can will would should could may might must shall just ' +
    'also very so than too up down out over under again more most such only own same other into about after before ' +
    'spam ham subject body answer').split(' '),
);
