/**
 * `tshaproxy route -f haproxy.cfg [--frontend NAME] 'GET /path HTTP/1.1'
 *  -H 'Host: x' [--src 1.2.3.4[:port]] [--dst addr:port] [--sni name] [--json]`
 *
 * Runs a request through the configuration's real rules (the same engine
 * as the running proxy, no socket opened) and tells what would happen:
 * each rule evaluated and its outcome, the backend, the server (the pick a
 * fresh process makes for deterministic algorithms; the candidates for
 * random ones), and the request as the server would receive it, or the
 * answer HAProxy would give instead.
 */
import { addForwardHeaders } from '../runtime/http/forward.js';
import { checkConfig } from '../config/check.js';
import type { ParseOptions } from '../config/registry.js';
import { buildModel } from '../runtime/index.js';
import type { RtProxy, RtServer, RuntimeModel } from '../runtime/model.js';
import { StreamContext } from '../runtime/sample-context.js';
import { chooseBackend } from '../runtime/switching.js';
import { evalCondition, evalDynamicName } from '../runtime/conditions.js';
import { H1Parser, PARSE_ERROR, NEED_MORE } from '../runtime/http/h1/parser.js';
import { BackConn } from '../runtime/http/h1/serializer.js';
import type { HttpMessage } from '../runtime/http/h1/message.js';
import { httpMode } from '../runtime/http/settings.js';
import { createLb } from '../runtime/lb/index.js';
import { persistHttpRequest } from '../runtime/persist/index.js';
import { effectsOf, httpRequestRules, TcpRules, useServer, type HttpRuleSession, type TcpRuleStream, type TraceEvent } from '../runtime/rules/index.js';
import type { StreamTimer } from '../runtime/timer.js';
import { renderCheck } from './check-output.js';

interface RouteArgs {
  files: string[];
  frontend?: string;
  requestLine?: string;
  headers: string[];
  body?: string;
  src: string;
  srcPort: number;
  dst?: string;
  dstPort?: number;
  sni?: string;
  json: boolean;
  strict: boolean;
}

const USAGE = `usage: tshaproxy route -f <haproxy.cfg> [--frontend <name>] '<METHOD> <uri> HTTP/1.1' [-H 'Name: value']...
                       [--data <body>] [--src <addr>[:port]] [--dst <addr>:<port>] [--sni <name>] [--json] [--strict]
`;

function parseArgs(argv: string[]): RouteArgs | string {
  const a: RouteArgs = { files: [], headers: [], src: '127.0.0.1', srcPort: 40000, json: false, strict: false };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`missing value after '${w}'`);
      return v;
    };
    try {
      switch (w) {
        case '-f':
          a.files.push(val());
          break;
        case '--frontend':
          a.frontend = val();
          break;
        case '-H':
        case '--header':
          a.headers.push(val());
          break;
        case '--data':
        case '-d':
          a.body = val();
          break;
        case '--src': {
          const { host, port } = hostPort(val());
          a.src = host;
          if (port !== undefined) a.srcPort = port;
          break;
        }
        case '--dst': {
          const { host, port } = hostPort(val());
          a.dst = host;
          a.dstPort = port;
          break;
        }
        case '--sni':
          a.sni = val();
          break;
        case '--json':
          a.json = true;
          break;
        case '--strict':
          a.strict = true;
          break;
        case '-h':
        case '--help':
          return USAGE;
        default:
          if (w.startsWith('-')) return `unknown option '${w}'\n${USAGE}`;
          if (a.requestLine !== undefined) return `only one request line is expected (got '${w}')\n${USAGE}`;
          a.requestLine = w;
      }
    } catch (e) {
      return `${(e as Error).message}\n${USAGE}`;
    }
  }
  if (!a.files.length) return `no configuration file (use -f)\n${USAGE}`;
  return a;
}

function hostPort(s: string): { host: string; port?: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) return { host: s };
  return { host: m[1], port: m[2] !== undefined ? Number(m[2]) : undefined };
}

