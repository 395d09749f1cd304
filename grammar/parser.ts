/**
 * The haproxy.cfg grammar: a file is a sequence of lines; a line holds words
 * separated by blanks and may end in a comment. Sections, keywords and their
 * arguments are not grammar here: the keyword registry gives words meaning, so
 * that adding a keyword never touches the grammar.
 *
 * The parser is a Chevrotain CstParser driven by hand-written actions
 * (no CST is kept: lines come out directly as RawLine records), which keeps a
 * 50,000-line configuration fast to read.
 */
import { EmbeddedActionsParser, type IToken } from 'chevrotain';
import { allTokens, Newline, Word, configLexer } from './lexer.js';

export interface RawWord {
  /** the word exactly as written (quotes and escapes included) */
  text: string;
  /** 1-based column of its first character */
  column: number;
  /** 0-based offset of its first character in the line */
  offset: number;
}

export interface RawLine {
  line: number;
  words: RawWord[];
  /** the line as written, without its LF (used to echo it in error messages) */
  text: string;
  /** false only for a last line that had no LF */
  terminated: boolean;
}

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
 * Splits a configuration text into lines of raw words, through the grammar.
 * Never throws: the lexer accepts every character sequence (a word is any run
 * of non-blank text) and every token sequence is a valid `config`.
 */
export function splitLines(text: string): RawLine[] {
  const g = getGrammar();
  g.input = configLexer.tokenize(text).tokens;
  const lines = g.config();
  const out: RawLine[] = [];
  let lineStart = 0;
  for (let i = 0; i < lines.length; i++) {
    const { words, nl } = lines[i];
    if (!nl && lineStart >= text.length) break; // nothing after the last LF
    const end = nl ? nl.startOffset : text.length;
    const raw: RawWord[] = new Array(words.length);
    for (let j = 0; j < words.length; j++) {
      const t = words[j];
      raw[j] = { text: t.image, offset: t.startOffset - lineStart, column: t.startOffset - lineStart + 1 };
    }
    out.push({ line: i + 1, words: raw, text: text.slice(lineStart, end), terminated: nl !== undefined });
    lineStart = end + 1;
  }
  return out;
}

/** The words of each line, straight from the grammar (used by tests and tools). */
export function parseWithGrammar(text: string): string[][] {
  return splitLines(text).map((l) => l.words.map((w) => w.text));
}
