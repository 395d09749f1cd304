/**
 * Stick tables in the configuration: the `stick-table` line of a proxy and
 * the `table` line of a peers section (validated by the same parser the
 * runtime uses, src/runtime/stick/conf.ts, with HAProxy 2.6's messages),
 * and the checks HAProxy runs once everything is read: the table of each
 * `stick` rule and of each track-sc action, the key types, and the two
 * warnings about `tcp-request content track-sc*` rules.
 */
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import type { Diagnostics } from '../../../parser/diagnostics.js';
import type { Config, Directive, Proxy } from '../../model.js';
import { sectionsOf } from '../../model.js';
import type { KwContext } from '../../registry.js';
import { registerPostCheck, registerProxyCheck, Stage } from '../../postchecks.js';
import { parseTableLine, type KeyType } from '../../../runtime/stick/conf.js';
import { parseSampleExpr, Use } from '../../../acl/sample.js';
import { T, canCast, typeOf } from '../../../acl/types.js';
import { proxyTypeStr } from './section.js';
import { parseTime } from '../../../parser/values.js';

/** Where a table was declared, for the name conflict message. */
interface Declared {
  kind: string;
  owner: string;
  file: string;
  line: number;
  type: KeyType;
}

const declared = new WeakMap<Config, Map<string, Declared>>();

function tablesOf(config: Config): Map<string, Declared> {
  let m = declared.get(config);
  if (!m) declared.set(config, (m = new Map()));
  return m;
}

function report(ctx: KwContext, r: ReturnType<typeof parseTableLine>): number {
  let err = 0;
  for (const w of r.warnings) err |= ctx.warn(w.text, w.tight ? 'parsing-tight' : 'parsing');
  for (const a of r.alerts) err |= ctx.alert(a.text, a.tight ? 'parsing-tight' : 'parsing');
  return err;
}

function conflict(ctx: KwContext, name: string): number {
  const other = tablesOf(ctx.config).get(name);
  if (!other) return 0;
  return ctx.alert(`stick-table name '${name}' conflicts with table declared in ${other.kind} '${other.owner}' at ${other.file}:${other.line}.`);
}

/** `stick-table ...` in a frontend, backend or listen (the defaults case is refused before). */
export function parseStickTableLine(ctx: KwContext): number {
  const p = ctx.proxy!;
  const c = conflict(ctx, p.name);
  if (c) return c;
  const r = parseTableLine(ctx.args, false);
  const err = report(ctx, r);
  if (!r.conf) return err;
  const d: Directive = { keyword: ctx.args[0], args: ctx.args.slice(1), file: ctx.file, line: ctx.line, column: ctx.columns[0] };
  p.directives.push(d);
  tablesOf(ctx.config).set(p.name, { kind: capStr(p), owner: p.name, file: ctx.file, line: ctx.line, type: r.conf.type });
  if (r.conf.peers && ctx.opts.supportWarnings) {
    ctx.note(`'stick-table ... peers ${r.conf.peers}': the table is kept by this process only; tshaproxy does not synchronise it with peers.`);
  }
  return err;
}

/** `table <name> ...` in a peers section; `keep` records the line (the section's own helper). */
export function parsePeersTableLine(ctx: KwContext, keep: () => void): number {
  const peers = ctx.named?.name ?? '';
  const full = `${peers}/${ctx.args[1] ?? ''}`;
  // (HAProxy 2.6 checks neither a missing name nor a name used twice in a peers section)
  const r = parseTableLine(ctx.args, true);
  const err = report(ctx, r);
  if (!r.conf) return err;
  keep();
  if (!tablesOf(ctx.config).has(full)) tablesOf(ctx.config).set(full, { kind: 'peers', owner: peers, file: ctx.file, line: ctx.line, type: r.conf.type });
  return err;
}

/** HAProxy's proxy_cap_str() */
function capStr(p: Proxy): string {
  return p.kind === 'listen' ? 'listen' : p.kind === 'frontend' ? 'frontend' : p.kind === 'backend' ? 'backend' : 'proxy';
}

/* ---- checks after parsing ------------------------------------------------------------- */

const KEY_T: Record<KeyType, T> = { ip: T.IPV4, ipv6: T.IPV6, integer: T.SINT, string: T.STR, binary: T.BIN };

