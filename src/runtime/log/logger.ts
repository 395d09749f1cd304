/**
 * The log phase: per proxy, what its `log` lines, log format and options say
 * (ProxyLogger, built once at start); per stream, the few timestamps the
 * timers need (StreamLog, only allocated when the frontend logs); and the
 * functions the streams call when they end, which build the line once and
 * send it to every target.
 *
 * A frontend without log targets gets no StreamLog: its streams pay nothing.
 */
import { bytesOut } from '../io/direct.js';
import { nowMs } from '../io/clock.js';
import { pathOf } from '../http/forward.js';
import { hostname } from 'node:os';
import type { Config, Directive, Pos, Proxy } from '../../config/model.js';
import { proxyAcls } from '../conditions.js';
import type { RtProxy, RtServer, RuntimeModel } from '../model.js';
import {
  CLF_LOG_FORMAT,
  CompiledFormat,
  HTTP_LOG_FORMAT,
  HTTPS_LOG_FORMAT,
  OPT_HTTP,
  OPT_MANDATORY,
  OPT_MERGE_SPACES,
  TCP_LOG_FORMAT,
  compileFormat,
  type LogRecord,
} from './format.js';
import { LOG_ERR, LOG_INFO, LogTarget, parseTarget, type HeaderMeta } from './syslog.js';
import { builtinError } from '../http/errors.js';
import { STATS } from '../stats/counters.js';
import { countHttpError, countHttpTxn, countTcpStream } from '../stats/hooks.js';

/** A capture slot: a header name (capture ... header) or a free slot (declare capture). */
export interface CaptureSlot {
  header?: string;
  len: number;
}

/** What a proxy's configuration says about logging, resolved once. */
export class ProxyLogger {
  readonly targets: LogTarget[] = [];
  readonly meta: HeaderMeta;
  /** the traffic log format; null: the "Connect from" line at accept */
  format: CompiledFormat | null = null;
  sdFormat: CompiledFormat | null = null;
  errFormat: CompiledFormat | null = null;
  uniqueIdFormat: CompiledFormat | null = null;
  uniqueIdHeader: string | null = null;
  /** requests for monitor-uri are never logged */
  monitorUri: string | null = null;
  dontlognull = false;
  dontlogNormal = false;
  separateErrors = false;
  readonly reqCaps: CaptureSlot[] = [];
  readonly resCaps: CaptureSlot[] = [];
  /** %lc */
  logCount = 0;
  /** problems met while compiling (shown by the runtime's logger) */
  readonly warnings: string[] = [];

  constructor(
    readonly px: RtProxy,
    meta: HeaderMeta,
  ) {
    this.meta = meta;
  }

  /** true when traffic of this frontend is logged */
  get active(): boolean {
    return this.targets.length > 0;
  }

  /** Sends one message to every target of the proxy. */
  send(level: number, msg: string, sd = '-'): void {
    for (const t of this.targets) t.send(level, msg, this.meta, sd);
  }
}

const loggers = new WeakMap<RtProxy, ProxyLogger>();

export function loggerOf(px: RtProxy): ProxyLogger | undefined {
  return loggers.get(px);
}

/** request counter shared by all streams (%rt, unique ids) */
let uniqCounter = 0;

/**
 * The timestamps and facts of one stream (tcp) or HTTP transaction, as ms
 * since the epoch; -1 when the step did not happen. The connector writes
 * the queue/connect ones.
 */
export class StreamLog {
  acceptDate = nowMs();
  tIdle = -1;
  tRequest = -1;
  tQueue = -1;
  tConnect = -1;
  tData = -1;
  /** the last server a connection was attempted to */
  server: RtServer | null = null;
  retries = 0;
  redispatched = false;
  /** status of a response HAProxy made itself (error, deny) */
  status = 0;
  /** the bytes of that response when they are not the built-in page (return, deny with a body, errorfile) */
  replyBytes: Buffer | null = null;
  /** `http-request set-log-level`: null as configured, -1 silent, else the syslog level */
  level: number | null = null;
  /** request counter value (%rt), taken when first needed: a keep-alive request that never comes takes none */
  private uniq = uniqCounter++;
  uniqueId: string | null = null;
  logged = false;
  /** the stats counters have this transaction (src/runtime/stats/hooks.ts) */
  counted = false;
  /** client socket byte counters when the transaction started */
  read0 = 0;
  written0 = 0;
  /** HTX sizes of the request and response heads as received (HAProxy counts bytes on reception) */
  reqHtx = 0;
  resHtx = 0;
  /** values of `declare capture` slots set by `http-request capture` */
  reqCapVals: (string | null)[] | null = null;
  resCapVals: (string | null)[] | null = null;

