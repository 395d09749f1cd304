/**
 * Rules written in a named defaults section are kept by reference by the
 * proxies using it, so HAProxy 2.6 checks, on each proxy header, that such a
 * defaults section is used consistently (reg-tests startup/default_rules):
 * not by another defaults section, not by a listen, not by both frontends
 * and backends, no L4/L5 tcp-request rules for backends and no tcp-response
 * rules for frontends. These are ERR_ABORT errors at the header line.
 *
 * The proxy headers belong to proxy/section.ts: this module wraps their
 * `open` through the public section registry and adds the check after it.
 */
import { ERR_ABORT, ERR_ALERT } from '../../../parser/diagnostics.js';
import type { Proxy } from '../../model.js';
import type { KwContext } from '../../registry.js';
import { registerSection, sectionHeaders, type SectionState } from '../../sections.js';

const RULESETS = new Set([
  'http-request', 'http-response', 'http-after-response',
  'tcp-request connection', 'tcp-request session', 'tcp-request content', 'tcp-response content',
]);

/** which side first used a defaults section that holds rules */
const usedBy = new WeakMap<Proxy, 'frontend' | 'backend'>();

/** The alert HAProxy gives when proxy `kind` inherits from `def`, or undefined. */
export function inheritanceError(kind: string, explicitFrom: boolean, def: Proxy | undefined): string | undefined {
  if (!def) return undefined;
  const rules = def.rules.filter((r) => RULESETS.has(r.ruleset));
  if (!rules.length) return undefined;
  const at = `(defaults section at ${def.file}:${def.line})`;
  if (kind === 'defaults') {
    if (!explicitFrom) return undefined;
    return `a defaults section cannot inherit from a defaults section defining TCP/HTTP rules ${at}.`;
  }
  if (kind === 'listen') return 'a listen section cannot inherit from a defaults section defining TCP/HTTP rules.';
  const side = kind as 'frontend' | 'backend';
  const first = usedBy.get(def);
  if (first && first !== side) return `frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules ${at}.`;
  usedBy.set(def, side);
  if (side === 'backend' && rules.some((r) => r.ruleset === 'tcp-request connection' || r.ruleset === 'tcp-request session'))
    return `a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules ${at}.`;
  if (side === 'frontend' && rules.some((r) => r.ruleset === 'tcp-response content'))
    return `a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules ${at}.`;
  return undefined;
}

for (const kind of ['defaults', 'frontend', 'backend', 'listen'] as const) {
  const h = sectionHeaders.get(kind);
  if (!h) continue;
  const open = h.open;
  registerSection({
    ...h,
    open(ctx: KwContext, state: SectionState): number {
      const r = open(ctx, state);
      if (r & ERR_ABORT || !state.proxy || state.proxy.kind !== kind) return r;
      const explicit = ctx.args.includes('from');
      const msg = inheritanceError(kind, explicit, state.defproxy);
      if (!msg) return r;
      ctx.diags.alert(msg, ctx.file, ctx.line, 'parsing-tight');
      return r | ERR_ALERT | ERR_ABORT;
    },
  });
}
