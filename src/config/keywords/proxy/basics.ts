/**
 * Proxy keywords with simple arguments: mode, timeout, balance, hash-type,
 * cookie, maxconn, fullconn, backlog, retries, disabled, enabled, id,
 * description, errorfile family, http-error, compression, monitor-uri,
 * monitor, http-reuse, capture, unique-id-*, stick-table in
 * defaults. Messages and checks are HAProxy 2.6's (cfgparse-listen.c,
 * proxy.c, http_htx.c).
 */
import { parseStickTableLine } from './stick.js';
import { existsSync, statSync } from 'node:fs';
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { atoi, atoiC, parseTime } from '../../../parser/values.js';
import type { Directive, Proxy } from '../../model.js';
import { family, PROXY_SECTIONS, registerKeywords, type KwContext, type KeywordRow } from '../../registry.js';
import { isBackend, isFrontend, proxyTypeStr, tooManyArgs } from './section.js';
import { httpIgnored, markSeen, warnMisplaced } from '../rules/http.js';
import { parseCondition } from '../rules/condition.js';
import { registerProxyCheck, Stage } from '../../postchecks.js';
import { directiveInForce } from '../generic.js';

function keepDirective(ctx: KwContext, words = 1): Directive {
  const d: Directive = { keyword: ctx.args.slice(0, words).join(' '), args: ctx.args.slice(words), file: ctx.file, line: ctx.line, column: ctx.columns[0] };
  ctx.proxy?.directives.push(d);
  return d;
}

/** warnifnotcap() with HAProxy's optional hint ("Maybe you want ..."). */
export function capWarn(ctx: KwContext, need: 'fe' | 'be', name = ctx.args[0], hint?: string): boolean {
  const p = ctx.proxy;
  if (!p) return false;
  if (need === 'fe' ? isFrontend(p) : isBackend(p)) return false;
  ctx.warn(`'${name}' ignored because ${proxyTypeStr(p)} '${p.name}' has no ${need === 'fe' ? 'frontend' : 'backend'} capability.${hint ? ` ${hint}` : ''}`);
  return true;
}

function notInDefaults(ctx: KwContext, name = ctx.args[0], style: 'parsing' | 'parsing-tight' = 'parsing'): boolean {
  if (ctx.proxy?.kind !== 'defaults') return false;
  ctx.alert(`'${name}' not allowed in 'defaults' section.`, style);
  return true;
}

const row = (name: string, parse: (ctx: KwContext) => number): KeywordRow => ({ name, sections: PROXY_SECTIONS, support: 'no', parse });

/* ---- mode ---------------------------------------------------------------- */

function parseMode(ctx: KwContext): number {
  const e = tooManyArgs(ctx, 1);
  if (e) return e;
  const m = ctx.args[1] ?? '';
  const p = ctx.proxy!;
  if (m === 'http' || m === 'tcp') {
    p.mode = m;
    p.modeSet = true;
    return 0;
  }
  if (m === 'health') return ctx.alert(`'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead.`);
  return ctx.alert(`unknown proxy mode '${m}'.`);
}

/* ---- timeout ------------------------------------------------------------- */

/** timeout name → side of the proxy it applies to */
export const TIMEOUTS: Record<string, 'fe' | 'be' | 'both'> = {
  client: 'fe', server: 'be', connect: 'be', check: 'be', queue: 'be', 'http-keep-alive': 'both',
  'http-request': 'both', tunnel: 'be', tarpit: 'both', 'client-fin': 'fe', 'server-fin': 'be',
};
const LEGACY_TIMEOUTS: Record<string, string> = { clitimeout: 'client', srvtimeout: 'server', contimeout: 'connect' };