/** A minimal TLS ClientHello carrying `sni` (what req_ssl_sni and friends read). */
export function clientHelloFor(sni: string): Buffer {
  const name = Buffer.from(sni, 'latin1');
  const sniExt = Buffer.alloc(9 + name.length);
  sniExt.writeUInt16BE(0x0000, 0); // server_name
  sniExt.writeUInt16BE(5 + name.length, 2);
  sniExt.writeUInt16BE(3 + name.length, 4); // server_name_list
  sniExt[6] = 0; // host_name
  sniExt.writeUInt16BE(name.length, 7);
  name.copy(sniExt, 9);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]), // client_version TLS 1.2
    Buffer.alloc(32, 0x2a), // random
    Buffer.from([0x00]), // no session id
    Buffer.from([0x00, 0x04, 0x13, 0x01, 0x00, 0x2f]), // cipher suites
    Buffer.from([0x01, 0x00]), // compression: null
    Buffer.from([(sniExt.length >> 8) & 0xff, sniExt.length & 0xff]),
    sniExt,
  ]);
  const hs = Buffer.concat([Buffer.from([0x01, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, (hs.length >> 8) & 0xff, hs.length & 0xff]), hs]);
}

type Outcome =
  | { kind: 'forward' }
  | { kind: 'reply'; status: number; response: string; close: boolean; tarpitMs?: number }
  | { kind: 'reject'; silent: boolean }
  | { kind: 'no-backend' };

/** The HTTP session the rules see, without a socket. */
class SimSession implements HttpRuleSession {
  be: RtProxy | null = null;
  req: HttpMessage | null;
  res: HttpMessage | null = null;
  server = null;
  term = { cause: '-', phase: '-' };
  outcome: Outcome = { kind: 'forward' };
  private tarpitMs?: number;
  private interim: Buffer[] = [];
  readonly cli = { write: (b: Buffer) => (this.interim.push(b), true), destroyed: false };
  private ctx: StreamContext | null = null;

  constructor(
    readonly fe: RtProxy,
    readonly addrs: { src: string; srcPort: number; dst: string; dstPort: number; family: 4 | 6 },
    req: HttpMessage,
    private readonly model: RuntimeModel,
    readonly ruleTrace: (e: TraceEvent) => void,
  ) {
    this.req = req;
  }
  sampleContext(): StreamContext {
    return (this.ctx ??= new StreamContext(this));
  }
  runtimeBackend = (n: string) => this.model.backends.get(n);
  runtimeProxy = (n: string) => this.model.byName.get(n);
  proxyReply(bytes: Buffer, status: number, close: boolean): void {
    const pre = Buffer.concat(this.interim).toString('latin1');
    this.outcome = { kind: 'reply', status, response: pre + bytes.toString('latin1'), close, tarpitMs: this.tarpitMs };
  }
  closeNow(reset: boolean): void {
    this.outcome = { kind: 'reject', silent: reset };
  }
  requestDone(): boolean {
    return true;
  }
  holdTarpit(ms: number, done: () => void): void {
    this.tarpitMs = ms;
    done();
  }
}

/** The tcp stream the rules see, without a socket. */
class SimStream implements TcpRuleStream {
  be: RtProxy | null = null;
  server = null;
  inspectOver = false;
  connected = false;
  direct?: RtServer;
  outcome: Outcome = { kind: 'forward' };
  readonly timer: StreamTimer;
  private ctx: StreamContext | null = null;

  constructor(
    readonly fe: RtProxy,
    readonly addrs: { src: string; srcPort: number; dst: string; dstPort: number; family: 4 | 6 },
    private readonly bytes: Buffer,
    private readonly model: RuntimeModel,
    readonly ruleTrace: (e: TraceEvent) => void,
  ) {
    // the inspect-delay timer: noted, then expired at once (the request holds all it will ever hold)
    this.timer = {
      arm: () => undefined,
      clear: () => undefined,
      touch: () => undefined,
    } as unknown as StreamTimer;
  }
  sampleContext(): StreamContext {
    return (this.ctx ??= new StreamContext(this));
  }
  runtimeBackend = (n: string) => this.model.backends.get(n);
  runtimeProxy = (n: string) => this.model.byName.get(n);
  reqBytes(): Buffer | undefined {
    return this.bytes.length ? this.bytes : undefined;
  }
  reqComplete(): boolean {
    return this.inspectOver;
  }
  selectBackend(): RtProxy | null {
    const be = chooseBackend(this.fe, this);
    if (!be) this.outcome = { kind: 'no-backend' };
    this.be = be;
    return be;
  }
  connectServer(direct?: RtServer): void {
    this.connected = true;
    this.direct = direct;
  }
  rejectClient(reset: boolean): void {
    this.outcome = { kind: 'reject', silent: reset };
  }
}

interface SwitchTrace {
  file: string;
  line: number;
  label: string;
  cond: boolean | 'none';
  target?: string;
}

