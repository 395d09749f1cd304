/**
 * A stick table: entries by key, each with the data types the table
 * stores, an expiration date and a reference count (the streams tracking
 * it). As in HAProxy 2.6:
 *  - every update "touches" the entry: its expiration moves to now +
 *    `expire` (entries of a table without `expire` never expire by time);
 *  - expired entries are removed by a timer, unless referenced: a
 *    referenced entry goes when its last tracker leaves, if expired then;
 *  - a full table makes room by removing its oldest entries (earliest
 *    expiration, i.e. least recently touched), (size / 256) + 1 at a time,
 *    skipping referenced ones and giving up after looking at twice that
 *    many; with `nopurge` a full table refuses new entries.
 * The Map's insertion order is kept equal to expiration order by moving an
 * entry to the end whenever it is touched.
 */
import { Sample, T, cast, ipv4ToStr, ipv6ToStr, parseIPv6, setAddr } from '../../acl/types.js';
import { DATA_TYPES, DT, type KeyType, type TableConf } from './conf.js';
import { FreqCtr, freqAdd, freqRead } from './freq.js';

/**
 * The stick-table clock, in ms. Like HAProxy's now_ms, it stays the same
 * while one event is handled (it is read once, then again after the
 * current task), so what one request does happens at one date.
 */
let clock = 0;
let clockSet = false;
const clockReset = (): void => {
  clockSet = false;
};
export function nowMs(): number {
  if (!clockSet) {
    clock = Date.now();
    clockSet = true;
    queueMicrotask(clockReset);
  }
  return clock;
}

export class Entry {
  ref = 0;
  expire = 0;
  /** the expiration queue: the date it was queued with, and its neighbours */
  qkey = 0;
  queued = false;
  prev: Entry | null = null;
  next: Entry | null = null;
  /** data slots: numbers, FreqCtr for rates, the server name (server_key) */
  readonly d: (number | FreqCtr | string | null)[];
  constructor(
    readonly key: string,
    d: (number | FreqCtr | string | null)[],
  ) {
    this.d = d;
  }
}

export class StickTable {
  readonly entries = new Map<string, Entry>();
  /** first data slot of each data type, -1 when not stored */
  readonly slot = new Int16Array(DT.COUNT).fill(-1);
  /** elements of each data type (arrays) */
  readonly nb = new Uint8Array(DT.COUNT);
  /** period of each rate (ms) */
  readonly period = new Uint32Array(DT.COUNT);
  private nslots = 0;
  private template: (number | FreqCtr | string | null)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  /** entries counted against `size`: those in the table and new ones not stored yet */
  current = 0;
  /** stores data types that count bytes (the tcp streams flush them periodically) */
  readonly bytes: boolean;

  constructor(
    readonly name: string,
    readonly conf: TableConf,
  ) {
    for (let t = 0; t < DT.COUNT; t++) {
      const st = conf.store.get(t);
      if (!st) continue;
      this.slot[t] = this.nslots;
      this.nb[t] = st.nb;
      this.period[t] = st.period;
      for (let k = 0; k < st.nb; k++) this.template.push(DATA_TYPES[t].std === 'dict' ? null : 0);
      this.nslots += st.nb;
    }
    this.bytes = this.has(DT.BYTES_IN_CNT) || this.has(DT.BYTES_IN_RATE) || this.has(DT.BYTES_OUT_CNT) || this.has(DT.BYTES_OUT_RATE);
  }

  get type(): KeyType {
    return this.conf.type;
  }
  get size(): number {
    return this.conf.size;
  }
  get used(): number {
    return this.current;
  }

  has(t: number): boolean {
    return this.slot[t] >= 0;
  }

  /** the slot of element `idx` of data type `t`, or -1 when not stored */
  at(t: number, idx = 0): number {
    const s = this.slot[t];
    return s < 0 || idx < 0 || idx >= this.nb[t] ? -1 : s + idx;
  }

  /* ---- keys ------------------------------------------------------------------ */