function parseTimeout(ctx: KwContext): number {
  const name = ctx.args[1] ?? '';
  const p = ctx.proxy!;
  if (LEGACY_TIMEOUTS[name]) {
    return ctx.alert(`the '${name}' directive is not supported anymore since HAProxy 2.1. Use 'timeout ${LEGACY_TIMEOUTS[name]}'.`);
  }
  const side = TIMEOUTS[name];
  if (!side) {
    return ctx.alert(
      `'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '${name}')`,
    );
  }
  const v = ctx.args[2];
  if (!v) return ctx.alert(`'timeout ${name}' expects an integer value (in milliseconds)`);
  const t = parseTime(v);
  if (!t.ok) {
    if (t.reason === 'overflow') return ctx.alert(`timer overflow in argument '${v}' to 'timeout ${name}' (maximum value is 2147483647 ms or ~24.8 days)`);
    if (t.reason === 'underflow') return ctx.alert(`timer underflow in argument '${v}' to 'timeout ${name}' (minimum non-null value is 1 ms)`);
    return ctx.alert(`unexpected character '${t.at[0]}' in 'timeout ${name}'`);
  }
  let err = 0;
  const capOk = side === 'both' || (side === 'fe' ? isFrontend(p) : isBackend(p));
  if (!capOk) {
    err |= ctx.warn(
      `'timeout ${name}' will be ignored because ${proxyTypeStr(p)} '${p.name}' has no ${side === 'fe' ? 'frontend' : 'backend'} capability`,
    );
  } else {
    const inherited = ctx.defproxy?.timeouts.get(name);
    const cur = p.timeouts.get(name);
    if (p.kind !== 'defaults' && cur !== undefined && cur !== inherited) err |= ctx.warn(`overwriting 'timeout ${name}' which was already specified`);
  }
  if (ctx.args[3] !== undefined) return ctx.alert(`'timeout ${name}' : unexpected extra argument '${ctx.args[3]}' after value '${v}'.`);
  if (capOk) p.timeouts.set(name, t.ms);
  return err;
}

/* ---- balance, hash-type -------------------------------------------------- */

const BALANCE_ONLY =
  "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.";

/** HAProxy's backend_parse_balance(); returns an error text or undefined. */
export function checkBalance(args: string[]): string | undefined {
  const algo = args[0];
  if (['roundrobin', 'static-rr', 'leastconn', 'first', 'source'].includes(algo)) return undefined;
  if (algo.startsWith('random')) {
    const m = /^random(?:\((.*)\))?$/.exec(algo);
    if (algo !== 'random') {
      const inner = algo.startsWith('random(') ? algo.slice(7) : algo.slice(6);
      const digits = /^\d*/.exec(inner)![0];
      const rest = inner.slice(digits.length);
      if (rest !== ')' || !m) {
        const c = rest[0] ?? '';
        if (!algo.startsWith('random(')) return BALANCE_ONLY;
        return `balance random : unexpected character '${c}' after argument.`;
      }
    }
    return undefined;
  }
  if (algo === 'uri') {
    for (let i = 1; i < args.length; i++) {
      const a = args[i];
      if (a === 'len' || a === 'depth') {
        const v = args[i + 1] ?? '';
        if (!/^\d+$/.test(v) || +v <= 0) return `balance uri : '${a}' expects a positive integer (got '${v}').`;
        i++;
      } else if (a === 'whole' || a === 'path-only') {
        /* flags */
      } else return `balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '${a}').`;
    }
    return undefined;
  }
  if (algo === 'url_param') {
    if (!args[1]) return 'balance url_param requires an URL parameter name.';
    for (let i = 2; i < args.length; i++) {
      const a = args[i];
      if (a === 'check_post') {
        const v = args[i + 1];
        if (v !== undefined && /^\d/.test(v)) i++;
      } else if (a === 'max_wait') {
        i++;
      } else return `'balance url_param' only accepts check_post modifier.`;
    }
    return undefined;
  }
  if (algo.startsWith('hdr(')) {
    const end = algo.indexOf(')');
    if (end < 0 || end === 4) return 'balance hdr requires an http header field name.';
    if (args[1] !== undefined && args[1] !== 'use_domain_only') {
      return `'balance hdr(${algo.slice(4, end)})' only accepts 'use_domain_only' modifier (got '${args[1]}').`;
    }
    return undefined;
  }
  if (algo.startsWith('rdp-cookie')) {
    if (algo === 'rdp-cookie') return undefined;
    if (!algo.startsWith('rdp-cookie(')) return BALANCE_ONLY;
    const end = algo.indexOf(')');
    if (end < 0 || end === 11) return 'balance rdp-cookie : missing cookie name.';
    return undefined;
  }
  if (algo === 'hash') {
    if (!args[1]) return 'balance hash requires a sample expression.';
    return undefined;
  }
  return BALANCE_ONLY;
}

function parseBalance(ctx: KwContext): number {
  if (capWarn(ctx, 'be')) return ERR_WARN;
  if (!ctx.args[1]) return 0;
  const e = checkBalance(ctx.args.slice(1));
  if (e) return ctx.alert(e);
  ctx.proxy!.balance = { algo: ctx.args[1], args: ctx.args.slice(2), file: ctx.file, line: ctx.line, column: ctx.columns[0] };
  return 0;
}

