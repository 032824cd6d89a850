/**
 * Robustness perturbations in the style of HELM (Liang et al. 2022, §5.2; Wang et al. 2021 NL-Augmenter):
 * seeded, applied to the *inputs* only (never to references), each with its parameters in its
 * signature. Every perturbation is a pure function of (text, rng); the rng is one stream per
 * (seed, perturbation, example id), so results do not depend on split order.
 *
 * Prompts are perturbed template-aware (`perturbPrompt`): in a multi-line prompt the first line (the
 * instruction) and `Label:` prefixes (`Subject:`, `Body:`, `Answer:`) are kept, only the field values
 * change, so the suite's template stays what the model was trained on.
 */
import { UnknownNameError } from '../../errors.js';
import { type Example, chatMessagesOf } from '../../data/example.js';
import { makeSignature } from '../metrics/signature.js';
import { CONTRACTIONS, EXPANSIONS, FILLERS, QWERTY_NEIGHBOURS, SYNONYM_STOPWORDS } from './maps.js';
import { MISSPELLINGS } from './misspellings.js';
import { exampleRng, pick, randInt } from './random.js';
import { synonymsOf } from './wordnet.js';

export type PerturbationParams = Record<string, number | string | boolean>;

export interface Perturbation {
  name: string;
  description: string;
  params: PerturbationParams;
  /** Names every parameter, e.g. `perturbation:typos|prob:0.05|keyboard:qwerty|fte:0.1.0`. */
  signature: string;
  /** Perturb one text with the given uniform [0,1) generator. */
  apply(text: string, rng: () => number): string;
}

interface PerturbationSpec {
  description: string;
  defaults: PerturbationParams;
  make(params: PerturbationParams): (text: string, rng: () => number) => string;
}

