/**
 * `option <name>` in proxy sections, as HAProxy 2.6 parses it: the simple
 * flag options of proxy.c's cfg_opts/cfg_opts2 tables first, then the
 * options parsed one by one (httpclose, redispatch, httplog, httpchk,
 * forwardfor...), and "did you mean" over the same candidate order.
 * Rows already in family 'option:proxy' (legacy options) are kept.
 */
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import type { Proxy } from '../../model.js';
import { bestMatch, family, PROXY_SECTIONS, registerKeywords, type KwContext } from '../../registry.js';
import { isBackend, isFrontend, proxyTypeStr } from './section.js';
import { setLogFormat } from './log.js';
import { registerProxyCheck, Stage } from '../../postchecks.js';
import { httpIgnored } from '../rules/http.js';
import { directiveInForce } from '../generic.js';

type Cap = 'fe' | 'be' | 'both';

/** cfg_opts then cfg_opts2, in proxy.c's order (the order matters for suggestions). */
const SIMPLE: [string, Cap][] = [
  ['abortonclose', 'be'], ['allbackups', 'be'], ['checkcache', 'be'], ['clitcpka', 'fe'], ['contstats', 'fe'],
  ['dontlognull', 'fe'], ['http-buffer-request', 'both'], ['http-ignore-probes', 'fe'], ['idle-close-on-response', 'fe'],
  ['prefer-last-server', 'be'], ['logasap', 'fe'], ['nolinger', 'both'], ['persist', 'be'], ['srvtcpka', 'be'],
  ['transparent', 'be'],
  ['splice-request', 'both'], ['splice-response', 'both'], ['splice-auto', 'both'],
  ['accept-invalid-http-request', 'fe'], ['accept-invalid-http-response', 'be'], ['dontlog-normal', 'fe'],
  ['log-separate-errors', 'fe'], ['log-health-checks', 'be'], ['socket-stats', 'fe'], ['tcp-smart-accept', 'fe'],
  ['tcp-smart-connect', 'be'], ['independent-streams', 'both'], ['http-use-proxy-header', 'fe'],
  ['http-pretend-keepalive', 'be'], ['http-no-delay', 'both'], ['h1-case-adjust-bogus-client', 'fe'],
  ['h1-case-adjust-bogus-server', 'be'], ['disable-h2-upgrade', 'fe'],
];

/** cfgparse-listen.c's common_options (2.6): the specially parsed options offered as suggestions. */
const COMMON = [
  'httpclose', 'http-server-close', 'http-keep-alive', 'redispatch', 'httplog', 'tcplog', 'tcpka', 'httpchk',
  'ssl-hello-chk', 'smtpchk', 'pgsql-check', 'redis-check', 'mysql-check', 'ldap-check', 'spop-check', 'tcp-check',
  'external-check', 'forwardfor', 'original-to',
];

const CANDIDATES = [...SIMPLE.map(([n]) => n), ...COMMON];

/** Which log format a defaults section last set ("option httplog", "log-format"...), for the override warning. */
export const defaultsLogFormat = new WeakMap<Proxy, string>();

/** HAProxy's warning when a defaults section replaces one log format by another. */
export function noteLogFormat(ctx: KwContext, what: string, said = what): number {
  const p = ctx.proxy;
  if (!p || p.kind !== 'defaults') return 0;
  const prev = defaultsLogFormat.get(p);
  defaultsLogFormat.set(p, what);
  if (prev) return ctx.warn(`'${said}' overrides previous '${prev}' in 'defaults' section.`, 'parsing-tight');
  return 0;
}

function setOpt(ctx: KwContext, name: string, args: string[] = []): void {
  const p = ctx.proxy;
  if (!p) return;
  if (ctx.kwm === 'default') {
    const d = ctx.defproxy?.options.get(name);
    if (d) p.options.set(name, d);
    else p.options.delete(name);
    return;
  }
  p.options.set(name, { enabled: ctx.kwm === 'std', args, pos: ctx.pos() });
}

function hasCap(p: Proxy, cap: Cap): boolean {
  return cap === 'both' || (cap === 'fe' ? isFrontend(p) : isBackend(p));
}

function capWarn(ctx: KwContext, cap: Cap, name: string): boolean {
  const p = ctx.proxy!;
  if (hasCap(p, cap)) return false;
  ctx.warn(`'${name}' ignored because ${proxyTypeStr(p)} '${p.name}' has no ${cap === 'fe' ? 'frontend' : 'backend'} capability.`);
  return true;
}

