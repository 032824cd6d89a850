/** The example: fte's internal form of one dataset row (owned by the data stage). */
/** One example in fte's internal form (every dataset format normalises to this). */
export interface Example {
  /** Stable id within the dataset (e.g. `L12` for source line 12, or the suite's own id). */
  id: string;
  /** Model input, already rendered with the suite's prompt template where one applies. */
  prompt: string;
  /** Target output (loss is computed on these tokens only). */
  completion: string;
  /** Slice / class used for stratified splits and per-slice evaluation (e.g. `classify`, `subject`). */
  category?: string;
  meta?: Record<string, unknown>;
}

/** One message of a chat row's conversation. */
export interface ExampleChatMessage {
  role: string;
  content: string;
}

/**
 * The whole conversation of an example that came from a chat row (src/data/formats.ts keeps it in
 * `meta.chatMessages`, the final assistant message included), or undefined for other examples.
 */
export function chatMessagesOf(ex: Example): ExampleChatMessage[] | undefined {
  const m = ex.meta?.chatMessages;
  if (!Array.isArray(m) || m.length === 0) return undefined;
  if (!m.every((x) => x !== null && typeof x === 'object' && typeof x.role === 'string' && typeof x.content === 'string')) return undefined;
  return m as ExampleChatMessage[];
}
