// A stand-in for dist/run/worker.js speaking src/run/protocol.ts over IPC, for the queue tests.
// The variant's params.mode says what it does: ok (a checkpoint file, two steps, completed),
// flaky (fails while params.marker does not exist, creating it), fail (a runtime error every time),
// input (a spec/data error: errorKind input), die (the process kills itself), slow (starts, then
// waits a minute).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));
process.on('message', (msg) => {
  if (msg.type === 'shutdown') return process.disconnect();
  const { runId, variant, context } = msg;
  const { mode, marker } = variant.params;
  const now = new Date().toISOString();
  const base = { runId, variantKey: variant.key, method: variant.method, params: variant.params, startedAt: now, finishedAt: now, stepMetrics: [], evalRows: [], predictions: [], costs: [], artifacts: [] };
  process.send({ type: 'started', runId, backend: 'fake', device: 'fake-device', pid: process.pid });
  process.send({ type: 'step', runId, metrics: [{ step: 1, epoch: 0, split: 'train', name: 'loss', value: 2 }], totalSteps: 2, tokensPerSecond: 10 });
  const failed = (error, extra = {}) => process.send({ type: 'end', outcome: { ...base, status: 'failed', error }, ...extra });
  if (mode === 'die') return process.kill(process.pid, 'SIGKILL');
  if (mode === 'slow') return setTimeout(() => {}, 60_000);
  if (mode === 'fail') return failed('out of memory (fake)');
  if (mode === 'input') return failed('dataset: bad row (fake)', { errorKind: 'input' });
  if (mode === 'flaky' && !existsSync(marker)) {
    writeFileSync(marker, 'x');
    return failed('transient (fake)');
  }
  const dir = join(context.outDir, runId, 'best');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapter_model.safetensors'), `weights of ${variant.key}`);
  process.send({ type: 'step', runId, metrics: [{ step: 2, epoch: 0, split: 'train', name: 'loss', value: 1 }], totalSteps: 2, tokensPerSecond: 10 });
  process.send({
    type: 'end',
    outcome: {
      ...base,
      status: 'completed',
      evalRows: [{ subject: 'finetuned', perturbation: 'none', slice: 'all', metric: 'accuracy', value: 0.75, n: 4, split: 'test' }],
      artifacts: [{ kind: 'adapter', path: join(dir, 'adapter_model.safetensors'), bytes: 10, sha256: 'x' }],
    },
  });
});
