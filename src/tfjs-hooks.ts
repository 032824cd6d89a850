/**
 * Registers src/tfjs-resolve.ts as an ESM resolve hook. Import it (for its side effect) before the
 * first module that loads TensorFlow.js's ES modules: worker processes get it with `--import` (see
 * src/run/sweep.ts), in-process users `await import('./tfjs-hooks.js')` first (src/train/pretrain-folder.ts,
 * the lazy wrappers in src/index.ts). Registering costs a loader thread, so the CLI does it only there.
 */
import { register } from 'node:module';

register('./tfjs-resolve.js', import.meta.url);
