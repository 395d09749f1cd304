/**
 * What a server's health check does, read once from the configuration:
 * timings (`inter`, `fastinter`, `downinter`, `rise`, `fall`, `timeout
 * check`), where it connects (`addr`, `port`, `check-send-proxy`) and the
 * steps it runs. HAProxy 2.6 turns every check into a list of tcp-check
 * rules; the same happens here:
 *   - plain `check`: connect only (Layer4);
 *   - `option tcp-check` + `tcp-check connect|send|send-binary|expect`;
 *   - `option httpchk [meth] [uri] [ver]` + `http-check connect|send|expect`.
 */
import type { Directive, Proxy } from '../../config/model.js';
import { parseTime } from '../../parser/values.js';
import type { RtServer } from '../model.js';
import { configFor } from '../rules/state.js';
import { checkUsesSsl, ServerTls } from '../tls/server.js';
import { sslHelloRules, sslHelloWins } from './ssl-hello.js';

export type CheckProto = 'tcp' | 'tcp-check' | 'http' | 'ssl-hello';

export interface ConnectRule {
  kind: 'connect';
  /** the implicit first connect (HAProxy's TCPCHK_OPT_DEFAULT_CONNECT) */
  implicit: boolean;
  port?: number;
  addr?: string;
  sendProxy: boolean;
  comment?: string;
}

export interface SendRule {
  kind: 'send';
  data: Buffer;
  /** data made anew for each check (ssl-hello-chk's hello carries the time) */
  make?: () => Buffer;
  comment?: string;
}

export interface ExpectRule {
  kind: 'expect';
  /** tcp: string/binary/rstring/rbinary; http: status/rstatus/string/rstring */
  /** sslhello: option ssl-hello-chk's `rbinary ^1[56]` with min-recv 5 and Layer6 statuses */
  type: 'string' | 'binary' | 'rstring' | 'rbinary' | 'status' | 'rstatus' | 'sslhello';
  inverse: boolean;
  /** the pattern as written (for messages) */
  text: string;
  bytes?: Buffer;
  regex?: RegExp;
  /** status codes / ranges for `status` */
  ranges?: [number, number][];
  /** http: the default expectation (2xx/3xx), which reports the reason phrase on failure */
  isDefault?: boolean;
  comment?: string;
}

export type CheckRule = ConnectRule | SendRule | ExpectRule;

export interface CheckSpec {
  proto: CheckProto;
  rules: CheckRule[];
  inter: number;
  fastinter: number;
  downinter: number;
  rise: number;
  fall: number;
  /** `timeout check` of the backend, 0 when unset */
  timeoutCheck: number;
  timeoutConnect: number;
  /** where the check connects unless a connect rule says otherwise */
  host: string;
  port: number;
  /** the check's own address and port (`addr`, `port`, or `set server check-addr|check-port`): show servers state prints them */
  ownAddr?: string;
  ownPort?: number;
  unixPath?: string;
  /** PROXY protocol on the check connection: 0 none, 1 v1, 2 v2 (LOCAL) */
  sendProxy: 0 | 1 | 2;
  source?: { host: string; port?: number };
  /** the check runs over TLS (check-ssl, or an `ssl` server checked on its own address) */
  tls?: ServerTls | null;
}

function ms(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const t = parseTime(v);
  return t.ok ? t.ms : dflt;
}

function int(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = parseInt(v, 10);
  return Number.isFinite(n) ? n : dflt;
}

/** http-check / tcp-check directives of a proxy, or of its defaults section when it has none (HAProxy inherits the whole ruleset). */
function checkDirectives(px: Proxy, defaults: readonly Proxy[], head: 'http-check' | 'tcp-check'): Directive[] {
  const own = px.directives.filter((d) => d.keyword.startsWith(head + ' '));
  if (own.length || !px.from) return own;
  const def = defaults.find((d) => d.name === px.from);
  return def ? def.directives.filter((d) => d.keyword.startsWith(head + ' ')) : [];
}

/** HAProxy's unescaping of `tcp-check send-binary` / `expect binary` hex strings. */
function hexBytes(s: string): Buffer {
  return Buffer.from(s.length % 2 ? s.slice(0, -1) : s, 'hex');
}

function parseStatusRanges(list: string): [number, number][] {
  const out: [number, number][] = [];
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    out.push([+m[1], m[2] !== undefined ? +m[2] : +m[1]]);
  }
  return out;
}

