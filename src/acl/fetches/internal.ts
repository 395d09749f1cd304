/** Internal fetches (7.3.2): constants, variables, environment, time, proxy and server states. */
import { hostname } from 'node:os';
import { randomInt, randomUUID } from 'node:crypto';
import { procVars, type SampleContext, type VarScope } from '../context.js';
import { argInt, defFetch } from '../registry.js';
import { T, parseIPv4, parseIPv6, readInt64, F_MAY_CHANGE } from '../types.js';
import { findProxy, findServer, parseVarName, prepProxyArg, prepServerArg } from './util.js';

export function readVar(ctx: SampleContext, scope: VarScope, name: string) {
  if (ctx.getVar) return ctx.getVar(scope, name);
  return scope === 'proc' ? procVars.get('proc', name) : undefined;
}

export function writeVar(ctx: SampleContext, scope: VarScope, name: string, t: T, v: unknown): void {
  if (ctx.setVar) ctx.setVar(scope, name, { t, v });
  else if (scope === 'proc') procVars.set('proc', name, { t, v });
}

defFetch('always_true', (smp) => smp.setBool(true));
defFetch('always_false', (smp) => smp.setBool(false));

/* constants */
defFetch('str', (smp, _c, a) => smp.setStr(a[0]), (a) => [a[0] ?? '']);
defFetch(
  'int',
  (smp, _c, a) => smp.setInt(a[0]),
  (a) => [readInt64(a[0] ?? '0')],
);
defFetch(
  'bool',
  (smp, _c, a) => smp.setBool(a[0]),
  (a) => [/^(true|1)$/i.test(a[0] ?? '')],
);
defFetch(
  'bin',
  (smp, _c, a) => smp.setBin(a[0]),
  (a) => [Buffer.from((a[0] ?? '').replace(/[^0-9a-fA-F]/g, ''), 'hex')],
);
defFetch(
  'ipv4',
  (smp, _c, a) => {
    if (a[0] === undefined) return false;
    smp.t = T.IPV4;
    smp.v = a[0];
    return true;
  },
  (a) => [parseIPv4(a[0] ?? '')],
);
defFetch(
  'ipv6',
  (smp, _c, a) => {
    if (!a[0]) return false;
    smp.t = T.IPV6;
    smp.v = a[0];
    return true;
  },
  (a) => [parseIPv6(a[0] ?? '')],
);
defFetch(
  'meth',
  (smp, _c, a) => {
    smp.t = T.METH;
    smp.v = a[0];
    return true;
  },
  (a) => [a[0] ?? ''],
);

/* variables */
defFetch(
  'var',
  (smp, ctx, a) => {
    const v = a[0] ? readVar(ctx, a[0][0], a[0][1]) : undefined;
    if (!v) {
      if (a[1] === undefined) return false;
      return smp.setStr(a[1]);
    }
    smp.t = v.t;
    smp.v = v.v;
    return true;
  },
  (a) => [parseVarName(a[0] ?? ''), a[1]],
);

defFetch(
  'env',
  (smp, ctx, a) => {
    const v = ctx.env ? ctx.env(a[0]) : process.env[a[0]];
    if (v === undefined) return false;
    return smp.setStr(v);
  },
  (a) => [a[0] ?? ''],
);

/* time */
const now = (ctx: SampleContext) => (ctx.now ? ctx.now() : Date.now());
defFetch(
  'date',
  (smp, ctx, a) => {
    const ms = now(ctx);
    let v: number;
    if (a[1] === 'ms') v = Math.floor(ms);
    else if (a[1] === 'us') v = Math.floor(ms) * 1000 + (ctx.nowUs ? ctx.nowUs() % 1000 : 0);
    else v = Math.floor(ms / 1000);
    smp.setInt(v + a[0]);
    smp.flags |= F_MAY_CHANGE;
    return true;
  },
  (a) => [argInt(a[0]), a[1]],
);
defFetch('date_us', (smp, ctx) => {
  smp.setInt(ctx.nowUs ? ctx.nowUs() : (now(ctx) % 1000) * 1000);
  smp.flags |= F_MAY_CHANGE;
  return true;
});

defFetch(
  'rand',
  (smp, _c, a) => {
    const r = randomInt(0, 0x100000000);
    smp.setInt(a[0] !== undefined ? Math.floor((r * a[0]) / 0x100000000) : r);
    smp.flags |= F_MAY_CHANGE;
    return true;
  },
  (a) => [a[0] !== undefined && a[0] !== '' ? argInt(a[0]) : undefined],
);
defFetch(
  'uuid',
  (smp) => smp.setStr(randomUUID()),
  (a) => [a[0]],
);

