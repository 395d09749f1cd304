/**
 * The one place that turns argument text into values: times, sizes, integers,
 * addresses and port ranges, with HAProxy's rules and error shapes.
 */
import type { Address } from '../config/model.js';

export const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };

export type TimeResult = { ok: true; ms: number } | { ok: false; reason: 'invalid' | 'overflow' | 'underflow'; at: string };

/**
 * HAProxy's parse_time_err(): digits followed by an optional unit; the value
 * is in `defUnit` (ms unless told otherwise). Overflow beyond 2^31-1 ms.
 */
export function parseTime(text: string, defUnit = 'ms'): TimeResult {
  const m = /^(\d+)([a-z]*)/.exec(text);
  if (!m) return { ok: false, reason: 'invalid', at: text };
  const unit = m[2] || defUnit;
  const mult = TIME_UNITS[unit];
  if (mult === undefined || m[0].length !== text.length) {
    // HAProxy reports the first unexpected character
    const at = mult === undefined ? text.slice(m[1].length) : text.slice(m[0].length);
    return { ok: false, reason: 'invalid', at: at || text };
  }
  const v = Number(m[1]) * mult;
  if (v > 2147483647) return { ok: false, reason: 'overflow', at: text };
  if (Number(m[1]) > 0 && v < 1 && unit === 'us') return { ok: true, ms: 1 };
  return { ok: true, ms: Math.floor(v) };
}

/** Sizes: digits with an optional k/m/g suffix (powers of 1024). */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1048576, g: 1073741824 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

/** atol()-like: leading digits (optionally signed); NaN when none. */
export function atoi(text: string): number {
  const m = /^\s*([-+]?\d+)/.exec(text);
  return m ? parseInt(m[1], 10) : NaN;
}

/** Strict integer: the whole text is a number. */
export function parseInteger(text: string): number | undefined {
  return /^[-+]?\d+$/.test(text) ? parseInt(text, 10) : undefined;
}

export interface AddrParseOptions {
  /** a port is required (bind) */
  needPort?: boolean;
  /** port ranges allowed (bind) */
  ranges?: boolean;
  /** +N / -N offsets allowed (server) */
  offsets?: boolean;
  /** accept a missing port */
  portOptional?: boolean;
  /** DNS names accepted (servers); otherwise only numeric or wildcard */
  hostnames?: boolean;
}

export type AddrResult = { ok: true; addr: Address } | { ok: false; error: string };

/** A dotted quad of decimal numbers, each at most 255 and 3 digits (inet_pton AF_INET). */
export function isIPv4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let digits = 0;
  let v = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || v > 255) return false;
      parts++;
      digits = 0;
      v = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return false;
      v = v * 10 + (c - 48);
    } else return false;
  }
  return parts === 4;
}

export function isIPv6(s: string): boolean {
  if (!s.includes(':')) return false;
  // node's net.isIPv6 is precise; avoid the import cost here with a permissive check
  return /^[0-9A-Fa-f:.]+$/.test(s) && (s.match(/::/g)?.length ?? 0) <= 1;
}

/**
 * Parses `[proto@]host[:port[-end]]` as HAProxy's str2sa_range() does for the
 * common cases: ipv4@, ipv6@, unix@, abns@, fd@, sockpair@, udp@..., bare
 * IPv4/IPv6 (`[::1]:80` and `::1:80` forms), `*`, absolute paths (UNIX sockets).
 */