  constructor(readonly lg: ProxyLogger) {}

  /** the request head was parsed */
  request(m: Msg): void {
    this.tRequest = nowMs();
    this.reqHtx = htxHeadSize(m);
  }

  /** the (final) response head was parsed */
  response(m: Msg): void {
    this.tData = nowMs();
    this.resHtx = htxHeadSize(m);
  }

  get uniqId(): number {
    if (this.uniq < 0) this.uniq = uniqCounter++;
    return this.uniq;
  }

  /** A new HTTP transaction on the same connection starts now. */
  next(read: number, written: number): void {
    this.acceptDate = nowMs();
    this.tIdle = this.tRequest = this.tQueue = this.tConnect = this.tData = -1;
    this.server = null;
    this.retries = 0;
    this.redispatched = false;
    this.status = 0;
    this.replyBytes = null;
    this.level = null;
    this.uniq = -1;
    this.uniqueId = null;
    this.logged = false;
    this.counted = false;
    this.read0 = read;
    this.written0 = written;
    this.reqHtx = this.resHtx = 0;
    this.reqCapVals = this.resCapVals = null;
  }
}

/** A StreamLog for a new stream of `fe`, or null when nothing of it is ever logged. */
export function newStreamLog(fe: RtProxy): StreamLog | null {
  const lg = loggers.get(fe);
  if (!lg || !((lg.active && lg.format) || lg.uniqueIdFormat)) return null;
  return new StreamLog(lg);
}

// ---------------------------------------------------------------------------
// building the loggers from the configuration

function posBefore(config: Config, a: Pos, b: Pos): boolean {
  const fa = config.files.indexOf(a.file);
  const fb = config.files.indexOf(b.file);
  if (fa !== fb) return fa < fb;
  return a.line < b.line;
}

/** The directive `kw` in force for a proxy: its own last one, else its defaults section's. */
function lastDirective(p: Proxy, kw: string): Directive | undefined {
  const own = p.directives.filter((d) => d.keyword === kw);
  if (own.length) return own[own.length - 1];
  const def = p.defaultsProxy?.directives.filter((d) => d.keyword === kw) ?? [];
  return def[def.length - 1];
}

/** Which format string is in force: the last of log-format / option httplog / tcplog / httpslog. */
export function formatString(p: Proxy, config: Config): { fmt: string; how: string; pos: Pos } | null {
  let best: { fmt: string; how: string; pos: Pos } | null = null;
  const consider = (fmt: string, how: string, pos: Pos) => {
    if (!best || !posBefore(config, pos, best.pos)) best = { fmt, how, pos };
  };
  const lf = [...(p.defaultsProxy?.directives ?? []), ...p.directives].filter((d) => d.keyword === 'log-format');
  for (const d of lf) consider(d.args[0] ?? '', 'log-format', d);
  for (const name of ['httplog', 'httpslog', 'tcplog']) {
    const o = p.options.get(name);
    if (!o || !o.enabled) continue;
    if (name === 'tcplog') consider(TCP_LOG_FORMAT, 'option tcplog', o.pos);
    else if (name === 'httpslog') consider(HTTPS_LOG_FORMAT, 'option httpslog', o.pos);
    else consider(o.args[0] === 'clf' ? CLF_LOG_FORMAT : HTTP_LOG_FORMAT, 'option httplog', o.pos);
  }
  const b = best as { fmt: string; how: string; pos: Pos } | null;
  if (b && b.how !== 'log-format' && b.how !== 'option tcplog' && p.mode !== 'http') {
    // HAProxy: "'option httplog' not usable with frontend (needs 'mode http'). Falling back to 'option tcplog'."
    return { fmt: TCP_LOG_FORMAT, how: 'option tcplog', pos: b.pos };
  }
  return b;
}

