/**
 * How each subject was evaluated, in words and in a table: provider and model, prompt, and what its
 * requests met (errors, cache hits, what a local model's context cut). Truncation is a result: a
 * baseline that saw no demonstrations at all is said plainly, wherever subjects are shown (`fte sweep`
 * / `fte eval` summaries, `fte show`, `fte compare`, the report).
 */
import type { SubjectRow } from '../eval/types.js';
import { promptFormatLabel } from '../providers/chat-text.js';
import { CHARS_PER_TOKEN, subjectTokensPerRequest, usageNotReported } from './subject-tokens.js';

/** `local fte-tiny-base`, `openai gpt-4o-mini @ https://api.openai.com/v1`. */
export function providerLabel(r: Pick<SubjectRow, 'provider' | 'model' | 'endpoint'>): string {
  return r.provider === 'local' || r.endpoint === 'in-process' ? `${r.provider} ${r.model}` : `${r.provider} ${r.model} @ ${r.endpoint}`;
}

/**
 * `few-shot (k = 4), flat text`, `RAG BM25 (k = 3), chat messages`, `zero-shot, chat template
 * tiny-llama/tokenizer_config.json sha256:…`: the strategy, then how the model read it
 * (src/providers/chat-text.ts `promptFormatLabel`, short) when the row records it.
 */
export function promptLabel(r: Pick<SubjectRow, 'prompt' | 'k' | 'promptFormat' | 'chatTemplate'>): string {
  const name = r.prompt === 'few_shot' ? 'few-shot' : r.prompt === 'bm25' ? 'RAG BM25' : r.prompt === 'zero_shot' ? 'zero-shot' : r.prompt;
  const strategy = r.k > 0 ? `${name} (k = ${r.k})` : name;
  return r.promptFormat ? `${strategy}, ${promptFormatLabel(r.promptFormat, r.chatTemplate, { short: true })}` : strategy;
}

/** `3 of 40` */
const ofN = (n: number, total: number): string => `${n} of ${total}`;

/**
 * Plain-language notes on a subject's requests (one line each, prefixed with its name): what the
 * context cut, failed requests, usage the API did not report. Empty when there is nothing to say.
 */
export function subjectNotes(r: SubjectRow): string[] {
  const out: string[] = [];
  const who = `${r.subject} (${providerLabel(r)})`;
  if (r.k > 0 && r.examples > 0 && r.noDemonstrations === r.examples) {
    out.push(`${who} saw no demonstrations at all: the model's context could not hold any of its ${r.k} on any of the ${r.examples} examples, so it was effectively zero-shot`);
  } else {
    if (r.noDemonstrations > 0) out.push(`${who}: ${ofN(r.noDemonstrations, r.examples)} examples saw no demonstration (context too short)`);
    if (r.demonstrationsDropped > r.noDemonstrations) out.push(`${who}: ${ofN(r.demonstrationsDropped, r.examples)} examples lost demonstrations to the model's context`);
  }
  if (r.inputsCut > 0) out.push(`${who}: ${ofN(r.inputsCut, r.examples)} inputs were cut from the left to fit the model's context`);
  if (r.errors > 0) out.push(`${who}: ${ofN(r.errors, r.requests)} requests failed after retries and were scored as empty answers${r.firstError ? ` (first: ${r.firstError})` : ''}`);
  const missing = usageNotReported(r);
  if (missing > 0) {
    const t = subjectTokensPerRequest(r);
    const how =
      t?.basis === 'counted' ? `${r.apiTokenizer ?? 'o200k_base'} counts of the prompts as built and of the answers`
      : t?.basis === 'partial' ? `from the ${r.answered - missing} that reported it`
      : `fte roi: from the text, ${CHARS_PER_TOKEN} characters per token`;
    out.push(`${who}: usage not reported by the API for ${ofN(missing, r.answered)} requests: tokens estimated (${how})`);
  }
  return out;
}

/**
 * Tokens per request, `in, out`, for a table cell: as reported (or measured); `~in, out (est.)` when
 * the API did not report usage and they are estimated (src/eval/subject-tokens.ts); `not reported`
 * when nothing is known; `-` when no request was answered.
 */
export function tokensCell(r: SubjectRow): string {
  if (!(r.answered > 0)) return '-';
  const t = subjectTokensPerRequest(r);
  if (!t) return 'not reported';
  const cell = `${Math.round(t.inputTokens)}, ${Math.round(t.outputTokens)}`;
  return t.basis === 'counted' || t.basis === 'partial' ? `~${cell} (est.)` : cell;
}

/** One short cell: `ok`, `2 errors`, `no demos`, `12 cut`, `40 cached`. */
export function subjectStatusCell(r: SubjectRow): string {
  const parts: string[] = [];
  if (r.errors > 0) parts.push(`${r.errors} error${r.errors === 1 ? '' : 's'}`);
  if (r.k > 0 && r.examples > 0 && r.noDemonstrations === r.examples) parts.push('no demos');
  else if (r.demonstrationsDropped > 0 || r.inputsCut > 0) parts.push(`${Math.max(r.demonstrationsDropped, r.inputsCut)} truncated`);
  if (r.cached > 0) parts.push(`${r.cached} cached`);
  return parts.length ? parts.join(', ') : 'ok';
}
