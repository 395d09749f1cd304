/**
 * `http-request`, `http-response`, `http-after-response`, `tcp-request` and
 * `tcp-response`: the action (rows of actions.ts), its arguments, then the
 * condition, with HAProxy 2.6's messages. An error in an http-* rule stops
 * the file (HAProxy's ERR_ABORT); tcp-* errors are fatal but parsing goes on.
 */
import { ERR_ABORT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import type { PendingArg } from '../../../acl/sample.js';
import type { CondConf, Proxy, RuleConf } from '../../model.js';
import { registerKeywords, type KwContext } from '../../registry.js';
import { parseTime } from '../../../parser/values.js';
import { proxyTypeStr } from '../proxy/section.js';
import { actionTables, findAction, suggestAction } from './actions.js';
import { addSamplePending, addTrack, condWarnings, exprUsage, isHttpFetch, usageOf } from './acl.js';
import { parseLogFormat } from '../../../acl/sample.js';
import { noteLogFormatLine, noteParsedLogFormat } from '../proxy/log.js';
import { parseCondition } from './condition.js';
import { registerProxyCheck, Stage } from '../../postchecks.js';

/** Rule kinds a proxy has defined so far, for HAProxy's misplaced-rule warnings. */
const seenKinds = new WeakMap<Proxy, Set<string>>();

export function markSeen(p: Proxy, kind: string): void {
  let s = seenKinds.get(p);
  if (!s) seenKinds.set(p, (s = new Set()));
  s.add(kind);
}

const ORDER: { kind: string; label: string }[] = [
  { kind: 'tcp-sess', label: "a 'tcp-request session'" },
  { kind: 'tcp-cont', label: "a 'tcp-request content'" },
  { kind: 'monitor', label: "a 'monitor fail'" },
  { kind: 'http-req', label: "an 'http-request'" },
  { kind: 'redirect', label: "a 'redirect'" },
  { kind: 'use_backend', label: "a 'use_backend'" },
  { kind: 'use-server', label: "a 'use-server'" },
];

/**
 * HAProxy's warnif_misplaced_*(): a rule written after one that runs later
 * gets a warning naming the first such rule kind. `after` is the first kind
 * (in ORDER) that runs after the rule being placed.
 */
export function warnMisplaced(ctx: KwContext, after: string, what = ctx.args[0]): number {
  const p = ctx.proxy;
  if (!p) return 0;
  const s = seenKinds.get(p);
  if (!s) return 0;
  const from = ORDER.findIndex((o) => o.kind === after);
  for (let i = from; i >= 0 && i < ORDER.length; i++) {
    if (s.has(ORDER[i].kind)) {
      ctx.warn(`a '${what}' rule placed after ${ORDER[i].label} rule will still be processed before.`);
      return ERR_WARN;
    }
  }
  return 0;
}

const FINAL = new Set(['allow', 'deny', 'tarpit', 'redirect', 'return', 'auth']);
const lastFinal = new WeakMap<Proxy, Map<string, boolean>>();

function addRule(ctx: KwContext, ruleset: string, action: string, args: string[], cond?: CondConf): void {
  const r: RuleConf = { ruleset, action, args, cond, file: ctx.file, line: ctx.line, column: ctx.columns[0] };
  ctx.proxy!.rules.push(r);
}

/** Records the stick table a track-sc action uses, for the post-parse check. */
function trackOf(ctx: KwContext, action: string, word: string, args: string[], used: number): void {
  if (!action.startsWith('track-sc')) return;
  const n = /^track-sc(\d+)/.exec(word)?.[1] ?? '0';
  const ti = args.indexOf('table');
  addTrack(ctx, n, ti >= 0 && ti < used ? args[ti + 1] : undefined);
}

/**
 * How HAProxy words the errors of an action rule: the http-* parser
 * (http_rules.c) and the tcp-* one (tcp_rules.c) say the same things
 * differently, and an http-* error stops the file (ERR_ABORT).
 */
interface RuleDialect {
  abort: number;
  unknown(rs: string, word: string, expects: string, best: string | undefined, where: string): string;
  /** an action's own error (errors starting with NUL are printed as they are) */
  action(rs: string, word: string, error: string, where: string): string;
  cond(rs: string, word: string, next: string, error: string, where: string): string;
  trailing(rs: string, word: string, next: string, where: string): string;
  /** position style of the "unknown action" and "trailing word" messages */
  style: 'parsing' | 'parsing-tight';
}

const HTTP_DIALECT: RuleDialect = {
  abort: ERR_ABORT,
  unknown: (rs, word, expects, best) =>
    `'${rs}' expects ${expects}, but got '${word}'${word ? '' : ' (missing argument)'}.${best ? ` Did you mean '${best}' maybe ?` : ''}`,
  action: (rs, word, error, where) => `error detected in ${where} while parsing '${rs} ${word}' rule : ${error}.`,
  cond: (rs, word, _next, error) => `error detected while parsing an '${rs} ${word}' condition : ${error}.`,
  trailing: (rs, word, next) => `'${rs} ${word}' expects either 'if' or 'unless' followed by a condition but found '${next}'.`,
  style: 'parsing-tight',
};

const TCP_DIALECT: RuleDialect = {
  abort: 0,
  unknown: (rs, word, expects, best, where) =>
    `'${rs}' expects ${expects} in ${where} (got '${word}').${best ? ` Did you mean '${best}' maybe ?` : ''}\n`,
  action: (_rs, _word, error) => error,
  cond: (rs, word, next, error, where) => `'${rs} ${word}' : error detected in ${where} while parsing '${next}' condition : ${error}`,
  trailing: (rs, word, next, where) => `'${rs} ${word}' only accepts 'if' or 'unless', in ${where} (got '${next}')`,
  style: 'parsing',
};

/**
 * An action rule, for every rule set: the action word at args[at] (rows of
 * actions.ts), its arguments, then an optional condition. Returns the rule
 * (not yet added to the proxy), or the error flags.
 */
function actionRule(ctx: KwContext, rs: string, at: number, d: RuleDialect): { err: number; rule?: RuleConf } {
  const p = ctx.proxy!;
  const word = ctx.args[at] ?? '';
  const where = `${proxyTypeStr(p)} '${p.name}'`;
  const table = actionTables.get(rs);
  const found = findAction(rs, word);
  const fail = (m: string, style: RuleDialect['style'] = 'parsing') => ({ err: ctx.alert(m, style) | d.abort });
  if (!found || !table) return fail(d.unknown(rs, word, table?.expects ?? '', suggestAction(rs, word), where), d.style);
  const pending: PendingArg[] = [];
  const args = ctx.args.slice(at + 1);
  const experimental =
    ctx.config.global.seen.has('expose-experimental-directives') ||
    ctx.config.global.directives.some((x) => x.keyword === 'expose-experimental-directives');
  const r =
    found.row.name === 'normalize-uri' && experimental
      ? { used: (args.findIndex((w) => w === 'if' || w === 'unless') + 1 || args.length + 1) - 1 }
      : found.row.parse({
          ruleset: rs,
          word,
          action: found.row.name,
          paren: found.paren,
          args,
          usage: exprUsage(rs, p),
          pending,
          line: ctx.args,
          proxyName: p.name,
          backendCap: p.kind !== 'frontend',
        });
  if ('error' in r) return fail(r.error.startsWith('\u0000') ? r.error.slice(1) : d.action(rs, word, r.error, where));
  // the action's log-format strings are parsed before its condition, as HAProxy does
  noteRuleFormats(ctx, found.row.name, args.slice(0, r.used));
  addSamplePending(ctx, pending, rs);
  trackOf(ctx, found.row.name, word, args, r.used);
  const next = args[r.used];
  let cond: CondConf | undefined;
  if (next === 'if' || next === 'unless') {
    const c = parseCondition(ctx, args.slice(r.used));
    if ('error' in c) return fail(d.cond(rs, word, next, c.error, where));
    cond = c.cond;
  } else if (next !== undefined) {
    return fail(d.trailing(rs, word, next, where), d.style);
  }
  const rule: RuleConf = { ruleset: rs, action: found.row.name, args: args.slice(0, r.used), cond, file: ctx.file, line: ctx.line, column: ctx.columns[0] };
  if (word !== found.row.name) rule.word = word;
  let err = 0;
  for (const w of r.warnings ?? []) err |= ctx.warn(w, 'parsing');
  return { err, rule };
}

/**
 * What an action's log-format arguments tell HAProxy while parsing: which
 * samples read HTTP, whether %ST or %rt appear, and whether the action records
 * its line as the proxy's last log-format line (only some do).
 */
function noteRuleFormats(ctx: KwContext, action: string, args: string[]): void {
  const p = ctx.proxy;
  if (!p) return;
  const fmts: string[] = [];
  let setsLine = true;
  const after = (words: string[]) => {
    for (let i = 0; i < args.length - 1; i++) if (words.includes(args[i])) return args[i + 1];
    return undefined;
  };
  switch (action) {
    case 'set-header':
    case 'add-header':
    case 'early-hint':
      fmts.push(args[1]);
      break;
    case 'replace-header':
    case 'replace-value':
      fmts.push(args[2]);
      break;
    case 'set-var-fmt':
      fmts.push(args[0]);
      break;
    case 'set-path':
    case 'set-pathq':
    case 'set-query':
    case 'set-uri':
    case 'set-method':
      fmts.push(args[0]);
      setsLine = false;
      break;
    case 'return':
    case 'deny':
    case 'tarpit': {
      const lf = after(['lf-string']);
      if (lf !== undefined) fmts.push(lf);
      else if (after(['lf-file']) === undefined) return;
      break;
    }
    case 'redirect': {
      const v = after(['location', 'prefix', 'scheme']);
      if (v === undefined || (args.includes('prefix') && v === '/')) return;
      fmts.push(v);
      break;
    }
    default:
      return;
  }
  for (const f of fmts) {
    // most values are plain text: nothing to learn from them
    if (f === undefined || !f.includes('%')) continue;
    const r = parseLogFormat(f);
    noteParsedLogFormat(p, r.exprs.map((e) => isHttpFetch(e.fetch.name)), /%(\{[^}]*\})?(ST|rt)(?![A-Za-z0-9])/.test(f.replace(/%%/g, '')));
  }
  if (setsLine) noteLogFormatLine(ctx);
}