/** use_backend rules as chooseBackend() walks them, for the report. */
function switchingTrace(fe: RtProxy, subject: { runtimeBackend(n: string): RtProxy | undefined; sampleContext(): StreamContext }): SwitchTrace[] {
  const out: SwitchTrace[] = [];
  for (const r of fe.conf.useBackends) {
    const ok = r.cond ? evalCondition(r.cond, subject, fe) === true : true;
    const target = ok && r.dynamic ? evalDynamicName(r.backend, subject, fe) : r.backend;
    out.push({ file: r.file, line: r.line, label: `use_backend ${r.backend}${condText(r.cond)}`, cond: r.cond ? ok : 'none', target });
    if (ok && target && subject.runtimeBackend(target)) break;
  }
  return out;
}

function condText(c: { polarity: string; text: string } | undefined): string {
  if (!c) return '';
  return c.text.startsWith(c.polarity + ' ') ? ` ${c.text}` : ` ${c.polarity} ${c.text}`;
}

function parseRequest(a: RouteArgs): HttpMessage | string {
  const line = a.requestLine ?? 'GET / HTTP/1.1';
  const body = a.body ?? '';
  const hdrs = [...a.headers];
  if (body && !hdrs.some((h) => /^content-length\s*:/i.test(h) || /^transfer-encoding\s*:/i.test(h))) hdrs.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  const raw = Buffer.from(`${line}\r\n${hdrs.map((h) => h + '\r\n').join('')}\r\n${body}`, 'latin1');
  const p = new H1Parser({});
  const r = p.parse(raw, 0, raw.length);
  if (r === PARSE_ERROR) return `the request is invalid (HAProxy would answer ${p.errorStatus}): ${p.errorReason}`;
  if (r === NEED_MORE) return 'the request is incomplete';
  return p.message;
}

function pickServer(be: RtProxy, req: HttpMessage | null, src: string, bytes?: Buffer): { server?: RtServer; candidates?: RtServer[]; algo: string } {
  const algo = be.conf.balance?.algo ?? 'roundrobin';
  const usable = be.servers.filter((s) => s.up && s.eweight > 0);
  const active = usable.filter((s) => !s.backup);
  const pool = active.length ? active : usable;
  if (algo === 'random') return { candidates: pool, algo };
  try {
    const lb = createLb(be.conf.balance, be.conf.hashType, be.servers, { mode: be.mode, allbackups: be.option('allbackups') });
    const s = lb.pick({
      src,
      uri: req?.uri,
      method: req?.method,
      header: (n) => req?.headers.get(n),
      payload: () => bytes,
    }) as RtServer | null;
    return { server: s ?? undefined, candidates: s ? undefined : pool, algo };
  } catch {
    return { candidates: pool, algo };
  }
}


export interface RouteReport {
  frontend: string;
  mode: 'http' | 'tcp';
  from: string;
  to: string;
  request?: string;
  rules: (TraceEvent | (SwitchTrace & { ruleset: 'use_backend' }))[];
  inspectWaitMs?: number;
  backend?: string;
  server?: { name: string; address: string };
  serverChoice?: string;
  candidates?: string[];
  outcome: Outcome;
  /** the request head as the server receives it (http) */
  toServer?: string;
  /** what actions left for the stream: log level, captures, timeouts, variables... */
  effects?: { logLevel?: string; captures?: (string | undefined)[]; timeouts?: Record<string, number>; earlyHints?: [string, string][]; vars?: Record<string, unknown> };
  notes: string[];
}

