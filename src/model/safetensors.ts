/**
 * safetensors reader/writer (the format of Hugging Face's `safetensors` library):
 *   [8 bytes: header length N, u64 little-endian][N bytes: JSON header][raw tensor bytes]
 * The header maps tensor name -> { dtype, shape, data_offsets: [begin, end] } (offsets relative to
 * the start of the data section) plus an optional `__metadata__` string->string map.
 * Data is little-endian, row-major. We read F32, F16, BF16 (converted to float32) and I32/I64/U8/I8;
 * we write F32 (and raw U8/I32 for packed quantized blocks).
 *
 * A model folder holds `model.safetensors`, or shards listed by `model.safetensors.index.json`
 * (`{ "metadata": { "total_size": bytes }, "weight_map": { tensor name: shard file } }`), as
 * transformers' `save_pretrained` writes them (`readCheckpoint`, `writeCheckpoint`).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserInputError } from '../errors.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'I64' | 'U8' | 'I8' | 'I16' | 'BOOL';

/** One tensor as read from or written to a file. `data` is float32 for float dtypes. */
export interface StTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array | Int8Array;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8, U8: 1, I8: 1, I16: 2, BOOL: 1 };

/** IEEE 754 half -> float. */
function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Parse a safetensors buffer. Float dtypes (F32/F16/BF16/F64) come back as Float32Array;
 * I64 is narrowed to Int32Array. Throws `UserInputError` (naming `source`) on a malformed file.
 */
export function parseSafetensors(buf: Uint8Array, source = 'safetensors'): { tensors: Map<string, StTensor>; metadata: Record<string, string> } {
  if (buf.byteLength < 8) throw new UserInputError(`${source}: not a safetensors file (shorter than 8 bytes)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n <= 0 || 8 + n > buf.byteLength) throw new UserInputError(`${source}: bad safetensors header length ${n}`);
  let header: Record<string, { dtype: SafetensorsDtype; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw new UserInputError(`${source}: safetensors header is not JSON (${(e as Error).message})`);
  }
  const base = 8 + n;
  const tensors = new Map<string, StTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = info as { dtype: SafetensorsDtype; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) throw new UserInputError(`${source}: tensor ${name}: unsupported dtype ${dtype}`);
    const [b, e] = data_offsets;
    const numel = shape.reduce((a, c) => a * c, 1);
    if (e - b !== numel * BYTES[dtype] || base + e > buf.byteLength) {
      throw new UserInputError(`${source}: tensor ${name}: data_offsets [${b}, ${e}] do not match shape [${shape}] ${dtype}`);
    }
    const tdv = new DataView(buf.buffer, buf.byteOffset + base + b, e - b);
    let data: StTensor['data'];
    switch (dtype) {
      case 'F32': {
        data = new Float32Array(numel);
        for (let i = 0; i < numel; i++) data[i] = tdv.getFloat32(i * 4, true);
        break;
      }
      case 'F64': {
        data = new Float32Array(numel);
        for (let i = 0; i < numel; i++) data[i] = tdv.getFloat64(i * 8, true);
        break;
      }
      case 'F16': {
        data = new Float32Array(numel);
        for (let i = 0; i < numel; i++) data[i] = f16ToF32(tdv.getUint16(i * 2, true));
        break;
      }
      case 'BF16': {
        data = new Float32Array(numel);
        const u = new Uint32Array(data.buffer);
        for (let i = 0; i < numel; i++) u[i] = tdv.getUint16(i * 2, true) << 16;
        break;
      }
      case 'I32': {
        data = new Int32Array(numel);
        for (let i = 0; i < numel; i++) data[i] = tdv.getInt32(i * 4, true);
        break;
      }
      case 'I64': {
        data = new Int32Array(numel);
        for (let i = 0; i < numel; i++) data[i] = Number(tdv.getBigInt64(i * 8, true));
        break;
      }
      case 'I16': {
        data = new Int32Array(numel);
        for (let i = 0; i < numel; i++) data[i] = tdv.getInt16(i * 2, true);
        break;
      }
      case 'U8':
      case 'BOOL':
        data = new Uint8Array(buf.slice(base + b, base + e));
        break;
      case 'I8':
        data = new Int8Array(buf.slice(base + b, base + e));
        break;
    }
    tensors.set(name, { dtype: dtype === 'F16' || dtype === 'BF16' || dtype === 'F64' ? 'F32' : dtype === 'I64' || dtype === 'I16' ? 'I32' : dtype, shape, data });
  }
  return { tensors, metadata };
}

/** Read a `.safetensors` file. Throws `UserInputError` when missing or malformed. */
export async function readSafetensors(path: string): Promise<{ tensors: Map<string, StTensor>; metadata: Record<string, string> }> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new UserInputError(`${path}: cannot read safetensors file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

/** A tensor to write: its dtype follows the array type, or `dtype` names the type of raw little-endian bytes in `data` (e.g. BF16). */
export interface StWriteTensor {
  shape: number[];
  data: StTensor['data'];
  dtype?: SafetensorsDtype;
}

/**
 * Serialise tensors (name order is sorted, as the reference writer does). Float32Array -> F32,
 * Int32Array -> I32, Uint8Array -> U8, Int8Array -> I8, unless `dtype` is given (then `data` holds
 * that dtype's raw bytes). Header is padded with spaces to a multiple of 8.
 */
export function serializeSafetensors(tensors: Map<string, StWriteTensor> | Record<string, StWriteTensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const [name, t] of entries) {
    const dtype = t.dtype ?? (t.data instanceof Float32Array ? 'F32' : t.data instanceof Int32Array ? 'I32' : t.data instanceof Int8Array ? 'I8' : 'U8');
    const numel = t.shape.reduce((a, c) => a * c, 1);
    if (numel * BYTES[dtype] !== t.data.byteLength) throw new Error(`safetensors: tensor ${name}: shape [${t.shape}] ${dtype} needs ${numel * BYTES[dtype]} bytes, data has ${t.data.byteLength}`);
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  for (const [, t] of entries) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (littleEndian || bytes.BYTES_PER_ELEMENT === 1) out.set(bytes, p);
    else throw new Error('safetensors: big-endian hosts are not supported');
    p += t.data.byteLength;
  }
  return out;
}

/** Write a `.safetensors` file atomically (temp file + rename, so readers never see half a file); returns its size in bytes. */
export async function writeSafetensors(path: string, tensors: Parameters<typeof serializeSafetensors>[0], metadata?: Record<string, string>): Promise<number> {
  const buf = serializeSafetensors(tensors, metadata);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, buf);
  await rename(tmp, path);
  return buf.byteLength;
}

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/**
 * Read a model folder's weights: `model.safetensors`, or every shard named by
 * `model.safetensors.index.json` (each shard read once). `files` lists what was read.
 * @throws UserInputError when neither exists, the index is malformed, a shard is missing, a tensor
 *   the index names is not in its shard, or two shards hold the same tensor.
 */
