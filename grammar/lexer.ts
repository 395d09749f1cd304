/**
 * The haproxy.cfg lexer. It knows no keyword: a configuration is lines of
 * words, blanks and comments. A word is everything up to an unquoted blank,
 * `#`, CR or LF; quotes and backslash escapes may sit anywhere inside it
 * (`a"b c"d` is one word). What a word *means* is the keyword registry's
 * business, and its value (unquoting, escapes, `${VAR}`) is computed in
 * src/parser/words.ts, the single place that turns text into values.
 */
import { Lexer, createToken } from 'chevrotain';

export const Newline = createToken({ name: 'Newline', pattern: /\n/, line_breaks: true });
export const Blank = createToken({ name: 'Blank', pattern: /[ \t\v\f]+/, group: Lexer.SKIPPED });
/** HAProxy stops reading a line at a CR: whatever follows it up to LF is ignored. */
export const CarriageRest = createToken({ name: 'CarriageRest', pattern: /\r[^\n]*/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: Lexer.SKIPPED });

/**
 * A word: plain characters, backslash escapes (never swallowing the end of
 * the line), and quoted runs; a quote left open runs to the end of the line.
 * Inside single quotes nothing is special; inside double quotes a backslash
 * still escapes the next character.
 */
export const WORD_PATTERN = /(?:[^ \t\v\f\r\n#"'\\]+|\\[^\r\n]?|"(?:[^"\\\r\n]+|\\[^\r\n]?)*"?|'[^'\r\n]*'?)+/;

export const Word = createToken({ name: 'Word', pattern: WORD_PATTERN, line_breaks: false });

export const allTokens = [Newline, Blank, CarriageRest, Comment, Word];

export const configLexer = new Lexer(allTokens, {
  positionTracking: 'onlyOffset',
  ensureOptimizations: false,
  skipValidations: true,
});
