/**
 * Runtime samples: the seven HAProxy sample types, the Sample object that
 * fetches fill and converters transform, and HAProxy's cast matrix
 * (sample_casts in sample.c). Strings are "binary" JS strings (one char per
 * byte, latin1), binary blocks are Buffers, IPv4 addresses are uint32 numbers,
 * IPv6 addresses are 16-byte Buffers. Integers are numbers, or bigints when a
 * 64-bit value does not fit a double exactly.
 */

export const enum T {
  ANY = 0,
  BOOL = 1,
  SINT = 2,
  ADDR = 3,
  IPV4 = 4,
  IPV6 = 5,
  STR = 6,
  BIN = 7,
  METH = 8,
}

export const TYPE_NAMES = ['any', 'bool', 'sint', 'addr', 'ipv4', 'ipv6', 'str', 'bin', 'meth'];

/** The type names of the fetch/converter tables ("str", "sint", "ipv4"...) to T. */
export function typeOf(name: string): T {
  switch (name) {
    case 'bool':
    case 'boolean':
      return T.BOOL;
    case 'sint':
    case 'integer':
      return T.SINT;
    case 'addr':
    case 'ip':
      return T.ADDR;
    case 'ipv4':
      return T.IPV4;
    case 'ipv6':
      return T.IPV6;
    case 'str':
    case 'string':
      return T.STR;
    case 'bin':
    case 'binary':
      return T.BIN;
    case 'meth':
    case 'method':
      return T.METH;
    default:
      return T.ANY;
  }
}

/* sample flags (SMP_F_*) */
export const F_MAY_CHANGE = 1;
export const F_NOT_LAST = 2;
/* evaluation options (SMP_OPT_*) */
export const OPT_ITERATE = 1;
export const OPT_FINAL = 2;
export const OPT_RES = 4;

export type SInt = number | bigint;

/** One sample. Fetches write t/v/flags; i, j and o are the fetch's own iteration state. */
export class Sample {
  t: T = T.ANY;
  v: any = undefined;
  flags = 0;
  opt = 0;
  /** fetch iteration state: never touched by converters */
  i = 0;
  j = 0;
  o: unknown = undefined;

  reset(opt: number): this {
    this.t = T.ANY;
    this.v = undefined;
    this.flags = 0;
    this.opt = opt;
    this.i = 0;
    this.j = 0;
    this.o = undefined;
    return this;
  }
  setStr(s: string): true {
    this.t = T.STR;
    this.v = s;
    return true;
  }
  setInt(n: SInt): true {
    this.t = T.SINT;
    this.v = n;
    return true;
  }
  setBool(b: boolean | number): true {
    this.t = T.BOOL;
    this.v = b ? 1 : 0;
    return true;
  }
  setBin(b: Buffer): true {
    this.t = T.BIN;
    this.v = b;
    return true;
  }
}

/** A stored typed value (variables, map values, pattern data). */
export interface SmpValue {
  t: T;
  v: any;
}

/* ---- 64-bit integers ------------------------------------------------------------ */

export const LLONG_MAX = 9223372036854775807n;
export const LLONG_MIN = -9223372036854775808n;

/** Normalises a 64-bit value: a number when it is exactly representable. */
export function normInt(b: bigint): SInt {
  if (b > LLONG_MAX || b < LLONG_MIN) b = BigInt.asIntN(64, b);
  if (b >= -9007199254740991n && b <= 9007199254740991n) return Number(b);
  return b;
}

export function big(n: SInt): bigint {
  return typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
}

/** HAProxy's read_int64: optional sign, then digits until a non-digit. */
export function readInt64(s: string): SInt {
  let i = 0;
  let neg = false;
  if (s[0] === '-') {
    neg = true;
    i++;
  } else if (s[0] === '+') i++;
  let n = 0;
  const start = i;
  while (i < s.length) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    i++;
  }
  if (n > 9007199254740991) {
    // exact 64-bit arithmetic (wraps as C's does)
    let b = 0n;
    for (let k = start; k < i; k++) b = BigInt.asIntN(64, b * 10n + BigInt(s.charCodeAt(k) - 48));
    return normInt(neg ? -b : b);
  }
  return neg ? -n : n;
}

/** strtoll-like strict parse; undefined when the text is not an integer. */
export function parseIntStrict(s: string): SInt | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  return readInt64(s);
}

/* ---- addresses --------------------------------------------------------------------- */