/** alertif_too_many_args_idx(n, 1): more than n values after `option <name>`. */
function tooMany(ctx: KwContext, args: string[], n: number): number {
  const extra = args[2 + n];
  if (extra === undefined || extra === '') return 0;
  return ctx.alert(`'option ${args[1]}' cannot handle unexpected argument '${extra}'.`);
}

/** HAProxy leaves the last word duplicated after a `default` prefix (its shift loop does). */
function hapArgs(ctx: KwContext): string[] {
  if (ctx.kwm === 'default' && ctx.args.length > 1) return [...ctx.args, ctx.args[ctx.args.length - 1]];
  return ctx.args;
}

type OptParser = (ctx: KwContext, args: string[]) => number;

function simple(name: string, cap: Cap): OptParser {
  return (ctx, args) => {
    const e = tooMany(ctx, args, 0);
    if (e) return e;
    if (capWarn(ctx, cap, name)) return ERR_WARN;
    setOpt(ctx, name);
    return 0;
  };
}

const negationRefused = (ctx: KwContext, name: string) => ctx.alert(`negation/default is not supported for option '${name}'.`, 'parsing-tight');

/** Options that accept `no`/`default`. */
const httpMode: OptParser = (ctx, args) => {
  const e = tooMany(ctx, args, 0);
  if (e) return e;
  const p = ctx.proxy!;
  if (ctx.kwm === 'std') {
    for (const o of ['httpclose', 'http-server-close', 'http-keep-alive']) p.options.delete(o);
  }
  setOpt(ctx, args[1]);
  return 0;
};

const redispatch: OptParser = (ctx, args) => {
  if (capWarn(ctx, 'be', 'redispatch')) return ERR_WARN;
  setOpt(ctx, 'redispatch', args[2] ? [args[2]] : []);
  return 0;
};

/* options refusing no/default: each receives the already checked std form */

const logOpt = (kind: 'httplog' | 'httpslog' | 'tcplog'): OptParser => (ctx, args) => {
  let what = `option ${kind}`;
  if (kind === 'httplog' && args[2]) {
    if (args[2] !== 'clf') return ctx.alert(`keyword '${args[1]}' only supports option 'clf'.`);
    const e = tooMany(ctx, args, 1);
    if (e) return e;
    what = 'option httplog clf';
  } else if (kind !== 'httpslog') {
    const e = tooMany(ctx, args, 0);
    if (e) return e;
  }
  const p = ctx.proxy!;
  // HAProxy 2.6 names 'option httpslog' 'option httplog' in this warning
  let err = noteLogFormat(ctx, what, kind === 'httpslog' ? 'option httplog' : what);
  // a backend keeps the format it is told to ignore (HAProxy's later checks still see it)
  setLogFormat(ctx, what === 'option httplog clf' ? 'httplog clf' : kind);
  if (p.kind === 'backend') {
    err |= ctx.warn(`${proxyTypeStr(p)} '${p.name}' : '${what.replace(' clf', '')}' directive is ignored in backends.`);
    return err;
  }
  for (const o of ['httplog', 'httpslog', 'tcplog']) p.options.delete(o);
  setOpt(ctx, kind, args.slice(2));
  return err;
};

/** The health check types: a proxy has one (HAProxy's PR_O2_CHK_ANY). */
const CHECK_TYPES = ['httpchk', 'ssl-hello-chk', 'smtpchk', 'pgsql-check', 'redis-check', 'mysql-check', 'ldap-check', 'spop-check', 'tcp-check', 'external-check'];

const checkOpt = (name: string, argCheck: (ctx: KwContext, args: string[]) => number): OptParser => (ctx, args) => {
  let err = 0;
  if (capWarn(ctx, 'be', name)) err |= ERR_WARN;
  const e = argCheck(ctx, args);
  // a warning from the arguments does not stop the option
  if (e & ERR_FATAL) return err | e;
  err |= e;
  if (isBackend(ctx.proxy!)) {
    for (const o of CHECK_TYPES) {
      if (o !== name) ctx.proxy!.options.delete(o);
    }
    setOpt(ctx, name, args.slice(2));
  }
  return err;
};

const noArgs = (n: number) => (ctx: KwContext, args: string[]) => tooMany(ctx, args, n);

