import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/model/tokenizer.js';

/** GPT-2's bytes_to_unicode table (openai/gpt-2 encoder.py): byte -> printable character. */
function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  return new Map(bs.map((b, i) => [b, String.fromCodePoint(cs[i]!)]));
}

/** A tiny GPT-2-format vocabulary: the 256 byte symbols, a few merges, and <|endoftext|>. */
function tinyGpt2Files(dir: string): void {
  const b2u = bytesToUnicode();
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[b2u.get(b)!] = b;
  const merges = ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'Ġw o'];
  let id = 256;
  for (const m of merges) vocab[m.replace(' ', '')] = id++;
  vocab['<|endoftext|>'] = id;
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\n' + merges.join('\n') + '\n');
}

describe('GPT-2 BPE tokenizer (vocab.json + merges.txt)', () => {
  it('applies the merges, round-trips text and knows <|endoftext|>', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fte-bpe-'));
    tinyGpt2Files(dir);
    const tok = await loadTokenizer('gpt2-bpe', dir);
    expect(tok.vocabSize).toBe(263);
    expect(tok.eosId).toBe(262);
    const ids = tok.encode('hello world');
    expect(ids.slice(0, 2)).toEqual([259, 261]); // 'hello', 'Ġwo'
    expect(tok.decode(ids)).toBe('hello world');
    expect(tok.decode([...ids, tok.eosId])).toBe('hello world');
    expect(tok.decode(tok.encode('héllo ✓'))).toBe('héllo ✓');
  });
  it('names the missing files', async () => {
    await expect(loadTokenizer('gpt2-bpe', mkdtempSync(join(tmpdir(), 'fte-bpe-')))).rejects.toThrow(/tokenizer.json or vocab.json \+ merges.txt/);
  });
});