/** inet_pton(AF_INET): four decimal parts. */
export function parseIPv4(s: string): number | undefined {
  let n = 0;
  let parts = 0;
  let cur = -1;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (cur < 0 || parts >= 4) return undefined;
      n = n * 256 + cur;
      parts++;
      cur = -1;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return undefined;
    // inet_pton refuses leading zeros ("01")
    if (digits === 1 && cur === 0) return undefined;
    cur = (cur < 0 ? 0 : cur) * 10 + (c - 48);
    digits++;
    if (cur > 255) return undefined;
  }
  return parts === 4 ? n >>> 0 : undefined;
}

/**
 * HAProxy's buf2ip (the string to IPv4 cast): four dotted decimal octets,
 * stopping at the first other character ("10.0.0.1:8080" gives 10.0.0.1).
 */
export function buf2ip(s: string): number | undefined {
  let octets = 0;
  let cur = 0;
  let saw = false;
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    const d = c - 48;
    if (d > 9 || d < 0) {
      if (c !== 46) break;
      if (!saw || octets === 4) return undefined;
      n = n * 256 + cur;
      cur = 0;
      saw = false;
      continue;
    }
    cur = cur * 10 + d;
    if (cur > 255) return undefined;
    if (!saw) {
      if (++octets > 4) return undefined;
      saw = true;
    }
  }
  if (octets < 4 || !saw) return undefined;
  return (n * 256 + cur) >>> 0;
}

/** inet_aton: 1 to 4 parts (a, a.b, a.b.c), decimal/octal/hex. Used for ACL patterns (str2net). */
export function parseIPv4Loose(s: string): number | undefined {
  const strict = parseIPv4(s);
  if (strict !== undefined) return strict;
  const parts = s.split('.');
  if (parts.length > 4 || parts.some((p) => !/^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(p))) return undefined;
  const nums = parts.map((p) => (/^0x/i.test(p) ? parseInt(p.slice(2), 16) : p.length > 1 && p[0] === '0' ? parseInt(p, 8) : parseInt(p, 10)));
  const last = nums.pop()!;
  let n = 0;
  for (const x of nums) {
    if (x > 255) return undefined;
    n = n * 256 + x;
  }
  const rest = 4 - nums.length;
  if (last >= 2 ** (8 * rest)) return undefined;
  return (n * 2 ** (8 * rest) + last) >>> 0;
}

