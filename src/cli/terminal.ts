/**
 * Text for a terminal: user and model text (categories, experiment names, errors, predictions) must
 * never move the cursor, set the window title, ring the bell or hide what follows. Every control
 * character is shown as a visible escape instead.
 */

/** An SGR colour sequence (`ESC [ 1;31 m`), the only escape sequence fte itself prints. */
const SGR = /\x1b\[[0-9;]*m/y;

/**
 * Control characters that are escaped: C0 but newline, DEL, C1, and the bidirectional overrides and
 * isolates (U+202A-U+202E, U+2066-U+2069) that reorder what a reader sees.
 */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const NAMED: Record<string, string> = { '\t': '\\t', '\r': '\\r' };

function escapeChar(c: string): string {
  const code = c.codePointAt(0)!;
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
}

export interface TermSafeOptions {
  /** Keep SGR colour sequences (`ESC[...m`): only for text fte coloured itself (a table on a colour TTY). */
  keepSgr?: boolean;
}

/**
 * `s` with every control character but `\n` written as a visible escape: ESC -> `\x1b`, BEL -> `\x07`,
 * tab -> `\t`, CR -> `\r`, U+202E -> `\u{202e}`. Printable text (any script, emoji) is unchanged.
 */
export function termSafe(s: string, options: TermSafeOptions = {}): string {
  if (!CONTROL.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; ) {
    if (options.keepSgr && s[i] === '\x1b') {
      SGR.lastIndex = i;
      const m = SGR.exec(s);
      if (m) {
        out += m[0];
        i += m[0].length;
        continue;
      }
    }
    const c = s[i]!;
    out += CONTROL.test(c) ? escapeChar(c) : c;
    i++;
  }
  return out;
}