  /**
   * The key of this table for a sample (HAProxy's smp_to_stkey): the sample
   * is cast to the table's type; undefined when it cannot be.
   */
  keyOf(smp: Sample): string | undefined {
    switch (this.conf.type) {
      case 'ip':
        return cast(smp, T.IPV4) ? ipv4ToStr(smp.v) : undefined;
      case 'ipv6':
        return cast(smp, T.IPV6) ? ipv6ToStr(smp.v) : undefined;
      case 'integer': {
        if (!cast(smp, T.SINT)) return undefined;
        const v = smp.v;
        // a 32-bit unsigned key
        return String(typeof v === 'bigint' ? Number(BigInt.asUintN(32, v)) : Number(BigInt.asUintN(32, BigInt(Math.trunc(v)))));
      }
      case 'string': {
        if (!cast(smp, T.STR)) return undefined;
        let s = smp.v as string;
        if (s.length > this.conf.keyLen) s = s.slice(0, this.conf.keyLen);
        // stored as a C string
        const z = s.indexOf('\0');
        return z >= 0 ? s.slice(0, z) : s;
      }
      case 'binary': {
        if (!cast(smp, T.BIN)) return undefined;
        const b = smp.v as Buffer;
        const n = this.conf.keyLen;
        const out = Buffer.alloc(n);
        b.copy(out, 0, 0, Math.min(n, b.length));
        return out.toString('latin1');
      }
    }
  }

  /** The key of a client address ('127.0.0.1', '::1'...) */
  keyOfAddr(addr: string): string | undefined {
    const smp = new Sample();
    if (!setAddr(smp, addr)) return undefined;
    return this.keyOf(smp);
  }

  /** A key typed as text (CLI) for ipv6, integer and string tables; undefined when invalid. */
  keyOfText(k: string): string | undefined {
    switch (this.conf.type) {
      case 'ipv6': {
        const b = parseIPv6(k);
        return b ? ipv6ToStr(b) : undefined;
      }
      case 'integer': {
        if (!/^\s*\+?\d+/.test(k)) return undefined;
        const v = Number(/\d+/.exec(k)![0]);
        return v > 0xffffffff ? undefined : String(v);
      }
      case 'string':
        return k.length > this.conf.keyLen ? k.slice(0, this.conf.keyLen) : k;
      default:
        return undefined;
    }
  }

  /* ---- entries ----------------------------------------------------------------- */