/** inet_pton(AF_INET6). */
export function parseIPv6(s: string): Buffer | undefined {
  if (!s.length || s.length > 45) return undefined;
  const out = Buffer.alloc(16);
  let head: number[] = [];
  let tail: number[] = [];
  let dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const parseGroups = (part: string, into: number[], allowV4: boolean): boolean => {
    if (part === '') return true;
    const g = part.split(':');
    for (let k = 0; k < g.length; k++) {
      const w = g[k];
      if (k === g.length - 1 && allowV4 && w.includes('.')) {
        const v4 = parseIPv4(w);
        if (v4 === undefined) return false;
        into.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return false;
      into.push(parseInt(w, 16));
    }
    return true;
  };
  if (dbl >= 0) {
    if (!parseGroups(s.slice(0, dbl), head, false)) return undefined;
    if (!parseGroups(s.slice(dbl + 2), tail, true)) return undefined;
    if (head.length + tail.length > 7) return undefined;
  } else {
    if (!parseGroups(s, head, true)) return undefined;
    if (head.length !== 8) return undefined;
  }
  for (let k = 0; k < head.length; k++) out.writeUInt16BE(head[k], k * 2);
  for (let k = 0; k < tail.length; k++) out.writeUInt16BE(tail[k], 16 - (tail.length - k) * 2);
  return out;
}

export function ipv4ToStr(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** glibc's inet_ntop(AF_INET6): longest zero run (>= 2 words) as "::", mapped/compatible IPv4 as dotted quad. */
export function ipv6ToStr(b: Buffer): string {
  const w: number[] = [];
  for (let k = 0; k < 8; k++) w.push(b.readUInt16BE(k * 2));
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let k = 0; k < 8; k++) {
    if (w[k] === 0) {
      if (curBase < 0) {
        curBase = k;
        curLen = 1;
      } else curLen++;
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (bestBase >= 0 && k >= bestBase && k < bestBase + bestLen) {
      if (k === bestBase) out += ':';
      continue;
    }
    if (k) out += ':';
    if (k === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += w[k].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

export function v4tov6(n: number): Buffer {
  const b = Buffer.alloc(16);
  b[10] = 0xff;
  b[11] = 0xff;
  b.writeUInt32BE(n >>> 0, 12);
  return b;
}

/** HAProxy's v6tov4: IPv4-mapped (::ffff:a.b.c.d) or 6to4 (2002:AABB:CCDD::). */
export function v6tov4(b: Buffer): number | undefined {
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let k = 0; k < 10 && mapped; k++) if (b[k] !== 0) mapped = false;
  if (mapped) return b.readUInt32BE(12);
  if (b[0] === 0x20 && b[1] === 0x02) return b.readUInt32BE(2);
  return undefined;
}

/** Text address (as a socket reports it) to a sample value. */
export function setAddr(smp: Sample, addr: string | undefined): boolean {
  if (!addr) return false;
  let a = addr;
  if (a.startsWith('::ffff:') && a.indexOf('.') > 0) {
    // Node reports IPv4 clients of a dual-stack socket this way; HAProxy sees an AF_INET6 address
    const b = parseIPv6(a);
    if (!b) return false;
    smp.t = T.IPV6;
    smp.v = b;
    return true;
  }
  const v4 = parseIPv4(a);
  if (v4 !== undefined) {
    smp.t = T.IPV4;
    smp.v = v4;
    return true;
  }
  const pct = a.indexOf('%');
  if (pct > 0) a = a.slice(0, pct);
  const v6 = parseIPv6(a);
  if (!v6) return false;
  smp.t = T.IPV6;
  smp.v = v6;
  return true;
}

/* ---- strings ---------------------------------------------------------------------- */

const HIGH_UPPER = /[\xc0-\xde]/;
let lastIn = '';
let lastOut = '';
/** ASCII-only lowercasing (tolower in the C locale); the last result is kept (rules lowercase the same header in turn). */
export function lowerAscii(s: string): string {
  if (s === lastIn) return lastOut;
  const l = s.toLowerCase();
  if (l.length === s.length && !HIGH_UPPER.test(s)) {
    lastIn = s;
    lastOut = l;
    return l;
  }
  let o = '';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    o += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[k];
  }
  return o;
}
const HIGH_LOWER = /[\xe0-\xfe\xb5\xff]/;
export function upperAscii(s: string): string {
  const u = s.toUpperCase();
  if (u.length === s.length && !HIGH_LOWER.test(s)) return u;
  let o = '';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    o += c >= 97 && c <= 122 ? String.fromCharCode(c - 32) : s[k];
  }
  return o;
}

export function strToBuf(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
export function bufToStr(b: Buffer): string {
  return b.toString('latin1');
}

/* ---- HTTP methods ---------------------------------------------------------------- */

export const KNOWN_METHODS = new Set(['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']);

/* ---- the cast matrix ---------------------------------------------------------------- */

function int2bin(n: SInt): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt.asIntN(64, big(n)));
  return b;
}

function low32(n: SInt): number {
  return typeof n === 'bigint' ? Number(BigInt.asUintN(32, n)) : Number(BigInt.asUintN(32, BigInt(Math.trunc(n))));
}

/**
 * sample_casts[from][to]: converts smp in place; false when the cast is
 * impossible or fails. ADDR as a target accepts IPv4 and IPv6.
 */
export function cast(smp: Sample, to: T): boolean {
  const from = smp.t;
  if (from === to || to === T.ANY) return true;
  switch (from) {
    case T.BOOL:
      switch (to) {
        case T.SINT:
          smp.t = T.SINT;
          return true;
        case T.STR:
          smp.t = T.STR;
          smp.v = smp.v ? '1' : '0';
          return true;
        case T.BIN:
          smp.t = T.BIN;
          smp.v = int2bin(smp.v ? 1 : 0);
          return true;
      }
      return false;
    case T.SINT:
      switch (to) {
        case T.BOOL:
          smp.t = T.BOOL;
          smp.v = smp.v ? 1 : 0;
          return true;
        case T.ADDR:
        case T.IPV4:
          smp.t = T.IPV4;
          smp.v = low32(smp.v);
          return true;
        case T.IPV6:
          smp.t = T.IPV6;
          smp.v = v4tov6(low32(smp.v));
          return true;
        case T.STR:
          smp.t = T.STR;
          smp.v = String(smp.v);
          return true;
        case T.BIN:
          smp.t = T.BIN;
          smp.v = int2bin(smp.v);
          return true;
      }
      return false;
    case T.IPV4:
      switch (to) {
        case T.SINT:
          smp.t = T.SINT;
          return true;
        case T.ADDR:
          return true;
        case T.IPV6:
          smp.t = T.IPV6;
          smp.v = v4tov6(smp.v);
          return true;
        case T.STR:
          smp.t = T.STR;
          smp.v = ipv4ToStr(smp.v);
          return true;
        case T.BIN: {
          const b = Buffer.alloc(4);
          b.writeUInt32BE(smp.v >>> 0);
          smp.t = T.BIN;
          smp.v = b;
          return true;
        }
      }
      return false;
    case T.IPV6:
      switch (to) {
        case T.ADDR:
          return true;
        case T.IPV4: {
          const v4 = v6tov4(smp.v);
          if (v4 === undefined) return false;
          smp.t = T.IPV4;
          smp.v = v4;
          return true;
        }
        case T.STR:
          smp.t = T.STR;
          smp.v = ipv6ToStr(smp.v);
          return true;
        case T.BIN:
          smp.t = T.BIN;
          smp.v = Buffer.from(smp.v);
          return true;
      }
      return false;
    case T.STR:
      switch (to) {
        case T.BOOL:
        case T.SINT:
          if (!(smp.v as string).length) return false;
          smp.t = T.SINT;
          smp.v = readInt64(smp.v);
          if (to === T.BOOL) smp.t = T.SINT; // c_str2int leaves an integer
          return true;
        case T.ADDR: {
          const v4 = buf2ip(smp.v);
          if (v4 !== undefined) {
            smp.t = T.IPV4;
            smp.v = v4;
            return true;
          }
          const v6 = parseIPv6(smp.v);
          if (!v6) return false;
          smp.t = T.IPV6;
          smp.v = v6;
          return true;
        }
        case T.IPV4: {
          const v4 = buf2ip(smp.v);
          if (v4 === undefined) return false;
          smp.t = T.IPV4;
          smp.v = v4;
          return true;
        }
        case T.IPV6: {
          const v6 = parseIPv6(smp.v);
          if (!v6) return false;
          smp.t = T.IPV6;
          smp.v = v6;
          return true;
        }
        case T.BIN:
          smp.t = T.BIN;
          smp.v = strToBuf(smp.v);
          return true;
        case T.METH:
          smp.t = T.METH;
          return true;
      }
      return false;
    case T.BIN:
      switch (to) {
        case T.STR: {
          const b = smp.v as Buffer;
          const z = b.indexOf(0);
          smp.t = T.STR;
          smp.v = bufToStr(z >= 0 ? b.subarray(0, z) : b);
          return true;
        }
        case T.METH:
          smp.t = T.METH;
          smp.v = bufToStr(smp.v);
          return true;
      }
      return false;
    case T.METH:
      switch (to) {
        case T.STR:
          smp.t = T.STR;
          return true;
        case T.BIN:
          smp.t = T.BIN;
          smp.v = strToBuf(smp.v);
          return true;
      }
      return false;
    case T.ADDR:
      return false;
  }
  return false;
}

/** Whether sample_casts[from][to] exists (parse-time check of converter chains). */
export function canCast(from: T, to: T): boolean {
  if (from === to || to === T.ANY || from === T.ANY) return true;
  const ok: Record<number, T[]> = {
    [T.BOOL]: [T.SINT, T.STR, T.BIN],
    [T.SINT]: [T.BOOL, T.ADDR, T.IPV4, T.IPV6, T.STR, T.BIN],
    [T.ADDR]: [T.IPV4, T.IPV6, T.STR, T.BIN],
    [T.IPV4]: [T.SINT, T.ADDR, T.IPV6, T.STR, T.BIN],
    [T.IPV6]: [T.ADDR, T.IPV4, T.STR, T.BIN],
    [T.STR]: [T.BOOL, T.SINT, T.ADDR, T.IPV4, T.IPV6, T.BIN, T.METH],
    [T.BIN]: [T.STR, T.METH],
    [T.METH]: [T.STR, T.BIN],
  };
  return ok[from]?.includes(to) ?? false;
}

/** The sample as text (what a log-format %[...] prints), or undefined when it cannot be a string. */
export function sampleToString(smp: Sample): string | undefined {
  switch (smp.t) {
    case T.STR:
    case T.METH:
      return smp.v;
    case T.BOOL:
      return smp.v ? '1' : '0';
    case T.SINT:
      return String(smp.v);
    case T.IPV4:
      return ipv4ToStr(smp.v);
    case T.IPV6:
      return ipv6ToStr(smp.v);
    case T.BIN: {
      const b = smp.v as Buffer;
      const z = b.indexOf(0);
      return bufToStr(z >= 0 ? b.subarray(0, z) : b);
    }
  }
  return undefined;
}
