/**
 * Opening a generated file in the user's browser: `xdg-open` (Linux), `open` (macOS) or `start`
 * (Windows) when present; otherwise the caller prints the path.
 */
import { spawn, spawnSync } from 'node:child_process';

function onPath(cmd: string): boolean {
  const probe = process.platform === 'win32' ? spawnSync('where', [cmd], { stdio: 'ignore' }) : spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Launches the platform opener detached; returns false when none is available (nothing is thrown). */
export function openInBrowser(path: string): boolean {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [path]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', path]] : ['xdg-open', [path]];
  if (process.platform !== 'win32' && !onPath(cmd as string)) return false;
  try {
    const child = spawn(cmd as string, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
