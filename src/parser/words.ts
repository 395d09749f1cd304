/**
 * Turns the raw words of a line into argument values, with the semantics of
 * HAProxy 2.6's line reader:
 *  - single quotes keep everything literal; double quotes keep blanks and `#`;
 *    quotes do not split words (`a"b c"d` is `ab cd`);
 *  - backslash: `\ ` `\\` `\t` `\n` `\r` `\#` `\'` `\"` (outside single quotes),
 *    `\$` (inside double quotes), `\xHH`; any other `\c` stays as written;
 *  - `$NAME`, `${NAME}`, `${NAME-default}`, `${NAME[*]}` are expanded only
 *    inside double quotes; `[*]` splits the value into several words; the
 *    pseudo-variables `.LINE`, `.FILE`, `.SECTION` give the current position;
 *  - an empty word ends the argument list (HAProxy's keyword parsers stop at
 *    the first empty argument), so `"${UNSET}"` makes the word vanish.
 */
import type { RawLine } from '../../grammar/scanner.js';

export interface ExpandContext {
  getenv(name: string): string | undefined;
  file: string;
  section: string;
}

export interface WordError {
  kind: 'quote' | 'brace' | 'varname' | 'hex' | 'expand' | 'toomany';
  /** 1-based position in the line as written (leading blanks included) */
  position: number;
  message: string;
}

export interface ExpandedLine {
  args: string[];
  /** 1-based column of each argument's first character (best effort after expansion) */
  columns: number[];
  error?: WordError;
}

export const MAX_LINE_ARGS = 64;

