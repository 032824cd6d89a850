import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors, readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import { GPT2, loadGPT2, parameterShapes } from '../../src/model/gpt2.js';
import { toHfConfig } from '../../src/model/config.js';
import { UserInputError } from '../../src/errors.js';
import { TINY, useWasm, ids, maxAbsDiff } from './helpers.js';

/** Build a safetensors buffer by hand (independent of our writer): header JSON + raw bytes. */
function handBuilt(entries: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] };
    off += e.bytes.length;
  }
  const h = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + h.length + off);
  out.writeBigUInt64LE(BigInt(h.length), 0);
  h.copy(out, 8);
  let p = 8 + h.length;
  for (const e of entries) {
    Buffer.from(e.bytes).copy(out, p);
    p += e.bytes.length;
  }
  return new Uint8Array(out);
}

describe('safetensors', () => {
  it('round-trips F32, I32, U8, I8 tensors and metadata', () => {
    const t = {
      a: { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-8, -0, 65504]) },
      b: { shape: [4], data: Int32Array.from([1, -1, 2 ** 30, 0]) },
      c: { shape: [3], data: Uint8Array.from([0, 255, 7]) },
      d: { shape: [2], data: Int8Array.from([-128, 127]) },
    };
    const buf = serializeSafetensors(t, { format: 'pt' });
    const dv = new DataView(buf.buffer);
    expect((8 + Number(dv.getBigUint64(0, true))) % 8).toBe(0); // header padded to 8 bytes
    const { tensors, metadata } = parseSafetensors(buf);
    expect(metadata).toEqual({ format: 'pt' });
    for (const [k, v] of Object.entries(t)) {
      expect(tensors.get(k)!.shape).toEqual(v.shape);
      expect(Array.from(tensors.get(k)!.data)).toEqual(Array.from(v.data));
    }
  });

  it.each([
    ['F16', Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x7c]), [1, -2, 0, Infinity]],
    ['BF16', Uint8Array.from([0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40]), [1, -2, 3.140625]],
  ])('reads %s as float32', (dtype, bytes, expected) => {
    const buf = handBuilt([{ name: 'x', dtype, shape: [expected.length], bytes }]);
    expect(Array.from(parseSafetensors(buf).tensors.get('x')!.data)).toEqual(expected);
  });

  it.each([
    ['too short', new Uint8Array(4)],
    ['header length beyond the file', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })()],
    ['offsets that do not match the shape', handBuilt([{ name: 'x', dtype: 'F32', shape: [3], bytes: new Uint8Array(8) }])],
  ])('rejects a malformed file: %s', (_n, buf) => {
    expect(() => parseSafetensors(buf, 'bad.safetensors')).toThrow(UserInputError);
  });

  describe('GPT-2 checkpoints', () => {
    beforeAll(useWasm);
    it('a hand-built GPT-2-named file (transformer. prefix, lm_head, attn.bias buffers) loads and matches the source model', async () => {
      const src = GPT2.random(TINY, 11);
      const w = await src.weights();
      const entries: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[] = [];
      for (const [name, shape] of parameterShapes(TINY)) {
        const d = w.get(name)!.data;
        entries.push({ name: `transformer.${name}`, dtype: 'F32', shape, bytes: new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)) });
      }
      const wte = w.get('wte.weight')!.data;
      entries.push({ name: 'lm_head.weight', dtype: 'F32', shape: [TINY.vocabSize, TINY.nEmbd], bytes: new Uint8Array(wte.buffer.slice(0)) });
      entries.push({ name: 'transformer.h.0.attn.bias', dtype: 'F32', shape: [1], bytes: new Uint8Array(4) });
      const dir = mkdtempSync(join(tmpdir(), 'fte-st-'));
      writeFileSync(join(dir, 'model.safetensors'), handBuilt(entries));
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...toHfConfig(TINY), fte_tokenizer: undefined }));
      const loaded = await loadGPT2(dir);
      const x = ids([[1, 2, 3, 4, 5]]);
      const [a, b] = tf.tidy(() => [src.forward(x).logits, loaded.forward(x).logits]);
      expect(maxAbsDiff(a!, b!)).toBe(0);
      tf.dispose([a!, b!, x]);
      src.dispose();
      loaded.dispose();
    });

    it('save then load round-trips every weight exactly', async () => {
      const m = GPT2.random(TINY, 5);
      const dir = mkdtempSync(join(tmpdir(), 'fte-st-'));
      await m.save(dir);
      const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
      const w = await m.weights();
      expect([...tensors.keys()].sort()).toEqual([...w.keys()].sort());
      for (const [k, v] of w) expect(Array.from(tensors.get(k)!.data)).toEqual(Array.from(v.data));
      m.dispose();
    });

    it('names the missing tensor', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fte-st-'));
      mkdirSync(dir, { recursive: true });
      await writeSafetensors(join(dir, 'model.safetensors'), { 'wte.weight': { shape: [TINY.vocabSize, TINY.nEmbd], data: new Float32Array(TINY.vocabSize * TINY.nEmbd) } });
      writeFileSync(join(dir, 'config.json'), JSON.stringify(toHfConfig(TINY)));
      await expect(loadGPT2(dir)).rejects.toThrow(/missing tensor wpe.weight/);
    });
  });
});
