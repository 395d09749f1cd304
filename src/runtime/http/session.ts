/**
 * An HTTP/1.x client connection: a sequence of transactions, each walking
 * HAProxy's phases — request head → http-request rules → backend →
 * server (connect / reuse) → request body → response head → http-response
 * rules → response body → log — then keep-alive or close.
 *
 * Bytes stay in Buffers: heads are parsed once into an HttpMessage and
 * written back by the codec; bodies are forwarded as the slices that came
 * in, their framing only followed (BodyReader), never copied.
 */
import type net from 'node:net';
import type { LbRequest } from '../api.js';
import { release } from '../backend.js';
import { Connector, type ConnectFailure, type ConnectOwner } from '../connect.js';
import type { Listener } from '../listener.js';
import type { RtProxy, RtServer } from '../model.js';
import { chooseBackend } from '../switching.js';
import { StreamTimer, type TimerMode, type TimerOwner } from '../timer.js';
import type { Termination } from '../stream.js';
import {
  BodyReader,
  MF_BODYLESS,
  MF_CONN_CLO,
  MF_CONN_KAL,
  MF_CONN_UPG,
  MF_INTERIM,
  MF_TUNNEL,
  MF_VER_11,
  MF_XFER_ENC,
  parseRequestHead,
  parseResponseHead,
  serializeRequestHead,
  serializeResponseHead,
  type ParseLimits,
} from './codec.js';
import type { HttpMessage } from './h1/message.js';
import { builtinError } from './reply.js';
import { putIdle, takeIdle } from './pool.js';
import { StreamContext } from '../sample-context.js';

type State = 'idle' | 'head' | 'connect' | 'req-body' | 'wait-res' | 'res-body' | 'tunnel' | 'closing' | 'closed';

export type ConnMode = 'keep-alive' | 'server-close' | 'close';

const LIMITS: ParseLimits = { maxHead: 16384 - 1024, maxHeaders: 101 };

/**
 * Connection mode toward the server from the frontend and backend options
 * (the strictest wins). The client side closes only for the frontend's
 * `option httpclose` (HAProxy 2.6's documented split).
 */
export function connMode(fe: RtProxy, be: RtProxy | null): ConnMode {
  const has = (o: string) => fe.option(o) || (be !== null && be.option(o));
  if (has('httpclose') || has('forceclose')) return 'close';
  if (has('http-server-close')) return 'server-close';
  return 'keep-alive';
}

export function clientCloses(fe: RtProxy): boolean {
  return fe.option('httpclose') || fe.option('forceclose');
}

export class HttpSession implements TimerOwner, ConnectOwner {
  readonly timer: StreamTimer;
  state: State = 'idle';
  term: Termination = { cause: '-', phase: '-' };
  /** unparsed client bytes (a partial head, or pipelined requests) */
  private buf: Buffer | null = null;
  /** server bytes not yet consumed (a partial response head) */
  private sbuf: Buffer | null = null;
  req: HttpMessage | null = null;
  res: HttpMessage | null = null;
  be: RtProxy | null = null;
  server: RtServer | null = null;
  srv: net.Socket | null = null;
  private srvBe: RtProxy | null = null;
  private connector: Connector | null = null;
  private reqBody: BodyReader | null = null;
  private resBody: BodyReader | null = null;
  /** request body bytes read while the server connection is being made */
  private pending: Buffer[] = [];
  private txnCount = 0;
  private clientClose = false;
  private serverClose = false;
  private cliEnded = false;
  private cliClosed = false;
  private finished = false;
  /** looks a backend up by name (dynamic use_backend); set by the runtime */
  runtimeBackend: (name: string) => RtProxy | undefined = () => undefined;

  runtimeProxy: (name: string) => RtProxy | undefined = () => undefined;
  private ctx: StreamContext | null = null;
  sampleContext(): StreamContext {
    return (this.ctx ??= new StreamContext(this));
  }

  constructor(
    readonly cli: net.Socket,
    readonly fe: RtProxy,
    readonly listener: Listener,
    readonly addrs: { src: string; srcPort: number; dst: string; dstPort: number; family: 4 | 6 },
    first?: Buffer,
  ) {
    this.timer = new StreamTimer(this);
    if (first && first.length) this.buf = first;
  }

