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

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIPv4(s: string): boolean {
  const m = IPV4.exec(s);
  return !!m && m.slice(1).every((x) => +x <= 255);
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
