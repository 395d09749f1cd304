/**
 * Actions on the stream's facts: set-src/-dst/-src-port/-dst-port,
 * set-status, set-log-level, set-timeout, capture, set-priority-*,
 * set-nice/-mark/-tos (kept). The stick-table actions (track-sc*,
 * sc-inc-gpc*, sc-set-gpt*) live in src/runtime/stick/actions.ts.
 */
import { setCapture, type StreamLog } from '../../log/logger.js';
import { LEVELS } from '../../log/syslog.js';
import { compileExpr, evalAs, processExpr, type CompiledExpr } from '../../../acl/expr.js';
import { OPT_FINAL, Sample, T, sampleToString } from '../../../acl/types.js';
import { parseTime } from '../../../parser/values.js';
import { isIPv6 } from 'node:net';
import type { ActionDef } from '../types.js';
import { CONTINUE } from '../types.js';

import { HAFT, HREQ, HRES, TCNT, TCON, TRES, TSES, defineActions } from './registry.js';

type Expr = { expr: CompiledExpr };

function exprParse(args: string[], ctx: { acls: { env: import('../../../acl/registry.js').CompileEnv } }): Expr {
  return { expr: compileExpr(args[0], ctx.acls.env) };
}

/* ---- addresses ------------------------------------------------------------------- */

function setAddr(name: string, which: 'src' | 'dst'): ActionDef<Expr> {
  return {
    name,
    rulesets: [HREQ, TCON, TSES, TCNT],
    parse: exprParse,
    run(c, host) {
      const smp = evalAs(c.expr, host.sampleContext(), T.ADDR);
      if (!smp) return CONTINUE;
      const a = sampleToString(smp);
      if (!a) return CONTINUE;
      const fam = isIPv6(a) ? 6 : 4;
      const addrs = host.addrs;
      // the port stays when the family does (HAProxy: set-src preserves it when possible)
      if (fam !== addrs.family) {
        if (which === 'src') addrs.srcPort = 0;
        else addrs.dstPort = 0;
      }
      if (which === 'src') addrs.src = a;
      else addrs.dst = a;
      addrs.family = fam;
      return CONTINUE;
    },
  };
}

function setPort(name: string, which: 'src' | 'dst'): ActionDef<Expr> {
  return {
    name,
    rulesets: [HREQ, TCON, TSES, TCNT],
    parse: exprParse,
    run(c, host) {
      const smp = evalAs(c.expr, host.sampleContext(), T.SINT);
      if (!smp) return CONTINUE;
      const p = Number(smp.v) & 0xffff;
      if (which === 'src') host.addrs.srcPort = p;
      else host.addrs.dstPort = p;
      return CONTINUE;
    },
  };
}

/* ---- response status --------------------------------------------------------------- */

const setStatus: ActionDef<{ status: number; reason?: string }> = {
  name: 'set-status',
  rulesets: [HRES, HAFT],
  parse: (args) => ({ status: Number(args[0]), reason: args[1] === 'reason' ? args[2] : undefined }),
  run(c, host) {
    host.res?.setStatus(c.status, c.reason);
    return CONTINUE;
  },
};

/* ---- logs, timeouts, priorities ------------------------------------------------------ */

const setLogLevel: ActionDef<string> = {
  name: 'set-log-level',
  rulesets: [HREQ, HRES, TCNT, TRES],
  parse: (args) => args[0],
  run(lvl, h, rt) {
    rt.fx.logLevel = lvl;
    // the stream's log record takes it: `silent` drops the line
    const sl = (h as { slog?: StreamLog | null }).slog;
    if (sl) sl.level = lvl === 'silent' ? -1 : LEVELS.indexOf(lvl) >= 0 ? LEVELS.indexOf(lvl) : null;
    return CONTINUE;
  },
};

function keep(name: string, rulesets: string[]): ActionDef<string> {
  return {
    name,
    rulesets,
    parse: (args) => args[0] ?? '',
    run(v, _h, rt) {
      rt.fx.misc.set(name, v);
      return CONTINUE;
    },
    noop: `'${name}' is recorded but not applied to the socket`,
  };
}

const setTimeout_: ActionDef<{ which: 'server' | 'tunnel'; ms?: number; expr?: CompiledExpr }> = {
  name: 'set-timeout',
  rulesets: [HREQ],
  parse(args, ctx) {
    const which = args[0] as 'server' | 'tunnel';
    const t = parseTime(args[1] ?? '', 'ms');
    if (t.ok) return { which, ms: t.ms };
    return { which, expr: compileExpr(args[1], ctx.acls.env) };
  },
  run(c, host, rt) {
    let ms = c.ms;
    if (ms === undefined && c.expr) {
      const smp = evalAs(c.expr, host.sampleContext(), T.SINT);
      if (smp) ms = Number(smp.v);
    }
    if (ms !== undefined && ms >= 0) {
      rt.fx.timeouts[c.which] = ms;
      host.overrideTimeout?.(c.which, ms);
    }
    return CONTINUE;
  },
};

function prio(name: string, key: 'prioClass' | 'prioOffset'): ActionDef<Expr> {
  return {
    name,
    rulesets: [HREQ, TCNT],
    parse: exprParse,
    run(c, host, rt) {
      const smp = evalAs(c.expr, host.sampleContext(), T.SINT);
      if (smp) rt.fx[key] = Number(smp.v);
      return CONTINUE;
    },
  };
}

/* ---- captures ------------------------------------------------------------------------ */

interface Capture {
  expr: CompiledExpr;
  slot: number;
  len: number;
}

const slotCount = new WeakMap<object, number>();

const capture: ActionDef<Capture> = {
  name: 'capture',
  rulesets: [HREQ, HRES, TCNT],
  parse(args, ctx) {
    const expr = compileExpr(args[0], ctx.acls.env);
    if (args[1] === 'id') return { expr, slot: Number(args[2]) || 0, len: 0 };
    // a new request capture slot after the declared ones
    const declared = ctx.proxy.directives.filter((d) => d.keyword === 'capture request header' || (d.keyword === 'capture' && d.args[0] === 'request')).length;
    const n = slotCount.get(ctx.proxy) ?? declared;
    slotCount.set(ctx.proxy, n + 1);
    return { expr, slot: n, len: Number(args[2]) || 0 };
  },
  run(c, host, rt) {
    const smp = new Sample().reset(OPT_FINAL);
    if (!processExpr(c.expr, host.sampleContext(), smp)) return CONTINUE;
    let s = sampleToString(smp);
    if (s === undefined) return CONTINUE;
    if (c.len) s = s.slice(0, c.len);
    const list = rt.ruleset === HRES ? rt.fx.resCaptures : rt.fx.reqCaptures;
    list[c.slot] = s;
    setCapture((host as { slog?: StreamLog | null }).slog ?? null, rt.ruleset === HRES ? 'response' : 'request', c.slot, s);
    return CONTINUE;
  },
};

defineActions([
  setAddr('set-src', 'src'),
  setAddr('set-dst', 'dst'),
  setPort('set-src-port', 'src'),
  setPort('set-dst-port', 'dst'),
  setStatus,
  setLogLevel,
  setTimeout_,
  prio('set-priority-class', 'prioClass'),
  prio('set-priority-offset', 'prioOffset'),
  capture,
  keep('set-nice', [HREQ, HRES, TCNT, TRES]),
  keep('set-mark', [HREQ, HRES, TCON, TSES, TCNT, TRES]),
  keep('set-tos', [HREQ, HRES, TCON, TSES, TCNT, TRES]),
]);