function parseHashType(ctx: KwContext): number {
  if (capWarn(ctx, 'be')) return ERR_WARN;
  const kind = ctx.args[1] ?? '';
  if (kind !== 'consistent' && kind !== 'map-based' && kind !== 'avalanche') {
    return ctx.alert(`'hash-type' only supports 'consistent' and 'map-based'.`);
  }
  const fn = ctx.args[2];
  if (fn !== undefined && fn !== '') {
    if (!['sdbm', 'djb2', 'crc32', 'wt6'].includes(fn)) {
      return ctx.alert(`'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.`);
    }
    const mod = ctx.args[3];
    if (mod !== undefined && mod !== '' && mod !== 'avalanche') {
      return ctx.alert(`'hash-type' only supports 'avalanche' as a modifier for hash functions.`);
    }
  }
  ctx.proxy!.hashType = ctx.args.slice(1);
  return 0;
}

/* ---- cookie -------------------------------------------------------------- */

function parseCookie(ctx: KwContext): number {
  let err = 0;
  if (capWarn(ctx, 'be')) err |= ERR_WARN;
  const a = ctx.args;
  if (!a[1]) return err | ctx.alert(`'${a[0]}' expects <cookie_name> as argument.`);
  const opts: string[] = [];
  const flags = new Set<string>();
  for (let i = 2; i < a.length; i++) {
    const w = a[i];
    if (['rewrite', 'indirect', 'insert', 'nocache', 'postonly', 'preserve', 'prefix', 'httponly', 'secure', 'dynamic'].includes(w)) {
      flags.add(w);
      opts.push(w);
    } else if (w === 'domain') {
      const d = a[i + 1];
      if (!d) return err | ctx.alert(`'${w}' expects <domain> as argument.`);
      if (!d.includes('.')) err |= ctx.warn(`domain '${d}' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3).`, 'parsing-tight');
      const bad = /[^A-Za-z0-9.\-_]/.exec(d);
      if (bad) return err | ctx.alert(`character '${bad[0]}' is not permitted in domain name '${d}'.`);
      opts.push(w, d);
      i++;
    } else if (w === 'maxidle' || w === 'maxlife') {
      const v = a[i + 1];
      if (!v) return err | ctx.alert(`'${w}' expects <${w === 'maxidle' ? 'idletime' : 'lifetime'}> in seconds as argument.`);
      const t = parseTime(v, 's');
      if (!t.ok) {
        if (t.reason === 'overflow') return err | ctx.alert(`timer overflow in argument <${v}> to <${w}>, maximum value is 2147483647 s (~68 years).`);
        return err | ctx.alert(`unexpected character '${t.at[0]}' in argument to <${w}>.`);
      }
      opts.push(w, v);
      i++;
    } else if (w === 'attr') {
      const v = a[i + 1];
      if (!v) return err | ctx.alert(`'${w}' expects <value> as argument.`);
      opts.push(w, v);
      i++;
    } else {
      return (
        err |
        ctx.alert(
          `'${a[0]}' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.`,
        )
      );
    }
  }
  if (flags.has('rewrite') && flags.has('indirect')) return err | ctx.alert(`cookie 'rewrite' and 'indirect' modes are incompatible.`);
  if (['rewrite', 'insert', 'prefix'].filter((f) => flags.has(f)).length > 1) {
    return err | ctx.alert(`cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.`);
  }
  if (flags.has('preserve') && !flags.has('insert') && !flags.has('indirect')) {
    return err | ctx.alert(`cookie 'preserve' requires at least 'insert' or 'indirect'.`);
  }
  const mode = flags.has('insert') ? 'insert' : flags.has('prefix') ? 'prefix' : flags.has('rewrite') ? 'rewrite' : 'passive';
  if (ctx.proxy && isBackend(ctx.proxy)) ctx.proxy.cookie = { name: a[1], mode, options: opts, file: ctx.file, line: ctx.line, column: ctx.columns[0] };
  return err;
}

/* ---- numbers ------------------------------------------------------------- */

