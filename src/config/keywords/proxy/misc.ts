/**
 * Proxy keywords whose first word introduces a small grammar: http-check,
 * tcp-check (argument-level errors), filter, source, persist, rate-limit,
 * external-check, email-alert, stick, declare. Messages are HAProxy 2.6's.
 */
import { existsSync } from 'node:fs';
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { parseAddress } from '../../../parser/values.js';
import type { Directive, Proxy } from '../../model.js';
import { family, PROXY_SECTIONS, registerKeywords, type KwContext, type KeywordRow } from '../../registry.js';
import { registerProxyCheck, Stage } from '../../postchecks.js';
import { httpIgnored } from '../rules/http.js';
import { capWarn } from './basics.js';
import { LOG_LEVELS } from './log.js';
import { proxyTypeStr } from './section.js';
import { directiveInForce } from '../generic.js';

function keep(ctx: KwContext, words = 1): void {
  const d: Directive = { keyword: ctx.args.slice(0, words).join(' '), args: ctx.args.slice(words), file: ctx.file, line: ctx.line, column: ctx.columns[0] };
  ctx.proxy?.directives.push(d);
}

const row = (name: string, parse: (ctx: KwContext) => number): KeywordRow => ({ name, sections: PROXY_SECTIONS, support: 'no', parse });

/** Port syntax problems str2sa_range reports where neither ranges nor offsets are allowed. */
function addrProblem(text: string, hostnames = false): string | undefined {
  const r = parseAddress(text, { hostnames, portOptional: true });
  if (r.ok) return undefined;
  return r.error;
}

/* ---- http-check / tcp-check ---------------------------------------------- */

const HTTP_CHECK_SUBS = "'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'";
const TCP_CHECK_SUBS = "'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'";