function globalDirective(config: Config, kw: string): Directive | undefined {
  const l = config.global.directives.filter((d) => d.keyword === kw);
  return l[l.length - 1];
}

function targetsOf(lines: Directive[], config: Config, out: LogTarget[], warnings: string[], getenv?: (n: string) => string | undefined): void {
  for (const d of lines) {
    if (d.args[0] === 'global' && d.args.length === 1) {
      targetsOf(config.global.logs, config, out, warnings, getenv);
      continue;
    }
    const t = parseTarget(d.args, getenv);
    if (t instanceof LogTarget) out.push(t);
    else warnings.push(`${d.file}:${d.line}: ${t.note}`);
  }
}

/** Builds the logger of every proxy of the model (call once before listening). */
export function setupLogging(model: RuntimeModel, getenv?: (n: string) => string | undefined): ProxyLogger[] {
  const config = model.config;
  const sendHost = globalDirective(config, 'log-send-hostname');
  const host = sendHost ? sendHost.args[0] || hostname() : '';
  const gtag = globalDirective(config, 'log-tag')?.args[0] ?? 'haproxy';
  const pid = String(process.pid);
  const out: ProxyLogger[] = [];
  for (const px of model.proxies) {
    const p = px.conf;
    const tag = lastDirective(p, 'log-tag')?.args[0] ?? gtag;
    const lg = new ProxyLogger(px, { tag, host, pid });
    targetsOf(p.logs, config, lg.targets, lg.warnings, getenv);
    const compile = (fmt: string, opts = OPT_MANDATORY | OPT_MERGE_SPACES): CompiledFormat | null => {
      try {
        return compileFormat(fmt, proxyAcls(px).env, opts);
      } catch (e) {
        lg.warnings.push(`${p.name}: log format '${fmt}': ${(e as Error).message}`);
        return null;
      }
    };
    if (lg.active) {
      // formats are only compiled for proxies that send logs
      const f = formatString(p, config);
      if (f && f.fmt) lg.format = compile(f.fmt);
      const sd = lastDirective(p, 'log-format-sd');
      if (sd?.args[0]) lg.sdFormat = compile(sd.args[0]);
      const ef = lastDirective(p, 'error-log-format');
      if (ef?.args[0]) lg.errFormat = compile(ef.args[0]);
    }
    const uf = lastDirective(p, 'unique-id-format');
    if (uf?.args[0]) lg.uniqueIdFormat = compile(uf.args[0], OPT_HTTP | OPT_MERGE_SPACES);
    lg.uniqueIdHeader = lastDirective(p, 'unique-id-header')?.args[0] ?? null;
    lg.monitorUri = lastDirective(p, 'monitor-uri')?.args[0] ?? null;
    lg.dontlognull = px.option('dontlognull');
    lg.dontlogNormal = px.option('dontlog-normal');
    lg.separateErrors = px.option('log-separate-errors');
    for (const d of p.directives) {
      if (d.keyword === 'capture request' || d.keyword === 'capture response') {
        const slot = { header: d.args[1].toLowerCase(), len: Number(d.args[3]) || 0 };
        (d.keyword === 'capture request' ? lg.reqCaps : lg.resCaps).push(slot);
      } else if (d.keyword === 'declare capture') {
        (d.args[0] === 'request' ? lg.reqCaps : lg.resCaps).push({ len: Number(d.args[2]) || 0 });
      }
    }
    loggers.set(px, lg);
    out.push(lg);
  }
  return out;
}

// ---------------------------------------------------------------------------
// what the streams hand over

