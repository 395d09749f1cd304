/**
 * What the sample fetches and converters read (acl/context.ts StickView):
 * sc_* / scN_* on the stream's tracked counters, src_* on the client
 * address's entry, table_* converters and in_table on any key. As in
 * HAProxy 2.6 (stick_table.c):
 *  - an untracked counter gives no sample (sc*_tracked gives false);
 *  - an absent entry reads as 0; a data type the table does not store
 *    gives no sample (except the inc_* forms, which then give 0);
 *  - src_inc_*, src_clr_* and src_updt_conn_cnt create the entry;
 *  - with a table argument, sc*_* look the tracked key up in that table.
 */
import type { SampleContext, StickView } from '../../acl/context.js';
import type { Sample } from '../../acl/types.js';
import { DT } from './conf.js';
import type { StickConfig } from './registry.js';
import { FreqCtr, freqAdd } from './freq.js';
import { nowMs, type Entry, type StickTable } from './table.js';
import type { ConnStick } from './track.js';

/** finds the tracked counters of the stream a sample context belongs to */
export type ConnLookup = (ctx: SampleContext) => ConnStick | undefined;

/** data type (and array index) read by a plain counter fetch */
const PLAIN: Record<string, [number, number?]> = {
  conn_cnt: [DT.CONN_CNT],
  conn_cur: [DT.CONN_CUR],
  conn_rate: [DT.CONN_RATE],
  sess_cnt: [DT.SESS_CNT],
  sess_rate: [DT.SESS_RATE],
  http_req_cnt: [DT.HTTP_REQ_CNT],
  http_req_rate: [DT.HTTP_REQ_RATE],
  http_err_cnt: [DT.HTTP_ERR_CNT],
  http_err_rate: [DT.HTTP_ERR_RATE],
  http_fail_cnt: [DT.HTTP_FAIL_CNT],
  http_fail_rate: [DT.HTTP_FAIL_RATE],
  bytes_in_rate: [DT.BYTES_IN_RATE],
  bytes_out_rate: [DT.BYTES_OUT_RATE],
  server_id: [DT.SERVER_ID],
};

export class StickViewImpl implements StickView {
  constructor(
    readonly sc: StickConfig,
    private readonly connOf: ConnLookup,
  ) {}

  tableSize(name: string): { used: number; size: number } | undefined {
    const t = this.sc.tables.get(name);
    return t ? { used: t.used, size: t.size } : undefined;
  }

  fetch(ctx: SampleContext, ctr: number | undefined, name: string, idx: number | undefined, table: string | undefined): number | boolean | undefined {
    const now = nowMs();
    let t: StickTable | undefined;
    let e: Entry | undefined;
    if (ctr === undefined) {
      // src_*: the client address in the table (the current proxy's by default)
      t = table ? this.sc.tables.get(table) : undefined;
      if (!t || !ctx.src) return undefined;
      const key = t.keyOfAddr(ctx.src);
      if (key === undefined) return undefined;
      e = t.lookup(key);
      // these create the client's entry
      if (!e && (name.startsWith('inc_') || name.startsWith('clr_') || name === 'updt_conn_cnt')) e = t.get(key, now);
    } else {
      if (ctr < 0 || ctr > 2) return name === 'tracked' ? false : undefined;
      const slot = this.connOf(ctx)?.slot(ctr);
      if (!slot) return name === 'tracked' ? false : undefined;
      if (name === 'tracked') return true;
      t = slot.t;
      e = slot.e;
      if (table) {
        // the same key, in another table
        t = this.sc.tables.get(table);
        if (!t) return undefined;
        e = t.lookup(slot.e.key);
      }
    }
    return readCounter(t, e, name, idx ?? 0, now);
  }

  conv(_ctx: SampleContext, table: string, key: Sample, name: string, idx?: number, dflt?: number): number | boolean | undefined {
    const t = this.sc.tables.get(table);
    if (!t) return undefined;
    const k = t.keyOf(key);
    if (k === undefined) return undefined;
    const e = t.lookup(k);
    const now = nowMs();
    switch (name) {
      case 'present':
        return e !== undefined;
      case 'expire':
        if (!e) return dflt;
        return Math.max(0, e.expire - now);
      case 'idle': {
        if (!e) return dflt;
        // what is left of the table's expire delay once the entry's remaining time is taken out
        const remain = Math.max(0, e.expire - now);
        return Math.max(0, t.conf.expire - remain);
      }
      case 'trackers':
        // HAProxy counts its own lookup's reference here
        return e ? e.ref + 1 : 0;
    }
    if (!e) return 0;
    return readValue(t, e, name, idx ?? 0, now);
  }
}

