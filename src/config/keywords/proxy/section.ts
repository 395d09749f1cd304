/**
 * The four proxy sections (defaults, frontend, backend, listen): their
 * headers, defaults inheritance, and the capability checks every proxy
 * keyword shares. HAProxy parses all four with one function; so do we.
 */
import { ERR_ABORT, ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { inheritProxy, type Proxy, type ProxyKind } from '../../model.js';
import type { KwContext } from '../../registry.js';
import { invalidChar, registerSection, type SectionState } from '../../sections.js';

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
export function findProxy(ctx: { config: { proxies: Proxy[] } }, name: string, side: 'fe' | 'be'): Proxy | undefined {
  return ctx.config.proxies.find((p) => p.name === name && (side === 'fe' ? isFrontend(p) : isBackend(p)));
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
  if (args[2] !== undefined && !fromName) {
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
      ctx.alert(`defaults section '${fromName}' (from '${name}') not found for ${kind === 'listen' ? 'proxy' : kind} '${name}'.`);
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
  return err;
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
  const bind = bindHook.parse;
  if (bind) {
    const sub = { ...ctx, args: ['bind', ...addr.split(',').length > 1 ? [addr] : [addr]], proxy: p };
    return bind(sub) & ~ERR_WARN;
  }
  return 0;
}

/** The bind module installs its parser here so legacy listen addresses reuse it. */
export const bindHook: { parse?: (ctx: KwContext) => number } = {};

for (const name of ['defaults', 'frontend', 'backend', 'listen'] as const) {
  registerSection({ name, kind: name, open: openProxy });
}