interface Addrs {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

interface ListenerLike {
  readonly id: number;
  readonly conf: { options: Map<string, string[]> };
  readonly host: unknown;
}

function actconn(l: ListenerLike): number {
  const h = l.host as { currentConnections?: () => number };
  return h.currentConnections ? h.currentConnections() : 0;
}

/** What a tcp stream offers the log (TcpStream). */
export interface TcpSource {
  readonly fe: RtProxy;
  readonly be: RtProxy | null;
  readonly server: RtServer | null;
  readonly listener: ListenerLike;
  readonly addrs: Addrs;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly term: { cause: string; phase: string };
  readonly srv: { localAddress?: string; localPort?: number } | null;
  sampleContext(): import('../../acl/context.js').SampleContext;
}

/** What an HTTP session offers the log (HttpSession). */
export interface HttpSource extends Omit<TcpSource, 'bytesIn' | 'bytesOut'> {
  readonly req: import('../http/h1/message.js').HttpMessage | null;
  readonly res: import('../http/h1/message.js').HttpMessage | null;
  readonly cli: { bytesRead: number; bytesWritten: number };
  /** cookie persistence of the transaction: client and server cookie states (%tsc) */
  readonly persist?: { ck: string; sck: string } | null;
}

/** The bits every record starts with. */
function baseRecord(fe: RtProxy, l: ListenerLike, a: Addrs, sl: StreamLog | null, now: number): LogRecord {
  const accept = sl ? sl.acceptDate : now;
  return {
    src: a.src,
    srcPort: a.srcPort,
    dst: a.dst,
    dstPort: a.dstPort,
    luid: l.id,
    ssl: l.conf.options.has('ssl'),
    frontend: fe.name,
    backend: fe.name,
    server: '<NOSRV>',
    acceptDate: accept,
    tHandshake: 0,
    tIdle: -1,
    tRequest: -1,
    tQueue: -1,
    tConnect: -1,
    tData: -1,
    tClose: now - accept,
    httpBackend: fe.mode === 'http',
    status: 0,
    bytesIn: 0,
    bytesOut: 0,
    termCause: '-',
    termPhase: '-',
    cookieFlags: '--',
    actconn: actconn(l),
    feconn: fe.feconn,
    beconn: fe.beconn,
    srvConn: 0,
    retries: 0,
    redispatched: false,
    srvQueue: 0,
    beQueue: 0,
    reqCaps: null,
    resCaps: null,
    uri: null,
    uniqueId: null,
    cliCookie: null,
    srvCookie: null,
    uniqId: sl ? sl.uniqId : uniqCounter++,
    logCount: 0,
    pid: process.pid,
    ctx: null,
  };
}

const rel = (t: number, accept: number) => (t >= 0 ? t - accept : -1);

/**
 * the common stream facts: backend, server, counts, termination. `beHeld`:
 * the backend's connection count still includes this stream; a server still
 * attached to the stream still counts it too.
 */
function fillStream(r: LogRecord, s: TcpSource | HttpSource, sl: StreamLog, beHeld: boolean): void {
  const be = s.be;
  const srv = s.server ?? sl.server;
  r.tQueue = rel(sl.tQueue, sl.acceptDate);
  r.tConnect = rel(sl.tConnect, sl.acceptDate);
  r.tData = rel(sl.tData, sl.acceptDate);
  if (be) {
    r.backend = be.name;
    r.beconn = be.beconn - (beHeld ? 1 : 0);
    r.httpBackend = be.mode === 'http';
  }
  if (srv) {
    r.server = srv.name;
    r.srvConn = srv.cur - (s.server === srv ? 1 : 0);
    r.srvIp = srv.unixPath ?? srv.host;
    r.srvPort = srv.port;
  }
  const bs = s.srv;
  if (bs && bs.localAddress) {
    r.beSrcIp = bs.localAddress;
    r.beSrcPort = bs.localPort;
  }
  r.retries = sl.retries;
  r.redispatched = sl.redispatched;
  r.termCause = s.term.cause;
  r.termPhase = s.term.phase;
  r.uniqueId = sl.uniqueId;
}

/** HAProxy's notion of an error for dontlog-normal and log-separate-errors */
function isError(r: LogRecord, httpFe: boolean): boolean {
  return (
    r.redispatched ||
    (r.termCause !== '-' && r.termCause !== 'L') ||
    (r.termCause === '-' && r.retries > 0) ||
    (httpFe && r.status >= 500)
  );
}

function emit(lg: ProxyLogger, fmt: CompiledFormat, r: LogRecord, level: number): void {
  if (level < 0) return;
  r.logCount = lg.logCount;
  const line = fmt.render(r);
  if (!line) return;
  lg.logCount++;
  let sd = '-';
  if (lg.sdFormat) {
    sd = lg.sdFormat.render(r).replace(/ +$/, '') || '-';
  }
  lg.send(level, line, sd);
}

/** The stream's unique id, built once (unique-id-format), or null. */
export function uniqueId(sl: StreamLog | null, s: TcpSource | HttpSource, r?: LogRecord): string | null {
  if (!sl) return null;
  if (sl.uniqueId !== null) return sl.uniqueId;
  const f = sl.lg.uniqueIdFormat;
  if (!f) return null;
  const rec = r ?? streamRecord(s, sl, false);
  sl.uniqueId = f.render(rec);
  return sl.uniqueId;
}

function streamRecord(s: TcpSource | HttpSource, sl: StreamLog, beHeld: boolean): LogRecord {
  const now = Date.now();
  const r = baseRecord(s.fe, s.listener, s.addrs, sl, now);
  fillStream(r, s, sl, beHeld);
  r.ctx = s.sampleContext();
  return r;
}

// ---------------------------------------------------------------------------
// accept

/**
 * A connection was accepted on `fe`: without a log format HAProxy logs
 * "Connect from" now; a format that needs nothing later is logged now too.
 */
export function logAccept(fe: RtProxy, l: ListenerLike, a: Addrs, sl: StreamLog | null): void {
  const lg = loggers.get(fe);
  if (!lg || !lg.active) return;
  const mode = fe.mode === 'http' ? 'HTTP' : 'TCP';
  if (!lg.format) {
    if (a.src === '') lg.send(LOG_INFO, `Connect to unix:${l.id} (${fe.name}/${mode})`);
    else lg.send(LOG_INFO, `Connect from ${a.src}:${a.srcPort} to ${a.dst}:${a.dstPort} (${fe.name}/${mode})`);
    return;
  }
  if (lg.format.atAccept) {
    const r = baseRecord(fe, l, a, sl, Date.now());
    emit(lg, lg.format, r, LOG_INFO);
    if (sl) sl.logged = true;
  }
}

// ---------------------------------------------------------------------------
// tcp streams

/** The end of a tcp stream (called before its server slot and backend count are released). */
export function logTcpStream(s: TcpSource, sl: StreamLog): void {
  if (STATS.on && !sl.counted) countTcpStream(s, sl);
  const lg = sl.lg;
  if (sl.logged || !lg.active || !lg.format) return;
  sl.logged = true;
  if (lg.dontlognull && s.bytesIn === 0) return;
  const r = streamRecord(s, sl, true);
  r.bytesIn = s.bytesIn;
  r.bytesOut = s.bytesOut;
  const err = isError(r, false);
  if (!err && lg.dontlogNormal) return;
  if (lg.uniqueIdFormat && r.uniqueId === null) r.uniqueId = uniqueId(sl, s, r);
  emit(lg, lg.format, r, sl.level ?? (err && lg.separateErrors ? LOG_ERR : LOG_INFO));
}

// ---------------------------------------------------------------------------
// HTTP

type Msg = import('../http/h1/message.js').HttpMessage;

/** What the log reads of a body decoder (h1/body.ts BodyDecoder). */
export interface BodyCount {
  readonly mode: number;
  readonly done: boolean;
  readonly bodyBytes: number;
  readonly trailers: { length: number; names: string[]; values: string[] } | null;
}

const BODY_CHUNKED = 2;

/** HTX size of a body: its payload, and for chunked messages the trailers and the end-of-trailers block */
function htxBodySize(d: BodyCount): number {
  let n = d.bodyBytes;
  if (d.mode === BODY_CHUNKED && d.done) {
    n++;
    const t = d.trailers;
    if (t) for (let i = 0; i < t.length; i++) n += t.names[i].length + t.values[i].length;
  }
  return n;
}

/**
 * HTX size of a head: HAProxy counts bytes as stored in HTX (start line
 * parts + 20, names + values, end of headers 1). Its H1 parser drops the
 * close/keep-alive tokens of Connection headers (and the header when empty).
 */
export function htxHeadSize(m: Msg): number {
  let n = 21 + m.version.length;
  if (m.isResponse) n += (m.statusText || String(m.status)).length + m.reason.length;
  else n += m.method.length + m.uri.length;
  const h = m.headers;
  for (let i = 0; i < h.length; i++) {
    const name = h.names[i];
    const v = h.values[i];
    if (name === 'connection') {
      const rest = v
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t && !/^(close|keep-alive)$/i.test(t));
      if (rest.length) n += name.length + rest.join(', ').length;
      continue;
    }
    n += name.length + v.length;
  }
  return n;
}