function numberKw(need: 'fe' | 'be', set: (p: Proxy, n: number) => void, hint?: string) {
  return (ctx: KwContext): number => {
    if (capWarn(ctx, need, ctx.args[0], hint)) return ERR_WARN;
    const e = tooManyArgs(ctx, 1);
    if (e) return e;
    const n = atoi(ctx.args[1] ?? '');
    set(ctx.proxy!, Number.isNaN(n) ? 0 : n);
    return 0;
  };
}

function parseId(ctx: KwContext): number {
  const p = ctx.proxy!;
  if (notInDefaults(ctx, 'id', 'parsing-tight')) return ERR_ALERT | ERR_FATAL;
  const e = tooManyArgs(ctx, 1);
  if (e) return e;
  if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects an integer argument.`, 'parsing-tight');
  const n = atoi(ctx.args[1]);
  if (!(n > 0)) return ctx.alert('custom id has to be > 0.', 'parsing-tight');
  const dup = ctx.config.proxies.find((q) => q !== p && q.id === n);
  if (dup) {
    return ctx.alert(`${proxyTypeStr(p)} ${p.name} reuses same custom id as ${proxyTypeStr(dup)} ${dup.name} (declared at ${dup.file}:${dup.line}).`, 'parsing-tight');
  }
  p.id = n;
  return 0;
}

function parseDescription(ctx: KwContext): number {
  if (notInDefaults(ctx, 'description', 'parsing-tight')) return ERR_ALERT | ERR_FATAL;
  if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects a string argument.`, 'parsing-tight');
  keepDirective(ctx);
  return 0;
}

function parseDisabled(ctx: KwContext, disabled: boolean): number {
  const e = tooManyArgs(ctx, 0);
  if (e) return e;
  ctx.proxy!.disabled = disabled;
  return 0;
}

/* ---- error files --------------------------------------------------------- */

export const HTTP_ERR_CODES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

/** What HAProxy says of an error file it cannot load: 'opening' or 'reading' (a directory), or undefined when fine. */
export function errorFileProblem(path: string): 'opening' | 'reading' | undefined {
  try {
    if (!existsSync(path)) return 'opening';
    return statSync(path).isDirectory() ? 'reading' : undefined;
  } catch {
    return 'opening';
  }
}

function parseErrorfile(ctx: KwContext): number {
  const a = ctx.args;
  if (!a[1] || !a[2]) return ctx.alert(`errorfile : expects <status_code> and <file> as arguments.`);
  const code = atoi(a[1]);
  if (!HTTP_ERR_CODES.includes(code)) return ctx.alert(`errorfile : status code '${a[1]}' not handled.`);
  const bad = errorFileProblem(a[2]);
  if (bad) return ctx.alert(`errorfile : error ${bad} file '${a[2]}'.`);
  ctx.proxy!.errorfiles.set(code, { kind: 'file', value: a[2], pos: ctx.pos() });
  return 0;
}

function parseErrorloc(ctx: KwContext): number {
  const a = ctx.args;
  const kw = a[0];
  if (!a[1] || !a[2]) return ctx.alert(`${kw} : expects <status_code> and <url> as arguments.`);
  const code = atoi(a[1]);
  if (!HTTP_ERR_CODES.includes(code)) return ctx.alert(`${kw} : status code '${a[1]}' not handled.`);
  ctx.proxy!.errorfiles.set(code, { kind: kw === 'errorloc303' ? 'loc303' : 'loc302', value: a[2], pos: ctx.pos() });
  return 0;
}

function parseErrorfiles(ctx: KwContext): number {
  const a = ctx.args;
  if (!a[1]) return ctx.alert(`errorfiles : expects <name> as argument.`);
  for (const c of a.slice(2)) {
    const code = atoi(c);
    if (!HTTP_ERR_CODES.includes(code)) {
      ctx.warn(`errorfiles : status code '${c}' not handled.`);
    }
  }
  keepDirective(ctx);
  return 0;
}

function parseHttpError(ctx: KwContext): number {
  const a = ctx.args;
  let status: number | undefined;
  let i = 1;
  let err = 0;
  if (a[1] !== 'status' || !a[2]) return ctx.alert(`http-error : expects at least a <status> as arguments.`);
  status = atoi(a[2]);
  i = 3;
  if (!HTTP_ERR_CODES.includes(status)) return ctx.alert(`http-error : Unexpected status code '${a[2]}'`);
  for (; i < a.length; i++) {
    const w = a[i];
    if (w === 'errorfile' || w === 'file' || w === 'lf-file') {
      const f = a[i + 1];
      if (!f) return ctx.alert(`http-error : '${w}' expects <fmt> as argument.`);
      const bad = errorFileProblem(f);
      if (bad) return ctx.alert(`http-error : error ${bad} file '${f}'${w === 'errorfile' ? '.' : ''}`);
      i++;
    } else if (w === 'errorfiles' || w === 'content-type' || w === 'string' || w === 'lf-string' || w === 'hdr' || w === 'default-errorfiles') {
      if (w === 'hdr') i += 2;
      else if (w !== 'default-errorfiles') i++;
    } else {
      err |= 0;
    }
  }
  keepDirective(ctx);
  return err;
}