  start(): void {
    const cli = this.cli;
    cli.on('data', this.onCliData);
    cli.on('end', this.onCliEnd);
    cli.on('error', this.onCliError);
    cli.on('close', this.onCliClose);
    cli.on('drain', this.onCliDrain);
    this.waitRequest();
    cli.resume();
    if (this.buf) this.parseHead();
  }

  // --- request ------------------------------------------------------------

  private waitRequest(): void {
    this.state = 'idle';
    const t = this.fe.timeouts;
    // the first request has `timeout http-request`; later ones wait `timeout http-keep-alive` first
    if (this.txnCount === 0) this.timer.arm('http-request', t.httpRequest);
    else this.timer.arm('http-keep-alive', t.httpKeepAlive);
  }

  private readonly onCliData = (chunk: Buffer): void => {
    switch (this.state) {
      case 'idle':
        this.state = 'head';
        if (this.txnCount > 0) this.timer.arm('http-request', this.fe.timeouts.httpRequest);
      // fall through
      case 'head':
        this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
        this.parseHead();
        return;
      case 'connect':
      case 'req-body':
        this.timer.touch();
        this.forwardReqBody(chunk);
        return;
      case 'tunnel':
        this.timer.touch();
        if (!this.srv!.write(chunk)) this.cli.pause();
        return;
      default:
        // the next pipelined request: kept until this transaction ends
        this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
        this.cli.pause();
    }
  };

  private parseHead(): void {
    const buf = this.buf!;
    const r = parseRequestHead(buf, LIMITS);
    if (r.kind === 'more') {
      if (this.state === 'idle') this.state = 'head';
      return;
    }
    if (r.kind === 'error') {
      this.term = { cause: 'P', phase: 'R' };
      return this.replyAndClose(r.status);
    }
    this.buf = r.used < buf.length ? buf.subarray(r.used) : null;
    this.req = r.msg;
    this.res = null;
    this.txnCount++;
    this.cli.pause();
    this.processRequest();
  }

  private processRequest(): void {
    const req = this.req!;
    this.clientClose = !(req.flags & MF_VER_11) ? !(req.flags & MF_CONN_KAL) : (req.flags & MF_CONN_CLO) !== 0;
    // Transfer-Encoding with Content-Length: forwarded without the length, then the connection closes
    if (req.flags & MF_XFER_ENC && req.headers.has('content-length')) this.clientClose = true;
    // monitor-uri answers before any rule
    const mon = this.fe.conf.directives.find((d) => d.keyword === 'monitor-uri');
    if (mon && pathOf(req.uri) === mon.args[0]) return this.reply(200);
    // http-request rules run here (rules engine)
    const be = chooseBackend(this.fe, this);
    if (!be) {
      this.term = { cause: 'P', phase: 'R' };
      return this.reply(503);
    }
    this.be = be;
    be.beconn++;
    be.totalConns++;
    const mode = connMode(this.fe, be);
    if (clientCloses(this.fe)) this.clientClose = true;
    this.prepareRequest(mode);
    this.reqBody = new BodyReader(req);
    // balancing runs for every request; a kept connection is reused only if the same server comes out
    this.state = 'connect';
    this.connector = new Connector(be, this);
    this.connector.start();
    // request body bytes may arrive while connecting
    this.cli.resume();
    if (this.buf) {
      const b = this.buf;
      this.buf = null;
      this.forwardReqBody(b);
    }
  }

  /** Connection header handling toward the server, as HAProxy's H1 layer does it. */
  private prepareRequest(mode: ConnMode): void {
    const req = this.req!;
    const h = req.headers;
    const upgrade = (req.flags & MF_CONN_UPG) !== 0;
    stripConnTokens(h);
    this.serverClose = mode !== 'keep-alive';
    if (upgrade) {
      setConnToken(h, 'upgrade');
    }
    if (this.serverClose) {
      const pretend = this.fe.option('http-pretend-keepalive') || this.be!.option('http-pretend-keepalive');
      if (req.flags & MF_VER_11 && !pretend) setConnToken(h, 'close');
    } else if (!(req.flags & MF_VER_11)) setConnToken(h, 'keep-alive');
    this.forwardFor(req);
  }

