/**
 * Switching and persistence rules: `use_backend` (static names and `%[...]`
 * dynamic ones), `default_backend`, `use-server`, `force-persist`,
 * `ignore-persist`, and the `redirect` keyword, with HAProxy 2.6's checks.
 */
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { parseLogFormat } from '../../../acl/sample.js';
import { proxiesNamed, type CondConf, type Config } from '../../model.js';
import { registerKeywords, type KwContext } from '../../registry.js';
import { registerPostCheck, registerProxyCheck, Stage } from '../../postchecks.js';
import { ignoredWithoutCap, isBackend, isFrontend, proxyTypeStr, tooManyArgs } from '../proxy/section.js';
import { parseRedirect } from './actions.js';
import { condWarnings, isHttpFetch, lazyPostCheck, usageOf } from './acl.js';
import { parseCondition } from './condition.js';
import { httpIgnored, markSeen, warnMisplaced } from './http.js';
import { noteLogFormatLineUnknown, noteParsedLogFormat } from '../proxy/log.js';

const notInDefaults = (ctx: KwContext) => ctx.alert(`'${ctx.args[0]}' not allowed in 'defaults' section.`);

/** Dynamic use_backend names that failed to parse: reported after parsing, as HAProxy does. */
const lateErrors = new WeakMap<Config, { file: string; line: number; msg: string }[]>();

function useBackend(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  if (p.kind === 'defaults') return notInDefaults(ctx);
  let err = 0;
  if (ignoredWithoutCap(ctx, 'fe')) err |= ERR_WARN;
  const name = ctx.args[1] ?? '';
  if (!name) return ctx.alert(`'${ctx.args[0]}' expects a backend name.`);
  let cond: CondConf | undefined;
  const w = ctx.args[2];
  if (w === 'if' || w === 'unless') {
    const c = parseCondition(ctx, ctx.args.slice(2));
    if ('error' in c) return ctx.alert(`error detected while parsing switching rule : ${c.error}.`);
    cond = c.cond;
    err |= condWarnings(ctx, cond, [5]);
  } else if (w !== undefined) {
    return ctx.alert(`unexpected keyword '${w}' after switching rule, only 'if' and 'unless' are allowed.`);
  }
  const dynamic = name.includes('%[');
  if (dynamic) {
    const r = parseLogFormat(name, 3);
    if (r.error) {
      let l = lateErrors.get(ctx.config);
      if (!l) lateErrors.set(ctx.config, (l = []));
      lazyPostCheck(reportLate);
      l.push({ file: ctx.file, line: ctx.line, msg: `failed to parse use_backend rule '${name}' : ${r.error}.` });
    }
  }
  if (p.kind !== 'backend') p.useBackends.push({ backend: name, dynamic, cond, file: ctx.file, line: ctx.line, column: ctx.columns[0] });
  markSeen(p, 'use_backend');
  return err;
}

function defaultBackend(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  let err = 0;
  const ignored = ignoredWithoutCap(ctx, 'fe');
  if (ignored) err |= ERR_WARN;
  const name = ctx.args[1] ?? '';
  if (!name) return ctx.alert(`'${ctx.args[0]}' expects a backend name.`);
  if (!ignored) p.defaultBackend = { name, pos: ctx.pos() };
  return err | tooManyArgs(ctx, 1);
}

function useServer(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  if (p.kind === 'defaults') return notInDefaults(ctx);
  let err = 0;
  if (ignoredWithoutCap(ctx, 'be')) err |= ERR_WARN;
  const name = ctx.args[1] ?? '';
  if (!name) return ctx.alert(`'${ctx.args[0]}' expects a server name.`);
  const w = ctx.args[2];
  if (w !== 'if' && w !== 'unless') return ctx.alert(`'${ctx.args[0]}' requires either 'if' or 'unless' followed by a condition.`);
  const c = parseCondition(ctx, ctx.args.slice(2));
  if ('error' in c) return ctx.alert(`error detected while parsing switching rule : ${c.error}.`);
  err |= condWarnings(ctx, c.cond, [9]);
  p.useServers.push({ server: name, dynamic: name.includes('%['), cond: c.cond, file: ctx.file, line: ctx.line, column: ctx.columns[0] });
  markSeen(p, 'use-server');
  return err;
}

