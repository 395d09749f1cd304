/**
 * Stick tables at run time: tables and entries (table.ts), HAProxy's
 * frequency counters (freq.ts), tracked counters per connection and
 * stream (track.ts), the sample view for the sc_, src_ and table_ keywords (view.ts),
 * stick on/match/store persistence (persist.ts) and the track-sc /
 * sc-inc-gpc / sc-set-gpt actions (actions.ts).
 *
 * The stream, session and rules code call the hooks below, each behind a
 * test of `stickOn` (false unless the configuration declares a table), so
 * they cost nothing otherwise. Counters are kept beside the objects that
 * own them (WeakMaps keyed by the stream, session or rule host), never as
 * fields of those objects.
 */
import type net from 'node:net';
import type { SampleContext, StickView } from '../../acl/context.js';
import type { RtProxy, RtServer } from '../model.js';
import type { Config } from '../../config/model.js';
import { configFor } from '../rules/state.js';
import { initStick, stickRulesOf, stopStick, type StickConfig } from './registry.js';
import { stickRequest as stickRequestRules, stickStore } from './persist.js';
import { ConnStick, countStatus, httpBytes } from './track.js';
import { htxHeadSize } from '../log/logger.js';
import { StickViewImpl } from './view.js';
import { nowMs } from './table.js';

export { stickOn, initStick, stopStick, tableOf, stickRulesOf } from './registry.js';
export { ConnStick } from './track.js';
export { StickTable, Entry } from './table.js';
export { parseTableLine } from './conf.js';

/** Anything the counters hang on: a tcp stream, an HTTP session, a rule host. */
interface HostLike {
  readonly fe: RtProxy;
  cli?: net.Socket;
  bytesIn?: number;
  bytesOut?: number;
  req?: import('../http/h1/message.js').HttpMessage | null;
  res?: import('../http/h1/message.js').HttpMessage | null;
  server?: RtServer | null;
  be?: RtProxy | null;
  term?: { cause: string; phase: string };
  sampleContext(): SampleContext;
}

const conns = new WeakMap<object, ConnStick>();
const bySock = new WeakMap<net.Socket, ConnStick>();

/**
 * Counters tracked by `tcp-request connection` rules, before any stream
 * exists: the runtime hands them to the connection's socket right after
 * the rules ran (stickAccept).
 */
let pendingConn: ConnStick | null = null;

/**
 * The counters of `host`: found by the host, else by its client socket
 * (tracked at connection level), else created when `create`.
 */
export function connOf(host: object, create: boolean): ConnStick | undefined {
  let c = conns.get(host);
  if (c) return c;
  const sock = (host as HostLike).cli;
  if (sock) {
    // a TLS socket wraps the accepted one, which connection rules tracked on
    c = bySock.get(sock) ?? bySock.get((sock as { _parent?: net.Socket })._parent!);
    if (c) {
      conns.set(host, c);
      c.bindHost(host as HostLike);
      return c;
    }
  }
  if (!create) return undefined;
  c = new ConnStick();
  conns.set(host, c);
  if (sock) {
    bySock.set(sock, c);
    c.bindHost(host as HostLike);
    c.attach(sock);
  } else pendingConn = c;
  return c;
}

/* ---- the sample view ------------------------------------------------------------------- */

const ctxHost = new WeakMap<SampleContext, object>();
const views = new WeakMap<StickConfig, StickViewImpl>();

function connOfCtx(ctx: SampleContext): ConnStick | undefined {
  const h = ctxHost.get(ctx);
  return h ? connOf(h, false) : undefined;
}

/** What StreamContext.stick returns: the view of the host's configuration. */
export function stickViewFor(ctx: SampleContext, host: { fe: RtProxy }): StickView | undefined {
  if (!ctxHost.has(ctx)) ctxHost.set(ctx, host);
  const config = configFor(host.fe.conf);
  const sc = config ? initStick(config) : undefined;
  if (!sc) return undefined;
  let v = views.get(sc);
  if (!v) views.set(sc, (v = new StickViewImpl(sc, connOfCtx)));
  return v;
}