  private forwardFor(req: HttpMessage): void {
    const o = this.be?.conf.options.get('forwardfor') ?? this.fe.conf.options.get('forwardfor');
    if (!o || !o.enabled) return;
    let name = 'x-forwarded-for';
    let ifNone = false;
    let except: string | undefined;
    for (let i = 0; i < o.args.length; i++) {
      if (o.args[i] === 'header') name = o.args[++i];
      else if (o.args[i] === 'if-none') ifNone = true;
      else if (o.args[i] === 'except') except = o.args[++i];
    }
    const feExcept = this.fe.conf.options.get('forwardfor')?.args;
    if (feExcept) {
      const i = feExcept.indexOf('except');
      if (i >= 0) except = feExcept[i + 1];
    }
    if (except && inNet(this.addrs.src, except)) return;
    if (ifNone && req.headers.has(name)) return;
    req.headers.add(name, this.addrs.src);
  }

  // --- ConnectOwner -------------------------------------------------------

  lbRequest(): LbRequest {
    const req = this.req;
    return {
      src: this.addrs.src,
      uri: req?.uri,
      header: (n) => req?.headers.get(n),
    };
  }

  clientAddrs() {
    return this.addrs;
  }

  reuse(srv: RtServer): net.Socket | null {
    const idle = this.idleSrv;
    if (idle && this.idleServer === srv && !idle.destroyed && idle.writable) {
      this.idleSrv = null;
      this.idleServer = null;
      for (const e of ['data', 'end', 'error', 'close', 'drain']) idle.removeAllListeners(e);
      return idle;
    }
    // another session's idle connection to this server (http-reuse)
    return takeIdle(srv, this.txnCount <= 1);
  }

  established(sock: net.Socket, srv: RtServer): void {
    this.connector = null;
    this.srv = sock;
    this.server = srv;
    this.srvBe = this.be;
    this.poolIdle();
    sock.on('data', this.onSrvData);
    sock.on('end', this.onSrvEnd);
    sock.on('error', this.onSrvError);
    sock.on('close', this.onSrvClose);
    sock.on('drain', this.onSrvDrain);
    this.sendHead();
  }

  failed(why: ConnectFailure, _srv: RtServer | null): void {
    this.connector = null;
    this.term =
      why === 'queue-timeout' ? { cause: 's', phase: 'Q' } : why === 'conn-timeout' ? { cause: 's', phase: 'C' } : { cause: 'S', phase: 'C' };
    // HAProxy keeps the client connection after its own 503/502/504
    this.reply(503);
  }

  private sendHead(): void {
    const srv = this.srv!;
    srv.write(serializeRequestHead(this.req!));
    const pend = this.pending;
    this.pending = [];
    for (const b of pend) srv.write(b);
    if (this.reqBody!.done) this.requestSent();
    else {
      this.state = 'req-body';
      this.timer.arm('data', this.dataTimeout(), true);
      this.cli.resume();
      if (this.buf) {
        const b = this.buf;
        this.buf = null;
        this.forwardReqBody(b);
      }
    }
  }

  private forwardReqBody(chunk: Buffer): void {
    const body = this.reqBody!;
    if (body.done) {
      // pipelined bytes of the next request
      this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
      this.cli.pause();
      return;
    }
    const n = body.feed(chunk);
    if (n < 0) {
      this.term = { cause: 'P', phase: 'R' };
      return this.replyAndClose(400);
    }
    const part = n === chunk.length ? chunk : chunk.subarray(0, n);
    if (this.srv && this.state === 'req-body') {
      if (!this.srv.write(part)) this.cli.pause();
    } else this.pending.push(part);
    if (n < chunk.length) {
      this.buf = this.buf ? Buffer.concat([this.buf, chunk.subarray(n)]) : chunk.subarray(n);
      this.cli.pause();
    }
    if (body.done && this.state === 'req-body') this.requestSent();
  }

  private requestSent(): void {
    this.state = 'wait-res';
    this.cli.pause();
    this.timer.arm('server', this.be!.timeouts.server);
    if (this.sbuf) this.parseResponse();
  }

