/**
 * The little of HAProxy's eb32 trees the balancers rely on: nodes ordered by
 * an unsigned 32-bit key, equal keys kept in insertion order (a node inserted
 * later goes after the ones already there). Sorted array underneath: the sets
 * are small (servers) or change rarely (consistent-hash rings).
 */

export class EbNode<T> {
  key = 0;
  /** insertion order among equal keys */
  seq = 0;
  /** the tree holding the node, if any */
  tree: EbTree<T> | null = null;
  constructor(readonly item: T) {}
}

let seqCounter = 0;

export class EbTree<T> {
  readonly nodes: EbNode<T>[] = [];

  get size(): number {
    return this.nodes.length;
  }

  /** inserts `n` with key `key` after every node of equal key */
  insert(n: EbNode<T>, key: number): void {
    if (n.tree) n.tree.delete(n);
    n.key = key >>> 0;
    n.seq = ++seqCounter;
    const a = this.nodes;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid].key <= n.key) lo = mid + 1;
      else hi = mid;
    }
    a.splice(lo, 0, n);
    n.tree = this;
  }

  /**
   * Inserts `list` (keys already set) as if one by one in that order: equal
   * keys keep that order, after the nodes already there. One merge instead
   * of a splice per node, for the consistent-hash rings.
   */
  insertMany(list: EbNode<T>[]): void {
    if (!list.length) return;
    for (const n of list) {
      if (n.tree) n.tree.delete(n);
      n.key >>>= 0;
      n.seq = ++seqCounter;
      n.tree = this;
    }
    const add = [...list].sort((a, b) => a.key - b.key || a.seq - b.seq);
    const old = this.nodes;
    const out: EbNode<T>[] = new Array(old.length + add.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < add.length) out[k++] = old[i].key <= add[j].key ? old[i++] : add[j++];
    while (i < old.length) out[k++] = old[i++];
    while (j < add.length) out[k++] = add[j++];
    old.length = 0;
    for (const n of out) old.push(n);
  }

  /** removes every node of `set` (which must be in this tree) */
  deleteMany(set: Set<EbNode<T>>): void {
    if (!set.size) return;
    const kept = this.nodes.filter((n) => !set.has(n));
    for (const n of set) if (n.tree === this) n.tree = null;
    this.nodes.length = 0;
    for (const n of kept) this.nodes.push(n);
  }

  /** index of `n`, which must be in this tree */
  indexOf(n: EbNode<T>): number {
    const a = this.nodes;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = a[mid];
      if (m.key < n.key || (m.key === n.key && m.seq < n.seq)) lo = mid + 1;
      else hi = mid;
    }
    return a[lo] === n ? lo : a.indexOf(n);
  }

  delete(n: EbNode<T>): void {
    if (n.tree !== this) return;
    const i = this.indexOf(n);
    if (i >= 0) this.nodes.splice(i, 1);
    n.tree = null;
  }

  first(): EbNode<T> | null {
    return this.nodes[0] ?? null;
  }

  last(): EbNode<T> | null {
    return this.nodes[this.nodes.length - 1] ?? null;
  }

  next(n: EbNode<T>): EbNode<T> | null {
    return this.nodes[this.indexOf(n) + 1] ?? null;
  }

  prev(n: EbNode<T>): EbNode<T> | null {
    const i = this.indexOf(n);
    return i > 0 ? this.nodes[i - 1] : null;
  }

  /** index of the first node whose key is >= `key` (nodes.length when none) */
  lowerBound(key: number): number {
    const k = key >>> 0;
    const a = this.nodes;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid].key < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