/* ---- http-request / http-response / http-after-response ------------------- */

function httpRule(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  const rs = ctx.args[0];
  if (p.kind === 'defaults' && !p.name) return ctx.alert(`'${rs}' not allowed in anonymous 'defaults' section.`);
  let err = 0;
  let finals = lastFinal.get(p);
  if (!finals) lastFinal.set(p, (finals = new Map()));
  if (finals.get(rs)) {
    ctx.warn(`previous '${rs}' action is final and has no condition attached, further entries are NOOP.`, 'parsing-tight');
    err |= ERR_WARN;
  }
  const { err: e, rule } = actionRule(ctx, rs, 1, HTTP_DIALECT);
  if (!rule) return err | e;
  if (rs === 'http-request') {
    err |= warnMisplaced(ctx, 'redirect');
    markSeen(p, 'http-req');
  }
  err |= condWarnings(ctx, rule.cond, usageOf(rs, p));
  finals.set(rs, !rule.cond && FINAL.has(rule.action) && !(rule.action === 'redirect' && rule.args.includes('ignore-empty')));
  p.rules.push(rule);
  return err;
}

/** `stats http-request <action> [cond]`: the same grammar as http-request, the rule kept apart (stats.ts) */
export function statsHttpRequestRule(ctx: KwContext): { err: number; rule?: RuleConf } {
  return actionRule(ctx, 'http-request', 2, HTTP_DIALECT);
}

