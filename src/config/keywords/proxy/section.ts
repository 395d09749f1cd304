/**
 * The four proxy sections (defaults, frontend, backend, listen): their
 * headers, defaults inheritance, and the capability checks every proxy
 * keyword shares. HAProxy parses all four with one function; so do we.
 */
import { ERR_ABORT, ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { inheritProxy, proxiesNamed, type Config, type Proxy, type ProxyKind } from '../../model.js';
import { PROXY_SECTIONS, registerSuggestions, type KwContext } from '../../registry.js';
import { dataText } from '../../tables.js';
import { invalidChar, registerSection, type SectionState } from '../../sections.js';
import { deriveContext } from '../../../parser/reader.js';

/** "proxy_type_str": how HAProxy names a proxy of each kind in messages. */
export function proxyTypeStr(p: Proxy): string {
  return p.kind === 'listen' ? 'proxy' : p.kind;
}

export const isFrontend = (p: Proxy) => p.kind === 'frontend' || p.kind === 'listen' || p.kind === 'defaults';
export const isBackend = (p: Proxy) => p.kind === 'backend' || p.kind === 'listen' || p.kind === 'defaults';

/**
 * HAProxy's warnifnotcap(): a keyword that needs a frontend (or backend) side
 * is ignored, with a warning, in a proxy that lacks it. Returns true when the
 * keyword must be ignored.
 */
export function ignoredWithoutCap(ctx: KwContext, need: 'fe' | 'be', hint?: string): boolean {
  const p = ctx.proxy!;
  const ok = need === 'fe' ? isFrontend(p) : isBackend(p);
  if (ok) return false;
  const capName = need === 'fe' ? 'frontend' : 'backend';
  ctx.warn(`'${hint ?? ctx.args[0]}' ignored because ${proxyTypeStr(p)} '${p.name}' has no ${capName} capability.`);
  return true;
}

/** HAProxy's alertif_too_many_args(n): more than n arguments after the keyword. */
export function tooManyArgs(ctx: KwContext, n: number, first = 0): number {
  const extra = ctx.args[first + n + 1];
  if (extra === undefined) return 0;
  const kw = first ? ctx.args.slice(0, first + 1).join(' ') : ctx.args[0];
  ctx.diags.alert(`'${kw}' cannot handle unexpected argument '${extra}'.`, ctx.file, ctx.line, 'parsing');
  return ERR_ALERT | ERR_FATAL;
}

/** Finds a frontend-capable or backend-capable proxy by name. */
export function findProxy(ctx: { config: Config }, name: string, side: 'fe' | 'be'): Proxy | undefined {
  return proxiesNamed(ctx.config, name).find((p) => (side === 'fe' ? isFrontend(p) : isBackend(p)));
}

const RULESETS = new Set([
  'http-request', 'http-response', 'http-after-response',
  'tcp-request connection', 'tcp-request session', 'tcp-request content', 'tcp-response content',
]);

/** which side first used a defaults section that holds rules */
const usedBy = new WeakMap<Proxy, 'frontend' | 'backend'>();

/**
 * Rules written in a named defaults section are kept by reference by the
 * proxies using it, so HAProxy 2.6 checks, on each proxy header, that such a
 * defaults section is used consistently (reg-tests startup/default_rules):
 * not by another defaults section (named with 'from'), not by a listen, not
 * by both frontends and backends, no L4/L5 tcp-request rules for backends
 * and no tcp-response rules for frontends. Returns the alert, or undefined.
 */
export function inheritanceError(kind: ProxyKind, explicitFrom: boolean, def: Proxy | undefined): string | undefined {
  if (!def) return undefined;
  const rules = def.rules.filter((r) => RULESETS.has(r.ruleset));
  if (!rules.length) return undefined;
  const at = `(defaults section at ${def.file}:${def.line})`;
  if (kind === 'defaults') {
    if (!explicitFrom) return undefined;
    return `a defaults section cannot inherit from a defaults section defining TCP/HTTP rules ${at}.`;
  }
  if (kind === 'listen') return 'a listen section cannot inherit from a defaults section defining TCP/HTTP rules.';
  const first = usedBy.get(def);
  if (first && first !== kind) return `frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules ${at}.`;
  usedBy.set(def, kind);
  if (kind === 'backend' && rules.some((r) => r.ruleset === 'tcp-request connection' || r.ruleset === 'tcp-request session'))
    return `a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules ${at}.`;
  if (kind === 'frontend' && rules.some((r) => r.ruleset === 'tcp-response content'))
    return `a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules ${at}.`;
  return undefined;
}

/** The inheritance check at the end of a proxy header (an ERR_ABORT error). */
function checkInheritance(ctx: KwContext, kind: ProxyKind, def: Proxy | undefined): number {
  const msg = inheritanceError(kind, ctx.args.includes('from'), def);
  if (!msg) return 0;
  ctx.diags.alert(msg, ctx.file, ctx.line, 'parsing-tight');
  return ERR_ALERT | ERR_ABORT;
}

function openProxy(ctx: KwContext, state: SectionState): number {
  const kind = ctx.args[0] as ProxyKind;
  const args = ctx.args;
  let err = 0;
  state.proxy = undefined;
  state.named = undefined;
  let name = args[1] ?? '';
  let fromName: string | undefined;
  if (kind === 'defaults' && name === 'from' && args[2] !== undefined && args[3] === undefined) {
    fromName = args[2];
    name = '';
  }
  if (kind !== 'defaults' && !name) {
    ctx.alert(`'${kind}' expects an <id> argument`);
    return ERR_ALERT | ERR_ABORT;
  }
  const bad = invalidChar(name);
  if (bad && kind !== 'defaults') {
    err |= ctx.alert(`character '${bad}' is not permitted in '${kind}' name '${name}'.`);
  }
  if (kind !== 'defaults') {
    const side = kind === 'frontend' || kind === 'listen' ? 'fe' : 'be';
    let dup = findProxy(ctx, name, side);
    if (!dup && kind === 'listen') dup = findProxy(ctx, name, 'be');
    if (dup) {
      const me = kind === 'listen' ? 'proxy' : kind;
      ctx.diags.alert(
        `${me} '${name}' has the same name as ${proxyTypeStr(dup)} '${dup.name}' declared at ${dup.file}:${dup.line}.`,
        ctx.file,
        ctx.line,
        'Parsing-tight',
      );
      err |= ERR_ALERT | ERR_FATAL;
    }
  }
  if (args[2] !== undefined && !fromName && kind === 'defaults') {
    // a defaults section ignores what follows its name unless it is 'from <name>'
    if (args[2] === 'from' && args[3] !== undefined) fromName = args[3];
  } else if (args[2] !== undefined && !fromName) {
    if (args[2] !== 'from' || args[3] === undefined || args[4] !== undefined) {
      if (args[2] === 'from' && args[3] !== undefined && args[4] !== undefined) {
        err |= tooManyArgs(ctx, 3);
      } else if (args[2] !== 'from' && args[3] !== undefined) {
        err |= tooManyArgs(ctx, 3);
      }
      if (kind === 'frontend' || kind === 'listen') {
        if (!ctx.opts.strict && kind === 'listen' && args[3] === undefined) {
          return legacyListenAddress(ctx, state, name, args[2]);
        }
        if (!ctx.opts.strict && kind === 'frontend' && args[3] === undefined) {
          return legacyListenAddress(ctx, state, name, args[2]);
        }
        ctx.alert(`please use the 'bind' keyword for listening addresses.`);
      }
      installNullProxy(state);
      return err;
    }
    fromName = args[3];
  }
  // a defaults section starts afresh unless it names its origin ('from')
  let def: Proxy | undefined = kind === 'defaults' ? undefined : state.currentDefaults;
  if (fromName !== undefined) {
    const cands = ctx.config.defaults.filter((d) => d.name === fromName);
    if (!cands.length) {
      ctx.alert(`defaults section '${fromName}' not found for ${kind === 'listen' ? 'proxy' : kind} '${name}'.`);
      return ERR_ALERT | ERR_ABORT;
    }
    def = cands[cands.length - 1];
  }
  const p = inheritProxy(kind, name, ctx.pos(), def);
  if (kind === 'defaults') {
    ctx.config.defaults.push(p);
    state.currentDefaults = p;
  } else {
    ctx.config.proxies.push(p);
  }
  state.proxy = p;
  state.defproxy = def;
  state.unknown = undefined;
  return err | checkInheritance(ctx, kind, def);
}

function installNullProxy(state: SectionState): void {
  state.proxy = undefined;
  state.unknown = (ctx) => ctx.alert(`'listen' or 'defaults' expected.`);
}

/** 1.x `listen name addr:port`: accepted in default mode as `listen name` + `bind addr:port`. */
function legacyListenAddress(ctx: KwContext, state: SectionState, name: string, addr: string): number {
  const kind = ctx.args[0] as ProxyKind;
  const p = inheritProxy(kind, name, ctx.pos(), state.currentDefaults);
  ctx.config.proxies.push(p);
  state.proxy = p;
  state.defproxy = state.currentDefaults;
  state.unknown = undefined;
  ctx.note(`'${kind} ${name} ${addr}': the address on the '${kind}' line was removed in HAProxy 2.x; taken as '${kind} ${name}' followed by 'bind ${addr}'.`);
  let err = 0;
  const bind = bindHook.parse;
  if (bind) {
    const sub = deriveContext(ctx, { args: ['bind', addr], columns: [ctx.columns[0], ctx.columns[2] ?? ctx.columns[0]], proxy: p });
    err = bind(sub) & ~ERR_WARN;
    if (err & ERR_ABORT) return err;
  }
  return err | checkInheritance(ctx, kind, state.currentDefaults);
}

/**
 * What HAProxy 2.6 compares an unknown proxy keyword with: the keywords
 * registered for proxies (the 'listen' block of the binary's keyword dump),
 * then cfgparse-listen.c's common_kw_list, in that order (the first closest
 * one wins).
 */
const COMMON_LISTEN = `listen frontend backend defaults server default-server server-template bind monitor-net
monitor-uri mode id description disabled enabled acl dynamic-cookie-key cookie email-alert persist appsession
load-server-state-from-file server-state-file-name max-session-srv-conns capture retries http-request http-response
http-after-response http-send-name-header block redirect use_backend use-server force-persist ignore-persist
force-persist stick-table stick stats option default_backend http-reuse monitor transparent maxconn backlog
fullconn dispatch balance hash-type hash-balance-factor unique-id-format unique-id-header log-format log-format-sd
log-tag log source usesrc error-log-format`.split(/\s+/);

let proxySuggestions: string[] | undefined;
registerSuggestions(PROXY_SECTIONS, () => {
  if (!proxySuggestions) {
    const registered: string[] = [];
    let inListen = false;
    for (const line of dataText('binary-dK-all.txt').split('\n')) {
      if (line === '# List of registered CLI keywords:') break;
      if (line && line[0] !== '\t') inListen = line === 'listen';
      // one-word keywords only: the bind/server/option/rule lines of the block are not section keywords
      else if (inListen && /^\t[^ ]+$/.test(line)) registered.push(line.slice(1));
    }
    proxySuggestions = [...registered, ...COMMON_LISTEN];
  }
  return proxySuggestions;
});

/** The bind module installs its parser here so legacy listen addresses reuse it. */
export const bindHook: { parse?: (ctx: KwContext) => number } = {};

for (const name of ['defaults', 'frontend', 'backend', 'listen'] as const) {
  registerSection({ name, kind: name, open: openProxy });
}
