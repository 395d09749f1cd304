/**
 * Variables: set-var(<scope>.<name>) <expr>, set-var-fmt(<scope>.<name>)
 * <fmt>, unset-var(<scope>.<name>), in every rule set. A fetch that
 * returns nothing leaves the variable as it was (HAProxy's action_store).
 */
import type { VarScope } from '../../../acl/context.js';
import { compileExpr, processExpr, type CompiledExpr } from '../../../acl/expr.js';
import { OPT_FINAL, Sample, T } from '../../../acl/types.js';
import { ruleFormat } from '../format.js';
import type { ActionDef, ParseCtx, RuleFormat } from '../types.js';
import { CONTINUE } from '../types.js';
import { HAFT, HREQ, HRES, TCNT, TCON, TRES, TSES, defineActions } from './registry.js';

const ALL = [HREQ, HRES, HAFT, TCON, TSES, TCNT, TRES];
const SCOPES = new Set(['proc', 'sess', 'txn', 'req', 'res', 'check']);

interface VarRef {
  scope: VarScope;
  name: string;
}

export function varRef(ctx: ParseCtx): VarRef {
  const p = ctx.paren ?? '';
  const dot = p.indexOf('.');
  const scope = p.slice(0, dot);
  if (dot < 0 || !SCOPES.has(scope)) throw new Error(`invalid variable name '${p}'`);
  return { scope: scope as VarScope, name: p.slice(dot + 1) };
}

const setVar: ActionDef<VarRef & { expr: CompiledExpr }> = {
  name: 'set-var',
  rulesets: ALL,
  parse: (args, ctx) => ({ ...varRef(ctx), expr: compileExpr(args[0], ctx.acls.env) }),
  run(c, host) {
    const ctx = host.sampleContext();
    const smp = new Sample().reset(OPT_FINAL);
    if (!processExpr(c.expr, ctx, smp)) return CONTINUE;
    ctx.setVar?.(c.scope, c.name, { t: smp.t, v: smp.v });
    return CONTINUE;
  },
};

const setVarFmt: ActionDef<VarRef & { fmt: RuleFormat }> = {
  name: 'set-var-fmt',
  rulesets: ALL,
  parse: (args, ctx) => ({ ...varRef(ctx), fmt: ruleFormat(args[0] ?? '', ctx.acls.env) }),
  run(c, host) {
    const ctx = host.sampleContext();
    ctx.setVar?.(c.scope, c.name, { t: T.STR, v: c.fmt.render(ctx) });
    return CONTINUE;
  },
};

const unsetVar: ActionDef<VarRef> = {
  name: 'unset-var',
  rulesets: ALL,
  parse: (_args, ctx) => varRef(ctx),
  run(c, host) {
    host.sampleContext().unsetVar?.(c.scope, c.name);
    return CONTINUE;
  },
};

defineActions([setVar, setVarFmt, unsetVar]);
