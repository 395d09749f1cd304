/**
 * The counters behind `show stat`, `show info` and the stats page, as
 * HAProxy 2.6 keeps them (fe_counters, be_counters, server counters,
 * listener counters, the global ones). They exist only when something can
 * read them (a `stats socket` or a proxy with `stats enable`): `STATS.on`.
 *
 * The streams feed them through a few calls: `statsAccept` when a
 * connection is accepted, and `countHttpTxn` / `countHttpError` /
 * `countTcpStream` from the log hooks, once per transaction or stream.
 * Nothing is allocated per request: the counter objects are made once,
 * at start, for every proxy, server and listener.
 */
import type { RtProxy, RtServer } from '../model.js';

/** true once the runtime has something that reads the counters */
export const STATS = { on: false };

/**
 * HAProxy's freq_ctr over one second: events of the current second plus
 * the previous second's, weighted by what is left of the current one.
 */
export class FreqCtr {
  private tick = 0;
  private curr = 0;
  private prev = 0;

  private rotate(now: number): void {
    const elapsed = now - this.tick;
    if (elapsed < 1000) return;
    const periods = Math.floor(elapsed / 1000);
    this.prev = periods >= 2 ? 0 : this.curr;
    this.curr = 0;
    this.tick = periods >= 2 ? now - (now % 1000) : this.tick + 1000;
  }

  /** counts `n` events now; returns the count of the current second (for the *_max counters) */
  add(n: number, now: number): number {
    this.rotate(now);
    this.curr += n;
    return this.curr;
  }

  read(now: number): number {
    this.rotate(now);
    const remain = 1000 - (now - this.tick);
    return this.curr + Math.floor((this.prev * remain) / 1000);
  }

  reset(): void {
    this.tick = this.curr = this.prev = 0;
  }
}

/** the process-wide counters of `show info` */
export const GLOBAL = {
  startMs: Date.now(),
  cumConns: 0,
  cumReq: 0,
  bytesOut: 0,
  cpsMax: 0,
  spsMax: 0,
  connRate: new FreqCtr(),
  sessRate: new FreqCtr(),
  bytesRate: new FreqCtr(),
};

/** HAProxy's swrate (sliding window average over the last 512 samples) */
export const TIME_STATS_SAMPLES = 512;

function swrateAdd(sum: number, n: number, v: number): number {
  return sum - Math.floor((sum + n - 1) / n) + v;
}

export function swrateAvg(sum: number, n: number): number {
  return Math.floor((sum + n - 1) / n);
}

/** HTTP status classes: rsp[0] other, rsp[1..5] 1xx..5xx */
function statusClass(status: number): number {
  const c = Math.floor(status / 100);
  return c >= 1 && c <= 5 ? c : 0;
}

/** fe_counters + the frontend's h1 mux counters */
export class FeCounters {
  cumConn = 0;
  cumSess = 0;
  connMax = 0;
  bytesIn = 0;
  bytesOut = 0;
  deniedReq = 0;
  deniedResp = 0;
  failedReq = 0;
  deniedConn = 0;
  deniedSess = 0;
  failedRewrites = 0;
  internalErrors = 0;
  intercepted = 0;
  readonly rsp = [0, 0, 0, 0, 0, 0];
  cumReq = 0;
  spsMax = 0;
  cpsMax = 0;
  rpsMax = 0;
  readonly sessRate = new FreqCtr();
  readonly connRate = new FreqCtr();
  readonly reqRate = new FreqCtr();
  h1Conns = 0;
  h1Streams = 0;
  h1BytesIn = 0;
  h1BytesOut = 0;

  clear(all: boolean): void {
    if (all) Object.assign(this, new FeCounters());
    else this.connMax = this.spsMax = this.cpsMax = this.rpsMax = 0;
  }
}