  // --- response -----------------------------------------------------------

  private readonly onSrvData = (chunk: Buffer): void => {
    switch (this.state) {
      case 'req-body':
      case 'wait-res':
        this.sbuf = this.sbuf ? Buffer.concat([this.sbuf, chunk]) : chunk;
        if (this.state === 'wait-res') this.parseResponse();
        else if (this.sbuf.length > LIMITS.maxHead) this.parseResponse();
        return;
      case 'res-body':
        this.timer.touch();
        this.forwardResBody(chunk);
        return;
      case 'tunnel':
        this.timer.touch();
        if (!this.cli.write(chunk)) this.srv!.pause();
        return;
      default:
        // bytes from an idle server connection: it cannot be reused
        this.dropServer();
    }
  };

  private parseResponse(): void {
    const r = parseResponseHead(this.sbuf!, this.req!.meth, LIMITS);
    if (r.kind === 'more') return;
    if (r.kind === 'error') {
      this.term = { cause: 'S', phase: 'H' };
      this.dropServer();
      return this.reply(502);
    }
    const buf = this.sbuf!;
    this.sbuf = r.used < buf.length ? buf.subarray(r.used) : null;
    const res = r.msg;
    if (res.flags & MF_INTERIM) {
      // 1xx: forwarded, then the final response follows
      this.cli.write(serializeResponseHead(res));
      if (this.sbuf) this.parseResponse();
      return;
    }
    this.res = res;
    // http-response rules run here (rules engine)
    if (res.flags & MF_TUNNEL && res.status === 101) return this.startTunnel(res);
    this.resBody = new BodyReader(res);
    const srvCloses = (!(res.flags & MF_VER_11) && !(res.flags & MF_CONN_KAL)) || (res.flags & MF_CONN_CLO) !== 0;
    if (srvCloses || this.resBody.closeDelimited) this.serverClose = true;
    if (this.resBody.closeDelimited) this.clientClose = true;
    if (res.flags & MF_XFER_ENC && res.headers.has('content-length')) this.clientClose = true;
    this.prepareResponse(res);
    this.cli.write(serializeResponseHead(res));
    this.state = 'res-body';
    this.timer.arm('data', this.dataTimeout(), true);
    if (this.resBody.done) return this.responseSent();
    if (this.sbuf) {
      const b = this.sbuf;
      this.sbuf = null;
      this.forwardResBody(b);
    }
  }

  private prepareResponse(res: HttpMessage): void {
    const h = res.headers;
    stripConnTokens(h);
    const req = this.req!;
    if (this.clientClose) {
      if (res.flags & MF_VER_11) setConnToken(h, 'close');
    } else if (!(req.flags & MF_VER_11) || !(res.flags & MF_VER_11)) setConnToken(h, 'keep-alive');
  }

  private forwardResBody(chunk: Buffer): void {
    const body = this.resBody!;
    const n = body.feed(chunk);
    if (n < 0) {
      this.term = { cause: 'S', phase: 'D' };
      return this.abortBoth();
    }
    const part = n === chunk.length ? chunk : chunk.subarray(0, n);
    if (part.length && !this.cli.write(part)) this.srv?.pause();
    if (body.done) this.responseSent();
  }

  private responseSent(): void {
    // the transaction is over (request fully sent earlier)
    this.endTransaction();
  }

  private startTunnel(res: HttpMessage): void {
    this.cli.write(serializeResponseHead(res));
    this.state = 'tunnel';
    const t = (this.be ?? this.fe).timeouts.tunnel;
    this.timer.arm('tunnel', t || this.dataTimeout(), true);
    if (this.sbuf) {
      this.cli.write(this.sbuf);
      this.sbuf = null;
    }
    if (this.buf) {
      this.srv!.write(this.buf);
      this.buf = null;
    }
    this.cli.resume();
  }

  private endTransaction(): void {
    if (this.be) this.be.beconn--;
    // log phase goes here
    this.req = null;
    this.res = null;
    this.reqBody = null;
    this.resBody = null;
    if (this.serverClose || !this.srv) this.dropServer();
    else this.parkServer();
    if (this.clientClose || (this.cliEnded && !this.buf)) {
      this.state = 'closing';
      this.timer.clear();
      this.cli.end();
      return;
    }
    this.be = null;
    this.waitRequest();
    this.cli.resume();
    if (this.buf) {
      this.state = 'head';
      this.timer.arm('http-request', this.fe.timeouts.httpRequest);
      this.parseHead();
    }
  }

