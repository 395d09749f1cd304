/**
 * `balance roundrobin`: HAProxy's fast weighted round robin (lb_fwrr.c).
 *
 * Each group (active, backup) has three trees: "curr" holds the servers of
 * the current window sorted by their next position, "init" the servers not
 * yet placed in this window (sorted by decreasing weight) and "next" the ones
 * pushed to the next window. A server of weight w advances its position by
 * total/w each time it is picked; the first free slot wins. This is why
 * weights 1 and 3 give s2,s2,s2,s1 rather than an interleave.
 */
import type { LbRequest, LbServer } from '../api.js';
import { LbBase, Rec, SRV_EWGHT_MAX, SRV_UWGHT_RANGE, BE_WEIGHT_SCALE, type LbOptions } from './base.js';
import { EbNode, EbTree } from './ebtree.js';
import { register } from './registry.js';

class FwrrRec extends Rec {
  readonly node = new EbNode<FwrrRec>(this);
  /** lb_tree: the tree the server belongs to (kept while dequeued) */
  tree: EbTree<FwrrRec> | null = null;
  npos = 0;
  lpos = 0;
  rweight = 0;
}

class Group {
  readonly curr = new EbTree<FwrrRec>();
  readonly t0 = new EbTree<FwrrRec>();
  readonly t1 = new EbTree<FwrrRec>();
  init = this.t0;
  next = this.t1;
  currPos = 0;
  currWeight = 0;
  nextWeight = 0;
}

export class FwrrLb extends LbBase<FwrrRec> {
  private readonly act = new Group();
  private readonly bck = new Group();

  constructor(servers: readonly LbServer[], opts: LbOptions) {
    super(servers, opts, (s, i) => new FwrrRec(s, i));
    this.wdiv = BE_WEIGHT_SCALE;
    this.initCommit();
    this.recount();
    this.updateBackendWeight();
    for (const [g, tot] of [[this.act, this.totWact], [this.bck, this.totWbck]] as const) {
      g.currPos = g.currWeight = g.nextWeight = tot;
    }
    for (const r of this.recs) {
      if (!r.usable) continue;
      const g = this.grp(r);
      this.queueByWeight(g.init, r);
    }
  }

  private grp(r: FwrrRec): Group {
    return r.backup ? this.bck : this.act;
  }

  private queueByWeight(root: EbTree<FwrrRec>, r: FwrrRec): void {
    root.insert(r.node, SRV_EWGHT_MAX - r.nextEw);
    r.tree = root;
  }

  private dequeue(r: FwrrRec): void {
    r.node.tree?.delete(r.node);
  }

  /** fwrr_queue_srv: place the server by its next position */
  private queueSrv(r: FwrrRec): void {
    const g = this.grp(r);
    if (!r.willBeUsable) {
      r.tree = null;
    } else if (r.nextEw <= 0 || r.npos >= 2 * g.currWeight || r.npos >= g.currWeight + g.nextWeight) {
      // does not fit in this window: next one
      r.npos -= g.currWeight;
      this.queueByWeight(g.next, r);
    } else {
      const key = SRV_UWGHT_RANGE * r.npos + Math.floor(((SRV_EWGHT_MAX + r.rweight - r.nextEw) >>> 0) / BE_WEIGHT_SCALE);
      g.curr.insert(r.node, key);
      r.tree = g.curr;
    }
  }

  /** fwrr_get_srv: adjust npos when taking a server out of its tree */
  private getSrv(r: FwrrRec): void {
    const g = this.grp(r);
    if (r.tree === g.init) {
      r.npos = r.rweight = 0;
    } else if (r.tree === g.next) {
      r.npos += g.currWeight;
    } else if (r.tree === null) {
      r.npos = g.currPos;
    }
  }

  private switchTrees(g: Group): void {
    const swap = g.init;
    g.init = g.next;
    g.next = swap;
    g.currWeight = g.nextWeight;
    g.currPos = g.currWeight;
  }

  private fromGroup(g: Group): FwrrRec | null {
    const n1 = g.curr.first();
    let s1: FwrrRec | null = null;
    if (n1) {
      s1 = n1.item;
      if (s1.curEw && s1.npos <= g.currPos) return s1;
    }
    // no server left in this window, or a hole: try the init tree
    const n2 = g.init.first();
    if (n2) {
      const s2 = n2.item;
      if (s2.curEw) {
        s2.npos = s2.rweight = 0;
        return s2;
      }
    }
    return s1;
  }

