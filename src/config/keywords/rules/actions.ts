/**
 * Rule actions as rows: for each rule set (http-request, http-response,
 * http-after-response, tcp-request connection|session|content, tcp-response
 * content) the actions the 2.6.12 binary registers (data/binary-actions.txt)
 * and, per action, a parser that consumes its arguments and reports
 * HAProxy's message. What follows the arguments must be a condition.
 */
import { existsSync, statSync } from 'node:fs';
import { parseTime } from '../../../parser/values.js';
import { dataText } from '../../tables.js';
import { fingerprintDistance, wordFingerprint } from '../../registry.js';
import { parseLogFormat, parseSampleExpr, services, fetches, type PendingArg } from '../../../acl/sample.js';

export interface ActionInput {
  /** rule set: 'http-request', 'tcp-request content'... */
  ruleset: string;
  /** the action word as written, e.g. 'set-var(txn.x)' */
  word: string;
  /** the registered action it matched, e.g. 'set-var' */
  action: string;
  /** text between parentheses of the action word, if any */
  paren?: string;
  /** words after the action word */
  args: string[];
  /** usage point sample expressions are checked against */
  usage?: number;
  pending: PendingArg[];
  /** all words of the line (for HAProxy's quirks that quote them) */
  line: string[];
  /** the proxy's name, and whether it can be a backend (not a frontend section) */
  proxyName?: string;
  backendCap?: boolean;
}

/** `used`: how many of `args` the action consumed. */
export type ActionResult = { used: number; warnings?: string[] } | { error: string };

export interface ActionRow {
  name: string;
  /** name given with (*) in HAProxy's list: matches by prefix */
  prefix: boolean;
  parse: (a: ActionInput) => ActionResult;
}

const isCondWord = (w: string | undefined) => w === 'if' || w === 'unless';

/** Counts the words up to the condition. */
function untilCond(args: string[]): number {
  let n = 0;
  while (n < args.length && !isCondWord(args[n])) n++;
  return n;
}

function fmtCheck(a: ActionInput, fmt: string): string | undefined {
  const r = parseLogFormat(fmt, a.usage, a.pending);
  return r.error;
}

function exactly(n: number, text: string, fmtAt?: number) {
  return (a: ActionInput): ActionResult => {
    const k = untilCond(a.args);
    if (k < n) return { error: text };
    if (fmtAt !== undefined) {
      const e = fmtCheck(a, a.args[fmtAt]);
      if (e) return { error: e };
    }
    return { used: n };
  };
}

/** A sample expression in one word; HAProxy's texts. */
function expr(a: ActionInput, i: number, ctxCheck = true): { used: number } | { error: string } {
  const w = a.args[i];
  if (w === undefined || isCondWord(w) || w === '') return { error: 'missing fetch method' };
  const r = parseSampleExpr(w, 0, { pending: a.pending });
  if ('error' in r) return { error: r.error };
  if (ctxCheck && a.usage !== undefined && !r.expr.fetch.valid[a.usage]) {
    return { error: `fetch method '${a.word}' extracts information from '${r.expr.fetch.source}', none of which is available here` };
  }
  return { used: 1 };
}

/** http-request set-timeout server|tunnel <time>|<expr> (HAProxy's parse_http_set_timeout, cfg_parse_rule_set_timeout) */
function setTimeoutAction(a: ActionInput): ActionResult {
  if (a.backendCap === false) return { error: `proxy '${a.proxyName ?? ''}' has no backend capability` };
  const [which, v] = a.args;
  if (!which || !v) return { error: 'expects exactly 2 arguments' };
  if (which !== 'server' && which !== 'tunnel') return { error: `'set-timeout' rule supports 'server'/'tunnel' (got '${which}')` };
  const t = parseTime(v, 'ms');
  if (t.ok) return { used: 2 };
  if (t.reason === 'overflow')
    return { error: `timer overflow in argument '${v}' to rule 'set-timeout ${which}' (maximum value is 2147483647 ms or ~24.8 days)` };
  if (t.reason === 'underflow') return { error: `timer underflow in argument '${v}' to rule 'set-timeout ${which}' (minimum value is 1 ms)` };
  // not a time: a sample expression
  const e = expr(a, 1);
  if ('error' in e) return { error: `unexpected character '${t.at[0] ?? ''}' in rule 'set-timeout ${which}'` };
  return { used: 2 };
}

