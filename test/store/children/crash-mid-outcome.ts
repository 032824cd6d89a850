/**
 * Child process for the crash test: starts a run, appends step metrics (committed), then dies with
 * SIGKILL in the middle of writeRunOutcome's transaction (an artifact row's getter kills the process
 * while the appender reads it, after the runs update, params, eval rows, predictions and costs).
 */
import { openStore } from '../../../src/store/open.js';
import { curve, outcome, PARAMS, seed } from '../fixtures.js';

const file = process.argv[2]!;
const store = await openStore(file);
const { sweepId } = await seed(store);
await store.startRun({ runId: 'r1', sweepId, variantKey: 'key-r1', method: 'lora', params: PARAMS });
await store.appendStepMetrics('r1', curve(10));
await store.flush();
const o = outcome('r1', { stepMetrics: curve(20) });
o.artifacts = [
  {
    kind: 'adapter',
    get path(): string {
      process.kill(process.pid, 'SIGKILL');
      return 'never';
    },
    bytes: 1,
    sha256: 'x',
  },
];
await store.writeRunOutcome(o);
console.log('not reached');
