import { createRequire } from 'node:module';
import { BACKENDS, cudaVisible, type BackendName } from '../train/backend.js';
import { UserInputError } from '../errors.js';

export { BACKENDS, type BackendName };

const PACKAGES: Record<Exclude<BackendName, 'auto'>, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** What the availability check asks of the machine; injectable so tests can cover every case. */
export interface BackendProbes {
  /** Whether an npm package resolves from here. */
  resolvable(pkg: string): boolean;
  /** Whether a CUDA device is visible (see train/backend.ts). */
  cudaVisible(): boolean;
}

/**
 * Check, without loading TensorFlow.js, that an explicitly named backend can be used here: its
 * package is installed and, for `tensorflow-gpu`, a CUDA device is visible. Run by the parent before
 * any worker starts, so a sweep on a missing backend fails with one line instead of a sweep of
 * failed runs. `auto` always passes (it falls back to what is there).
 * @throws UserInputError naming the flag, the reason and the backends that are installed.
 */
export function checkBackendAvailable(name: string, probes: BackendProbes = DEFAULT_PROBES): void {
  if (name === 'auto' || !(name in PACKAGES)) return;
  const missing = (b: Exclude<BackendName, 'auto'>) => !probes.resolvable(PACKAGES[b]);
  const reason = missing(name as Exclude<BackendName, 'auto'>)
    ? `${PACKAGES[name as Exclude<BackendName, 'auto'>]} is not installed`
    : name === 'tensorflow-gpu' && !probes.cudaVisible()
      ? 'no CUDA device is visible'
      : null;
  if (!reason) return;
  const installed = (Object.keys(PACKAGES) as Exclude<BackendName, 'auto'>[]).filter((b) => !missing(b));
  throw new UserInputError(`--backend ${name}: not available here (${reason}); installed: auto, ${installed.join(', ')}`);
}

const DEFAULT_PROBES: BackendProbes = { resolvable, cudaVisible };

function resolvable(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
