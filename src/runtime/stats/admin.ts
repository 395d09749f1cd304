/**
 * Changing servers and frontends at run time, for the CLI and the stats
 * page's admin form: maintenance, drain, ready (HAProxy's srv_adm_set_*),
 * weights (server_parse_weight_change_request), pausing frontends. State
 * changes go through the checks module, which tells the balancing, prints
 * HAProxy's lines and moves tracking servers.
 */
import type { RtProxy, RtServer } from '../model.js';
import { ADMF_CMAINT, ADMF_FDRAIN, ADMF_FMAINT } from '../checks/index.js';
import type { StatsContext } from './context.js';
import { srvCounters } from './counters.js';

function setAdmin(ctx: StatsContext, s: RtServer, admin: number): void {
  const before = s.admin;
  if (before === admin) return;
  s.admin = admin;
  // maintenance zeroes the health HAProxy keeps even for servers without checks
  if (admin & (ADMF_FMAINT | ADMF_CMAINT)) srvCounters(s).noCheckHealth = 0;
  const checks = ctx.checksHandle;
  if (checks) checks.adminChanged(s, before);
  else {
    s.up = !(admin & (ADMF_FMAINT | ADMF_CMAINT));
    s.eweight = admin & ADMF_FDRAIN ? 0 : s.uweight;
    s.backend.lb?.update(s);
  }
}

/** `set server <s> state maint` / `disable server` */
export function setMaint(ctx: StatsContext, s: RtServer): void {
  setAdmin(ctx, s, s.admin | ADMF_FMAINT);
}

/** `set server <s> state drain`: leaves maintenance, enters drain */
export function setDrain(ctx: StatsContext, s: RtServer): void {
  setAdmin(ctx, s, (s.admin & ~(ADMF_FMAINT | ADMF_CMAINT)) | ADMF_FDRAIN);
}

/** `set server <s> state ready` / `enable server`: neither maintenance nor drain */
export function setReady(ctx: StatsContext, s: RtServer): void {
  setAdmin(ctx, s, s.admin & ~(ADMF_FMAINT | ADMF_CMAINT | ADMF_FDRAIN));
}

/** strtol() as the weight parser uses it: [sign]digits, the rest is returned */
function strtol(s: string): { n: number; rest: string; ok: boolean } {
  const m = /^[ \t\n\r\f\v]*([+-]?)(\d+)/.exec(s);
  if (!m) return { n: 0, rest: s, ok: false };
  const n = Number(m[2]) * (m[1] === '-' ? -1 : 1);
  return { n, rest: s.slice(m[0].length), ok: true };
}

/**
 * server_parse_weight_change_request(): applies `w` ("N" or "N%") to `s`.
 * Returns HAProxy's error text, or null when the weight was set.
 */
export function changeWeight(ctx: StatsContext, s: RtServer, w: string): string | null {
  if (!w) return 'Require <weight> or <weight%>.\n';
  const p = strtol(w);
  if (!p.ok) return 'Empty weight string empty or preceded by garbage';
  let v = p.n;
  if (p.rest === '%') {
    if (v < 0) return 'Relative weight must be positive.\n';
    if (v > 25600) v = 25600;
    v = Math.floor((s.weight * v) / 100);
    if (v > 256) v = 256;
  } else if (v < 0 || v > 256) return 'Absolute weight can only be between 0 and 256 inclusive.\n';
  else if (p.rest !== '') return 'Trailing garbage in weight string';
  const be = s.backend;
  if (v && v !== s.weight && be.lb && be.lb.dynamic === false) {
    return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";
  }
  s.uweight = v;
  const drained = (s.admin & ADMF_FDRAIN) !== 0;
  const before = s.eweight;
  s.eweight = drained ? 0 : v;
  if (before === s.eweight) return null;
  if (ctx.checksHandle) ctx.checksHandle.weightChanged(s, before);
  else be.lb?.update(s);
  return null;
}

/** `disable frontend`: the listeners stop accepting (HAProxy's pause_proxy) */
export async function pauseFrontend(ctx: StatsContext, fe: RtProxy): Promise<boolean> {
  if (ctx.pausedFrontends.has(fe)) return false;
  ctx.pausedFrontends.add(fe);
  for (const l of ctx.listenersOf(fe)) await l.close();
  return true;
}

/** `enable frontend`: listening again */
export async function resumeFrontend(ctx: StatsContext, fe: RtProxy): Promise<boolean> {
  if (!ctx.pausedFrontends.has(fe)) return false;
  ctx.pausedFrontends.delete(fe);
  for (const l of ctx.listenersOf(fe)) {
    l.resumeAccepting();
    if (!l.servers.length) await l.open();
  }
  return true;
}