function parseExpect(args: string[], http: boolean): ExpectRule | null {
  let i = 0;
  let inverse = false;
  let comment: string | undefined;
  // options before the pattern: min-recv, ok-status, error-status, tout-status, on-success, on-error, status-code, comment
  let type: ExpectRule['type'] | undefined;
  let text = '';
  while (i < args.length) {
    const w = args[i];
    if (w === '!') {
      inverse = true;
      i++;
    } else if (w === 'comment') {
      comment = args[i + 1];
      i += 2;
    } else if (['min-recv', 'ok-status', 'error-status', 'tout-status', 'on-success', 'on-error', 'status-code'].includes(w)) {
      i += 2;
    } else if (!type) {
      type = w as ExpectRule['type'];
      text = args[i + 1] ?? '';
      i += 2;
    } else i++;
  }
  if (!type) return null;
  const r: ExpectRule = { kind: 'expect', type, inverse, text, comment };
  switch (type) {
    case 'string':
      r.bytes = Buffer.from(text, 'latin1');
      return r;
    case 'binary':
      r.bytes = hexBytes(text);
      return r;
    case 'rstring':
    case 'rbinary':
      try {
        r.regex = new RegExp(text);
      } catch {
        return null;
      }
      return r;
    case 'status':
      if (!http) return null;
      r.ranges = parseStatusRanges(text);
      return r;
    case 'rstatus':
      if (!http) return null;
      try {
        r.regex = new RegExp(text);
      } catch {
        return null;
      }
      return r;
    default:
      return null;
  }
}

function parseConnect(args: string[], implicit: boolean): ConnectRule {
  const r: ConnectRule = { kind: 'connect', implicit, sendProxy: false };
  for (let i = 0; i < args.length; i++) {
    const w = args[i];
    if (w === 'port') r.port = int(args[++i], 0) || undefined;
    else if (w === 'addr') r.addr = args[++i];
    else if (w === 'send-proxy') r.sendProxy = true;
    else if (w === 'comment') r.comment = args[++i];
    else if (w === 'sni' || w === 'alpn' || w === 'proto') i++;
  }
  return r;
}

/** `option httpchk` arguments as HAProxy 2.6 reads them: one word is the URI, two are method and URI. */
interface HttpRequestSpec {
  meth: string;
  uri: string;
  ver: string;
  headers: [string, string][];
  body: string;
}

function httpchkOption(args: string[]): HttpRequestSpec {
  const req: HttpRequestSpec = { meth: 'OPTIONS', uri: '/', ver: 'HTTP/1.0', headers: [], body: '' };
  if (args.length === 1) req.uri = args[0];
  else if (args.length >= 2) {
    req.meth = args[0];
    req.uri = args[1];
    if (args[2] !== undefined) {
      // the deprecated form hides headers (and a body) after the version
      const v = args[2];
      const cut = v.indexOf('\r\n');
      if (cut < 0) req.ver = v;
      else {
        req.ver = v.slice(0, cut);
        const rest = v.slice(cut + 2);
        const bodyAt = rest.indexOf('\r\n\r\n');
        const hdrs = bodyAt >= 0 ? rest.slice(0, bodyAt) : rest;
        if (bodyAt >= 0) req.body = rest.slice(bodyAt + 4);
        for (const line of hdrs.split('\r\n')) {
          const c = line.indexOf(':');
          if (c <= 0) continue;
          req.headers.push([line.slice(0, c).trim(), line.slice(c + 1).trim()]);
        }
      }
    }
  }
  return req;
}

/** Merges an `http-check send` line into the request (what it names replaces the option's part). */
function httpSend(base: HttpRequestSpec, args: string[]): { req: HttpRequestSpec; comment?: string } {
  const req: HttpRequestSpec = { ...base, headers: base.headers };
  let hdrs: [string, string][] | undefined;
  let comment: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = args[i];
    if (w === 'meth') req.meth = args[++i];
    else if (w === 'uri' || w === 'uri-lf') req.uri = args[++i];
    else if (w === 'ver') req.ver = args[++i];
    else if (w === 'body' || w === 'body-lf') req.body = args[++i];
    else if (w === 'comment') comment = args[++i];
    else if (w === 'hdr') {
      (hdrs ??= []).push([args[i + 1], args[i + 2]]);
      i += 2;
    }
  }
  if (hdrs) req.headers = hdrs;
  return { req, comment };
}

/** The bytes of an HTTP check request, as HAProxy's H1 mux writes them. */
export function serializeCheckRequest(r: HttpRequestSpec): Buffer {
  let s = `${r.meth} ${r.uri} ${r.ver}\r\n`;
  let hasConn = false;
  for (const [n, v] of r.headers) {
    const name = n.toLowerCase();
    // connection headers are the mux's business: dropped, and then it adds none
    if (name === 'connection') {
      hasConn = true;
      continue;
    }
    if (name === 'content-length') continue;
    s += `${name}: ${v}\r\n`;
  }
  if (r.body.length) s += `content-length: ${Buffer.byteLength(r.body, 'latin1')}\r\n`;
  if (!hasConn && /^HTTP\/1\.[1-9]$/.test(r.ver)) s += 'connection: close\r\n';
  s += '\r\n' + r.body;
  return Buffer.from(s, 'latin1');
}