/* ---- tcp-request / tcp-response ------------------------------------------ */

function tcpActionRule(ctx: KwContext, rs: string): number {
  const { err, rule } = actionRule(ctx, rs, 2, TCP_DIALECT);
  if (!rule) return err;
  const e = condWarnings(ctx, rule.cond, usageOf(rs, ctx.proxy!), rs);
  ctx.proxy!.rules.push(rule);
  return e;
}

function inspectDelay(ctx: KwContext, rs: string): number {
  const p = ctx.proxy!;
  const v = ctx.args[2];
  const where = `${proxyTypeStr(p)} '${p.name}'`;
  const base = `'${ctx.args[0]} ${ctx.args[1]}' expects a positive delay in milliseconds, in ${where}`;
  if (v === undefined || v === '') return ctx.alert(base);
  const t = parseTime(v, 'ms');
  if (!t.ok) {
    if (t.reason === 'overflow') return ctx.alert(`${base} (timer overflow in '${v}', maximum value is 2147483647 ms or ~24.8 days)`);
    if (/^\d/.test(v)) return ctx.alert(`${base} (unexpected character '${t.at[0]}')`);
    return ctx.alert(base);
  }
  addRule(ctx, rs, 'inspect-delay', [v]);
  return 0;
}

function tcpRequest(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  const sub = ctx.args[1];
  const where = `${proxyTypeStr(p)} '${p.name}'`;
  const anon = p.kind === 'defaults' && !p.name;
  if (sub === undefined || sub === '') return ctx.alert(`missing argument for '${ctx.args[0]}' in ${where}`);
  if (sub === 'inspect-delay') {
    if (anon) return ctx.alert(`${ctx.args[0]} ${sub} is not allowed in anonymous 'defaults' sections`);
    return inspectDelay(ctx, 'tcp-request');
  }
  if (sub === 'content') {
    if (anon) return ctx.alert(`${ctx.args[0]} ${sub} is not allowed in anonymous 'defaults' sections`);
    const e = tcpActionRule(ctx, 'tcp-request content');
    if (e & ERR_FATAL) return e;
    const w = warnMisplaced(ctx, 'monitor');
    markSeen(p, 'tcp-cont');
    return e | w;
  }
  if (sub === 'connection' || sub === 'session') {
    if (p.kind === 'backend') return ctx.alert(`${ctx.args[0]} ${sub} is not allowed because ${where.replace(/'/g, '')} is not a frontend`);
    if (anon) return ctx.alert(`${ctx.args[0]} ${sub} is not allowed in anonymous 'defaults' sections`);
    const e = tcpActionRule(ctx, `tcp-request ${sub}`);
    if (e & ERR_FATAL) return e;
    const w = warnMisplaced(ctx, sub === 'connection' ? 'tcp-sess' : 'tcp-cont');
    if (sub === 'session') markSeen(p, 'tcp-sess');
    return e | w;
  }
  return ctx.alert(`'${ctx.args[0]}' expects 'inspect-delay', 'connection', or 'content' in ${where} (got '${sub}')`);
}

