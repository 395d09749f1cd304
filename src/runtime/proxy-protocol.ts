/**
 * The PROXY protocol as HAProxy 2.6 speaks it.
 *
 * Sending (`send-proxy`, `send-proxy-v2`, `check-send-proxy`): the bytes of
 * make_proxy_line_v1/v2. v1 writes "PROXY TCP4|TCP6 src dst sport dport\r\n"
 * or "PROXY UNKNOWN\r\n"; when either side is IPv6 both are written as IPv6
 * (IPv4 ones mapped to ::ffff:a.b.c.d), and an IPv4-mapped IPv6 address stays
 * IPv6 (a `v4v6` listener reports "TCP6 ::ffff:127.0.0.1 ..."). v2 adds no TLV
 * unless asked (ALPN is added whenever the client connection negotiated one),
 * and health checks send the LOCAL command (16 bytes, no address).
 *
 * Receiving (`accept-proxy`): conn_recv_proxy. HAProxy peeks at the first
 * bytes received and decides at once: an incomplete header on that first
 * read is an error ("Truncated PROXY protocol header received"), as is any
 * malformed one; the connection is then closed with the unread bytes still
 * pending, which makes the kernel send a RST. Nothing received within
 * `timeout client` closes the connection normally (FIN). Each failure is
 * logged as "<src>:<port> [<date>] <frontend>/<listener>: <message>".
 */
import { hashCrc32c } from './lb/hash.js';

export const PP2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** TLV types HAProxy knows */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;

/** PP2_AUTHORITY_MAX and UNIQUEID_LEN: longer TLVs make the header invalid */
const AUTHORITY_MAX = 255;
const UNIQUE_ID_MAX = 128;

export interface ProxyEndpoint {
  /** IPv4 dotted text or IPv6 text; an address with ':' is IPv6 (also ::ffff:a.b.c.d) */
  address: string;
  port: number;
}

export interface ProxyTlv {
  type: number;
  value: Uint8Array;
}

// ---------------------------------------------------------------------------
// Addresses

/** "a.b.c.d" → 4 bytes (strict dotted quad, as inet_pton) */
export function parseIPv4(text: string): Uint8Array | undefined {
  const p = text.split('.');
  if (p.length !== 4) return undefined;
  const b = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // inet_pton refuses leading zeros and empty parts
    if (!/^(0|[1-9]\d{0,2})$/.test(p[i])) return undefined;
    const v = Number(p[i]);
    if (v > 255) return undefined;
    b[i] = v;
  }
  return b;
}

/** inet_pton(AF_INET6): 16 bytes or undefined */
export function parseIPv6(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let s = text;
  let v4: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) >= 0) {
    v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    s = s.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::", "x:1.2.3.4" leaves "x:" (the group separator)
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const maxGroups = v4 ? 6 : 8;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const gs = part.split(':');
    const r: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      r.push(parseInt(g, 16));
    }
    return r;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (!head || !tail) return undefined;
    if (head.length + tail.length > maxGroups - 1) return undefined;
    groups = [...head, ...new Array<number>(maxGroups - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(s);
    if (!all || all.length !== maxGroups) return undefined;
    groups = all;
  }
  for (let i = 0; i < maxGroups; i++) {
    out[2 * i] = groups[i] >> 8;
    out[2 * i + 1] = groups[i] & 0xff;
  }
  if (v4) out.set(v4, 12);
  return out;
}

/** inet_ntop(AF_INET6) as glibc writes it (longest zero run compressed, embedded IPv4 for ::ffff: and ::a.b.c.d) */
export function formatIPv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i] << 8) | b[2 * i + 1]);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) {
        curBase = i;
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
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 7 && w[7] !== 0x0001) || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += w[i].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