const noArgs = (): ActionResult => ({ used: 0 });
const rest = (a: ActionInput): ActionResult => ({ used: untilCond(a.args) });

function fileMissing(path: string): boolean {
  try {
    return !existsSync(path) || statSync(path).isDirectory();
  } catch {
    return true;
  }
}

/** deny / tarpit / return / auth... options with their number of values */
/** what HAProxy names the value of each reply option when it is missing */
const REPLY_ARG: Record<string, string> = {
  deny_status: '<status_code>', status: '<status_code>', 'content-type': '<ctype>', errorfile: '<file>', errorfiles: '<name>',
  file: '<file>', 'lf-file': '<file>', string: '<str>', 'lf-string': '<fmt>',
};

const REPLY_OPTS: Record<string, number> = {
  deny_status: 1, status: 1, 'content-type': 1, errorfile: 1, errorfiles: 1, file: 1, 'lf-file': 1,
  string: 1, 'lf-string': 1, hdr: 2, 'default-errorfiles': 0,
};

/** status codes HAProxy has an error message for (deny_status, tarpit) */
const ERR_CODES = new Set([200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504]);

/** the payload kinds of an http reply: only one may be given (http_parse_http_reply) */
const PAYLOAD = new Set(['errorfile', 'errorfiles', 'default-errorfiles', 'file', 'lf-file', 'string', 'lf-string']);

function reply(a: ActionInput): ActionResult {
  let i = 0;
  // HAProxy's default status for each action
  let status = a.action === 'return' ? 200 : a.action === 'tarpit' ? 500 : a.ruleset === 'http-response' ? 502 : 403;
  let ctype: string | undefined;
  let payload: string | undefined;
  let objlen = 0;
  let hdrs = 0;
  const warnings: string[] = [];
  while (i < a.args.length && REPLY_OPTS[a.args[i]] !== undefined) {
    const o = a.args[i];
    const n = REPLY_OPTS[o];
    const v = a.args[i + 1];
    if (PAYLOAD.has(o) && payload !== undefined) return { error: `unexpected '${o}' argument, '${payload}' already defined` };
    if (o === 'hdr' && (a.args[i + 1] === undefined || a.args[i + 2] === undefined))
      return { error: `'hdr' expects <name> and <value> as arguments` };
    if (n === 1 && v === undefined) return { error: `'${o}' expects ${REPLY_ARG[o] ?? '<arg>'} as argument` };
    if (o === 'deny_status' && a.action !== 'return' && v !== undefined) {
      const code = Number.parseInt(v, 10);
      if (!ERR_CODES.has(code)) return { error: `Unexpected status code '${Number.isNaN(code) ? 0 : code}'` };
      status = code;
    }
    if (o === 'status') {
      status = Number.parseInt(v, 10) || 0;
      if (status < 200 || status > 599) return { error: `Unexpected status code '${status}'` };
    }
    if (o === 'content-type') ctype = v;
    if (o === 'errorfile' && v !== undefined && fileMissing(v)) return { error: `error opening file '${v}'.` };
    if ((o === 'file' || o === 'lf-file') && v !== undefined) {
      if (fileMissing(v)) return { error: `error opening file '${v}'` };
      try {
        objlen = statSync(v).size;
      } catch {
        objlen = 0;
      }
      if (objlen > 16384) return { error: `file '${v}' exceeds the buffer size (${objlen} > 16384)` };
    }
    if (o === 'string' || o === 'lf-string') objlen = v.length;
    if (o === 'lf-string' && v !== undefined) {
      const e = fmtCheck(a, v);
      if (e) return { error: e };
    }
    if (o === 'hdr' && a.args[i + 2] !== undefined) {
      if (/^(content-length|transfer-encoding|content-type)$/i.test(a.args[i + 1])) {
        warnings.push(`header '${a.args[i + 1]}' always ignored by the http reply.`);
      } else {
        hdrs++;
        const e = fmtCheck(a, a.args[i + 2]);
        if (e) return { error: e };
      }
    }
    if (PAYLOAD.has(o)) payload = o;
    i += 1 + n;
  }
  // the checks HAProxy runs once the reply is read
  if (a.action === 'return' || a.args.some((w) => w !== 'deny_status' && REPLY_OPTS[w] !== undefined)) {
    if (payload === undefined) {
      if (ctype !== undefined) warnings.push(`content-type '${ctype}' ignored by the http reply because neither errorfile nor payload defined.`);
    } else if (payload === 'errorfile' || payload === 'errorfiles' || payload === 'default-errorfiles') {
      if (payload !== 'errorfile' && !ERR_CODES.has(status)) return { error: `status code '${status}' not handled by default with '${payload}' argument.` };
      if (ctype !== undefined) warnings.push(`content-type '${ctype}' ignored by the http reply when used with an erorrfile.`);
      if (hdrs) warnings.push('hdr parameters ignored by the http reply when used with an erorrfile.');
    } else if (payload === 'file' || payload === 'string') {
      if ((status === 204 || status === 304) && objlen) return { error: `No body expected for ${status} responses` };
      if (ctype === undefined && objlen) return { error: 'a content type must be defined when non-empty payload is configured' };
      if (ctype !== undefined && !objlen) warnings.push(`content-type '${ctype}' ignored by the http reply when used with an empty payload.`);
    } else {
      if (status === 204 || status === 304) return { error: `No body expected for ${status} responses` };
      if (ctype === undefined) return { error: 'a content type must be defined with a log-format payload' };
    }
  }
  const used = Math.min(i, a.args.length);
  return warnings.length ? { used, warnings } : { used };
}