/** `option httpchk [<method>] [<uri>] [<version>]`: extra request lines after the version are deprecated. */
const httpchkArgs = (ctx: KwContext, args: string[]): number => {
  const e = tooMany(ctx, args, 3);
  if (e) return e;
  // the line reader has turned \r\n escapes (unquoted or in double quotes) into CR LF
  if (!args[4]?.includes('\r\n')) return 0;
  return ctx.warn(
    `'${args[0]} ${args[1]}' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.`,
    'parsing-tight',
  );
};

const mysqlCheck = (ctx: KwContext, args: string[]): number => {
  if (!args[2]) return 0;
  if (args[2] !== 'user') return ctx.alert(`'option mysql-check' only supports optional values: 'user' (got '${args[2]}').`);
  if (!args[3]) return ctx.alert(`'option mysql-check user' expects <username> as argument.`);
  if (args[4]) {
    if (args[4] !== 'post-41' && args[4] !== 'pre-41') return ctx.alert(`keyword '${args[2]}' only supports 'post-41' and 'pre-41' (got '${args[4]}').`);
    return tooMany(ctx, args, 3);
  }
  return 0;
};

const pgsqlCheck = (ctx: KwContext, args: string[]): number => {
  if (args[2] !== 'user' || !args[3]) return ctx.alert(`'option pgsql-check' expects 'user <username>' as argument.`);
  return tooMany(ctx, args, 2);
};

const forwardOpt = (name: 'forwardfor' | 'originalto'): OptParser => (ctx, args) => {
  const allowed = name === 'forwardfor' ? ['except', 'header', 'if-none'] : ['except', 'header'];
  for (let i = 2; i < args.length && args[i] !== ''; i++) {
    const w = args[i];
    if (w === 'except') {
      const v = args[i + 1];
      if (!v || !/^[0-9a-fA-F:.]+(\/\d+)?$/.test(v) || !validNet(v)) return ctx.alert(`'option ${name} except' expects <address>[/mask] as argument.`);
      i++;
    } else if (w === 'header') {
      if (!args[i + 1]) return ctx.alert(`'option ${name} header' expects <header_name> as argument.`);
      i++;
    } else if (w === 'if-none' && allowed.includes(w)) {
      /* flag */
    } else {
      return ctx.alert(
        name === 'forwardfor'
          ? `'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.`
          : `'option originalto' only supports optional values: 'except' and 'header'.`,
      );
    }
  }
  setOpt(ctx, name, args.slice(2));
  return 0;
};

function validNet(v: string): boolean {
  const [addr, mask] = v.split('/');
  if (addr.includes(':')) return mask === undefined || +mask <= 128;
  const parts = addr.split('.');
  if (parts.length !== 4 || parts.some((x) => x === '' || +x > 255)) return false;
  if (mask === undefined) return true;
  return +mask <= 32;
}

const restrictHdr: OptParser = (ctx, args) => {
  const v = args[2];
  if (!v) return ctx.alert(`missing parameter. option '${args[1]}' expects 'preserve', 'reject' or 'delete' option.`);
  if (!['preserve', 'reject', 'delete'].includes(v)) {
    return ctx.alert(`invalid parameter '${v}'. option '${args[1]}' expects 'preserve', 'reject' or 'delete' option.`);
  }
  if (args[3]) return ctx.alert(`'option' cannot handle unexpected argument '${args[3]}'.`);
  setOpt(ctx, args[1], [v]);
  return 0;
};

const externalCheck: OptParser = (ctx, args) => {
  const e = tooMany(ctx, args, 0);
  if (e) return e;
  // one health check type per proxy, and HAProxy sets this one whatever the proxy's sides
  for (const o of CHECK_TYPES) if (o !== 'external-check') ctx.proxy!.options.delete(o);
  setOpt(ctx, 'external-check');
  return 0;
};

/** `option external-check` needs the global `external-check` and a command (checked per proxy after parsing). */
registerProxyCheck(Stage.externalCheck + 0.1, (p, config, diags) => {
  if (p.options.get('external-check')?.enabled !== true) return 0;
  let err = 0;
  const global = (kw: string) => config.global.directives.some((d) => d.keyword === kw);
  const missing = (what: string) => {
    diags.alert(`Proxy '${p.name}' : 'option external-check' unable to find required '${what}'.`, undefined, undefined, 'none');
    err |= ERR_ALERT | ERR_FATAL;
  };
  if (!global('external-check')) missing('global.external-check');
  if (!directiveInForce(p, 'external-check command')) missing('external-check command');
  if (!global('insecure-fork-wanted')) {
    diags.warning(`Proxy '${p.name}' : 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail.`, undefined, undefined, 'none');
    err |= ERR_WARN;
  }
  return err;
});

