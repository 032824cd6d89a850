/**
 * The subjects a spec evaluates beside its fine-tuned variants: its baselines and extra models,
 * resolved to one normalised form (name, kind, prompt strategy, k, provider, system message).
 */
import { DEFAULT_API_SYSTEM, type ExperimentSpec } from './schema.js';

/** A provider as a spec names it (src/providers/types.ts `ProviderSpec`, plus a local checkpoint). */
export type SubjectProviderSpec =
  | { type: 'local'; checkpoint?: string }
  | { type: 'openai'; baseURL: string; model: string; apiKeyEnv?: string; concurrency?: number; timeoutMs?: number; maxRetries?: number };

/** One subject to evaluate. */
export interface SubjectSpec {
  /** Stored subject name (`base`, `prompting`, `rag`, or the spec's `name`). */
  name: string;
  kind: 'base' | 'prompting' | 'rag' | 'model';
  /** `zero_shot` | `few_shot` | `bm25` (src/eval/baselines.ts). */
  prompt: 'zero_shot' | 'few_shot' | 'bm25';
  /** Demonstrations (0 for zero-shot). */
  k: number;
  provider: SubjectProviderSpec;
  /** System message; absent for none. */
  system?: string;
  /** Where in the spec it was declared (`evaluate.baselines[1]`), for errors. */
  field: string;
}

const KIND_PROMPT = { base: 'zero_shot', prompting: 'few_shot', rag: 'bm25' } as const;
const PROMPT_STRATEGY = { zero_shot: 'zero_shot', few_shot: 'few_shot', rag: 'bm25' } as const;

/** The spec's baselines then its extra models, in spec order (names are unique: the schema checks it). */
export function evaluationSubjects(e: ExperimentSpec['evaluate']): SubjectSpec[] {
  const systemFor = (provider: SubjectProviderSpec, own: string | undefined): string | undefined => {
    const s = own ?? (provider.type === 'openai' ? (e.system ?? DEFAULT_API_SYSTEM) : undefined);
    return s ? s : undefined;
  };
  const kOf = (prompt: SubjectSpec['prompt'], own: number | undefined): number =>
    prompt === 'zero_shot' ? 0 : (own ?? (prompt === 'bm25' ? e.ragK : e.fewShotK));
  const out: SubjectSpec[] = e.baselines.map((b, i) => {
    const field = `evaluate.baselines[${i}]`;
    if (typeof b === 'string') return { name: b, kind: b, prompt: KIND_PROMPT[b], k: kOf(KIND_PROMPT[b], undefined), provider: { type: 'local' }, field };
    const prompt = KIND_PROMPT[b.kind];
    const system = systemFor(b.provider, b.system);
    return { name: b.name ?? b.kind, kind: b.kind, prompt, k: kOf(prompt, b.k), provider: b.provider, ...(system ? { system } : {}), field };
  });
  e.models.forEach((m, i) => {
    const prompt = PROMPT_STRATEGY[m.prompt];
    const system = systemFor(m.provider, m.system);
    out.push({ name: m.name, kind: 'model', prompt, k: kOf(prompt, m.k), provider: m.provider, ...(system ? { system } : {}), field: `evaluate.models[${i}]` });
  });
  return out;
}

/** A provider in words for tables and logs: `local fte-tiny-base`, `openai gpt-4o-mini @ http://127.0.0.1:8000/v1`. */
export function describeProvider(p: SubjectProviderSpec, localModel: string): string {
  return p.type === 'openai' ? `openai ${p.model} @ ${p.baseURL}` : `local ${p.checkpoint ?? localModel}`;
}
