/**
 * Registers src/tfjs-resolve.ts as an ESM resolve hook. Imported first by bin/run.js and passed with
 * `--import` to worker processes (see src/run/sweep.ts).
 */
import { register } from 'node:module';

register('./tfjs-resolve.js', import.meta.url);
