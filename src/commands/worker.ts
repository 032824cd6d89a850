import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { UserInputError } from '../errors.js';
import { BACKENDS } from '../run/backends.js';

export default class Worker extends BaseCommand {
  static override summary = 'Run the variants of queued sweeps (fte sweep --queue) on this host.';
  static override description = `Takes variant jobs from every sweep registered on the Redis queue (the oldest first), trains and
evaluates each in a local worker process exactly as a local sweep does, streams progress to the
coordinator and returns the run's outcome; the coordinator stores it (this command opens no database).
Run it from a checkout of the project: the base model and dataset are found and prepared here, and a
job whose fingerprints differ from the coordinator's fails at once. Ctrl-C gives running jobs back to
the queue and exits. Timings: FTE_QUEUE_LOCK_MS, FTE_QUEUE_STALLED_MS, FTE_QUEUE_POLL_MS (see README).`;
  static override examples = [
    '<%= config.bin %> worker --queue redis://127.0.0.1:6379',
    '<%= config.bin %> worker --queue redis://:PASSWORD@gpu-coordinator:6379/2 --concurrency 2 --backend tensorflow-gpu',
    '<%= config.bin %> worker --queue redis://queue.lan:6379 --artifacts /mnt/shared/fte-runs',
  ];

  static override flags = {
    queue: Flags.string({ description: 'the Redis queue: redis://HOST:PORT[/DB] (default: $FTE_QUEUE)', helpValue: 'URL' }),
    concurrency: Flags.integer({ description: 'variants at once (local worker processes)', default: 1, min: 1 }),
    backend: Flags.string({ description: "tensor backend for every job (default: each job's, the coordinator's --backend)", options: [...BACKENDS] }),
    artifacts: Flags.string({ description: "write checkpoints to DIR/<sweep>/<run> (a filesystem the coordinator shares) instead of sending them back with the result", helpValue: 'DIR' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Worker);
    const { parseQueueUrl } = await import('../run/queue/url.js');
    const text = flags.queue ?? process.env.FTE_QUEUE;
    if (!text) throw new UserInputError('--queue: required (or set FTE_QUEUE): the Redis URL the coordinator (fte sweep --queue) uses');
    const url = parseQueueUrl(text, flags.queue ? '--queue' : 'FTE_QUEUE');
    const { checkBackendAvailable } = await import('../run/backends.js');
    if (flags.backend) checkBackendAvailable(flags.backend);
    const { queueSettings } = await import('../run/queue/settings.js');
    const { runQueueWorker } = await import('../run/queue/worker.js');
    const { workerScript, workerExecArgv } = await import('../run/sweep.js');
    const code = await runQueueWorker({
      url,
      settings: queueSettings(),
      concurrency: flags.concurrency,
      ...(flags.backend ? { backend: flags.backend } : {}),
      ...(flags.artifacts ? { artifactsDir: flags.artifacts } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
      script: workerScript(),
      execArgv: workerExecArgv(),
    });
    if (code !== 0) process.exitCode = code;
  }
}
