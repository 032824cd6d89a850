/**
 * Loaded models for `fte serve`: one loaded base answers for the base and for every LoRA / QLoRA run
 * trained on it, by swapping adapters in and out of its linear layers; full fine-tuning runs load
 * their own weights.
 *
 * Swapping: `LanguageModel.linears` maps each linear layer (`h.{i}.attn.c_attn`, `model.layers.{i}.self_attn.q_proj`, ...) to the module that runs
 * it (src/model/gpt2.ts), so an adapter is attached by pointing the targeted keys at dense layers that
 * hold `W + scaling * (B A)^T` and detached by pointing them back at the base's own layers; the base's
 * weights are never modified and nothing is reloaded. The merged weights are computed exactly as
 * `loadForInference` (src/train/index.ts) merges an adapter (`W + deltaWeight()`, same ops, same
 * order), so a served run answers bit for bit as the in-process model the sweep evaluated. A QLoRA
 * adapter applies to the NF4 round-tripped base it was trained on: every linear becomes
 * `dequantize(quantize(W))` (computed once per base and double-quantization setting, then kept).
 *
 * Caches (least recently used first out): 2 base models, 4 merged adapters per base (an adapter costs
 * its targeted layers' weights, not a model), 2 full fine-tuning models.
 *
 * Not reentrant: tfjs is single-threaded and the layers of one base are shared, so callers run one
 * request at a time (src/serve/app.ts queues them).
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DenseLinear, type LanguageModel, type LinearModule } from '../model/model.js';
import { loadModel } from '../model/load.js';
import { LoraLinear, loadLoraAdapter, readAdapterConfig } from '../model/lora.js';
import { dequantizeNf4, quantizeNf4 } from '../model/nf4.js';
import { loadTokenizer, type TextTokenizer } from '../model/tokenizer.js';
import { initBackend, type BackendInfo } from '../train/backend.js';
import type { ModelEntry } from './catalog.js';

/** A model ready to answer: run it before the next `acquire`. */
export interface HostedModel {
  model: LanguageModel;
  tokenizer: TextTokenizer;
}

export interface ModelHostOptions {
  /** tfjs backend registry name (`auto`, `wasm`, `cpu`, `tensorflow`, `tensorflow-gpu`). Default `auto`. */
  backend?: string;
  /** Base models kept loaded. Default 2. */
  maxBases?: number;
  /** Merged adapters kept per base. Default 4. */
  maxAdapters?: number;
  /** Full fine-tuning models kept loaded. Default 2. */
  maxFull?: number;
}

/** A Map in recency order: `get` refreshes, `set` evicts the oldest beyond `max`. */
class Lru<K, V> {
  private readonly m = new Map<K, V>();
  constructor(
    private readonly max: number,
    private readonly onEvict: (k: K, v: V) => void,
  ) {}
  get(k: K): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    while (this.m.size > Math.max(1, this.max)) {
      const [ok, ov] = this.m.entries().next().value as [K, V];
      this.m.delete(ok);
      this.onEvict(ok, ov);
    }
  }
  values(): IterableIterator<V> {
    return this.m.values();
  }
  clear(): void {
    for (const [k, v] of [...this.m]) {
      this.m.delete(k);
      this.onEvict(k, v);
    }
  }
}

/** An adapter merged over a base: the full linear map to install and the weights it owns. */
interface AdapterSet {
  linears: Map<string, LinearModule>;
  owned: tf.Variable[];
}

interface BaseSlot {
  dir: string;
  model: LanguageModel;
  tokenizer: TextTokenizer;
  /** The base's own linear layers. */
  pristine: Map<string, LinearModule>;
  /** NF4 round-tripped dense layers, by double quantization. */
  nf4: Map<boolean, { linears: Map<string, LinearModule>; owned: tf.Variable[] }>;
  adapters: Lru<string, AdapterSet>;
  /** Checkpoint folder of the installed adapter; null = the base's own layers. */
  active: string | null;
}

export class ModelHost {
  private backendInfo: BackendInfo | null = null;
  private readonly bases: Lru<string, BaseSlot>;
  private readonly full: Lru<string, HostedModel>;

  constructor(private readonly opts: ModelHostOptions = {}) {
    this.bases = new Lru(opts.maxBases ?? 2, (_k, slot) => this.disposeSlot(slot));
    this.full = new Lru(opts.maxFull ?? 2, (_k, h) => h.model.dispose());
  }

  /** Initialise the tfjs backend. @throws UnknownNameError / FteError as `initBackend`. */
  async init(): Promise<BackendInfo> {
    this.backendInfo ??= await initBackend(this.opts.backend ?? 'auto');
    return this.backendInfo;
  }

