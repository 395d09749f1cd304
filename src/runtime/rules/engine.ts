/**
 * The verdict loop every rule set shares (HAProxy's
 * http_req_get_intercept_rule / http_res_get_intercept_rule /
 * tcp_exec_l4_rules / tcp_inspect_request): rules in order; a rule whose
 * condition holds runs its action; the first verdict other than `continue`
 * ends the loop. Rules written in the named defaults section a proxy uses
 * run first (HAProxy 2.5+ `defpx` rules), and an `allow`/`accept` there
 * also ends the proxy's own list.
 *
 * Rules are compiled once per proxy and rule set (actions' `parse`), from
 * the frozen configuration model.
 */
import type { Proxy, RuleConf } from '../../config/model.js';
import { aclsOf, attachConfig, configFor } from './state.js';
import { parseTime } from '../../parser/values.js';
import { findActionDef } from './actions/index.js';
import type { CompiledRule, ParseCtx, RuleEffects, RuleHost, RulesConfig, RunCtx, Tracer, Verdict } from './types.js';
import { CONTINUE, WAIT, newEffects } from './types.js';
import type { RtProxy } from '../model.js';

/** Rule sets whose conditions read the response direction. */
const RESPONSE_SETS = new Set(['http-response', 'http-after-response', 'tcp-response content']);

export { attachConfig, configFor, aclsOf };

/**
 * The named defaults section a proxy took its settings from, when it holds
 * rules (HAProxy's px->defpx). Anonymous defaults cannot hold rules.
 */
const defaultsCache = new WeakMap<Proxy, Proxy | null>();

export function defaultsOf(p: Proxy): Proxy | undefined {
  let d = defaultsCache.get(p);
  if (d === undefined) defaultsCache.set(p, (d = findDefaults(p) ?? null));
  return d ?? undefined;
}

function findDefaults(p: Proxy): Proxy | undefined {
  if (!p.from) return undefined;
  const config = configFor(p);
  if (!config) return undefined;
  let found: Proxy | undefined;
  for (const d of config.defaults) {
    if (d.name !== p.from) continue;
    // the last defaults of that name written before the proxy
    if (d.file === p.file && d.line > p.line) continue;
    found = d;
  }
  return found && found.rules.length ? found : undefined;
}

const compiled = new WeakMap<Proxy, Map<string, CompiledRule[]>>();

/** Words of a rule as written, for traces. */
export function ruleLabel(r: RuleConf): string {
  const head = r.ruleset === r.action ? r.ruleset : `${r.ruleset} ${r.word ?? r.action}`;
  const args = r.args.length ? ' ' + r.args.join(' ') : '';
  const cond = r.cond ? (r.cond.text.startsWith(r.cond.polarity + ' ') ? ` ${r.cond.text}` : ` ${r.cond.polarity} ${r.cond.text}`) : '';
  return head + args + cond;
}

/** The compiled rules of `p` for `ruleset` (its own rules only). */
export function rulesOf(p: Proxy, ruleset: string): CompiledRule[] {
  let m = compiled.get(p);
  if (!m) compiled.set(p, (m = new Map()));
  let list = m.get(ruleset);
  if (list) return list;
  list = [];
  const config = configFor(p);
  const acls = aclsOf(p);
  for (const r of p.rules) {
    if (r.ruleset !== ruleset || r.action === 'inspect-delay') continue;
    const def = findActionDef(ruleset, r.action);
    const notes: string[] = [];
    const word = r.word ?? r.action;
    const paren = /\((.*)\)$/.exec(word)?.[1];
    const ctx: ParseCtx = { proxy: p, config, acls, ruleset, word, paren, rule: r, note: (t) => notes.push(t) };
    let c: unknown;
    let action = def;
    if (!def) {
      action = UNSUPPORTED;
      notes.push(`action '${word}' is not implemented by tshaproxy: ignored`);
    } else {
      try {
        c = def.parse(r.args, ctx);
      } catch (e) {
        action = UNSUPPORTED;
        notes.push(`'${word}': ${(e as Error).message}: ignored`);
      }
    }
    if (action!.noop) notes.push(action!.noop);
    list.push({ conf: r, action: action!, compiled: c, owner: p, acls, label: ruleLabel(r), note: notes.length ? notes.join('; ') : undefined });
  }
  for (let i = 0; i < list.length; i++) list[i].action.link?.(list[i].compiled, list[i + 1]);
  m.set(ruleset, list);
  return list;
}

const UNSUPPORTED = {
  name: 'unsupported',
  rulesets: [],
  parse: () => undefined,
  run: () => CONTINUE,
};

/** `tcp-request|tcp-response inspect-delay` of a proxy, inherited from its defaults (ms, 0 = none). */
const delayCache = new WeakMap<Proxy, Map<string, number>>();