/** be_counters and server counters (the same set, as in HAProxy) */
export class BeCounters {
  cumConn = 0;
  connMax = 0;
  nbpendMax = 0;
  bytesIn = 0;
  bytesOut = 0;
  deniedReq = 0;
  deniedResp = 0;
  failedConns = 0;
  failedResp = 0;
  retries = 0;
  redispatches = 0;
  failedRewrites = 0;
  internalErrors = 0;
  connect = 0;
  reuse = 0;
  cumLbconn = 0;
  cumReq = 0;
  readonly rsp = [0, 0, 0, 0, 0, 0];
  cliAborts = 0;
  srvAborts = 0;
  spsMax = 0;
  readonly sessRate = new FreqCtr();
  /** ms timestamp of the last session, -1 never */
  lastSess = -1;
  qTime = 0;
  cTime = 0;
  dTime = 0;
  tTime = 0;
  qtMax = 0;
  ctMax = 0;
  dtMax = 0;
  ttMax = 0;
  /** health */
  failedChecks = 0;
  downTrans = 0;
  /** seconds of the last state change (the process start until one happens) */
  lastChange = Math.floor(GLOBAL.startMs / 1000);
  /** health of a server without checks as `show servers state` reports it: its rise, 0 once it went to maintenance */
  noCheckHealth = -1;
  /** total seconds spent down, and since when it is down (-1: up) */
  downTime = 0;
  downSince = -1;
  h1Conns = 0;
  h1Streams = 0;
  h1BytesIn = 0;
  h1BytesOut = 0;

  clear(all: boolean): void {
    if (all) {
      const keep = { lastChange: this.lastChange, downSince: this.downSince };
      Object.assign(this, new BeCounters(), keep);
    } else this.connMax = this.nbpendMax = this.spsMax = this.qtMax = this.ctMax = this.dtMax = this.ttMax = 0;
  }
}

/** listener counters (`option socket-stats`) */
export class LiCounters {
  cumConn = 0;
  connMax = 0;
  bytesIn = 0;
  bytesOut = 0;
  deniedReq = 0;
  deniedResp = 0;
  failedReq = 0;
  deniedConn = 0;
  deniedSess = 0;
  failedRewrites = 0;
  internalErrors = 0;
}

export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------
// where the counters live: one object per proxy side and server, made at start

const feCtr = new WeakMap<RtProxy, FeCounters>();
const beCtr = new WeakMap<RtProxy, BeCounters>();
const srvCtr = new WeakMap<RtServer, BeCounters>();
const liCtr = new WeakMap<object, LiCounters>();

export function feCounters(px: RtProxy): FeCounters {
  let c = feCtr.get(px);
  if (!c) feCtr.set(px, (c = new FeCounters()));
  return c;
}

export function beCounters(px: RtProxy): BeCounters {
  let c = beCtr.get(px);
  if (!c) beCtr.set(px, (c = new BeCounters()));
  return c;
}

export function srvCounters(s: RtServer): BeCounters {
  let c = srvCtr.get(s);
  if (!c) srvCtr.set(s, (c = new BeCounters()));
  return c;
}

/** the counters of a listener with `option socket-stats`, or undefined */
export function liCounters(l: object): LiCounters | undefined {
  return liCtr.get(l);
}

export function enableListenerCounters(l: object): void {
  if (!liCtr.has(l)) liCtr.set(l, new LiCounters());
}

// ---------------------------------------------------------------------------
// the hooks

interface ListenerRef {
  readonly fe: RtProxy;
}

/** A connection was accepted by listener `l` (its frontend's feconn already counts it). */
export function statsAccept(l: ListenerRef): void {
  if (!STATS.on) return;
  const now = Date.now();
  const fe = l.fe;
  const c = feCounters(fe);
  c.cumConn++;
  c.cumSess++;
  if (fe.feconn > c.connMax) c.connMax = fe.feconn;
  const cps = c.connRate.add(1, now);
  if (cps > c.cpsMax) c.cpsMax = cps;
  const sps = c.sessRate.add(1, now);
  if (sps > c.spsMax) c.spsMax = sps;
  if (fe.mode === 'http') c.h1Conns++;
  GLOBAL.cumConns++;
  const g = GLOBAL.connRate.add(1, now);
  if (g > GLOBAL.cpsMax) GLOBAL.cpsMax = g;
  const gs = GLOBAL.sessRate.add(1, now);
  if (gs > GLOBAL.spsMax) GLOBAL.spsMax = gs;
  const li = liCtr.get(l);
  if (li) {
    li.cumConn++;
    const cur = (l as { streams?: { size: number } }).streams?.size ?? 0;
    if (cur + 1 > li.connMax) li.connMax = cur + 1;
  }
}