function checkRules(head: 'http-check' | 'tcp-check') {
  return (ctx: KwContext): number => {
    let sub = ctx.args[1] ?? '';
    const base = /^(set-var-fmt|set-var|unset-var)\(/.exec(sub);
    if (base) sub = base[1];
    const known = head === 'http-check'
      ? ['disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt', 'set-var', 'unset-var']
      : ['comment', 'connect', 'send', 'send-lf', 'send-binary', 'send-binary-lf', 'expect', 'set-var-fmt', 'set-var', 'unset-var'];
    if (!known.includes(sub)) {
      return ctx.alert(`'${head}' only supports ${head === 'http-check' ? HTTP_CHECK_SUBS : TCP_CHECK_SUBS}. but got '${ctx.args[1] ?? ''}'`);
    }
    if (capWarn(ctx, 'be')) return ERR_WARN;
    const a = ctx.args;
    const key = ctx.proxy!;
    // http-check and tcp-check rules share one ruleset; moving from one kind to the other starts it afresh
    let rs = checkSteps.get(key);
    if (!rs || rs.head !== head) checkSteps.set(key, (rs = { head, steps: [] }));
    const list = rs.steps;
    if (sub === 'connect') {
      const first = list.find((s) => !['comment', 'set-var', 'set-var-fmt', 'unset-var'].includes(s));
      if (first !== undefined && first !== 'connect') {
        return ctx.alert(
          `'${head} connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.`,
        );
      }
      for (let i = 2; i < a.length; i++) {
        if (a[i] === 'addr') {
          const v = a[i + 1];
          if (!v) return ctx.alert(`'${head} connect' : 'addr' expects an address as argument.`);
          const e = addrProblem(v, true);
          if (e) return ctx.alert(`'${head} connect' : 'addr' : ${e}..`);
          i++;
        } else if (['port', 'send-proxy', 'via-socks4', 'ssl', 'sni', 'alpn', 'proto', 'linger', 'comment', 'default'].includes(a[i])) {
          if (['port', 'sni', 'alpn', 'proto', 'comment'].includes(a[i])) i++;
        }
      }
    } else if (sub === 'send' && head === 'http-check') {
      for (let i = 2; i < a.length; i++) {
        const w = a[i];
        if (['meth', 'uri', 'uri-lf', 'ver', 'body', 'body-lf', 'comment'].includes(w)) {
          if (!a[i + 1]) return ctx.alert(`'${head} send' : '${w}' expects a string as argument..`);
          i++;
        } else if (w === 'hdr') {
          i += 2;
        }
      }
    }
    if (!['disable-on-404', 'send-state'].includes(sub)) list.push(sub);
    keep(ctx, 2);
    return 0;
  };
}

/** The check steps of each proxy's ruleset, in order (for the first-step rule). */
const checkSteps = new WeakMap<object, { head: string; steps: string[] }>();

/* ---- filter -------------------------------------------------------------- */

const FILTERS = ['cache', 'compression', 'fcgi-app', 'opentracing', 'spoe', 'trace'];

function parseFilter(ctx: KwContext): number {
  if (ctx.proxy?.kind === 'defaults') return ctx.alert(`parsing [${ctx.file}:${ctx.line}] : filter is not allowed in a 'default' section.`);
  const name = ctx.args[1] ?? '';
  if (!FILTERS.includes(name)) {
    return ctx.alert(
      `'filter' : unknown keyword '${name}'. Registered keywords :\n    [CACHE] cache\n    [COMP] compression\n    [FCGI] fcgi-app\n    [  OT] opentracing\n    [SPOE] spoe\n    [TRACE] trace`,
    );
  }
  const a = ctx.args;
  if (name === 'compression' && a[2] !== undefined) return ctx.alert(`'filter compression' : unknown keyword '${a[2]}'.`);
  if (name === 'spoe') {
    let cfg: string | undefined;
    for (let i = 2; i < a.length; i++) {
      if (a[i] === 'config') {
        cfg = a[i + 1];
        if (!cfg) return ctx.alert(`'filter' : ''spoe' : 'config' expects a file'`);
        i++;
      } else if (a[i] === 'engine') {
        if (!a[i + 1]) return ctx.alert(`'filter' : ''spoe' : 'engine' expects a name'`);
        i++;
      } else {
        return ctx.alert(`'filter' : ''spoe' : unknown argument '${a[i]}''`);
      }
    }
    if (cfg === undefined) return ctx.alert(`'filter' : ''spoe' : missing config file'`);
    if (!existsSync(cfg)) return ctx.alert(`'filter' : 'Could not open configuration file ${cfg} : No such file or directory'`);
  }
  keep(ctx);
  return 0;
}

/* ---- source, persist, rate-limit, external-check, email-alert, stick, declare */

function parseSource(ctx: KwContext): number {
  if (capWarn(ctx, 'be')) return ERR_WARN;
  const a = ctx.args;
  if (!a[1]) return ctx.alert(`'${a[0]}' expects <addr>[:<port>], and optionally 'usesrc' <addr>, and 'interface' <name>.`);
  const r = parseAddress(a[1], { portOptional: true });
  if (!r.ok) return ctx.alert(`'${a[0]} ${a[1]}' : ${r.error}`);
  keep(ctx);
  return 0;
}

function parsePersist(ctx: KwContext): number {
  if (capWarn(ctx, 'be')) return ERR_WARN;
  const m = ctx.args[1] ?? '';
  if (!/^rdp-cookie(\(.*\))?$/.test(m)) return ctx.alert('unknown persist method.');
  keep(ctx, 2);
  return 0;
}

function parseRateLimit(ctx: KwContext): number {
  if (capWarn(ctx, 'fe')) return ERR_WARN;
  if (ctx.args[1] !== 'sessions') return ctx.alert(`'${ctx.args[0]}' only supports 'sessions' (got '${ctx.args[1] ?? ''}')`);
  keep(ctx, 2);
  return 0;
}

function parseExternalCheck(ctx: KwContext): number {
  const sub = ctx.args[1] ?? '';
  if (sub !== 'command' && sub !== 'path') return ctx.alert(`'${ctx.args[0]}' only supports 'command' and 'path'. but got '${sub}'.`);
  if (!ctx.args[2]) return ctx.alert(`missing argument after '${sub}'.`);
  keep(ctx, 2);
  return 0;
}

function parseEmailAlert(ctx: KwContext): number {
  const a = ctx.args;
  if (!a[1]) return ctx.alert(`missing argument after '${a[0]}'.`);
  if (!['from', 'mailers', 'myhostname', 'to', 'level'].includes(a[1])) return ctx.alert(`email-alert: unknown argument '${a[1]}'.`);
  if (!a[2]) return ctx.alert(`missing argument after '${a[1]}'.`);
  if (a[1] === 'level' && !LOG_LEVELS.includes(a[2])) return ctx.alert(`unknown log level '${a[2]}' after '${a[1]}'`);
  keep(ctx, 2);
  return 0;
}

function parseStick(ctx: KwContext): number {
  if (ctx.proxy?.kind === 'defaults') return ctx.alert(`'${ctx.args[0]}' is not supported in 'defaults' section.`);
  if (capWarn(ctx, 'be')) return ERR_WARN;
  const sub = ctx.args[1] ?? '';
  if (!['store', 'store-request', 'store-response', 'match', 'on'].includes(sub)) return ctx.alert(`'${ctx.args[0]}' expects 'on', 'match', or 'store'.`);
  if (!ctx.args[2]) return ctx.alert(`'${ctx.args[0]}' expects a fetch method.`);
  keep(ctx, 2);
  return 0;
}

function parseDeclare(ctx: KwContext): number {
  const p = ctx.proxy!;
  if (p.kind === 'defaults') return ctx.alert(`'${ctx.args[0]}' not available in default section`);
  if (p.kind === 'backend') return ctx.alert(`'${ctx.args[0]}' only available in frontend or listen section`);
  if (ctx.args[1] !== 'capture') return ctx.alert(`'${ctx.args[0]}' only supports 'capture'.`);
  const dir = ctx.args[2];
  if (dir !== 'request' && dir !== 'response') return ctx.alert(`'${ctx.args[0]} ${ctx.args[1]}' requires a direction ('request' or 'response').`);
  if (ctx.args[3] !== 'len' || !ctx.args[4]) return ctx.alert(`'${ctx.args[0]} ${ctx.args[1]}' requires a length ('len').`);
  keep(ctx, 2);
  return 0;
}

registerKeywords([
  row('http-check', checkRules('http-check')),
  row('tcp-check', checkRules('tcp-check')),
  { name: 'filter', sections: PROXY_SECTIONS, support: 'no', parse: parseFilter },
  row('source', parseSource),
  row('persist', parsePersist),
  row('rate-limit', parseRateLimit),
  row('external-check', parseExternalCheck),
  row('email-alert', parseEmailAlert),
  row('stick', parseStick),
  row('declare', parseDeclare),
]);

// `stats show-modules` is a 2.6 keyword the manual's keyword list misses
family('stats:proxy').set('show-modules', { name: 'show-modules', parse: ((ctx: KwContext) => (keep(ctx, 2), 0)) as (ctx: unknown) => number, support: 'no' });

/** `stats show-desc [<desc>]`: without text it shows the global `description`, which must be set by then. */
function parseShowDesc(ctx: KwContext): number {
  keep(ctx, 2);
  if (ctx.args[2] || ctx.config.global.directives.some((d) => d.keyword === 'description')) return 0;
  return ctx.warn(`'${ctx.args[1]}' requires a parameter or 'desc' to be set in the global section.`, 'parsing-tight');
}
family('stats:proxy').set('show-desc', { name: 'show-desc', parse: parseShowDesc as (ctx: unknown) => number, support: 'no' });

/** Any `stats` line gives the proxy a stats page (HAProxy's uri_auth), its own or its defaults section's. */
function hasStats(p: Proxy): boolean {
  for (let q: Proxy | undefined = p; q; q = q.defaultsProxy) if (q.directives.some((d) => d.keyword.startsWith('stats '))) return true;
  return false;
}
registerProxyCheck(Stage.httpOnly + 0.1, (p, _c, diags) => {
  if (!httpIgnored(p) || !hasStats(p)) return 0;
  diags.warning(`'stats' statement ignored for ${proxyTypeStr(p)} '${p.name}' as it requires HTTP mode.`, undefined, undefined, 'none');
  return ERR_WARN;
});

/** `external-check command|path` apply only with `option external-check` (both are inherited by every proxy). */
for (const [sub, at] of [['command', 0.3], ['path', 0.4]] as const) {
  registerProxyCheck(Stage.externalCheck + at, (p, _c, diags) => {
    const d = directiveInForce(p, `external-check ${sub}`);
    if (!d) return 0;
    let err = 0;
    const ext = p.options.get('external-check')?.enabled === true;
    if (!ext) {
      diags.warning(`'external-check ${sub}' will be ignored for ${proxyTypeStr(p)} '${p.name}' (requires 'option external-check').`, undefined, undefined, 'none');
      err |= ERR_WARN;
    }
    if (sub === 'command' && !d.args[0]?.startsWith('/') && !directiveInForce(p, 'external-check path')) {
      diags.alert(`Proxy '${p.name}': 'external-check command' does not have a leading '/' and 'external-check path' is not set.`, undefined, undefined, 'none');
      err |= ERR_ALERT | ERR_FATAL;
    }
    return err;
  });
}

// keep the families coherent for suggestions elsewhere
export const _fam = family('http-check:proxy');