let host: string | undefined;
defFetch('hostname', (smp) => smp.setStr((host ??= hostname())));
defFetch(['nbproc', 'proc'], (smp) => smp.setInt(1));
defFetch('thread', (smp) => smp.setInt(0));
defFetch('stopping', (smp, ctx) => smp.setBool(!!ctx.stopping));
defFetch(['cpu_calls', 'cpu_ns_avg', 'cpu_ns_tot', 'lat_ns_avg', 'lat_ns_tot'], (smp) => smp.setInt(0));
defFetch('last_rule_file', (smp, ctx) => (ctx.lastRule ? smp.setStr(ctx.lastRule.file) : false));
defFetch('last_rule_line', (smp, ctx) => (ctx.lastRule ? smp.setInt(ctx.lastRule.line) : false));
defFetch('prio_class', (smp, ctx) => smp.setInt(ctx.prioClass ?? 0));
defFetch('prio_offset', (smp, ctx) => smp.setInt(ctx.prioOffset ?? 0));

/* proxies */
defFetch(
  'nbsrv',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0]);
    if (!p) return false;
    return smp.setInt(usableServers(p.servers ?? [], !!p.allBackups));
  },
  prepProxyArg,
);

/** HAProxy's nbsrv: active usable servers, else the usable backups (all with allbackups, else the first). */
export function usableServers(list: readonly { up: boolean; backup?: boolean }[], allBackups: boolean): number {
  let act = 0;
  let bck = 0;
  for (const s of list) {
    if (!s.up) continue;
    if (s.backup) bck++;
    else act++;
  }
  if (act) return act;
  return allBackups ? bck : Math.min(bck, 1);
}

defFetch(
  'be_conn',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0]);
    return p ? smp.setInt(p.conn ?? 0) : false;
  },
  prepProxyArg,
);
defFetch(
  'be_conn_free',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0]);
    if (!p) return false;
    let n = 0;
    for (const s of p.servers ?? []) {
      if (!s.up) continue;
      if (!s.maxconn) return smp.setInt(-1);
      n += Math.max(0, s.maxconn - s.cur);
    }
    return smp.setInt(n);
  },
  prepProxyArg,
);
defFetch(
  'be_sess_rate',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0]);
    return p ? smp.setInt(p.sessRate ?? 0) : false;
  },
  prepProxyArg,
);
defFetch(
  'queue',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0]);
    return p ? smp.setInt(p.queued ?? 0) : false;
  },
  prepProxyArg,
);
defFetch(
  'avg_queue',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0]);
    if (!p) return false;
    const n = usableServers(p.servers ?? [], !!p.allBackups);
    const q = p.queued ?? 0;
    return smp.setInt(n > 0 ? Math.floor((q + n - 1) / n) : q * 2);
  },
  prepProxyArg,
);
defFetch(
  'connslots',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0]);
    if (!p) return false;
    let n = 0;
    for (const s of p.servers ?? []) {
      if (!s.up) continue;
      if (!s.maxconn || !s.maxqueue) return smp.setInt(-1);
      n += s.maxconn - s.cur + (s.maxqueue - (s.queued ?? 0));
    }
    return smp.setInt(n);
  },
  prepProxyArg,
);
const feArg = (a: string[], env: Parameters<typeof prepProxyArg>[1]) => prepProxyArg(a, env);
defFetch(
  'fe_conn',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0], 'fe');
    return p ? smp.setInt(p.conn ?? 0) : false;
  },
  feArg,
);
defFetch(
  'fe_sess_rate',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0], 'fe');
    return p ? smp.setInt(p.sessRate ?? 0) : false;
  },
  feArg,
);
defFetch(
  'fe_req_rate',
  (smp, ctx, a) => {
    const p = findProxy(ctx, a[0], 'fe');
    return p ? smp.setInt(p.reqRate ?? 0) : false;
  },
  feArg,
);

/* servers */
function srvFetch(name: string, get: (s: NonNullable<ReturnType<typeof findServer>>) => number | boolean): void {
  defFetch(
    name,
    (smp, ctx, a) => {
      const s = findServer(ctx, a[0], a[1]);
      if (!s) return false;
      const v = get(s);
      return typeof v === 'boolean' ? smp.setBool(v) : smp.setInt(v);
    },
    prepServerArg,
  );
}
srvFetch('srv_is_up', (s) => s.up);
srvFetch('srv_conn', (s) => s.cur);
srvFetch('srv_conn_free', (s) => (s.maxconn ? Math.max(0, s.maxconn - s.cur) : -1));
srvFetch('srv_queue', (s) => s.queued ?? 0);
srvFetch('srv_sess_rate', (s) => s.sessRate ?? 0);
srvFetch('srv_weight', (s) => s.weight ?? 1);
srvFetch('srv_uweight', (s) => s.uweight ?? s.weight ?? 1);
srvFetch('srv_iweight', (s) => s.iweight ?? s.uweight ?? s.weight ?? 1);

/* stick tables */
function tableFetch(name: string, pick: (t: { used: number; size: number }) => number): void {
  defFetch(
    name,
    (smp, ctx, a) => {
      const t = ctx.stick?.tableSize?.(a[0] ?? ctx.backend?.name ?? ctx.frontend.name);
      return t ? smp.setInt(pick(t)) : false;
    },
    prepProxyArg,
  );
}
tableFetch('table_cnt', (t) => t.used);
tableFetch('table_avl', (t) => t.size - t.used);
