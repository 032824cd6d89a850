/**
 * A real redis-server for the queue tests, on a free loopback port, without persistence; stopped by
 * `stop()`. A machine without redis-server fails the suite with one line saying what to install
 * (CI's .ci/run installs Debian's redis-server), it never skips.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n')) {
        sock.destroy();
        resolve(got.startsWith('+PONG') || got.startsWith('-NOAUTH'));
      }
    });
    sock.once('error', () => resolve(false));
  });
}

/**
 * Start redis-server on a free port (bound to 127.0.0.1 only, no RDB/AOF files), with `password`
 * required when given (the URL then carries it).
 * @throws Error when redis-server is not installed or does not answer within 10 s
 */
export async function startRedis(opts: { password?: string } = {}): Promise<RedisServer> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('redis-server is not installed: the queue tests need it (Debian: apt-get install redis-server; CI installs it in .ci/run)');
  }
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...(opts.password ? ['--requirepass', opts.password] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const end = Date.now() + 10_000;
    let ok = false;
    while (Date.now() < end && child.exitCode === null) {
      if (await answers(port)) {
        ok = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (ok) {
      return {
        port,
        url: `redis://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1:${port}`,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    child.kill('SIGKILL');
    await exited;
    if (!/Address already in use/i.test(out)) throw new Error(`redis-server did not start on port ${port}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
  }
  throw new Error('redis-server: no free port after 3 tries');
}