export function parseAddress(text: string, o: AddrParseOptions = {}): AddrResult {
  let s = text;
  let family: Address['family'] | undefined;
  const proto = /^([a-z0-9]+)@/.exec(s);
  if (proto) {
    const p = proto[1];
    const map: Record<string, Address['family']> = {
      ipv4: 'ipv4', ipv6: 'ipv6', unix: 'unix', abns: 'abns', fd: 'fd', sockpair: 'sockpair',
      udp: 'udp', udp4: 'udp', udp6: 'udp', tcp: 'ipv4', tcp4: 'ipv4', tcp6: 'ipv6', stream: 'ipv4', dgram: 'udp',
      uxst: 'unix', uxdg: 'unix', quic4: 'quic', quic6: 'quic',
    };
    if (!(p in map)) return { ok: false, error: `unknown address family '${p}'` };
    family = map[p];
    s = s.slice(proto[0].length);
    if (family === 'unix' || family === 'abns') return { ok: true, addr: { text, family, host: s } };
    if (family === 'fd' || family === 'sockpair') return { ok: true, addr: { text, family, host: s } };
  } else if (s.startsWith('/')) {
    return { ok: true, addr: { text, family: 'unix', host: s } };
  }
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return { ok: false, error: `invalid address: '${s}' in '${text}'` };
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest.startsWith(':')) portText = rest.slice(1);
    else if (rest) return { ok: false, error: `invalid address: '${s}' in '${text}'` };
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) host = s;
    else {
      host = s.slice(0, colon);
      portText = s.slice(colon + 1);
    }
  }
  const addr: Address = { text, family: family ?? 'ipv4', host };
  if (host === '' || host === '*') {
    addr.wildcard = true;
    if (!family) addr.family = 'ipv4';
  } else if (isIPv4(host)) {
    if (!family) addr.family = 'ipv4';
  } else if (host.includes(':')) {
    if (!isIPv6(host)) return { ok: false, error: `invalid address: '${host}' in '${text}'` };
    addr.family = 'ipv6';
    if (host === '::') addr.wildcard = true;
  } else {
    if (!o.hostnames) return { ok: false, error: `invalid address: '${host}' in '${text}'` };
    addr.family = family === 'ipv6' ? 'ipv6' : 'host';
  }
  if (portText !== undefined && portText !== '') {
    const off = /^([+-])(\d+)$/.exec(portText);
    if (off) {
      if (!o.offsets) return { ok: false, error: `port offset not permitted here in '${text}'` };
      addr.portOffset = (off[1] === '-' ? -1 : 1) * +off[2];
    } else {
      const r = /^(\d+)(?:-(\d+))?$/.exec(portText);
      if (!r) return { ok: false, error: `invalid port '${portText}'` };
      if (r[2] !== undefined && !o.ranges) return { ok: false, error: `port range not permitted here in '${text}'` };
      const p1 = +r[1];
      const p2 = r[2] !== undefined ? +r[2] : p1;
      if (p1 < 1 || p1 > 65535) return { ok: false, error: `invalid port '${r[1]}'` };
      if (p2 < 1 || p2 > 65535) return { ok: false, error: `invalid port '${r[2]}'` };
      if (p2 < p1) return { ok: false, error: `invalid port range '${p1}-${p2}'` };
      addr.port = p1;
      if (r[2] !== undefined) addr.portEnd = p2;
    }
  } else if (o.needPort) {
    return { ok: false, error: `missing port specification in '${text}'` };
  }
  return { ok: true, addr };
}

/**
 * True when a host name resolves without DNS, from /etc/hosts (what HAProxy's
 * parse-time getaddrinfo() finds on a machine without a resolver).
 */
export function resolvesLocally(host: string): boolean {
  if (host === 'localhost') return true;
  let text = '';
  try {
    text = readHosts();
  } catch {
    return false;
  }
  const h = host.toLowerCase();
  for (const line of text.split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    if (words.length > 1 && words.slice(1).some((w) => w.toLowerCase() === h)) return true;
  }
  return false;
}
let hostsCache: string | undefined;
function readHosts(): string {
  if (hostsCache === undefined) hostsCache = readFileSyncForHosts('/etc/hosts', 'utf8');
  return hostsCache as string;
}
import { readFileSync as readFileSyncForHosts } from 'node:fs';

/* ---- str2sa: HAProxy 2.6's str2sa_range(), with its exact messages -------- */

