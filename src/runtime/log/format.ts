/**
 * Log-format strings for traffic logs, compiled and rendered the way HAProxy
 * 2.6's parse_logformat_string() / sess_build_logline() do it:
 *  - each space is a separator node; a separator prints one space only after
 *    something was printed (so empty `%hr` leaves no double space, and leading
 *    spaces vanish);
 *  - `%{+Q,-M,+X,+E}` options per node, `%o` sets them for what follows;
 *  - absent values print '-' (option M, on for log-format), '""' when quoted;
 *  - the request line and captured headers are '#'-encoded.
 * Sample expressions `%[...]` go through the ACL engine.
 */
import { hostname } from 'node:os';
import type { SampleContext } from '../../acl/context.js';
import { compileExpr, processExpr, type CompiledExpr } from '../../acl/expr.js';
import type { CompileEnv } from '../../acl/registry.js';
import { OPT_FINAL, Sample, sampleToString } from '../../acl/types.js';

export const OPT_MANDATORY = 1;
export const OPT_QUOTE = 2;
export const OPT_HEXA = 4;
export const OPT_ESC = 8;
/** expression values are %-encoded as in HTTP headers (unique-id, header values) */
export const OPT_HTTP = 16;
export const OPT_MERGE_SPACES = 32;

// what a variable needs the stream to have reached (HAProxy's LW_* flags)
export const LW_INIT = 1;
export const LW_CLIP = 2;
export const LW_OTHER = 4;
export const LW_BYTES = 8;

/** The default formats of HAProxy 2.6 (log.c). */
export const HTTP_LOG_FORMAT =
  '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r';
export const HTTPS_LOG_FORMAT =
  '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc';
export const CLF_LOG_FORMAT =
  '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl';
export const TCP_LOG_FORMAT = '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq';

/**
 * Everything a log line can show about one stream or HTTP transaction. The
 * logger fills one per line; timers are ms from `acceptDate`, -1 when the
 * step did not happen.
 */
export interface LogRecord {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  /** the listener's id (shown as the port of unix sockets) */
  luid: number;
  /** the bind line has `ssl` (%ft adds '~') */
  ssl: boolean;
  frontend: string;
  backend: string;
  /** server name, "<NOSRV>", or an applet name like "<STATS>" */
  server: string;
  srvIp?: string;
  srvPort?: number;
  beSrcIp?: string;
  beSrcPort?: number;
  /** ms since the epoch */
  acceptDate: number;
  tHandshake: number;
  tIdle: number;
  tRequest: number;
  tQueue: number;
  tConnect: number;
  tData: number;
  tClose: number;
  /** the backend is in http mode (%Td counts from the response) */
  httpBackend: boolean;
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** termination: cause and phase characters, then the two cookie characters */
  termCause: string;
  termPhase: string;
  cookieFlags: string;
  actconn: number;
  feconn: number;
  beconn: number;
  srvConn: number;
  retries: number;
  redispatched: boolean;
  srvQueue: number;
  beQueue: number;
  /** captured request / response headers; null when the stream has no capture slots */
  reqCaps: (string | null)[] | null;
  resCaps: (string | null)[] | null;
  /** the request line as received, or null ("<BADREQ>") */
  uri: string | null;
  uniqueId: string | null;
  cliCookie: string | null;
  srvCookie: string | null;
  /** request counter (%rt) and the frontend's log counter (%lc) */
  uniqId: number;
  logCount: number;
  pid: number;
  /** the stream's sample context, for %[...] (absent when there is no stream) */
  ctx: SampleContext | null;
}

interface Node {
  kind: 0 | 1 | 2 | 3; // 0 text, 1 separator, 2 variable, 3 expression
  text?: string;
  v?: string;
  expr?: CompiledExpr;
  opts: number;
}