  private updatePosition(g: Group, r: FwrrRec): void {
    const ew = r.curEw;
    if (!ew) return;
    if (!r.npos) r.npos = g.currPos;
    r.lpos = r.npos;
    r.npos += Math.floor(g.nextWeight / ew);
    r.rweight += g.nextWeight % ew;
    if (r.rweight >= ew) {
      r.rweight -= ew;
      r.npos++;
    }
  }

  pick(_req: LbRequest, avoid?: LbServer): LbServer | null {
    let g: Group;
    if (this.srvAct) g = this.act;
    else if (this.fbck) return this.fbck.s;
    else if (this.srvBck) g = this.bck;
    else return null;

    let switched = false;
    let avoided: FwrrRec | null = null;
    const full: FwrrRec[] = [];
    let srv: FwrrRec | null = null;
    let take = false;
    outer: for (;;) {
      if (!g.currWeight) g.currPos = g.currWeight = g.nextWeight;
      for (;;) {
        srv = this.fromGroup(g);
        if (srv) break;
        if (switched) {
          if (avoided) {
            srv = avoided;
            take = true;
          }
          break outer;
        }
        switched = true;
        this.switchTrees(g);
      }
      // saturated servers are moved on anyway and put back afterwards
      this.updatePosition(g, srv);
      this.dequeue(srv);
      g.currPos++;
      if (!srv.saturated) {
        if (srv.s !== avoid || avoided) {
          take = true;
          break;
        }
        avoided = srv;
      }
      full.push(srv);
    }
    if (take && srv) this.queueSrv(srv);
    else srv = null;
    // requeue the skipped servers, most recently extracted first
    for (let i = full.length - 1; i >= 0; i--) {
      const f = full[i];
      if (f === srv) continue;
      if (switched) this.queueByWeight(g.init, f);
      else this.queueSrv(f);
    }
    return srv ? srv.s : null;
  }

  protected override serverChanged(r: FwrrRec): void {
    this.updateWeight(r);
  }

  protected statusDown(r: FwrrRec): void {
    if (r.willBeUsable) return;
    if (!r.usable) {
      this.updateBackendWeight();
      return;
    }
    const g = this.grp(r);
    g.nextWeight -= r.curEw;
    if (r.backup) {
      this.totWbck = this.bck.nextWeight;
      this.srvBck--;
      this.lostBackup(r);
    } else {
      this.totWact = this.act.nextWeight;
      this.srvAct--;
    }
    this.dequeue(r);
    r.tree = null;
    this.updateBackendWeight();
  }

  protected statusUp(r: FwrrRec): void {
    if (!r.willBeUsable) return;
    if (r.usable) {
      this.updateBackendWeight();
      return;
    }
    const g = this.grp(r);
    g.nextWeight += r.nextEw;
    if (r.backup) {
      this.totWbck = this.bck.nextWeight;
      this.srvBck++;
      this.gainedBackup(r);
    } else {
      this.totWact = this.act.nextWeight;
      this.srvAct++;
    }
    this.getSrv(r);
    r.npos = g.currPos + Math.trunc((g.nextWeight + g.currWeight - g.currPos) / r.nextEw);
    this.queueSrv(r);
    this.updateBackendWeight();
  }

  private updateWeight(r: FwrrRec): void {
    const was = r.usable;
    const will = r.willBeUsable;
    if (!was && !will) return;
    if (!was && will) return this.statusUp(r);
    if (was && !will) return this.statusDown(r);
    const g = this.grp(r);
    g.nextWeight = g.nextWeight - r.curEw + r.nextEw;
    this.totWact = this.act.nextWeight;
    this.totWbck = this.bck.nextWeight;
    if (r.tree === g.init) {
      this.dequeue(r);
      this.queueByWeight(g.init, r);
    } else if (!r.tree) {
      this.dequeue(r);
      this.getSrv(r);
      r.npos = g.currPos + Math.trunc((g.nextWeight + g.currWeight - g.currPos) / r.nextEw);
      this.queueSrv(r);
    } else {
      // still in the current or next window: keep its place if it can
      this.getSrv(r);
      if (r.nextEw > 0) {
        const prevNext = r.npos;
        const step = Math.floor(g.nextWeight / r.nextEw);
        r.npos = r.lpos + step;
        r.rweight = 0;
        if (r.npos > prevNext) r.npos = prevNext;
        if (r.npos < g.currPos + 2) r.npos = g.currPos + step;
      } else {
        r.npos = g.currPos + g.currWeight;
      }
      this.dequeue(r);
      this.queueSrv(r);
    }
    this.updateBackendWeight();
  }
}

register({ name: 'roundrobin', create: (c) => new FwrrLb(c.servers, c.options) });
