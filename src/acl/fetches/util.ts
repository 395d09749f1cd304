/** Helpers shared by the fetch families: proxy/server arguments and variable names. */
import type { ProxyView, SampleContext, ServerView, VarScope } from '../context.js';
import type { CompileEnv } from '../registry.js';

/** A backend/frontend argument: the named one, or (no name) the rule's own proxy at runtime. */
export function prepProxyArg(args: string[], env: CompileEnv): any[] {
  const name = args[0];
  if (name) return [name];
  if (env.proxy && env.proxy.kind !== 'defaults') return [env.proxy.name];
  return [undefined];
}

export function findProxy(ctx: SampleContext, name: string | undefined, side: 'be' | 'fe' = 'be'): ProxyView | undefined {
  if (name === undefined) return side === 'be' ? (ctx.backend ?? ctx.frontend) : ctx.frontend;
  if (ctx.backend?.name === name) return ctx.backend;
  if (ctx.frontend.name === name) return ctx.frontend;
  return ctx.proxy?.(name);
}

/** "backend/server" or "server" (in the rule's proxy). */
export function prepServerArg(args: string[], env: CompileEnv): any[] {
  const a = args[0] ?? '';
  const slash = a.lastIndexOf('/');
  if (slash >= 0) return [a.slice(0, slash), a.slice(slash + 1)];
  return [env.proxy && env.proxy.kind !== 'defaults' ? env.proxy.name : undefined, a];
}

export function findServer(ctx: SampleContext, be: string | undefined, srv: string): ServerView | undefined {
  const p = findProxy(ctx, be);
  const list = p?.servers;
  if (!list) return undefined;
  for (let k = 0; k < list.length; k++) if (list[k].name === srv) return list[k];
  return undefined;
}

const SCOPES = new Set(['proc', 'sess', 'txn', 'req', 'res', 'check']);

/** "txn.name" → [scope, name]; undefined when the scope is unknown. */
export function parseVarName(s: string): [VarScope, string] | undefined {
  const dot = s.indexOf('.');
  if (dot < 0) return undefined;
  const scope = s.slice(0, dot);
  if (!SCOPES.has(scope)) return undefined;
  return [scope as VarScope, s.slice(dot + 1)];
}