/** A connection of listener `l` was refused by tcp-request connection / session rules. */
export function statsRejected(l: ListenerRef, session: boolean): void {
  if (!STATS.on) return;
  const c = feCounters(l.fe);
  if (session) c.deniedSess++;
  else {
    c.deniedConn++;
    c.cumSess--;
  }
  const li = liCtr.get(l);
  if (li) {
    if (session) li.deniedSess++;
    else li.deniedConn++;
  }
}

/** `http-request deny|tarpit` (or `http-response deny` when `resp`) ended the transaction. */
export function statsDenied(s: { fe: RtProxy; be: RtProxy | null; listener?: object }, resp: boolean): void {
  if (!STATS.on) return;
  const fc = feCounters(s.fe);
  if (resp) fc.deniedResp++;
  else fc.deniedReq++;
  if (s.be) {
    const bc = beCounters(s.be);
    if (resp) bc.deniedResp++;
    else bc.deniedReq++;
  }
  const li = s.listener ? liCtr.get(s.listener) : undefined;
  if (li) {
    if (resp) li.deniedResp++;
    else li.deniedReq++;
  }
}

/** The stats page (or another applet of the proxy) answered the request. */
export function statsIntercepted(fe: RtProxy): void {
  if (STATS.on) feCounters(fe).intercepted++;
}

/** transactions the stats applet answered: their request is counted when it arrives, as HAProxy does */
const appletTxns = new WeakSet<object>();

/**
 * The stats applet takes this transaction: HAProxy has counted its request
 * on arrival (the page shows it), and in a `listen` its backend side serves it.
 */
export function statsAppletTxn(fe: RtProxy, slog: object | null, px: RtProxy): void {
  if (!STATS.on || !slog) return;
  const now = Date.now();
  const fc = feCounters(fe);
  fc.cumReq++;
  fc.h1Streams++;
  GLOBAL.cumReq++;
  const rps = fc.reqRate.add(1, now);
  if (rps > fc.rpsMax) fc.rpsMax = rps;
  appletTxns.add(slog);
  if (px.isBackend) beCounters(px).lastSess = now;
}

export function isAppletTxn(sl: object): boolean {
  if (!appletTxns.has(sl)) return false;
  appletTxns.delete(sl);
  return true;
}

/** bytes of chunk framing in the stats applet's response, which HAProxy's HTX counts do not include */
const appletFraming = new WeakMap<object, number>();

export function setAppletFraming(sl: object | null, n: number): void {
  if (sl) appletFraming.set(sl, n);
}

export function takeAppletFraming(sl: object): number {
  const n = appletFraming.get(sl) ?? 0;
  appletFraming.delete(sl);
  return n;
}