export async function readCheckpoint(dir: string): Promise<{ tensors: Map<string, StTensor>; files: string[] }> {
  const single = join(dir, SINGLE_FILE);
  const indexPath = join(dir, INDEX_FILE);
  if (existsSync(single)) return { tensors: (await readSafetensors(single)).tensors, files: [single] };
  if (!existsSync(indexPath)) throw new UserInputError(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE} (a model folder holds config.json and its safetensors weights)`);
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (e) {
    throw new UserInputError(`${indexPath}: not valid JSON (${(e as Error).message})`);
  }
  const map = index.weight_map;
  if (!map || typeof map !== 'object') throw new UserInputError(`${indexPath}: no weight_map`);
  const tensors = new Map<string, StTensor>();
  const shards = [...new Set(Object.values(map))].sort();
  const files: string[] = [];
  for (const shard of shards) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) throw new UserInputError(`${indexPath}: bad shard file name ${JSON.stringify(shard)}`);
    const path = join(dir, shard);
    files.push(path);
    const { tensors: part } = await readSafetensors(path);
    for (const [name, t] of part) {
      if (tensors.has(name)) throw new UserInputError(`${path}: tensor ${name} is also in another shard`);
      tensors.set(name, t);
    }
  }
  for (const [name, shard] of Object.entries(map)) {
    if (!tensors.has(name)) throw new UserInputError(`${join(dir, shard)}: tensor ${name} (listed in ${INDEX_FILE}) is not in the file`);
  }
  return { tensors, files };
}

/**
 * Write weights as transformers does: one `model.safetensors` when they fit in `maxShardBytes`,
 * else shards `model-00001-of-0000N.safetensors` (tensors in sorted name order, a new shard when the
 * next tensor would overflow) plus `model.safetensors.index.json`. Weight files of an earlier save
 * in `dir` are removed first. Returns the bytes written (all weight files).
 */
export async function writeCheckpoint(
  dir: string,
  tensors: Map<string, StWriteTensor>,
  o: { maxShardBytes?: number; metadata?: Record<string, string> } = {},
): Promise<number> {
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(dir)) {
    if (f === SINGLE_FILE || f === INDEX_FILE || /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)) await rm(join(dir, f));
  }
  const max = o.maxShardBytes ?? 5e9;
  const names = [...tensors.keys()].sort();
  const groups: string[][] = [[]];
  let size = 0;
  for (const n of names) {
    const b = tensors.get(n)!.data.byteLength;
    if (size > 0 && size + b > max) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1]!.push(n);
    size += b;
  }
  const metadata = { format: 'pt', ...o.metadata };
  if (groups.length === 1) return writeSafetensors(join(dir, SINGLE_FILE), tensors, metadata);
  const pad = (i: number) => String(i).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  let bytes = 0;
  let dataBytes = 0;
  for (let i = 0; i < groups.length; i++) {
    const file = `model-${pad(i + 1)}-of-${pad(groups.length)}.safetensors`;
    const part = new Map(groups[i]!.map((n) => [n, tensors.get(n)!]));
    bytes += await writeSafetensors(join(dir, file), part, metadata);
    for (const [n, t] of part) {
      weightMap[n] = file;
      dataBytes += t.data.byteLength;
    }
  }
  await writeFile(join(dir, INDEX_FILE), JSON.stringify({ metadata: { total_size: dataBytes }, weight_map: weightMap }, null, 2) + '\n');
  return bytes;
}
