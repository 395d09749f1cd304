/**
 * `balance first`: the first server, by id, with a free connection slot
 * (lb_fas.c). Weights only decide whether a server is usable.
 */
import type { LbRequest, LbServer } from '../api.js';
import { LbBase, Rec, BE_WEIGHT_SCALE, type LbOptions } from './base.js';
import { EbNode, EbTree } from './ebtree.js';
import { register } from './registry.js';

class FasRec extends Rec {
  readonly node = new EbNode<FasRec>(this);
  tree: EbTree<FasRec> | null = null;
}

export class FasLb extends LbBase<FasRec> {
  private readonly act = new EbTree<FasRec>();
  private readonly bck = new EbTree<FasRec>();

  constructor(servers: readonly LbServer[], opts: LbOptions) {
    super(servers, opts, (s, i) => new FasRec(s, i));
    this.wdiv = BE_WEIGHT_SCALE;
    this.initCommit();
    this.recount();
    this.updateBackendWeight();
    for (const r of this.recs) {
      if (!r.usable) continue;
      r.tree = r.backup ? this.bck : this.act;
      r.tree.insert(r.node, r.s.id);
    }
  }

  private reposition(s: LbServer): void {
    const r = this.rec(s);
    if (!r || !r.tree) return;
    r.tree.insert(r.node, r.s.id);
  }

  taken(s: LbServer): void {
    this.reposition(s);
  }

  released(s: LbServer): void {
    this.reposition(s);
  }

  pick(_req: LbRequest, avoid?: LbServer): LbServer | null {
    let tree: EbTree<FasRec>;
    if (this.srvAct) tree = this.act;
    else if (this.fbck) return this.fbck.s;
    else if (this.srvBck) tree = this.bck;
    else return null;
    let avoided: FasRec | null = null;
    for (const n of tree.nodes) {
      const r = n.item;
      if (!r.saturated) {
        if (r.s !== avoid) return r.s;
        avoided = r;
      }
    }
    return avoided ? avoided.s : null;
  }

  protected override serverChanged(r: FasRec): void {
    const was = r.usable;
    const will = r.willBeUsable;
    if (!was && !will) return;
    if (!was && will) return this.statusUp(r);
    if (was && !will) return this.statusDown(r);
    if (r.backup) {
      this.totWbck += r.nextEw - r.curEw;
      r.tree = this.bck;
    } else {
      this.totWact += r.nextEw - r.curEw;
      r.tree = this.act;
    }
    r.tree.insert(r.node, r.s.id);
    this.updateBackendWeight();
  }

  protected statusDown(r: FasRec): void {
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

  protected statusUp(r: FasRec): void {
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
    r.tree.insert(r.node, r.s.id);
    this.updateBackendWeight();
  }
}

register({ name: 'first', create: (c) => new FasLb(c.servers, c.options) });
