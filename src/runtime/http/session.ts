/**
 * An HTTP/1.x client connection: a sequence of transactions, each walking
 * HAProxy's phases — request head → http-request rules → backend →
 * server (connect / reuse) → request body → response head → http-response
 * rules → response body → log — then keep-alive or close.
 *
 * The HTTP/1 message layer (h1/) does the parsing and the writing: heads are
 * parsed once into an HttpMessage (H1Parser) and written back as HAProxy 2.6
 * writes them (FrontConn for the client side, BackConn for the server side,
 * which also decide keep-alive or close); bodies are decoded without copies
 * (BodyDecoder) and forwarded as the slices that came in, re-chunked one
 * chunk per read (BodyBatch). As in HAProxy, a whole read is parsed before
 * any of it is forwarded, so a framing error in it answers before the
 * server sees anything.
 */
import type net from 'node:net';
import type { LbRequest } from '../api.js';
import { release, retryPlan } from '../backend.js';
import { Connector, type ConnectFailure, type ConnectOwner } from '../connect.js';
import type { Listener } from '../listener.js';
import type { RtProxy, RtServer } from '../model.js';
import { chooseBackend } from '../switching.js';
import { evalCondition } from '../conditions.js';
import { addForwardHeaders, pathOf } from './forward.js';
import { StreamTimer, type TimerMode, type TimerOwner } from '../timer.js';
import type { Termination } from '../stream.js';
import {
  BackConn,
  BodyBatch,
  BodyDecoder,
  FrontConn,
  H1Parser,
  NEED_MORE,
  PARSE_ERROR,
  BODY_CHUNKED,
  BODY_CLOSE,
  MF_BODYLESS,
  MF_CHNK,
  MF_CONN_UPG,
  MF_INTERIM,
  MF_TUNNEL,
  WANT_CLO,
  type CaseMap,
  type HeadWriteOptions,
  type HttpMessage,
  type ResponseWriteOptions,
} from './h1/index.js';
import { builtinReply, rawError, renderReply } from './errors.js';
import { putIdle, takeIdle } from './pool.js';
import { httpConfOf, httpMode, limitsOf, retryPolicyOf, type ProxyHttpConf, RE_CONN_FAILED, RE_DISCONNECTED, RE_JUNK_REQUEST, RE_TIMEOUT, type Limits, type RetryPolicy } from './settings.js';
import { StreamContext } from '../sample-context.js';
import { afterResponseRules, errorBytes, hasAfterResponse, httpRequestRules, httpResponseRules, sendReply, silentDrop, useServer, type Tracer } from '../rules/index.js';
import { persistHttpRequest, persistHttpResponse, type PersistTxn } from '../persist/index.js';
import { addUniqueIdHeader, logHttpError, logHttpTxn, type StreamLog } from '../log/logger.js';
import { stickOn, stickRawError, stickServer, stickTxnEnd } from '../stick/index.js';
import { nowMs } from '../io/clock.js';
import { captureError, stateAt } from './snapshots.js';
import { bytesOut, directReader, directWrite, directWriteLatin1, directWritev, own, pauseReads, resumeReads } from '../io/direct.js';

/**
 * idle: waiting for a request; head: a request head is arriving; txn: a
 * request is being handled (its body, the server, the response); tunnel:
 * bytes pass both ways (CONNECT, 101); closing: the client connection ends.
 */
type State = 'idle' | 'head' | 'txn' | 'tunnel' | 'closing' | 'closed';

/** where the response of the current transaction is */
type ResPhase = 'none' | 'head' | 'body' | 'done';

export type ConnMode = 'keep-alive' | 'server-close' | 'close';

/** bodies up to this size are copied behind their head to leave in one write */
const SMALL_BODY = 4096;

const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/** Connection mode toward the server from the frontend and backend options (the strictest wins). */
export function connMode(fe: RtProxy, be: RtProxy | null): ConnMode {
  const m = [httpMode(fe), be ? httpMode(be) : 'kal'];
  if (m.includes('clo')) return 'close';
  if (m.includes('scl')) return 'server-close';
  return 'keep-alive';
}

export function clientCloses(fe: RtProxy): boolean {
  return httpMode(fe) === 'clo';
}


export class HttpSession implements TimerOwner, ConnectOwner {
  readonly timer: StreamTimer;
  state: State = 'idle';
  term: Termination = { cause: '-', phase: '-' };
  /** log timestamps of the current transaction, set by the runtime when the frontend logs */
  slog: StreamLog | null = null;
  /** client bytes not handled yet: the next pipelined request, or bytes held until a tunnel is up */
  private buf: Buffer | null = null;
  req: HttpMessage | null = null;
  res: HttpMessage | null = null;
  be: RtProxy | null = null;
  server: RtServer | null = null;
  srv: net.Socket | null = null;
  private connector: Connector | null = null;
  /** what cookie persistence decided for the current transaction */
  persist: PersistTxn | null = null;
  private txnCount = 0;
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

