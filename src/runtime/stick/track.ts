/**
 * Tracked counters (HAProxy's stkctr): each client connection has three
 * session-level slots (tracked by `tcp-request connection|session`) and
 * three stream-level slots (tracked by `tcp-request content`,
 * `http-request`, `http-response`); a stream sees the session's slot when
 * it has none of its own, and a slot already tracked is never re-tracked.
 *
 * Counting, as HAProxy 2.6 does it:
 *  - tracking an entry counts a connection (conn_cnt, conn_rate, conn_cur);
 *  - conn_cur goes down when the tracker leaves: at the end of the
 *    connection for session-level slots, at the end of each HTTP
 *    transaction (or of the tcp stream) for stream-level ones;
 *  - sess_cnt/sess_rate count accepted sessions on session-level slots;
 *  - http_req_* count each request (before http-request rules), and
 *    http-request/http-response track-sc count the current one;
 *  - http_err_* count denied, tarpitted, failed-auth and 400 requests and
 *    4xx server responses; http_fail_* 5xx server responses other than 501
 *    and 505 and responses the server failed to give (502/504);
 *  - bytes_* count what went through, periodically for tcp streams and at
 *    the end of each HTTP transaction (HTX sizes for heads).
 * Every update touches the entry (its expiration is pushed back).
 */
import { bytesOut } from '../io/direct.js';
import type net from 'node:net';
import type { HttpMessage } from '../http/h1/message.js';
import { htxHeadSize } from '../log/logger.js';
import { DT } from './conf.js';
import { nowMs, type Entry, type StickTable } from './table.js';

export interface Slot {
  readonly t: StickTable;
  readonly e: Entry;
  /** tracked by a backend's rules (HAProxy's STKCTR_TRACK_BACKEND) */
  readonly backend: boolean;
}

/** What the counting reads of a tcp stream or an HTTP session (all optional). */
interface HostLike {
  fe?: { option(name: string): boolean };
  cli?: net.Socket;
  bytesIn?: number;
  bytesOut?: number;
  req?: HttpMessage | null;
  res?: HttpMessage | null;
  term?: { cause: string; phase: string };
}

export class ConnStick {
  readonly sess: (Slot | null)[] = [null, null, null];
  readonly strm: (Slot | null)[] = [null, null, null];
  /** the tcp stream / HTTP session, once known */
  host: HostLike | null = null;
  sock: net.Socket | null = null;
  /** stick store-request / store-response entries waiting for the server (not in their table yet) */
  stores: { t: StickTable; e: Entry }[] | null = null;
  ended = false;
  /** the reply HAProxy sent for the current HTTP transaction, if any */
  reply: Buffer | null = null;
  /** bytes already counted (tcp streams: their counters; HTTP: the socket's) */
  in0 = 0;
  out0 = 0;

  /** the slot a stream sees: its own, else the session's */
  slot(i: number): Slot | null {
    return this.strm[i] ?? this.sess[i];
  }

  tracked(): boolean {
    for (let i = 0; i < 3; i++) if (this.strm[i] || this.sess[i]) return true;
    return false;
  }

  /** Tracks `e` of `t` in slot `i`; the caller checked the slot is free. */
  track(level: 'sess' | 'strm', i: number, t: StickTable, e: Entry, backend = false): void {
    e.ref++;
    (level === 'sess' ? this.sess : this.strm)[i] = { t, e, backend };
    startCounters(t, e);
    if (t.bytes && this.host) watch(this);
  }

  /** The stream-level slots go (end of an HTTP transaction or of the stream). */
  releaseStream(now = nowMs()): void {
    for (let i = 0; i < 3; i++) {
      const s = this.strm[i];
      if (!s) continue;
      this.strm[i] = null;
      untrack(s, now);
    }
    this.dropStores();
  }

  /** entries kept for stick store rules that will not be stored (no server, stream over) */
  dropStores(): void {
    const st = this.stores;
    if (!st) return;
    this.stores = null;
    for (const x of st) x.t.free(x.e);
  }

  /** The connection is over: every tracker leaves. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const now = nowMs();
    flushTcp(this, now);
    const h = this.host;
    // an HTTP transaction cut short still counts its bytes
    if (h && typeof h.bytesIn !== 'number' && h.req) httpBytes(this, h, now);
    this.releaseStream(now);
    for (let i = 0; i < 3; i++) {
      const s = this.sess[i];
      if (!s) continue;
      this.sess[i] = null;
      untrack(s, now);
    }
    watched.delete(this);
  }

  /** Binds to the client socket: its close ends the tracking. */
  attach(sock: net.Socket): void {
    // (the route simulator's hosts have no real socket: their counters simply stay)
    if (this.sock || typeof sock.once !== 'function') return;
    this.sock = sock;
    if (sock.destroyed) {
      queueMicrotask(() => this.end());
      return;
    }
    sock.once('close', () => this.end());
  }