/** What a transaction or a tcp stream leaves for the counters (filled by the log hooks). */
export interface StreamFacts {
  fe: RtProxy;
  be: RtProxy | null;
  /** the server that served it (or was last tried) */
  server: RtServer | null;
  /** the server still holds this stream's slot (its `cur` counts it) */
  serverHeld: boolean;
  /** the backend's beconn still counts this stream */
  beHeld: boolean;
  listener: object | null;
  http: boolean;
  /** a request was received (parsed, or rejected by the parser with bytes in) */
  request: boolean;
  /** final status sent to the client, 0 none */
  status: number;
  /** the status came from the server (not HAProxy's own reply) */
  serverStatus: boolean;
  bytesIn: number;
  bytesOut: number;
  /** raw bytes of the client connection for this transaction */
  wireIn: number;
  wireOut: number;
  /** termination flags as logged */
  cause: string;
  phase: string;
  retries: number;
  redispatched: boolean;
  /** ms since the request for queue, connect, data; total; -1 when not reached */
  tQueue: number;
  tConnect: number;
  tData: number;
  tTotal: number;
  /** the parser refused the request (400), or the client timed out (408) */
  badRequest: boolean;
  /** the server connection was an idle one reused */
  reused: boolean;
  /** the stats applet answered (its request was counted on arrival); its listen proxy, if any, serves as backend */
  applet: boolean;
}

/** one reusable record: the hooks fill it, `countStream` reads it */
export const FACTS: StreamFacts = {
  fe: null as unknown as RtProxy,
  be: null,
  server: null,
  serverHeld: false,
  beHeld: false,
  listener: null,
  http: false,
  request: false,
  status: 0,
  serverStatus: false,
  bytesIn: 0,
  bytesOut: 0,
  wireIn: 0,
  wireOut: 0,
  cause: '-',
  phase: '-',
  retries: 0,
  redispatched: false,
  tQueue: -1,
  tConnect: -1,
  tData: -1,
  tTotal: -1,
  badRequest: false,
  reused: false,
  applet: false,
};

/** Adds one finished transaction (HTTP) or stream (tcp) to every counter it touches. */
export function countStream(f: StreamFacts): void {
  const now = Date.now();
  const fe = f.fe;
  const fc = feCounters(fe);
  fc.bytesIn += f.bytesIn;
  fc.bytesOut += f.bytesOut;
  GLOBAL.bytesOut += f.bytesOut;
  GLOBAL.bytesRate.add(f.bytesOut, now);
  const li = f.listener ? liCtr.get(f.listener) : undefined;
  if (li) {
    li.bytesIn += f.bytesIn;
    li.bytesOut += f.bytesOut;
  }
  if (f.http) {
    fc.h1BytesIn += f.wireIn;
    fc.h1BytesOut += f.wireOut;
    if (f.request && !f.applet) {
      fc.h1Streams++;
      fc.cumReq++;
      GLOBAL.cumReq++;
      const rps = fc.reqRate.add(1, now);
      if (rps > fc.rpsMax) fc.rpsMax = rps;
    }
    if (f.status) fc.rsp[statusClass(f.status)]++;
    if (f.badRequest) {
      fc.failedReq++;
      if (li) li.failedReq++;
    }
  }
  const be = f.be;
  if (!be) return;
  const bc = beCounters(be);
  if (f.applet) {
    // the stats page served by a listen: its backend side only sees the bytes
    bc.bytesIn += f.bytesIn;
    bc.bytesOut += f.bytesOut;
    return;
  }
  const beconn = be.beconn + (f.beHeld ? 0 : 1);
  if (beconn > bc.connMax) bc.connMax = beconn;
  bc.cumConn++;
  const bsps = bc.sessRate.add(1, now);
  if (bsps > bc.spsMax) bc.spsMax = bsps;
  bc.bytesIn += f.bytesIn;
  bc.bytesOut += f.bytesOut;
  if (f.http) {
    bc.cumReq++;
    if (f.status) bc.rsp[statusClass(f.status)]++;
  }
  const srv = f.server;
  const connFailed = f.phase === 'C' && (f.cause === 'S' || f.cause === 's');
  const respFailed = (f.phase === 'H' || f.phase === 'D') && (f.cause === 'S' || f.cause === 's');
  if (f.retries) bc.retries += f.retries - (f.redispatched ? 1 : 0);
  if (f.redispatched) bc.redispatches++;
  if (connFailed) bc.failedConns++;
  if (respFailed) bc.failedResp++;
  if (f.phase === 'D' && (f.cause === 'C' || f.cause === 'c')) bc.cliAborts++;
  if (f.phase === 'D' && (f.cause === 'S' || f.cause === 's')) bc.srvAborts++;
  if (!srv) return;
  bc.cumLbconn++;
  bc.lastSess = now;
  const sc = srvCounters(srv);
  const cur = srv.cur + (f.serverHeld ? 0 : 1);
  if (cur > sc.connMax) sc.connMax = cur;
  sc.cumConn++;
  sc.cumLbconn++;
  sc.lastSess = now;
  const ssps = sc.sessRate.add(1, now);
  if (ssps > sc.spsMax) sc.spsMax = ssps;
  sc.bytesIn += f.bytesIn;
  sc.bytesOut += f.bytesOut;
  if (f.retries) sc.retries += f.retries - (f.redispatched ? 1 : 0);
  if (f.redispatched) sc.redispatches++;
  if (connFailed) sc.failedConns++;
  if (respFailed) sc.failedResp++;
  if (f.phase === 'D' && (f.cause === 'C' || f.cause === 'c')) sc.cliAborts++;
  if (f.phase === 'D' && (f.cause === 'S' || f.cause === 's')) sc.srvAborts++;
  if (f.http) {
    sc.cumReq++;
    if (f.status && f.serverStatus) sc.rsp[statusClass(f.status)]++;
  }
  if (f.http && f.serverStatus) {
    bc.h1Streams++;
    bc.h1BytesIn += f.wireOut;
    bc.h1BytesOut += f.wireIn;
  }
  if (f.reused) {
    sc.reuse++;
    bc.reuse++;
  } else if (f.tConnect >= 0) {
    sc.connect++;
    bc.connect++;
  }
  if (f.tConnect >= 0) {
    const q = f.tQueue < 0 ? 0 : f.tQueue;
    const c = f.tConnect;
    const d = f.tData < 0 ? 0 : f.tData;
    const t = f.tTotal < 0 ? 0 : f.tTotal;
    addTimes(bc, f.http ? bc.cumReq : bc.cumLbconn, q, c, d, t);
    addTimes(sc, f.http ? sc.cumReq : sc.cumLbconn, q, c, d, t);
  }
}

