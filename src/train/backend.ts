/**
 * TensorFlow.js backend selection through one registry. tfjs is imported lazily (dynamic import) so
 * CLI start-up does not pay for it.
 *
 *   auto           -> tensorflow-gpu (if installed and a CUDA device is visible) > tensorflow > wasm > cpu
 *   tensorflow-gpu -> @tensorflow/tfjs-node-gpu (optional dependency; needs libtensorflow + CUDA)
 *   tensorflow     -> @tensorflow/tfjs-node (optional dependency; needs libtensorflow)
 *   wasm           -> @tensorflow/tfjs-backend-wasm (single thread; all model + gradient ops run on it,
 *                     missing gradient kernels are avoided by construction, see src/model/ops.ts)
 *   cpu            -> @tensorflow/tfjs-backend-cpu (plain JS, slowest)
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { UnknownNameError, FteError } from '../errors.js';

export type Tf = typeof import('@tensorflow/tfjs-core');

export interface BackendInfo {
  /** fte registry name actually used (never `auto`). */
  name: Exclude<BackendName, 'auto'>;
  /** tfjs backend id (`tensorflow`, `wasm`, `cpu`). */
  tfName: string;
  /** Human description of the device, e.g. `cpu: AMD EPYC (1 thread, wasm)`. */
  device: string;
  tf: Tf;
}

type Loader = () => Promise<{ tfName: string; device: string } | null>;

function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() || 'cpu';
}

/** Whether a CUDA device is visible to this process (honours CUDA_VISIBLE_DEVICES="" or -1). */
export function cudaVisible(): boolean {
  if (process.env.CUDA_VISIBLE_DEVICES === '' || process.env.CUDA_VISIBLE_DEVICES === '-1') return false;
  return existsSync('/dev/nvidia0') || existsSync('/proc/driver/nvidia/version');
}

async function tryImport(spec: string): Promise<boolean> {
  try {
    await import(spec);
    return true;
  } catch {
    return false;
  }
}

const LOADERS: Record<Exclude<BackendName, 'auto'>, Loader> = {
  'tensorflow-gpu': async () => {
    if (!cudaVisible()) return null;
    if (!(await tryImport('@tensorflow/tfjs-node-gpu'))) return null;
    return { tfName: 'tensorflow', device: 'cuda (tfjs-node-gpu)' };
  },
  tensorflow: async () => {
    if (!(await tryImport('@tensorflow/tfjs-node'))) return null;
    return { tfName: 'tensorflow', device: `cpu: ${cpuModel()} (libtensorflow)` };
  },
  wasm: async () => {
    if (!(await tryImport('@tensorflow/tfjs-backend-wasm'))) return null;
    return { tfName: 'wasm', device: `cpu: ${cpuModel()} (wasm, 1 thread)` };
  },
  cpu: async () => {
    if (!(await tryImport('@tensorflow/tfjs-backend-cpu'))) return null;
    return { tfName: 'cpu', device: `cpu: ${cpuModel()} (tfjs js)` };
  },
};

/** Valid `--backend` names (the registry's keys plus `auto`). */
export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
const AUTO_ORDER: Exclude<BackendName, 'auto'>[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

let current: BackendInfo | null = null;

/**
 * Initialise and activate a backend. `auto` tries tensorflow-gpu > tensorflow > wasm > cpu.
 * Throws `UnknownNameError` for an unknown name, `FteError` when an explicitly named backend is not
 * available. Idempotent: asking for the active backend again returns it.
 */
export async function initBackend(name: string = 'auto'): Promise<BackendInfo> {
  if (!(BACKENDS as readonly string[]).includes(name)) throw new UnknownNameError('backend', name, BACKENDS);
  if (current && (name === 'auto' || name === current.name)) return current;
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  // Production mode: no debug checks, and no console banner from the CPU backend.
  tf.enableProdMode();
  const order = name === 'auto' ? AUTO_ORDER : [name as Exclude<BackendName, 'auto'>];
  for (const n of order) {
    const got = await LOADERS[n]();
    if (!got) continue;
    let ok = false;
    try {
      ok = await tf.setBackend(got.tfName);
      await tf.ready();
    } catch {
      ok = false;
    }
    if (!ok) continue;
    if (got.tfName === 'wasm') (await import('./wasm-kernels.js')).registerWasmKernels();
    current = { name: n, tfName: got.tfName, device: got.device, tf };
    return current;
  }
  throw new FteError(`backend '${name}' is not available on this machine (tried ${order.join(', ')})`);
}

/** The active backend, or null before `initBackend`. */
export function activeBackend(): BackendInfo | null {
  return current;
}