const VARS: Record<string, number> = {
  o: 0, B: LW_BYTES, CC: LW_OTHER, CS: LW_OTHER, H: LW_INIT, ID: LW_BYTES, ST: LW_OTHER, T: LW_INIT, Ta: LW_BYTES,
  Tc: LW_BYTES, Th: LW_BYTES, Ti: LW_BYTES, Tl: LW_INIT, Tq: LW_BYTES, Tr: LW_BYTES, TR: LW_BYTES, Td: LW_BYTES,
  Ts: LW_INIT, Tt: LW_BYTES, Tu: LW_BYTES, Tw: LW_BYTES, U: LW_BYTES, ac: LW_BYTES, b: LW_INIT, bc: LW_BYTES,
  bi: LW_OTHER, bp: LW_OTHER, bq: LW_BYTES, ci: LW_CLIP | LW_OTHER, cp: LW_CLIP | LW_OTHER, f: LW_INIT, fc: LW_BYTES,
  fi: LW_OTHER, fp: LW_OTHER, ft: LW_INIT, hr: LW_OTHER, hrl: LW_OTHER, hs: LW_OTHER, hsl: LW_OTHER, HM: LW_OTHER,
  HP: LW_OTHER, HPO: LW_OTHER, HQ: LW_OTHER, HU: LW_OTHER, HV: LW_OTHER, lc: LW_INIT, ms: LW_INIT, pid: LW_INIT,
  r: LW_OTHER, rc: LW_BYTES, rt: LW_OTHER, s: LW_OTHER, sc: LW_BYTES, si: LW_OTHER, sp: LW_OTHER, sq: LW_BYTES,
  sslc: LW_OTHER, sslv: LW_OTHER, t: LW_INIT, tr: LW_INIT, trg: LW_INIT, trl: LW_INIT, ts: LW_BYTES, tsc: LW_INIT,
};

const ARG_OPTS: Record<string, number> = { M: OPT_MANDATORY, Q: OPT_QUOTE, X: OPT_HEXA, E: OPT_ESC };

function applyArgs(args: string, opts: number): number {
  for (const a of args.split(',')) {
    const bit = ARG_OPTS[a.slice(1)];
    if (!bit) continue;
    if (a[0] === '+') opts |= bit;
    else if (a[0] === '-') opts &= ~bit;
  }
  return opts;
}

const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string) => isAlpha(c) || (c >= '0' && c <= '9');

/** The ']' that ends a `%[...]` expression: outside parentheses and quotes. */
function exprEnd(s: string, k: number): number {
  let depth = 0;
  let q = '';
  for (; k < s.length; k++) {
    const c = s[k];
    if (q) {
      if (c === '\\') k++;
      else if (c === q) q = '';
    } else if (c === '"' || c === "'") q = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ']' && depth <= 0) return k;
  }
  return -1;
}

export class CompiledFormat {
  /** OR of the LW_* needs of its variables */
  readonly toLog: number;
  constructor(
    readonly nodes: Node[],
    readonly text: string,
    toLog: number,
  ) {
    this.toLog = toLog;
  }

  get empty(): boolean {
    return this.nodes.length === 0;
  }

  /**
   * HAProxy logs at accept time when the client address is all a format
   * waits for (%ci/%cp also wait for the transport, so in practice never)
   */
  get atAccept(): boolean {
    return (this.toLog & LW_CLIP) !== 0 && (this.toLog & ~(LW_INIT | LW_CLIP)) === 0;
  }

  render(r: LogRecord, maxLen = 1023): string {
    let out = '';
    let lastSpace = true;
    for (const n of this.nodes) {
      switch (n.kind) {
        case 1:
          if (!lastSpace) {
            out += ' ';
            lastSpace = true;
          }
          continue;
        case 0:
          out += n.text;
          lastSpace = false;
          continue;
        case 3: {
          let v: string | undefined;
          if (r.ctx) {
            const smp = new Sample().reset(OPT_FINAL);
            if (processExpr(n.expr!, r.ctx, smp)) v = sampleToString(smp);
          }
          out += n.opts & OPT_HTTP ? httpEncode(v ?? '', n.opts) : text(v, n.opts);
          lastSpace = false;
          continue;
        }
        default: {
          const s = variable(n.v!, n.opts, r);
          if (s === null) continue; // printed nothing: the separator state stays
          out += s;
          lastSpace = false;
        }
      }
    }
    return out.length > maxLen ? out.slice(0, maxLen) : out;
  }
}

/**
 * Compiles a format. `opts` are the defaults of every node: OPT_MANDATORY |
 * OPT_MERGE_SPACES for log-format. Throws on what HAProxy refuses (the
 * configuration check reports it first).
 */