const REDIRECT_ARGS: Record<string, number> = {
  location: 1, prefix: 1, scheme: 1, code: 1, 'set-cookie': 1, 'clear-cookie': 1,
  'drop-query': 0, 'ignore-empty': 0, 'append-slash': 0,
};

/** `redirect` options, shared with the `redirect` keyword. */
export function parseRedirect(args: string[], checkFmt?: (fmt: string) => string | undefined): ActionResult {
  let i = 0;
  while (i < args.length && !isCondWord(args[i])) {
    const o = args[i];
    const n = REDIRECT_ARGS[o];
    if (n === undefined) {
      return {
        error: `expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '${o}')`,
      };
    }
    if (n && args[i + 1] === undefined) return { error: `missing argument for '${o}'` };
    if ((o === 'location' || o === 'prefix' || o === 'scheme') && checkFmt) {
      const e = checkFmt(args[i + 1]);
      if (e) return { error: e };
    }
    i += 1 + n;
  }
  return { used: i };
}

function capture(a: ActionInput): ActionResult {
  const tcp = a.ruleset.startsWith('tcp');
  if (!tcp && untilCond(a.args) === 0) return { error: "expects <expression> [ 'len' <length> | id <idx> ]" };
  const e = expr(a, 0);
  if ('error' in e) return tcp ? { error: `'${a.ruleset} capture' : ${e.error}` } : e;
  if (a.args[1] === 'len' || a.args[1] === 'id') {
    if (a.args[2] === undefined) return { error: tcp ? `'${a.ruleset} capture' : a positive 'len' argument is mandatory` : "expects <expression> [ 'len' <length> | id <idx> ]" };
    return { used: 3 };
  }
  return { error: tcp ? `'${a.ruleset} capture' : a positive 'len' argument is mandatory` : "expects <expression> [ 'len' <length> | id <idx> ]" };
}

function track(a: ActionInput): ActionResult {
  const e = expr(a, 0);
  if ('error' in e) return a.ruleset.startsWith('tcp') ? { error: `'${a.ruleset} ${a.word}' : ${e.error}` } : e;
  if (a.args[1] === 'table') return { used: 3 };
  return { used: 1 };
}

