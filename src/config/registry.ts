/**
 * The keyword registry. Every module registers the keywords it implements as
 * rows, the way HAProxy's cfg_register_keywords() does; the reader knows no
 * keyword by itself. Sub-keyword families (`option x`, `timeout x`, bind and
 * server options, rule actions) have registries of their own, kept here so
 * that lookups and "did you mean" suggestions work the same everywhere.
 */
import type { Diagnostics, PosStyle } from '../parser/diagnostics.js';
import type { Config, Proxy, NamedSection, Pos } from './model.js';

export type SectionKind =
  | 'global'
  | 'defaults'
  | 'frontend'
  | 'backend'
  | 'listen'
  | 'userlist'
  | 'peers'
  | 'resolvers'
  | 'mailers'
  | 'cache'
  | 'http-errors'
  | 'ring'
  | 'program'
  | 'log-forward'
  | 'fcgi-app';

export const PROXY_SECTIONS: readonly SectionKind[] = ['defaults', 'frontend', 'backend', 'listen'];

/** How much of a keyword tshaproxy's runtime honours. */
export type Support = 'yes' | 'partial' | 'no' | 'check-only';

export interface ParseOptions {
  /** --strict / --haproxy-version 2.6: HAProxy 2.6's verdict exactly; no legacy leniency */
  strict: boolean;
  /** the HAProxy version whose behaviour is emulated */
  version: string;
  getenv(name: string): string | undefined;
  /** local peer name (-L), defaults to the host name */
  localPeer: string;
  /** -dr: ignore server address resolution failures */
  ignoreResolveErrors: boolean;
  /** -W / master-worker given on the command line */
  masterWorker: boolean;
  /** emit "not honoured by the runtime yet" warnings */
  supportWarnings: boolean;
}

/** What a keyword parser receives. */
export interface KwContext {
  args: string[];
  columns: number[];
  file: string;
  line: number;
  kwm: 'std' | 'no' | 'default';
  section: SectionKind;
  config: Config;
  diags: Diagnostics;
  opts: ParseOptions;
  /** the proxy being filled (proxy sections), or undefined */
  proxy?: Proxy;
  /** the defaults the current proxy inherits from */
  defproxy?: Proxy;
  /** the named non-proxy section being filled */
  named?: NamedSection;
  pos(): Pos;
  /** shortcuts that report at this line; they return the error flags to OR in */
  alert(message: string, style?: PosStyle): number;
  warn(message: string, style?: PosStyle): number;
  /** a warning of tshaproxy's own (legacy accepted, not honoured...) */
  note(message: string): void;
}

/** A keyword parser returns HAProxy's error flags (ERR_* of diagnostics.ts). */
export type KwParser = (ctx: KwContext) => number;

export interface KeywordRow {
  name: string;
  sections: readonly SectionKind[];
  parse: KwParser;
  /** what the runtime does with it; 'no' rows get a warning saying so (default mode) */
  support?: Support;
  /** keyword that exists only before 2.6 (accepted with a warning in default mode) */
  legacy?: boolean;
}

/** A sub-keyword (option, timeout, bind/server option, action) row. */
export interface SubRow<C = KwContext> {
  name: string;
  parse: (ctx: C, ...rest: unknown[]) => number;
  support?: Support;
  /** free-form attributes a family may need (sections, argument count...) */
  [k: string]: unknown;
}

const keywords = new Map<string, KeywordRow[]>();
const sectionOrder: string[] = [];
const families = new Map<string, Map<string, SubRow<any>>>();

export function registerKeywords(rows: KeywordRow[]): void {
  for (const r of rows) {
    const list = keywords.get(r.name);
    if (list) list.push(r);
    else {
      keywords.set(r.name, [r]);
      sectionOrder.push(r.name);
    }
  }
}

export function findKeyword(name: string, section: SectionKind): KeywordRow | undefined {
  const list = keywords.get(name);
  if (!list) return undefined;
  return list.find((r) => r.sections.includes(section));
}

/** Keywords registered for a section, in registration order (for suggestions). */
export function keywordsOf(section: SectionKind): string[] {
  const out: string[] = [];
  for (const name of sectionOrder) {
    const list = keywords.get(name)!;
    if (list.some((r) => r.sections.includes(section) && !r.legacy)) out.push(name);
  }
  return out;
}

/** Candidate lists for "did you mean", when a section's are not simply its registered rows. */
const suggestionLists = new Map<SectionKind, () => readonly string[]>();

/** Installs the candidates HAProxy compares unknown keywords of these sections with. */
export function registerSuggestions(kinds: readonly SectionKind[], list: () => readonly string[]): void {
  for (const k of kinds) suggestionLists.set(k, list);
}

/** The words an unknown keyword of `section` is compared with, in HAProxy's order. */
export function suggestionsFor(section: SectionKind): readonly string[] {
  const l = suggestionLists.get(section);
  return l ? l() : keywordsOf(section);
}

export function registerFamily<C>(family: string, rows: SubRow<C>[]): void {
  let m = families.get(family);
  if (!m) families.set(family, (m = new Map()));
  for (const r of rows) m.set(r.name, r);
}

export function family<C = KwContext>(name: string): Map<string, SubRow<C>> {
  let m = families.get(name);
  if (!m) families.set(name, (m = new Map()));
  return m as Map<string, SubRow<C>>;
}

/* ---- "did you mean": HAProxy's word fingerprints ------------------------- */

/**
 * HAProxy's make_word_fingerprint() (tools.c): a 32x32 table counting the
 * transitions between consecutive characters, with letters as 1..26, digits
 * as 27 and everything else as 28, which also stands for the beginning and
 * the end of the word; row 0 marks which characters occur at all.
 */
export function wordFingerprint(word: string): Uint8Array {
  const fp = new Uint8Array(1024);
  let from = 28;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    let to: number;
    if (c >= 97 && c <= 122) to = c - 96;
    else if (c >= 65 && c <= 90) to = c - 64;
    else if (c >= 48 && c <= 57) to = 27;
    else to = 28;
    fp[to] = 1;
    fp[32 * from + to]++;
    from = to;
  }
  fp[32 * from + 28]++;
  return fp;
}

/** word_fingerprint_distance(): the sum of the differences, entry by entry. */
export function fingerprintDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < 1024; i++) d += Math.abs(a[i] - b[i]);
  return d;
}

const fingerprints = new Map<string, Uint8Array>();
function cachedFingerprint(w: string): Uint8Array {
  let f = fingerprints.get(w);
  if (!f) fingerprints.set(w, (f = wordFingerprint(w)));
  return f;
}

/**
 * The closest candidate as HAProxy picks it: the first one at the smallest
 * distance, dropped when that distance exceeds twice the length of the word
 * or of the candidate (strlen counts bytes: the words are latin1 here).
 */
export function bestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const w = wordFingerprint(word);
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = fingerprintDistance(w, cachedFingerprint(c));
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  if (bestDist > 2 * word.length || bestDist > 2 * best.length) return undefined;
  return best;
}
