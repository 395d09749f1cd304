/**
 * What every balancer shares, after HAProxy's lbprm: the committed state of
 * each server (effective weight and usability as last seen by the algorithm),
 * the counts of usable active and backup servers and their total weights, the
 * first usable backup (`fbck`, used alone without `option allbackups`), and
 * the dispatch of server changes to the algorithm's up/down/weight handlers.
 */
import type { LbAlgorithm, LbRequest, LbServer } from '../api.js';

/** HAProxy's BE_WEIGHT_SCALE: dynamic algorithms count weights in 1/16 steps */
export const BE_WEIGHT_SCALE = 16;
/** SRV_UWGHT_RANGE / SRV_EWGHT_MAX */
export const SRV_UWGHT_RANGE = 256;
export const SRV_EWGHT_MAX = SRV_UWGHT_RANGE * BE_WEIGHT_SCALE;

export interface LbOptions {
  /** `option allbackups`: balance over every usable backup, not only the first */
  allbackups?: boolean;
  /** `hash-balance-factor` (consistent hashing with bounded loads), 0 = off */
  hashBalanceFactor?: number;
  /** random 32-bit numbers for `random`; tests pass a seeded one */
  random32?: () => number;
}

/** One server as a balancer tracks it. */
export class Rec {
  /** HAProxy's cur_eweight / next_eweight, in the algorithm's own units */
  curEw = 0;
  nextEw = 0;
  curUp = false;
  nextUp = false;
  constructor(
    readonly s: LbServer,
    /** position in the backend (p->srv order) */
    readonly pos: number,
  ) {}

  get backup(): boolean {
    return this.s.backup;
  }
  /** srv_currently_usable */
  get usable(): boolean {
    return this.curUp && this.curEw > 0;
  }
  /** srv_willbe_usable */
  get willBeUsable(): boolean {
    return this.nextUp && this.nextEw > 0;
  }
  get changed(): boolean {
    return this.curUp !== this.nextUp || this.curEw !== this.nextEw;
  }
  commit(): void {
    this.curEw = this.nextEw;
    this.curUp = this.nextUp;
  }
  /** streams served now plus the ones queued on this server */
  get served(): number {
    return this.s.cur;
  }
  get queued(): number {
    return this.s.queued;
  }
  dynMaxconn(): number {
    return this.s.dynamicMaxconn ? this.s.dynamicMaxconn() : this.s.maxconn;
  }
  /** the test most algorithms use to skip a saturated server */
  get saturated(): boolean {
    return this.s.maxconn !== 0 && (this.s.queued !== 0 || this.s.cur >= this.dynMaxconn());
  }
}

export abstract class LbBase<R extends Rec = Rec> implements LbAlgorithm {
  readonly recs: R[];
  protected readonly byServer = new Map<LbServer, R>();
  /** eweight = ceil(user weight * wdiv / wmult), as HAProxy computes next_eweight */
  wdiv = BE_WEIGHT_SCALE;
  /** weights may change at run time (all but lb_map) */
  dynamic = true;
  wmult = 1;
  srvAct = 0;
  srvBck = 0;
  totWact = 0;
  totWbck = 0;
  totWeight = 0;
  totUsed = 0;
  fbck: R | null = null;
  /** cumulative weights (recount_servers), for hash-balance-factor */
  readonly cumulative = new Map<R, number>();

  constructor(
    servers: readonly LbServer[],
    readonly opts: LbOptions,
    makeRec: (s: LbServer, pos: number) => R,
  ) {
    this.recs = servers.map((s, i) => makeRec(s, i));
    for (const r of this.recs) this.byServer.set(r.s, r);
  }

  abstract pick(req: LbRequest, avoid?: LbServer): LbServer | null;

  available(): boolean {
    return this.totWeight > 0;
  }

  /** converts the server's user-unit weight to this algorithm's units */
  eweightOf(s: LbServer): number {
    const w = s.eweight > 0 ? s.eweight : 0;
    return Math.ceil((w * this.wdiv) / this.wmult - 1e-9);
  }

  /** reads every server's configured state and commits it (the init functions) */
  protected initCommit(): void {
    for (const r of this.recs) {
      r.nextEw = this.eweightOf(r.s);
      r.nextUp = r.s.up;
      r.commit();
    }
  }

  /** recount_servers: uses the "next" state of each server */
  protected recount(): void {
    this.srvAct = this.srvBck = 0;
    this.totWact = this.totWbck = 0;
    this.fbck = null;
    for (const r of this.recs) {
      if (!r.willBeUsable) continue;
      if (r.backup) {
        if (!this.srvBck && !this.opts.allbackups) this.fbck = r;
        this.srvBck++;
        this.cumulative.set(r, this.totWbck);
        this.totWbck += r.nextEw;
      } else {
        this.srvAct++;
        this.cumulative.set(r, this.totWact);
        this.totWact += r.nextEw;
      }
    }
  }

  /** update_backend_weight */
  protected updateBackendWeight(): void {
    if (this.srvAct) {
      this.totWeight = this.totWact;
      this.totUsed = this.srvAct;
    } else if (this.fbck) {
      this.totWeight = this.fbck.nextEw;
      this.totUsed = 1;
    } else {
      this.totWeight = this.totWbck;
      this.totUsed = this.srvBck;
    }
  }

  /** a usable backup left the farm: find the next one in declaration order */
  protected lostBackup(r: R): void {
    if (r !== this.fbck) return;
    let next: R | null = null;
    for (let i = r.pos + 1; i < this.recs.length; i++) {
      const c = this.recs[i];
      if (c.backup && c.willBeUsable) {
        next = c;
        break;
      }
    }
    this.fbck = next;
  }

  /** a backup joined: it becomes fbck if none, or if it is declared before fbck */
  protected gainedBackup(r: R): void {
    if (this.opts.allbackups) return;
    if (!this.fbck || r.pos < this.fbck.pos) this.fbck = r;
  }

  /**
   * The backend layer calls this after changing a server's `up` or `eweight`
   * (or with no argument after changing several; they are then taken in
   * declaration order, one at a time, as HAProxy processes state changes).
   */
  update(s?: LbServer): void {
    const list = s ? [this.byServer.get(s)] : this.recs;
    for (const r of list) {
      if (!r) continue;
      r.nextEw = this.eweightOf(r.s);
      r.nextUp = r.s.up;
      if (!r.changed) continue;
      this.serverChanged(r);
      r.commit();
    }
  }

  /** default dispatch when an algorithm has no weight handler (lb_map) */
  protected serverChanged(r: R): void {
    if (r.willBeUsable) this.statusUp(r);
    else this.statusDown(r);
  }

  protected abstract statusUp(r: R): void;
  protected abstract statusDown(r: R): void;

  rec(s: LbServer | undefined | null): R | undefined {
    return s ? this.byServer.get(s) : undefined;
  }

  /** total streams served by the backend's servers (p->served) */
  protected backendServed(): number {
    let n = 0;
    for (const r of this.recs) n += r.served;
    return n;
  }
}