function setVar(a: ActionInput): ActionResult {
  if (a.paren !== undefined && !a.word.endsWith(')')) {
    return {
      error: `incomplete argument after action '${a.word}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'`,
    };
  }
  if (a.paren === undefined) {
    return {
      error: `invalid or incomplete action '${a.word}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'`,
    };
  }
  if (a.action === 'unset-var') return { used: 0 };
  if (a.action === 'set-var-fmt') {
    const k = untilCond(a.args);
    if (k < 1) return { error: 'missing format string' };
    const e = fmtCheck(a, a.args[0]);
    if (e) return { error: e };
    return { used: 1 };
  }
  return expr(a, 0);
}

function useService(a: ActionInput): ActionResult {
  const name = a.args[0] ?? '';
  if (!services.has(name)) {
    const shown = a.ruleset.startsWith('tcp') ? a.line[1] ?? '' : name;
    return { error: `'${shown}' unknown service name.` };
  }
  return { used: 1 };
}

function setStatus(a: ActionInput): ActionResult {
  const k = untilCond(a.args);
  if (k !== 1 && k !== 3) return { error: 'expects 1 argument: <status>; or 3 arguments: <status> reason <fmt>' };
  const n = Number(a.args[0]);
  if (!/^\d+$/.test(a.args[0]) || n < 100 || n > 999) return { error: 'expects an integer status code between 100 and 999' };
  return { used: k };
}

function delHeader(a: ActionInput): ActionResult {
  const k = untilCond(a.args);
  if (k < 1) return { error: 'expects at least 1 argument' };
  if (a.args[1] === '-m') return { used: Math.min(3, k) };
  return { used: 1 };
}

function exprAction(a: ActionInput): ActionResult {
  return expr(a, 0);
}

function normalizeUri(): ActionResult {
  return { error: "\u0000'normalize-uri' action is experimental, must be allowed via a global 'expose-experimental-directives'" };
}

