import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { renderChatPrompt } from '../data/formats.js';
import { UserInputError } from '../errors.js';
import { BACKENDS, checkBackendAvailable } from '../run/backends.js';

/** What `fte generate --json` prints. */
export interface GenerateOutput {
  /** Generated token ids (the stop token excluded). */
  ids: number[];
  /** Natural-log probability of each generated token under the model's softmax. */
  logprobs: number[];
  /** The generated ids decoded (special tokens dropped). */
  text: string;
  finishReason: 'eos' | 'length' | 'context';
  /** The prompt ids fed to the model (BOS included when the tokenizer adds one). */
  promptIds: number[];
  /** How the prompt was built: `chat_template`, `flat` (fte's chat transcript, models without a template), `text`, or `ids`. */
  promptFormat: 'chat_template' | 'flat' | 'text' | 'ids';
  /** What was loaded: `base`, `lora`, `qlora` or `full`. */
  kind: string;
  baseModel: string;
  checkpoint: string | null;
}

export default class Generate extends BaseCommand {
  static override summary = 'Generate a completion from a model or a run, for a quick qualitative look.';
  static override description = `Loads --model (a Hugging Face model folder: GPT-2 or Llama / Mistral / Qwen2 layout) and, with
--run, a fine-tuned checkpoint over it: a run id of the store (its checkpoint and its sweep's base
model; --model overrides the base), best:<experiment>, or a checkpoint folder (PEFT adapter or full
model). LoRA / QLoRA adapters are merged as the sweep evaluated them.
The prompt is --prompt as text (BOS first when the model's tokenizer adds one); with --chat it is one
user message (after --system) rendered with the model's chat template and its generation prompt, or
fte's flat chat transcript for models without a template; --input-ids feeds ids as given, bypassing
the tokenizer. Decoding is greedy unless --temperature > 0, and stops at the model's end-of-sequence
ids (eos and generation_config.json's eos_token_id), after --max-new-tokens, or at the context.
With --input-ids the model folder needs no tokenizer files (then text is empty and config.json's
eos_token_id ends the sequence).
Prints the generated text; --json prints { ids, logprobs, text, ... } where logprobs are natural-log
probabilities of the chosen tokens under the model's softmax.`;
  static override examples = [
    '<%= config.bin %> generate --model models/fte-tiny-base --prompt "The people of the United States"',
    '<%= config.bin %> generate --run 0002f3d9-849e93 --prompt "Is this spam? Win a prize!" --chat',
    '<%= config.bin %> generate --model ./SmolLM2-135M-Instruct --prompt "Hello" --chat --max-new-tokens 32 --json',
    '<%= config.bin %> generate --model ./tiny-llama --input-ids 1,2,3 --json',
  ];

  static override flags = {
    model: Flags.string({ description: 'base model folder (config.json + safetensors + tokenizer files); default with --run: the run\'s base' }),
    run: Flags.string({ description: 'a run id of the store, best:<experiment>, or a checkpoint folder, loaded over the base' }),
    prompt: Flags.string({ description: 'prompt text', exclusive: ['input-ids'] }),
    'input-ids': Flags.string({ description: 'comma-separated token ids, fed as given (no tokenizer)', exclusive: ['prompt', 'chat'] }),
    chat: Flags.boolean({ description: "render --prompt as a user message with the model's chat template", default: false }),
    system: Flags.string({ description: 'system message before the user message (with --chat)', dependsOn: ['chat'] }),
    'max-new-tokens': Flags.integer({ description: 'most tokens to generate', default: 64, min: 1 }),
    temperature: Flags.string({ description: '0 = greedy; > 0 samples from softmax(logits / T)', default: '0' }),
    'top-p': Flags.string({ description: 'nucleus sampling mass in (0, 1] (with --temperature > 0)', default: '1' }),
    seed: Flags.integer({ description: 'seed for sampling', default: 0 }),
    backend: Flags.string({ description: 'tensor backend', options: [...BACKENDS], default: 'auto' }),
  };