/** Evaluates the request against the model. Exported for tests. */
export function route(model: RuntimeModel, a: Omit<RouteArgs, 'files' | 'json' | 'strict'>): RouteReport | string {
  const fe = a.frontend ? model.frontends.find((p) => p.name === a.frontend) : model.frontends[0];
  if (!fe) return a.frontend ? `no frontend or listen named '${a.frontend}'` : 'the configuration has no frontend';
  const bind = fe.conf.binds[0]?.addresses[0];
  const dst = a.dst ?? (bind && !bind.wildcard && bind.host ? bind.host.replace(/^\[(.*)\]$/, '$1') : '127.0.0.1');
  const dstPort = a.dstPort ?? bind?.port ?? 80;
  const addrs = { src: a.src, srcPort: a.srcPort, dst, dstPort, family: (a.src.includes(':') ? 6 : 4) as 4 | 6 };
  const rules: RouteReport['rules'] = [];
  const trace = (e: TraceEvent) => rules.push(e);
  const notes: string[] = [];
  const report: RouteReport = {
    frontend: fe.name,
    mode: fe.mode,
    from: `${addrs.src}:${addrs.srcPort}`,
    to: `${addrs.dst}:${addrs.dstPort}`,
    rules,
    outcome: { kind: 'forward' },
    notes,
  };
  if (fe.mode === 'tcp') {
    let bytes: Buffer;
    if (a.sni !== undefined) {
      bytes = clientHelloFor(a.sni);
      report.request = `TLS ClientHello (SNI ${a.sni})`;
    } else {
      const req = a.requestLine !== undefined ? `${a.requestLine}\r\n${a.headers.map((h) => h + '\r\n').join('')}\r\n${a.body ?? ''}` : '';
      bytes = Buffer.from(req, 'latin1');
      report.request = req ? a.requestLine : '(no data)';
    }
    const st = new SimStream(fe, addrs, bytes, model, trace);
    const r = new TcpRules(st);
    r.start();
    if (r.waiting) {
      const delay = r.delayMs;
      report.inspectWaitMs = delay;
      const ct = fe.timeouts.client;
      if (ct > 0 && ct < delay) notes.push(`a client sending nothing more is closed after timeout client (${ct} ms), before the inspect-delay ends`);
      st.inspectOver = true;
      r.recheck();
    }
    report.outcome = st.outcome;
    insertSwitching(report, fe, st);
    if (st.be) report.backend = st.be.name;
    if (st.connected && st.be) chooseServer(report, st.be, st.direct, null, addrs.src, bytes);
    report.effects = effectsReport(st);
    return report;
  }
  const req = parseRequest(a as RouteArgs);
  if (typeof req === 'string') return req;
  report.request = `${req.method} ${req.uri} ${req.version}`;
  const s = new SimSession(fe, addrs, req, model, trace);
  const go = () => {
    if (!httpRequestRules(s, fe)) return;
    const be = chooseBackend(fe, s);
    insertSwitching(report, fe, s);
    if (!be) {
      report.outcome = { kind: 'no-backend' };
      return;
    }
    s.be = be;
    if (be !== fe && !httpRequestRules(s, be)) return;
    const direct = useServer(be, s, trace);
    const persist = persistHttpRequest(be, req, s, direct);
    addForwardHeaders(req, fe, be, addrs);
    const back = new BackConn(httpMode(fe), httpMode(be), be.option('http-pretend-keepalive'));
    report.toServer = back.requestHead(req);
    chooseServer(report, be, direct ?? persist?.direct, req, addrs.src);
  };
  go();
  if (s.be) report.backend = s.be.name;
  report.outcome = s.outcome;
  report.effects = effectsReport(s);
  return report;
}

function effectsReport(host: object): RouteReport['effects'] {
  const fx = effectsOf(host);
  const out: NonNullable<RouteReport['effects']> = {};
  if (fx.logLevel) out.logLevel = fx.logLevel;
  if (fx.reqCaptures.length) out.captures = fx.reqCaptures;
  if (Object.keys(fx.timeouts).length) out.timeouts = { ...fx.timeouts };
  const hints = fx.earlyHints.filter((h): h is [string, string] => h !== null);
  if (hints.length) out.earlyHints = hints;
  return Object.keys(out).length ? out : undefined;
}

function insertSwitching(report: RouteReport, fe: RtProxy, subject: { runtimeBackend(n: string): RtProxy | undefined; sampleContext(): StreamContext }): void {
  if (report.rules.some((r) => r.ruleset === 'use_backend')) return;
  const sw = switchingTrace(fe, subject).map((x) => ({ ...x, ruleset: 'use_backend' as const }));
  // switching happens after the frontend's rules, before the backend's
  const i = report.rules.findIndex((r) => r.ruleset === 'use-server' || (r.ruleset !== 'use_backend' && (r as TraceEvent).proxy !== fe.name));
  if (i < 0) report.rules.push(...sw);
  else report.rules.splice(i, 0, ...sw);
}

function chooseServer(report: RouteReport, be: RtProxy, direct: RtServer | undefined, req: HttpMessage | null, src: string, bytes?: Buffer): void {
  const addr = (s: RtServer) => (s.unixPath ? s.unixPath : `${s.host}:${s.port || '(client port)'}`);
  if (direct) {
    report.server = { name: direct.name, address: addr(direct) };
    report.serverChoice = 'forced (use-server or persistence cookie)';
    return;
  }
  const p = pickServer(be, req, src, bytes);
  if (p.server) {
    report.server = { name: p.server.name, address: addr(p.server) };
    report.serverChoice = `balance ${p.algo}: the pick of a freshly started process`;
  } else {
    report.candidates = (p.candidates ?? []).map((s) => s.name);
    report.serverChoice = p.candidates?.length ? `balance ${p.algo}: any of the candidates` : 'no usable server (HAProxy answers 503 / closes)';
  }
}

