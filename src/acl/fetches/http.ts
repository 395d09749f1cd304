/**
 * Layer 7 fetches (7.3.6): request line, headers, cookies, URL parameters,
 * bodies, authentication, captures, response status and headers. In tcp
 * mode the request head is parsed from the raw buffer (h1raw.ts); while it
 * is incomplete the fetches answer "may change".
 */
import type { HeaderList, HttpRequestView, HttpResponseView, SampleContext } from '../context.js';
import { argInt, defFetch } from '../registry.js';
import { F_MAY_CHANGE, F_NOT_LAST, OPT_ITERATE, T, parseIPv4, parseIPv6, setAddr, type Sample } from '../types.js';
import { parseRawRequest } from '../h1raw.js';
import { RECV_LIMIT } from './payload.js';

/* ---- access to the messages ------------------------------------------------------- */

export function getReq(smp: Sample, ctx: SampleContext): HttpRequestView | undefined {
  if (ctx.req) return ctx.req;
  const b = ctx.reqBuf;
  if (!b) return undefined;
  const r = parseRawRequest(b, RECV_LIMIT);
  if (r === 'more') {
    smp.flags |= F_MAY_CHANGE;
    return undefined;
  }
  if (r === 'invalid') return undefined;
  return r;
}

function getRes(_smp: Sample, ctx: SampleContext): HttpResponseView | undefined {
  return ctx.res;
}

function headersOf(smp: Sample, ctx: SampleContext, res: boolean): HeaderList | undefined {
  return res ? getRes(smp, ctx)?.headers : getReq(smp, ctx)?.headers;
}

/* ---- header values ----------------------------------------------------------------- */

function isLws(c: number): boolean {
  return c === 32 || c === 9;
}

function trimLws(v: string, s: number, e: number): string {
  while (s < e && isLws(v.charCodeAt(s))) s++;
  while (e > s && isLws(v.charCodeAt(e - 1))) e--;
  return s === 0 && e === v.length ? v : v.slice(s, e);
}

/** End of a comma-separated value (http_find_hdr_value_end): quotes protect commas. */
function valueEnd(v: string, s: number): number {
  const comma = v.indexOf(',', s);
  const quote = v.indexOf('"', s);
  if (quote < 0 || (comma >= 0 && comma < quote)) return comma < 0 ? v.length : comma;
  let quoted = false;
  let qd = false;
  for (let k = s; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (qd) qd = false;
    else if (quoted) {
      if (c === 92) qd = true;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 44) return k;
  }
  return v.length;
}

/**
 * The next value of header `name` (lowercase; '' = any) from the position
 * kept in st.i (header index) and st.j (offset in a comma-split value).
 */
export function nextHeaderValue(h: HeaderList, name: string, full: boolean, st: { i: number; j: number }): string | undefined {
  const n = h.count;
  let i = st.i;
  let pos = st.j;
  while (i < n) {
    if (name === '' || h.name(i) === name) {
      const v = h.value(i);
      if (full) {
        st.i = i + 1;
        st.j = 0;
        return trimLws(v, 0, v.length);
      }
      if (pos > 0 && pos >= v.length) {
        i++;
        pos = 0;
        continue;
      }
      const e = valueEnd(v, pos);
      const out = trimLws(v, pos, e);
      if (e < v.length) {
        st.i = i;
        st.j = e + 1;
      } else {
        st.i = i + 1;
        st.j = 0;
      }
      return out;
    }
    i++;
    pos = 0;
  }
  st.i = n;
  st.j = 0;
  return undefined;
}

