/**
 * The proxy `stats` keywords (the stats page): enable, uri, realm, refresh,
 * auth, scope, admin, http-request, hide-version, show-legends, show-node,
 * show-desc, show-modules, with HAProxy 2.6's messages. Each is kept as a
 * directive (`stats <sub>`); `stats admin` conditions and `stats
 * http-request` rules are parsed here and attached to their directive for
 * the runtime (src/runtime/stats/uri-auth.ts).
 */
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { parseTime } from '../../../parser/values.js';
import type { CondConf, Directive, RuleConf } from '../../model.js';
import { family, registerKeywords, type KwContext } from '../../registry.js';
import { parseCondition } from '../rules/condition.js';
import { statsHttpRequestRule } from '../rules/http.js';

/** `stats admin` conditions, by directive */
export const statsAdminConds = new WeakMap<Directive, CondConf>();
/** `stats http-request` rules, by directive */
export const statsRules = new WeakMap<Directive, RuleConf>();

const PROXY = ['defaults', 'frontend', 'backend', 'listen'] as const;

const EXPECTS = "expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.";

function keep(ctx: KwContext): Directive {
  const d: Directive = { keyword: `stats ${ctx.args[1]}`, args: ctx.args.slice(2), file: ctx.file, line: ctx.line, column: ctx.columns[0] };
  ctx.proxy?.directives.push(d);
  return d;
}

/** a sub-keyword whose only check is a required argument */
function needsArg(msg: string) {
  return (ctx: KwContext): number => {
    if (!ctx.args[2]) return ctx.alert(msg);
    keep(ctx);
    return 0;
  };
}

function simple(ctx: KwContext): number {
  keep(ctx);
  return 0;
}

function admin(ctx: KwContext): number {
  const p = ctx.proxy!;
  if (p.kind === 'defaults') return ctx.alert("'stats admin' not allowed in 'defaults' section.");
  const w = ctx.args[2];
  if (w !== 'if' && w !== 'unless') return ctx.alert("'stats admin' requires either 'if' or 'unless' followed by a condition.");
  const c = parseCondition(ctx, ctx.args.slice(2));
  if ('error' in c) return ctx.alert(`error detected while parsing a 'stats admin' rule : ${c.error}.`);
  statsAdminConds.set(keep(ctx), c.cond);
  return 0;
}

/** rules already written per proxy: a rule without condition makes the next ones useless */
const lastUnconditional = new WeakMap<object, boolean>();

function httpRequest(ctx: KwContext): number {
  const p = ctx.proxy!;
  if (p.kind === 'defaults') return ctx.alert(`'${ctx.args[0]}' not allowed in 'defaults' section.`, 'parsing-tight');
  let err = 0;
  if (lastUnconditional.get(p)) {
    ctx.warn(`previous '${ctx.args[0]}' action has no condition attached, further entries are NOOP.`, 'parsing-tight');
    err |= ERR_WARN;
  }
  const { err: e, rule } = statsHttpRequestRule(ctx);
  if (!rule) return err | e;
  lastUnconditional.set(p, !rule.cond);
  statsRules.set(keep(ctx), rule);
  return err | e;
}

function refresh(ctx: KwContext): number {
  const v = ctx.args[2] ?? '';
  if (v !== '') {
    const t = parseTime(v, 's');
    if (!t.ok) {
      if (t.reason === 'overflow')
        return ctx.alert(`timer overflow in argument <${v}> to stats refresh interval, maximum value is 2147483647 s (~68 years).`, 'parsing-tight');
      return ctx.alert(`unexpected character '${t.at[0]}' in argument to stats refresh interval.`, 'parsing-tight');
    }
  }
  keep(ctx);
  return 0;
}

function showNode(ctx: KwContext): number {
  const v = ctx.args[2];
  if (v && !/^[A-Za-z0-9_.-]+$/.test(v)) {
    return ctx.alert(
      "'stats show-node' invalid node name - should be a stringwith digits(0-9), letters(A-Z, a-z), hyphen(-) or underscode(_).",
      'parsing-tight',
    );
  }
  keep(ctx);
  return 0;
}

function showDesc(ctx: KwContext): number {
  const hasDesc = ctx.config.global.directives.some((d) => d.keyword === 'description');
  if (!ctx.args[2] && !hasDesc) {
    ctx.warn("'show-desc' requires a parameter or 'desc' to be set in the global section.", 'parsing-tight');
    return ERR_WARN;
  }
  keep(ctx);
  return 0;
}

const fam = family('stats:proxy');
const subs: [string, (ctx: KwContext) => number][] = [
  ['admin', admin],
  ['uri', needsArg("'uri' needs an URI prefix.")],
  ['realm', needsArg("'realm' needs an realm name.")],
  ['refresh', refresh],
  ['http-request', httpRequest],
  ['auth', needsArg("'auth' needs a user:password account.")],
  ['scope', needsArg("'scope' needs a proxy name.")],
  ['enable', simple],
  ['hide-version', simple],
  ['show-legends', simple],
  ['show-node', showNode],
  ['show-desc', showDesc],
];
for (const [name, parse] of subs) fam.set(name, { name, parse: parse as (ctx: unknown) => number, support: 'no' });

registerKeywords([
  {
    name: 'stats',
    sections: [...PROXY],
    support: 'no',
    parse(ctx) {
      const sub = ctx.args[1] ?? '';
      const row = fam.get(sub);
      if (row) return row.parse(ctx);
      if (!sub) return ctx.alert(`missing keyword in 'stats', ${EXPECTS}`, 'parsing-tight');
      return ctx.alert(`unknown stats parameter '${sub}', ${EXPECTS}`, 'parsing-tight');
    },
  },
]);

export const _flags = ERR_ALERT | ERR_FATAL;