const LOG_LEVELS = new Set(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', 'silent']);

/** C strtol() on `s` from `i`: the index just after the number (i itself when there is none) and its value. */
function strtolAt(s: string, i: number): { end: number; v: number } {
  let j = i;
  while (j < s.length && /[ \t\n\v\f\r]/.test(s[j])) j++;
  const m = /^[-+]?\d+/.exec(s.slice(j));
  return m ? { end: j + m[0].length, v: parseInt(m[0], 10) } : { end: i, v: 0 };
}

/**
 * sc-inc-gpc(<idx>,<sc>), sc-inc-gpc0/1[(<sc>)], sc-set-gpt(<idx>,<sc>) and
 * sc-set-gpt0[(<sc>)] <value>, as HAProxy 2.6 re-reads the whole action word
 * (whichever prefix matched); the tracking counter is 0..2.
 */
function scAction(a: ActionInput): ActionResult {
  const w = a.word;
  const gpt = w.startsWith('sc-set-gpt');
  const base = gpt ? 'sc-set-gpt' : 'sc-inc-gpc';
  const two = `Expects ${base}(<${gpt ? 'GPT' : 'GPC'} ID>,<Track ID>)`;
  const max = 'The max allowed ID is 2';
  let i = base.length;
  if (w[i] === '(') {
    const idx = strtolAt(w, i + 1);
    if (w[idx.end] !== ',') return { error: `Missing ${gpt ? 'gpt' : 'gpc'} ID '${w}'. ${two}` };
    const sc = strtolAt(w, idx.end + 1);
    if (w[sc.end] !== ')') return { error: `invalid stick table track ID '${w}'. ${two}` };
    if (sc.v >= 3) return { error: `invalid stick table track ID '${w}'. ${max}` };
  } else if (w[i] === '0' || (!gpt && w[i] === '1')) {
    i++;
    if (i < w.length) {
      // gpc0/gpc1 quote the word in the "Expects" text, gpt0 quotes it in front
      const bad = gpt ? `invalid stick table track ID '${w}'. Expects sc-set-gpt0(<Track ID>)` : `invalid stick table track ID. Expects ${w}(<Track ID>)`;
      if (w[i] !== '(') return { error: bad };
      const sc = strtolAt(w, i + 1);
      if (w[sc.end] !== ')') return { error: bad };
      if (sc.v >= 3) return { error: gpt ? `invalid stick table track ID '${w}'. ${max}` : `invalid stick table track ID. ${max}` };
    }
  } else {
    return { error: `invalid ${gpt ? 'gpt' : 'gpc'} ID '${w}'. ${two}` };
  }
  if (!gpt) return { used: 0 };
  // sc-set-gpt: an integer (an absent value reads as 0), otherwise a sample expression
  const v = a.args[0];
  if (v === undefined) return { used: 0 };
  const n = strtolAt(v, 0);
  if (n.end === v.length) return { used: 1 };
  const r = parseSampleExpr(v, 0, { pending: a.pending });
  if ('error' in r) return { error: r.error };
  if (a.usage !== undefined && !r.expr.fetch.valid[a.usage]) {
    return { error: `fetch method '${v}' extracts information from '${r.expr.fetch.source}', none of which is available here` };
  }
  return { used: 1 };
}

/** do-resolve(<var>,<resolvers>[,ipv4|ipv6]) <expr>: resolvers are looked up after parsing */
function doResolve(a: ActionInput): ActionResult {
  const e = expr(a, 0);
  if ('error' in e) return e;
  const parts = (a.paren ?? '').split(',');
  if (parts[1]) a.pending.push({ type: 'resolvers', value: parts[1], pos: 1, kw: 'do-resolve' });
  return e;
}

const PARSERS: Record<string, (a: ActionInput) => ActionResult> = {
  'set-header': exactly(2, 'expects exactly 2 arguments', 1),
  'add-header': exactly(2, 'expects exactly 2 arguments', 1),
  'early-hint': exactly(2, 'expects exactly 2 arguments', 1),
  'replace-header': exactly(3, 'expects exactly 3 arguments', 2),
  'replace-value': exactly(3, 'expects exactly 3 arguments', 2),
  'set-path': exactly(1, 'expects exactly 1 argument <format>', 0),
  'set-pathq': exactly(1, 'expects exactly 1 argument <format>', 0),
  'set-query': exactly(1, 'expects exactly 1 argument <format>', 0),
  'set-uri': exactly(1, 'expects exactly 1 argument <format>', 0),
  'set-method': exactly(1, 'expects exactly 1 argument <format>', 0),
  'set-log-level': (a) => {
    const k = untilCond(a.args);
    if (k < 1 || !LOG_LEVELS.has(a.args[0])) return { error: "expects exactly 1 argument (log level name or 'silent')" };
    return { used: 1 };
  },
  'sc-inc-gpc': scAction,
  'sc-inc-gpc0': scAction,
  'sc-inc-gpc1': scAction,
  'sc-set-gpt': scAction,
  'sc-set-gpt0': scAction,
  'set-timeout': setTimeoutAction,
  'del-header': delHeader,
  'set-var': setVar,
  'set-var-fmt': setVar,
  'unset-var': setVar,
  capture,
  'track-sc': track,
  'track-sc0': track,
  'track-sc1': track,
  'track-sc2': track,
  'use-service': useService,
  'set-status': setStatus,
  deny: reply,
  tarpit: reply,
  return: reply,
  allow: noArgs,
  reject: noArgs,
  accept: noArgs,
  close: noArgs,
  'silent-drop': noArgs,
  'disable-l7-retry': noArgs,
  'wait-for-handshake': noArgs,
  'expect-proxy': rest,
  'expect-netscaler-cip': noArgs,
  'set-src': exprAction,
  'set-dst': exprAction,
  'set-src-port': exprAction,
  'set-dst-port': exprAction,
  'set-priority-class': exprAction,
  'set-priority-offset': exprAction,
  'normalize-uri': normalizeUri,
  'do-resolve': doResolve,
  'cache-use': (a) => (untilCond(a.args) < 1 ? { error: 'expects a cache name' } : { used: 1 }),
  'cache-store': (a) => (untilCond(a.args) < 1 ? { error: 'expects a cache name' } : { used: 1 }),
  'wait-for-body': (a) => (a.args[0] !== 'time' || a.args[1] === undefined ? { error: 'expects time <time> [ at-least <bytes> ]' } : { used: a.args[2] === 'at-least' ? 4 : 2 }),
  auth: (a) => {
    if (a.args[0] === 'realm') {
      if (a.args[1] === undefined) return { error: 'missing realm value.\n' };
      return { used: 2 };
    }
    return { used: 0 };
  },
  redirect: (a) => parseRedirect(a.args, (f) => fmtCheck(a, f)),
};

/** Action rows of each rule set, in the order HAProxy lists them. */
export const actionTables = new Map<string, { rows: ActionRow[]; expects: string }>();

function load(): void {
  const text = dataText('binary-actions.txt');
  if (!text) return;
  let rs = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('### ')) {
      rs = line.slice(4).trim();
      continue;
    }
    if (!rs || !line.startsWith('expects ')) continue;
    const m = /^expects (.*?)(?:, but got '.*'\.| in proxy '.*' \(got '.*'\)\.)$/.exec(line);
    const list = m ? m[1] : line;
    const rows: ActionRow[] = [];
    const names = [...list.matchAll(/'([^']+)'/g)].map((x) => x[1]);
    if (list.includes("'track-sc0' ... 'track-sc2'")) names.push('track-sc1');
    for (const n of names) {
      const prefix = n.endsWith('(*)');
      const name = prefix ? n.slice(0, -3) : n;
      const parse = PARSERS[name] ?? rest;
      rows.push({ name, prefix, parse });
    }
    actionTables.set(rs, { rows, expects: list });
  }
}
load();