/** Give `replacement` the capitalisation of `source` (ALL CAPS, Capitalised, or as is). */
export function matchCase(source: string, replacement: string): string {
  let out = replacement;
  if (source.length > 1 && source === source.toUpperCase() && source !== source.toLowerCase()) out = replacement.toUpperCase();
  else if (source[0] !== undefined && source[0] !== source[0].toLowerCase()) out = replacement[0]!.toUpperCase() + replacement.slice(1);
  return out;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function mapReplacer(map: Readonly<Record<string, string>>): (text: string) => string {
  // Longest keys first so that "could have" wins over a shorter overlapping key; apostrophe ' or ’.
  const keys = Object.keys(map).sort((a, b) => b.length - a.length);
  const re = new RegExp(`(?<![\\p{L}\\p{N}'’])(?:${keys.map((k) => escapeRe(k).replaceAll("'", "['’]").replaceAll(' ', ' +')).join('|')})(?![\\p{L}\\p{N}'’])`, 'giu');
  return (text) =>
    text.replace(re, (m) => {
      const key = m.toLowerCase().replaceAll('’', "'").replace(/ +/g, ' ');
      return matchCase(m, map[key] ?? m);
    });
}

function typos(prob: number): (text: string, rng: () => number) => string {
  return (text, rng) => {
    let out = '';
    for (const ch of text) {
      const lower = ch.toLowerCase();
      const neighbours = QWERTY_NEIGHBOURS[lower];
      if (neighbours !== undefined && rng() < prob) {
        const sub = pick(rng, Array.from(neighbours));
        out += ch === lower ? sub : sub.toUpperCase();
      } else {
        out += ch;
      }
    }
    return out;
  };
}

function spaces(maxSpaces: number): (text: string, rng: () => number) => string {
  return (text, rng) => text.replace(/ /g, () => ' '.repeat(randInt(rng, 1, maxSpaces)));
}

/**
 * HELM's `MisspellingPerturbation`: each word found in the table (src/eval/perturbations/misspellings.ts,
 * Wikipedia's list of common misspellings) becomes one of its misspellings with probability `prob`.
 * As HELM, a word is matched whole (`\b…\b`, word characters = letters, digits, `_`) in lower case or
 * Capitalised (the table's two forms), never ALL CAPS; one draw per matched word, then a uniform pick.
 */
function misspell(prob: number): (text: string, rng: () => number) => string {
  return (text, rng) =>
    text.replace(/[\p{L}\p{N}_]+/gu, (w) => {
      const lw = w.toLowerCase();
      if (!Object.hasOwn(MISSPELLINGS, lw)) return w;
      if (w !== lw && w !== lw[0]!.toUpperCase() + lw.slice(1)) return w;
      if (rng() >= prob) return w;
      return matchCase(w, pick(rng, MISSPELLINGS[lw]!));
    });
}

const contract = mapReplacer(EXPANSIONS);
const expand = mapReplacer(CONTRACTIONS);

const SPECS: Record<string, PerturbationSpec> = {
  typos: {
    description: 'each ASCII letter becomes a QWERTY neighbour with probability `prob`, case preserved',
    defaults: { prob: 0.05, keyboard: 'qwerty' },
    make: (p) => typos(Number(p.prob)),
  },
  lowercase: {
    description: 'lower-case the whole input',
    defaults: {},
    make: () => (text) => text.toLowerCase(),
  },
  spaces: {
    description: 'each space becomes 1..`max` spaces (uniform)',
    defaults: { max: 3 },
    make: (p) => spaces(Number(p.max)),
  },
  contractions: {
    description: 'contract expanded forms from a fixed map (do not -> don\'t)',
    defaults: { map: 'fte-v1' },
    make: () => (text) => contract(text),
  },
  expansions: {
    description: 'expand contractions from a fixed map (don\'t -> do not)',
    defaults: { map: 'fte-v1' },
    make: () => (text) => expand(text),
  },
  synonyms: {
    description: 'each content word with a WordNet synonym becomes one with probability `prob` (most frequent sense)',
    defaults: { prob: 0.5, wordnet: '3.1' },
    make: (p) => {
      const prob = Number(p.prob);
      return (text, rng) =>
        text.replace(/\p{L}[\p{L}'-]*/gu, (w) => {
          const lw = w.toLowerCase();
          if (lw.length < 3 || SYNONYM_STOPWORDS.has(lw) || !/^[a-z]+$/.test(lw)) return w;
          const syns = synonymsOf(lw);
          if (syns.length === 0) return w;
          if (rng() >= prob) return w;
          return matchCase(w, pick(rng, syns));
        });
    },
  },
  filler: {
    description: 'insert a filler word (uh, um, you know, ...) before each word with probability `prob`',
    defaults: { prob: 0.1 },
    make: (p) => {
      const prob = Number(p.prob);
      return (text, rng) => {
        const parts = text.split(' ');
        return parts
          .map((w, i) => (i > 0 && w.length > 0 && rng() < prob ? `${pick(rng, FILLERS)} ${w}` : w))
          .join(' ');
      };
    },
  },
  misspellings: {
    description: "each word in Wikipedia's list of common misspellings becomes one of its misspellings with probability `prob` (HELM)",
    defaults: { prob: 0.1, table: 'wikipedia-common-misspellings' },
    make: (p) => misspell(Number(p.prob)),
  },
  mild_mix: {
    description:
      "HELM's mild_mix: lowercase, then contractions, then misspellings (`misspelling_prob`), then spaces (1..`max_spaces`); " +
      'typos (`typo_prob`, default 0 = off as in HELM) before the spaces when set',
    defaults: { misspelling_prob: 0.1, max_spaces: 3, typo_prob: 0 },
    make: (p) => {
      const m = misspell(Number(p.misspelling_prob));
      const typoProb = Number(p.typo_prob);
      const t = typoProb > 0 ? typos(typoProb) : (text: string) => text;
      const s = spaces(Number(p.max_spaces));
      return (text, rng) => s(t(m(contract(text.toLowerCase()), rng), rng), rng);
    },
  },
};

/** Perturbation names in registry order. */
export const PERTURBATION_NAMES: readonly string[] = Object.keys(SPECS);

/**
 * The perturbation called `name`, with `params` overriding its defaults.
 * @throws UnknownNameError listing the valid names; UserInputError-class errors for unknown params.
 */
export function getPerturbation(name: string, params: PerturbationParams = {}): Perturbation {
  const spec = SPECS[name];
  if (!spec || !Object.hasOwn(SPECS, name)) throw new UnknownNameError('perturbation', name, PERTURBATION_NAMES);
  for (const k of Object.keys(params)) {
    if (!Object.hasOwn(spec.defaults, k)) throw new UnknownNameError(`parameter of perturbation '${name}'`, k, Object.keys(spec.defaults));
  }
  const resolved = { ...spec.defaults, ...params };
  return {
    name,
    description: spec.description,
    params: resolved,
    signature: makeSignature({ perturbation: name, ...resolved, seeded: 'per-example', scope: 'input-fields' }),
    apply: spec.make(resolved),
  };
}

/** Perturb a whole text with the example's own stream. */
export function perturbText(p: Perturbation, text: string, seed: number, exampleId: string): string {
  return p.apply(text, exampleRng(seed, p.name, exampleId));
}

const FIELD_LINE = /^([A-Za-z][A-Za-z0-9 _-]{0,30}:)(.*)$/s;

/**
 * Perturb a prompt, template-aware: a single-line prompt is perturbed whole; in a multi-line prompt the
 * first line (instruction) is kept, and on every other line a leading `Label:` is kept and only the
 * rest is perturbed. Newlines are kept.
 */
export function perturbPrompt(p: Perturbation, prompt: string, seed: number, exampleId: string): string {
  const rng = exampleRng(seed, p.name, exampleId);
  const lines = prompt.split('\n');
  if (lines.length === 1) return p.apply(prompt, rng);
  return lines
    .map((line, i) => {
      if (i === 0) return line;
      const m = FIELD_LINE.exec(line);
      if (m) return m[2]!.length > 0 ? m[1]! + p.apply(m[2]!, rng) : line;
      return p.apply(line, rng);
    })
    .join('\n');
}

/**
 * Perturb the inputs of a split. Completions (references), ids, categories and meta are untouched,
 * except a chat row's conversation (`meta.chatMessages`, what a model with a chat template reads):
 * its user messages are perturbed too (each as a prompt, keyed `<id>#<message index>`).
 * `changed[i]` says whether example i's input differs from the clean one (unchanged ones are not
 * re-generated and not double-counted by the harness).
 */
export function perturbExamples(examples: readonly Example[], p: Perturbation, seed: number): { examples: Example[]; changed: boolean[] } {
  const out: Example[] = [];
  const changed: boolean[] = [];
  for (const ex of examples) {
    const prompt = perturbPrompt(p, ex.prompt, seed, ex.id);
    const chat = chatMessagesOf(ex);
    let chatChanged = false;
    let perturbed: Example = { ...ex, prompt };
    if (chat) {
      const msgs = chat.map((m, i) => (m.role === 'user' && i < chat.length - 1 ? { ...m, content: perturbPrompt(p, m.content, seed, `${ex.id}#${i}`) } : m));
      chatChanged = msgs.some((m, i) => m.content !== chat[i]!.content);
      if (chatChanged) perturbed = { ...perturbed, meta: { ...ex.meta, chatMessages: msgs } };
    }
    out.push(perturbed);
    changed.push(prompt !== ex.prompt || chatChanged);
  }
  return { examples: out, changed };
}
