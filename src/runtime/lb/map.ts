/**
 * HAProxy's map-based balancing (lb_map.c): `balance static-rr` and the hash
 * algorithms with `hash-type map-based` (the default). The usable servers of
 * one group are spread over a table of `total weight` slots, weights being
 * first divided by their greatest common divisor; round robin walks the table,
 * hashing picks slot `hash % total weight`. Weight changes only apply when
 * the table is rebuilt (a server going up or down).
 */
import type { LbRequest, LbServer } from '../api.js';
import { LbBase, Rec, type LbOptions } from './base.js';
import { register } from './registry.js';

export class MapLb extends LbBase<Rec> {
  private map: Rec[] = [];
  private rrIdx = 0;

  constructor(servers: readonly LbServer[], opts: LbOptions) {
    super(servers, opts, (s, i) => new Rec(s, i));
    // factor the weights by their gcd to keep the table small
    let pgcd = 1;
    let i = 0;
    while (i < this.recs.length && !this.recs[i].s.weight) i++;
    if (i < this.recs.length) {
      pgcd = this.recs[i].s.weight;
      while (pgcd > 1 && ++i < this.recs.length) {
        let w = this.recs[i].s.weight;
        while (w) {
          const t = pgcd % w;
          pgcd = w;
          w = t;
        }
      }
    }
    this.wdiv = 1;
    this.wmult = pgcd;
    this.dynamic = false;
    this.initCommit();
    this.recount();
    this.updateBackendWeight();
    this.recalc();
  }

  /** recalc_server_map: fill the table, first declared server first for equal weights */
  private recalc(): void {
    if (this.totUsed === 0) return;
    const tot = this.totWeight;
    const backup = this.srvAct === 0;
    const score = new Map<Rec, number>();
    const map: Rec[] = new Array(tot);
    for (let o = 0; o < tot; o++) {
      let max = 0;
      let best: Rec | null = null;
      for (const cur of this.recs) {
        if (cur.backup !== backup || !cur.willBeUsable) continue;
        if (tot === 1) {
          best = cur;
          break;
        }
        const sc = (score.get(cur) ?? 0) + cur.nextEw;
        score.set(cur, sc);
        const v = Math.trunc((sc + tot) / tot);
        if (best === null || v > max) {
          max = v;
          best = cur;
        }
      }
      map[o] = best!;
      if (best) score.set(best, (score.get(best) ?? 0) - tot);
    }
    this.map = map;
  }

  protected statusDown(r: Rec): void {
    if (r.willBeUsable) return;
    this.recount();
    this.updateBackendWeight();
    this.recalc();
  }

  protected statusUp(r: Rec): void {
    if (!r.willBeUsable) return;
    this.recount();
    this.updateBackendWeight();
    this.recalc();
  }

  /** map_get_server_rr */
  pickRr(avoid?: LbServer): LbServer | null {
    const tot = this.totWeight;
    if (tot === 0) return null;
    if (this.rrIdx < 0 || this.rrIdx >= tot) this.rrIdx = 0;
    let idx = this.rrIdx;
    let avoided: Rec | null = null;
    let avoidIdx = 0;
    do {
      const r = this.map[idx++];
      if (r && !r.saturated) {
        avoided = r;
        avoidIdx = idx;
        if (r.s !== avoid) {
          this.rrIdx = idx;
          return r.s;
        }
      }
      if (idx === tot) idx = 0;
    } while (idx !== this.rrIdx);
    if (avoided) this.rrIdx = avoidIdx;
    return avoided ? avoided.s : null;
  }

  /** map_get_server_hash */
  pickHash(hash: number, _avoid?: LbServer): LbServer | null {
    if (this.totWeight === 0) return null;
    return this.map[(hash >>> 0) % this.totWeight]?.s ?? null;
  }

  /** the round robin used when the hash key is missing */
  pickFallback(avoid?: LbServer): LbServer | null {
    return this.pickRr(avoid);
  }

  pick(_req: LbRequest, avoid?: LbServer): LbServer | null {
    return this.pickRr(avoid);
  }
}

register({ name: 'static-rr', create: (c) => new MapLb(c.servers, c.options) });