export function compileFormat(fmt: string, env: CompileEnv, opts = OPT_MANDATORY | OPT_MERGE_SPACES): CompiledFormat {
  const nodes: Node[] = [];
  let toLog = 0;
  let text = '';
  const flush = () => {
    if (text) nodes.push({ kind: 0, text, opts: 0 });
    text = '';
  };
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i];
    if (c === ' ' && opts & OPT_MERGE_SPACES) {
      flush();
      nodes.push({ kind: 1, opts: 0 });
      i++;
      continue;
    }
    if (c !== '%') {
      text += c;
      i++;
      continue;
    }
    // '%'
    let k = i + 1;
    const d = fmt[k];
    if (d === '%') {
      text += '%';
      i = k + 1;
      continue;
    }
    if (d === undefined) throw new Error(`truncated line after '%'`);
    if ((d >= '0' && d <= '9') || d === ' ' || d === '\t') {
      throw new Error(`unexpected variable name near '${d}' at position ${k} line : '${fmt}'. Maybe you want to write a single '%', use the syntax '%%'`);
    }
    let args = '';
    if (d === '{') {
      const close = fmt.indexOf('}', k);
      if (close < 0) throw new Error(`truncated line after '${fmt.slice(k + 1)}'`);
      args = fmt.slice(k + 1, close);
      k = close + 1;
      if (fmt[k] !== '[' && !isAlnum(fmt[k] ?? '')) throw new Error(`parse argument modifier without variable name near '%{${args}}'`);
    } else if (d !== '[' && !isAlpha(d)) {
      // '%' before another character is dropped, the character is text
      i = k;
      continue;
    }
    if (fmt[k] === '[') {
      const end = exprEnd(fmt, k + 1);
      const src = end < 0 ? fmt.slice(k + 1) : fmt.slice(k + 1, end);
      if (end < 0) throw new Error(`missing ']' after '${src}'`);
      flush();
      const expr = compileExpr(src, env);
      nodes.push({ kind: 3, expr, opts: args ? applyArgs(args, opts) : opts });
      toLog |= LW_OTHER;
      i = end + 1;
      continue;
    }
    let e = k;
    while (e < fmt.length && isAlnum(fmt[e])) e++;
    const name = fmt.slice(k, e);
    if (!(name in VARS)) {
      throw new Error(`no such format variable '${name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'`);
    }
    flush();
    const o = args ? applyArgs(args, opts) : opts;
    if (name === 'o') opts = o;
    else {
      nodes.push({ kind: 2, v: name, opts: o });
      toLog |= VARS[name];
    }
    i = e;
  }
  flush();
  return new CompiledFormat(nodes, fmt, toLog | LW_INIT);
}

// ---------------------------------------------------------------------------
// rendering helpers

const HEX = '0123456789ABCDEF';

/** lf_text_len(): quotes, +E escaping of '"', '\' and ']', '-' for absent values */
function text(s: string | null | undefined, opts: number): string {
  const q = opts & OPT_QUOTE ? '"' : '';
  if (s) {
    if (opts & OPT_ESC) s = s.replace(/["\\\]]/g, '\\$&');
    return q + s + q;
  }
  if (q) return '""';
  return opts & OPT_MANDATORY ? '-' : '';
}

/** url_encode_map: controls, DEL and above, '"' and '#' */
function inUrlMap(c: number): boolean {
  return c < 32 || c >= 127 || c === 34 || c === 35;
}

/** hdr_encode_map: the URL ones plus '{', '|' and '}' */
function inHdrMap(c: number): boolean {
  return inUrlMap(c) || c === 123 || c === 124 || c === 125;
}

/** lf_encode_string(): '#XX' for bytes of the map; with +E, '\' before '"', '\' and ']' */
function encode(s: string, inMap: (c: number) => boolean, opts: number): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 255;
    if (inMap(c)) {
      out += s.slice(from, i) + '#' + HEX[c >> 4] + HEX[c & 15];
      from = i + 1;
    } else if (opts & OPT_ESC && (c === 34 || c === 92 || c === 93)) {
      out += s.slice(from, i) + '\\' + s[i];
      from = i + 1;
    }
  }
  return from ? out + s.slice(from) : s;
}

/** values of expressions in HTTP-encoded formats: '%XX' for controls and DEL */
function httpEncode(s: string, opts: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 255;
    if ((c <= 8 || (c >= 10 && c <= 31) || c === 127) ) out += '%' + HEX[c >> 4] + HEX[c & 15];
    else out += s[i];
  }
  const q = opts & OPT_QUOTE ? '"' : '';
  return q + out + q;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => (n < 10 ? '0' + n : String(n));
const p3 = (n: number) => (n < 10 ? '00' + n : n < 100 ? '0' + n : String(n));

let dateSec = -1;
let dateText = '';

/** date2str_log: "21/Nov/2026:15:47:41.704" local time (the part up to the second is kept for the next lines) */
function dateLog(ms: number): string {
  const t = Math.floor(ms);
  const sec = Math.floor(t / 1000);
  if (sec !== dateSec) {
    const d = new Date(sec * 1000);
    dateText = `${p2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.`;
    dateSec = sec;
  }
  return dateText + p3(t - sec * 1000);
}