  lookup(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** The entry of `key`, created when absent; undefined when the table cannot take it (stktable_get_entry). */
  get(key: string, now = nowMs()): Entry | undefined {
    const e = this.entries.get(key);
    if (e) return e;
    const n = this.newEntry(key, now);
    if (n) this.store(n);
    return n;
  }

  /**
   * A new entry not in the table yet (stksess_new): it counts in `used`
   * already; a full table first removes its oldest entries (or refuses).
   */
  newEntry(key: string, now = nowMs()): Entry | undefined {
    if (this.current >= this.conf.size) {
      if (this.conf.nopurge) return undefined;
      if (!this.trashOldest((this.conf.size >> 8) + 1, now)) return undefined;
    }
    const d = this.template.slice();
    for (let t = 0; t < DT.COUNT; t++) {
      if (this.slot[t] < 0 || DATA_TYPES[t].std !== 'frqp') continue;
      for (let k = 0; k < this.nb[t]; k++) d[this.slot[t] + k] = new FreqCtr();
    }
    const e = new Entry(key, d);
    e.expire = now + this.conf.expire;
    this.current++;
    return e;
  }

  /** Puts a new entry in the table and in the expiration queue (__stktable_store). */
  store(e: Entry): void {
    this.entries.set(e.key, e);
    this.queue(e, e.expire);
    this.wake(e.expire);
  }

  /** Stores `e` unless its key is there: returns the entry in the table (the caller frees `e` if it differs). */
  setEntry(e: Entry): Entry {
    const old = this.entries.get(e.key);
    if (old) return old;
    this.store(e);
    return e;
  }

  /** An entry that never made it into the table goes (stksess_free). */
  free(_e: Entry): void {
    if (this.current > 0) this.current--;
  }

  /** Refreshes the expiration of `e` (stktable_touch_local); the queue is fixed lazily. */
  touch(e: Entry, now = nowMs()): void {
    e.expire = now + this.conf.expire;
    this.wake(e.expire);
  }

  /** The entry leaves a tracker (stksess_kill_if_expired): it goes when expired and nobody else holds it. */
  release(e: Entry, now = nowMs()): void {
    if (e.ref > 0) e.ref--;
    if (this.conf.expire && e.expire <= now) this.kill(e);
  }

  /** Removes an entry unless referenced (__stksess_kill); false when it is in use. */
  kill(e: Entry): boolean {
    if (e.ref) return false;
    if (this.entries.get(e.key) !== e) return true;
    this.entries.delete(e.key);
    this.unqueue(e);
    if (this.current > 0) this.current--;
    return true;
  }

  /** CLI "clear table": same as kill */
  remove(e: Entry): boolean {
    return this.kill(e);
  }

  /* ---- the expiration queue ----------------------------------------------------------
   * HAProxy keeps entries in a tree ordered by the expiration date they had
   * when queued; touching an entry only changes its date, and the passes
   * below re-queue an entry whose date moved when they meet it. A linked
   * list sorted by that date (equal dates in queue order) behaves the same.
   */

  private head: Entry | null = null;
  private tail: Entry | null = null;

  private queue(e: Entry, key: number): void {
    e.qkey = key;
    e.queued = true;
    // new dates are almost always the latest: search from the tail
    let after = this.tail;
    while (after && after.qkey > key) after = after.prev;
    e.prev = after;
    e.next = after ? after.next : this.head;
    if (e.next) e.next.prev = e;
    else this.tail = e;
    if (after) after.next = e;
    else this.head = e;
  }

  private unqueue(e: Entry): void {
    if (!e.queued) return;
    e.queued = false;
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = null;
  }

  /**
   * Removes up to `batch` of the oldest entries to make room
   * (__stktable_trash_oldest): referenced ones are skipped, moved ones
   * re-queued, and the search stops after 2 x `batch` entries looked at.
   */
  private trashOldest(batch: number, _now: number): number {
    let search = batch * 2;
    let done = 0;
    let e = this.head;
    while (done < batch && e) {
      if (--search < 0) break;
      let next = e.next;
      if (e.ref) {
        e = next;
        continue;
      }
      this.unqueue(e);
      if (e.expire !== e.qkey) {
        this.queue(e, e.expire);
        // the walk goes on from the earliest of what is left
        if (!next || next.qkey > e.qkey) next = e;
        e = next;
        continue;
      }
      this.entries.delete(e.key);
      if (this.current > 0) this.current--;
      done++;
      e = next;
    }
    return done;
  }

  /** the expiration task is due at `at` at the latest (HAProxy: tick_first(expire, exp_next)) */
  private wake(at: number): void {
    if (!this.conf.expire) return;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.expireNow, Math.max(0, at - nowMs()));
    this.timer.unref?.();
  }

  /** process_table_expire: expired entries go, moved ones are re-queued, up to the first one due later */
  private readonly expireNow = (): void => {
    this.timer = null;
    const now = nowMs();
    let e = this.head;
    while (e) {
      if (now < e.qkey) {
        this.wake(e.qkey);
        return;
      }
      let next = e.next;
      if (e.ref) {
        e = next;
        continue;
      }
      this.unqueue(e);
      if (now < e.expire) {
        this.queue(e, e.expire);
        if (!next || next.qkey > e.qkey) next = e;
        e = next;
        continue;
      }
      this.entries.delete(e.key);
      if (this.current > 0) this.current--;
      e = next;
    }
  };

  /** Stops the expiration timer (runtime stop). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /* ---- counters ----------------------------------------------------------------------- */

