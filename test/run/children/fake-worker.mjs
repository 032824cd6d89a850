// A stand-in worker speaking src/run/protocol.ts over IPC, for the pool's unit test. A task whose
// variant key is `die` kills the process mid-task; `slow` answers after 200 ms; others answer at once.
process.on('message', (msg) => {
  if (msg.type === 'shutdown') return process.disconnect();
  if (msg.type === 'baselines') return process.send({ type: 'baselines-done', rows: [], predictions: [], usage: {}, costs: [] });
  const key = msg.variant.key;
  process.send({ type: 'phase', runId: msg.runId, phase: `pid ${process.pid}` });
  if (key === 'die') process.kill(process.pid, 'SIGKILL');
  const end = () => process.send({ type: 'end', outcome: { runId: msg.runId, variantKey: key, status: 'completed', pid: process.pid } });
  if (key === 'slow') setTimeout(end, 200);
  else end();
});