  /** The stream or session object becomes known. */
  bindHost(h: HostLike): void {
    if (this.host) return;
    this.host = h;
    if (typeof h.bytesIn === 'number') {
      // a tcp stream's bytes all count, whenever the tracking started
      this.in0 = 0;
      this.out0 = 0;
      if (this.countsBytes()) watch(this);
    } else if (h.cli) {
      // an HTTP transaction's bytes count from its request head
      this.in0 = h.cli.bytesRead - (h.req ? h.req.headLength : 0);
      this.out0 = bytesOut(h.cli);
    }
  }

  private countsBytes(): boolean {
    for (let i = 0; i < 3; i++) {
      const s = this.slot(i);
      if (s && s.t.bytes) return true;
    }
    return false;
  }

  /* ---- counting on every slot the stream sees ------------------------------------------- */

  /** one more HTTP request (frontend: every slot; backend pass: the backend's own slots) */
  httpRequest(backendOnly: boolean, now = nowMs()): void {
    for (let i = 0; i < 3; i++) {
      const s = backendOnly ? this.strm[i] : this.slot(i);
      if (!s || (backendOnly && !s.backend)) continue;
      countReq(s.t, s.e, now);
    }
  }

  httpError(now = nowMs()): void {
    for (let i = 0; i < 3; i++) {
      const s = this.slot(i);
      if (s) countErr(s.t, s.e, now);
    }
  }

  httpFail(now = nowMs()): void {
    for (let i = 0; i < 3; i++) {
      const s = this.slot(i);
      if (s) countFail(s.t, s.e, now);
    }
  }

  /** an accepted session: sess_cnt/sess_rate of the session-level slots */
  session(now = nowMs()): void {
    for (let i = 0; i < 3; i++) {
      const s = this.sess[i];
      if (!s) continue;
      s.t.inc(s.e, DT.SESS_CNT);
      s.t.rate(s.e, DT.SESS_RATE, 1, now);
    }
  }

  bytes(bin: number, bout: number, now = nowMs()): void {
    if (!bin && !bout) return;
    for (let i = 0; i < 3; i++) {
      const s = this.slot(i);
      if (!s) continue;
      const t = s.t;
      let touched = false;
      if (bin) {
        if (t.inc(s.e, DT.BYTES_IN_CNT, bin)) touched = true;
        if (t.rate(s.e, DT.BYTES_IN_RATE, bin, now)) touched = true;
      }
      if (bout) {
        if (t.inc(s.e, DT.BYTES_OUT_CNT, bout)) touched = true;
        if (t.rate(s.e, DT.BYTES_OUT_RATE, bout, now)) touched = true;
      }
      if (touched) t.touch(s.e, now);
    }
  }
}

/** conn_cur/conn_cnt/conn_rate of a new tracker (HAProxy's stream_start_counters) */
function startCounters(t: StickTable, e: Entry, now = nowMs()): void {
  t.inc(e, DT.CONN_CUR);
  t.inc(e, DT.CONN_CNT);
  t.rate(e, DT.CONN_RATE, 1, now);
  t.touch(e, now);
}

/** a tracker leaves: conn_cur goes down (touching the entry), then the reference */
function untrack(s: Slot, now: number): void {
  const t = s.t;
  const k = t.at(DT.CONN_CUR);
  if (k >= 0) {
    const v = s.e.d[k] as number;
    if (v > 0) s.e.d[k] = v - 1;
    t.touch(s.e, now);
  }
  t.release(s.e, now);
}

export function countReq(t: StickTable, e: Entry, now = nowMs()): void {
  const a = t.inc(e, DT.HTTP_REQ_CNT);
  const b = t.rate(e, DT.HTTP_REQ_RATE, 1, now);
  if (a || b) t.touch(e, now);
}

export function countErr(t: StickTable, e: Entry, now = nowMs()): void {
  const a = t.inc(e, DT.HTTP_ERR_CNT);
  const b = t.rate(e, DT.HTTP_ERR_RATE, 1, now);
  if (a || b) t.touch(e, now);
}

export function countFail(t: StickTable, e: Entry, now = nowMs()): void {
  const a = t.inc(e, DT.HTTP_FAIL_CNT);
  const b = t.rate(e, DT.HTTP_FAIL_RATE, 1, now);
  if (a || b) t.touch(e, now);
}