function text(r: RouteReport): string {
  const out: string[] = [];
  out.push(`frontend  ${r.frontend} (mode ${r.mode}), client ${r.from} -> ${r.to}`);
  if (r.request) out.push(`request   ${r.request}`);
  out.push('rules');
  if (!r.rules.length) out.push('  (none)');
  for (const e of r.rules) {
    const where = `${e.file.replace(/^.*\//, '')}:${e.line}`;
    let res: string;
    if (e.cond === false) res = 'condition false';
    else if (e.cond === 'wait') res = 'undecided: waits for more data';
    else if ('verdict' in e && e.verdict) res = `${e.cond === 'none' ? 'no condition' : 'condition true'} -> ${e.verdict}`;
    else if (e.ruleset === 'use_backend') res = `${e.cond === 'none' ? 'no condition' : 'condition true'} -> ${(e as SwitchTrace).target ?? '?'}`;
    else res = e.cond === true ? 'condition true' : 'no condition';
    out.push(`  ${where.padEnd(28)} ${e.label}`);
    out.push(`  ${''.padEnd(28)}   ${res}${'note' in e && e.note ? ` (${e.note})` : ''}`);
  }
  if (r.inspectWaitMs) out.push(`inspect   undecided until tcp-request inspect-delay (${r.inspectWaitMs} ms) expires with these bytes`);
  const o = r.outcome;
  if (o.kind === 'reply') {
    out.push(`answer    ${o.status} by HAProxy${o.tarpitMs !== undefined ? ` after the tarpit (${o.tarpitMs} ms)` : ''}; client connection ${o.close ? 'closed' : 'kept'}`);
    for (const l of o.response.split(/\r?\n/)) out.push(`  | ${l}`);
    return out.join('\n') + '\n';
  }
  if (o.kind === 'reject') {
    out.push(`closed    the connection is ${o.silent ? 'dropped silently' : 'closed'} without a response`);
    return out.join('\n') + '\n';
  }
  if (o.kind === 'no-backend') {
    out.push(`backend   none: HAProxy ${r.mode === 'http' ? 'answers 503' : 'closes the connection'}`);
    return out.join('\n') + '\n';
  }
  out.push(`backend   ${r.backend}`);
  if (r.server) out.push(`server    ${r.server.name} ${r.server.address} (${r.serverChoice})`);
  else out.push(`server    ${r.candidates?.length ? r.candidates.join(', ') : 'none'} (${r.serverChoice})`);
  if (r.toServer !== undefined) {
    out.push('to server');
    for (const l of r.toServer.split('\r\n').slice(0, -2)) out.push(`  | ${l}`);
  }
  const fx = r.effects;
  if (fx?.logLevel) out.push(`log level ${fx.logLevel}`);
  if (fx?.timeouts) out.push(`timeouts  ${Object.entries(fx.timeouts).map(([k, v]) => `${k} ${v} ms`).join(', ')}`);
  if (fx?.captures) out.push(`captures  ${fx.captures.map((c) => c ?? '-').join(' | ')}`);
  for (const n of r.notes) out.push(`note      ${n}`);
  return out.join('\n') + '\n';
}

export async function routeMain(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  if (typeof a === 'string') {
    (a === USAGE ? process.stdout : process.stderr).write(a);
    return a === USAGE ? 0 : 1;
  }
  const opts: ParseOptions = {
    strict: a.strict,
    version: '2.6.12',
    getenv: (n) => process.env[n],
    localPeer: 'tshaproxy',
    ignoreResolveErrors: true,
    masterWorker: false,
    supportWarnings: false,
  };
  const res = await checkConfig(a.files, opts);
  if (res.exit === 1) {
    const out = renderCheck(res, { quiet: false, pid: process.pid, exe: 'tshaproxy' });
    process.stderr.write(out.stderr);
    return 1;
  }
  const model = buildModel(res.config);
  const r = route(model, a);
  if (typeof r === 'string') {
    process.stderr.write(`route: ${r}\n`);
    return 1;
  }
  process.stdout.write(a.json ? JSON.stringify(r, null, 2) + '\n' : text(r));
  return 0;
}
