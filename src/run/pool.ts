import { fork, type ChildProcess } from 'node:child_process';
import type { ParentMessage, WorkerMessage } from './protocol.js';

/** A unit of work for one worker: the message to send, and which run it belongs to (null for baselines). */
export interface PoolTask {
  runId: string | null;
  message: ParentMessage;
}

/** How a task ended: the final message, or the worker's death (exit code / signal). */
export type TaskResult =
  | { kind: 'done'; message: Extract<WorkerMessage, { type: 'end' | 'baselines-done' }> }
  | { kind: 'died'; reason: string };

/**
 * A pool of worker processes (Node `child_process.fork` with an IPC channel), each running one task
 * at a time. Messages are plain JSON (see ./protocol.ts), so a remote worker could speak the same
 * protocol over a queue. A worker that dies (killed, out of memory) fails only its current task; a
 * fresh worker takes its place for the next one.
 */
export class WorkerPool {
  private readonly idle: ChildProcess[] = [];
  private readonly busy = new Map<ChildProcess, { task: PoolTask; resolve: (r: TaskResult) => void }>();
  private readonly waiting: Array<() => void> = [];
  private readonly reserved = new Set<ChildProcess>();
  private closed = false;

  /**
   * @param size number of worker processes (>= 1)
   * @param script absolute path of the worker module (dist/run/worker.js)
   * @param onProgress every non-final message (step, eval, phase, started) as it arrives
   */
  constructor(
    private readonly size: number,
    private readonly script: string,
    private readonly onProgress: (msg: WorkerMessage) => void,
    private readonly execArgv: string[] = [],
  ) {}

  /**
   * Run one task on the next free worker; resolves when it ends or its worker dies. `onAssigned`
   * runs once a worker is free, just before the task is sent (so a run is marked started only when
   * it really starts). Throws when the pool is closed before a worker was free.
   */
  async run(task: PoolTask, onAssigned?: () => Promise<void>): Promise<TaskResult> {
    const worker = await this.acquire();
    if (onAssigned) {
      try {
        await onAssigned();
      } catch (err) {
        this.reserved.delete(worker);
        if (!this.closed) this.idle.push(worker);
        this.waiting.shift()?.();
        throw err;
      }
    }
    if (this.closed || !worker.connected) {
      this.reserved.delete(worker);
      return { kind: 'died', reason: 'worker pool closed before the task started' };
    }
    return new Promise<TaskResult>((resolve) => {
      this.reserved.delete(worker);
      this.busy.set(worker, { task, resolve });
      worker.send(task.message);
    });
  }

  /** Send a message to the worker running `runId` (a hyperband verdict); false when none runs it. */
  sendTo(runId: string, message: ParentMessage): boolean {
    for (const [worker, entry] of this.busy) {
      if (entry.task.runId === runId && worker.connected) {
        worker.send(message);
        return true;
      }
    }
    return false;
  }

  /** Run ids of the tasks in flight. */
  inFlight(): string[] {
    return [...this.busy.values()].map((b) => b.task.runId).filter((id): id is string => id !== null);
  }

  /** Pids of the live workers (for fault tests and diagnostics). */
  pids(): number[] {
    return [...this.idle, ...this.busy.keys()].map((w) => w.pid!).filter(Boolean);
  }

  /** Stop every worker: SIGTERM, then SIGKILL after `graceMs`. Tasks in flight resolve as died. */
  async close(graceMs = 2000): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy.keys(), ...this.reserved];
    await Promise.all(
      all.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            const timer = setTimeout(() => w.kill('SIGKILL'), graceMs);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (this.busy.has(w)) w.kill('SIGTERM');
            else if (w.connected) w.send({ type: 'shutdown' } satisfies ParentMessage);
            else w.kill('SIGTERM');
          }),
      ),
    );
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private async acquire(): Promise<ChildProcess> {
    for (;;) {
      if (this.closed) throw new Error('worker pool is closed');
      const free = this.idle.pop();
      if (free) {
        this.reserved.add(free);
        return free;
      }
      if (this.idle.length + this.busy.size + this.reserved.size < this.size) {
        const worker = this.spawn();
        this.reserved.add(worker);
        return worker;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private spawn(): ChildProcess {
    const worker = fork(this.script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: this.execArgv, serialization: 'json' });
    worker.on('message', (raw) => {
      const msg = raw as WorkerMessage;
      if (msg.type === 'end' || msg.type === 'baselines-done') {
        const entry = this.busy.get(worker);
        if (!entry) return;
        this.busy.delete(worker);
        if (!this.closed) this.idle.push(worker);
        entry.resolve({ kind: 'done', message: msg });
        this.waiting.shift()?.();
        return;
      }
      this.onProgress(msg);
    });
    worker.on('exit', (code, signal) => {
      const entry = this.busy.get(worker);
      this.busy.delete(worker);
      this.reserved.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      if (entry) entry.resolve({ kind: 'died', reason: signal ? `worker process killed by ${signal}` : `worker process exited with code ${code}` });
      this.waiting.shift()?.();
    });
    worker.on('error', () => {
      /* 'exit' follows and resolves the task */
    });
    return worker;
  }
}
