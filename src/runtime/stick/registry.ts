/**
 * The stick tables of a configuration (one per proxy with a `stick-table`
 * line, named like the proxy, and one per `table` line of a peers section,
 * named "<peers>/<table>"), and the stick rules (`stick on|match|
 * store-request|store-response`) of each backend, compiled once. Tables
 * that stick rules use store server_id and server_key, as HAProxy adds them.
 */
import type { CondConf, CondTerm, Config, Proxy } from '../../config/model.js';
import { sectionsOf } from '../../config/model.js';
import { compileExpr, type CompiledExpr } from '../../acl/expr.js';
import type { CompiledCond } from '../../acl/compile.js';
import { aclsOf, configFor } from '../rules/state.js';
import { DT, ensureType, parseTableLine, type TableConf } from './conf.js';
import { StickTable } from './table.js';

export interface StickRule {
  kind: 'on' | 'match' | 'store-request' | 'store-response';
  expr: CompiledExpr;
  table: StickTable;
  cond?: CompiledCond;
  /** where it is written (traces) */
  file: string;
  line: number;
}

export interface StickConfig {
  readonly tables: Map<string, StickTable>;
  /** stick rules by backend */
  readonly rules: WeakMap<Proxy, StickRule[]>;
}

const byConfig = new WeakMap<Config, StickConfig>();

/**
 * True once a configuration with stick tables was loaded in this process:
 * the hooks in the stream and session code test it first and do nothing
 * otherwise.
 */
export let stickOn = false;

const STICK_KWS = new Set(['stick on', 'stick match', 'stick store-request', 'stick store-response']);

/** Builds the tables of `config` (once); returns them, or undefined when it has none. */
export function initStick(config: Config): StickConfig | undefined {
  let sc = byConfig.get(config);
  if (sc) return sc.tables.size ? sc : undefined;
  const confs = new Map<string, TableConf>();
  for (const p of config.proxies) {
    if (p.kind === 'defaults') continue;
    for (const d of p.directives) {
      if (d.keyword !== 'stick-table') continue;
      const r = parseTableLine(['stick-table', ...d.args], false);
      if (r.conf) confs.set(p.name, r.conf);
    }
  }
  for (const s of sectionsOf(config, 'peers')) {
    for (const d of s.tables) {
      const r = parseTableLine(['table', ...d.args], true);
      if (r.conf && d.args[0]) confs.set(`${s.name}/${d.args[0]}`, r.conf);
    }
  }
  // stick rules name their table (or use their proxy's): it gets server_id and server_key
  for (const p of config.proxies) {
    for (const d of p.directives) {
      if (!STICK_KWS.has(d.keyword)) continue;
      const ti = d.args.indexOf('table');
      const name = ti > 0 && ti < condStart(d.args) ? d.args[ti + 1] : p.name;
      const c = confs.get(name);
      if (c) {
        ensureType(c, DT.SERVER_ID);
        ensureType(c, DT.SERVER_KEY);
      }
    }
  }
  const tables = new Map<string, StickTable>();
  for (const [name, c] of confs) tables.set(name, new StickTable(name, c));
  sc = { tables, rules: new WeakMap() };
  byConfig.set(config, sc);
  if (tables.size) stickOn = true;
  return tables.size ? sc : undefined;
}

/** The stick configuration a proxy belongs to (built on first use). */
export function stickConfigOf(p: Proxy): StickConfig | undefined {
  const config = configFor(p);
  return config ? initStick(config) : undefined;
}

/** A table by name in the configuration of proxy `p`. */
export function tableOf(p: Proxy, name: string): StickTable | undefined {
  return stickConfigOf(p)?.tables.get(name);
}

/** Stops the expiration timers of a configuration's tables (runtime stop, tests). */
export function stopStick(config: Config): void {
  const sc = byConfig.get(config);
  if (sc) for (const t of sc.tables.values()) t.stop();
}

function condStart(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) if (args[i] === 'if' || args[i] === 'unless') return i;
  return args.length;
}

/** The compiled stick rules of backend `p`, in order (empty when none). */
export function stickRulesOf(p: Proxy): StickRule[] {
  const sc = stickConfigOf(p);
  if (!sc) return NONE;
  let list = sc.rules.get(p);
  if (list) return list;
  list = [];
  const acls = aclsOf(p);
  for (const d of p.directives) {
    if (!STICK_KWS.has(d.keyword)) continue;
    const ci = condStart(d.args);
    const ti = d.args.indexOf('table');
    const name = ti > 0 && ti < ci ? d.args[ti + 1] : p.name;
    const table = sc.tables.get(name);
    if (!table || !d.args[0]) continue;
    let expr: CompiledExpr;
    try {
      expr = compileExpr(d.args[0], acls.env);
    } catch {
      continue;
    }
    const kind = d.keyword.slice(6) as StickRule['kind'];
    const cond = ci < d.args.length ? acls.cond(condOf(d.args.slice(ci), d.file, d.line)) : undefined;
    list.push({ kind, expr, table, cond, file: d.file, line: d.line });
  }
  sc.rules.set(p, list);
  return list;
}

const NONE: StickRule[] = [];

/** `if|unless <terms>` words to the condition model the ACL engine compiles. */
function condOf(words: string[], file: string, line: number): CondConf {
  const polarity = words[0] === 'unless' ? 'unless' : 'if';
  const terms: CondTerm[][] = [[]];
  let neg = false;
  for (let i = 1; i < words.length; i++) {
    let w = words[i];
    if (w === '||' || w === 'or') {
      if (terms[terms.length - 1].length) terms.push([]);
      continue;
    }
    while (w.startsWith('!')) {
      neg = !neg;
      w = w.slice(1);
    }
    if (!w) continue;
    if (w === '{') {
      let close = words.indexOf('}', i + 1);
      if (close < 0) close = words.length;
      terms[terms.length - 1].push({ negate: neg, anonymous: words.slice(i + 1, close) });
      i = close;
    } else terms[terms.length - 1].push({ negate: neg, name: w });
    neg = false;
  }
  return { polarity, terms, text: words.join(' '), file, line };
}