  /** adds `n` to an unsigned 32-bit counter; true when stored */
  inc(e: Entry, t: number, n = 1, idx = 0): boolean {
    const s = this.at(t, idx);
    if (s < 0) return false;
    const v = e.d[s] as number;
    e.d[s] = DATA_TYPES[t].std === 'ull' ? v + n : (v + n) >>> 0;
    return true;
  }

  /** adds `n` events to a rate; true when stored */
  rate(e: Entry, t: number, n = 1, now = nowMs(), idx = 0): boolean {
    const s = this.at(t, idx);
    if (s < 0) return false;
    freqAdd(e.d[s] as FreqCtr, this.period[t], n, now);
    return true;
  }

  /** a stored value as fetches read it (rates over their period), undefined when not stored */
  read(e: Entry, t: number, idx = 0, now = nowMs()): number | undefined {
    const s = this.at(t, idx);
    if (s < 0) return undefined;
    const v = e.d[s];
    if (v instanceof FreqCtr) return freqRead(v, this.period[t], now);
    return typeof v === 'number' ? v : 0;
  }

  /* ---- show table ----------------------------------------------------------------------- */

  /** HAProxy's `show table <name>` header line */
  header(): string {
    return `# table: ${this.name}, type: ${this.conf.type}, size:${this.conf.size}, used:${this.current}\n`;
  }

  /** One entry as `show table` prints it, without the leading pointer ("key=... use=0 exp=... ...") */
  dumpEntry(e: Entry, now = nowMs()): string {
    let out = `key=${this.keyText(e.key)} use=${e.ref} exp=${Math.max(0, e.expire - now)}`;
    for (let t = 0; t < DT.COUNT; t++) {
      if (this.slot[t] < 0) continue;
      const def = DATA_TYPES[t];
      if (def.array) {
        const us = def.name.indexOf('_');
        const pfx = us < 0 ? def.name : def.name.slice(0, us);
        const sfx = us < 0 ? '' : def.name.slice(us);
        for (let k = 0; k < this.nb[t]; k++) {
          out += def.delay ? ` ${pfx}${k}${sfx}(${this.period[t]})=` : ` ${pfx}${k}${sfx}=`;
          out += String(this.read(e, t, k, now));
        }
        continue;
      }
      out += def.delay ? ` ${def.name}(${this.period[t]})=` : ` ${def.name}=`;
      if (def.std === 'dict') out += (e.d[this.slot[t]] as string | null) ?? '-';
      else out += String(this.read(e, t, 0, now));
    }
    return out;
  }

  /** the whole `show table` output, entries as "0x0: key=..." */
  dump(now = nowMs()): string {
    let s = this.header();
    for (const e of this.sorted()) s += `0x0: ${this.dumpEntry(e, now)}\n`;
    return s;
  }

  /** the entries in HAProxy's key tree order (key bytes as stored; integers are stored little-endian) */
  sorted(): Entry[] {
    const list = [...this.entries.values()];
    const bytes = (k: string): Buffer => {
      switch (this.conf.type) {
        case 'ip':
          return Buffer.from(k.split('.').map(Number));
        case 'ipv6':
          return parseIPv6(k) ?? Buffer.alloc(16);
        case 'integer': {
          const b = Buffer.alloc(4);
          b.writeUInt32LE(Number(k));
          return b;
        }
        default:
          return Buffer.from(k, 'latin1');
      }
    };
    const keyed = list.map((e) => ({ e, b: bytes(e.key) }));
    keyed.sort((x, y) => Buffer.compare(x.b, y.b));
    return keyed.map((x) => x.e);
  }

  private keyText(k: string): string {
    if (this.conf.type === 'binary') return Buffer.from(k, 'latin1').toString('hex').toUpperCase();
    if (this.conf.type === 'string') {
      // non-printable characters as HAProxy's dump_text escapes them
      return k.replace(/[^\x21-\x7e]/g, (c) => (c === ' ' ? '\\ ' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
    }
    return k;
  }
}