/** Occurrence `occ` (1 = first, -1 = last) of the values of `name`. */
function headerOcc(h: HeaderList, name: string, full: boolean, occ: number): string | undefined {
  const st = { i: 0, j: 0 };
  if (occ > 0) {
    let v: string | undefined;
    while ((v = nextHeaderValue(h, name, full, st)) !== undefined) if (--occ === 0) return v;
    return undefined;
  }
  if (occ === -1) {
    let last: string | undefined;
    let v: string | undefined;
    while ((v = nextHeaderValue(h, name, full, st)) !== undefined) last = v;
    return last;
  }
  const all: string[] = [];
  let v: string | undefined;
  while ((v = nextHeaderValue(h, name, full, st)) !== undefined) all.push(v);
  return all[all.length + occ];
}

const hdrPrep = (a: string[]) => [a[0] === undefined ? undefined : a[0].toLowerCase(), a[1] !== undefined && a[1] !== '' ? argInt(a[1]) : 0];

/**
 * smp_fetch_hdr / smp_fetch_fhdr: with no occurrence, ACLs iterate over
 * every value and other users get the last one.
 */
function fetchHdr(smp: Sample, ctx: SampleContext, a: any[], res: boolean, full: boolean): boolean {
  const name: string | undefined = a[0];
  if (name === undefined) return false;
  const h = headersOf(smp, ctx, res);
  if (!h) return false;
  let occ: number = a[1];
  if (!occ && !(smp.opt & OPT_ITERATE)) occ = -1;
  if (occ) {
    const v = headerOcc(h, name, full, occ);
    return v === undefined ? false : smp.setStr(v);
  }
  if (!(smp.o === h)) {
    smp.o = h;
    smp.i = 0;
    smp.j = 0;
  }
  const v = nextHeaderValue(h, name, full, smp);
  if (v === undefined) return false;
  smp.flags |= F_NOT_LAST;
  return smp.setStr(v);
}

const isRes = (kw: string, smp: Sample) => kw.startsWith('res.') || kw.startsWith('s') || (kw === 'hdr' && (smp.opt & 4) !== 0);

defFetch(['req.hdr', 'hdr', 'res.hdr', 'shdr'], (smp, ctx, a, kw) => fetchHdr(smp, ctx, a, isRes(kw, smp), false), hdrPrep);
defFetch(['req.fhdr', 'res.fhdr'], (smp, ctx, a, kw) => fetchHdr(smp, ctx, a, kw.startsWith('res'), true), hdrPrep);

function countHdr(smp: Sample, ctx: SampleContext, name: string | undefined, res: boolean, full: boolean): boolean {
  const h = headersOf(smp, ctx, res);
  if (!h) return false;
  const st = { i: 0, j: 0 };
  let n = 0;
  while (nextHeaderValue(h, name ?? '', full, st) !== undefined) n++;
  return smp.setInt(n);
}
defFetch(['req.hdr_cnt', 'hdr_cnt', 'res.hdr_cnt', 'shdr_cnt'], (smp, ctx, a, kw) => countHdr(smp, ctx, a[0], isRes(kw, smp), false), hdrPrep);
defFetch(['req.fhdr_cnt', 'res.fhdr_cnt'], (smp, ctx, a, kw) => countHdr(smp, ctx, a[0], kw.startsWith('res'), true), hdrPrep);

/** strl2ic: optional sign then digits, stopping at the first non-digit. */
export function strl2ic(s: string): number {
  let k = 0;
  let neg = false;
  if (s[0] === '-') {
    neg = true;
    k++;
  } else if (s[0] === '+') k++;
  let n = 0;
  for (; k < s.length; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) break;
    n = (n * 10 + c) | 0;
  }
  return neg ? -n : n;
}

defFetch(
  ['req.hdr_val', 'hdr_val', 'res.hdr_val', 'shdr_val'],
  (smp, ctx, a, kw) => {
    if (!fetchHdr(smp, ctx, a, isRes(kw, smp), false)) return false;
    return smp.setInt(strl2ic(smp.v));
  },
  hdrPrep,
);

