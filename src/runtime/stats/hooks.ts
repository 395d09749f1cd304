/**
 * What the log phase hands to the counters: the log module calls these once
 * per HTTP transaction and once per tcp stream (whether or not the frontend
 * logs: with stats on, every stream has a StreamLog). They fill the shared
 * FACTS record and count it; nothing is allocated.
 */
import { bytesOut } from '../io/direct.js';
import { nowMs } from '../io/clock.js';
import type { RtProxy } from '../model.js';
import { FACTS, STATS, countStream, isAppletTxn, takeAppletFraming } from './counters.js';
import type { BodyCount, HttpSource, StreamLog, TcpSource } from '../log/logger.js';
import { ProxyLogger, StreamLog as StreamLogClass, txnBytes, TXN_BYTES } from '../log/logger.js';

function rel(t: number, from: number): number {
  return t >= 0 && from >= 0 ? Math.max(0, t - from) : -1;
}

function times(sl: StreamLog): void {
  const now = nowMs();
  const start = sl.tRequest >= 0 ? sl.tRequest : sl.acceptDate;
  FACTS.tQueue = rel(sl.tQueue, start);
  FACTS.tConnect = rel(sl.tConnect, sl.tQueue >= 0 ? sl.tQueue : start);
  FACTS.tData = rel(sl.tData, sl.tConnect);
  FACTS.tTotal = now - sl.acceptDate;
}

function common(s: TcpSource | HttpSource, sl: StreamLog, beHeld: boolean): void {
  const f = FACTS;
  f.fe = s.fe;
  f.be = s.be;
  f.server = s.server ?? sl.server;
  f.serverHeld = s.server !== null;
  f.beHeld = beHeld;
  f.listener = s.listener as object;
  f.cause = s.term.cause;
  f.phase = s.term.phase;
  f.retries = sl.retries;
  f.redispatched = sl.redispatched;
  f.badRequest = false;
  f.serverStatus = false;
  f.reused = false;
  f.applet = isAppletTxn(sl);
  // the stats page of a `listen` is served by its backend side
  if (f.applet && !f.be && s.fe.isBackend) f.be = s.fe;
  times(sl);
}

/** the end of an HTTP transaction (logHttpTxn's arguments) */
export function countHttpTxn(s: HttpSource, sl: StreamLog, beHeld: boolean, reqBody?: BodyCount, resBody?: BodyCount): void {
  sl.counted = true;
  common(s, sl, beHeld);
  const f = FACTS;
  f.http = true;
  txnBytes(s, sl, reqBody, resBody);
  f.request = s.req !== null;
  f.status = TXN_BYTES.status;
  f.serverStatus = s.res !== null && !sl.status;
  f.bytesIn = TXN_BYTES.bytesIn;
  f.bytesOut = TXN_BYTES.bytesOut;
  if (f.applet) f.bytesOut -= takeAppletFraming(sl);
  f.wireIn = s.cli.bytesRead - sl.read0;
  f.wireOut = bytesOut(s.cli) - sl.written0;
  // a server connection seen before in this process was reused
  const sock = (s as { srv?: object | null }).srv;
  f.reused = false;
  if (sock && f.serverHeld) {
    if (seenSockets.has(sock)) f.reused = true;
    else seenSockets.add(sock);
  }
  // the parser or the request timeout ended it before a backend was chosen (HAProxy's failed_req)
  f.badRequest = s.be === null && sl.status !== 0 && s.term.phase === 'R' && (f.status === 400 || f.status === 408 || f.status === 413 || f.status === 501);
  countStream(f);
}

/** an HTTP connection that failed before a request could be parsed (<BADREQ>) */
export function countHttpError(s: HttpSource, sl: StreamLog, status: number): void {
  sl.counted = true;
  common(s, sl, false);
  const f = FACTS;
  f.http = true;
  f.be = null;
  f.server = null;
  const got = s.cli.bytesRead - sl.read0;
  f.request = got > 0 || status === 400;
  f.status = status;
  // a request the parser refused never reached the channel: HAProxy counts no byte of it
  f.bytesIn = 0;
  f.bytesOut = 0;
  f.wireIn = got;
  f.wireOut = bytesOut(s.cli) - sl.written0;
  f.badRequest = status === 400 || status === 408;
  countStream(f);
}

/** the end of a tcp stream */
export function countTcpStream(s: TcpSource, sl: StreamLog): void {
  sl.counted = true;
  common(s, sl, true);
  const f = FACTS;
  f.http = false;
  f.request = false;
  f.status = 0;
  f.bytesIn = s.bytesIn;
  f.bytesOut = s.bytesOut;
  f.wireIn = s.bytesIn;
  f.wireOut = s.bytesOut;
  countStream(f);
}

const seenSockets = new WeakSet<object>();

const silent = new WeakMap<RtProxy, ProxyLogger>();

/**
 * The StreamLog a stream gets when its frontend does not log but the
 * counters need its timestamps and byte marks: a logger with no target.
 */
export function statsStreamLog(fe: RtProxy): StreamLog | null {
  if (!STATS.on) return null;
  let lg = silent.get(fe);
  if (!lg) silent.set(fe, (lg = new ProxyLogger(fe, { tag: '', host: '', pid: '' })));
  return new StreamLogClass(lg);
}
