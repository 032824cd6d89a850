import { describe, expect, it } from 'vitest';
import { checkBackendAvailable, type BackendProbes } from '../../src/run/backends.js';

/** Probes for a machine where `installed` packages resolve and a GPU is visible or not. */
const machine = (installed: string[], gpu: boolean): BackendProbes => ({
  resolvable: (pkg) => installed.includes(pkg),
  cudaVisible: () => gpu,
});
const PURE = ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'];

const refusal = (name: string, probes: BackendProbes): string | null => {
  try {
    checkBackendAvailable(name, probes);
    return null;
  } catch (err) {
    expect((err as { exitCode: number }).exitCode).toBe(2);
    return (err as Error).message;
  }
};

describe('checkBackendAvailable', () => {
  it('passes auto and the installed pure backends on this machine', () => {
    expect(() => checkBackendAvailable('auto')).not.toThrow();
    expect(() => checkBackendAvailable('wasm')).not.toThrow();
    expect(() => checkBackendAvailable('cpu')).not.toThrow();
  });

  it.each([
    // [backend, installed packages, gpu visible, expected refusal or null]
    ['auto', [], false, null],
    ['cpu', PURE, false, null],
    ['wasm', ['@tensorflow/tfjs-backend-cpu'], false, '--backend wasm: not available here (@tensorflow/tfjs-backend-wasm is not installed); installed: auto, cpu'],
    ['tensorflow', PURE, false, '--backend tensorflow: not available here (@tensorflow/tfjs-node is not installed); installed: auto, wasm, cpu'],
    ['tensorflow', [...PURE, '@tensorflow/tfjs-node'], false, null],
    ['tensorflow-gpu', PURE, true, '--backend tensorflow-gpu: not available here (@tensorflow/tfjs-node-gpu is not installed); installed: auto, wasm, cpu'],
    ['tensorflow-gpu', [...PURE, '@tensorflow/tfjs-node-gpu'], false, '--backend tensorflow-gpu: not available here (no CUDA device is visible); installed: auto, tensorflow-gpu, wasm, cpu'],
    ['tensorflow-gpu', [...PURE, '@tensorflow/tfjs-node-gpu'], true, null],
  ] as const)('%s with %j installed, gpu %s', (name, installed, gpu, expected) => {
    expect(refusal(name, machine([...installed], gpu))).toBe(expected);
  });
});