function addTimes(c: BeCounters, count: number, q: number, ct: number, d: number, t: number): void {
  const n = Math.min(Math.max(count, 1), TIME_STATS_SAMPLES);
  c.qTime = swrateAdd(c.qTime, n, q);
  c.cTime = swrateAdd(c.cTime, n, ct);
  c.dTime = swrateAdd(c.dTime, n, d);
  c.tTime = swrateAdd(c.tTime, n, t);
  if (q > c.qtMax) c.qtMax = q;
  if (ct > c.ctMax) c.ctMax = ct;
  if (d > c.dtMax) c.dtMax = d;
  if (t > c.ttMax) c.ttMax = t;
}

/** A server changed state: HAProxy's last_change, down transitions and downtime. */
export function statsServerState(s: RtServer, up: boolean): void {
  const c = srvCounters(s);
  const now = nowSec();
  c.lastChange = now;
  if (!up) {
    c.downTrans++;
    if (c.downSince < 0) c.downSince = now;
  } else if (c.downSince >= 0) {
    c.downTime += now - c.downSince;
    c.downSince = -1;
  }
}

/** The backend changed between having a usable server and none. */
export function statsBackendState(be: RtProxy, up: boolean): void {
  const c = beCounters(be);
  const now = nowSec();
  c.lastChange = now;
  if (!up) {
    c.downTrans++;
    if (c.downSince < 0) c.downSince = now;
  } else if (c.downSince >= 0) {
    c.downTime += now - c.downSince;
    c.downSince = -1;
  }
}

/** A health check failed on `s`. */
export function statsCheckFailed(s: RtServer): void {
  srvCounters(s).failedChecks++;
}

/** total seconds `c` has spent down, now included */
export function downtime(c: BeCounters): number {
  return c.downTime + (c.downSince >= 0 ? nowSec() - c.downSince : 0);
}
