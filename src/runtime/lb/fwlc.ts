/**
 * `balance leastconn`: HAProxy's fast weighted least connections (lb_fwlc.c).
 * Servers sit in a tree keyed by (inflight + 1) * 4096 / eweight, or 0 when
 * idle, so idle servers come first and, among equals, the server that moved
 * last goes last: round robin between equally loaded servers. The key is only
 * recomputed when the server takes or releases a connection (`taken` /
 * `released`), never at pick time.
 */
import type { LbRequest, LbServer } from '../api.js';
import { LbBase, Rec, SRV_EWGHT_MAX, BE_WEIGHT_SCALE, type LbOptions } from './base.js';
import { EbNode, EbTree } from './ebtree.js';
import { register } from './registry.js';

class FwlcRec extends Rec {
  readonly node = new EbNode<FwlcRec>(this);
  tree: EbTree<FwlcRec> | null = null;
}

export class FwlcLb extends LbBase<FwlcRec> {
  private readonly act = new EbTree<FwlcRec>();
  private readonly bck = new EbTree<FwlcRec>();

  constructor(servers: readonly LbServer[], opts: LbOptions) {
    super(servers, opts, (s, i) => new FwlcRec(s, i));
    this.wdiv = BE_WEIGHT_SCALE;
    this.initCommit();
    this.recount();
    this.updateBackendWeight();
    for (const r of this.recs) {
      if (!r.usable) continue;
      r.tree = r.backup ? this.bck : this.act;
      this.queue(r, r.nextEw);
    }
  }

  private queue(r: FwlcRec, ew: number): void {
    const inflight = r.served + r.queued;
    const key = inflight ? Math.floor(((inflight + 1) * SRV_EWGHT_MAX) / ew) : 0;
    r.tree!.insert(r.node, key);
  }

  private reposition(s: LbServer): void {
    const r = this.rec(s);
    if (!r || !r.tree) return;
    r.tree.delete(r.node);
    this.queue(r, r.curEw);
  }

  taken(s: LbServer): void {
    this.reposition(s);
  }

  released(s: LbServer): void {
    this.reposition(s);
  }

  pick(_req: LbRequest, avoid?: LbServer): LbServer | null {
    let tree: EbTree<FwlcRec>;
    if (this.srvAct) tree = this.act;
    else if (this.fbck) return this.fbck.s;
    else if (this.srvBck) tree = this.bck;
    else return null;
    let avoided: FwlcRec | null = null;
    for (const n of tree.nodes) {
      const r = n.item;
      // leastconn counts the server's queue room as available
      if (!r.s.maxconn || r.served + r.queued < r.dynMaxconn() + (r.s.maxqueue ?? 0)) {
        if (r.s !== avoid) return r.s;
        avoided = r;
      }
    }
    return avoided ? avoided.s : null;
  }

  protected override serverChanged(r: FwlcRec): void {
    const was = r.usable;
    const will = r.willBeUsable;
    if (!was && !will) return;
    if (!was && will) return this.statusUp(r);
    if (was && !will) return this.statusDown(r);
    if (r.tree) r.tree.delete(r.node);
    if (r.backup) {
      this.totWbck += r.nextEw - r.curEw;
      r.tree = this.bck;
    } else {
      this.totWact += r.nextEw - r.curEw;
      r.tree = this.act;
    }
    this.queue(r, r.nextEw);
    this.updateBackendWeight();
  }

  protected statusDown(r: FwlcRec): void {
    if (r.willBeUsable) return;
    if (!r.usable) {
      this.updateBackendWeight();
      return;
    }
    if (r.backup) {
      this.totWbck -= r.curEw;
      this.srvBck--;
      this.lostBackup(r);
    } else {
      this.totWact -= r.curEw;
      this.srvAct--;
    }
    r.tree?.delete(r.node);
    r.tree = null;
    this.updateBackendWeight();
  }

  protected statusUp(r: FwlcRec): void {
    if (!r.willBeUsable) return;
    if (r.usable) {
      this.updateBackendWeight();
      return;
    }
    if (r.backup) {
      r.tree = this.bck;
      this.totWbck += r.nextEw;
      this.srvBck++;
      this.gainedBackup(r);
    } else {
      r.tree = this.act;
      this.totWact += r.nextEw;
      this.srvAct++;
    }
    this.queue(r, r.nextEw);
    this.updateBackendWeight();
  }
}

register({ name: 'leastconn', create: (c) => new FwlcLb(c.servers, c.options) });
