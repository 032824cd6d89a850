/**
 * The step-metric buffer of the one writer: step metrics of running runs are kept in typed column
 * buffers (no per-row objects) and appended to `step_metric_points` in batches, with the
 * (split, name) -> series id dictionary of `step_series`. The append copies each all-finite column's
 * bytes straight into DuckDB vectors (the low-level path below); NaN / infinity become NULL.
 */
import { DOUBLE, INTEGER, USMALLINT, VARCHAR, DuckDBDataChunk } from '@duckdb/node-api';
import duckdbBindings from '@duckdb/node-bindings';
import { FteError } from '../errors.js';
import type { StepMetric } from '../train/types.js';
import { CHUNK_ROWS, type Db, type TxHandle } from './db.js';

/** Step-metric rows buffered before one appender flush. */
export const STEP_FLUSH_ROWS = 131_072;
/** ... or after this many milliseconds since the last flush (checked on each append). */
export const STEP_FLUSH_MS = 5_000;

/** Growable column buffers for step metrics (typed arrays: no per-row objects). */
export class PointBuffer {
  length = 0;
  runSeq = new Int32Array(4096);
  step = new Int32Array(4096);
  epoch = new Float64Array(4096);
  series = new Uint16Array(4096);
  value = new Float64Array(4096);

  push(runSeq: number, step: number, epoch: number, series: number, value: number): void {
    if (this.length === this.step.length) this.grow();
    const i = this.length++;
    this.runSeq[i] = runSeq;
    this.step[i] = step;
    this.epoch[i] = epoch;
    this.series[i] = series;
    this.value[i] = value;
  }

  /** Append every row of `other` after this buffer's rows. */
  append(other: PointBuffer): void {
    for (let i = 0; i < other.length; i++) this.push(other.runSeq[i]!, other.step[i]!, other.epoch[i]!, other.series[i]!, other.value[i]!);
  }

  private grow(): void {
    const n = this.step.length * 2;
    const g = <T extends Int32Array | Float64Array | Uint16Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(n);
      b.set(a);
      return b;
    };
    this.runSeq = g(this.runSeq, Int32Array);
    this.step = g(this.step, Int32Array);
    this.epoch = g(this.epoch, Float64Array);
    this.series = g(this.series, Uint16Array);
    this.value = g(this.value, Float64Array);
  }
}

const POINT_TYPES = [INTEGER, INTEGER, DOUBLE, USMALLINT, DOUBLE];

/**
 * Buffered step metrics of one open store: the series dictionary, the points not yet appended, and
 * per run the highest step appended per series (so a run's outcome skips rows already appended).
 */
export class StepBuffer {
  private readonly series = new Map<string, Map<string, number>>();
  private nextSeries = 1;
  private readonly newSeries: { id: number; split: string; name: string }[] = [];
  /** Per run: highest step appended per series id. */
  private readonly maxStep = new Map<string, Map<number, number>>();
  private points = new PointBuffer();
  private lastFlush = Date.now();

  constructor(private readonly db: Db) {}

  /** Rows buffered and not yet appended. */
  get length(): number {
    return this.points.length;
  }

  /** True when STEP_FLUSH_ROWS rows are buffered or STEP_FLUSH_MS passed since the last flush. */
  get due(): boolean {
    return this.points.length >= STEP_FLUSH_ROWS || Date.now() - this.lastFlush >= STEP_FLUSH_MS;
  }

  /** Load the (split, name) -> series id dictionary from `step_series`. */
  async load(): Promise<void> {
    const rows = await this.db.all<{ series_id: number; split: string; name: string }>(`SELECT series_id, split, name FROM step_series`);
    for (const r of rows) {
      this.seriesMap(r.split).set(r.name, r.series_id);
      this.nextSeries = Math.max(this.nextSeries, r.series_id + 1);
    }
  }

  /** Buffer `rows` of the run `runId` (run_seq `seq`). */
  add(runId: string, seq: number, rows: readonly StepMetric[]): void {
    let maxStep = this.maxStep.get(runId);
    if (!maxStep) this.maxStep.set(runId, (maxStep = new Map()));
    for (const r of rows) {
      const sid = this.seriesId(r.split, r.name);
      this.points.push(seq, r.step, r.epoch, sid, r.value);
      const m = maxStep.get(sid);
      if (m === undefined || r.step > m) maxStep.set(sid, r.step);
    }
  }

