/**
 * A model folder's token counter for dataset checks (`fte data validate --model`): its tokenizer
 * and its context length from config.json. No tfjs.
 */
import type { TokenCounter } from '../data/validate.js';
import { readConfig } from './config.js';
import { loadTokenizer } from './tokenizer.js';

/**
 * The token counter of the model folder `dir`.
 * @throws UserInputError when config.json or the tokenizer files are missing or malformed.
 */
export async function tokenCounterForModel(dir: string): Promise<TokenCounter> {
  const config = await readConfig(dir);
  const tok = await loadTokenizer(config.tokenizer, dir);
  return { name: tok.name, contextLength: config.nCtx, count: (text) => tok.encode(text).length };
}