/** the output type of a sample expression (its last converter's, else its fetch's) */
function exprType(text: string): { t: T; source: string; feSess: boolean } | undefined {
  const r = parseSampleExpr(text);
  if ('error' in r) return undefined;
  const e = r.expr;
  const out = e.convs.length ? e.convs[e.convs.length - 1].conv.out : e.fetch.out;
  return { t: typeOf(out), source: e.fetch.source, feSess: e.fetch.valid[Use.FeSess] };
}

function compatible(text: string, type: KeyType): boolean {
  const x = exprType(text);
  return !x || x.t === T.ANY || canCast(x.t, KEY_T[type]);
}

/** a table's key type by name: a proxy's or a peers section's */
function tableType(config: Config, name: string): KeyType | undefined {
  const d = declared.get(config)?.get(name);
  if (d) return d.type;
  // tables of a configuration read without this module (should not happen): parse again
  for (const p of config.proxies) {
    if (p.name !== name) continue;
    for (const dd of p.directives) if (dd.keyword === 'stick-table') return parseTableLine(['stick-table', ...dd.args], false).conf?.type;
  }
  for (const s of sectionsOf(config, 'peers')) {
    for (const dd of s.tables) if (`${s.name}/${dd.args[0]}` === name) return parseTableLine(['table', ...dd.args], true).conf?.type;
  }
  return undefined;
}

function condStart(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) if (args[i] === 'if' || args[i] === 'unless') return i;
  return args.length;
}

const STICK_RULES = ['stick match', 'stick on', 'stick store-request'];

/** `stick` rules: their table must exist and take the expression's type */
function checkStickRules(p: Proxy, config: Config, diags: Diagnostics): number {
  let err = 0;
  const pass = (kws: string[]) => {
    for (const d of p.directives) {
      if (!kws.includes(d.keyword)) continue;
      const ci = condStart(d.args);
      const ti = d.args.indexOf('table');
      const name = ti > 0 && ti < ci && d.args[ti + 1] ? d.args[ti + 1] : p.name;
      const type = tableType(config, name);
      if (!type) {
        diags.alert(`Proxy '${p.name}': unable to find stick-table '${name}'.`, undefined, undefined, 'none');
        err |= ERR_ALERT | ERR_FATAL;
      } else if (!compatible(d.args[0] ?? '', type)) {
        diags.alert(`Proxy '${p.name}': type of fetch not usable with type of stick-table '${name}'.`, undefined, undefined, 'none');
        err |= ERR_ALERT | ERR_FATAL;
      }
    }
  };
  pass(STICK_RULES);
  pass(['stick store-response']);
  return err;
}

const TRACK_SETS = ['tcp-request connection', 'tcp-request session', 'tcp-request content', 'tcp-response content', 'http-request', 'http-response', 'http-after-response'];

/** the request's contents: L6 buffer or HTTP request (SMP_USE_L6REQ|HRQHV|HRQHP|HRQBO) */
function readsRequest(source: string): boolean {
  return source === 'HTTP request headers' || source === 'request buffer';
}

