/**
 * The fast path of the haproxy.cfg grammar: one pass over the text, no token
 * objects, no Chevrotain at run time. It recognises exactly the language of
 * the Chevrotain lexer and grammar (grammar/lexer.ts, grammar/parser.ts),
 * which stay the grammar of record: the fuzz test checks that both give the
 * same lines and words on every input it generates.
 *
 * A line is the text up to an LF; a CR ends what is read of a line (HAProxy
 * ignores what follows it up to the LF); `#` outside quotes starts a comment;
 * a word runs up to an unquoted blank, `#`, CR or LF, quotes and backslash
 * escapes included (their meaning is src/parser/words.ts's business).
 */

/** One line of a configuration, as the reader consumes it. */
export interface RawLine {
  /** 1-based line number */
  line: number;
  /** the words exactly as written (quotes and escapes included) */
  words: string[];
  /** 1-based column of each word's first character */
  columns: number[];
  /** true when some word holds a quote, a backslash or a `$` (needs expansion) */
  special: boolean;
  /** the line as written, without its LF (used to echo it in error messages) */
  readonly text: string;
  /** false only for a last line that had no LF */
  terminated: boolean;
}

const SP = 32;
const TAB = 9;
const VT = 11;
const FF = 12;
const LF = 10;
const CR = 13;
const HASH = 35;
const DQ = 34;
const SQ = 39;
const BS = 92;
const DOLLAR = 36;

/**
 * Walks a configuration line by line. The same object is refilled by each
 * `next()` (only the word and column arrays are new for each line), so a
 * 50,000-line file costs no line records.
 */
export class LineScanner implements RawLine {
  line = 0;
  words: string[] = [];
  columns: number[] = [];
  special = false;
  terminated = true;
  /** offsets of the current line in the source (end excludes the LF) */
  start = 0;
  end = 0;
  private pos = 0;

  constructor(readonly src: string) {}

  get text(): string {
    return this.src.slice(this.start, this.end);
  }

  /** Moves to the next line; false when there is none. */
  next(): boolean {
    const s = this.src;
    const n = s.length;
    const start = this.pos;
    // nothing after the last LF (or an empty text): no line
    if (start >= n) return false;
    this.line++;
    this.start = start;
    // fresh arrays for each line: the reader hands them on as the line's arguments
    const words: string[] = [];
    const columns: number[] = [];
    this.words = words;
    this.columns = columns;
    let special = false;
    let i = start;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === LF) {
        this.end = i;
        this.terminated = true;
        this.pos = i + 1;
        this.special = special;
        return true;
      }
      if (c === SP || c === TAB || c === VT || c === FF) {
        i++;
        continue;
      }
      if (c === CR || c === HASH) {
        // a comment, or what follows a CR: skipped up to the LF
        const lf = s.indexOf('\n', i);
        i = lf < 0 ? n : lf;
        continue;
      }
      // a word: plain characters, escapes, quoted runs (an open quote runs to the end of the line)
      const w = i;
      let squote = false;
      let dquote = false;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === LF || d === CR) break;
        if (squote) {
          if (d === SQ) squote = false;
          i++;
          continue;
        }
        if (d === BS) {
          special = true;
          const e = i + 1 < n ? s.charCodeAt(i + 1) : LF;
          i += e === LF || e === CR ? 1 : 2;
          continue;
        }
        if (dquote) {
          if (d === DQ) dquote = false;
          i++;
          continue;
        }
        if (d === SP || d === TAB || d === VT || d === FF || d === HASH) break;
        if (d === DQ) {
          dquote = true;
          special = true;
        } else if (d === SQ) {
          squote = true;
          special = true;
        } else if (d === DOLLAR) special = true;
        i++;
      }
      words.push(s.slice(w, i));
      columns.push(w - start + 1);
    }
    this.end = n;
    this.terminated = false;
    this.pos = n;
    this.special = special;
    return true;
  }

  /** A detached copy of the current line. */
  snapshot(): RawLine {
    return {
      line: this.line,
      words: this.words,
      columns: this.columns,
      special: this.special,
      text: this.text,
      terminated: this.terminated,
    };
  }
}

/** Every line of a text, detached (tests and tools; the reader streams with LineScanner). */
export function splitLines(text: string): RawLine[] {
  const sc = new LineScanner(text);
  const out: RawLine[] = [];
  while (sc.next()) out.push(sc.snapshot());
  return out;
}
