import cliProgress from 'cli-progress';
import { fmtDuration } from '../format.js';

/** The worker a run is on: its machine, process and tensor backend. */
export interface RunPlace {
  host: string;
  pid: number;
  backend: string;
}

/** `host pid 1234 cpu`: a RunPlace for one line. */
export function placeText(p: RunPlace): string {
  return `${p.host} pid ${p.pid} ${p.backend}`;
}

/** What the orchestrator tells the progress display. */
export interface ProgressSink {
  variantStarted(runId: string, label: string): void;
  /** Training started on this worker (again, for a later attempt elsewhere). */
  assigned(runId: string, place: RunPlace): void;
  step(runId: string, step: number, totalSteps: number, loss: number, tokensPerSecond: number): void;
  evaluated(runId: string, step: number, valLoss: number): void;
  phase(runId: string, phase: string): void;
  variantEnded(runId: string, status: string, detail: string): void;
  note(line: string): void;
  stop(): void;
}

/**
 * Pick the display: a live multi-line display (cli-progress MultiBar, on stderr) when stderr is a
 * TTY, plain lines for events of note otherwise, nothing when quiet.
 *
 * @param total number of variants to run in this invocation
 */
export function createProgress(opts: { total: number; quiet: boolean; log: (line: string) => void; tty?: boolean }): ProgressSink {
  if (opts.quiet) return new QuietProgress();
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  return tty ? new LiveProgress(opts.total) : new PlainProgress(opts.total, opts.log);
}

class QuietProgress implements ProgressSink {
  variantStarted(): void {}
  assigned(): void {}
  step(): void {}
  evaluated(): void {}
  phase(): void {}
  variantEnded(): void {}
  note(): void {}
  stop(): void {}
}

/** One line per event of note: start, each validation, phase changes, end. */
class PlainProgress implements ProgressSink {
  private readonly labels = new Map<string, string>();
  private done = 0;
  private readonly started = Date.now();
  constructor(private readonly total: number, private readonly log: (line: string) => void) {}
  variantStarted(runId: string, label: string): void {
    this.labels.set(runId, label);
    this.log(`[${this.elapsed()}] start ${label}`);
  }
  assigned(runId: string, place: RunPlace): void {
    this.log(`[${this.elapsed()}] ${this.labels.get(runId) ?? runId} training on ${place.backend} (worker pid ${place.pid}) on ${place.host}`);
  }
  step(): void {}
  evaluated(runId: string, step: number, valLoss: number): void {
    this.log(`[${this.elapsed()}] ${this.labels.get(runId) ?? runId} step ${step} val_loss ${valLoss.toFixed(4)}`);
  }
  phase(runId: string, phase: string): void {
    this.log(`[${this.elapsed()}] ${this.labels.get(runId) ?? runId} ${phase}`);
  }
  variantEnded(runId: string, status: string, detail: string): void {
    this.done++;
    this.log(`[${this.elapsed()}] ${status} ${this.labels.get(runId) ?? runId} (${this.done}/${this.total}) ${detail}`);
  }
  note(line: string): void {
    this.log(line);
  }
  stop(): void {}
  private elapsed(): string {
    return fmtDuration((Date.now() - this.started) / 1000);
  }
}

/** Live display: one bar per active variant (its worker: host, pid, backend; step/total, loss, tokens/s, ETA) and an overall bar. */
const WHERE_WIDTH = 26;

class LiveProgress implements ProgressSink {
  private readonly multi: cliProgress.MultiBar;
  private readonly overall: cliProgress.SingleBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly labels = new Map<string, string>();
  private done = 0;
  constructor(total: number) {
    this.multi = new cliProgress.MultiBar(
      {
        stream: process.stderr,
        clearOnComplete: false,
        hideCursor: true,
        format: '{label} {where} |{bar}| {value}/{total} {info} ETA {eta_formatted}',
        barsize: 24,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.overall = this.multi.create(total, 0, { label: 'sweep'.padEnd(30), where: ''.padEnd(WHERE_WIDTH), info: '' });
  }
  variantStarted(runId: string, label: string): void {
    this.labels.set(runId, label);
    this.bars.set(runId, this.multi.create(1, 0, { label: label.slice(0, 30).padEnd(30), where: 'waiting for a worker'.padEnd(WHERE_WIDTH), info: 'starting' }));
  }
  assigned(runId: string, place: RunPlace): void {
    this.bars.get(runId)?.update({ where: placeText(place).slice(0, WHERE_WIDTH).padEnd(WHERE_WIDTH) });
  }
  step(runId: string, step: number, totalSteps: number, loss: number, tokensPerSecond: number): void {
    const bar = this.bars.get(runId);
    if (!bar) return;
    bar.setTotal(Math.max(totalSteps, step));
    bar.update(step, { info: `loss ${loss.toFixed(3)} ${Math.round(tokensPerSecond)} tok/s` });
  }
  evaluated(): void {}
  phase(runId: string, phase: string): void {
    this.bars.get(runId)?.update({ info: phase });
  }
  variantEnded(runId: string, status: string, detail: string): void {
    const bar = this.bars.get(runId);
    if (bar) {
      bar.update({ info: `${status} ${detail}` });
      bar.stop();
      this.multi.remove(bar);
      this.bars.delete(runId);
    }
    this.done++;
    this.overall.update(this.done);
    this.multi.log(`${status.padEnd(9)} ${this.labels.get(runId) ?? runId} ${detail}\n`);
  }
  note(line: string): void {
    this.multi.log(`${line}\n`);
  }
  stop(): void {
    this.multi.stop();
  }
}