  // --- HTTP/1 message layer state -------------------------------------------
  private readonly lim: Limits;
  private readonly reqP: H1Parser;
  private resP: H1Parser | null = null;
  /** request / response body decoders (read by the log and stick-table byte counts) */
  readonly reqDec: BodyDecoder;
  readonly resDec: BodyDecoder;
  /** client side: keep-alive or close, response heads */
  private readonly front: FrontConn;
  /** server side: request heads, whether the server connection can be kept */
  private readonly back: BackConn;
  /** request body ranges not written yet (read while connecting, or in the current read) */
  private readonly qbatch = new BodyBatch();
  private readonly rbatch = new BodyBatch();
  /** h1-case-adjust maps for requests (option h1-case-adjust-bogus-server) and responses (-bogus-client) */
  private caseReq: CaseMap | null = null;
  private readonly caseRes: CaseMap | null;
  /** no read of this connection was handled yet (a framing error then gets the raw 400) */
  private firstRead = true;
  /** the request head went to the server */
  private headSent = false;
  private resPhase: ResPhase = 'none';
  /** the response went out before the request was complete: its remaining body is dropped */
  private draining = false;
  /** option http-buffer-request: waiting for the body before the rules (bodyWaited: done once) */
  private waitingBody = false;
  private bodyWaited = false;
  /** the server connection cannot be reused after this transaction */
  private srvSpoiled = false;
  /** bytes sent to the server for this request, kept for a layer-7 retry (retry-on) */
  private replay: Buffer[] | null = null;
  private replayBytes = 0;
  private retryPolicy: RetryPolicy | null = null;
  /** connection and layer-7 retries used by this transaction (they share `retries`) */
  private retriesUsed = 0;
  /** the process is stopping softly: no more keep-alive */
  private stopping = false;
  private readonly feConf: ProxyHttpConf;
  private beConf: ProxyHttpConf | null = null;

  constructor(
    readonly cli: net.Socket,
    readonly fe: RtProxy,
    readonly listener: Listener,
    readonly addrs: { src: string; srcPort: number; dst: string; dstPort: number; family: 4 | 6 },
    first?: Buffer,
  ) {
    this.timer = new StreamTimer(this);
    if (first && first.length) this.buf = first;
    const lim = (this.lim = limitsOf(fe));
    this.reqP = new H1Parser({ acceptInvalid: fe.option('accept-invalid-http-request'), ...lim });
    this.reqDec = new BodyDecoder(lim);
    this.resDec = new BodyDecoder({ response: true, ...lim });
    const fc = (this.feConf = httpConfOf(fe));
    this.front = new FrontConn(fc.mode);
    this.back = new BackConn(fc.mode, fc.mode, false);
    this.caseRes = fc.caseRes;
  }

  start(): void {
    const cli = this.cli;
    if (!directReader(cli, this.onCliData, true)) cli.on('data', this.onCliData);
    cli.on('end', this.onCliEnd);
    cli.on('error', this.onCliError);
    cli.on('close', this.onCliClose);
    cli.on('drain', this.onCliDrain);
    this.waitRequest();
    resumeReads(cli);
    if (this.buf) {
      const b = this.buf;
      this.buf = null;
      this.onCliData(b);
    }
  }

  // --- request ------------------------------------------------------------

  private waitRequest(): void {
    this.state = 'idle';
    const t = this.fe.timeouts;
    // the first request has `timeout http-request`; later ones wait `timeout http-keep-alive` first;
    // `timeout client` bounds both (HAProxy's connection timeout runs too)
    if (this.txnCount === 0) this.timer.arm('http-request', minSet(t.httpRequest, t.client));
    else this.timer.arm('http-keep-alive', minSet(t.httpKeepAlive, t.client));
  }

  private readonly onCliData = (chunk: Buffer): void => {
    switch (this.state) {
      case 'idle':
        this.state = 'head';
        if (this.txnCount > 0) this.timer.arm('http-request', minSet(this.fe.timeouts.httpRequest, this.fe.timeouts.client));
      // fall through
      case 'head':
        this.parseHead(chunk);
        break;
      case 'txn':
        if (!this.reqDec.done) {
          this.timer.touch();
          this.forwardReqBody(chunk);
        } else this.hold(chunk);
        break;
      case 'tunnel':
        this.timer.touch();
        if (this.srv && !directWrite(this.srv, chunk)) pauseReads(this.cli);
        break;
      default:
        // closing: what the client still sends is dropped
        break;
    }
    this.firstRead = false;
    // the read may lie in the shared read buffer: body ranges kept for later are copied
    if (this.qbatch.parts.length) this.qbatch.own();
  };

  /** keeps client bytes for later (next pipelined request, tunnel data) and stops reading */
  private hold(chunk: Buffer): void {
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : own(chunk);
    pauseReads(this.cli);
  }

  /** keeps the rejected message for `show errors` (the frontend's last invalid request, the backend's last invalid response) */
  private snapshot(p: H1Parser, response: boolean, tolerated = false): void {
    const rj = p.rejected();
    if (!rj) return;
    const px = response ? this.be : this.fe;
    if (!px) return;
    let st = stateAt(rj.bytes, rj.pos, response);
    if (tolerated) {
      // captured once the head is parsed: the parser is at the body (HAProxy's MSG_DONE, MSG_CHUNK_SIZE or MSG_DATA)
      const m = p.message;
      st = { state: m.flags & MF_BODYLESS ? 30 : m.flags & MF_CHNK ? 26 : 27, inHeaders: true };
    }
    captureError({
      px,
      oe: this.fe,
      srv: response ? this.server : null,
      src: this.addrs.src,
      srcPort: this.addrs.srcPort,
      bytes: rj.bytes,
      errPos: rj.pos,
      state: st.state,
      inHeaders: st.inHeaders,
      response,
      tolerated,
      bufsize: this.lim.bufsize,
    });
  }