/** bytes of the head as written on the wire by the H1 layer ("A B C\r\n", "name: value\r\n", "\r\n") */
function wireHeadSize(m: Msg): number {
  let n = m.version.length + 4;
  if (m.isResponse) n += (m.statusText || String(m.status)).length + m.reason.length;
  else n += m.method.length + m.uri.length;
  const h = m.headers;
  for (let i = 0; i < h.length; i++) n += h.names[i].length + h.values[i].length + 4;
  return n + 2;
}

const errSizes = new Map<number, number>();

/** HTX size of HAProxy's own error message for `status` */
function errorHtxSize(status: number, raw: () => Buffer): number {
  let n = errSizes.get(status);
  if (n !== undefined) return n;
  n = htxSizeOf(raw());
  errSizes.set(status, n);
  return n;
}

/** HAProxy's HTX size of a whole response it sends itself: start line + 20, names + values (no connection), end of headers, body */
function htxSizeOf(raw: Buffer): number {
  let n: number;
  const b = raw.toString('latin1');
  const end = b.indexOf('\r\n\r\n');
  const lines = b.slice(0, end).split('\r\n');
  const [ver, code, ...reason] = lines[0].split(' ');
  n = 20 + ver.length + code.length + reason.join(' ').length + 1;
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (l.slice(0, c).toLowerCase() === 'connection') continue;
    n += c + l.slice(c + 1).trim().length;
  }
  n += b.length - end - 4;
  return n;
}