export interface SaOptions {
  /** PA_O_RESOLVE: host names are resolved now (bind: from /etc/hosts) */
  resolve?: boolean;
  /** the caller keeps an FQDN to resolve later (servers) */
  fqdn?: boolean;
  portOk?: boolean;
  portMand?: boolean;
  portRange?: boolean;
  portOfs?: boolean;
  stream?: boolean;
  dgram?: boolean;
  /** PA_O_DEFAULT_DGRAM: an address without a type prefix is a datagram one (log targets) */
  defaultDgram?: boolean;
  /** PA_O_SOCKET_FD: fd@ must name an open socket (bind) */
  socketFd?: boolean;
  /** PA_O_RAW_FD: fd@ accepted as a raw number */
  rawFd?: boolean;
  /** a protocol must exist for the address (bind, or PA_O_CONNECT) */
  needProto?: boolean;
  /** prefix length for UNIX paths (unix-bind prefix) */
  pfxLen?: number;
  getenv?: (name: string) => string | undefined;
}

export type SaResult =
  | { ok: true; addr: Address; fqdn?: string; port: number; low: number; high: number }
  | { ok: false; error: string };

/** HAProxy's env_expand(): `$NAME` and `${NAME}` anywhere in the text; unset gives ''. */
export function envExpand(text: string, getenv: (n: string) => string | undefined): string {
  if (text.indexOf('$') < 0) return text;
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, a, b) => getenv(a ?? b) ?? '');
}

/** inet_aton()-like forms gethostbyname() accepts (`127.1`, `10.0.0`, hex/octal parts). */
function isInetAton(s: string): boolean {
  const parts = s.split('.');
  if (parts.length < 1 || parts.length > 4) return false;
  return parts.every((p) => /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(p));
}

/** str2ip2(): numeric parse (resolve=false) or also names (resolve=true). */
function str2ip(s: string, fam: 'ipv4' | 'ipv6' | undefined, resolve: boolean): 'ipv4' | 'ipv6' | 'any' | undefined {
  if (s === '' || s === '*') return 'any';
  let h = s;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (fam !== 'ipv6' && isIPv4(h)) return 'ipv4';
  if (fam !== 'ipv4' && ipv6Valid(h)) return 'ipv6';
  if (!resolve) return undefined;
  if (fam !== 'ipv6' && isInetAton(h)) return 'ipv4';
  if (resolvesLocally(h)) return fam ?? 'ipv4';
  return undefined;
}

/** Strict IPv6 text check (inet_pton AF_INET6). */
export function ipv6Valid(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return false;
  let head = s;
  let v4 = 0;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    head = s.slice(0, lastColon + 1) + '0:0';
    v4 = 1;
  }
  void v4;
  const dbl = head.split('::');
  if (dbl.length > 2) return false;
  const groups = (x: string) => (x === '' ? [] : x.split(':'));
  const okg = (g: string) => /^[0-9A-Fa-f]{1,4}$/.test(g);
  if (dbl.length === 2) {
    const a = groups(dbl[0]);
    const b = groups(dbl[1]);
    if (![...a, ...b].every(okg)) return false;
    return a.length + b.length <= 7;
  }
  const g = head.split(':');
  return g.length === 8 && g.every(okg);
}

type Fam = 'unspec' | 'ipv4' | 'ipv6' | 'unix' | 'abns' | 'fd' | 'sockpair';
/** str2sa_range()'s address prefixes: family, and forced socket type (stream, dgram, quic) */
const SA_PREFIXES: [string, Fam, ('s' | 'd' | 'q')?][] = [
  ['unix@', 'unix'], ['uxdg@', 'unix', 'd'], ['uxst@', 'unix', 's'], ['abns@', 'abns'],
  ['ipv4@', 'ipv4'], ['ipv6@', 'ipv6'], ['tcp4@', 'ipv4', 's'], ['udp4@', 'ipv4', 'd'],
  ['tcp6@', 'ipv6', 's'], ['udp6@', 'ipv6', 'd'], ['tcp@', 'unspec', 's'], ['udp@', 'unspec', 'd'],
  ['ip@', 'unspec'], ['quic4@', 'ipv4', 'q'], ['quic6@', 'ipv6', 'q'], ['fd@', 'fd'], ['sockpair@', 'sockpair'],
];
const defaultGetenv = (n: string) => process.env[n];
const FAST_V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/;