/* ---- hooks: connection and session ------------------------------------------------------- */

/** After `tcp-request connection` rules: what they tracked belongs to this socket. */
export function stickAccept(sock: net.Socket): void {
  const c = pendingConn;
  if (!c) return;
  pendingConn = null;
  bySock.set(sock, c);
  c.attach(sock);
}

/** A session was accepted (after `tcp-request session` rules): sess_cnt / sess_rate. */
export function stickSession(st: object): void {
  const c = connOf(st, false);
  if (c) c.session();
}

/* ---- hooks: HTTP ---------------------------------------------------------------------------- */

/**
 * A request is about to go through `http-request` rules (after the
 * frontend's `tcp-request content`): it counts on every tracked counter;
 * in a backend, on the backend's own ones.
 */
export function stickHttpRequest(s: object, backend: boolean): void {
  const c = connOf(s, false);
  if (c) c.httpRequest(backend);
  // the request's size as received, before rules change it
  const req = (s as HostLike).req;
  if (!backend && req) reqSizes.set(s, htxHeadSize(req));
}

/** HTX sizes of each session's current request and response heads as received */
const reqSizes = new WeakMap<object, number>();
const resSizes = new WeakMap<object, number>();

/** The request was denied, tarpitted, or refused authentication: an error. */
export function stickHttpError(s: object): void {
  const c = connOf(s, false);
  if (c) c.httpError();
}

/** The server's response head arrived: 4xx/5xx counts, then stick store rules. */
export function stickHttpResponse(o: object): void {
  const s = o as HostLike;
  const c = connOf(s, false);
  const be = s.be;
  if (s.res) {
    if (c) countStatus(c, s.res.status);
    resSizes.set(o, htxHeadSize(s.res));
  }
  if (be && hasStickRules(be)) stickStore(c ?? connOf(s, true)!, s, be, s.server ?? null, true);
}

/**
 * The HTTP transaction ends: its bytes count, a response the server failed
 * to give counts as a failure, and the stream-level counters are released.
 */
export function stickTxnEnd(o: object): void {
  const s = o as HostLike;
  const c = connOf(s, false);
  if (!c) return;
  const now = nowMs();
  const t = s.term;
  if (!s.res && t && (t.cause === 'S' || t.cause === 's') && t.phase === 'H') c.httpFail(now);
  httpBytes(c, s, now, reqSizes.get(s), resSizes.get(s));
  reqSizes.delete(s);
  resSizes.delete(s);
  c.releaseStream(now);
}

/** A reply HAProxy builds (deny, return, redirect...): its bytes count with their HTX size. */
export function stickReply(s: object, bytes: Buffer): void {
  const c = connOf(s, false);
  if (c && c.tracked()) c.reply = bytes;
}

/** HAProxy's own 400/408 before a request could be handled: a request (and an error for 400). */
export function stickRawError(s: object, status: number): void {
  const c = connOf(s, false);
  if (!c) return;
  c.httpRequest(false);
  if (status === 400) c.httpError();
}

/* ---- hooks: server choice ------------------------------------------------------------------- */

function hasStickRules(be: RtProxy): boolean {
  return stickRulesOf(be.conf).length > 0;
}

/**
 * Stick rules once the backend is known; returns the server the stream
 * must use: `assigned` (cookie, use-server) or the one the table names.
 */
export function stickServer(host: object, be: RtProxy, assigned: RtServer | undefined): RtServer | undefined {
  if (!hasStickRules(be)) return assigned;
  const c = connOf(host, true)!;
  return stickRequestRules(c, host as HostLike, be, assigned);
}

/** A tcp stream's server connection is established: kept keys are stored with its server. */
export function stickEstablished(o: object, srv: RtServer): void {
  const st = o as HostLike;
  const be = st.be;
  if (!be || !hasStickRules(be)) return;
  const c = connOf(st, false);
  if (c) stickStore(c, st, be, srv, false);
}

/** Stops the tables' timers of a configuration (runtime stop). */
export function stickStop(config: Config): void {
  stopStick(config);
}