  // --- server side closes -------------------------------------------------

  private readonly onSrvEnd = (): void => {
    if (this.state === 'tunnel') {
      this.cli.end();
      return;
    }
    if (this.state === 'res-body' && this.resBody?.closeDelimited) {
      this.dropServer();
      this.endTransaction();
      return;
    }
    this.srv?.end();
  };

  private readonly onSrvError = (): void => {
    /* handled on close */
  };

  private readonly onSrvClose = (): void => {
    const st = this.state;
    const sock = this.srv;
    this.srv = null;
    if (sock && this.server) {
      release(this.server);
      this.server = null;
    }
    this.sbuf = null;
    if (st === 'req-body' || st === 'wait-res') {
      // the server went away without an answer
      this.term = { cause: 'S', phase: 'H' };
      return this.reply(502);
    }
    if (st === 'res-body') {
      // truncated response: the client connection is closed as is
      this.term = { cause: 'S', phase: 'D' };
      return this.abortBoth();
    }
    if (st === 'tunnel') {
      this.cli.destroySoon();
    }
  };

  private readonly onSrvDrain = (): void => {
    if (this.state === 'req-body' || this.state === 'tunnel') this.cli.resume();
  };

  private readonly onCliDrain = (): void => {
    if (this.srv && (this.state === 'res-body' || this.state === 'tunnel')) this.srv.resume();
  };

  // --- client side closes -------------------------------------------------

  private readonly onCliEnd = (): void => {
    this.cliEnded = true;
    switch (this.state) {
      case 'idle':
        if (this.txnCount === 0 && !this.fe.option('http-ignore-probes')) {
          // an empty first request: HAProxy answers 400 (a probe, logged as BADREQ)
          this.term = { cause: 'C', phase: 'R' };
          return this.replyAndClose(400);
        }
        this.cli.end();
        return;
      case 'head':
        // HAProxy answers an incomplete request closed by the client with 400
        this.term = { cause: 'C', phase: 'R' };
        return this.replyAndClose(400);
      case 'tunnel':
        this.srv?.end();
        return;
      case 'closing':
        return;
      default:
        // the client finished sending: responses to what it sent still go out (pipelining), then we close
        return;
    }
  };

  private readonly onCliError = (): void => {
    if (this.term.cause === '-') this.term = { cause: 'C', phase: this.state === 'res-body' ? 'D' : 'R' };
  };

  private readonly onCliClose = (): void => {
    this.cliClosed = true;
    this.connector?.abort();
    this.connector = null;
    this.poolIdle();
    this.dropServer();
    this.finish();
  };

  // --- timeouts -----------------------------------------------------------

  onTimeout(mode: TimerMode): void {
    switch (mode) {
      case 'connect':
      case 'turnaround':
      case 'queue':
        this.connector?.onTimeout(mode);
        return;
      case 'http-request':
        this.term = { cause: 'c', phase: 'R' };
        return this.replyAndClose(408);
      case 'http-keep-alive':
        this.state = 'closing';
        this.cli.end();
        this.cli.destroySoon();
        return;
      case 'server':
        this.term = { cause: 's', phase: 'H' };
        this.dropServer();
        return this.reply(504);
      default:
        this.term = { cause: 'c', phase: 'D' };
        return this.abortBoth();
    }
  }

  private dataTimeout(): number {
    const c = this.fe.timeouts.client;
    const s = (this.be ?? this.fe).timeouts.server;
    if (c && s) return Math.min(c, s);
    return c || s;
  }

  // --- replies and ends ---------------------------------------------------

  /** HAProxy's own response; the client connection stays open unless the request asked to close. */
  reply(status: number): void {
    if (this.be && this.state !== 'idle') {
      /* the transaction ends here */
    }
    this.connector?.abort();
    this.connector = null;
    this.cli.write(builtinError(status, this.clientClose));
    this.reqBody = null;
    this.resBody = null;
    if (status === 400 || status === 408) this.clientClose = true;
    // a request body not read yet makes the connection unusable
    if (this.req && !(this.req.flags & MF_BODYLESS)) this.clientClose = true;
    this.endTransaction();
  }

