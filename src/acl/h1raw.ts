/**
 * HTTP/1 request heads read from raw bytes, for L7 fetches used in tcp mode
 * (HAProxy's smp_prefetch_htx in RAW mode): "more" while the head is
 * incomplete, "invalid" when it can never be HTTP, or the parsed head.
 */
import { ArrayHeaders, type HttpRequestView } from './context.js';

export type RawParse = HttpRequestView | 'more' | 'invalid';

const cache = new WeakMap<Buffer, RawParse>();
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** tune.http.maxhdr */
const MAX_HDR = 101;

export function parseRawRequest(buf: Buffer, recvLimit: number): RawParse {
  const c = cache.get(buf);
  if (c !== undefined) return c;
  const r = parse(buf, recvLimit);
  cache.set(buf, r);
  return r;
}

function parse(buf: Buffer, recvLimit: number): RawParse {
  let p = 0;
  // empty lines before the request line are skipped
  while (p < buf.length && (buf[p] === 13 || buf[p] === 10)) p++;
  const s = buf.toString('latin1', p);
  const lines: string[] = [];
  let k = 0;
  let complete = false;
  while (true) {
    const nl = s.indexOf('\n', k);
    if (nl < 0) break;
    let line = s.slice(k, nl);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    k = nl + 1;
    if (line === '' && lines.length) {
      complete = true;
      break;
    }
    lines.push(line);
    // a request line is checked as soon as it is there
    if (lines.length === 1 && !validRequestLine(line)) return 'invalid';
  }
  if (!complete) {
    if (!lines.length) {
      // the method must be a token: refuse early what cannot be HTTP
      const sp = s.indexOf(' ');
      const m = sp < 0 ? s : s.slice(0, sp);
      if (m.length && !TCHAR.test(m)) return 'invalid';
    }
    return buf.length >= recvLimit ? 'invalid' : 'more';
  }
  const rl = lines[0].split(' ');
  let method = rl[0];
  let uri = rl[1];
  let version = rl[2] ?? '';
  if (!version) {
    // HTTP/0.9 requests become HTTP/1.0 when they are GETs
    if (method !== 'GET' || !uri) return 'invalid';
    version = 'HTTP/1.0';
  }
  const pairs: [string, string][] = [];
  for (let n = 1; n < lines.length; n++) {
    const l = lines[n];
    const colon = l.indexOf(':');
    if (colon <= 0) return 'invalid';
    const name = l.slice(0, colon);
    if (!TCHAR.test(name)) return 'invalid';
    pairs.push([name, l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')]);
    if (pairs.length > MAX_HDR) return 'invalid';
  }
  return { method, uri, version, headers: new ArrayHeaders(pairs) };
}

function validRequestLine(l: string): boolean {
  const parts = l.split(' ');
  if (parts.length < 2 || parts.length > 3) return false;
  if (!TCHAR.test(parts[0]) || !parts[1]) return false;
  if (parts.length === 3 && !/^HTTP\/\d\.\d$/.test(parts[2])) return false;
  return true;
}
