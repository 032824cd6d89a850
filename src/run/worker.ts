/**
 * A worker process: receives tasks from the parent over IPC (src/run/protocol.ts), trains and
 * evaluates one variant at a time (or the sweep's baselines), and sends progress and the final
 * `RunOutcome` back. It never touches the database: the parent is the only writer.
 *
 * Signals: SIGINT is ignored (a Ctrl-C in the terminal reaches the whole process group; the parent
 * decides), SIGTERM from the parent ends the process at once.
 */
import type { ParentMessage, WorkerMessage } from './protocol.js';
import { runBaselinesTask, runVariantTask } from './stages.js';

function send(msg: WorkerMessage): void {
  if (process.connected) process.send!(msg);
}

process.on('SIGINT', () => {
  /* the parent coordinates cancellation */
});
process.on('disconnect', () => process.exit(0));

let busy = false;
process.on('message', (raw) => {
  const msg = raw as ParentMessage;
  if (msg.type === 'shutdown') {
    process.disconnect();
    return;
  }
  if (busy) {
    send({ type: 'error', runId: msg.type === 'task' ? msg.runId : null, message: 'worker is busy; task refused' });
    return;
  }
  busy = true;
  const work = msg.type === 'task' ? runVariantTask(msg, send).then((outcome) => send({ type: 'end', outcome })) : runBaselinesTask(msg, send).then((done) => send(done));
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
