/**
 * Pattern lists and matching (HAProxy's pattern.c): the -m methods found,
 * bool, int, ip, bin, len, str, beg, sub, dom, end, dir, reg (and meth for
 * the `method` keyword), with -i. Used by ACLs and by the map converters.
 *
 * Large lists stay cheap: exact strings live in a Map, prefixes and suffixes
 * in one Map per length, IP networks in one Map per prefix length, so a
 * lookup costs a few hash probes whatever the list size. Which entry wins
 * when several match follows HAProxy: the longest prefix for beg and ip
 * (its trees), the first in file order otherwise.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  T,
  cast,
  lowerAscii,
  parseIPv4,
  parseIPv4Loose,
  parseIPv6,
  parseIntStrict,
  readInt64,
  KNOWN_METHODS,
  type Sample,
  type SmpValue,
} from './types.js';

export interface PatEntry {
  /** position in the list (file order) */
  idx: number;
  /** the pattern as written */
  text: string;
  /** map value, when the list comes from a map */
  data?: SmpValue;
  /** map_regm: the regex, for back-references in the value */
  re?: RegExp;
}

export interface Matcher {
  readonly method: string;
  /** casts smp to the method's type and returns the matching entry, or null */
  match(smp: Sample): PatEntry | null;
  readonly size: number;
}

export interface PatternInput {
  key: string;
  value?: string;
}

export interface MatcherOpts {
  icase?: boolean;
  /** patterns of req.ssl_ver are dotted versions ("3.1") */
  dotted?: boolean;
  /** map output type: values are parsed to it */
  out?: T;
  /** -n: no DNS resolution for ip patterns (we never resolve anyway) */
  noDns?: boolean;
}

/** The input type a method casts the sample to (pat_match_types). */
export function expectType(method: string): T {
  switch (method) {
    case 'found':
      return T.ANY;
    case 'bool':
    case 'int':
      return T.SINT;
    case 'ip':
      return T.ADDR;
    case 'bin':
      return T.BIN;
    case 'meth':
      return T.METH;
    default:
      return T.STR;
  }
}

const FOUND: PatEntry = { idx: 0, text: '' };

/* ---- value parsing for maps --------------------------------------------------------- */

export function parseMapValue(v: string, out: T): SmpValue | undefined {
  switch (out) {
    case T.SINT: {
      const n = parseIntStrict(v);
      return n === undefined ? undefined : { t: T.SINT, v: n };
    }
    case T.ADDR:
    case T.IPV4:
    case T.IPV6: {
      const v4 = parseIPv4(v);
      if (v4 !== undefined) return { t: T.IPV4, v: v4 };
      const v6 = parseIPv6(v);
      return v6 ? { t: T.IPV6, v: v6 } : undefined;
    }
    default:
      return { t: T.STR, v };
  }
}

/* ---- regular expressions ------------------------------------------------------------ */

/** PCRE pattern → JavaScript RegExp (the common syntax is shared; a few PCRE-only forms are rewritten). */
export function compileRegex(src: string, icase: boolean, global = false): RegExp {
  let s = src;
  let flags = icase ? 'i' : '';
  const inl = /^\(\?([imsx]+)\)/.exec(s);
  if (inl) {
    s = s.slice(inl[0].length);
    if (inl[1].includes('i') && !flags.includes('i')) flags += 'i';
    if (inl[1].includes('s')) flags += 's';
    if (inl[1].includes('m')) flags += 'm';
  }
  s = s.replace(/\\A/g, '^').replace(/\\[zZ]/g, '$');
  // possessive quantifiers and atomic groups have no JS form: their greedy forms match the same texts here
  s = s.replace(/([*+?}])\+/g, '$1').replace(/\(\?>/g, '(?:');
  if (global) flags += 'g';
  return new RegExp(s, flags);
}

/* ---- the matchers -------------------------------------------------------------------- */

class ListMatcher implements Matcher {
  constructor(
    readonly method: string,
    private readonly entries: PatEntry[],
    private readonly test: (smp: Sample, e: PatEntry & { p: any }) => boolean,
  ) {}
  get size(): number {
    return this.entries.length;
  }
  match(smp: Sample): PatEntry | null {
    if (!cast(smp, expectType(this.method))) return null;
    const es = this.entries as (PatEntry & { p: any })[];
    for (let k = 0; k < es.length; k++) if (this.test(smp, es[k])) return es[k];
    return null;
  }
}