  private parseHead(chunk: Buffer): void {
    if (this.slog && this.slog.tIdle < 0) this.slog.tIdle = nowMs();
    const r = this.reqP.parse(chunk, 0, chunk.length);
    if (r === NEED_MORE) return; // the parser keeps the bytes
    if (r === PARSE_ERROR) {
      this.snapshot(this.reqP, false);
      this.term = { cause: 'P', phase: 'R' };
      return this.rawErrorAndClose(this.reqP.errorStatus);
    }
    if (this.reqP.errorPos >= 0) this.snapshot(this.reqP, false, true);
    const req = this.reqP.message;
    this.req = req;
    this.res = null;
    if (this.slog) this.slog.request(req);
    this.txnCount++;
    this.front.reset();
    this.front.requestIn(req, this.stopping);
    this.back.reset();
    this.headSent = false;
    this.resPhase = 'none';
    this.srvSpoiled = false;
    this.draining = false;
    this.waitingBody = false;
    this.bodyWaited = false;
    this.replay = null;
    this.replayBytes = 0;
    this.retriesUsed = 0;
    this.srvTo = this.tunTo = -1;
    this.state = 'txn';
    // the body bytes of this read are decoded before anything is forwarded
    const dec = this.reqDec.start(req);
    if (r < chunk.length) {
      const n = dec.decode(chunk, r, chunk.length, this.qbatch);
      if (n < 0) return this.requestBodyError(true);
      if (r + n < chunk.length) this.hold(chunk.subarray(r + n));
    }
    this.processRequest();
  }

  private processRequest(): void {
    const req = this.req!;
    // monitor-uri answers before any rule
    const mon = this.feConf.monitorUri;
    if (mon !== undefined && pathOf(req.uri) === mon) {
      // `monitor fail` conditions turn the answer into 503
      const fails = this.fe.conf.monitorFail;
      const failed = fails?.some((c) => evalCondition(c, this, this.fe) === true);
      return this.reply(failed ? 503 : 200);
    }
    // option http-buffer-request: the body (up to a buffer) is waited for before the rules
    if (!this.reqDec.done && !this.bodyWaited && this.feConf.bufferRequest) return this.waitBody();
    // http-request rules run here (rules engine): tcp-request content, http-request, redirect
    if (!httpRequestRules(this, this.fe)) return;
    const be = chooseBackend(this.fe, this);
    if (!be) {
      this.term = { cause: 'P', phase: 'R' };
      return this.reply(503);
    }
    this.be = be;
    be.beconn++;
    be.totalConns++;
    // the backend's own rules, then use-server (rules engine)
    if (be !== this.fe && !httpRequestRules(this, be)) return;
    const direct = useServer(be, this, this.ruleTrace);
    // cookie persistence: may force the server and rewrites the Cookie headers
    this.persist = persistHttpRequest(be, req, this, direct);
    if (this.slog) addUniqueIdHeader(this, this.slog);
    addForwardHeaders(req, this.fe, this.be, this.addrs);
    const back = this.back;
    const bc = (this.beConf = httpConfOf(be));
    back.beMode = bc.mode;
    back.pretendKeepalive = bc.pretendKeepalive;
    this.caseReq = bc.caseReq;
    this.retryPolicy = retryPolicyOf(be);
    // balancing runs for every request; a kept connection is reused only if the same server comes out
    this.connector = new Connector(be, this);
    // a retry-on list without conn-failure: a failed connection is not retried
    if (!(this.retryPolicy.flags & RE_CONN_FAILED)) this.connector.retries = be.retries;
    const forced = direct ?? this.persist?.direct;
    this.connector.start(stickOn ? stickServer(this, be, forced) : forced, this.persist?.force);
    // request body bytes may arrive while connecting
    if (!this.reqDec.done && this.state === 'txn') resumeReads(this.cli);
  }

  /** HAProxy's http_wait_for_request_body: 100-continue for an expecting 1.1 client, then the body */
  private waitBody(): void {
    const req = this.req!;
    this.bodyWaited = true;
    this.waitingBody = true;
    if (req.isVer11) {
      const i = req.headers.indexOf('expect');
      if (i >= 0 && req.headers.values[i].toLowerCase() === '100-continue') {
        this.cli.write(CONTINUE_100);
        req.headers.removeAt(i);
      }
    }
    this.timer.arm('http-request', this.fe.timeouts.httpRequest);
    if (!this.buf) resumeReads(this.cli);
  }

  /** the waited-for body is in (or a buffer's worth of it): the request goes on */
  private bodyArrived(): void {
    this.waitingBody = false;
    pauseReads(this.cli);
    this.processRequest();
  }

  // --- ConnectOwner -------------------------------------------------------

  /** what the balancing algorithms may read, made once per connection; it reads the current request */
  private lbReq: LbRequest | null = null;

  lbRequest(): LbRequest {
    if (this.lbReq) return this.lbReq;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return (this.lbReq = {
      get src() {
        return self.addrs.src;
      },
      get uri() {
        return self.req?.uri;
      },
      header: (n) => self.req?.headers.get(n),
    });
  }

  clientAddrs() {
    return this.addrs;
  }

  reuse(srv: RtServer): net.Socket | null {
    const idle = this.idleSrv;
    if (idle && this.idleServer === srv && this.idleGen === srv.addrGen && !idle.destroyed && idle.writable) {
      // its listeners stay: they are this session's (see attach)
      this.idleSrv = null;
      this.idleServer = null;
      return idle;
    }
    // another session's idle connection to this server (http-reuse)
    return takeIdle(srv, this.txnCount <= 1);
  }