/** url2ipv4: the dotted quad at the start of `s`; returns its length or 0. */
function url2ipv4(s: string): { len: number; ip: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return { len: m[0].length, ip: ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0 };
}
defFetch(
  ['req.hdr_ip', 'hdr_ip', 'res.hdr_ip', 'shdr_ip'],
  (smp, ctx, a, kw) => {
    while (fetchHdr(smp, ctx, a, isRes(kw, smp), false)) {
      const v = smp.v as string;
      const r = url2ipv4(v);
      if (r && r.len === v.length) {
        smp.t = T.IPV4;
        smp.v = r.ip;
        return true;
      }
      if (r && v[r.len] === ':' && /^\d+$/.test(v.slice(r.len + 1)) && Number(v.slice(r.len + 1)) <= 65535) {
        smp.t = T.IPV4;
        smp.v = r.ip;
        return true;
      }
      const v6 = parseIPv6(v);
      if (v6) {
        smp.t = T.IPV6;
        smp.v = v6;
        return true;
      }
      if (!(smp.flags & F_NOT_LAST)) return false;
    }
    return false;
  },
  hdrPrep,
);

function hdrsText(h: HeaderList): string {
  let s = '';
  for (let i = 0; i < h.count; i++) s += `${h.name(i)}: ${h.value(i)}\r\n`;
  return s + '\r\n';
}
defFetch(['req.hdrs', 'res.hdrs'], (smp, ctx, _a, kw) => {
  const h = headersOf(smp, ctx, kw.startsWith('res'));
  return h ? smp.setStr(hdrsText(h)) : false;
});

function varint(n: number, out: number[]): void {
  if (n < 240) {
    out.push(n);
    return;
  }
  out.push((n | 240) & 0xff);
  n = (n - 240) >>> 4;
  while (n >= 128) {
    out.push((n | 128) & 0xff);
    n = (n - 128) >>> 7;
  }
  out.push(n);
}
defFetch(['req.hdrs_bin', 'res.hdrs_bin'], (smp, ctx, _a, kw) => {
  const h = headersOf(smp, ctx, kw.startsWith('res'));
  if (!h) return false;
  const parts: Buffer[] = [];
  for (let i = 0; i < h.count; i++) {
    for (const s of [h.name(i), h.value(i)]) {
      const b = Buffer.from(s, 'latin1');
      const l: number[] = [];
      varint(b.length, l);
      parts.push(Buffer.from(l), b);
    }
  }
  parts.push(Buffer.from([0, 0]));
  return smp.setBin(Buffer.concat(parts));
});
defFetch(
  ['req.hdr_names', 'res.hdr_names'],
  (smp, ctx, a, kw) => {
    const h = headersOf(smp, ctx, kw.startsWith('res'));
    if (!h) return false;
    const names: string[] = [];
    for (let i = 0; i < h.count; i++) names.push(h.name(i));
    return smp.setStr(names.join(a[0]));
  },
  (a) => [a[0] ? a[0][0] : ','],
);

/* ---- request line ------------------------------------------------------------------- */

defFetch('method', (smp, ctx) => {
  const r = getReq(smp, ctx);
  if (!r) return false;
  smp.t = T.METH;
  smp.v = r.method;
  return true;
});

/** http_get_path: the path of origin-form or absolute-form URIs; undefined for '*' or authority-form. */
export function uriPath(uri: string): string | undefined {
  if (!uri.length) return undefined;
  let p = 0;
  const c0 = uri.charCodeAt(0);
  if (c0 === 42) return undefined;
  if ((c0 | 32) >= 97 && (c0 | 32) <= 122) {
    p = 1;
    while (p < uri.length && /[A-Za-z0-9+\-.]/.test(uri[p])) p++;
    if (p >= uri.length || uri[p++] !== ':') return undefined;
    if (p >= uri.length || uri[p++] !== '/') return undefined;
    if (p >= uri.length || uri[p++] !== '/') return undefined;
  }
  const slash = uri.indexOf('/', p);
  return slash < 0 ? '' : p === 0 && slash === 0 ? uri : uri.slice(slash);
}
function stopAtQuery(s: string): string {
  const q = s.indexOf('?');
  return q < 0 ? s : s.slice(0, q);
}