/* ---- compression ----------------------------------------------------------- */

const COMP_ALGOS = ['identity', 'deflate', 'raw-deflate', 'gzip'];

function parseCompression(ctx: KwContext): number {
  const a = ctx.args;
  const sub = a[1];
  if (sub === 'algo') {
    if (!a[2]) return ctx.alert(`parsing [${ctx.file}:${ctx.line}] : '${a[0]}' expects <algorithm>.`);
    for (const alg of a.slice(2)) {
      if (!COMP_ALGOS.includes(alg)) return ctx.alert(`'${a[0]}' : '${alg}' is not a supported algorithm.`);
    }
  } else if (sub === 'type') {
    if (!a[2]) return ctx.alert(`'${a[0]}' expects <type>.`);
  } else if (sub === 'offload') {
    /* FE/BE check happens at post-parse */
  } else {
    return ctx.alert(`'${a[0]}' expects 'algo', 'type' or 'offload'`);
  }
  keepDirective(ctx, 2);
  return 0;
}

/* ---- http-reuse ---------------------------------------------------------- */

function parseHttpReuse(ctx: KwContext): number {
  let err = 0;
  if (capWarn(ctx, 'be')) err |= ERR_WARN;
  const m = ctx.args[1] ?? '';
  if (!['never', 'safe', 'aggressive', 'always'].includes(m)) {
    return err | ctx.alert(`'${ctx.args[0]}' only supports 'never', 'safe', 'aggressive', 'always'.`);
  }
  const extra = ctx.args[2];
  if (extra !== undefined) return err | ctx.alert(`'${ctx.args[0]} ${m}' cannot handle unexpected argument '${extra}'.`);
  keepDirective(ctx);
  return err;
}

/* ---- monitor, monitor-uri, dispatch, capture, stick-table ------------------ */

function parseMonitorUri(ctx: KwContext): number {
  if (capWarn(ctx, 'fe')) return ERR_WARN;
  if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects an URI.`);
  const e = tooManyArgs(ctx, 1);
  if (e) return e;
  keepDirective(ctx);
  return 0;
}

/** `monitor fail if|unless <cond>` (cfgparse-listen.c): the cap warning does not stop the parse. */
function parseMonitor(ctx: KwContext): number {
  if (notInDefaults(ctx, 'monitor')) return ERR_ALERT | ERR_FATAL;
  let err = capWarn(ctx, 'fe') ? ERR_WARN : 0;
  if (ctx.args[1] !== 'fail') return err | ctx.alert(`'${ctx.args[0]}' only supports 'fail'.`);
  if (ctx.args[2] !== 'if' && ctx.args[2] !== 'unless') {
    return err | ctx.alert(`'${ctx.args[0]} ${ctx.args[1]}' requires either 'if' or 'unless' followed by a condition.`);
  }
  const p = ctx.proxy!;
  err |= warnMisplaced(ctx, 'http-req', 'monitor fail');
  const c = parseCondition(ctx, ctx.args.slice(2));
  if ('error' in c) return err | ctx.alert(`error detected while parsing a 'monitor fail' condition : ${c.error}.`);
  (p.monitorFail ??= []).push(c.cond);
  markSeen(p, 'monitor');
  keepDirective(ctx, 2);
  return err;
}

function parseCapture(ctx: KwContext): number {
  const sub = ctx.args[1] ?? '';
  if (capWarn(ctx, 'fe')) return ERR_WARN;
  if (ctx.proxy?.kind === 'defaults' && ['cookie', 'request', 'response'].includes(sub)) {
    return ctx.alert(`'${ctx.args[0]} ${sub}' not allowed in 'defaults' section.`);
  }
  if (sub === 'cookie') {
    if (ctx.args[3] !== 'len' || !ctx.args[4]) return ctx.alert(`'${ctx.args[0]} ${sub}' expects 'len' <length>.`);
  } else if (sub === 'request' || sub === 'response') {
    if (ctx.args[2] !== 'header' || ctx.args[4] !== 'len' || !ctx.args[5]) {
      return ctx.alert(`'${ctx.args[0]} ${sub} header' expects <header> 'len' <len>.`);
    }
  } else {
    return ctx.alert(`'${ctx.args[0]}' expects 'cookie' or 'request header' or 'response header'.`);
  }
  keepDirective(ctx, 2);
  return 0;
}

function parseStickTableDefaults(ctx: KwContext, next?: (ctx: KwContext) => number): number {
  if (ctx.proxy?.kind === 'defaults') return ctx.alert(`'${ctx.args[0]}' is not supported in 'defaults' section.`);
  if (next) return next(ctx);
  keepDirective(ctx);
  return 0;
}

function parseUniqueId(ctx: KwContext): number {
  const kw = ctx.args[0];
  if (!ctx.args[1]) return ctx.alert(`${kw} expects an argument.`);
  if (ctx.args[2] !== undefined && kw === 'unique-id-format') return ctx.alert(`${kw} expects only one argument, don't forget to escape spaces!`);
  keepDirective(ctx);
  return 0;
}