const FD_ERRNO = (fd: number) => (fd <= 3 ? 'Socket operation on non-socket' : 'Bad file descriptor');

/**
 * Parses an address as HAProxy 2.6's str2sa_range() does, with its messages
 * (without the caller's prefix). Environment variables are expanded first.
 */
export function str2sa(str: string, o: SaOptions): SaResult {
  // the common `a.b.c.d:port` of a stream address in one native regex match: a big
  // configuration has thousands of them, read once, before the JIT has warmed up
  if (o.portOk && o.stream && !o.dgram && !o.defaultDgram) {
    const m = FAST_V4.exec(str);
    if (m && +m[1] <= 255 && +m[2] <= 255 && +m[3] <= 255 && +m[4] <= 255) {
      const port = +m[5];
      if (port <= 65535 && (port > 0 || !o.portMand)) {
        return { ok: true, addr: { text: str, family: 'ipv4', host: str.slice(0, str.length - m[5].length - 1), port }, fqdn: undefined, port, low: port, high: port };
      }
    }
  }
  let s = envExpand(str, o.getenv ?? defaultGetenv);
  if (s === '') return { ok: false, error: `'${str}' resolves to an empty address (environment variable missing?)\n` };
  let sockDgram = !!o.defaultDgram || (!!o.dgram && !o.stream);
  let ctrlDgram = sockDgram;
  if (s.startsWith('stream+')) {
    s = s.slice(7);
    sockDgram = ctrlDgram = false;
  } else if (s.startsWith('dgram+')) {
    s = s.slice(6);
    sockDgram = ctrlDgram = true;
  }
  let fam: Fam = 'unspec';
  let matched = false;
  if (s.indexOf('@') >= 0) for (const [p, f, t] of SA_PREFIXES) {
    if (s.startsWith(p)) {
      s = s.slice(p.length);
      fam = f;
      if (t === 's') sockDgram = ctrlDgram = false;
      else if (t === 'd') sockDgram = ctrlDgram = true;
      else if (t === 'q') {
        sockDgram = true;
        ctrlDgram = false;
      }
      matched = true;
      break;
    }
  }
  if (!matched && s.startsWith('/')) fam = 'unix';
  let port = 0;
  let low = 0;
  let high = 0;
  let fqdn: string | undefined;
  let family: Address['family'];
  let host = s;
  const addr: Address = { text: str, family: 'ipv4', host: s };
  if (fam === 'sockpair' || fam === 'fd') {
    const okInt = /^\d+$/.test(s) || /^[+]?\d+$/.test(s);
    if (!okInt) return { ok: false, error: `file descriptor '${s}' is not a valid integer in '${str}'\n` };
    const fd = parseInt(s, 10);
    if (fam === 'sockpair') return { ok: false, error: `cannot use file descriptor '${fd}' : ${FD_ERRNO(fd)}.\n` };
    if (o.socketFd) return { ok: false, error: `cannot use file descriptor '${fd}' : ${FD_ERRNO(fd)}.\n` };
    if (!o.rawFd) return { ok: false, error: `a file descriptor is not acceptable here in '${str}'\n` };
    addr.family = 'fd';
    return { ok: true, addr, port, low, high };
  } else if (fam === 'unix' || fam === 'abns') {
    const abstract = fam === 'abns';
    const max = 107 - (abstract ? 0 : (o.pfxLen ?? 0) + 1 + 5 + 1 + 3);
    if (Buffer.byteLength(s, 'latin1') > max) return { ok: false, error: `socket path '${str}' too long (max ${max})\n` };
    family = abstract ? 'abns' : 'unix';
  } else {
    let chr = s.length - 1;
    for (; chr > 0; chr--) if (s[chr] === ']' || s[chr] === ':') break;
    let port1: string;
    if (chr >= 0 && s[chr] === ':') {
      if (!o.portOk) return { ok: false, error: `port specification not permitted here in '${str}'` };
      port1 = s.slice(chr + 1);
      host = s.slice(0, chr);
    } else {
      if (o.portMand) return { ok: false, error: `missing port specification in '${str}'` };
      port1 = '';
      host = s;
    }
    if (/^[0-9]/.test(port1)) {
      const dash = port1.indexOf('-');
      let p1 = port1;
      let p2 = port1;
      if (dash >= 0) {
        if (!o.portRange) return { ok: false, error: `port range not permitted here in '${str}'` };
        p1 = port1.slice(0, dash);
        p2 = port1.slice(dash + 1);
      }
      low = atoiC(p1);
      high = atoiC(p2);
      const min = o.portMand ? 1 : 0;
      if (low < min || low > 65535) return { ok: false, error: `invalid port '${p1}'` };
      if (high < min || high > 65535) return { ok: false, error: `invalid port '${p2}'` };
      if (low > high) return { ok: false, error: `invalid port range '${low}-${high}'` };
      port = low;
      addr.port = low;
      if (dash >= 0) addr.portEnd = high;
    } else if (port1[0] === '-' || port1[0] === '+') {
      if (!o.portOfs) return { ok: false, error: `port offset not permitted here in '${str}'` };
      const v = atoiC(port1.slice(1));
      port = port1[0] === '-' ? -v : v;
      if (port1[0] === '-') low = v;
      else high = v;
      addr.portOffset = port;
    } else if (port1) {
      return { ok: false, error: `invalid character '${port1[0]}' in port number '${port1}' in '${str}'\n` };
    } else if (o.portMand) {
      return { ok: false, error: `missing port specification in '${str}'` };
    }
    const pre = fam === 'ipv4' || fam === 'ipv6' ? fam : undefined;
    let got = str2ip(host, pre, false);
    if (!got) {
      if ((!o.resolve && !o.fqdn) || (o.resolve && !str2ip(host, pre, true))) {
        return { ok: false, error: `invalid address: '${host}' in '${str}'\n` };
      }
      if (o.fqdn && !(o.resolve && str2ip(host, pre, true))) fqdn = host;
      else got = str2ip(host, pre, true);
    }
    if (fqdn !== undefined) family = 'host';
    else if (got === 'any') {
      family = pre ?? 'ipv4';
      addr.wildcard = true;
    } else family = got === 'ipv6' ? 'ipv6' : pre ?? 'ipv4';
    if (host === '::' || host === '[::]') addr.wildcard = true;
    if (fam === 'unspec' && got === 'ipv6') family = 'ipv6';
  }
  if (!ctrlDgram && !o.stream) return { ok: false, error: `stream-type address not acceptable in '${str}'\n` };
  if (ctrlDgram && !o.dgram) return { ok: false, error: `dgram-type address not acceptable in '${str}'\n` };
  if (o.needProto && !(fqdn !== undefined)) {
    // no QUIC in this build: stream control over datagram sockets has no protocol
    if (sockDgram && !ctrlDgram) {
      const famNum = family === 'ipv6' ? 10 : family === 'unix' || family === 'abns' ? 1 : 2;
      return {
        ok: false,
        error: `unsupported stream protocol for datagram family ${famNum} address '${str}'; QUIC is not compiled in if this is what you were looking for.`,
      };
    }
  }
  addr.family = sockDgram && !ctrlDgram ? 'quic' : ctrlDgram && (family === 'ipv4' || family === 'ipv6' || family === 'host') ? 'udp' : family;
  addr.host = fam === 'unix' || fam === 'abns' ? s : host;
  return { ok: true, addr, fqdn, port, low, high };
}

/** C atoi(): leading blanks, sign, digits; 0 when none. */
export function atoiC(text: string): number {
  const n = text.length;
  let i = 0;
  let c = n ? text.charCodeAt(0) : 0;
  while (i < n && (c === 32 || (c >= 9 && c <= 13))) c = text.charCodeAt(++i);
  let neg = false;
  if (c === 45 || c === 43) {
    neg = c === 45;
    c = text.charCodeAt(++i);
  }
  let v = 0;
  let digits = 0;
  while (i < n && c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    digits++;
    c = text.charCodeAt(++i);
  }
  if (!digits) return 0;
  if (neg) v = -v;
  return v > 2147483647 || v < -2147483648 ? -1 : v;
}