defFetch(['path', 'pathq'], (smp, ctx, _a, kw) => {
  const r = getReq(smp, ctx);
  if (!r) return false;
  const p = uriPath(r.uri);
  if (p === undefined) return false;
  return smp.setStr(kw === 'pathq' ? p : stopAtQuery(p));
});
defFetch('url', (smp, ctx) => {
  const r = getReq(smp, ctx);
  return r ? smp.setStr(r.uri) : false;
});
defFetch('query', (smp, ctx) => {
  const r = getReq(smp, ctx);
  if (!r) return false;
  const q = r.uri.indexOf('?');
  return q < 0 ? false : smp.setStr(r.uri.slice(q + 1));
});

function hostValue(h: HeaderList, full: boolean): string | undefined {
  return nextHeaderValue(h, 'host', full, { i: 0, j: 0 });
}

defFetch(['base', 'baseq'], (smp, ctx, _a, kw) => {
  const r = getReq(smp, ctx);
  if (!r) return false;
  const host = hostValue(r.headers, false);
  const p = uriPath(r.uri);
  if (!host) {
    if (p === undefined) return false;
    return smp.setStr(kw === 'baseq' ? p : stopAtQuery(p));
  }
  let out = host;
  if (p !== undefined) {
    const part = kw === 'baseq' ? p : stopAtQuery(p);
    if (part.length && part[0] === '/') out += part;
  }
  return smp.setStr(out);
});

/** full_hash: Bob Jenkins' avalanche, then a multiply by a prime (32-bit). */
export function fullHash(a: number): number {
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473) >>> 0;
}
/** sdbm over the bytes of s; chars are signed in C, as HAProxy's code reads them. */
function sdbmStep(hash: number, s: string): number {
  for (let k = 0; k < s.length; k++) {
    let c = s.charCodeAt(k) & 0xff;
    if (c > 127) c -= 256;
    hash = (c + (hash << 6) + (hash << 16) - hash) >>> 0;
  }
  return hash;
}
function base32(r: HttpRequestView, url: boolean): number {
  let hash = 0;
  const host = hostValue(r.headers, url);
  if (host !== undefined) hash = sdbmStep(hash, host);
  const p = uriPath(r.uri);
  if (p !== undefined) {
    const part = url ? p : stopAtQuery(p);
    if (part.length && part[0] === '/') hash = sdbmStep(hash, part);
  }
  return fullHash(hash);
}
defFetch(['base32', 'url32'], (smp, ctx, _a, kw) => {
  const r = getReq(smp, ctx);
  return r ? smp.setInt(base32(r, kw === 'url32')) : false;
});
defFetch(['base32+src', 'url32+src'], (smp, ctx, _a, kw) => {
  const r = getReq(smp, ctx);
  if (!r) return false;
  const tmp = { t: 0, v: undefined } as unknown as Sample;
  if (!setAddr(tmp, ctx.src)) return false;
  const h = Buffer.alloc(4);
  h.writeUInt32BE(base32(r, kw === 'url32+src'));
  let a: Buffer;
  if (tmp.t === T.IPV4) {
    a = Buffer.alloc(4);
    a.writeUInt32BE(tmp.v);
  } else a = tmp.v;
  return smp.setBin(Buffer.concat([h, a]));
});

