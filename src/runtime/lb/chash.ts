/**
 * HAProxy's consistent hashing (lb_chash.c), used by the hash algorithms with
 * `hash-type consistent` and by `balance random`. A server of effective
 * weight w (in 1/16 units) owns w points on a 32-bit ring, point j at
 * full_hash(id * 4096 + j). A key goes to the nearest point, before or after.
 */
import type { LbRequest, LbServer } from '../api.js';
import { LbBase, Rec, SRV_EWGHT_MAX, BE_WEIGHT_SCALE, type LbOptions } from './base.js';
import { EbNode, EbTree } from './ebtree.js';
import { fullHash } from './hash.js';

class ChashRec extends Rec {
  nodes: EbNode<ChashRec>[] = [];
  /** lb_nodes_tot: points allocated (the configured weight at start) */
  nodesTot = 0;
  /** lb_nodes_now: points on the ring */
  nodesNow = 0;
  tree!: EbTree<ChashRec>;
}

export class ChashLb extends LbBase<ChashRec> {
  private readonly act = new EbTree<ChashRec>();
  private readonly bck = new EbTree<ChashRec>();
  /** the point round robin continues from (chash.last) */
  private last: EbNode<ChashRec> | null = null;

  constructor(servers: readonly LbServer[], opts: LbOptions) {
    super(servers, opts, (s, i) => new ChashRec(s, i));
    this.wdiv = BE_WEIGHT_SCALE;
    this.initCommit();
    this.recount();
    this.updateBackendWeight();
    for (const r of this.recs) {
      r.tree = r.backup ? this.bck : this.act;
      this.allocNodes(r, r.s.weight * BE_WEIGHT_SCALE);
      if (r.usable) this.queueDequeue(r);
    }
  }

  private allocNodes(r: ChashRec, count: number): void {
    for (let j = r.nodes.length; j < count; j++) {
      const n = new EbNode<ChashRec>(r);
      n.key = fullHash((Math.imul(r.s.id, SRV_EWGHT_MAX) + j) | 0);
      r.nodes.push(n);
    }
    r.nodesTot = count;
  }

  /**
   * Takes the server's last points off the ring until `keep` remain. HAProxy
   * removes them one at a time, moving the round-robin cursor past each
   * removed point: it ends on the first point after it that stays.
   */
  private removeDownTo(r: ChashRec, keep: number): void {
    if (r.nodesNow <= keep) return;
    const gone = new Set(r.nodes.slice(keep, r.nodesNow));
    if (this.last && gone.has(this.last)) {
      const tree = this.last.tree!;
      const a = tree.nodes;
      const at = tree.indexOf(this.last);
      let next: EbNode<ChashRec> | null = null;
      for (let k = 1; k < a.length; k++) {
        const n = a[(at + k) % a.length];
        if (!gone.has(n)) {
          next = n;
          break;
        }
      }
      this.last = next;
    }
    r.tree.deleteMany(gone);
    r.nodesNow = keep;
  }

  private dequeueAll(r: ChashRec): void {
    this.removeDownTo(r, 0);
  }

  /** chash_queue_dequeue_srv: make the ring hold exactly next_eweight points */
  private queueDequeue(r: ChashRec): void {
    this.removeDownTo(r, r.nextEw);
    if (r.nodesTot < r.nextEw) {
      // HAProxy reallocates its node array: all points leave and come back
      this.dequeueAll(r);
      this.allocNodes(r, r.nextEw);
    }
    if (r.nodesNow < r.nextEw) {
      r.tree.insertMany(r.nodes.slice(r.nodesNow, r.nextEw));
      r.nodesNow = r.nextEw;
    }
  }

  protected override serverChanged(r: ChashRec): void {
    const was = r.usable;
    const will = r.willBeUsable;
    if (!was && !will) return;
    if (!was && will) return this.statusUp(r);
    if (was && !will) return this.statusDown(r);
    this.queueDequeue(r);
    if (r.backup) this.totWbck += r.nextEw - r.curEw;
    else this.totWact += r.nextEw - r.curEw;
    this.updateBackendWeight();
  }

  protected statusDown(r: ChashRec): void {
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
    this.dequeueAll(r);
    this.updateBackendWeight();
  }

  protected statusUp(r: ChashRec): void {
    if (!r.willBeUsable) return;
    if (r.usable) {
      this.updateBackendWeight();
      return;
    }
    if (r.backup) {
      this.totWbck += r.nextEw;
      this.srvBck++;
      this.gainedBackup(r);
    } else {
      this.totWact += r.nextEw;
      this.srvAct++;
    }
    this.queueDequeue(r);
    this.updateBackendWeight();
  }

  /** consistent hashing with bounded loads (hash-balance-factor) */
  private eligible(r: ChashRec): boolean {
    const factor = this.opts.hashBalanceFactor ?? 0;
    const tot = this.totWeight;
    if (!tot) return true;
    const totSlots = Math.floor(((this.backendServed() + 1) * factor + 99) / 100);
    const perWeight = Math.floor(totSlots / tot);
    const remainder = totSlots % tot;
    const cum = this.cumulative.get(r) ?? 0;
    let slots = r.curEw * perWeight;
    slots += Math.floor(((cum + r.curEw) * remainder) / tot) - Math.floor((cum * remainder) / tot);
    if (slots === 0) slots = 1;
    return r.served < slots;
  }

  /** chash_get_server_hash: the server owning the ring point nearest to `hash` */
  pickHash(hash: number, avoid?: LbServer): LbServer | null {
    let tree: EbTree<ChashRec>;
    if (this.srvAct) tree = this.act;
    else if (this.fbck) return this.fbck.s;
    else if (this.srvBck) tree = this.bck;
    else return null;
    const a = tree.nodes;
    if (!a.length) return null;
    const h = hash >>> 0;
    let ni = tree.lowerBound(h);
    if (ni >= a.length) ni = 0;
    const pi = ni > 0 ? ni - 1 : a.length - 1;
    const dp = (h - a[pi].key) >>> 0;
    const dn = (a[ni].key - h) >>> 0;
    let i = dp <= dn ? pi : ni;
    let r = a[i].item;
    let loop = 0;
    const factor = this.opts.hashBalanceFactor ?? 0;
    while (r.s === avoid || (factor && !this.eligible(r))) {
      i++;
      if (i >= a.length) {
        i = 0;
        if (++loop > 1) break;
      }
      r = a[i].item;
    }
    return r.s;
  }

  /** chash_get_next_server: round robin along the ring (missing hash key) */
  pickNext(avoid?: LbServer): LbServer | null {
    let tree: EbTree<ChashRec>;
    if (this.srvAct) tree = this.act;
    else if (this.fbck) return this.fbck.s;
    else if (this.srvBck) tree = this.bck;
    else return null;
    let node = this.last;
    let stop = node;
    let avoided: ChashRec | null = null;
    let avoidedNode: EbNode<ChashRec> | null = null;
    do {
      // like eb32_next, this walks the tree the point is in, even the other group's
      if (node) node = node.tree ? node.tree.next(node) : null;
      if (!node) node = tree.first();
      this.last = node;
      if (!node) return null;
      if (!stop) stop = node;
      const r = node.item;
      if (!r.saturated) {
        if (r.s !== avoid) return r.s;
        avoided = r;
        avoidedNode = node;
      }
    } while (node !== stop);
    this.last = avoidedNode;
    return avoided ? avoided.s : null;
  }

  pickFallback(avoid?: LbServer): LbServer | null {
    return this.pickNext(avoid);
  }

  pick(_req: LbRequest, avoid?: LbServer): LbServer | null {
    return this.pickNext(avoid);
  }
}