function isAlpha(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
function isAlnum(c: string): boolean {
  return isAlpha(c) || (c >= '0' && c <= '9');
}
function isHex(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\v' || c === '\f';
}

/** HAProxy's sanitize_for_printing + caret: the line echoed under an error message. */
export function caretLines(trimmedLine: string, pos0: number): string {
  let line = trimmedLine.replace(/[^\x20-\x7e]/g, '?');
  let pos = pos0;
  const width = 80;
  if (line.length > width) {
    // keep the beginning, center the error position in the window, mark cuts with "..."
    let start = 0;
    if (pos > width - 10) start = Math.max(0, pos - Math.floor(width / 2));
    let cut = line.slice(start, start + width);
    if (start > 0) {
      cut = '...' + cut.slice(3);
    }
    if (start + width < line.length) cut = cut.slice(0, width - 3) + '...';
    pos -= start;
    line = cut;
  }
  return `  ${line}\n  ${' '.repeat(Math.max(0, pos))}^`;
}

/**
 * Expands the words of one line. Fast path: a line whose words hold no quote,
 * backslash or `$` is taken as is (the scanner tells), its arrays included:
 * the scanner makes new ones for each line.
 */
export function expandLine(raw: RawLine, ctx: ExpandContext): ExpandedLine {
  const rw = raw.words;
  if (!raw.special && rw.length <= MAX_LINE_ARGS) return { args: rw, columns: raw.columns };
  const args: string[] = [];
  const columns: number[] = [];
  for (let k = 0; k < rw.length; k++) {
    const t = rw[k];
    const col = raw.columns[k];
    if (!/["'\\$]/.test(t)) {
      args.push(t);
      columns.push(col);
      continue;
    }
    const r = expandWord(t, col - 1, ctx);
    if ('error' in r) return { args, columns, error: r.error };
    for (const a of r.words) {
      args.push(a);
      columns.push(col);
    }
  }
  if (args.length > MAX_LINE_ARGS) {
    let pos = 1;
    for (let i = 0; i < MAX_LINE_ARGS - 1; i++) pos += args[i].length + 1;
    return {
      args: args.slice(0, MAX_LINE_ARGS),
      columns,
      error: {
        kind: 'toomany',
        position: pos,
        message: `too many words, truncating after word ${MAX_LINE_ARGS}, position ${pos}: <${args[MAX_LINE_ARGS - 1]}>.`,
      },
    };
  }
  // an empty argument ends the list, as HAProxy's parsers stop at the first empty word
  const empty = args.indexOf('');
  if (empty >= 0) {
    args.length = empty;
    columns.length = empty;
  }
  return { args, columns };
}

type WordResult = { words: string[] } | { error: WordError };

function expandWord(t: string, base: number, ctx: ExpandContext): WordResult {
  const words: string[] = [];
  let out = '';
  let squote = false;
  let dquote = false;
  let quotePos = -1;
  let i = 0;
  const n = t.length;
  const err = (kind: WordError['kind'], at: number, message: string): WordResult => ({
    error: { kind, position: base + at + 1, message },
  });
  while (i < n) {
    const c = t[i];
    if (c === '"' && !squote) {
      dquote = !dquote;
      quotePos = dquote ? i : -1;
      i++;
      continue;
    }
    if (c === "'" && !dquote) {
      squote = !squote;
      quotePos = squote ? i : -1;
      i++;
      continue;
    }
    if (c === '\\' && !squote) {
      const d = t[i + 1];
      switch (d) {
        case ' ':
        case '\\':
          out += d;
          i += 2;
          continue;
        case 't':
          out += '\t';
          i += 2;
          continue;
        case 'n':
          out += '\n';
          i += 2;
          continue;
        case 'r':
          out += '\r';
          i += 2;
          continue;
        case '#':
        case "'":
        case '"':
          out += d;
          i += 2;
          continue;
        case '$':
          if (dquote) {
            out += '$';
            i += 2;
          } else {
            out += '\\';
            i += 1;
          }
          continue;
        case 'x': {
          const h1 = t[i + 2] ?? '';
          const h2 = t[i + 3] ?? '';
          if (!isHex(h1) || !isHex(h2)) return err('hex', i, 'truncated or invalid hexadecimal sequence');
          out += String.fromCharCode(parseInt(h1 + h2, 16));
          i += 4;
          continue;
        }
        default:
          out += '\\';
          i += 1;
          continue;
      }
    }
    if (c === '$' && dquote) {
      i++;
      let brace = -1;
      if (t[i] === '{') brace = i++;
      const first = t[i] ?? '';
      if (!isAlpha(first) && first !== '_' && first !== '.') {
        return err('varname', i, 'forbidden first char in environment variable name');
      }
      const nameStart = i;
      if (t[i] === '.') i++;
      while (i < n && (isAlnum(t[i]) || t[i] === '_')) i++;
      const name = t.slice(nameStart, i);
      let value: string | undefined;
      if (name[0] === '.') {
        if (name === '.LINE' || name === '.FILE' || name === '.SECTION') {
          value = name === '.FILE' ? ctx.file : name === '.SECTION' ? ctx.section : ctx.getenv('.LINE');
        } else {
          return err('varname', nameStart, 'forbidden first char in environment variable name');
        }
      } else {
        value = ctx.getenv(name);
      }
      let expand = false;
      if (t[i] === '[' && brace >= 0) {
        const at = i;
        if (t[i + 1] !== '*' || t[i + 2] !== ']') {
          return err('expand', at, 'truncated or invalid word expansion sequence');
        }
        expand = true;
        i += 3;
      }
      if (brace >= 0) {
        if (t[i] === '-') {
          const close = t.indexOf('}', i);
          if (close < 0) return err('brace', brace, 'unmatched brace in environment variable name');
          if (value === undefined) value = t.slice(i + 1, close);
          i = close;
        } else if (t[i] !== '}') {
          return err('brace', brace, 'unmatched brace in environment variable name');
        }
        i++;
      }
      if (value) {
        if (expand) {
          let j = 0;
          while (j < value.length) {
            if (isSpace(value[j]) || value[j] === '\n' || value[j] === '\r') {
              words.push(out);
              out = '';
              while (j < value.length && (isSpace(value[j]) || value[j] === '\n' || value[j] === '\r')) j++;
            } else {
              out += value[j++];
            }
          }
        } else {
          out += value;
        }
      }
      continue;
    }
    out += c;
    i++;
  }
  if (squote || dquote) return err('quote', quotePos, 'unmatched quote');
  words.push(out);
  return { words };
}