const DEFAULT_HTTP_EXPECT: ExpectRule = { kind: 'expect', type: 'rstatus', inverse: false, text: '^[23][0-9][0-9]$', regex: /^[23][0-9][0-9]$/, isDefault: true };

/** Builds the check of server `s`, or null when it has none (no `check`, disabled, no port). */
export function buildCheckSpec(s: RtServer, defaults: readonly Proxy[]): CheckSpec | null {
  const sc = s.conf;
  if (!sc.check) return null;
  const o = sc.options;
  const px = s.backend.conf;
  const inter = ms(o.get('inter')?.[0], 2000);
  const spec: CheckSpec = {
    proto: 'tcp',
    rules: [],
    inter,
    fastinter: ms(o.get('fastinter')?.[0], 0),
    downinter: ms(o.get('downinter')?.[0], 0),
    rise: Math.max(1, int(o.get('rise')?.[0], 2)),
    fall: Math.max(1, int(o.get('fall')?.[0], 3)),
    timeoutCheck: px.timeouts.get('check') ?? 0,
    timeoutConnect: px.timeouts.get('connect') ?? 0,
    host: s.host,
    port: s.port,
    unixPath: s.unixPath,
    sendProxy: 0,
    source: s.source,
  };
  const addr = o.get('addr')?.[0];
  let addrPort = 0;
  if (addr) {
    const m = /^\[([^\]]*)\](?::(\d+))?$/.exec(addr) ?? /^([^:]*)(?::(\d+))?$/.exec(addr);
    if (m) {
      spec.host = m[1];
      if (m[2]) addrPort = +m[2];
    } else spec.host = addr; // a bare IPv6 address
  }
  const port = int(o.get('port')?.[0], 0);
  if (port) spec.port = port;
  else if (addrPort) spec.port = addrPort;
  if (addr) spec.ownAddr = spec.host;
  if (port || addrPort) spec.ownPort = spec.port;
  if (!spec.unixPath && !spec.port) return null;
  // the PROXY protocol goes on checks with check-send-proxy, or when the server uses it and the check goes to the same place
  if (o.has('check-send-proxy') || (s.sendProxy && !o.has('port') && !o.has('addr'))) spec.sendProxy = s.sendProxy === 2 ? 2 : 1;

  if (checkUsesSsl(o)) spec.tls = s.tls ?? new ServerTls(sc, configFor(px));
  if (sslHelloWins(px)) {
    spec.proto = 'ssl-hello';
    spec.rules = sslHelloRules();
  } else if (px.options.get('httpchk')?.enabled) {
    spec.proto = 'http';
    let req = httpchkOption(px.options.get('httpchk')!.args);
    const rules: CheckRule[] = [];
    let sawSend = false;
    let sawExpect = false;
    for (const d of checkDirectives(px, defaults, 'http-check')) {
      const sub = d.keyword.slice('http-check '.length);
      if (sub === 'connect') rules.push(parseConnect(d.args, false));
      else if (sub === 'send') {
        const r = httpSend(req, d.args);
        // the first send completes the option's request; later ones start from it too
        if (!sawSend) req = r.req;
        rules.push({ kind: 'send', data: serializeCheckRequest(r.req), comment: r.comment });
        sawSend = true;
      } else if (sub === 'expect') {
        const e = parseExpect(d.args, true);
        if (e) {
          rules.push(e);
          sawExpect = true;
        }
      }
    }
    if (!rules.length || rules[0].kind !== 'connect') rules.unshift({ kind: 'connect', implicit: true, sendProxy: false });
    if (!sawSend) rules.splice(1, 0, { kind: 'send', data: serializeCheckRequest(req) });
    if (!sawExpect) rules.push(DEFAULT_HTTP_EXPECT);
    spec.rules = rules;
  } else if (px.options.get('tcp-check')?.enabled) {
    spec.proto = 'tcp-check';
    const rules: CheckRule[] = [];
    for (const d of checkDirectives(px, defaults, 'tcp-check')) {
      const sub = d.keyword.slice('tcp-check '.length);
      if (sub === 'connect') rules.push(parseConnect(d.args, false));
      else if (sub === 'send' || sub === 'send-lf') {
        const i = d.args.indexOf('comment');
        rules.push({ kind: 'send', data: Buffer.from(d.args[0] ?? '', 'latin1'), comment: i >= 0 ? d.args[i + 1] : undefined });
      } else if (sub === 'send-binary' || sub === 'send-binary-lf') {
        const i = d.args.indexOf('comment');
        rules.push({ kind: 'send', data: hexBytes(d.args[0] ?? ''), comment: i >= 0 ? d.args[i + 1] : undefined });
      } else if (sub === 'expect') {
        const e = parseExpect(d.args, false);
        if (e) rules.push(e);
      }
    }
    if (rules.length && rules[0].kind !== 'connect') rules.unshift({ kind: 'connect', implicit: true, sendProxy: false });
    spec.rules = rules;
  }
  return spec;
}