class ExactMatcher implements Matcher {
  readonly method = 'str';
  private readonly map = new Map<string, PatEntry>();
  constructor(
    entries: PatEntry[],
    private readonly icase: boolean,
  ) {
    for (const e of entries) {
      const k = icase ? lowerAscii(e.text) : e.text;
      if (!this.map.has(k)) this.map.set(k, e);
    }
  }
  get size(): number {
    return this.map.size;
  }
  match(smp: Sample): PatEntry | null {
    if (smp.t !== T.STR && !cast(smp, T.STR)) return null;
    const s = smp.v as string;
    return this.map.get(this.icase ? lowerAscii(s) : s) ?? null;
  }
}

/** beg / end: one Map per pattern length. */
class AffixMatcher implements Matcher {
  private readonly byLen = new Map<number, Map<string, PatEntry>>();
  private readonly lens: number[];
  constructor(
    readonly method: 'beg' | 'end',
    entries: PatEntry[],
    private readonly icase: boolean,
    /** longest wins (beg without -i, HAProxy's prefix tree) rather than first in order */
    private readonly longest: boolean,
  ) {
    for (const e of entries) {
      const k = icase ? lowerAscii(e.text) : e.text;
      let m = this.byLen.get(k.length);
      if (!m) this.byLen.set(k.length, (m = new Map()));
      if (!m.has(k)) m.set(k, e);
    }
    this.lens = [...this.byLen.keys()].sort((a, b) => b - a);
  }
  get size(): number {
    let n = 0;
    for (const m of this.byLen.values()) n += m.size;
    return n;
  }
  match(smp: Sample): PatEntry | null {
    if (smp.t !== T.STR && !cast(smp, T.STR)) return null;
    let s = smp.v as string;
    if (this.icase) s = lowerAscii(s);
    let best: PatEntry | null = null;
    const beg = this.method === 'beg';
    for (let k = 0; k < this.lens.length; k++) {
      const L = this.lens[k];
      if (L > s.length) continue;
      const e = this.byLen.get(L)!.get(beg ? s.slice(0, L) : s.slice(s.length - L));
      if (!e) continue;
      if (this.longest) return e;
      if (!best || e.idx < best.idx) best = e;
    }
    return best;
  }
}