/**
 * The options of proxy.c's tables that only work in HTTP mode, in table order
 * (cfg_opts, then cfg_opts2), after forwardfor and originalto which any proxy
 * reports. A proxy that is not in HTTP mode drops them with a warning.
 */
const HTTP_ONLY: [string, Cap][] = [
  ['forwardfor', 'both'], ['originalto', 'both'],
  ...SIMPLE.filter(([n]) =>
    [
      'checkcache', 'http-buffer-request', 'http-ignore-probes', 'idle-close-on-response', 'prefer-last-server',
      'accept-invalid-http-request', 'accept-invalid-http-response', 'http-use-proxy-header', 'http-pretend-keepalive',
      'http-no-delay', 'disable-h2-upgrade',
    ].includes(n),
  ),
];
registerProxyCheck(Stage.httpOnly + 0.7, (p, _config, diags) => {
  if (!httpIgnored(p)) return 0;
  let err = 0;
  for (const [name, cap] of HTTP_ONLY) {
    if (p.options.get(name)?.enabled !== true || !hasCap(p, cap)) continue;
    diags.warning(`'option ${name}' ignored for ${proxyTypeStr(p)} '${p.name}' as it requires HTTP mode.`, undefined, undefined, 'none');
    err |= ERR_WARN;
  }
  return err;
});

const tcpka: OptParser = (ctx, args) => {
  const e = tooMany(ctx, args, 0);
  if (e) return e;
  setOpt(ctx, 'tcpka');
  return 0;
};

const httpsLog: OptParser = logOpt('httpslog');

/** options that refuse `no`/`default` */
const SPECIAL: Record<string, OptParser> = {
  httplog: logOpt('httplog'),
  httpslog: httpsLog,
  tcplog: logOpt('tcplog'),
  tcpka,
  httpchk: checkOpt('httpchk', httpchkArgs),
  'ssl-hello-chk': checkOpt('ssl-hello-chk', noArgs(0)),
  smtpchk: checkOpt('smtpchk', noArgs(2)),
  'pgsql-check': checkOpt('pgsql-check', pgsqlCheck),
  'redis-check': checkOpt('redis-check', noArgs(0)),
  'mysql-check': checkOpt('mysql-check', mysqlCheck),
  'ldap-check': checkOpt('ldap-check', noArgs(0)),
  'spop-check': checkOpt('spop-check', noArgs(0)),
  'tcp-check': checkOpt('tcp-check', noArgs(0)),
  'external-check': externalCheck,
  forwardfor: forwardOpt('forwardfor'),
  originalto: forwardOpt('originalto'),
  'http-restrict-req-hdr-names': restrictHdr,
};

const fam = family('option:proxy');
const wrap = (p: OptParser, negatable: boolean) => (ctx: KwContext): number => {
  if (!ctx.proxy) return 0;
  if (!negatable && ctx.kwm !== 'std') return negationRefused(ctx, ctx.args[1]);
  return p(ctx, hapArgs(ctx));
};
for (const [name, cap] of SIMPLE) {
  if (!fam.has(name)) fam.set(name, { name, parse: wrap(simple(name, cap), true) as (c: unknown) => number, support: 'no' });
}
for (const name of ['httpclose', 'http-server-close', 'http-keep-alive']) {
  if (!fam.has(name)) fam.set(name, { name, parse: wrap(httpMode, true) as (c: unknown) => number, support: 'no' });
}
if (!fam.has('redispatch')) fam.set('redispatch', { name: 'redispatch', parse: wrap(redispatch, true) as (c: unknown) => number, support: 'no' });
for (const [name, p] of Object.entries(SPECIAL)) {
  if (!fam.has(name)) fam.set(name, { name, parse: wrap(p, false) as (c: unknown) => number, support: 'no' });
}

/** The `option` keyword of proxy sections. */
function parseOption(ctx: KwContext): number {
  const name = ctx.args[1] ?? '';
  if (!name) return ctx.alert(`'${ctx.args[0]}' expects an option name.`, 'parsing-tight');
  const row = family('option:proxy').get(name);
  if (row) return row.parse(ctx);
  if (ctx.kwm !== 'std') return negationRefused(ctx, name);
  const best = bestMatch(name, CANDIDATES);
  return ctx.alert(best ? `unknown option '${name}'; did you mean '${best}' maybe ?` : `unknown option '${name}'.`);
}

registerKeywords([{ name: 'option', sections: PROXY_SECTIONS, support: 'no', parse: parseOption }]);
