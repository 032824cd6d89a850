/**
 * A Node ESM resolve hook (module.register) for TensorFlow.js's ES module files: they import their
 * siblings without file extensions (`./gradients/Abs_grad`), which bundlers and the TypeScript
 * loaders used in tests accept but Node's own ESM loader does not. fte imports one such module,
 * `@tensorflow/tfjs-core/dist/register_all_gradients.js` (the CommonJS build of tfjs-core does not
 * register gradients), so the CLI and its workers register this hook before loading anything else.
 * Only relative imports made from inside a `@tensorflow` package are retried with `.js` / `/index.js`.
 */
type Resolve = (specifier: string, context: { parentURL?: string }) => Promise<unknown>;

export async function resolve(specifier: string, context: { parentURL?: string }, nextResolve: Resolve): Promise<unknown> {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const retry = (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT') && specifier.startsWith('.') && (context.parentURL ?? '').includes('/@tensorflow/');
    if (!retry) throw err;
    for (const suffix of ['.js', '/index.js']) {
      try {
        return await nextResolve(specifier + suffix, context);
      } catch {
        /* try the next form */
      }
    }
    throw err;
  }
}