/** url2sa for absolute URIs: host as an IPv4 literal, and the port (80 by default). */
function urlHost(uri: string): { ip?: number; port: number } | undefined {
  const m = /^http:\/\/([^/:?]+)(?::(\d+))?/i.exec(uri);
  if (!m) return undefined;
  const ip = parseIPv4(m[1]);
  if (ip === undefined) return undefined;
  return { ip, port: m[2] ? Number(m[2]) : 80 };
}
defFetch('url_ip', (smp, ctx) => {
  const r = getReq(smp, ctx);
  const u = r && urlHost(r.uri);
  if (!u) return false;
  smp.t = T.IPV4;
  smp.v = u.ip;
  return true;
});
defFetch('url_port', (smp, ctx) => {
  const r = getReq(smp, ctx);
  const u = r && urlHost(r.uri);
  return u ? smp.setInt(u.port) : false;
});

defFetch(['req.ver', 'req_ver'], (smp, ctx) => {
  const r = getReq(smp, ctx);
  if (!r) return false;
  const k = r.version.indexOf('/');
  if (k < 0 || k === r.version.length - 1) return false;
  return smp.setStr(r.version.slice(k + 1));
});
defFetch(['res.ver', 'resp_ver'], (smp, ctx) => {
  const r = getRes(smp, ctx);
  if (!r) return false;
  const k = r.version.indexOf('/');
  if (k < 0 || k === r.version.length - 1) return false;
  return smp.setStr(r.version.slice(k + 1));
});
defFetch('status', (smp, ctx) => {
  const r = getRes(smp, ctx);
  return r ? smp.setInt(r.status) : false;
});
defFetch(['req.proto_http', 'req_proto_http'], (smp, ctx) => (getReq(smp, ctx) ? smp.setBool(true) : false));
defFetch('http_first_req', (smp, ctx) => smp.setBool(ctx.firstReq ?? true));
defFetch('unique-id', (smp, ctx) => (ctx.uniqueId !== undefined ? smp.setStr(ctx.uniqueId) : false));

/* ---- URL and body parameters ---------------------------------------------------------- */

function isParamDelim(c: string, delim: string): boolean {
  return c === '&' || c === ';' || c === delim;
}

/**
 * The next parameter value in `qs` from offset st.i: named `name` (exact),
 * or any parameter with a value when name is ''. Updates st.i.
 */
function nextParam(qs: string, name: string, delim: string, st: { i: number }): string | undefined {
  let p = st.i;
  while (p <= qs.length) {
    let e = p;
    while (e < qs.length && !isParamDelim(qs[e], delim)) e++;
    const part = qs.slice(p, e);
    const eq = part.indexOf('=');
    if (eq >= 0 && (name === '' || (eq === name.length && part.startsWith(name)))) {
      st.i = e + 1;
      return part.slice(eq + 1);
    }
    if (e >= qs.length) break;
    p = e + 1;
  }
  st.i = qs.length + 1;
  return undefined;
}

function fetchParam(smp: Sample, qs: string, name: string, delim: string): boolean {
  const v = nextParam(qs, name, delim, smp);
  if (v === undefined) return false;
  smp.setStr(v);
  if (smp.i < qs.length) smp.flags |= F_NOT_LAST;
  return true;
}

const paramPrep = (a: string[]) => [a[0] ?? '', a[1] ? a[1][0] : '?'];
function urlParam(smp: Sample, ctx: SampleContext, a: any[]): boolean {
  if (smp.o === undefined) {
    const r = getReq(smp, ctx);
    if (!r) return false;
    const k = r.uri.indexOf(a[1]);
    if (k < 0) return false;
    smp.o = r.uri.slice(k + 1);
    smp.i = 0;
  }
  return fetchParam(smp, smp.o as string, a[0], a[1]);
}
defFetch(['url_param', 'urlp'], urlParam, paramPrep);
defFetch(
  'urlp_val',
  (smp, ctx, a) => {
    if (!urlParam(smp, ctx, a)) return false;
    return smp.setInt(strl2ic(smp.v));
  },
  paramPrep,
);
defFetch(
  'req.body_param',
  (smp, ctx, a) => {
    if (smp.o === undefined) {
      const r = getReq(smp, ctx);
      if (!r) return false;
      smp.o = (r.body ?? Buffer.alloc(0)).toString('latin1');
      smp.i = 0;
    }
    if (!fetchParam(smp, smp.o as string, a[0], '&')) return false;
    smp.t = T.BIN;
    smp.v = Buffer.from(smp.v as string, 'latin1');
    return true;
  },
  (a) => [a[0] ?? ''],
);