function tcpResponse(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  const sub = ctx.args[1];
  const where = `${proxyTypeStr(p)} '${p.name}'`;
  const anon = p.kind === 'defaults' && !p.name;
  if (sub === undefined || sub === '') return ctx.alert(`missing argument for '${ctx.args[0]}' in ${where}`);
  if (sub === 'inspect-delay' || sub === 'content') {
    if (anon || p.kind === 'frontend')
      return ctx.alert(`${ctx.args[0]} ${sub} is only allowed in 'backend' sections or 'defaults' section with a name`);
    if (sub === 'inspect-delay') return inspectDelay(ctx, 'tcp-response');
    return tcpActionRule(ctx, 'tcp-response content');
  }
  return ctx.alert(`'${ctx.args[0]}' expects 'inspect-delay' or 'content' in ${where} (got '${sub}')`);
}

const PROXIES = ['defaults', 'frontend', 'backend', 'listen'] as const;

registerKeywords([
  { name: 'http-request', sections: PROXIES, parse: httpRule, support: 'no' },
  { name: 'http-response', sections: PROXIES, parse: httpRule, support: 'no' },
  { name: 'http-after-response', sections: PROXIES, parse: httpRule, support: 'no' },
  { name: 'tcp-request', sections: PROXIES, parse: tcpRequest, support: 'no' },
  { name: 'tcp-response', sections: PROXIES, parse: tcpResponse, support: 'no' },
]);

/* ---- post-parse -------------------------------------------------------------- */

/**
 * HAProxy's PR_O_HTTP_UPG: a `tcp-request content switch-mode http` rule (the
 * proxy's own or its defaults section's) lets a tcp proxy keep HTTP settings.
 */
export function upgradesToHttp(p: Proxy): boolean {
  for (let q: Proxy | undefined = p; q; q = q.defaultsProxy) {
    for (const r of q.rules) if (r.action === 'switch-mode' && r.args[0] === 'http') return true;
  }
  return false;
}

/** True when HAProxy ignores the proxy's HTTP-only settings (not in HTTP mode, no upgrade). */
export function httpIgnored(p: Proxy): boolean {
  return p.mode !== 'http' && !upgradesToHttp(p);
}

// the proxy's own rules only: those of its defaults section are not reported
const HTTP_RULESETS: [string, number][] = [
  ['http-request', 0.3],
  ['http-response', 0.4],
  ['http-after-response', 0.5],
];
for (const [rs, at] of HTTP_RULESETS) {
  registerProxyCheck(Stage.httpOnly + at, (p, _config, diags) => {
    if (!httpIgnored(p) || !p.rules.some((r) => r.ruleset === rs)) return 0;
    diags.warning(`'${rs}' rules ignored for ${proxyTypeStr(p)} '${p.name}' as they require HTTP mode.`, undefined, undefined, 'none');
    return ERR_WARN;
  });
}
