/**
 * `balance random[(draws)]`: `draws` random points on the consistent-hash
 * ring, keeping the least loaded server (served / weight) of the draws
 * (power of two choices with the default of 2).
 */
import type { LbAlgorithm, LbRequest, LbServer } from '../api.js';
import { ChashLb } from './chash.js';
import { register, type LbContext } from './registry.js';

export class RandomLb implements LbAlgorithm {
  readonly table: ChashLb;
  readonly dynamic = true;
  private readonly rnd: () => number;

  constructor(
    ctx: LbContext,
    readonly draws: number,
  ) {
    this.table = new ChashLb(ctx.servers, ctx.options);
    this.rnd = ctx.options.random32 ?? (() => (Math.random() * 0x100000000) >>> 0);
  }

  pick(_req: LbRequest, avoid?: LbServer): LbServer | null {
    const t = this.table;
    if (t.totWeight === 0) return null;
    let curr: LbServer | null = null;
    let draws = this.draws;
    do {
      const prev: LbServer | null = curr;
      curr = t.pickHash(this.rnd(), avoid);
      if (!curr) break;
      if (prev && prev !== curr) {
        const pw = t.rec(prev)!.curEw;
        const cw = t.rec(curr)!.curEw;
        // keep the previous draw when it serves less per unit of weight
        if (curr.cur * pw > prev.cur * cw) curr = prev;
      }
    } while (--draws > 0);
    if (curr) {
      const m = curr.dynamicMaxconn ? curr.dynamicMaxconn() : curr.maxconn;
      if (curr.queued || (curr.maxconn && curr.cur >= m)) return null;
    }
    return curr;
  }

  update(s?: LbServer): void {
    this.table.update(s);
  }

  available(): boolean {
    return this.table.totWeight > 0;
  }
}

function create(c: LbContext) {
  let draws = 2;
  if (c.param !== undefined && c.param !== '') draws = parseInt(c.param, 10) || 2;
  return new RandomLb(c, draws);
}

register({ name: 'random', create });