/** a condition reads the request's contents when any of its fetches does (best effort on ACL keywords) */
function condReadsRequest(p: Proxy, words: string[]): boolean {
  const crit: string[] = [];
  for (let i = 1; i < words.length; i++) {
    let w = words[i].replace(/^!+/, '');
    if (w === '{') {
      crit.push(words[i + 1] ?? '');
      const close = words.indexOf('}', i + 1);
      i = close < 0 ? words.length : close;
      continue;
    }
    if (w === '||' || w === 'or' || !w) continue;
    for (const a of p.acls) if (a.name === w) crit.push(a.words[0] ?? '');
    if (/^(HTTP|METH_|REQ_CONTENT|WAIT_END|RDP_COOKIE|HTTP_)/.test(w)) crit.push('req.hdr');
    w = '';
  }
  for (const c of crit) {
    const fetch = c.replace(/\(.*$/, '').replace(/,.*$/, '');
    const x = exprType(fetch);
    if (x && readsRequest(x.source)) return true;
    if (!x && /^(hdr|path|url|method|cook|req\.|payload|req_|base|urlp|query|http_)/.test(fetch)) return true;
  }
  return false;
}

/** track-sc actions: their table, its type, and HAProxy's warnings on tcp-request content tracking */
function checkTracks(p: Proxy, config: Config, diags: Diagnostics): number {
  let err = 0;
  for (const rs of TRACK_SETS) {
    for (const r of p.rules) {
      if (r.ruleset !== rs || !r.action.startsWith('track-sc')) continue;
      const word = r.word ?? r.action;
      const n = /^track-sc(\d+)/.exec(word)?.[1] ?? '0';
      const name = r.args[1] === 'table' && r.args[2] ? r.args[2] : p.name;
      const type = tableType(config, name);
      if (!type) {
        diags.alert(`Proxy '${p.name}': unable to find table '${name}' referenced by track-sc${n}.`, undefined, undefined, 'none');
        err |= ERR_ALERT | ERR_FATAL;
        continue;
      }
      if (!compatible(r.args[0] ?? '', type)) {
        diags.alert(`Proxy '${p.name}': stick-table '${name}' uses a type incompatible with the 'track-sc${n}' rule.`, undefined, undefined, 'none');
        err |= ERR_ALERT | ERR_FATAL;
        continue;
      }
      if (rs !== 'tcp-request content' || (p.kind !== 'frontend' && p.kind !== 'listen')) continue;
      const x = exprType(r.args[0] ?? '');
      if (!x) continue;
      if (!inspectDelayOf(p) && !x.feSess) {
        diags.warning(
          `${proxyTypeStr(p)} '${p.name}' : a 'tcp-request content track-sc*' rule explicitly depending on request contents without any 'tcp-request inspect-delay' setting. This means that this rule will randomly find its contents. This can be fixed by setting the tcp-request inspect-delay.`,
          undefined,
          undefined,
          'none',
        );
        err |= ERR_WARN;
      }
      if (p.mode === 'http' && !readsRequest(x.source) && (!r.cond || !condReadsRequest(p, r.cond.text.split(/\s+/)))) {
        diags.warning(
          `${proxyTypeStr(p)} '${p.name}' : a 'tcp-request content track-sc*' rule not depending on request contents for an HTTP frontend should be executed at the session level, using a 'tcp-request session' rule (mandatory to track invalid HTTP requests).`,
          undefined,
          undefined,
          'none',
        );
        err |= ERR_WARN;
      }
    }
  }
  return err;
}

/** `tcp-request inspect-delay` of a proxy (its own, else its defaults') */
function inspectDelayOf(p: Proxy): number {
  for (let q: Proxy | undefined = p; q; q = q.defaultsProxy) {
    for (let i = q.rules.length - 1; i >= 0; i--) {
      const r = q.rules[i];
      if (r.ruleset === 'tcp-request' && r.action === 'inspect-delay') {
        const t = parseTime(r.args[0] ?? '', 'ms');
        return t.ok ? t.ms : 0;
      }
    }
  }
  return 0;
}

// track-sc actions of named defaults sections (their rules run for the proxies using them)
registerPostCheck((config, diags) => {
  let err = 0;
  for (const d of config.defaults) if (d.rules.some((r) => r.action.startsWith('track-sc'))) err |= checkTracks(d, config, diags);
  return err;
});
registerProxyCheck(Stage.switching + 0.2, (p, config, diags) => (p.directives.some((d) => d.keyword.startsWith('stick ')) ? checkStickRules(p, config, diags) : 0));
registerProxyCheck(Stage.actionRules - 0.05, (p, config, diags) => (p.rules.some((r) => r.action.startsWith('track-sc')) ? checkTracks(p, config, diags) : 0));

// the peers section a table names must exist (a disabled one silently disables the synchronisation)
registerProxyCheck(Stage.actionRules + 0.5, (p, config, diags) => {
  for (const d of p.directives) {
    if (d.keyword !== 'stick-table') continue;
    const i = d.args.indexOf('peers');
    const name = i >= 0 ? d.args[i + 1] : undefined;
    if (!name || sectionsOf(config, 'peers').some((s) => s.name === name)) continue;
    diags.alert(`Proxy '${p.name}': unable to find sync peers '${name}'.`, undefined, undefined, 'none');
    return ERR_ALERT | ERR_FATAL;
  }
  return 0;
});