function formatIPv4(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** the address family HAProxy would hold for this text: 4, 6, or undefined (unix, unknown) */
function familyOf(address: string): { fam: 4 | 6; bytes: Uint8Array } | undefined {
  let a = address;
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const z = a.indexOf('%');
  if (z >= 0) a = a.slice(0, z);
  if (a.includes(':')) {
    const b = parseIPv6(a);
    return b ? { fam: 6, bytes: b } : undefined;
  }
  const b = parseIPv4(a);
  return b ? { fam: 4, bytes: b } : undefined;
}

/** v4tov6: ::ffff:a.b.c.d */
function mapped(b4: Uint8Array): Uint8Array {
  const b = new Uint8Array(16);
  b[10] = b[11] = 0xff;
  b.set(b4, 12);
  return b;
}

// ---------------------------------------------------------------------------
// Encoding

/**
 * make_proxy_line_v1. Without both addresses (unix sockets, unknown
 * families) the line is "PROXY UNKNOWN\r\n".
 */
export function encodeProxyV1(src?: ProxyEndpoint, dst?: ProxyEndpoint): Buffer {
  const s = src && familyOf(src.address);
  const d = dst && familyOf(dst.address);
  if (!s || !d) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  let line: string;
  if (s.fam === 4 && d.fam === 4) {
    line = `PROXY TCP4 ${formatIPv4(s.bytes)} ${formatIPv4(d.bytes)} ${src!.port & 0xffff} ${dst!.port & 0xffff}\r\n`;
  } else {
    const s6 = s.fam === 4 ? mapped(s.bytes) : s.bytes;
    const d6 = d.fam === 4 ? mapped(d.bytes) : d.bytes;
    line = `PROXY TCP6 ${formatIPv6(s6)} ${formatIPv6(d6)} ${src!.port & 0xffff} ${dst!.port & 0xffff}\r\n`;
  }
  return Buffer.from(line, 'latin1');
}

export interface ProxyV2Options {
  src?: ProxyEndpoint;
  dst?: ProxyEndpoint;
  /**
   * LOCAL command: what HAProxy sends on its own connections (health checks
   * with check-send-proxy), and whenever an address is missing
   */
  local?: boolean;
  /** `proxy-v2-options crc32c` */
  crc32c?: boolean;
  /** the ALPN the client connection negotiated: HAProxy always forwards it */
  alpn?: string | Uint8Array;
  /** `proxy-v2-options authority`: the SNI (or received authority) */
  authority?: string | Uint8Array;
  /** `proxy-v2-options unique-id`: the stream's unique id */
  uniqueId?: string | Uint8Array;
  /** further TLVs appended after HAProxy's (not sent by HAProxy itself) */
  extra?: ProxyTlv[];
}

function tlvBytes(type: number, v: string | Uint8Array): Buffer {
  const value = typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from(v);
  const b = Buffer.alloc(3 + value.length);
  b[0] = type;
  b.writeUInt16BE(value.length & 0xffff, 1);
  value.copy(b, 3);
  return b;
}

/** make_proxy_line_v2 */
export function encodeProxyV2(o: ProxyV2Options = {}): Buffer {
  const s = o.src && familyOf(o.src.address);
  const d = o.dst && familyOf(o.dst.address);
  const parts: Buffer[] = [];
  const head = Buffer.alloc(16);
  PP2_SIGNATURE.copy(head, 0);
  parts.push(head);
  if (o.local || !s || !d) {
    head[12] = 0x20; // v2, LOCAL
    head[13] = 0x00; // AF_UNSPEC, UNSPEC
  } else if (s.fam === 4 && d.fam === 4) {
    head[12] = 0x21;
    head[13] = 0x11; // TCP over IPv4
    const a = Buffer.alloc(12);
    a.set(s.bytes, 0);
    a.set(d.bytes, 4);
    a.writeUInt16BE(o.src!.port & 0xffff, 8);
    a.writeUInt16BE(o.dst!.port & 0xffff, 10);
    parts.push(a);
  } else {
    head[12] = 0x21;
    head[13] = 0x21; // TCP over IPv6
    const a = Buffer.alloc(36);
    a.set(s.fam === 4 ? mapped(s.bytes) : s.bytes, 0);
    a.set(d.fam === 4 ? mapped(d.bytes) : d.bytes, 16);
    a.writeUInt16BE(o.src!.port & 0xffff, 32);
    a.writeUInt16BE(o.dst!.port & 0xffff, 34);
    parts.push(a);
  }
  let crcAt = -1;
  if (o.crc32c) {
    crcAt = parts.reduce((n, p) => n + p.length, 0) + 3;
    parts.push(tlvBytes(PP2_TYPE.CRC32C, new Uint8Array(4)));
  }
  if (o.alpn !== undefined) parts.push(tlvBytes(PP2_TYPE.ALPN, o.alpn));
  if (o.authority !== undefined) parts.push(tlvBytes(PP2_TYPE.AUTHORITY, o.authority));
  if (o.uniqueId !== undefined) parts.push(tlvBytes(PP2_TYPE.UNIQUE_ID, o.uniqueId));
  for (const t of o.extra ?? []) parts.push(tlvBytes(t.type, t.value));
  const out = Buffer.concat(parts);
  out.writeUInt16BE((out.length - 16) & 0xffff, 14);
  if (crcAt >= 0) out.writeUInt32BE(hashCrc32c(out), crcAt);
  return out;
}

// ---------------------------------------------------------------------------
// Decoding

export type ProxyErrorCode = 'empty' | 'abort' | 'timeout' | 'truncated' | 'not-header' | 'bad-header' | 'bad-proto';

/** conn_err_code_str: the text HAProxy logs for each failure */
export const PROXY_ERROR_MESSAGES: Record<ProxyErrorCode, string> = {
  empty: 'Connection closed while waiting for PROXY protocol header',
  abort: 'Connection error while waiting for PROXY protocol header',
  timeout: 'Timeout while waiting for PROXY protocol header',
  truncated: 'Truncated PROXY protocol header received',
  'not-header': 'Received something which does not look like a PROXY protocol header',
  'bad-header': 'Received an invalid PROXY protocol header',
  'bad-proto': 'Received an unhandled protocol in the PROXY protocol header',
};

export interface ProxyHeader {
  version: 1 | 2;
  /**
   * 'proxy': the addresses below replace the connection's;
   * 'local': keep the connection's own addresses (v2 LOCAL, v1 UNKNOWN,
   * v2 PROXY with a family HAProxy does not handle)
   */
  command: 'proxy' | 'local';
  family: 'tcp4' | 'tcp6' | 'unknown';
  src?: ProxyEndpoint;
  dst?: ProxyEndpoint;
  /** v2 TLVs in order (values are copies) */
  tlvs: ProxyTlv[];
  /** PP2_TYPE_AUTHORITY (fc_pp_authority) */
  authority?: string;
  /** PP2_TYPE_UNIQUE_ID (fc_pp_unique_id) */
  uniqueId?: string;
}

export type ProxyDecodeResult =
  | { kind: 'need-more' }
  | {
      kind: 'error';
      code: ProxyErrorCode;
      message: string;
      /** addresses HAProxy had already taken before failing (a bad v2 TLV): they show in its log line */
      src?: ProxyEndpoint;
    }
  | { kind: 'ok'; header: ProxyHeader; length: number };

const NEED_MORE: ProxyDecodeResult = { kind: 'need-more' };

function fail(code: ProxyErrorCode, src?: ProxyEndpoint): ProxyDecodeResult {
  return src ? { kind: 'error', code, message: PROXY_ERROR_MESSAGES[code], src } : { kind: 'error', code, message: PROXY_ERROR_MESSAGES[code] };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** read_uint: decimal digits up to `end`, wrapping at 32 bits */
function readUint(b: Uint8Array, at: number, end: number): [number, number] {
  let v = 0;
  let p = at;
  while (p < end && isDigit(b[p])) {
    v = (Math.imul(v, 10) + (b[p] - 0x30)) >>> 0;
    p++;
  }
  return [v, p];
}

/**
 * inetaddr_host_lim_ret: HAProxy's lenient dotted-quad reader. Up to four
 * dot-separated groups of digits, each keeping its last three digits; a
 * group over 255 carries into the next byte ("1.2.3.999" is 1.2.6.231),
 * missing groups are 0 ("1.2" is 1.2.0.0).
 */
function readDotted(b: Uint8Array, at: number, stop: number): [number, number] {
  // hundreds, tens and units of each of the four groups
  const dig = [0, 0, 0, 0].map(() => [0, 0, 0]);
  let s = 0;
  let p = at;
  let text = at;
  for (;;) {
    while (p < stop && isDigit(b[p])) p++;
    if (p > text) {
      let q = p - 1;
      dig[s][2] = b[q] - 0x30;
      if (q > text) {
        q--;
        dig[s][1] = b[q] - 0x30;
        if (q > text) {
          q--;
          dig[s][0] = b[q] - 0x30;
        }
      }
    }
    if (s === 3 || p === stop || b[p] !== 0x2e) break;
    s++;
    text = ++p;
  }
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const g = dig[i][0] * 100 + dig[i][1] * 10 + dig[i][2];
    v = (v + g * 2 ** (8 * (3 - i))) % 0x100000000;
  }
  return [v >>> 0, p];
}

function u32ToIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** the C string at `at`: bytes up to the first NUL (or `end`) */
function cString(b: Uint8Array, at: number, end: number): string {
  let e = at;
  while (e < end && b[e] !== 0) e++;
  return Buffer.from(b.subarray(at, e)).toString('latin1');
}

function startsWith(b: Uint8Array, at: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** the bytes present match the beginning of `s` but stop before its end */
function prefixOf(b: Uint8Array, at: number, s: string): boolean {
  const n = b.length - at;
  if (n >= s.length) return false;
  for (let i = 0; i < n; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

function decodeV1(b: Uint8Array): ProxyDecodeResult {
  const end = b.length;
  let line = 6;
  if (end < 9) return NEED_MORE;
  if (startsWith(b, line, 'TCP4 ')) {
    line += 5;
    const [src3, p1] = readDotted(b, line, end);
    line = p1;
    if (line === end) return NEED_MORE;
    if (b[line++] !== 0x20) return fail('bad-header');
    const [dst3, p2] = readDotted(b, line, end);
    line = p2;
    if (line === end) return NEED_MORE;
    if (b[line++] !== 0x20) return fail('bad-header');
    const [sport, p3] = readUint(b, line, end);
    line = p3;
    if (line === end) return NEED_MORE;
    if (b[line++] !== 0x20) return fail('bad-header');
    const [dport, p4] = readUint(b, line, end);
    line = p4;
    if (line > end - 2) return NEED_MORE;
    if (b[line++] !== 0x0d) return fail('bad-header');
    if (b[line++] !== 0x0a) return fail('bad-header');
    return {
      kind: 'ok',
      length: line,
      header: {
        version: 1,
        command: 'proxy',
        family: 'tcp4',
        src: { address: u32ToIPv4(src3), port: sport & 0xffff },
        dst: { address: u32ToIPv4(dst3), port: dport & 0xffff },
        tlvs: [],
      },
    };
  }
  if (startsWith(b, line, 'TCP6 ')) {
    line += 5;
    // HAProxy cuts the line in place: each space becomes a NUL
    const w = Uint8Array.from(b.subarray(0, end));
    const srcAt = line;
    let dstAt = -1;
    let sportAt = -1;
    let dportAt = -1;
    for (;;) {
      if (line > end - 2) return NEED_MORE;
      if (w[line] === 0x0d) {
        w[line] = 0;
        line++;
        if (w[line++] !== 0x0a) return fail('bad-header');
        break;
      }
      if (w[line] === 0x20) {
        w[line] = 0;
        if (dstAt < 0) dstAt = line + 1;
        else if (sportAt < 0) sportAt = line + 1;
        else if (dportAt < 0) dportAt = line + 1;
      }
      line++;
    }
    if (dstAt < 0 || sportAt < 0 || dportAt < 0) return fail('bad-header');
    const [sport, ps] = readUint(w, sportAt, dportAt - 1);
    if (w[ps] !== 0) return fail('bad-header');
    const [dport, pd] = readUint(w, dportAt, line - 2);
    if (w[pd] !== 0) return fail('bad-header');
    const s6 = parseIPv6(cString(w, srcAt, end));
    if (!s6) return fail('bad-header');
    const d6 = parseIPv6(cString(w, dstAt, end));
    if (!d6) return fail('bad-header');
    return {
      kind: 'ok',
      length: line,
      header: {
        version: 1,
        command: 'proxy',
        family: 'tcp6',
        src: { address: formatIPv6(s6), port: sport & 0xffff },
        dst: { address: formatIPv6(d6), port: dport & 0xffff },
        tlvs: [],
      },
    };
  }
  if (startsWith(b, line, 'UNKNOWN\r\n')) {
    return { kind: 'ok', length: line + 9, header: { version: 1, command: 'local', family: 'unknown', tlvs: [] } };
  }
  // HAProxy compares past the data it has; a valid beginning may still complete
  if (prefixOf(b, line, 'TCP4 ') || prefixOf(b, line, 'TCP6 ') || prefixOf(b, line, 'UNKNOWN\r\n')) return NEED_MORE;
  return fail('bad-proto');
}

function decodeV2(b: Uint8Array): ProxyDecodeResult {
  if (b.length < 16) return NEED_MORE;
  for (let i = 0; i < 12; i++) if (b[i] !== PP2_SIGNATURE[i]) return fail('not-header');
  const verCmd = b[12];
  if ((verCmd & 0xf0) !== 0x20) return fail('not-header');
  const len = (b[14] << 8) | b[15];
  const total = 16 + len;
  if (b.length < total) return NEED_MORE;
  const cmd = verCmd & 0x0f;
  if (cmd === 0x00) {
    // LOCAL: keep the connection's addresses, TLVs are not even looked at
    return { kind: 'ok', length: total, header: { version: 2, command: 'local', family: 'unknown', tlvs: [] } };
  }
  if (cmd !== 0x01) return fail('bad-header');
  const fam = b[13];
  const h: ProxyHeader = { version: 2, command: 'local', family: 'unknown', tlvs: [] };
  // HAProxy starts its TLV walk at 0 for families it does not handle
  let tlvAt = 0;
  if (fam === 0x11) {
    if (len < 12) return fail('bad-header');
    h.command = 'proxy';
    h.family = 'tcp4';
    h.src = { address: formatIPv4(b, 16), port: (b[24] << 8) | b[25] };
    h.dst = { address: formatIPv4(b, 20), port: (b[26] << 8) | b[27] };
    tlvAt = 28;
  } else if (fam === 0x21) {
    if (len < 36) return fail('bad-header');
    h.command = 'proxy';
    h.family = 'tcp6';
    h.src = { address: formatIPv6(b.subarray(16, 32)), port: (b[48] << 8) | b[49] };
    h.dst = { address: formatIPv6(b.subarray(32, 48)), port: (b[50] << 8) | b[51] };
    tlvAt = 52;
  }
  while (tlvAt < total) {
    if (tlvAt + 3 > total) return fail('bad-header', h.src);
    const type = b[tlvAt];
    const tlen = (b[tlvAt + 1] << 8) | b[tlvAt + 2];
    const vAt = tlvAt + 3;
    tlvAt = vAt + tlen;
    if (tlvAt > total) return fail('bad-header', h.src);
    const value = Buffer.from(b.subarray(vAt, tlvAt));
    if (type === PP2_TYPE.CRC32C) {
      if (tlen !== 4) return fail('bad-header', h.src);
      const want = value.readUInt32BE(0);
      const copy = Buffer.from(b.subarray(0, total));
      copy.fill(0, vAt, vAt + 4);
      if (hashCrc32c(copy) !== want) return fail('bad-header', h.src);
    } else if (type === PP2_TYPE.AUTHORITY) {
      if (tlen > AUTHORITY_MAX) return fail('bad-header', h.src);
      h.authority = value.toString('latin1');
    } else if (type === PP2_TYPE.UNIQUE_ID) {
      if (tlen > UNIQUE_ID_MAX) return fail('bad-header', h.src);
      h.uniqueId = value.toString('latin1');
    }
    h.tlvs.push({ type, value });
  }
  return { kind: 'ok', length: total, header: h };
}

/**
 * conn_recv_proxy on the bytes received so far. Returns the header and its
 * length, an error, or 'need-more' where HAProxy would report a truncated
 * header (see ProxyHeaderReceiver for what to do with it).
 */
export function decodeProxyHeader(buf: Uint8Array): ProxyDecodeResult {
  if (buf.length < 6) return NEED_MORE;
  if (startsWith(buf, 0, 'PROXY ')) return decodeV1(buf);
  return decodeV2(buf);
}

export interface ProxyReceiverOptions {
  /**
   * keep waiting when the first bytes are an incomplete header. HAProxy 2.6
   * does not (false, the default): whatever the first read brings must hold
   * the whole header.
   */
  waitForMore?: boolean;
  /** tune.bufsize: HAProxy peeks at most this many bytes, a longer header is truncated (16384) */
  bufsize?: number;
}

export type ProxyReceiveResult =
  | { kind: 'need-more' }
  | { kind: 'error'; code: ProxyErrorCode; message: string; src?: ProxyEndpoint }
  /** `rest`: the bytes after the header, to hand to the stream */
  | { kind: 'ok'; header: ProxyHeader; length: number; rest: Buffer };

/**
 * Feeds the bytes of an `accept-proxy` connection, one read at a time. On
 * error the caller logs `message` and resets the connection
 * (socket.resetAndDestroy(): HAProxy leaves the bytes unread, so the kernel
 * answers with a RST); on `timeout client` it calls timeout() and closes
 * normally.
 */
export class ProxyHeaderReceiver {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(private readonly opts: ProxyReceiverOptions = {}) {}

  push(chunk: Uint8Array): ProxyReceiveResult {
    if (this.done) return { kind: 'error', code: 'abort', message: PROXY_ERROR_MESSAGES.abort };
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!this.buf.length) return { kind: 'need-more' };
    const limit = this.opts.bufsize ?? 16384;
    const r = decodeProxyHeader(this.buf.length > limit ? this.buf.subarray(0, limit) : this.buf);
    if (r.kind === 'need-more') {
      if (this.opts.waitForMore && this.buf.length < limit) return r;
      this.done = true;
      return { kind: 'error', code: 'truncated', message: PROXY_ERROR_MESSAGES.truncated };
    }
    this.done = true;
    if (r.kind === 'error') return r;
    return { ...r, rest: this.buf.subarray(r.length) };
  }

  /** the client closed before a complete header */
  end(): ProxyReceiveResult {
    this.done = true;
    if (!this.buf.length) return { kind: 'error', code: 'empty', message: PROXY_ERROR_MESSAGES.empty };
    return { kind: 'error', code: 'truncated', message: PROXY_ERROR_MESSAGES.truncated };
  }

  /** `timeout client` expired while waiting */
  timeout(): ProxyReceiveResult {
    this.done = true;
    return { kind: 'error', code: 'timeout', message: PROXY_ERROR_MESSAGES.timeout };
  }
}