  /** The rows of `rows` not already buffered for `runId` (step above the highest one per series). */
  unseen(runId: string, seq: number, rows: readonly StepMetric[] | undefined): PointBuffer {
    const own = new PointBuffer();
    const maxStep = this.maxStep.get(runId) ?? new Map<number, number>();
    for (const r of rows ?? []) {
      const sid = this.seriesId(r.split, r.name);
      const m = maxStep.get(sid);
      if (m !== undefined && r.step <= m) continue;
      own.push(seq, r.step, r.epoch, sid, r.value);
    }
    return own;
  }

  /** Forget what was appended for `runId` (its outcome is written, or it restarts). */
  forget(runId: string): void {
    this.maxStep.delete(runId);
  }

  /**
   * Commit new series names, then the buffered points, each in its own transaction. The buffer is
   * swapped out before the first await (appends that arrive meanwhile go to the new buffer) and put
   * back if the append fails.
   */
  async flush(): Promise<void> {
    await this.db.exclusive(async (tx) => {
      if (this.newSeries.length) {
        const pending = this.newSeries.slice();
        await tx.transaction((t) =>
          t.append(
            'step_series',
            [
              { type: USMALLINT, get: (s: (typeof pending)[number]) => s.id },
              { type: VARCHAR, get: (s) => s.split },
              { type: VARCHAR, get: (s) => s.name },
            ],
            pending,
          ),
        );
        this.newSeries.splice(0, pending.length);
      }
      const buf = this.points;
      this.lastFlush = Date.now();
      if (buf.length === 0) return;
      this.points = new PointBuffer();
      try {
        await tx.transaction((t) => appendPoints(this.db, t, buf));
      } catch (err) {
        const later = this.points;
        this.points = buf;
        buf.append(later);
        throw err;
      }
    });
  }

  private seriesMap(split: string): Map<string, number> {
    let m = this.series.get(split);
    if (!m) this.series.set(split, (m = new Map()));
    return m;
  }

  private seriesId(split: string, name: string): number {
    const m = this.seriesMap(split);
    let id = m.get(name);
    if (id === undefined) {
      if (this.nextSeries > 65_535) throw new FteError(`too many distinct step metric names (65,535) in ${this.db.file}`);
      id = this.nextSeries++;
      m.set(name, id);
      this.newSeries.push({ id, split, name });
    }
    return id;
  }
}

/** Append `b` to step_metric_points inside the caller's transaction `_tx` of `db` (the queue is held). */
export async function appendPoints(db: Db, _tx: TxHandle, b: PointBuffer): Promise<void> {
  const total = b.length;
  if (total === 0) return;
  const appender = await db.connection.createAppender('step_metric_points');
  try {
    for (let off = 0; off < total; off += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, total - off);
      const chunk = DuckDBDataChunk.create(POINT_TYPES, n);
      const cols: [Int32Array | Float64Array | Uint16Array, boolean][] = [
        [b.runSeq, false],
        [b.step, false],
        [b.epoch, true],
        [b.series, false],
        [b.value, true],
      ];
      for (let c = 0; c < cols.length; c++) {
        const [src, nullable] = cols[c]!;
        let finite = true;
        if (nullable) for (let i = off; i < off + n && finite; i++) finite = Number.isFinite(src[i]!);
        if (finite) {
          // The column's bytes go straight into the chunk's vector (the vector's layout is the typed
          // array's: INTEGER = int32, DOUBLE = float64, USMALLINT = uint16; a fresh chunk is all-valid).
          const bytes = src.BYTES_PER_ELEMENT;
          duckdbBindings.copy_data_to_vector(duckdbBindings.data_chunk_get_vector(chunk.chunk, c), 0, src.buffer as ArrayBuffer, src.byteOffset + off * bytes, n * bytes);
        } else {
          // NaN / infinity (a diverged run) are stored as NULL.
          const v = chunk.getColumnVector(c);
          for (let i = 0; i < n; i++) {
            const x = src[off + i]!;
            v.setItem(i, Number.isFinite(x) ? x : null);
          }
          v.flush();
        }
      }
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
