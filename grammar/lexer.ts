/**
 * The haproxy.cfg lexer. It knows no keyword: a configuration is lines of
 * words, blanks and comments. A word is everything up to an unquoted blank,
 * `#`, CR or LF; quotes and backslash escapes may sit anywhere inside it
 * (`a"b c"d` is one word). What a word *means* is the keyword registry's
 * business, and its value (unquoting, escapes, `${VAR}`) is computed in
 * src/parser/words.ts, the single place that turns text into values.
 */
import { Lexer, createToken, type CustomPatternMatcherReturn } from 'chevrotain';

export const Newline = createToken({ name: 'Newline', pattern: /\n/, line_breaks: true });
export const Blank = createToken({ name: 'Blank', pattern: /[ \t\v\f]+/, group: Lexer.SKIPPED });
/** HAProxy stops reading a line at a CR: whatever follows it up to LF is ignored. */
export const CarriageRest = createToken({ name: 'CarriageRest', pattern: /\r[^\n]*/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: Lexer.SKIPPED });

const SP = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const HASH = 35;
const DQ = 34;
const SQ = 39;
const BS = 92;

function isBlank(c: number): boolean {
  return c === SP || c === TAB || c === 11 || c === 12;
}

/**
 * Matches one word starting at `offset`. An unmatched quote extends the word
 * to the end of the line; the word expander reports it as HAProxy does.
 */
function matchWord(text: string, offset: number): CustomPatternMatcherReturn | null {
  let i = offset;
  const n = text.length;
  let squote = false;
  let dquote = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) break;
    if (squote) {
      if (c === SQ) squote = false;
      i++;
      continue;
    }
    if (c === BS) {
      // an escape keeps the next character inside the word, unless it ends the line
      const d = i + 1 < n ? text.charCodeAt(i + 1) : LF;
      i += d === LF || d === CR ? 1 : 2;
      continue;
    }
    if (dquote) {
      if (c === DQ) dquote = false;
      i++;
      continue;
    }
    if (isBlank(c) || c === HASH) break;
    if (c === DQ) dquote = true;
    else if (c === SQ) squote = true;
    i++;
  }
  if (i === offset) return null;
  const m = [text.slice(offset, i)] as unknown as CustomPatternMatcherReturn;
  return m;
}

/**
 * A word: plain characters, backslash escapes (never swallowing the end of
 * the line), and quoted runs; a quote left open runs to the end of the line.
 * Inside single quotes nothing is special; inside double quotes a backslash
 * still escapes the next character.
 */
export const WORD_PATTERN = /(?:[^ \t\v\f\r\n#"'\\]+|\\[^\r\n]?|"(?:[^"\\\r\n]+|\\[^\r\n]?)*"?|'[^'\r\n]*'?)+/;

export const Word = createToken({ name: 'Word', pattern: WORD_PATTERN, line_breaks: false });

/** The same word rule as a hand-written matcher (kept for the fuzz test's cross-check). */
export { matchWord };

export const allTokens = [Newline, Blank, CarriageRest, Comment, Word];

export const configLexer = new Lexer(allTokens, {
  positionTracking: 'onlyOffset',
  ensureOptimizations: false,
  skipValidations: true,
});