function parseBacklog(ctx: KwContext): number {
  if (capWarn(ctx, 'fe')) return ERR_WARN;
  const e = tooManyArgs(ctx, 1);
  if (e) return e;
  keepDirective(ctx);
  return 0;
}

/* ---- tcp keep-alive, dynamic cookies, session-server limits, hash balance factor */

/** clitcpka-cnt/idle/intvl (frontend side) and srvtcpka-* (backend side): the value first, then the side. */
function parseTcpka(ctx: KwContext): number {
  const kw = ctx.args[0];
  const v = ctx.args[1];
  if (!v) return ctx.alert(`'${kw}' expects an integer value`);
  if (kw.endsWith('-cnt')) {
    const bad = /[^0-9]/.exec(v);
    if (bad) return ctx.alert(`'${kw}' : unexpected character '${bad[0]}' in integer value '${v}'`);
  } else {
    const t = parseTime(v, 's');
    if (!t.ok) return ctx.alert(`unexpected character '${t.at[0] ?? ''}' in argument to <${kw}>.`);
  }
  const need = kw.startsWith('cli') ? 'fe' : 'be';
  const p = ctx.proxy!;
  if (need === 'fe' ? !isFrontend(p) : !isBackend(p)) {
    return ctx.warn(`${kw} will be ignored because ${proxyTypeStr(p)} '${p.name}' has no ${need === 'fe' ? 'frontend' : 'backend'} capability`);
  }
  keepDirective(ctx);
  return 0;
}

function parseDynamicCookieKey(ctx: KwContext): number {
  let err = capWarn(ctx, 'be') ? ERR_WARN : 0;
  if (!ctx.args[1]) return err | ctx.alert(`'${ctx.args[0]}' expects <secret_key> as argument.`);
  keepDirective(ctx);
  return err;
}

function parseMaxSessionSrvConns(ctx: KwContext): number {
  let err = capWarn(ctx, 'fe') ? ERR_WARN : 0;
  if (!ctx.args[1]) {
    // HAProxy's own spelling of the position prefix
    ctx.diags.alert(`parsine [${ctx.file}:${ctx.line}] : '${ctx.args[0]}' expects a number. Got no argument`, ctx.file, ctx.line, 'none', ctx.columns[0]);
    return err | ERR_ALERT | ERR_FATAL;
  }
  keepDirective(ctx);
  return err;
}