function mask4(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function maskLen4(mask: number): number | undefined {
  let len = 0;
  while (len < 32 && mask & (0x80000000 >>> len)) len++;
  return mask4(len) === mask >>> 0 ? len : undefined;
}

function v6key(b: Buffer, len: number): string {
  let s = '';
  const full = len >> 3;
  for (let k = 0; k < full; k++) s += String.fromCharCode(b[k]);
  if (len & 7) s += String.fromCharCode(b[full] & (0xff << (8 - (len & 7))) & 0xff);
  return s + '/' + len;
}

/** IP networks: longest prefix first (HAProxy's trees), then non-contiguous masks in order. */
class IpMatcher implements Matcher {
  readonly method = 'ip';
  private readonly v4 = new Map<number, Map<number, PatEntry>>();
  private readonly v4lens: number[] = [];
  private readonly v6 = new Map<number, Map<string, PatEntry>>();
  private readonly v6lens: number[] = [];
  private readonly list: { addr: number; mask: number; e: PatEntry }[] = [];
  private n = 0;
  add(e: PatEntry, net: { v4?: number; mask4?: number; v6?: Buffer; len6?: number }): void {
    this.n++;
    if (net.v4 !== undefined) {
      const len = maskLen4(net.mask4!);
      if (len === undefined) {
        this.list.push({ addr: (net.v4 & net.mask4!) >>> 0, mask: net.mask4!, e });
        return;
      }
      let m = this.v4.get(len);
      if (!m) {
        this.v4.set(len, (m = new Map()));
        this.v4lens.push(len);
        this.v4lens.sort((a, b) => b - a);
      }
      const key = (net.v4 & mask4(len)) >>> 0;
      if (!m.has(key)) m.set(key, e);
    } else if (net.v6) {
      const len = net.len6!;
      let m = this.v6.get(len);
      if (!m) {
        this.v6.set(len, (m = new Map()));
        this.v6lens.push(len);
        this.v6lens.sort((a, b) => b - a);
      }
      const key = v6key(net.v6, len);
      if (!m.has(key)) m.set(key, e);
    }
  }
  get size(): number {
    return this.n;
  }
  private look4(a: number): PatEntry | undefined {
    for (const len of this.v4lens) {
      const e = this.v4.get(len)!.get((a & mask4(len)) >>> 0);
      if (e) return e;
    }
    return undefined;
  }
  private look6(b: Buffer): PatEntry | undefined {
    for (const len of this.v6lens) {
      const e = this.v6.get(len)!.get(v6key(b, len));
      if (e) return e;
    }
    return undefined;
  }
  match(smp: Sample): PatEntry | null {
    if (!cast(smp, T.ADDR)) return null;
    let v4: number | undefined;
    if (smp.t === T.IPV4) {
      v4 = smp.v as number;
      const e = this.look4(v4);
      if (e) return e;
      if (this.v6lens.length) {
        const b = Buffer.alloc(16);
        b[10] = 0xff;
        b[11] = 0xff;
        b.writeUInt32BE(v4, 12);
        const e6 = this.look6(b);
        if (e6) return e6;
      }
    } else {
      const b = smp.v as Buffer;
      const e6 = this.look6(b);
      if (e6) return e6;
      const hi0 = b.readUInt32BE(0) === 0 && b.readUInt32BE(4) === 0;
      const w8 = b.readUInt32BE(8);
      if (hi0 && (w8 === 0 || w8 === 0xffff)) v4 = b.readUInt32BE(12);
      else if (b[0] === 0x20 && b[1] === 0x02) v4 = b.readUInt32BE(2);
      if (v4 !== undefined) {
        const e = this.look4(v4);
        if (e) return e;
      }
    }
    if (v4 === undefined) return null;
    for (const l of this.list) if (((v4 & l.mask) >>> 0) === l.addr) return l.e;
    return null;
  }
}

/* ---- pattern parsing ------------------------------------------------------------------- */

/** pat_parse_int: "n", "a:b", ":b", "a:" (':' or '-' separate). */
export function parseIntRange(text: string): { min?: number; max?: number } | undefined {
  if (!text) return undefined;
  let k = 0;
  while (k < text.length && text[k] !== ':' && text[k] !== '-') k++;
  const num = (s: string): number | undefined => (/^[+-]?\d+$/.test(s) ? Number(s) : undefined);
  if (k === text.length) {
    const n = num(text);
    return n === undefined ? undefined : { min: n, max: n };
  }
  if (k === 0 && text.length > 1) {
    const n = num(text.slice(1));
    return n === undefined ? undefined : { max: n };
  }
  if (k === text.length - 1) {
    const n = num(text.slice(0, k));
    return n === undefined ? undefined : { min: n };
  }
  const a = num(text.slice(0, k));
  const b = num(text.slice(k + 1));
  if (a === undefined || b === undefined || a > b) return undefined;
  return { min: a, max: b };
}

/** pat_parse_dotted_ver: "M.m" → (M << 16) + m, with ranges. */
export function parseDottedRange(text: string): { min?: number; max?: number } | undefined {
  const one = (s: string): number | undefined => {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
    if (!m) return undefined;
    return Number(m[1]) * 65536 + (m[2] ? Number(m[2]) : 0);
  };
  const k = text.indexOf(':');
  if (k < 0) {
    const n = one(text);
    return n === undefined ? undefined : { min: n, max: n };
  }
  const a = k ? one(text.slice(0, k)) : undefined;
  const b = k < text.length - 1 ? one(text.slice(k + 1)) : undefined;
  if ((k && a === undefined) || (k < text.length - 1 && b === undefined)) return undefined;
  return { min: a, max: b };
}

/** IP pattern (str2net): address, address/len or address/dotted-mask; IPv6 with /len. */
export function parseIpPattern(text: string): { v4?: number; mask4?: number; v6?: Buffer; len6?: number } | undefined {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const mask = slash >= 0 ? text.slice(slash + 1) : undefined;
  const a4 = parseIPv4Loose(addr);
  if (a4 !== undefined) {
    if (mask === undefined) return { v4: a4, mask4: 0xffffffff };
    if (/^\d+$/.test(mask)) {
      const l = Number(mask);
      if (l > 32) return undefined;
      return { v4: a4, mask4: mask4(l) };
    }
    const m = parseIPv4(mask);
    return m === undefined ? undefined : { v4: a4, mask4: m };
  }
  const a6 = parseIPv6(addr);
  if (a6) {
    const l = mask === undefined ? 128 : /^\d+$/.test(mask) ? Number(mask) : NaN;
    if (!(l >= 0 && l <= 128)) return undefined;
    return { v6: a6, len6: l };
  }
  return undefined;
}

function parseHex(text: string): Buffer | undefined {
  if (text.length % 2 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}

const DELIM_DOM = '/?.:';
const DELIM_DIR = '/?';

/** match_word: the pattern appears between delimiters (or the ends). */
function matchWord(s: string, pat: string, delims: string): boolean {
  let ps = 0;
  let pl = pat.length;
  while (pl > 0 && delims.includes(pat[ps])) {
    ps++;
    pl--;
  }
  while (pl > 0 && delims.includes(pat[ps + pl - 1])) pl--;
  if (pl > s.length) return false;
  const p = pat.slice(ps, ps + pl);
  const end = s.length - pl;
  let may = true;
  for (let c = 0; c <= end; c++) {
    if (delims.includes(s[c])) {
      may = true;
      continue;
    }
    if (!may) continue;
    if (pl > 0 && s.startsWith(p, c) && (c === end || delims.includes(s[c + pl]))) return true;
    may = false;
  }
  return false;
}

export interface IntPat {
  min?: number;
  max?: number;
}
function inRange(n: number | bigint, r: IntPat): boolean {
  return (r.min === undefined || r.min <= n) && (r.max === undefined || n <= r.max);
}

/**
 * Builds the matcher for `method` over `patterns` (already expanded from
 * files; int operators already folded into ranges by the caller when
 * `ranges` is given). Returns the matcher and the patterns it refused.
 */
export function buildMatcher(
  method: string,
  patterns: PatternInput[],
  opts: MatcherOpts = {},
): { matcher: Matcher; errors: string[] } {
  const icase = !!opts.icase;
  const errors: string[] = [];
  const entries: PatEntry[] = [];
  const withData = (p: PatternInput, k: number): PatEntry | undefined => {
    const e: PatEntry = { idx: k, text: p.key };
    if (p.value !== undefined && opts.out !== undefined) {
      const d = parseMapValue(p.value, opts.out);
      if (!d) {
        errors.push(`unable to parse value '${p.value}'`);
        return undefined;
      }
      e.data = d;
    }
    return e;
  };
  patterns.forEach((p, k) => {
    const e = withData(p, k);
    if (e) entries.push(e);
  });
  switch (method) {
    case 'found':
      return { matcher: { method, size: 0, match: () => FOUND }, errors };
    case 'bool':
      return {
        matcher: { method, size: 0, match: (smp) => (cast(smp, T.SINT) && smp.v != 0 ? FOUND : null) },
        errors,
      };
    case 'str':
      return { matcher: new ExactMatcher(entries, icase), errors };
    case 'beg':
      return { matcher: new AffixMatcher('beg', entries, icase, !icase), errors };
    case 'end':
      return { matcher: new AffixMatcher('end', entries, icase, false), errors };
    case 'sub': {
      const es = entries.map((e) => ({ ...e, p: icase ? lowerAscii(e.text) : e.text }));
      return {
        matcher: new ListMatcher(method, es, (smp, e) => (icase ? lowerAscii(smp.v) : (smp.v as string)).includes(e.p)),
        errors,
      };
    }
    case 'dom':
    case 'dir': {
      const d = method === 'dom' ? DELIM_DOM : DELIM_DIR;
      const es = entries.map((e) => ({ ...e, p: icase ? lowerAscii(e.text) : e.text }));
      return {
        matcher: new ListMatcher(method, es, (smp, e) => matchWord(icase ? lowerAscii(smp.v) : smp.v, e.p, d)),
        errors,
      };
    }
    case 'reg':
    case 'regm': {
      const es: (PatEntry & { p: RegExp })[] = [];
      for (const e of entries) {
        try {
          const re = compileRegex(e.text, icase);
          es.push({ ...e, p: re, re });
        } catch (err) {
          errors.push(`regex '${e.text}' is invalid (${(err as Error).message})`);
        }
      }
      return { matcher: new ListMatcher(method, es, (smp, e) => e.p.test(smp.v)), errors };
    }
    case 'len':
    case 'int': {
      const es: (PatEntry & { p: IntPat })[] = [];
      for (const e of entries) {
        const r = opts.dotted ? parseDottedRange(e.text) : parseIntRange(e.text);
        if (!r) errors.push(`'${e.text}' is not a valid number range.`);
        else es.push({ ...e, p: r });
      }
      const test =
        method === 'len'
          ? (smp: Sample, e: PatEntry & { p: IntPat }) => inRange((smp.v as string).length, e.p)
          : (smp: Sample, e: PatEntry & { p: IntPat }) => inRange(smp.v, e.p);
      return { matcher: new ListMatcher(method, es, test), errors };
    }
    case 'ip': {
      const m = new IpMatcher();
      for (const e of entries) {
        const net = parseIpPattern(e.text);
        if (!net) errors.push(`'${e.text}' is not a valid IPv4 or IPv6 address.`);
        else m.add(e, net);
      }
      return { matcher: m, errors };
    }
    case 'bin': {
      const es: (PatEntry & { p: Buffer })[] = [];
      for (const e of entries) {
        const b = parseHex(e.text);
        if (!b) errors.push(`'${e.text}' is not a valid hex string`);
        else es.push({ ...e, p: b });
      }
      return { matcher: new ListMatcher(method, es, (smp, e) => (smp.v as Buffer).equals(e.p)), errors };
    }
    case 'meth': {
      const es = entries.map((e) => ({ ...e, p: e.text }));
      return {
        matcher: new ListMatcher(method, es, (smp, e) => {
          const s = smp.v as string;
          if (KNOWN_METHODS.has(e.p)) return s === e.p;
          if (KNOWN_METHODS.has(s) || s.length !== e.p.length) return false;
          return icase ? lowerAscii(s) === lowerAscii(e.p) : s === e.p;
        }),
        errors,
      };
    }
  }
  errors.push(`unknown matching method '${method}'`);
  return { matcher: { method, size: 0, match: () => null }, errors };
}

/* ---- pattern and map files --------------------------------------------------------- */

const fileCache = new Map<string, { mtimeKey: string; lines: PatternInput[] }>();

export function resolvePath(file: string, baseDir?: string): string {
  return isAbsolute(file) || !baseDir ? file : join(baseDir, file);
}

/** An ACL pattern file (pat_ref_read_from_file): one pattern per line, leading blanks and '#' lines skipped. */
export function readPatternFile(path: string): PatternInput[] {
  const text = readFileSync(path, 'latin1');
  const out: PatternInput[] = [];
  for (const raw of text.split('\n')) {
    if (raw[0] === '#') continue;
    let k = 0;
    while (raw[k] === ' ' || raw[k] === '\t') k++;
    let end = k;
    while (end < raw.length && raw[end] !== '\r') end++;
    if (end === k) continue;
    out.push({ key: raw.slice(k, end) });
  }
  return out;
}

/** A map file (pat_ref_read_from_file_smp): "key value", '#' comments, blank lines skipped. */
export function readMapFile(path: string): PatternInput[] {
  const cached = fileCache.get(path);
  if (cached) return cached.lines;
  const text = readFileSync(path, 'latin1');
  const out: PatternInput[] = [];
  for (const raw of text.split('\n')) {
    let k = 0;
    while (raw[k] === ' ' || raw[k] === '\t') k++;
    if (k >= raw.length || raw[k] === '#' || raw[k] === '\r') continue;
    let ke = k;
    while (ke < raw.length && raw[ke] !== ' ' && raw[ke] !== '\t' && raw[ke] !== '\r') ke++;
    let vb = ke;
    while (raw[vb] === ' ' || raw[vb] === '\t') vb++;
    let ve = vb;
    while (ve < raw.length && raw[ve] !== '\r') ve++;
    while (ve > vb && (raw[ve - 1] === ' ' || raw[ve - 1] === '\t')) ve--;
    out.push({ key: raw.slice(k, ke), value: raw.slice(vb, ve) });
  }
  fileCache.set(path, { mtimeKey: '', lines: out });
  return out;
}

/** Drops cached map files (after `clear map` / reload). */
export function clearMapCache(): void {
  fileCache.clear();
}

/** Folds the integer operators eq/ge/gt/le/lt into ranges, as parse_acl_expr does. */
export function foldIntOperators(words: string[], dotted: boolean): string[] {
  const out: string[] = [];
  let op = 'eq';
  for (const w of words) {
    if (w === 'eq' || w === 'ge' || w === 'gt' || w === 'le' || w === 'lt') {
      op = w;
      continue;
    }
    if (w.includes(':') || w.includes('-') || op === 'eq') {
      out.push(w);
      continue;
    }
    if (dotted) {
      const m = /^(\d+)(?:\.(\d+))?$/.exec(w);
      if (!m) {
        out.push(w);
        continue;
      }
      let major = Number(m[1]);
      let minor = m[2] ? Number(m[2]) : 0;
      if (op === 'gt' || op === 'lt') {
        let v = major * 65536 + minor + (op === 'gt' ? 1 : -1);
        major = Math.floor(v / 65536);
        minor = v % 65536;
      }
      out.push(op === 'ge' || op === 'gt' ? `${major}.${minor}:` : `:${major}.${minor}`);
      continue;
    }
    const v = Number(readInt64(w));
    if (!/^\d+$/.test(w)) {
      out.push(w);
      continue;
    }
    switch (op) {
      case 'gt':
        out.push(`${v + 1}:`);
        break;
      case 'ge':
        out.push(`${v}:`);
        break;
      case 'lt':
        out.push(`:${v - 1}`);
        break;
      case 'le':
        out.push(`:${v}`);
        break;
    }
  }
  return out;
}