  established(sock: net.Socket, srv: RtServer): void {
    // connection retries and layer-7 retries share the backend's `retries`
    const c = this.connector;
    if (c && this.retryPolicy && this.retryPolicy.flags & RE_CONN_FAILED && c.retries > this.retriesUsed) this.retriesUsed = c.retries;
    this.connector = null;
    this.srv = sock;
    this.server = srv;
    this.poolIdle();
    this.attach(sock);
    // a reused connection may have been paused by the previous response's backpressure
    resumeReads(sock);
    if (this.state !== 'txn') return this.dropServer();
    if (this.replay) return this.resend();
    this.sendHead();
  }

  failed(why: ConnectFailure, _srv: RtServer | null): void {
    this.connector = null;
    this.term =
      why === 'queue-timeout' ? { cause: 's', phase: 'Q' } : why === 'conn-timeout' ? { cause: 's', phase: 'C' } : { cause: 'S', phase: 'C' };
    // HAProxy keeps the client connection after its own 503/502/504
    this.reply(503);
  }

  /** head writing options, one object each per session (filled before each head) */
  private readonly reqOpts: HeadWriteOptions = { caseMap: null, serverNameHeader: undefined, serverName: undefined, stopping: false };
  private readonly resOpts: ResponseWriteOptions = { caseMap: null, requestDone: false, stopping: false };

  private sendHead(): void {
    const srv = this.srv!;
    const req = this.req!;
    const sname = this.beConf?.sendNameHeader;
    const ro = this.reqOpts;
    ro.caseMap = this.caseReq;
    ro.serverNameHeader = sname;
    ro.serverName = sname ? this.server?.name : undefined;
    const head = this.back.requestHead(req, ro);
    this.headSent = true;
    this.resPhase = 'head';
    // a request sent whole at once is kept for a layer-7 retry (HAProxy's l7 buffer)
    const keep = this.retryPolicy !== null && (this.retryPolicy.flags & ~RE_CONN_FAILED || this.retryPolicy.statuses.size) && this.reqDec.done;
    const body = this.qbatch.bytes > 0 || (this.reqDec.done && this.back.out.mode === BODY_CHUNKED);
    if (body) srv.cork();
    if (keep) {
      const hb = Buffer.from(head, 'latin1');
      this.replay = [hb];
      this.replayBytes = hb.length;
      srv.write(hb);
    } else directWriteLatin1(srv, head);
    if (body) {
      this.flushReqBody();
      srv.uncork();
    }
    if (this.replay && this.replayBytes > this.lim.bufsize) this.replay = null;
    this.resP ??= new H1Parser({ response: true, ...this.lim });
    this.resP.reset();
    this.resP.acceptInvalid = this.beConf!.acceptInvalidRes;
    this.resP.requestMethod = req.meth;
    this.resP.requestUpgrade = (req.flags & MF_CONN_UPG) !== 0;
    if (this.reqDec.done) this.requestSent();
    else {
      // the response wait starts with the request: `timeout server` (refreshed while the body flows)
      this.timer.arm('server', this.srvTimeoutMs(), true);
      if (!this.buf) resumeReads(this.cli);
    }
  }

