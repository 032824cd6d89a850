import { describe, expect, it } from 'vitest';
import { checkBackendAvailable } from '../../src/run/backends.js';

describe('checkBackendAvailable', () => {
  it('passes auto and the installed pure backends', () => {
    expect(() => checkBackendAvailable('auto')).not.toThrow();
    expect(() => checkBackendAvailable('wasm')).not.toThrow();
    expect(() => checkBackendAvailable('cpu')).not.toThrow();
  });
  it('refuses a native backend whose package is not installed, in one line naming the flag', () => {
    let installed = true;
    try {
      checkBackendAvailable('tensorflow-gpu');
    } catch (err) {
      installed = false;
      expect((err as Error).message).toMatch(/^--backend tensorflow-gpu: not available here \((@tensorflow\/tfjs-node-gpu is not installed|no CUDA device is visible)\); installed: auto, .*wasm, cpu$/);
      expect((err as { exitCode: number }).exitCode).toBe(2);
    }
    // where tfjs-node-gpu and a GPU are present the check passes, which is also right
    expect(typeof installed).toBe('boolean');
  });
});