function capture(slots: CaptureSlot[], m: Msg | null, set: (string | null)[] | null): (string | null)[] {
  const out: (string | null)[] = new Array(slots.length).fill(null);
  for (let k = 0; k < slots.length; k++) {
    const sl = slots[k];
    if (sl.header && m) {
      const h = m.headers;
      // the last occurrence wins, cut to the slot length
      for (let i = 0; i < h.length; i++) if (h.names[i] === sl.header) out[k] = h.values[i].slice(0, sl.len);
    } else if (set && set[k] != null) out[k] = set[k]!.slice(0, sl.len);
  }
  return out;
}

/** what txnBytes() found: the transaction's status and its bytes as HAProxy counts them (HTX sizes) */
export const TXN_BYTES = { status: 0, bytesIn: 0, bytesOut: 0 };

/** Fills TXN_BYTES for an HTTP transaction (shared by the log line and the stats counters). */
export function txnBytes(s: HttpSource, sl: StreamLog, reqBody?: BodyCount, resBody?: BodyCount): void {
  const req = s.req;
  const res = s.res;
  const t = TXN_BYTES;
  t.status = 0;
  t.bytesIn = 0;
  t.bytesOut = 0;
  if (req) {
    const read = s.cli.bytesRead - sl.read0;
    t.bytesIn = (sl.reqHtx || htxHeadSize(req)) + (reqBody ? htxBodySize(reqBody) : Math.max(0, read - req.headLength));
  }
  const written = bytesOut(s.cli) - sl.written0;
  if (res && !sl.status) {
    t.status = res.status;
    t.bytesOut = (sl.resHtx || htxHeadSize(res)) + (resBody ? htxBodySize(resBody) : Math.max(0, written - wireHeadSize(res)));
  } else if (sl.status) {
    t.status = sl.status;
    t.bytesOut = written > 0 ? (sl.replyBytes ? htxSizeOf(sl.replyBytes) : errorHtxSize(sl.status, () => builtinError(sl.status))) : 0;
  }
}

/**
 * The end of an HTTP transaction (response forwarded, HAProxy's own reply
 * sent, or the connection gone mid-way). `beHeld`: the backend's connection
 * count still includes this transaction. The body decoders, when given,
 * count the payload as HAProxy does (without chunk framing).
 */
