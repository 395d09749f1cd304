/**
 * The haproxy.cfg grammar: a file is a sequence of lines; a line holds words
 * separated by blanks and may end in a comment. Sections, keywords and their
 * arguments are not grammar here: the keyword registry gives words meaning, so
 * that adding a keyword never touches the grammar.
 *
 * The parser is a Chevrotain EmbeddedActionsParser (no CST is kept: lines
 * come out directly as RawLine records). This is the grammar of record;
 * `tshaproxy -c` reads through grammar/scanner.ts, a single-pass scanner that
 * recognises the same language without loading Chevrotain (the fuzz test
 * cross-checks the two on every input it generates).
 */
import { EmbeddedActionsParser, type IToken } from 'chevrotain';
import { allTokens, Newline, Word, configLexer } from './lexer.js';
import type { RawLine } from './scanner.js';

export type { RawLine } from './scanner.js';

class ConfigGrammar extends EmbeddedActionsParser {
  constructor() {
    super(allTokens, { recoveryEnabled: false, skipValidations: true });
    this.performSelfAnalysis();
  }

  /**
   * config := ( Newline | Word )*
   * A line is the run of items between two Newlines; written this way the
   * grammar is LL(1) and a last line without LF needs no special case.
   */
  public config = this.RULE('config', () => {
    const lines: { words: IToken[]; nl: IToken | undefined }[] = [];
    let words: IToken[] = [];
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            const nl = this.CONSUME(Newline);
            lines.push({ words, nl });
            words = [];
          },
        },
        { ALT: () => { words.push(this.CONSUME(Word)); } },
      ]);
    });
    lines.push({ words, nl: undefined });
    return lines;
  });

}

let grammar: ConfigGrammar | undefined;
export function getGrammar(): ConfigGrammar {
  return (grammar ??= new ConfigGrammar());
}

/**
 * Splits a configuration text into lines of raw words, through Chevrotain's
 * lexer and this grammar. Never throws: the lexer accepts every character
 * sequence (a word is any run of non-blank text) and every token sequence is
 * a valid `config`. The reader uses the equivalent single-pass scanner
 * (grammar/scanner.ts); the fuzz test checks that both agree.
 */
export function splitLinesWithGrammar(text: string): RawLine[] {
  const g = getGrammar();
  g.input = configLexer.tokenize(text).tokens;
  const lines = g.config();
  const out: RawLine[] = [];
  let lineStart = 0;
  for (let i = 0; i < lines.length; i++) {
    const { words, nl } = lines[i];
    if (!nl && lineStart >= text.length) break; // nothing after the last LF
    const end = nl ? nl.startOffset : text.length;
    const images: string[] = new Array(words.length);
    const columns: number[] = new Array(words.length);
    let special = false;
    for (let j = 0; j < words.length; j++) {
      const t = words[j];
      images[j] = t.image;
      columns[j] = t.startOffset - lineStart + 1;
      if (/["'\\$]/.test(t.image)) special = true;
    }
    out.push({ line: i + 1, words: images, columns, special, text: text.slice(lineStart, end), terminated: nl !== undefined });
    lineStart = end + 1;
  }
  return out;
}

/** The words of each line, straight from the grammar (used by tests and tools). */
export function parseWithGrammar(text: string): string[][] {
  return splitLinesWithGrammar(text).map((l) => l.words);
}