/* ---- bodies ------------------------------------------------------------------------------- */

defFetch(['req.body', 'res.body'], (smp, ctx, _a, kw) => {
  const m = kw.startsWith('res') ? getRes(smp, ctx) : getReq(smp, ctx);
  if (!m) return false;
  smp.setBin(m.body ?? Buffer.alloc(0));
  if (!m.bodyComplete) smp.flags |= F_MAY_CHANGE;
  return true;
});
defFetch(['req.body_len', 'res.body_len'], (smp, ctx, _a, kw) => {
  const m = kw.startsWith('res') ? getRes(smp, ctx) : getReq(smp, ctx);
  return m ? smp.setInt(m.body?.length ?? 0) : false;
});
defFetch(['req.body_size', 'res.body_size'], (smp, ctx, _a, kw) => {
  const m = kw.startsWith('res') ? getRes(smp, ctx) : getReq(smp, ctx);
  if (!m) return false;
  const declared = 'bodyLength' in m ? (m as HttpRequestView).bodyLength : undefined;
  return smp.setInt(declared !== undefined && declared >= 0 ? declared : (m.body?.length ?? 0));
});

/* ---- cookies ---------------------------------------------------------------------------- */

function cookieValueEnd(s: string, p: number, e: number): number {
  let quoted = false;
  let qd = false;
  for (; p < e; p++) {
    const c = s[p];
    if (qd) qd = false;
    else if (quoted) {
      if (c === '\\') qd = true;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',' || c === ';') return p;
  }
  return p;
}

/**
 * http_extract_cookie_value: from st.j in header value `h`, the next cookie
 * named `name` ('' = any). `list`: Cookie (several per line) vs Set-Cookie.
 */
export function extractCookie(h: string, name: string, list: boolean, st: { j: number }): string | undefined {
  const end = h.length;
  let att = st.j;
  while (att + name.length + 1 < end || (att < end && name.length === 0)) {
    while (att < end && (h[att] === ' ' || h[att] === '\t')) att++;
    let eq = att;
    let attEnd = att;
    while (eq < end) {
      const c = h[eq];
      if (c === '=' || c === ';' || (list && c === ',')) break;
      eq++;
      if (c === ' ' || c === '\t') continue;
      attEnd = eq;
    }
    let vb: number;
    let ve: number;
    let next: number;
    if (eq < end && h[eq] === '=') {
      vb = eq + 1;
      while (vb < end && (h[vb] === ' ' || h[vb] === '\t')) vb++;
      next = cookieValueEnd(h, vb, end);
      ve = next;
      while (ve > vb && (h[ve - 1] === ' ' || h[ve - 1] === '\t')) ve--;
    } else {
      vb = ve = next = eq;
    }
    const skip = h[att] === '$' || eq === next;
    if (!skip && (name.length === 0 || (attEnd - att === name.length && h.startsWith(name, att)))) {
      st.j = next + 1;
      return h.slice(vb, ve);
    }
    if (!skip && !list) break;
    att = next + 1;
  }
  st.j = end + 1;
  return undefined;
}

interface CookieState {
  i: number;
  j: number;
  o: unknown;
}
/** Iterates cookie `name` over every Cookie / Set-Cookie header: state in smp (i: header, j: offset, o: current value). */
function nextCookie(h: HeaderList, hname: string, name: string, list: boolean, st: CookieState): string | undefined {
  while (true) {
    if (st.o === undefined) {
      const v = nextHeaderValue(h, hname, false, st);
      if (v === undefined) return undefined;
      if (v.length < name.length + 1) continue;
      st.o = v;
      (st as any).k = 0;
    }
    const cst = { j: (st as any).k as number };
    const r = extractCookie(st.o as string, name, list, cst);
    (st as any).k = cst.j;
    if (r !== undefined) return r;
    st.o = undefined;
  }
}