/** what a response status counts: 4xx an error, 5xx (not 501/505) a failure */
export function countStatus(c: ConnStick, status: number, now = nowMs()): void {
  if (status >= 400 && status < 500) c.httpError(now);
  else if (status >= 500 && status < 600 && status !== 501 && status !== 505) c.httpFail(now);
}

/* ---- bytes of tcp streams: flushed periodically and at the end ---------------------------- */

const watched = new Set<ConnStick>();
let flushTimer: NodeJS.Timeout | null = null;
const FLUSH_MS = 200;

/**
 * A tcp stream's bytes count when it ends; with `option contstats` on its
 * frontend they also count while it runs (HAProxy does it at each wake-up;
 * here every FLUSH_MS).
 */
function watch(c: ConnStick): void {
  const h = c.host;
  if (c.ended || !h || typeof h.bytesIn !== 'number' || !h.fe?.option('contstats')) return;
  watched.add(c);
  if (!flushTimer) {
    flushTimer = setInterval(flushAll, FLUSH_MS);
    flushTimer.unref?.();
  }
}

function flushAll(): void {
  const now = nowMs();
  for (const c of watched) flushTcp(c, now);
  if (!watched.size && flushTimer) {
    clearInterval(flushTimer);
    flushTimer = null;
  }
}

function flushTcp(c: ConnStick, now: number): void {
  const h = c.host;
  if (!h || typeof h.bytesIn !== 'number') return;
  const bin = h.bytesIn - c.in0;
  const bout = (h.bytesOut ?? 0) - c.out0;
  c.in0 = h.bytesIn;
  c.out0 = h.bytesOut ?? 0;
  c.bytes(bin, bout, now);
}

/** What the byte count reads of an HTTP message body decoder (h1/body.ts BodyDecoder). */
interface BodyCount {
  readonly mode: number;
  readonly done: boolean;
  readonly bodyBytes: number;
  readonly trailers: { length: number; names: string[]; values: string[] } | null;
}

/** HTX size of a body: its payload, and for a chunked one the trailers and the end-of-trailers block */
function htxBody(d: BodyCount): number {
  let n = d.bodyBytes;
  if (d.mode === 2 /* chunked */ && d.done) {
    n++;
    const t = d.trailers;
    if (t) for (let i = 0; i < t.length; i++) n += t.names[i].length + t.values[i].length;
  }
  return n;
}

/**
 * The bytes of the HTTP transaction that ends, as HAProxy counts them: the
 * heads as received (HTX sizes, taken before rules changed them) and the
 * payloads, or HAProxy's own reply.
 */
export function httpBytes(c: ConnStick, h: HostLike, now: number, reqHtx?: number, resHtx?: number): void {
  const cli = h.cli;
  if (!cli) return;
  const read = cli.bytesRead - c.in0;
  const written = bytesOut(cli) - c.out0;
  c.in0 = cli.bytesRead;
  c.out0 = bytesOut(cli);
  const req = h.req;
  const res = h.res;
  const reply = c.reply;
  c.reply = null;
  // the HTTP session's body decoders (a tcp stream has none)
  const decs = h as { reqDec?: BodyCount; resDec?: BodyCount };
  let bin = Math.max(0, read);
  if (req) bin = (reqHtx ?? htxHeadSize(req)) + (decs.reqDec ? htxBody(decs.reqDec) : Math.max(0, read - req.headLength));
  let bout = Math.max(0, written);
  if (reply) bout = htxReplySize(reply);
  else if (res && res.status) bout = (resHtx ?? htxHeadSize(res)) + (decs.resDec ? htxBody(decs.resDec) : Math.max(0, written - wireHeadSize(res)));
  c.bytes(bin, bout, now);
}

/** HTX size of a whole response HAProxy writes itself: start line parts + 21, names + values (no connection), body */
function htxReplySize(raw: Buffer): number {
  const b = raw.toString('latin1');
  let end = b.indexOf('\r\n\r\n');
  if (end < 0) return raw.length;
  const lines = b.slice(0, end).split('\r\n');
  const sp1 = lines[0].indexOf(' ');
  const sp2 = lines[0].indexOf(' ', sp1 + 1);
  let n = 21 + lines[0].length - (sp2 > 0 ? 2 : 1);
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    const col = l.indexOf(':');
    if (col < 0 || l.slice(0, col).toLowerCase() === 'connection') continue;
    n += col + l.slice(col + 1).trim().length;
  }
  end += 4;
  return n + (b.length - end);
}

/** the size of a head as written on the wire */
function wireHeadSize(m: HttpMessage): number {
  let n = m.version.length + 4 + (m.statusText || String(m.status)).length + m.reason.length;
  const h = m.headers;
  for (let i = 0; i < h.length; i++) n += h.names[i].length + h.values[i].length + 4;
  return n + 2;
}