  /**
   * Make `entry` the model that answers (loading or swapping as needed) and return it.
   * @throws UserInputError for a missing or malformed model folder or adapter (see loadModel, readAdapterConfig).
   */
  async acquire(entry: ModelEntry): Promise<HostedModel> {
    await this.init();
    const ckpt = entry.checkpointDir;
    if (ckpt !== undefined && !isAdapter(ckpt)) {
      const cached = this.full.get(ckpt);
      if (cached) return cached;
      const model = await loadModel(ckpt);
      try {
        const hosted = { model, tokenizer: await loadTokenizer(model.config.tokenizer, entry.baseDir) };
        this.full.set(ckpt, hosted);
        return hosted;
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    const slot = await this.base(entry.baseDir);
    await this.activate(slot, ckpt ?? null);
    return { model: slot.model, tokenizer: slot.tokenizer };
  }

  /** Release every tensor. The host can be used again (models load anew). */
  dispose(): void {
    this.bases.clear();
    this.full.clear();
  }

  private async base(dir: string): Promise<BaseSlot> {
    const cached = this.bases.get(dir);
    if (cached) return cached;
    const model = await loadModel(dir);
    try {
      const tokenizer = await loadTokenizer(model.config.tokenizer, dir);
      const slot: BaseSlot = {
        dir, model, tokenizer, pristine: new Map(model.linears), nf4: new Map(), active: null,
        adapters: new Lru(this.opts.maxAdapters ?? 4, (k, set) => {
          if (slot.active === k) this.install(slot, null);
          tf.dispose(set.owned);
        }),
      };
      this.bases.set(dir, slot);
      return slot;
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  private install(slot: BaseSlot, ckpt: string | null, linears: Map<string, LinearModule> = slot.pristine): void {
    for (const [k, l] of linears) slot.model.linears.set(k, l);
    slot.active = ckpt;
  }

  private async activate(slot: BaseSlot, ckpt: string | null): Promise<void> {
    if (slot.active === ckpt) return;
    if (ckpt === null) return this.install(slot, null);
    let set = slot.adapters.get(ckpt);
    if (!set) {
      set = await this.merge(slot, ckpt);
      slot.adapters.set(ckpt, set);
    }
    this.install(slot, ckpt, set.linears);
  }

  /** The adapter in `dir` merged over the slot's base (or its NF4 round trip for QLoRA), as loadForInference merges it. */
  private async merge(slot: BaseSlot, dir: string): Promise<AdapterSet> {
    const { raw } = await readAdapterConfig(dir);
    const q = raw.fte_base_quantization as { double_quant?: boolean } | undefined;
    const under = q ? (await this.nf4(slot, q.double_quant ?? true)).linears : slot.pristine;
    // loadLoraAdapter wraps the model's current linears: point them at `under`, restore after.
    this.install(slot, null, under);
    let adapters;
    try {
      ({ adapters } = await loadLoraAdapter(slot.model, dir));
    } catch (e) {
      // A failure after the adapters were injected (e.g. a missing weights file): free their A and B.
      for (const l of slot.model.linears.values()) if (l instanceof LoraLinear) tf.dispose([l.loraA, l.loraB]);
      throw e;
    } finally {
      this.install(slot, null);
    }
    const linears = new Map(under);
    const owned: tf.Variable[] = [];
    try {
      for (const [k, a] of adapters) {
        const base = a.base as DenseLinear;
        const w = tf.tidy(() => tf.variable(tf.add(base.weight, a.deltaWeight()), false));
        owned.push(w);
        linears.set(k, new DenseLinear(w, base.bias));
      }
    } catch (e) {
      tf.dispose(owned);
      throw e;
    } finally {
      for (const a of adapters.values()) tf.dispose([a.loraA, a.loraB]);
    }
    return { linears, owned };
  }

  /** Every linear of the base as dense `dequantize(quantizeNf4(W))` (what quantizeModelNf4 + dequantizeModel give). */
  private async nf4(slot: BaseSlot, doubleQuant: boolean): Promise<{ linears: Map<string, LinearModule>; owned: tf.Variable[] }> {
    const cached = slot.nf4.get(doubleQuant);
    if (cached) return cached;
    const linears = new Map<string, LinearModule>();
    const owned: tf.Variable[] = [];
    for (const [k, l] of slot.pristine) {
      const d = l as DenseLinear;
      const shape = d.weight.shape as [number, number];
      const q = quantizeNf4((await d.weight.data()) as Float32Array, shape, doubleQuant);
      const w = tf.tidy(() => tf.variable(tf.tensor2d(dequantizeNf4(q), shape), false));
      owned.push(w);
      linears.set(k, new DenseLinear(w, d.bias));
    }
    const set = { linears, owned };
    slot.nf4.set(doubleQuant, set);
    return set;
  }

  private disposeSlot(slot: BaseSlot): void {
    slot.adapters.clear();
    this.install(slot, null);
    for (const s of slot.nf4.values()) tf.dispose(s.owned);
    slot.nf4.clear();
    slot.model.dispose();
  }
}

function isAdapter(dir: string): boolean {
  return existsSync(join(dir, 'adapter_config.json'));
}
