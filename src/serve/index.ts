/**
 * `fte serve`: an OpenAI-compatible HTTP server over the store's models (see ./app.ts for routes and
 * errors, ./catalog.ts for model ids, ./host.ts for loading and adapter swapping, ./openai.ts for the
 * wire format). This entry loads TensorFlow.js only when `startServer` runs, after registering the
 * resolve hook its ES modules need (src/tfjs-resolve.ts).
 */
import type { RunningServer, ServeOptions } from './app.js';

export type { ServeOptions, RunningServer } from './app.js';
export type { Catalog, ModelEntry } from './catalog.js';
export type { ParsedRequest, ErrorBody, TokenLogprob } from './openai.js';

/** See ./app.ts `startServer`. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  await import('../tfjs-hooks.js'); // before tfjs's ES modules load
  return (await import('./app.js')).startServer(opts);
}
