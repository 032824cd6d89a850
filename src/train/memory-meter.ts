/**
 * Measured training memory (the estimate is ./memory.ts):
 *
 * - tensor bytes: the bytes of every tensor buffer the tfjs backend holds, each buffer counted once
 *   (a reshape, clone or a tensor saved for the backward pass shares its input's buffer and adds
 *   nothing), tracked at every allocation and release, so the high-water mark inside a training step
 *   (the end of the backward pass, when every saved activation and every gradient is alive) is exact,
 *   not sampled between steps. tfjs's own `tf.memory().numBytes` counts a buffer once per tensor
 *   object that refers to it, which over-counts what a step keeps for its gradient.
 * - process RSS (`process.memoryUsage.rss()`), sampled at the end of each step: everything the
 *   process holds (V8 heap, the WebAssembly heap, which never shrinks, native buffers, code).
 *
 * How: on first import this module wraps two methods of the tfjs engine (`trackTensor`, called for
 * every new tensor, and `removeDataId`, called when a buffer is freed) to keep a running count of
 * live buffer bytes. Buffers that existed before the import are taken from `tf.memory().numBytes` at
 * that moment (exact when no two tensors share a buffer, as after loading a model). If the engine
 * lacks those methods (another tfjs version), the count falls back to `tf.memory().numBytes`
 * sampled at the meter's calls (`exact: false`).
 */
import * as tf from '@tensorflow/tfjs-core';

interface EngineInternals {
  state: { numBytes: number; tensorInfo: WeakMap<object, { bytes: number; backend: unknown }> };
  trackTensor(a: tf.Tensor, backend?: unknown): void;
  removeDataId(dataId: object, backend: unknown): void;
}

const meters = new Set<MemoryMeter>();
let live = 0;
let exact = false;

function install(): void {
  const engine = tf.engine() as unknown as Partial<EngineInternals>;
  if (typeof engine.trackTensor !== 'function' || typeof engine.removeDataId !== 'function' || !engine.state?.tensorInfo) return;
  const track = engine.trackTensor;
  const remove = engine.removeDataId;
  live = engine.state.numBytes;
  engine.trackTensor = function (this: EngineInternals, a: tf.Tensor, backend?: unknown): void {
    const fresh = !this.state.tensorInfo.has(a.dataId);
    track.call(this, a, backend);
    if (!fresh) return;
    live += this.state.tensorInfo.get(a.dataId)?.bytes ?? 0;
    for (const m of meters) m.observe(live);
  };
  engine.removeDataId = function (this: EngineInternals, dataId: object, backend: unknown): void {
    const info = this.state.tensorInfo.get(dataId);
    remove.call(this, dataId, backend);
    if (info && !this.state.tensorInfo.has(dataId)) live -= info.bytes;
  };
  exact = true;
}
install();

/** Live tensor bytes now (each backend buffer once). */
export function liveTensorBytes(): number {
  return exact ? live : tf.memory().numBytes;
}

/** Process resident set size now, bytes. */
export function rssBytes(): number {
  return process.memoryUsage.rss();
}

export interface StepMemory {
  /** Highest live tensor bytes since `beginStep`. */
  tensorBytes: number;
  /** Process RSS at the end of the step. */
  rssBytes: number;
}

/**
 * High-water marks of tensor bytes and RSS between `start` and `stop`, and per step
 * (`beginStep` ... `endStep`). Not reentrant per instance; several meters may run at once.
 */
export class MemoryMeter {
  private peakTensor = 0;
  private stepTensor = 0;
  private peakRss = 0;
  /** Whether tensor bytes are tracked at every allocation (true) or sampled at the meter's calls. */
  readonly exact = exact;

  start(): this {
    this.peakTensor = this.stepTensor = liveTensorBytes();
    this.peakRss = rssBytes();
    meters.add(this);
    return this;
  }

  /** Called by the tracker at every allocation. */
  observe(bytes: number): void {
    if (bytes > this.stepTensor) this.stepTensor = bytes;
    if (bytes > this.peakTensor) this.peakTensor = bytes;
  }

  beginStep(): void {
    this.stepTensor = liveTensorBytes();
  }

  /** The step's high-water tensor bytes and the RSS now; both also update the run's peaks. */
  endStep(): StepMemory {
    this.observe(liveTensorBytes());
    const rss = rssBytes();
    if (rss > this.peakRss) this.peakRss = rss;
    return { tensorBytes: this.stepTensor, rssBytes: rss };
  }

  /** Peaks so far (tensor bytes, RSS), bytes. */
  peaks(): { tensorBytes: number; rssBytes: number } {
    this.observe(liveTensorBytes());
    const rss = rssBytes();
    if (rss > this.peakRss) this.peakRss = rss;
    return { tensorBytes: this.peakTensor, rssBytes: this.peakRss };
  }

  stop(): { tensorBytes: number; rssBytes: number } {
    const p = this.peaks();
    meters.delete(this);
    return p;
  }
}