function persistRule(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  if (p.kind === 'defaults') return notInDefaults(ctx);
  let err = 0;
  if (ignoredWithoutCap(ctx, 'be')) err |= ERR_WARN;
  const w = ctx.args[1];
  if (w !== 'if' && w !== 'unless') return ctx.alert(`'${ctx.args[0]}' requires either 'if' or 'unless' followed by a condition.`);
  const c = parseCondition(ctx, ctx.args.slice(1));
  if ('error' in c) return ctx.alert(`error detected while parsing a '${ctx.args[0]}' rule : ${c.error}.`);
  err |= condWarnings(ctx, c.cond, [6]);
  p.rules.push({ ruleset: ctx.args[0], action: ctx.args[0], args: [], cond: c.cond, file: ctx.file, line: ctx.line, column: ctx.columns[0] });
  return err;
}

const REDIRECT_CODES = new Set(['301', '302', '303', '307', '308']);

function redirect(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  if (p.kind === 'defaults') return notInDefaults(ctx);
  const where = `error detected in ${proxyTypeStr(p)} '${p.name}' while parsing redirect rule`;
  const args = ctx.args.slice(1);
  const r = parseRedirect(args);
  if ('error' in r) return ctx.alert(`${where} : ${r.error}.`);
  const opts = args.slice(0, r.used);
  const ci = opts.indexOf('code');
  if (ci >= 0 && !REDIRECT_CODES.has(opts[ci + 1]))
    return ctx.alert(`${where} : 'code': unsupported HTTP code '${opts[ci + 1]}' (must be one of 301, 302, 303, 307 or 308).`);
  if (!opts.some((o) => o === 'location' || o === 'prefix' || o === 'scheme'))
    return ctx.alert(`${where} : redirection type expected ('prefix', 'location', or 'scheme').`);
  let cond: CondConf | undefined;
  if (r.used < args.length) {
    const c = parseCondition(ctx, args.slice(r.used));
    if ('error' in c) return ctx.alert(`${where} : error in condition: ${c.error}.`);
    cond = c.cond;
  }
  p.rules.push({ ruleset: 'redirect', action: 'redirect', args: opts, cond, file: ctx.file, line: ctx.line, column: ctx.columns[0] });
  // this keyword records a stale log-format line in HAProxy (see noteLogFormatLineUnknown)
  const at = opts.findIndex((o) => o === 'location' || o === 'prefix' || o === 'scheme');
  const fmt = opts[at + 1];
  if (fmt !== undefined && !(opts[at] === 'prefix' && fmt === '/')) {
    const f = parseLogFormat(fmt);
    noteParsedLogFormat(p, f.exprs.map((e) => isHttpFetch(e.fetch.name)), false);
    noteLogFormatLineUnknown(ctx);
  }
  let err = warnMisplaced(ctx, 'use_backend');
  markSeen(p, 'redirect');
  err |= condWarnings(ctx, cond, usageOf('redirect', p).slice(0, 1));
  return err;
}

registerKeywords([
  { name: 'use_backend', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: useBackend, support: 'no' },
  { name: 'default_backend', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: defaultBackend, support: 'no' },
  { name: 'use-server', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: useServer, support: 'no' },
  { name: 'force-persist', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: persistRule, support: 'no' },
  { name: 'ignore-persist', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: persistRule, support: 'no' },
  { name: 'redirect', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: redirect, support: 'no' },
]);

const reportLate: Parameters<typeof registerPostCheck>[0] = (config, diags) => {
  let err = 0;
  for (const e of lateErrors.get(config) ?? []) {
    diags.alert(e.msg, e.file, e.line, 'Parsing-tight');
    err |= ERR_ALERT | ERR_FATAL;
  }
  return err;
};

registerProxyCheck(Stage.httpOnly + 0.6, (p, _config, diags) => {
  if (!httpIgnored(p) || !p.rules.some((r) => r.ruleset === 'redirect')) return 0;
  diags.warning(`'redirect' rules ignored for ${proxyTypeStr(p)} '${p.name}' as they require HTTP mode.`, undefined, undefined, 'none');
  return ERR_WARN;
});

/** A default_backend that resolves makes the proxy's own servers useless. */
registerProxyCheck(Stage.switching - 0.1, (p, config, diags) => {
  const d = p.defaultBackend;
  if (!d || !isFrontend(p) || !p.servers.length || d.name.includes('%[')) return 0;
  const target = proxiesNamed(config, d.name).find(isBackend);
  if (!target || target === p || (target.mode !== p.mode && !(p.mode === 'tcp' && target.mode === 'http'))) return 0;
  diags.warning(`In proxy '${p.name}', the 'default_backend' rule always has precedence over the servers, which will never be used.`, undefined, undefined, 'none');
  return ERR_WARN;
});
