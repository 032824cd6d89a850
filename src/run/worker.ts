/**
 * A worker process: receives tasks from the parent over IPC (src/run/protocol.ts), trains and
 * evaluates one variant at a time (or the sweep's baselines), and sends progress and the final
 * `RunOutcome` back. It never touches the database: the parent is the only writer.
 *
 * Signals: SIGINT is ignored (a Ctrl-C in the terminal reaches the whole process group; the parent
 * decides), SIGTERM from the parent ends the process at once.
 *
 * A parent that is gone (killed, crashed) is noticed at the next message this worker sends: its
 * parent pid changed, or the IPC channel is closed or fails (EPIPE). The worker then exits quietly
 * (code 0, nothing on stderr): there is nobody left to report to, and its run is marked
 * `interrupted` by the next process that opens the store.
 */
import type { ParentMessage, WorkerMessage } from './protocol.js';
import { runBaselinesTask, runVariantTask } from './stages.js';
import { UserInputError } from '../errors.js';

const parentPid = process.ppid;

/** The parent is gone: leave without a word (this file is the worker process's entry point). */
function orphaned(): never {
  process.exit(0);
}

function send(msg: WorkerMessage): void {
  // process.ppid asks the OS each time: a dead parent shows here before the event loop hears of it
  // (training and generation run long stretches without yielding).
  if (!process.connected || process.ppid !== parentPid) orphaned();
  try {
    // With a callback, a failed write (EPIPE) is reported here instead of as an 'error' event.
    process.send!(msg, undefined, {}, (err) => {
      if (err) orphaned();
    });
  } catch {
    orphaned();
  }
}

// A channel error not tied to one send (e.g. the parent closed it) must not print a stack trace.
process.on('error', () => orphaned());
process.on('SIGINT', () => {
  /* the parent coordinates cancellation */
});
// The parent closed the channel (shutdown) or died: leave (with the exit code set so far).
process.on('disconnect', () => process.exit());

let busy = false;
/** The run waiting for the parent's verdict at a hyperband bracket. */
let awaitingVerdict: ((stop: boolean) => void) | null = null;
/** Send a milestone and wait for the parent's verdict (true: stop the run). */
function ask(msg: Extract<WorkerMessage, { type: 'milestone' }>): Promise<boolean> {
  return new Promise((resolve) => {
    awaitingVerdict = resolve;
    send(msg);
  });
}
process.on('message', (raw) => {
  const msg = raw as ParentMessage;
  if (msg.type === 'shutdown') {
    process.disconnect();
    return;
  }
  if (msg.type === 'verdict') {
    const resolve = awaitingVerdict;
    awaitingVerdict = null;
    resolve?.(msg.stop);
    return;
  }
  if (busy) {
    send({ type: 'error', runId: msg.type === 'task' ? msg.runId : null, message: 'worker is busy; task refused' });
    return;
  }
  busy = true;
  const work = msg.type === 'task' ? runVariantTask(msg, send, ask).then((outcome) => send({ type: 'end', outcome })) : runBaselinesTask(msg, send).then((done) => send(done));
  work
    .catch((err: Error) => {
      const message = process.env.FTE_DEBUG === '1' ? String(err.stack) : err.message;
      if (msg.type === 'task') {
        const now = new Date().toISOString();
        send({
          type: 'end',
          outcome: {
            runId: msg.runId, variantKey: msg.variant.key, method: msg.variant.method, status: 'failed', params: msg.variant.params as never,
            startedAt: now, finishedAt: now, stepMetrics: [], evalRows: [], predictions: [], costs: [], artifacts: [], error: message,
          },
          ...(err instanceof UserInputError ? { errorKind: 'input' as const } : {}),
        });
      } else {
        send({ type: 'error', runId: null, message });
        process.exitCode = 1;
        process.disconnect();
      }
    })
    .finally(() => {
      busy = false;
    });
});

send({ type: 'ready', pid: process.pid });
