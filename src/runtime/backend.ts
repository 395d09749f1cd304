/**
 * The backend layer: choosing a server for a stream (balancing, server
 * maxconn, queues), taking and releasing connection slots, and HAProxy's
 * retry / redispatch decision after a failed connection attempt.
 */
import type { LbAlgorithm, LbRequest, LbServer } from './api.js';
import type { Pending, RtProxy, RtServer } from './model.js';

/** HAProxy's balancing kinds: they decide whether a retry may go elsewhere at once. */
export type LbKind = 'rr' | 'cb' | 'hi';

export function lbKind(be: RtProxy): LbKind {
  const algo = be.conf.balance?.algo ?? 'roundrobin';
  if (algo === 'roundrobin' || algo === 'static-rr') return 'rr';
  if (algo === 'leastconn' || algo === 'first') return 'cb';
  return 'hi';
}

export type Assignment =
  | { kind: 'server'; server: RtServer }
  | { kind: 'queued' }
  /** no usable server at all (503 in http, close in tcp) */
  | { kind: 'none' }
  /** the server's queue is full (maxqueue) */
  | { kind: 'full' };

/**
 * Picks a server and takes a slot on it, or queues `p`. `direct` is a server
 * the stream must use (persistence, use-server): it is queued on that server
 * when full. The caller passes a down server only when HAProxy would use it
 * anyway (`option persist`, `force-persist`): the attempt then fails and the
 * retry logic may redispatch.
 */
export function assignServer(be: RtProxy, req: LbRequest, p: Pending, direct?: RtServer, avoid?: RtServer): Assignment {
  if (direct) {
    if (direct.hasSlot() && !direct.queue.length) {
      take(direct);
      return { kind: 'server', server: direct };
    }
    if (direct.maxqueue && direct.queue.length >= direct.maxqueue) return { kind: 'full' };
    p.target = direct;
    p.waiting = true;
    direct.queue.push(p);
    direct.queued++;
    return { kind: 'queued' };
  }
  if (!be.servers.length) return { kind: 'none' };
  const s = be.lb.pick(req, avoid as LbServer | undefined) as RtServer | null;
  if (s) {
    if (s.hasSlot() && !s.queue.length) {
      take(s);
      return { kind: 'server', server: s };
    }
    // a hash algorithm may name a full server: the stream waits for that one (or is refused past maxqueue)
    if (s.maxqueue && s.queue.length >= s.maxqueue) return { kind: 'full' };
    p.target = s;
    p.waiting = true;
    s.queue.push(p);
    s.queued++;
    return { kind: 'queued' };
  }
  if (be.lb.available && !be.lb.available()) return { kind: 'none' };
  // nothing picked: either no usable server, or all usable ones are full
  if (!hasUsable(be)) return { kind: 'none' };
  p.target = null;
  p.waiting = true;
  be.queue.push(p);
  return { kind: 'queued' };
}

function hasUsable(be: RtProxy): boolean {
  for (const s of be.servers) if (s.up && (s.eweight > 0 || s.backup)) return true;
  return false;
}

export function take(s: RtServer): void {
  s.cur++;
  s.total++;
  s.backend.lb.taken?.(s);
}

/** Releases a slot and hands it to the oldest waiting stream (HAProxy's process_srv_queue). */
export function release(s: RtServer): void {
  s.cur--;
  s.backend.lb.released?.(s);
  dequeue(s);
}

/**
 * Grants free slots on `s` to waiting streams: its own queue and the
 * backend's, oldest first (HAProxy's process_srv_queue). A server that is
 * not up still serves the streams queued on it (persistence, use-server,
 * hashing named it), as HAProxy does, observed: only the backend's queue
 * needs a usable server.
 */
export function dequeue(s: RtServer): void {
  const be = s.backend;
  while (s.hasSlot()) {
    const own = firstWaiting(s.queue);
    const shared = s.up ? firstWaiting(be.queue) : undefined;
    const p = own ?? shared;
    if (!p) return;
    if (p === own) {
      s.queue.shift();
      s.queued--;
    } else be.queue.shift();
    p.waiting = false;
    take(s);
    p.dequeued(s);
  }
}

function firstWaiting(q: Pending[]): Pending | undefined {
  while (q.length && !q[0].waiting) q.shift();
  return q[0];
}

/**
 * A server went down or into maintenance: with `option redispatch` (and
 * without `option persist`), the streams queued on it are taken off its
 * queue and balanced again, except those held by force-persist (HAProxy's
 * pendconn_redistribute). Returns how many moved: the "requeued" count of
 * the DOWN message.
 */
export function redistribute(s: RtServer): number {
  const be = s.backend;
  if (be.redispatch === 0 || be.option('persist')) return 0;
  const moved: Pending[] = [];
  const q = s.queue;
  for (let i = 0; i < q.length; i++) {
    const p = q[i];
    if (!p.waiting || p.forcePersist || !p.requeue) continue;
    q.splice(i--, 1);
    s.queued--;
    p.waiting = false;
    moved.push(p);
  }
  for (const p of moved) p.requeue!();
  return moved.length;
}

/** Removes an aborted stream from whatever queue holds it. */
export function unqueue(be: RtProxy, p: Pending): void {
  if (!p.waiting) return;
  p.waiting = false;
  const q = p.target ? p.target.queue : be.queue;
  const i = q.indexOf(p);
  if (i >= 0) q.splice(i, 1);
  if (p.target) p.target.queued--;
}

/**
 * After a failed connection attempt with retries left: does the next attempt
 * go to another server at once (redispatch) or wait a turn-around on the same
 * one? `attempt` counts retries done so far including this one (1-based).
 */
export function retryPlan(be: RtProxy, srv: RtServer, attempt: number, direct: boolean, forcePersist = false): { redispatch: boolean; delay: number } {
  let redispatch = false;
  // force-persist (HAProxy's SF_FORCE_PRST) never redispatches
  if (be.redispatch !== 0 && !forcePersist) {
    const every = be.redispatch;
    const active = activeCount(be);
    if (!srv.up) redispatch = true;
    else if (every > 0 && attempt % every === 0) redispatch = true;
    else if (every < 0 && attempt % (be.retries + 1 + every) === 0) redispatch = true;
    else if (!direct && active > 1 && lbKind(be) === 'rr') redispatch = true;
  }
  let delay = 1000;
  if (be.timeouts.connect && be.timeouts.connect < delay) delay = be.timeouts.connect;
  // HAProxy only waits when it retries the same server
  const wait = !redispatch || lbKind(be) !== 'rr' || activeCount(be) <= 1;
  return { redispatch, delay: wait ? delay : 0 };
}

function activeCount(be: RtProxy): number {
  let n = 0;
  for (const s of be.servers) if (s.up && !s.backup) n++;
  return n;
}

// ---------------------------------------------------------------------------
// A plain weighted round robin used until src/runtime/lb provides the real algorithms.

export function fallbackLb(be: RtProxy): LbAlgorithm {
  let i = -1;
  return {
    pick(_req, avoid) {
      const list = be.servers.filter((s) => s.up && !s.backup && s.eweight > 0);
      const pool = list.length ? list : be.servers.filter((s) => s.up && s.backup).slice(0, 1);
      for (let k = 0; k < pool.length; k++) {
        i = (i + 1) % pool.length;
        const s = pool[i];
        if (s === avoid && pool.length > 1) continue;
        if (s.hasSlot()) return s;
      }
      return null;
    },
    update() {},
  };
}
