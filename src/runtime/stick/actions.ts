/**
 * The stick-table actions of the rule sets:
 *  - track-sc0|1|2 <key> [table <t>] (tcp-request connection/session/
 *    content; http-request/http-response as track-sc<n>): the key's entry
 *    is tracked in slot <n> unless that slot already tracks something (the
 *    first valid tracking applies); connection and session rules track at
 *    session level, the others for the stream only; http-request and
 *    http-response tracking counts the current request (and the
 *    response's 4xx/5xx);
 *  - sc-inc-gpc(<idx>,<sc>), sc-inc-gpc0|1[(<sc>)]: +1 on the general
 *    purpose counter and its rate;
 *  - sc-set-gpt(<idx>,<sc>), sc-set-gpt0[(<sc>)] <int|expr>: sets a tag.
 * Actions on a slot that tracks nothing do nothing.
 */
import { compileExpr, evalAs, evalExpr, type CompiledExpr } from '../../acl/expr.js';
import { T } from '../../acl/types.js';
import type { ActionDef, ParseCtx, RuleHost, RunCtx } from '../rules/types.js';
import { CONTINUE, WAIT } from '../rules/types.js';
import { configFor } from '../rules/state.js';
import { HAFT, HREQ, HRES, TCNT, TCON, TRES, TSES, defineActions } from '../rules/actions/registry.js';
import { DT } from './conf.js';
import { initStick } from './registry.js';
import { connOf } from './index.js';
import { nowMs, type StickTable } from './table.js';
import { countErr, countFail, countReq } from './track.js';
import { incGpc } from './view.js';

interface Track {
  n: number;
  expr: CompiledExpr;
  table: StickTable;
}

function tableNamed(ctx: ParseCtx, name: string): StickTable {
  const config = ctx.config ?? configFor(ctx.proxy);
  const t = config ? initStick(config)?.tables.get(name) : undefined;
  if (!t) throw new Error(`unable to find table '${name}'`);
  return t;
}

function trackAction(name: string, rulesets: string[]): ActionDef<Track> {
  return {
    name,
    rulesets,
    parse(args, ctx) {
      const n = Number(/^track-sc(\d+)/.exec(ctx.word)?.[1] ?? '0');
      const table = tableNamed(ctx, args[1] === 'table' && args[2] ? args[2] : ctx.proxy.name);
      return { n, expr: compileExpr(args[0], ctx.acls.env), table };
    },
    run(c, host, rt) {
      return track(c, host, rt);
    },
  };
}

function track(c: Track, host: RuleHost, rt: RunCtx): ReturnType<ActionDef['run']> {
  const rs = rt.ruleset;
  const session = rs === TCON || rs === TSES;
  let conn = connOf(host, false);
  // a slot already tracked (by this stream, or by its session) stays as it is
  if (conn && (session ? conn.sess[c.n] : conn.slot(c.n))) return CONTINUE;
  const smp = evalExpr(c.expr, host.sampleContext(), session || rt.final);
  if (smp === 'wait') return WAIT;
  if (!smp) return CONTINUE;
  const key = c.table.keyOf(smp);
  if (key === undefined) return CONTINUE;
  const now = nowMs();
  const e = c.table.get(key, now);
  if (!e) return CONTINUE;
  conn ??= connOf(host, true)!;
  conn.track(session ? 'sess' : 'strm', c.n, c.table, e, !session && rt.px !== host.fe);
  if (rs === HREQ || rs === HRES) {
    // the current request counts now, it was counted before this tracking started
    countReq(c.table, e, now);
    const st = rs === HRES ? (host.res?.status ?? 0) : 0;
    if (st >= 400 && st < 500) countErr(c.table, e, now);
    else if (st >= 500 && st < 600 && st !== 501 && st !== 505) countFail(c.table, e, now);
  }
  return CONTINUE;
}

/* ---- sc-inc-gpc / sc-set-gpt ---------------------------------------------------------- */

interface ScRef {
  /** counter / tag index, -1 for the legacy forms (gpc0, gpc1, gpt0) */
  idx: number;
  /** 0 or 1 for sc-inc-gpc0/1 */
  legacy: number;
  sc: number;
}

/** reads sc-inc-gpc(<idx>,<sc>), sc-inc-gpc0|1[(<sc>)], sc-set-gpt(<idx>,<sc>), sc-set-gpt0[(<sc>)] */
function scRef(word: string, base: string): ScRef {
  const rest = word.slice(base.length);
  let m = /^\((\d+),(\d+)\)$/.exec(rest);
  if (m) return { idx: Number(m[1]), legacy: -1, sc: Number(m[2]) };
  m = /^([01])(?:\((\d+)\))?$/.exec(rest);
  if (m) return { idx: -1, legacy: Number(m[1]), sc: Number(m[2] ?? '0') };
  throw new Error(`invalid action '${word}'`);
}

function slotOf(host: RuleHost, sc: number) {
  return connOf(host, false)?.slot(sc) ?? null;
}

function incAction(name: string, rulesets: string[]): ActionDef<ScRef> {
  return {
    name,
    rulesets,
    parse: (_args, ctx) => scRef(ctx.word, 'sc-inc-gpc'),
    run(c, host) {
      const s = slotOf(host, c.sc);
      if (s) incGpc(s.t, s.e, c.idx >= 0 ? c.idx : c.legacy, c.idx < 0, nowMs());
      return CONTINUE;
    },
  };
}

interface SetGpt extends ScRef {
  value: number;
  expr?: CompiledExpr;
}

function setGptAction(name: string, rulesets: string[]): ActionDef<SetGpt> {
  return {
    name,
    rulesets,
    parse(args, ctx) {
      const r = scRef(ctx.word, 'sc-set-gpt');
      const v = args[0] ?? '';
      // an integer (strtol reading the whole word; nothing reads as 0), else a sample expression
      if (/^\s*[-+]?\d*$/.test(v)) return { ...r, value: u32(Number(v.trim() || '0')) };
      return { ...r, value: 0, expr: compileExpr(v, ctx.acls.env) };
    },
    run(c, host) {
      const s = slotOf(host, c.sc);
      if (!s) return CONTINUE;
      const t = s.t;
      const k = c.idx >= 0 ? t.at(DT.GPT, c.idx) : t.has(DT.GPT0) ? t.at(DT.GPT0) : t.at(DT.GPT, 0);
      if (k < 0) return CONTINUE;
      let v = c.value;
      if (c.expr) {
        const smp = evalAs(c.expr, host.sampleContext(), T.SINT);
        if (!smp) return CONTINUE;
        v = u32(smp.v);
      }
      s.e.d[k] = v;
      t.touch(s.e);
      return CONTINUE;
    },
  };
}

function u32(v: number | bigint): number {
  return Number(BigInt.asUintN(32, typeof v === 'bigint' ? v : BigInt(Math.trunc(v))));
}

const TCP3 = [TCON, TSES, TCNT];
const SC_SETS = [HREQ, HRES, TCON, TSES, TCNT, TRES];
void HAFT;

defineActions([
  trackAction('track-sc', [HREQ, HRES]),
  trackAction('track-sc0', TCP3),
  trackAction('track-sc1', TCP3),
  trackAction('track-sc2', TCP3),
  incAction('sc-inc-gpc', SC_SETS),
  incAction('sc-inc-gpc0', SC_SETS),
  incAction('sc-inc-gpc1', SC_SETS),
  setGptAction('sc-set-gpt', SC_SETS),
  setGptAction('sc-set-gpt0', SC_SETS),
]);