export function inspectDelay(p: Proxy, dir: 'tcp-request' | 'tcp-response'): number {
  let m = delayCache.get(p);
  if (!m) delayCache.set(p, (m = new Map()));
  let v = m.get(dir);
  if (v === undefined) m.set(dir, (v = computeDelay(p, dir)));
  return v;
}

function computeDelay(p: Proxy, dir: string): number {
  const own = lastDelay(p, dir);
  if (own !== undefined) return own;
  const d = p.from ? defaultsNamed(p) : undefined;
  return (d && lastDelay(d, dir)) ?? 0;
}

function defaultsNamed(p: Proxy): Proxy | undefined {
  const config = configFor(p);
  if (!config || !p.from) return undefined;
  let found: Proxy | undefined;
  for (const d of config.defaults) if (d.name === p.from && !(d.file === p.file && d.line > p.line)) found = d;
  return found;
}

function lastDelay(p: Proxy, dir: string): number | undefined {
  let v: number | undefined;
  for (const r of p.rules) {
    if (r.ruleset === dir && r.action === 'inspect-delay') v = parseDelay(r.args[0]);
  }
  return v;
}

function parseDelay(s: string | undefined): number {
  const t = parseTime(s ?? '', 'ms');
  return t.ok ? t.ms : 0;
}

/** Per-stream rule effects, kept beside the stream (no field needed on it). */
const effects = new WeakMap<object, RuleEffects>();

export function effectsOf(host: object): RuleEffects {
  let fx = effects.get(host);
  if (!fx) effects.set(host, (fx = newEffects()));
  return fx;
}

/** forgets what actions left (a new HTTP transaction) */
export function resetEffects(host: object): void {
  effects.delete(host);
}

/** the stream's effects when an action left some, without creating them */
export function peekEffects(host: object): RuleEffects | undefined {
  return effects.get(host);
}

export interface RunOptions {
  /** false while more request data may come (inspect-delay): conditions may answer 'wait' */
  final?: boolean;
  trace?: Tracer;
  cfg?: RulesConfig;
}

/**
 * Runs the rule lists in order (defaults first) for proxy `px`. Returns
 * the verdict that ended the loop, or `continue` when every rule ran.
 */
export function runLists(lists: readonly CompiledRule[][], host: RuleHost, px: RtProxy, ruleset: string, opts: RunOptions = {}): Verdict {
  const final = opts.final ?? true;
  const res = RESPONSE_SETS.has(ruleset);
  const ctx = host.sampleContext();
  const rt: RunCtx = {
    px,
    ruleset,
    final,
    cfg: opts.cfg ?? {},
    // created only when an action leaves something for the stream
    get fx() {
      return effectsOf(host);
    },
  };
  const trace = opts.trace;
  for (const list of lists) {
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      const cond = r.conf.cond;
      if (cond) {
        const c = r.acls.cond(cond);
        const ok = res ? c.evalRes(ctx, final) : c.eval(ctx, final);
        if (ok === 'wait') {
          trace?.({ ruleset, proxy: r.owner.name, file: r.conf.file, line: r.conf.line, label: r.label, cond: 'wait', verdict: 'wait', note: r.note });
          return WAIT;
        }
        if (!ok) {
          trace?.({ ruleset, proxy: r.owner.name, file: r.conf.file, line: r.conf.line, label: r.label, cond: false, note: r.note });
          continue;
        }
      }
      const v = r.action.run(r.compiled, host, rt);
      trace?.({ ruleset, proxy: r.owner.name, file: r.conf.file, line: r.conf.line, label: r.label, cond: cond ? true : 'none', verdict: v.kind, note: r.note });
      if (v.kind !== 'continue') return v;
    }
  }
  return CONTINUE;
}

/**
 * The rule lists that run for `px` in `ruleset`: its named defaults' rules
 * (when `withDefaults`) then its own.
 */
const listCache = new WeakMap<Proxy, Map<string, CompiledRule[][]>>();

export function listsFor(p: Proxy, ruleset: string, withDefaults = true): CompiledRule[][] {
  let m = listCache.get(p);
  if (!m) listCache.set(p, (m = new Map()));
  const key = withDefaults ? ruleset : ruleset + '|own';
  let l = m.get(key);
  if (!l) m.set(key, (l = buildLists(p, ruleset, withDefaults)));
  return l;
}

function buildLists(p: Proxy, ruleset: string, withDefaults: boolean): CompiledRule[][] {
  const own = rulesOf(p, ruleset);
  const d = withDefaults ? defaultsOf(p) : undefined;
  if (!d) return own.length ? [own] : [];
  const dl = rulesOf(d, ruleset);
  if (!dl.length) return own.length ? [own] : [];
  return own.length ? [dl, own] : [dl];
}

/** true when `p` (or its defaults) has rules in `ruleset`. */
export function hasRules(p: Proxy, ruleset: string): boolean {
  return listsFor(p, ruleset).length > 0;
}