  /** writes the request body ranges collected so far (one chunk when re-chunked) */
  private flushReqBody(): void {
    const srv = this.srv;
    if (!srv || !this.headSent) return;
    const dec = this.reqDec;
    if (!this.qbatch.bytes && !dec.done) return;
    const parts = this.qbatch.take(this.back.out.mode, dec.done, dec.trailers, this.caseReq);
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      ok = directWrite(srv, parts[i]);
      if (this.replay) {
        this.replay.push(own(parts[i]));
        this.replayBytes += parts[i].length;
      }
    }
    if (!ok) pauseReads(this.cli);
  }

  private forwardReqBody(chunk: Buffer): void {
    const dec = this.reqDec;
    const n = dec.decode(chunk, 0, chunk.length, this.qbatch);
    if (n < 0) return this.requestBodyError(this.firstRead);
    if (n < chunk.length) this.hold(chunk.subarray(n));
    if (this.waitingBody) {
      if (dec.done || this.qbatch.bytes >= this.lim.bufsize - this.lim.maxrewrite) this.bodyArrived();
      return;
    }
    if (this.draining) {
      this.qbatch.take(0, false);
      if (dec.done) {
        this.draining = false;
        this.endTransaction();
      }
      return;
    }
    if (this.headSent) {
      this.flushReqBody();
      if (dec.done) this.requestSent();
    } else if (this.qbatch.bytes > this.lim.bufsize) pauseReads(this.cli); // resumed once the head is sent
  }

  /** the request was fully sent to the server */
  private requestSent(): void {
    if (this.resPhase === 'head') this.timer.arm('server', this.srvTimeoutMs());
    if (this.buf) pauseReads(this.cli);
  }

  /** a framing error in the request body */
  private requestBodyError(sameRead: boolean): void {
    this.term = { cause: 'P', phase: 'R' };
    // in the first read nothing was forwarded: the multiplexer answers itself
    if (sameRead && this.firstRead) return this.rawErrorAndClose(this.reqDec.errorStatus);
    this.dropServer();
    this.front.want = WANT_CLO;
    this.reply(this.reqDec.errorStatus || 400);
  }

  // --- response -----------------------------------------------------------

  private readonly onSrvData = (chunk: Buffer): void => {
    if (this.srv === null) return this.idleGone();
    switch (this.resPhase) {
      case 'head':
        this.parseResponse(chunk, 0);
        // the read may lie in the shared read buffer: ranges not written are copied
        if (this.rbatch.parts.length) this.rbatch.own();
        return;
      case 'body':
        this.timer.touch();
        this.forwardResBody(chunk, 0);
        if (this.rbatch.parts.length) this.rbatch.own();
        return;
      default:
        if (this.state === 'tunnel') {
          this.timer.touch();
          if (!directWrite(this.cli, chunk)) this.srv && pauseReads(this.srv);
          return;
        }
        // bytes from a server that has nothing to answer: it cannot be reused
        this.srvSpoiled = true;
        if (this.resPhase !== 'done') this.dropServer();
    }
  };

  private parseResponse(chunk: Buffer, pos: number): void {
    const p = this.resP!;
    const r = p.parse(chunk, pos, chunk.length);
    if (r === NEED_MORE) return;
    if (r === PARSE_ERROR) {
      this.snapshot(p, true);
      return this.badResponse(RE_JUNK_REQUEST, 502);
    }
    if (p.errorPos >= 0) this.snapshot(p, true, true);
    const res = p.message;
    pos += r;
    if (res.flags & MF_INTERIM) {
      // 1xx: forwarded at once, then the final response follows
      this.cli.write(this.front.responseHead(res, { caseMap: this.caseRes }), 'latin1');
      p.requestMethod = this.req!.meth;
      if (pos < chunk.length) this.parseResponse(chunk, pos);
      return;
    }
    // retry-on <status>: the response is dropped and the request sent again
    const pol = this.retryPolicy;
    if (pol && pol.statuses.size && pol.statuses.has(res.status) && this.l7Retry()) return;
    this.replay = null;
    this.back.responseIn(res);
    const dec = this.resDec.start(res);
    let n = 0;
    if (pos < chunk.length && !(res.flags & MF_TUNNEL)) {
      n = dec.decode(chunk, pos, chunk.length, this.rbatch);
      if (n < 0) {
        this.rbatch.take(0, false);
        return this.badResponse(0, 502);
      }
    }
    this.res = res;
    this.resPhase = 'body';
    if (this.slog) this.slog.response(res);
    // http-response rules run here (rules engine)
    if (!httpResponseRules(this)) return;
    persistHttpResponse(this.persist, this.server, res);
    // http-after-response rules (rules engine): an error there answers 500 instead
    if (hasAfterResponse(this) && !afterResponseRules(this, res)) return sendReply(this, builtinReply(500), 500, true);
    const wo = this.resOpts;
    wo.caseMap = this.caseRes;
    wo.requestDone = this.reqDec.done;
    wo.stopping = this.stopping;
    const head = this.front.responseHead(res, wo);
    if (res.flags & MF_TUNNEL) {
      this.cli.write(head, 'latin1');
      return this.startTunnel(pos < chunk.length ? chunk.subarray(pos) : null);
    }
    this.writeResBody(head);
    this.timer.arm('data', this.dataTimeout(), true);
    if (dec.done) this.responseDone(pos + n < chunk.length);
  }

  /** writes the body ranges collected (re-chunked as needed), after `head` when given, in one write if small */
  private writeResBody(head?: string): void {
    const dec = this.resDec;
    const cli = this.cli;
    const parts = this.rbatch.take(this.front.out.mode, dec.done, dec.trailers, this.caseRes);
    let ok = true;
    if (this.front.out.skipBody || !parts.length) {
      if (head !== undefined) ok = directWriteLatin1(cli, head);
    } else if (head !== undefined && parts.length === 1 && parts[0].length <= SMALL_BODY) {
      // head and a small body leave in one write (one syscall, no writev)
      const b = Buffer.allocUnsafe(head.length + parts[0].length);
      // Buffer's own latin1 writer: write(s, 0, 'latin1') costs an encoding lookup first
      (b as unknown as { latin1Write(s: string, off: number, len: number): number }).latin1Write(head, 0, head.length);
      parts[0].copy(b, head.length);
      ok = directWrite(cli, b);
    } else ok = directWritev(cli, head, parts);
    if (!ok) this.srv && pauseReads(this.srv);
  }

  private forwardResBody(chunk: Buffer, pos: number): void {
    const dec = this.resDec;
    const n = dec.decode(chunk, pos, chunk.length, this.rbatch);
    if (n < 0) {
      // the head went out already: the client connection is cut
      this.rbatch.take(0, false);
      this.term = { cause: 'S', phase: 'D' };
      return this.abortBoth();
    }
    this.writeResBody();
    if (dec.done) this.responseDone(pos + n < chunk.length);
  }

  /** the response was fully forwarded; `extra`: the server sent more than the response */
  private responseDone(extra: boolean): void {
    this.resPhase = 'done';
    if (extra) this.srvSpoiled = true;
    if (this.front.tunnel) return this.startTunnel(null);
    if (!this.reqDec.done) {
      // the server answered before the request was complete: its connection
      // closes, the rest of the request body is read and dropped, then the
      // client connection goes on
      this.srvSpoiled = true;
      this.dropServer();
      this.draining = true;
      this.timer.arm('data', this.fe.timeouts.client, true);
      if (!this.buf) resumeReads(this.cli);
      return;
    }
    this.endTransaction();
  }

  /** the server's response is unusable before anything was forwarded: retry, 502, or a silent close */
  private badResponse(retryFlag: number, status: number): void {
    const pol = this.retryPolicy;
    if (retryFlag && pol && pol.flags & retryFlag && this.l7Retry()) return;
    this.term = { cause: 'S', phase: 'H' };
    this.dropServer(true);
    // a failed keep-alive request: closing lets the client retry (HAProxy's abort_keep_alive)
    if (retryFlag === RE_DISCONNECTED && this.txnCount > 1) return this.closeClient();
    this.reply(status);
  }

  /** sends the request again on a new connection (retry-on); false when no retry is left */
  private l7Retry(): boolean {
    const be = this.be;
    const replay = this.replay;
    if (!be || !replay || this.retriesUsed >= be.retries) return false;
    this.retriesUsed++;
    const failed = this.server;
    this.dropServer();
    const plan = failed ? retryPlan(be, failed, this.retriesUsed, !!this.persist?.direct, this.persist?.force) : { redispatch: true };
    if (this.slog) {
      this.slog.retries = this.retriesUsed;
      if (plan.redispatch) this.slog.redispatched = true;
    }
    this.resPhase = 'none';
    this.resP?.reset();
    this.connector = new Connector(be, this);
    this.connector.retries = this.retryPolicy!.flags & RE_CONN_FAILED ? this.retriesUsed : be.retries;
    this.connector.start(plan.redispatch || !failed ? undefined : failed);
    return true;
  }

  /** the replayed request goes out on the new connection */
  private resend(): void {
    const srv = this.srv!;
    srv.cork();
    for (const b of this.replay!) srv.write(b);
    srv.uncork();
    this.resPhase = 'head';
    this.requestSent();
  }

  private startTunnel(first: Buffer | null): void {
    this.state = 'tunnel';
    this.resPhase = 'done';
    this.replay = null;
    const t = this.tunTo >= 0 ? this.tunTo : (this.be ?? this.fe).timeouts.tunnel;
    this.timer.arm('tunnel', t || this.dataTimeout(), true);
    if (first && first.length) this.cli.write(own(first));
    // client bytes held since the request go through now
    if (this.buf && this.srv) {
      this.srv.write(this.buf);
      this.buf = null;
    }
    resumeReads(this.cli);
    this.srv && resumeReads(this.srv);
  }

  private endTransaction(): void {
    if (stickOn) stickTxnEnd(this);
    if (this.be) this.be.beconn--;
    if (this.slog) logHttpTxn(this, this.slog, false, this.reqDec, this.res ? this.resDec : undefined);
    const closeCli = this.front.close || (this.cliEnded && !this.buf);
    this.req = null;
    this.res = null;
    this.replay = null;
    this.resPhase = 'none';
    this.qbatch.take(0, false);
    this.rbatch.take(0, false);
    if (this.back.close || this.srvSpoiled || !this.srv) this.dropServer();
    else this.parkServer();
    if (closeCli) return this.closeClient();
    this.be = null;
    this.waitRequest();
    if (this.slog) this.slog.next(this.cli.bytesRead - (this.buf ? this.buf.length : 0), bytesOut(this.cli));
    resumeReads(this.cli);
    const b = this.buf;
    if (b) {
      this.buf = null;
      this.onCliData(b);
    }
  }

  // --- server side closes -------------------------------------------------

  private readonly onSrvEnd = (): void => {
    if (this.srv === null) return this.idleGone();
    if (this.state === 'tunnel') {
      this.cli.end();
      return;
    }
    this.serverGone();
  };

  private readonly onSrvError = (): void => {
    /* handled on close */
  };

  private readonly onSrvClose = (): void => {
    if (this.srv === null) return this.idleGone();
    if (this.state === 'tunnel') {
      this.srv = null;
      if (this.server) {
        release(this.server);
        this.server = null;
      }
      this.cli.destroySoon();
      return;
    }
    this.serverGone();
  };

  /** the server closed (FIN or reset) during a transaction */
  private serverGone(): void {
    const sock = this.srv;
    if (!sock) return;
    switch (this.resPhase) {
      case 'head': {
        // nothing forwarded yet: an empty response, or a truncated head
        const partial = this.resP !== null && this.resP.pending > 0;
        return this.badResponse(partial ? RE_JUNK_REQUEST : RE_DISCONNECTED, 502);
      }
      case 'body':
        if (this.resDec.mode === BODY_CLOSE) {
          // a close-delimited body ends here
          this.resDec.eof();
          this.srvSpoiled = true;
          this.writeResBody();
          return this.responseDone(false);
        }
        // a truncated response: the client connection is cut as is
        this.term = { cause: 'S', phase: 'D' };
        return this.abortBoth();
      default:
        this.srvSpoiled = true;
        this.dropServer();
    }
  }

  private readonly onSrvDrain = (): void => {
    if (this.srv === null) return;
    if (this.state === 'txn' || this.state === 'tunnel') resumeReads(this.cli);
  };

  private readonly onCliDrain = (): void => {
    if (this.srv && (this.resPhase === 'body' || this.state === 'tunnel')) resumeReads(this.srv);
  };

  // --- client side closes -------------------------------------------------

  private readonly onCliEnd = (): void => {
    this.cliEnded = true;
    switch (this.state) {
      case 'idle':
        if (this.txnCount === 0 && !this.fe.option('http-ignore-probes')) {
          // an empty first request: HAProxy answers 400 (a probe, logged as BADREQ)
          this.term = { cause: 'C', phase: 'R' };
          return this.rawErrorAndClose(400);
        }
        return this.closeClient();
      case 'head':
        // HAProxy answers an incomplete request closed by the client with 400
        this.term = { cause: 'C', phase: 'R' };
        return this.rawErrorAndClose(400);
      case 'tunnel':
        this.srv?.end();
        return;
      case 'closing':
        this.cli.destroy();
        return;
      default:
        // the client finished sending: responses to what it sent still go out (pipelining), then we close
        return;
    }
  };

  private readonly onCliError = (): void => {
    if (this.term.cause === '-') this.term = { cause: 'C', phase: this.resPhase === 'body' ? 'D' : 'R' };
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
        // a body waited for (http-buffer-request) times out in the stream: its 408 is a reply
        if (this.waitingBody) return this.reply(408);
        return this.rawErrorAndClose(408);
      case 'http-keep-alive':
        return this.closeClient();
      case 'tarpit': {
        const done = this.tarpitDone;
        this.tarpitDone = null;
        done?.();
        return;
      }
      case 'server':
        return this.serverTimeout();
      case 'client':
        // the closing client never closed its side
        if (this.state === 'closing') this.cli.destroy();
        return;
      default:
        this.term = { cause: this.resPhase === 'body' ? 's' : 'c', phase: 'D' };
        return this.abortBoth();
    }
  }

  private serverTimeout(): void {
    const pol = this.retryPolicy;
    if (pol && pol.flags & RE_TIMEOUT && this.l7Retry()) return;
    this.term = { cause: 's', phase: 'H' };
    this.dropServer(true);
    this.reply(504);
  }

  /** http-request set-timeout server|tunnel: this transaction's values, -1 when not set */
  private srvTo = -1;
  private tunTo = -1;

  overrideTimeout(which: 'server' | 'tunnel', ms: number): void {
    if (which === 'server') this.srvTo = ms;
    else this.tunTo = ms;
  }

  /**
   * cur_server_timeout / cur_tunnel_timeout: a set-timeout value; else 0
   * until the request went to a server (HAProxy sets the stream's timeouts
   * when it connects, observed: 0 in the backend's http-request rules), then
   * the backend's (undefined: the fetch reads it).
   */
  curTimeout(which: 'server' | 'tunnel'): number | undefined {
    const v = which === 'server' ? this.srvTo : this.tunTo;
    if (v >= 0) return v;
    return this.headSent ? undefined : 0;
  }

  /** `timeout server` of the backend, or the one a set-timeout rule gave this transaction */
  private srvTimeoutMs(): number {
    return this.srvTo >= 0 ? this.srvTo : (this.be ?? this.fe).timeouts.server;
  }

  private dataTimeout(): number {
    const c = this.fe.timeouts.client;
    const s = this.srvTimeoutMs();
    if (c && s) return Math.min(c, s);
    return c || s;
  }

  // --- rules engine (src/runtime/rules/http.ts) -----------------------------

  /** a tracer of rule evaluation (route tool, tests) */
  ruleTrace?: Tracer;
  private tarpitDone: (() => void) | null = null;

  /** a reply the rules built (deny, return, redirect, auth, tarpit): sent, then the transaction ends */
  proxyReply(bytes: Buffer, status: number, close: boolean, abortServer = false): void {
    this.connector?.abort();
    this.connector = null;
    if (abortServer) {
      // the server's response (and what followed it) is dropped with its connection
      this.dropServer();
      this.rbatch.take(0, false);
    }
    if (this.slog) {
      this.slog.status = status;
      this.slog.replyBytes = bytes;
    }
    if (bytes.length && !this.cli.destroyed) this.cli.write(bytes);
    // the request body not received yet makes the connection unusable
    if (close || !this.reqDec.done) this.front.want = WANT_CLO;
    // the server connection is left in the middle of this exchange
    if (this.headSent && this.resPhase !== 'done') this.srvSpoiled = true;
    this.endTransaction();
  }

  /** the request body ranges received and not forwarded yet (the stats page's admin form) */
  pendingRequestBody(): readonly Buffer[] {
    return this.qbatch.parts;
  }

  /** the whole request (head and body) was received */
  requestDone(): boolean {
    return !this.req || this.reqDec.done;
  }

  /** closes the client connection without a response (reject; silent-drop resets it) */
  closeNow(reset: boolean): void {
    this.term = { cause: 'P', phase: 'R' };
    this.connector?.abort();
    this.connector = null;
    this.state = 'closing';
    this.timer.clear();
    this.dropServer();
    if (reset) silentDrop(this.cli, this.fe.timeouts.client);
    else this.cli.destroySoon();
  }

  /** http-request tarpit: the request is held `ms`, then `done` answers */
  holdTarpit(ms: number, done: () => void): void {
    // later client bytes are kept, not parsed, while the tarpit runs
    this.state = 'txn';
    this.term = { cause: 'P', phase: 'T' };
    this.tarpitDone = done;
    if (ms > 0) this.timer.arm('tarpit', ms);
    else setImmediate(() => this.onTimeout('tarpit'));
  }

  // --- replies and ends ---------------------------------------------------

  /** HAProxy's own response (503, 502, 504...); the client connection stays open when it can. */
  reply(status: number): void {
    this.connector?.abort();
    this.connector = null;
    if (this.slog) this.slog.status = status;
    // errorfiles and http-after-response rules shape HAProxy's own replies (rules engine)
    const custom = errorBytes(this, status);
    if (custom) {
      if (this.slog) this.slog.replyBytes = custom.bytes;
      if (custom.bytes.length) this.cli.write(custom.bytes);
      if (custom.close) this.front.want = WANT_CLO;
    } else {
      const bytes = renderReply(this.front, builtinReply(status), this.reqDec.done || !this.req);
      this.cli.write(bytes);
    }
    if (!this.req) return this.closeClient();
    if (this.headSent && this.resPhase !== 'done') this.srvSpoiled = true;
    if (!this.reqDec.done) this.front.want = WANT_CLO;
    this.endTransaction();
  }

  /** the multiplexer's own answer (parse errors, 408): raw text, then close */
  private rawErrorAndClose(status: number): void {
    if (stickOn) stickRawError(this, status);
    this.connector?.abort();
    this.connector = null;
    this.cli.write(rawError(status));
    if (this.slog) {
      this.slog.status = status;
      if (this.req) logHttpTxn(this, this.slog, true, this.reqDec);
      else logHttpError(this, this.slog, status);
    }
    this.closeClient();
  }

  /**
   * Ends the client connection once what was written is sent (FIN), then the socket goes when the client closes
   * too or `timeout client-fin` / `timeout client` passes. An idle server
   * connection kept by this session goes to the server's pool.
   */
  private closeClient(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.connector?.abort();
    this.connector = null;
    this.poolIdle();
    this.dropServer();
    const cli = this.cli;
    // (`option nolinger` on a frontend: HAProxy 2.6 still ends client connections with a FIN, observed)
    cli.end();
    if (this.cliEnded) {
      cli.destroySoon();
      this.timer.clear();
      return;
    }
    // the client's FIN ends it; meanwhile its bytes are read and dropped
    resumeReads(cli);
    const t = this.fe.timeouts;
    this.timer.arm('client', t.clientFin || t.client || 5000);
  }

  private abortBoth(): void {
    this.dropServer();
    this.closeClient();
  }

  /** the server connection stays open, idle, for a later request to the same server */
  private idleSrv: net.Socket | null = null;
  private idleServer: RtServer | null = null;
  /** the server's address generation when its connection was parked */
  private idleGen = 0;

  private parkServer(): void {
    const s = this.srv!;
    this.srv = null;
    if (this.server) {
      release(this.server);
      this.idleServer = this.server;
      this.idleGen = this.server.addrGen;
      this.server = null;
    }
    // the listeners stay attached: with `srv` null they read as the idle
    // connection's (a server that talks, ends or closes makes it unusable)
    this.idleSrv = s;
    // the last write to the client may have paused it: an idle connection must see the server talk or close
    resumeReads(s);
  }

  /** the kept idle connection goes to its server's pool (or is closed) */
  private poolIdle(): void {
    const s = this.idleSrv;
    if (!s) return;
    const srv = this.idleServer;
    this.idleSrv = null;
    this.idleServer = null;
    this.detach(s);
    if (!srv || s.destroyed || !s.writable || !putIdle(srv, s)) s.destroy();
  }

  /** the kept idle connection talked, ended or closed: it cannot be reused */
  private idleGone(): void {
    const s = this.idleSrv;
    if (!s || s !== this.attached) return;
    this.idleSrv = null;
    this.idleServer = null;
    this.detach(s);
    s.destroy();
  }

  /** the server socket that carries this session's listeners (kept across reuse of its own idle connection) */
  private attached: net.Socket | null = null;

  private attach(sock: net.Socket): void {
    if (this.attached === sock) return;
    if (this.attached) this.detach(this.attached);
    if (!directReader(sock, this.onSrvData, true)) sock.on('data', this.onSrvData);
    sock.on('end', this.onSrvEnd);
    sock.on('error', this.onSrvError);
    sock.on('close', this.onSrvClose);
    sock.on('drain', this.onSrvDrain);
    this.attached = sock;
  }

  /** removes the listeners; a no-op 'error' listener stays on a socket being destroyed (late errors) */
  private detach(sock: net.Socket, keepError = false): void {
    directReader(sock, null);
    sock.removeListener('data', this.onSrvData);
    sock.removeListener('end', this.onSrvEnd);
    if (!keepError) sock.removeListener('error', this.onSrvError);
    sock.removeListener('close', this.onSrvClose);
    sock.removeListener('drain', this.onSrvDrain);
    if (this.attached === sock) this.attached = null;
  }

  /** closes the server connection; `reset`: HAProxy's SI_FL_NOLINGER after an error, or option nolinger */
  private dropServer(reset = false): void {
    if (this.idleSrv) {
      this.detach(this.idleSrv, true);
      this.idleSrv.destroy();
      this.idleSrv = null;
      this.idleServer = null;
    }
    const s = this.srv;
    if (s) {
      this.srv = null;
      this.detach(s, true);
      if ((reset || (this.beConf?.nolinger ?? false)) && !s.destroyed) s.resetAndDestroy();
      else s.destroy();
      if (this.server) {
        release(this.server);
        this.server = null;
      }
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.state = 'closed';
    this.timer.clear();
    if (this.req && this.be) this.be.beconn--;
    if (this.slog && this.req) logHttpTxn(this, this.slog, false, this.reqDec, this.res ? this.resDec : undefined);
    this.listener.streamEnded(this);
  }

  /**
   * Soft stop (the runtime's softStop): an idle keep-alive connection closes
   * now, a busy one after its current response ("connection: close").
   */
  softStop(): void {
    this.stopping = true;
    if (this.state === 'idle' && this.txnCount > 0) this.closeClient();
  }

  kill(): void {
    this.term = { cause: 'K', phase: 'D' };
    this.dropServer();
    this.cli.destroy();
  }
}

/** the smaller of two timeouts, 0 meaning none */
function minSet(a: number, b: number): number {
  if (!a) return b;
  if (!b) return a;
  return a < b ? a : b;
}