function fetchCookie(smp: Sample, ctx: SampleContext, name: string, res: boolean): boolean {
  const h = headersOf(smp, ctx, res);
  if (!h) return false;
  const hname = res ? 'set-cookie' : 'cookie';
  const list = !res;
  if (smp.opt & OPT_ITERATE) {
    if (smp.o === undefined) smp.o = { i: 0, j: 0, o: undefined, k: 0 };
    const v = nextCookie(h, hname, name, list, smp.o as CookieState);
    if (v === undefined) return false;
    smp.flags |= F_NOT_LAST;
    return smp.setStr(v);
  }
  const st = { i: 0, j: 0, o: undefined, k: 0 } as CookieState;
  let found: string | undefined;
  let v: string | undefined;
  while ((v = nextCookie(h, hname, name, list, st)) !== undefined) {
    found = v;
    if (!name) break;
  }
  return found === undefined ? false : smp.setStr(found);
}

const cookPrep = (a: string[]) => [a[0] ?? ''];
defFetch(['req.cook', 'cook'], (smp, ctx, a) => fetchCookie(smp, ctx, a[0], false), cookPrep);
defFetch(['res.cook', 'scook', 'set-cookie'], (smp, ctx, a) => fetchCookie(smp, ctx, a[0], true), cookPrep);
defFetch('cookie', (smp, ctx, a) => fetchCookie(smp, ctx, a[0], (smp.opt & 4) !== 0), cookPrep);
defFetch(
  ['req.cook_cnt', 'cook_cnt', 'res.cook_cnt', 'scook_cnt'],
  (smp, ctx, a, kw) => {
    const res = kw.startsWith('res') || kw.startsWith('s');
    const h = headersOf(smp, ctx, res);
    if (!h) return false;
    const st = { i: 0, j: 0, o: undefined, k: 0 } as CookieState;
    let n = 0;
    while (nextCookie(h, res ? 'set-cookie' : 'cookie', a[0], !res, st) !== undefined) n++;
    return smp.setInt(n);
  },
  cookPrep,
);
defFetch(
  ['req.cook_val', 'cook_val', 'res.cook_val', 'scook_val'],
  (smp, ctx, a, kw) => {
    const res = kw.startsWith('res') || kw.startsWith('s');
    if (!fetchCookie(smp, ctx, a[0], res)) return false;
    return smp.setInt(strl2ic(smp.v));
  },
  cookPrep,
);

/* ---- authentication -------------------------------------------------------------------------- */

