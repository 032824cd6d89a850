/**
 * The model stage's vocabulary, without tfjs: the fine-tuning methods it implements and the GPT-2
 * modules LoRA may target. The model stage owns these lists; the experiment schema validates spec
 * names against them (src/experiment imports src/model, never the reverse).
 */

/** Fine-tuning methods: every weight trainable, LoRA adapters, or LoRA over a 4-bit NF4 base (see ./methods.ts). */
export const METHODS = ['full', 'lora', 'qlora'] as const;
export type Method = (typeof METHODS)[number];

/** GPT-2 module names LoRA may target (PEFT `target_modules`). */
export const LORA_TARGETS = ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];
