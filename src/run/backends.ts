/** Backend names a user can choose (`--backend`); `auto` picks the fastest available (see src/train/backend.ts). */
export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
