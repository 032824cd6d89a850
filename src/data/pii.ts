/**
 * PII detection and scrubbing: e-mail addresses, phone numbers, IPv4 addresses, payment-card numbers
 * that pass the Luhn check, and URLs that carry credentials (`user:pass@`) or secrets in the query
 * (`token=`, `api_key=`, ...). Scrubbing replaces each finding with a typed placeholder (`<EMAIL>`,
 * `<PHONE>`, `<IP>`, `<CARD>`, `<URL>`), never deletes it, so the sentence keeps its shape.
 *
 * Detectors run in priority order (URL, e-mail, card, IPv4, phone) and a later detector never takes
 * text an earlier one already matched (a URL's `user:pass@host` is not also an e-mail address).
 * Patterns are deliberately conservative (few false positives on ordinary text such as dates and
 * version numbers); they are heuristics, not a guarantee.
 */

export type PiiKind = 'email' | 'phone' | 'ipv4' | 'credit_card' | 'url_secret';
export const PII_KINDS: readonly PiiKind[] = ['url_secret', 'email', 'credit_card', 'ipv4', 'phone'];

export const PII_PLACEHOLDERS: Readonly<Record<PiiKind, string>> = {
  email: '<EMAIL>',
  phone: '<PHONE>',
  ipv4: '<IP>',
  credit_card: '<CARD>',
  url_secret: '<URL>',
};

/** One finding: character offsets into the scanned string (`[start, end)`) and the matched text. */
export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
  value: string;
}

/** Luhn (ISO/IEC 7812-1 Annex B) checksum over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

const SECRET_PARAMS = /[?&#;](?:access_token|refresh_token|id_token|token|auth|authtoken|auth_token|api_key|apikey|key|secret|client_secret|password|passwd|pwd|pass|sig|signature|session|sessionid|sid|x-amz-signature|x-amz-credential)=[^&#\s]+/i;

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  accept?: (value: string) => boolean;
}

const DETECTORS: readonly Detector[] = [
  {
    kind: 'url_secret',
    pattern: /\b(?:https?|ftp|wss?):\/\/[^\s<>"'`]+/gi,
    accept: (v) => /^[a-z]+:\/\/[^/?#\s@]+:[^/?#\s@]*@/i.test(v) || SECRET_PARAMS.test(v),
  },
  // The lookbehind starts a match only at the beginning of a run of address characters (linear time on long lines).
  { kind: 'email', pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}/g },
  {
    kind: 'credit_card',
    // 13-19 digits, optionally grouped by single spaces or dashes.
    pattern: /(?<![\d.-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    accept: (v) => luhnValid(v.replace(/[ -]/g, '')),
  },
  {
    kind: 'ipv4',
    pattern: /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d]|\.\d)/g,
  },
  {
    kind: 'phone',
    // Optional +country code, optional (area), then groups of digits separated by space, dot or dash;
    // or a bare international number (+ and 8-15 digits).
    // Digit groups directly before or after (`4111 1111 1111 1112`) mean a longer number, not a phone.
    pattern: /(?<![\w+]|\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}[ .-]\d{3,4}(?:[ .-]\d{2,4})?(?![\w-]|[ .]\d)|(?<![\w+])\+\d{8,15}(?!\w)/g,
    accept: (v) => {
      const digits = v.replace(/\D/g, '');
      if (digits.length < 7 || digits.length > 15) return false;
      if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/.test(v) || /^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(v)) return false; // dates
      if (/^\d{1,2}[.:]\d{2}[.:]\d{2}/.test(v)) return false; // times
      // A phone number needs either a + prefix, parentheses, or at least 10 digits / 3 groups.
      return v.startsWith('+') || v.includes('(') || digits.length >= 10 || v.split(/[ .-]/).length >= 3;
    },
  },
];

/** Finds PII in `text`, sorted by position, non-overlapping (earlier detectors win). */
export function findPii(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const overlaps = (s: number, e: number) => found.some((m) => s < m.end && e > m.start);
  for (const det of DETECTORS) {
    det.pattern.lastIndex = 0;
    for (const m of text.matchAll(det.pattern)) {
      let value = m[0];
      let start = m.index;
      if (det.kind === 'url_secret') value = value.replace(/[.,;:!?)\]]+$/, '');
      const end = start + value.length;
      if (det.accept && !det.accept(value)) continue;
      if (overlaps(start, end)) continue;
      found.push({ kind: det.kind, start, end, value });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

export type PiiCounts = Record<PiiKind, number>;

export function emptyPiiCounts(): PiiCounts {
  return { email: 0, phone: 0, ipv4: 0, credit_card: 0, url_secret: 0 };
}

/** Replaces every finding with its typed placeholder; returns the new text and counts by kind. */
export function scrubPii(text: string): { text: string; counts: PiiCounts; matches: PiiMatch[] } {
  const matches = findPii(text);
  const counts = emptyPiiCounts();
  if (matches.length === 0) return { text, counts, matches };
  let out = '';
  let pos = 0;
  for (const m of matches) {
    out += text.slice(pos, m.start) + PII_PLACEHOLDERS[m.kind];
    pos = m.end;
    counts[m.kind]++;
  }
  return { text: out + text.slice(pos), counts, matches };
}

/**
 * Masks a finding for display: letters and digits become `*` except the first and the last two
 * characters; separators (`@ . - space :`) stay so the shape is recognisable. `jane@example.org` ->
 * `j***@*******.*rg`.
 */
export function maskPii(value: string): string {
  const chars = [...value];
  return chars.map((c, i) => (i === 0 || i >= chars.length - 2 || !/[\p{L}\p{N}]/u.test(c) ? c : '*')).join('');
}
