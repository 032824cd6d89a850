/**
 * The model stage's vocabulary, without tfjs: the fine-tuning methods it implements and the module
 * names LoRA may target. The model stage owns these lists; the experiment schema validates spec
 * names against them (src/experiment imports src/model, never the reverse).
 */

/** Fine-tuning methods: every weight trainable, LoRA adapters, or LoRA over a 4-bit NF4 base (see ./methods.ts). */
export const METHODS = ['full', 'lora', 'qlora'] as const;
export type Method = (typeof METHODS)[number];

/** GPT-2 module names LoRA may target (PEFT `target_modules`; `attn.c_proj` / `mlp.c_proj` tell the two c_proj apart). */
export const GPT2_LORA_TARGETS = ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj'] as const;

/** Llama / Mistral / Qwen2 module names (PEFT's, as in transformers' modeling files). */
export const LLAMA_LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

/**
 * Every name a spec may give in `targetModules`: the modules of all architectures, and PEFT's
 * `all-linear` (every linear layer of the blocks, never the LM head). Which ones a given base model
 * has is checked against its config.json when the sweep is planned (src/experiment/plan-checks.ts).
 */
export const LORA_TARGETS = [...GPT2_LORA_TARGETS, ...LLAMA_LORA_TARGETS, 'all-linear'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];