export function logHttpTxn(s: HttpSource, sl: StreamLog, beHeld: boolean, reqBody?: BodyCount, resBody?: BodyCount): void {
  if (STATS.on && !sl.counted) countHttpTxn(s, sl, beHeld, reqBody, resBody);
  const lg = sl.lg;
  if (sl.logged || !lg.active || !lg.format) return;
  sl.logged = true;
  const req = s.req;
  const res = s.res;
  if (req && sl.status && lg.monitorUri !== null && pathOf(req.uri) === lg.monitorUri) return;
  const r = streamRecord(s, sl, beHeld);
  r.tIdle = rel(sl.tIdle, sl.acceptDate);
  r.tRequest = rel(sl.tRequest, sl.acceptDate);
  const be = s.be;
  if (be && be.conf.cookie) r.cookieFlags = s.persist ? s.persist.ck + s.persist.sck : 'NN';
  if (req) r.uri = `${req.method} ${req.uri} ${req.version}`.slice(0, 1024);
  txnBytes(s, sl, reqBody, resBody);
  r.bytesIn = TXN_BYTES.bytesIn;
  if (TXN_BYTES.status) {
    r.status = TXN_BYTES.status;
    r.bytesOut = TXN_BYTES.bytesOut;
  }
  if (lg.reqCaps.length) r.reqCaps = capture(lg.reqCaps, req, sl.reqCapVals);
  if (lg.resCaps.length) r.resCaps = capture(lg.resCaps, sl.status ? null : res, sl.resCapVals);
  const err = isError(r, true);
  if (!err && lg.dontlogNormal) return;
  if (lg.uniqueIdFormat && r.uniqueId === null) r.uniqueId = uniqueId(sl, s, r);
  emit(lg, lg.format, r, sl.level ?? (err && lg.separateErrors ? LOG_ERR : LOG_INFO));
}


/**
 * An HTTP connection failed before a request could be parsed (HAProxy's
 * sess_log: 400 bad request, 408 timeout, client gone): "<BADREQ>" lines.
 */
export function logHttpError(s: HttpSource, sl: StreamLog, status: number): void {
  if (STATS.on && !sl.counted) countHttpError(s, sl, status);
  const lg = sl.lg;
  if (sl.logged || !lg.active || !lg.format) return;
  sl.logged = true;
  const got = s.cli.bytesRead - sl.read0;
  if (lg.dontlognull && got <= 0) return;
  const now = Date.now();
  const r = baseRecord(s.fe, s.listener, s.addrs, sl, now);
  r.tIdle = sl.tIdle >= 0 ? sl.tIdle - sl.acceptDate : 0;
  r.status = status;
  r.termCause = s.term.cause;
  r.termPhase = s.term.phase;
  r.ctx = s.sampleContext();
  emit(lg, lg.errFormat ?? lg.format, r, lg.separateErrors ? LOG_ERR : LOG_INFO);
}

/** unique-id-header: the request gets the stream's unique id (before X-Forwarded-For, as in HAProxy). */
export function addUniqueIdHeader(s: HttpSource, sl: StreamLog | null): void {
  const name = sl?.lg.uniqueIdHeader;
  if (!name || !s.req) return;
  const id = uniqueId(sl, s);
  if (id !== null) s.req.headers.add(name, id);
}

/** `http-request capture ... id N` / `http-response capture`: fills a declared slot. */
export function setCapture(sl: StreamLog | null, dir: 'request' | 'response', id: number, value: string): void {
  if (!sl) return;
  const n = (dir === 'request' ? sl.lg.reqCaps : sl.lg.resCaps).length;
  if (id < 0 || id >= n) return;
  const arr = dir === 'request' ? (sl.reqCapVals ??= new Array(n).fill(null)) : (sl.resCapVals ??= new Array(n).fill(null));
  arr[id] = value;
}

/** A message for the logs of `px` (server state changes, proxy stop...), at `level`. */
export function proxyLog(px: RtProxy, level: number, msg: string): void {
  loggers.get(px)?.send(level, msg);
}