/** A counter fetch on `e` of `t` (e absent: the key is not in the table). */
function readCounter(t: StickTable, e: Entry | undefined, name: string, idx: number, now: number): number | undefined {
  switch (name) {
    case 'trackers':
      return e ? e.ref : 0;
    case 'inc_gpc0':
    case 'inc_gpc1':
    case 'inc_gpc':
      return e ? incGpc(t, e, name === 'inc_gpc' ? idx : name === 'inc_gpc0' ? 0 : 1, name !== 'inc_gpc', now) : 0;
    case 'clr_gpc0':
    case 'clr_gpc1':
    case 'clr_gpc': {
      if (!e) return 0;
      const i = name === 'clr_gpc' ? idx : name === 'clr_gpc0' ? 0 : 1;
      const s = name === 'clr_gpc' ? t.at(DT.GPC, i) : legacy(t, i === 0 ? DT.GPC0 : DT.GPC1, DT.GPC, i);
      if (s < 0) return undefined;
      const old = e.d[s] as number;
      e.d[s] = 0;
      t.touch(e, now);
      return old;
    }
    case 'updt_conn_cnt': {
      if (!e) return undefined;
      const s = t.at(DT.CONN_CNT);
      if (s < 0) return undefined;
      const v = ((e.d[s] as number) + 1) >>> 0;
      e.d[s] = v;
      t.touch(e, now);
      return v;
    }
  }
  if (!e) return hasCounter(name) ? 0 : undefined;
  return readValue(t, e, name, idx, now);
}

function hasCounter(name: string): boolean {
  return name in PLAIN || /^(get_gpc[01]?|get_gpt0?|gpc[01]?_rate|gpc_rate|kbytes_(in|out))$/.test(name);
}

/** the slot of a legacy type, else of the array's element (gpc0 falls back on gpc[0]) */
function legacy(t: StickTable, own: number, array: number, i: number): number {
  const s = t.at(own);
  return s >= 0 ? s : t.at(array, i);
}

/** A stored value by fetch/converter name; undefined when the table does not store it. */
function readValue(t: StickTable, e: Entry, name: string, idx: number, now: number): number | undefined {
  const p = PLAIN[name];
  if (p) return t.read(e, p[0], p[1] ?? 0, now);
  switch (name) {
    case 'kbytes_in': {
      const v = t.read(e, DT.BYTES_IN_CNT, 0, now);
      return v === undefined ? undefined : Math.floor(v / 1024);
    }
    case 'kbytes_out': {
      const v = t.read(e, DT.BYTES_OUT_CNT, 0, now);
      return v === undefined ? undefined : Math.floor(v / 1024);
    }
    case 'get_gpc0':
    case 'gpc0':
      return t.has(DT.GPC0) ? t.read(e, DT.GPC0, 0, now) : t.read(e, DT.GPC, 0, now);
    case 'get_gpc1':
    case 'gpc1':
      return t.has(DT.GPC1) ? t.read(e, DT.GPC1, 0, now) : t.read(e, DT.GPC, 1, now);
    case 'get_gpc':
    case 'gpc':
      return t.read(e, DT.GPC, idx, now);
    case 'get_gpt0':
    case 'gpt0':
      return t.has(DT.GPT0) ? t.read(e, DT.GPT0, 0, now) : t.read(e, DT.GPT, 0, now);
    case 'get_gpt':
    case 'gpt':
      return t.read(e, DT.GPT, idx, now);
    case 'gpc0_rate':
      return t.has(DT.GPC0_RATE) ? t.read(e, DT.GPC0_RATE, 0, now) : t.read(e, DT.GPC_RATE, 0, now);
    case 'gpc1_rate':
      return t.has(DT.GPC1_RATE) ? t.read(e, DT.GPC1_RATE, 0, now) : t.read(e, DT.GPC_RATE, 1, now);
    case 'gpc_rate':
      return t.read(e, DT.GPC_RATE, idx, now);
  }
  return undefined;
}

/**
 * Increments a general purpose counter and its rate; returns the new
 * counter, else the rate's current period count, else 0 (nothing stored).
 */
export function incGpc(t: StickTable, e: Entry, i: number, legacyForm: boolean, now: number): number {
  let rs: number;
  let rp = 0;
  let cs: number;
  if (legacyForm) {
    const ownRate = i === 0 ? DT.GPC0_RATE : DT.GPC1_RATE;
    rs = t.at(ownRate);
    if (rs >= 0) rp = t.period[ownRate];
    else {
      rs = t.at(DT.GPC_RATE, i);
      rp = t.period[DT.GPC_RATE];
    }
    cs = legacy(t, i === 0 ? DT.GPC0 : DT.GPC1, DT.GPC, i);
  } else {
    rs = t.at(DT.GPC_RATE, i);
    rp = t.period[DT.GPC_RATE];
    cs = t.at(DT.GPC, i);
  }
  if (rs < 0 && cs < 0) return 0;
  let v = 0;
  if (rs >= 0) v = freqAdd(e.d[rs] as FreqCtr, rp, 1, now);
  if (cs >= 0) {
    v = ((e.d[cs] as number) + 1) >>> 0;
    e.d[cs] = v;
  }
  t.touch(e, now);
  return v;
}