/** HAProxy's action_suggest(): the closest action name, with more tolerance for prefix names. */
export function suggestAction(ruleset: string, word: string): string | undefined {
  const t = actionTables.get(ruleset);
  if (!t || !word) return undefined;
  const tcp = ruleset.startsWith('tcp');
  const extras = tcp ? t.rows.filter((r) => TCP_EXTRAS.has(r.name)) : [];
  const kws = t.rows.filter((r) => !extras.includes(r));
  const w = wordFingerprint(word);
  let best: ActionRow | undefined;
  let bestIsKw = false;
  let bestDist = Infinity;
  for (const [list, isKw] of [[kws, true], [extras, false]] as const) {
    for (const r of list) {
      const d = fingerprintDistance(w, wordFingerprint(r.name));
      if (d < bestDist) {
        bestDist = d;
        best = r;
        bestIsKw = isKw;
      }
    }
  }
  if (!best) return undefined;
  // action_suggest(): more tolerance for prefix keywords (`set-var(...)`) from the keyword lists
  const tol = 2 + (bestIsKw && best.prefix ? 1 : 0);
  if (bestDist > tol * word.length || bestDist > tol * best.name.length) return undefined;
  return best.name;
}

const TCP_EXTRAS = new Set(['accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0', 'track-sc1', 'track-sc2']);

/** HAProxy's action_lookup: exact names first, then prefix names (longest first). */
/** Each table's actions without a prefix form, by name (the first row of a name wins, as in the list). */
const exactNames = new WeakMap<object, Map<string, ActionRow>>();

export function findAction(ruleset: string, word: string): { row: ActionRow; paren?: string } | undefined {
  const t = actionTables.get(ruleset);
  if (!t) return undefined;
  let names = exactNames.get(t);
  if (!names) {
    names = new Map();
    for (const r of t.rows) if (!r.prefix && !names.has(r.name)) names.set(r.name, r);
    exactNames.set(t, names);
  }
  const exact = names.get(word);
  if (exact) return { row: exact };
  let best: ActionRow | undefined;
  for (const r of t.rows) {
    if (r.prefix && word.startsWith(r.name) && (!best || r.name.length > best.name.length)) best = r;
  }
  if (!best) return undefined;
  const rest = word.slice(best.name.length);
  const paren = rest.startsWith('(') ? rest.slice(1).replace(/\)$/, '') : undefined;
  return { row: best, paren };
}

export { fetches };