/** gmt2str_log: "21/Nov/2026:15:47:41 +0000" */
function dateGmt(ms: number): string {
  const d = new Date(ms);
  return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

/** localdate2str_log: "21/Nov/2026:16:47:41 +0100" */
function dateLocal(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return `${p2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
}

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
}

function ipHex(ip: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (m) return [m[1], m[2], m[3], m[4]].map((x) => hex(Number(x), 2)).join('');
  return undefined;
}

let host: string | undefined;

/** request start, as %tr shows it */
function requestDate(r: LogRecord): number {
  return r.acceptDate + (r.tIdle >= 0 ? r.tIdle + r.tHandshake : 0);
}

function ip(a: string | undefined, opts: number): string {
  if (a === undefined) return text(null, opts);
  if (opts & OPT_HEXA) {
    const h = ipHex(a);
    if (h) return h;
  }
  return text(a || 'unix', opts);
}

function port(p: number | undefined, opts: number, unixLuid?: number): string {
  if (p === undefined) return text(null, opts);
  if (unixLuid !== undefined) return String(unixLuid);
  return opts & OPT_HEXA ? hex(p, 4) : String(p);
}

/** the request line split as HAProxy does for %HM %HU %HP %HQ %HV */
function uriPart(r: LogRecord, name: string, opts: number): string {
  const q = opts & OPT_QUOTE ? '"' : '';
  const uri = r.uri;
  let v: string;
  if (uri === null) v = '<BADREQ>';
  else {
    const sp1 = uri.search(/[ \t]/);
    const afterM = sp1 < 0 ? uri.length : sp1;
    let u = afterM;
    while (u < uri.length && (uri[u] === ' ' || uri[u] === '\t')) u++;
    const nspaces = u - afterM;
    let ue = u;
    while (ue < uri.length && uri[ue] !== ' ' && uri[ue] !== '\t') ue++;
    switch (name) {
      case 'HM':
        v = sp1 < 0 ? '<BADREQ>' : uri.slice(0, sp1);
        break;
      case 'HU':
        v = nspaces === 0 ? '<BADREQ>' : uri.slice(u, ue);
        break;
      case 'HP': {
        let e = u;
        while (e < ue && uri[e] !== '?') e++;
        v = nspaces === 0 ? '<BADREQ>' : uri.slice(u, e);
        break;
      }
      case 'HPO': {
        let p = uri.slice(u, ue);
        const s = p.indexOf('://');
        if (s > 0) {
          const slash = p.indexOf('/', s + 3);
          p = slash < 0 ? '' : p.slice(slash);
        }
        const qm = p.indexOf('?');
        v = nspaces === 0 ? '<BADREQ>' : qm < 0 ? p : p.slice(0, qm);
        break;
      }
      case 'HQ': {
        const qm = uri.indexOf('?');
        if (qm < 0) v = '';
        else {
          let e = qm;
          while (e < uri.length && uri[e] !== ' ' && uri[e] !== '\t') e++;
          v = uri.slice(qm, e);
        }
        break;
      }
      default: {
        // HV
        let e = ue;
        while (e < uri.length && (uri[e] === ' ' || uri[e] === '\t')) e++;
        v = nspaces === 0 ? '<BADREQ>' : e === uri.length ? 'HTTP/0.9' : uri.slice(e);
      }
    }
  }
  return q + encode(v, inUrlMap, opts) + q;
}

function caps(list: (string | null)[] | null, opts: number): string | null {
  if (!list || !list.length) return null;
  const q = opts & OPT_QUOTE ? '"' : '';
  let out = q + '{';
  for (let i = 0; i < list.length; i++) {
    if (i) out += '|';
    const v = list[i];
    if (v !== null) out += encode(v, inHdrMap, opts);
  }
  return out + '}' + q;
}

function capList(list: (string | null)[] | null, opts: number): string | null {
  if (!list || !list.length) return null;
  const q = opts & OPT_QUOTE ? '"' : '';
  let out = '';
  for (let i = 0; i < list.length; i++) {
    if (i) out += ' ';
    const v = list[i];
    out += q + (v !== null ? encode(v, inHdrMap, opts) : q ? '' : '-') + q;
  }
  return out;
}

/** One variable's text; null when it prints nothing at all (captures without slots). */
function variable(name: string, opts: number, r: LogRecord): string | null {
  switch (name) {
    case 'ci':
      return ip(r.src, opts);
    case 'cp':
      return port(r.srcPort, opts, r.src === '' ? r.luid : undefined);
    case 'fi':
      return ip(r.dst, opts);
    case 'fp':
      return port(r.dstPort, opts, r.dst === '' ? r.luid : undefined);
    case 'bi':
      return ip(r.beSrcIp, opts);
    case 'bp':
      return port(r.beSrcPort, opts);
    case 'si':
      return ip(r.srvIp, opts);
    case 'sp':
      return port(r.srvPort, opts);
    case 't':
      return dateLog(r.acceptDate);
    case 'tr':
      return dateLog(requestDate(r));
    case 'T':
      return dateGmt(r.acceptDate);
    case 'trg':
      return dateGmt(requestDate(r));
    case 'Tl':
      return dateLocal(r.acceptDate);
    case 'trl':
      return dateLocal(requestDate(r));
    case 'Ts': {
      const s = Math.floor(r.acceptDate / 1000);
      return opts & OPT_HEXA ? hex(s, 4) : String(s);
    }
    case 'ms': {
      const m = Math.floor(r.acceptDate) % 1000;
      return opts & OPT_HEXA ? hex(m, 2) : p3(m);
    }
    case 'f':
      return text(r.frontend, opts);
    case 'ft': {
      const q = opts & OPT_QUOTE ? '"' : '';
      return q + r.frontend + (r.ssl ? '~' : '') + q;
    }
    case 'b':
      return text(r.backend, opts);
    case 's':
      return text(r.server, opts);
    case 'Th':
      return String(r.tHandshake);
    case 'Ti':
      return String(r.tIdle);
    case 'TR':
      return String(r.tRequest >= 0 ? r.tRequest - r.tIdle - r.tHandshake : -1);
    case 'Tq':
      return String(r.tRequest);
    case 'Tw':
      return String(r.tQueue >= 0 ? r.tQueue - r.tRequest : -1);
    case 'Tc':
      return String(r.tConnect >= 0 ? r.tConnect - r.tQueue : -1);
    case 'Tr':
      return String(r.tData >= 0 ? r.tData - r.tConnect : -1);
    case 'Td':
      if (r.httpBackend) return String(r.tData >= 0 ? r.tClose - r.tData : -1);
      return String(r.tConnect >= 0 ? r.tClose - r.tConnect : -1);
    case 'Ta':
      return String(r.tClose - (r.tIdle >= 0 ? r.tIdle + r.tHandshake : 0));
    case 'Tt':
      return String(r.tClose);
    case 'Tu':
      return String(r.tClose - (r.tIdle >= 0 ? r.tIdle : 0));
    case 'ST':
      return String(r.status);
    case 'B':
      return String(r.bytesOut);
    case 'U':
      return String(r.bytesIn);
    case 'CC':
      return text(r.cliCookie, opts);
    case 'CS':
      return text(r.srvCookie, opts);
    case 'ts':
      return r.termCause + r.termPhase;
    case 'tsc':
      return r.termCause + r.termPhase + r.cookieFlags;
    case 'ac':
      return String(r.actconn);
    case 'fc':
      return String(r.feconn);
    case 'bc':
      return String(r.beconn);
    case 'sc':
      return String(r.srvConn);
    case 'rc':
      return (r.redispatched ? '+' : '') + r.retries;
    case 'sq':
      return String(r.srvQueue);
    case 'bq':
      return String(r.beQueue);
    case 'hr':
      return caps(r.reqCaps, opts);
    case 'hs':
      return caps(r.resCaps, opts);
    case 'hrl':
      return capList(r.reqCaps, opts);
    case 'hsl':
      return capList(r.resCaps, opts);
    case 'r': {
      const q = opts & OPT_QUOTE ? '"' : '';
      return q + encode(r.uri ?? '<BADREQ>', inUrlMap, opts) + q;
    }
    case 'HM':
    case 'HU':
    case 'HP':
    case 'HPO':
    case 'HQ':
    case 'HV':
      return uriPart(r, name, opts);
    case 'rt':
      return opts & OPT_HEXA ? hex(r.uniqId, 4) : String(r.uniqId);
    case 'lc':
      return opts & OPT_HEXA ? hex(r.logCount, 4) : String(r.logCount);
    case 'H':
      return text((host ??= hostname()), opts);
    case 'pid':
      return opts & OPT_HEXA ? hex(r.pid, 4) : String(r.pid);
    case 'ID':
      return text(r.uniqueId, opts);
    case 'sslc':
      return text(r.ctx?.tls?.cipher ?? null, opts);
    case 'sslv':
      return text(r.ctx?.tls?.protocol ?? null, opts);
  }
  return null;
}