  private replyAndClose(status: number): void {
    this.clientClose = true;
    this.cli.write(builtinError(status, true));
    this.state = 'closing';
    this.timer.clear();
    this.dropServer();
    this.cli.end();
  }

  private abortBoth(): void {
    this.state = 'closing';
    this.timer.clear();
    this.dropServer();
    this.cli.destroySoon();
  }

  /** the server connection stays open, idle, for a later request to the same server */
  private idleSrv: net.Socket | null = null;
  private idleServer: RtServer | null = null;

  private parkServer(): void {
    const s = this.srv!;
    this.srv = null;
    if (this.server) {
      release(this.server);
      this.idleServer = this.server;
      this.server = null;
    }
    this.idleSrv = s;
    s.removeListener('close', this.onSrvClose);
    s.once('close', this.onIdleClose);
  }

  /** the kept idle connection goes to its server's pool (or is closed) */
  private poolIdle(): void {
    const s = this.idleSrv;
    if (!s) return;
    const srv = this.idleServer;
    this.idleSrv = null;
    this.idleServer = null;
    s.removeListener('close', this.onIdleClose);
    if (!srv || s.destroyed || !s.writable || !putIdle(srv, s)) s.destroy();
  }

  private readonly onIdleClose = (): void => {
    if (this.idleSrv) {
      this.idleSrv.destroy();
      this.idleSrv = null;
      this.idleServer = null;
    }
  };

  private dropServer(): void {
    if (this.idleSrv) {
      this.idleSrv.removeListener('close', this.onIdleClose);
      this.idleSrv.destroy();
      this.idleSrv = null;
      this.idleServer = null;
    }
    const s = this.srv;
    if (s) {
      this.srv = null;
      s.removeListener('close', this.onSrvClose);
      s.destroy();
      if (this.server) {
        release(this.server);
        this.server = null;
      }
    }
    this.srvBe = null;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.state = 'closed';
    this.timer.clear();
    if (this.req && this.be) this.be.beconn--;
    this.listener.streamEnded(this);
  }

  kill(): void {
    this.term = { cause: 'K', phase: 'D' };
    this.dropServer();
    this.cli.destroy();
  }
}

function pathOf(uri: string): string {
  let p = uri;
  const s = p.indexOf('://');
  if (s > 0) {
    const slash = p.indexOf('/', s + 3);
    p = slash < 0 ? '/' : p.slice(slash);
  }
  const q = p.indexOf('?');
  return q < 0 ? p : p.slice(0, q);
}

/** Removes `close` and `keep-alive` from Connection headers (other tokens stay). */
function stripConnTokens(h: HttpMessage['headers']): void {
  for (let i = h.length - 1; i >= 0; i--) {
    if (h.names[i] !== 'connection') continue;
    const keep = h.values[i]
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t && !/^(close|keep-alive)$/i.test(t));
    if (keep.length) h.setValueAt(i, keep.join(', '));
    else h.removeAt(i);
  }
}

function setConnToken(h: HttpMessage['headers'], tok: string): void {
  const i = h.indexOf('connection');
  if (i < 0) h.add('connection', tok);
  else if (!h.values[i].toLowerCase().split(',').some((t) => t.trim() === tok)) h.setValueAt(i, `${h.values[i]}, ${tok}`);
}

function inNet(addr: string, net: string): boolean {
  const [base, bits] = net.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => (n << 8) + (Number(o) & 255), 0) >>> 0;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr) || !/^\d+\.\d+\.\d+\.\d+$/.test(base)) return addr === base;
  let b: number;
  if (bits === undefined) b = 32;
  else if (bits.includes('.')) {
    const m = toInt(bits);
    return (toInt(addr) & m) >>> 0 === (toInt(base) & m) >>> 0;
  } else b = Number(bits);
  const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
  return (toInt(addr) & mask) >>> 0 === (toInt(base) & mask) >>> 0;
}
