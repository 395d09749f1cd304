/**
 * What the hash-based algorithms share (source, uri, url_param, hdr,
 * rdp-cookie, hash): a table (lb_map or lb_chash, after `hash-type`), the
 * hash function and avalanche modifier, and HAProxy's fallback to round robin
 * on the same table when the request carries no key.
 */
import type { LbAlgorithm, LbRequest, LbServer } from '../api.js';
import { ChashLb } from './chash.js';
import { fullHash, HASH_FUNCTIONS, type HashInput } from './hash.js';
import { MapLb } from './map.js';
import type { HashConf, LbContext } from './registry.js';

export type Table = MapLb | ChashLb;

/** a key extractor: a hash, `null` when there is no key (round robin applies), `undefined` for no server */
export type KeyFn = (req: LbRequest, algo: HashedLb) => number | null | undefined;

export class HashedLb implements LbAlgorithm {
  readonly table: Table;
  private readonly fn: (input: HashInput, start?: number, end?: number) => number;

  constructor(
    ctx: LbContext,
    private readonly key: KeyFn,
  ) {
    this.table = ctx.hash.consistent ? new ChashLb(ctx.servers, ctx.options) : new MapLb(ctx.servers, ctx.options);
    this.fn = HASH_FUNCTIONS[ctx.hash.fn];
    this.hashConf = ctx.hash;
  }

  readonly hashConf: HashConf;

  get dynamic(): boolean {
    return this.table.dynamic;
  }

  /** HAProxy skips hashing when a single server is usable (`tot_used == 1`) */
  get single(): boolean {
    return this.table.totUsed === 1;
  }

  /** gen_hash + the avalanche modifier */
  gen(input: HashInput, start?: number, end?: number): number {
    const h = this.fn(input, start, end);
    return this.hashConf.avalanche ? fullHash(h) : h;
  }

  /** only the avalanche modifier (source hashing does not use the hash function) */
  aval(h: number): number {
    return this.hashConf.avalanche ? fullHash(h) : h >>> 0;
  }

  pick(req: LbRequest, avoid?: LbServer): LbServer | null {
    if (this.table.totWeight === 0) return null;
    const h = this.key(req, this);
    if (h === undefined) return null;
    if (h === null) return this.table.pickFallback(avoid);
    return this.table.pickHash(h, avoid);
  }

  update(s?: LbServer): void {
    this.table.update(s);
  }

  available(): boolean {
    return this.table.totWeight > 0;
  }
}