function basicAuth(smp: Sample, ctx: SampleContext): { user: string; pass: string } | undefined {
  const r = getReq(smp, ctx);
  if (!r) return undefined;
  const v = nextHeaderValue(r.headers, 'authorization', false, { i: 0, j: 0 });
  if (!v) return undefined;
  const sp = v.indexOf(' ');
  if (sp <= 0) return undefined;
  if (v.slice(0, sp).toLowerCase() !== 'basic') return undefined;
  const b64 = v.slice(sp + 1);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4) return undefined;
  const dec = Buffer.from(b64, 'base64').toString('latin1');
  const colon = dec.indexOf(':');
  if (colon < 0) return undefined;
  return { user: dec.slice(0, colon), pass: dec.slice(colon + 1) };
}
defFetch('http_auth_type', (smp, ctx) => (basicAuth(smp, ctx) ? smp.setStr('Basic') : false));
defFetch('http_auth_user', (smp, ctx) => {
  const a = basicAuth(smp, ctx);
  return a ? smp.setStr(a.user) : false;
});
defFetch('http_auth_pass', (smp, ctx) => {
  const a = basicAuth(smp, ctx);
  return a ? smp.setStr(a.pass) : false;
});
defFetch(
  'http_auth',
  (smp, ctx, a) => {
    const cred = basicAuth(smp, ctx);
    if (!cred) return false;
    return smp.setBool(!!ctx.checkAuth?.(a[0], cred.user, cred.pass));
  },
  (a) => [a[0] ?? ''],
);
defFetch(
  'http_auth_group',
  (smp, ctx, a) => {
    const cred = basicAuth(smp, ctx);
    if (!cred || !ctx.checkAuth?.(a[0], cred.user, cred.pass)) return false;
    // the matcher needs the user's groups: keep them beside the user name
    smp.o = ctx.userGroups?.(a[0], cred.user) ?? [];
    return smp.setStr(cred.user);
  },
  (a) => [a[0] ?? ''],
);
defFetch(
  'http_auth_bearer',
  (smp, ctx, a) => {
    const r = getReq(smp, ctx);
    if (!r) return false;
    const v = nextHeaderValue(r.headers, a[0], false, { i: 0, j: 0 });
    if (!v) return false;
    const sp = v.indexOf(' ');
    if (sp <= 0 || v.slice(0, sp).toLowerCase() !== 'bearer') return false;
    return smp.setStr(v.slice(sp + 1).replace(/^[ \t]+/, ''));
  },
  (a) => [(a[0] || 'authorization').toLowerCase()],
);

/* ---- captures ------------------------------------------------------------------------------- */

defFetch(
  'capture.req.hdr',
  (smp, ctx, a) => {
    const v = ctx.reqCaptures?.[a[0]];
    return v === undefined ? false : smp.setStr(v);
  },
  (a) => [argInt(a[0])],
);
defFetch(
  'capture.res.hdr',
  (smp, ctx, a) => {
    const v = ctx.resCaptures?.[a[0]];
    return v === undefined ? false : smp.setStr(v);
  },
  (a) => [argInt(a[0])],
);
function captureLine(ctx: SampleContext): string | undefined {
  if (ctx.reqLine !== undefined) return ctx.reqLine;
  const r = ctx.req;
  return r ? `${r.method} ${r.uri} ${r.version}` : undefined;
}
defFetch('capture.req.method', (smp, ctx) => {
  const l = captureLine(ctx);
  if (l === undefined) return false;
  const sp = l.indexOf(' ');
  return smp.setStr(sp < 0 ? l : l.slice(0, sp));
});
defFetch('capture.req.uri', (smp, ctx) => {
  const l = captureLine(ctx);
  if (l === undefined) return false;
  const sp = l.indexOf(' ');
  if (sp < 0) return false;
  let e = l.indexOf(' ', sp + 1);
  if (e < 0) e = l.length;
  const p = uriPath(l.slice(sp + 1, e));
  return p === undefined ? false : smp.setStr(p);
});
defFetch('capture.req.ver', (smp, ctx) => {
  const r = ctx.req;
  if (!r) return false;
  return smp.setStr(r.version === 'HTTP/1.1' ? 'HTTP/1.1' : 'HTTP/1.0');
});
defFetch('capture.res.ver', (smp, ctx) => {
  const r = ctx.res;
  if (!r) return false;
  return smp.setStr(r.version === 'HTTP/1.1' ? 'HTTP/1.1' : 'HTTP/1.0');
});

/* ---- cache and compression ------------------------------------------------------------------ */

defFetch('res.cache_hit', (smp, ctx) => smp.setBool(!!ctx.cacheHit));
defFetch('res.cache_name', (smp, ctx) => (ctx.cacheName !== undefined ? smp.setStr(ctx.cacheName) : false));
defFetch('res.comp', (smp, ctx) => smp.setBool(!!ctx.compAlgo));
defFetch('res.comp_algo', (smp, ctx) => (ctx.compAlgo ? smp.setStr(ctx.compAlgo) : false));
