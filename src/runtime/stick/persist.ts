/**
 * Stickiness by table (HAProxy's process_sticking_rules and
 * process_store_rules): once the backend is known, `stick match` / `stick
 * on` look the request's key up and send the stream to the server stored
 * there (when no server was assigned yet, and the server is usable, or
 * `option persist` / force-persist says to use it anyway); `stick on` /
 * `stick store-request` keep the key (the first rule per table wins, 8 at
 * most) and `stick store-response` adds keys from the response; the keys
 * are stored with the server actually used once it is known: when the
 * connection is established (tcp) or the response arrives (HTTP).
 */
import { OPT_FINAL, OPT_RES, Sample } from '../../acl/types.js';
import { processExpr } from '../../acl/expr.js';
import type { SampleContext } from '../../acl/context.js';
import type { RtProxy, RtServer } from '../model.js';
import { persistRules } from '../persist/index.js';
import { DT } from './conf.js';
import { stickRulesOf } from './registry.js';
import { nowMs, type Entry, type StickTable } from './table.js';
import type { ConnStick } from './track.js';

const MAX_STORES = 8;

interface RuleHostLike {
  sampleContext(): SampleContext;
}

function keyOf(t: StickTable, r: { expr: import('../../acl/expr.js').CompiledExpr }, ctx: SampleContext, res: boolean): string | undefined {
  const smp = new Sample().reset(OPT_FINAL | (res ? OPT_RES : 0));
  if (!processExpr(r.expr, ctx, smp)) return undefined;
  return t.keyOf(smp);
}

/**
 * The request side: returns the server to use (`assigned` when one was
 * already forced by cookie or use-server, else the matched one, if any).
 */
export function stickRequest(c: ConnStick, host: RuleHostLike, be: RtProxy, assigned: RtServer | undefined): RtServer | undefined {
  const rules = stickRulesOf(be.conf);
  if (!rules.length) return assigned;
  const ctx = host.sampleContext();
  let target = assigned;
  const now = nowMs();
  for (const r of rules) {
    if (r.kind === 'store-response') continue;
    const store = r.kind !== 'match';
    const match = r.kind !== 'store-request';
    // only the first store rule of each table applies
    if (store && c.stores && c.stores.some((s) => s.t === r.table)) continue;
    if (r.cond && r.cond.eval(ctx, true) !== true) continue;
    const key = keyOf(r.table, r, ctx, false);
    if (key === undefined) continue;
    if (match) {
      const e = r.table.lookup(key);
      if (e) {
        if (!target) {
          const srv = serverOf(be, r.table, e);
          if (srv && (srv.up || be.option('persist') || persistRules(be, { sampleContext: () => ctx, runtimeBackend: () => undefined } as never).force)) target = srv;
        }
        r.table.touch(e, now);
      }
    }
    if (store) {
      const list = (c.stores ??= []);
      if (list.length < MAX_STORES) {
        // the entry counts in the table from now on; it is stored once the server is known
        const e = r.table.newEntry(key, now);
        if (e) list.push({ t: r.table, e });
      }
    }
  }
  return target;
}

/** The server an entry names: by name (server_key) first, then by id (server_id). */
function serverOf(be: RtProxy, t: StickTable, e: Entry): RtServer | undefined {
  const ks = t.at(DT.SERVER_KEY);
  const name = ks >= 0 ? (e.d[ks] as string | null) : null;
  if (name) {
    const srv = t.conf.srvkey === 'addr' ? be.servers.find((s) => addrKey(s) === name) : be.servers.find((s) => s.name === name);
    if (srv) return srv;
  }
  const is = t.at(DT.SERVER_ID);
  if (is < 0) return undefined;
  const id = e.d[is] as number;
  return be.servers.find((s) => s.id === id);
}

function addrKey(s: RtServer): string {
  return s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

/**
 * The response side: `stick store-response` rules (when `ctx` can read the
 * response), then every kept key is stored with `srv`.
 */
export function stickStore(c: ConnStick, host: RuleHostLike | null, be: RtProxy, srv: RtServer | null, withResponse: boolean): void {
  const rules = stickRulesOf(be.conf);
  const now = nowMs();
  if (withResponse && host && rules.length) {
    const ctx = host.sampleContext();
    const nbreq = c.stores?.length ?? 0;
    for (const r of rules) {
      if (r.kind !== 'store-response') continue;
      // one store-response per table (store-request ones do not count)
      if (c.stores && c.stores.slice(nbreq).some((s) => s.t === r.table)) continue;
      if (r.cond && r.cond.evalRes(ctx, true) !== true) continue;
      const key = keyOf(r.table, r, ctx, true);
      if (key === undefined) continue;
      const list = (c.stores ??= []);
      if (list.length < MAX_STORES) {
        const e = r.table.newEntry(key, now);
        if (e) list.push({ t: r.table, e });
      }
    }
  }
  const stores = c.stores;
  if (!stores) return;
  // nothing is learnt without a server, nor for servers declared `non-stick`
  if (!srv || srv.conf.options.has('non-stick')) return c.dropStores();
  c.stores = null;
  for (const s of stores) {
    const t = s.t;
    const e = t.setEntry(s.e);
    // the key was there already: the new entry goes
    if (e !== s.e) t.free(s.e);
    const is = t.at(DT.SERVER_ID);
    if (is >= 0) e.d[is] = srv.id;
    const ks = t.at(DT.SERVER_KEY);
    if (ks >= 0) e.d[ks] = t.conf.srvkey === 'addr' ? addrKey(srv) : srv.name;
    t.touch(e, now);
  }
}