function parseHashBalanceFactor(ctx: KwContext): number {
  if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects an integer argument.`);
  const n = atoiC(ctx.args[1]);
  if (n !== 0 && n <= 100) return ctx.alert(`'${ctx.args[0]}' must be 0 or greater than 100.`);
  keepDirective(ctx);
  return 0;
}

registerKeywords([
  row('clitcpka-cnt', parseTcpka),
  row('clitcpka-idle', parseTcpka),
  row('clitcpka-intvl', parseTcpka),
  row('srvtcpka-cnt', parseTcpka),
  row('srvtcpka-idle', parseTcpka),
  row('srvtcpka-intvl', parseTcpka),
  row('dynamic-cookie-key', parseDynamicCookieKey),
  row('max-session-srv-conns', parseMaxSessionSrvConns),
  row('hash-balance-factor', parseHashBalanceFactor),
  row('mode', parseMode),
  row('balance', parseBalance),
  row('hash-type', parseHashType),
  row('cookie', parseCookie),
  row('maxconn', numberKw('fe', (p, n) => (p.maxconn = n), "Maybe you want 'fullconn' instead ?")),
  row('fullconn', numberKw('be', (p, n) => (p.fullconn = n), "Maybe you want 'maxconn' instead ?")),
  row('retries', numberKw('be', (p, n) => (p.retries = n))),
  row('backlog', parseBacklog),
  row('id', parseId),
  row('description', parseDescription),
  row('disabled', (ctx) => parseDisabled(ctx, true)),
  row('enabled', (ctx) => parseDisabled(ctx, false)),
  row('errorfile', parseErrorfile),
  row('errorloc', parseErrorloc),
  row('errorloc302', parseErrorloc),
  row('errorloc303', parseErrorloc),
  row('errorfiles', parseErrorfiles),
  row('http-error', parseHttpError),
  row('compression', parseCompression),
  row('http-reuse', parseHttpReuse),
  row('monitor-uri', parseMonitorUri),
  row('unique-id-format', parseUniqueId),
  row('unique-id-header', parseUniqueId),
]);

// two-word families: timeout, monitor, capture (their heads come from generic.ts)
const timeoutFam = family('timeout:proxy');
for (const name of [...Object.keys(TIMEOUTS), ...Object.keys(LEGACY_TIMEOUTS)]) {
  timeoutFam.set(name, { name, parse: parseTimeout as (ctx: unknown) => number, support: 'no' });
}
registerKeywords([row('timeout', parseTimeout), row('monitor', parseMonitor), row('capture', parseCapture)]);
family('monitor:proxy').set('fail', { name: 'fail', parse: parseMonitor as (ctx: unknown) => number, support: 'no' });
for (const sub of ['cookie', 'request', 'response']) {
  family('capture:proxy').set(sub, { name: sub, parse: parseCapture as (ctx: unknown) => number, support: 'no' });
}
registerKeywords([row('stick-table', (ctx) => parseStickTableDefaults(ctx, parseStickTableLine))]);

/* ---- post-parse: settings a tcp proxy cannot use (proxy_cfg_ensure_no_http) ---- */

function warnNoHttp(diags: Parameters<Parameters<typeof registerProxyCheck>[1]>[2], text: string): number {
  diags.warning(text, undefined, undefined, 'none');
  return ERR_WARN;
}

// HAProxy copies a defaults section's cookie and balance only to backends, monitor-uri only to frontends
registerProxyCheck(Stage.ensureNoHttp + 0.1, (p, _c, diags) =>
  p.mode === 'tcp' && isBackend(p) && p.cookie ? warnNoHttp(diags, `cookie will be ignored for ${proxyTypeStr(p)} '${p.name}' (needs 'mode http').`) : 0,
);
registerProxyCheck(Stage.ensureNoHttp + 0.2, (p, _c, diags) =>
  p.mode === 'tcp' && isFrontend(p) && directiveInForce(p, 'monitor-uri', isFrontend)
    ? warnNoHttp(diags, `monitor-uri will be ignored for ${proxyTypeStr(p)} '${p.name}' (needs 'mode http').`)
    : 0,
);

/** Balance algorithms that hash a part of the HTTP request. */
function needsHttp(algo: string): boolean {
  return algo === 'uri' || algo === 'url_param' || algo.startsWith('hdr(');
}
registerProxyCheck(Stage.ensureNoHttp + 0.3, (p, _c, diags) =>
  p.mode === 'tcp' && isBackend(p) && p.balance && needsHttp(p.balance.algo)
    ? warnNoHttp(diags, `Layer 7 hash not possible for ${proxyTypeStr(p)} '${p.name}' (needs 'mode http'). Falling back to round robin.`)
    : 0,
);

/** `capture cookie` names a cookie HAProxy only finds in HTTP. */
registerProxyCheck(Stage.httpOnly + 0.2, (p, _c, diags) =>
  httpIgnored(p) && p.directives.some((d) => d.keyword === 'capture cookie')
    ? warnNoHttp(diags, `'capture' statement ignored for ${proxyTypeStr(p)} '${p.name}' as it requires HTTP mode.`)
    : 0,
);

export const _flags = ERR_ALERT | ERR_FATAL;