  async run(): Promise<GenerateOutput> {
    const { flags } = await this.parse(Generate);
    const temperature = Number(flags.temperature);
    const topP = Number(flags['top-p']);
    if (!Number.isFinite(temperature) || temperature < 0) throw new UserInputError(`--temperature: expected a number >= 0, got ${flags.temperature}`);
    if (!(topP > 0 && topP <= 1)) throw new UserInputError(`--top-p: expected a number in (0, 1], got ${flags['top-p']}`);
    if (flags.prompt === undefined && flags['input-ids'] === undefined) throw new UserInputError('give --prompt TEXT or --input-ids 1,2,3');
    let inputIds: number[] | undefined;
    if (flags['input-ids'] !== undefined) {
      inputIds = flags['input-ids'].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
      if (inputIds.length === 0 || inputIds.some((n) => !Number.isInteger(n) || n < 0)) throw new UserInputError(`--input-ids: expected comma-separated non-negative integers, got '${flags['input-ids']}'`);
    }
    checkBackendAvailable(flags.backend);

    const { baseDir, checkpointDir } = await this.resolveModel(flags.model, flags.run, flags.db);
    await import('../tfjs-hooks.js'); // before tfjs's ES modules load (see src/tfjs-resolve.ts)
    const { loadForInference } = await import('../train/index.js');
    const { decodeIds } = await import('../eval/generate.js');
    // Ids in, ids out: a folder without tokenizer files still decodes (the text is then empty).
    const lm = await loadForInference(baseDir, checkpointDir ?? undefined, flags.backend, { tokenizerOptional: inputIds !== undefined });
    try {
      const tok = lm.tokenizer;
      let promptIds: number[];
      let promptFormat: GenerateOutput['promptFormat'];
      if (inputIds) {
        const bad = inputIds.find((i) => i >= lm.config.vocabSize);
        if (bad !== undefined) throw new UserInputError(`--input-ids: ${bad} is outside the vocabulary (${lm.config.vocabSize} tokens)`);
        promptIds = inputIds;
        promptFormat = 'ids';
      } else {
        let text = flags.prompt!;
        promptFormat = 'text';
        if (flags.chat) {
          const messages = [...(flags.system ? [{ role: 'system' as const, content: flags.system }] : []), { role: 'user' as const, content: text }];
          if (tok.chatTemplate) {
            text = tok.chatTemplate.render(messages, true);
            promptFormat = 'chat_template';
          } else {
            text = renderChatPrompt(messages);
            promptFormat = 'flat';
          }
        }
        promptIds = tok.encode(text);
        if (tok.bosId !== undefined && promptIds[0] !== tok.bosId) promptIds = [tok.bosId, ...promptIds];
        if (promptIds.length === 0) promptIds = [tok.eosId];
      }
      if (promptIds.length >= lm.config.nCtx) throw new UserInputError(`the prompt has ${promptIds.length} tokens; the model's context is ${lm.config.nCtx}`);
      const out = await decodeIds(lm.model, promptIds, {
        maxNewTokens: flags['max-new-tokens'],
        stopIds: tok.stopIds ?? [tok.eosId],
        temperature,
        topP,
        seed: flags.seed,
      });
      const result: GenerateOutput = {
        ids: out.ids,
        logprobs: out.logprobs,
        text: tok.decode(out.ids),
        finishReason: out.finishReason,
        promptIds,
        promptFormat,
        kind: lm.kind,
        baseModel: baseDir,
        checkpoint: checkpointDir,
      };
      if (!this.jsonEnabled()) this.log(result.text);
      return result;
    } finally {
      lm.dispose();
    }
  }

  /** The base folder and checkpoint folder of --model / --run. */
  private async resolveModel(model: string | undefined, run: string | undefined, db: string): Promise<{ baseDir: string; checkpointDir: string | null }> {
    if (run === undefined) {
      if (model === undefined) throw new UserInputError('give --model DIR (and optionally --run RUN_ID)');
      return { baseDir: model, checkpointDir: null };
    }
    if (existsSync(run) && ['adapter_config.json', 'model.safetensors', 'model.safetensors.index.json'].some((f) => existsSync(join(run, f)))) {
      if (model === undefined) throw new UserInputError(`--run ${run} is a checkpoint folder: give its base with --model DIR`);
      return { baseDir: model, checkpointDir: run };
    }
    const { readCatalog } = await import('../serve/catalog.js');
    const catalog = await readCatalog(db, (line) => process.stderr.write(`${line}\n`));
    const entry = catalog.models.get(run);
    if (!entry || !entry.checkpointDir) {
      const runs = [...catalog.models.values()].filter((m) => m.checkpointDir).map((m) => m.id);
      throw new UserInputError(`--run: no completed run '${run}' with a checkpoint in ${db}${runs.length ? ` (runs: ${runs.slice(0, 8).join(', ')}${runs.length > 8 ? ', ...' : ''})` : ''}`);
    }
    return { baseDir: model ?? entry.baseDir, checkpointDir: entry.checkpointDir };
  }
}
