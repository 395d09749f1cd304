/**
 * Idle server connections shared between client sessions (`http-reuse`):
 * a session that ends with a reusable server connection leaves it in the
 * server's pool; another session's request to that server may take it
 * (`always`: any request; `safe`/`aggressive`: not the first request of a
 * client connection; `never`: connections stay private to their session).
 * `pool-max-conn` caps a server's pool, and every `pool-purge-delay` half
 * of the idle connections beyond the recent need are closed, as HAProxy's
 * srv_cleanup_idle_conns() does (the need is the most connections in use
 * at once since the last purge, smoothed over purges).
 */
import type net from 'node:net';
import type { RtProxy, RtServer } from '../model.js';

export type ReuseMode = 'never' | 'safe' | 'aggressive' | 'always';

const modes = new WeakMap<RtProxy, ReuseMode>();

export function reuseMode(be: RtProxy): ReuseMode {
  let m = modes.get(be);
  if (!m) {
    const d = be.directive('http-reuse')?.[0];
    m = d === 'never' || d === 'aggressive' || d === 'always' ? d : 'safe';
    modes.set(be, m);
  }
  return m;
}

interface Pool {
  socks: net.Socket[];
  timer: NodeJS.Timeout | null;
  max: number;
  purge: number;
  /** pool-low-conn */
  low: number;
  /** most connections in use at once since the last purge */
  maxUsed: number;
  /** estimated need, smoothed over purges */
  estNeed: number;
}

const pools = new WeakMap<RtServer, Pool>();

function poolOf(srv: RtServer): Pool {
  let p = pools.get(srv);
  if (!p) {
    const o = srv.conf.options;
    const max = o.has('pool-max-conn') ? Number(o.get('pool-max-conn')![0]) : -1;
    const purgeText = o.get('pool-purge-delay')?.[0];
    pools.set(srv, (p = { socks: [], timer: null, max, purge: purgeText ? parseDelay(purgeText) : 5000, maxUsed: 0, estNeed: 0, low: Number(o.get('pool-low-conn')?.[0]) || 0 }));
  }
  return p;
}

function parseDelay(t: string): number {
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(t);
  if (!m) return 5000;
  const n = Number(m[1]);
  const mult: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };
  return n * (mult[m[2] ?? 'ms'] ?? 1);
}

/** Leaves an idle, reusable connection to `srv` in its pool; false when the pool refuses it. */
export function putIdle(srv: RtServer, sock: net.Socket): boolean {
  if (reuseMode(srv.backend) === 'never') return false;
  // a TLS connection made with a per-request SNI serves no other request (HAProxy matches the SNI)
  if (srv.tls?.perRequestSni) return false;
  const p = poolOf(srv);
  if (p.max === 0 || (p.max > 0 && p.socks.length >= p.max)) return false;
  // HAProxy's srv_add_to_idle_list: idle + used connections stay within the recent need
  // (plus pool-low-conn), so a stream of short client connections does not pile up
  // idle server connections (and ephemeral ports) between two purges
  if (srv.cur + 1 > p.maxUsed) p.maxUsed = srv.cur + 1;
  if (srv.cur + p.socks.length + 1 > Math.max(p.maxUsed, p.estNeed) + p.low) return false;
  // (the session removed its own listeners: only ours go on, so a TLS socket keeps Node's internal ones)
  const gone = () => {
    const i = p.socks.indexOf(sock);
    if (i >= 0) p.socks.splice(i, 1);
    unwatch(sock, gone);
    sock.destroy();
  };
  watchers.set(sock, gone);
  sock.on('error', gone);
  sock.on('close', gone);
  sock.on('end', gone);
  sock.on('data', gone); // an idle server must not talk
  sock.resume(); // (a backpressure pause would hide its talk and its close)
  p.socks.push(sock);
  if (!p.timer && p.purge > 0) {
    p.timer = setInterval(() => purge(srv, p), p.purge);
    p.timer.unref();
  }
  return true;
}

/** the pool's listener on each pooled socket */
const watchers = new WeakMap<net.Socket, () => void>();

function unwatch(sock: net.Socket, gone: () => void): void {
  watchers.delete(sock);
  sock.removeListener('error', gone);
  sock.removeListener('close', gone);
  sock.removeListener('end', gone);
  sock.removeListener('data', gone);
}

/** Takes an idle connection to `srv` if the reuse mode allows it for this request. */
export function takeIdle(srv: RtServer, firstRequest: boolean): net.Socket | null {
  const mode = reuseMode(srv.backend);
  if (mode === 'never' || (firstRequest && mode !== 'always')) return null;
  const p = pools.get(srv);
  if (!p) return null;
  while (p.socks.length) {
    const s = p.socks.pop()!;
    const gone = watchers.get(s);
    if (gone) unwatch(s, gone);
    if (s.destroyed || !s.writable) continue;
    if (srv.cur > p.maxUsed) p.maxUsed = srv.cur;
    return s;
  }
  return null;
}

/** closes half of the idle connections beyond the estimated need */
function purge(srv: RtServer, p: Pool): void {
  const exceed = srv.cur + p.socks.length - Math.max(p.maxUsed, p.estNeed);
  p.estNeed = (p.estNeed + p.maxUsed) >> 1;
  if (p.estNeed < p.maxUsed) p.estNeed = p.maxUsed;
  p.maxUsed = srv.cur;
  if (exceed > 0) {
    const n = Math.min(p.socks.length, (exceed >> 1) + (exceed & 1));
    for (const s of p.socks.splice(0, n)) s.destroy();
  }
  if (!p.socks.length && p.timer) {
    clearInterval(p.timer);
    p.timer = null;
  }
}

/** Closes every pooled connection (stop). */
export function closePools(servers: Iterable<RtServer>): void {
  for (const srv of servers) {
    const p = pools.get(srv);
    if (!p) continue;
    for (const s of p.socks.splice(0)) s.destroy();
    if (p.timer) clearInterval(p.timer);
    p.timer = null;
  }
}

/** idle connections in the pool of `srv` and the estimated need (show stat: srv_icur, need_conn_est) */
export function poolStats(srv: RtServer): { idle: number; need: number } {
  const p = pools.get(srv);
  return p ? { idle: p.socks.length, need: Math.max(p.maxUsed, p.estNeed) } : { idle: 0, need: 0 };
}
