/**
 * Sample expressions `fetch(args),conv(args),...` as HAProxy 2.6 parses them
 * (sample_parse_expr / make_arg_list), with the fetch and converter tables of
 * the 2.6.12 binary (data/binary-dK-all.txt): argument types, output types and
 * the usage matrix that says where each fetch's data exists. Every problem is
 * returned as HAProxy's message text; nothing here throws.
 */
import { existsSync, statSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from '../config/tables.js';

/** The columns of the binary's usage matrix, in order (SMP_VAL_*). */
export const USAGE_POINTS = [
  'frontend tcp-request connection rule',
  'frontend tcp-request session rule',
  'frontend tcp-request content rule',
  'frontend http-request header rule',
  'frontend http-request body rule',
  'frontend use-backend rule',
  'backend tcp-request content rule',
  'backend http-request header rule',
  'backend http-request body rule',
  'backend use-server, balance or stick-match rule',
  'server source selection',
  'backend tcp-response content rule',
  'backend http-response header rule',
  'backend http-response body rule',
  'backend stick-store rule',
  'frontend tcp-response content rule',
  'frontend http-response header rule',
  'frontend http-response body rule',
  'logs',
  'backend tcp-check rule',
  'configuration parser',
  'CLI parser',
] as const;

export const enum Use {
  FeConn = 0,
  FeSess = 1,
  FeReqCnt = 2,
  FeHrqHdr = 3,
  FeHrqBdy = 4,
  FeSetBck = 5,
  BeReqCnt = 6,
  BeHrqHdr = 7,
  BeHrqBdy = 8,
  BeSetSrv = 9,
  BeSrvCon = 10,
  BeResCnt = 11,
  BeHrsHdr = 12,
  BeHrsBdy = 13,
  BeStoRul = 14,
  FeResCnt = 15,
  FeHrsHdr = 16,
  FeHrsBdy = 17,
  FeLogEnd = 18,
  BeChkRul = 19,
  CfgParser = 20,
  CliParser = 21,
}

export interface ArgSpec {
  types: string[];
  /** how many are mandatory */
  min: number;
}

export interface FetchRow {
  name: string;
  args: ArgSpec;
  out: string;
  /** usage matrix: valid[i] for USAGE_POINTS[i] */
  valid: boolean[];
  /** what HAProxy names the data source in context errors */
  source: string;
}

export interface ConvRow {
  name: string;
  args: ArgSpec;
  in: string;
  out: string;
  /** first argument names a pattern file that must open */
  patternFile?: boolean;
}

function parseArgSpec(s: string | undefined): ArgSpec {
  if (!s) return { types: [], min: 0 };
  const firstOpt = s.indexOf('[');
  const types = s
    .replace(/[[\]]/g, '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length);
  let min = types.length;
  if (firstOpt >= 0) {
    const before = s.slice(0, firstOpt).replace(/[[\]]/g, '');
    min = before.split(',').filter((t) => t.trim().length).length;
  }
  return { types, min };
}

/** The name HAProxy gives the data a fetch needs (sample_src_names of its first source). */
function sourceOf(matrix: string): string {
  switch (matrix) {
    case '..YYYYYYYYY...........':
    case '..YYYYYYYYYYYYYYYYY...':
      return 'HTTP request headers';
    case '...........YYYYYYY.Y..':
      return 'HTTP response headers';
    case '...........YYYYYYYYY..':
      return 'server-side connection';
    case '.YYYYYYYYYYYYYYYYYY...':
      return 'client-side connection';
    case 'YYYYYYYYYYYYYYYYYYYY..':
      return 'client address';
    case '..YYYYYYYYYYYYYYYY.Y..':
      return 'request buffer';
    case 'YYYYYYYYYYYYYYYYYYY...':
      return 'frontend';
    case '......YYYYYYYYYYYYYY..':
      return 'backend';
    case '..........YYYYYYYYYY..':
      return 'server';
    default:
      return 'internal';
  }
}

export const fetches = new Map<string, FetchRow>();
export const converters = new Map<string, ConvRow>();
/** ACL keywords: name → base fetch and default match method */
export const aclKeywords = new Map<string, { fetch: string; method: string }>();
export const services = new Set<string>();

function load(): void {
  let text = '';
  try {
    text = readFileSync(join(DATA_DIR, 'binary-dK-all.txt'), 'utf8');
  } catch {
    return;
  }
  let part = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('# List of registered ')) {
      part = line.slice(21);
      continue;
    }
    if (line.startsWith('#') || !line.trim()) continue;
    if (part.startsWith('ACL keywords')) {
      const m = /^(\S+) = (\S+) -m (\S+)/.exec(line);
      if (m) aclKeywords.set(m[1], { fetch: m[2], method: m[3] });
    } else if (part.startsWith('sample converter')) {
      const m = /^([^(:]+)(?:\((.*)\))?: (\S+) => (\S+)/.exec(line);
      if (m) {
        const name = m[1];
        converters.set(name, {
          name,
          args: parseArgSpec(m[2]),
          // the binary prints "<output> => <input>"
          out: m[3],
          in: m[4],
          patternFile: name === 'map' || name.startsWith('map_'),
        });
      }
    } else if (part.startsWith('sample fetch')) {
      const m = /^\[ ([Y. ]+) \] ([^(:]+)(?:\((.*)\))?: (\S+)/.exec(line);
      if (m) {
        const matrix = m[1].replace(/ /g, '');
        fetches.set(m[2], {
          name: m[2],
          args: parseArgSpec(m[3]),
          out: m[4],
          valid: [...matrix].map((c) => c === 'Y'),
          source: sourceOf(matrix),
        });
      }
    } else if (part.startsWith('service names')) {
      services.add(line.trim());
    }
  }
}
load();

/* ---- expressions ---------------------------------------------------------- */

export interface ConvExpr {
  conv: ConvRow;
  args: string[];
}

export interface SampleExpr {
  fetch: FetchRow;
  args: string[];
  convs: ConvExpr[];
  /** the text that was parsed */
  text: string;
}

export type ExprResult = { expr: SampleExpr; end: number } | { error: string };

/** Arguments whose names are resolved after parsing (backends, tables...). */
export interface PendingArg {
  type: string;
  value: string;
  pos: number;
  kw: string;
  conv?: string;
}

/**
 * HAProxy's make_arg_list: parses `args` starting at `s[i]` (just after the
 * opening parenthesis, or at the end of the keyword when there is none).
 * Returns the index after the closing parenthesis.
 */
export function parseArgs(
  s: string,
  i: number,
  spec: ArgSpec,
  hasParen: boolean,
): { args: string[]; end: number } | { error: string; argNo: number } {
  const args: string[] = [];
  const max = spec.types.length;
  if (hasParen) {
    let pos = 0;
    // empty list "()" is allowed
    if (s[i] === ')') {
      i++;
    } else {
      while (true) {
        if (pos >= max) {
          const rest = s.slice(i);
          return { error: rest.length ? `expected ')' before '${rest}'` : "expected ')'", argNo: pos };
        }
        // read one argument, with quotes and backslashes
        let v = '';
        let q: string | undefined;
        while (i < s.length) {
          const c = s[i];
          if (q) {
            if (c === '\\' && i + 1 < s.length) {
              v += s[i + 1];
              i += 2;
              continue;
            }
            if (c === q) {
              q = undefined;
              i++;
              continue;
            }
            v += c;
            i++;
            continue;
          }
          if (c === '"' || c === "'") {
            q = c;
            i++;
            continue;
          }
          if (c === ',' || c === ')') break;
          v += c;
          i++;
        }
        if (s[i] !== ',' && s[i] !== ')') return { error: "expected ')'", argNo: pos };
        const e = checkArgType(spec.types[pos], v, pos);
        if (e) return { error: e, argNo: pos };
        args.push(v);
        pos++;
        if (s[i] === ',') {
          if (pos >= max) return { error: `expected ')' before '${s.slice(i)}'`, argNo: pos - 1 };
          i++;
          continue;
        }
        if (s[i] === ')') {
          i++;
          break;
        }
        return { error: "expected ')'", argNo: pos - 1 };
      }
    }
  }
  // missing mandatory arguments are empty ones: fine for strings and names
  for (let k = args.length; k < spec.min; k++) {
    if (!EMPTY_OK.has(spec.types[k])) {
      return { error: `expected type '${spec.types[k]}' at position ${k + 1}, but got nothing`, argNo: k };
    }
  }
  return { args, end: i };
}

/** Argument types an empty value is acceptable for (strings; names resolved later or implicit). */
const EMPTY_OK = new Set(['string', 'backend', 'frontend', 'table', 'server', 'userlist', 'user list', 'regex', 'var']);

function checkArgType(type: string | undefined, v: string, pos: number): string | undefined {
  if (type === undefined) return undefined;
  if (v === '' && !EMPTY_OK.has(type)) return `expected type '${type}' at position ${pos + 1}, but got nothing`;
  if (type === 'integer' || type === 'sint') {
    if (!/^[+-]?\d+$/.test(v)) return `failed to parse '${v}' as type '${type}' at position ${pos + 1}`;
  }
  return undefined;
}

function fileMissing(path: string): boolean {
  try {
    return !existsSync(path) || statSync(path).isDirectory();
  } catch {
    return true;
  }
}

/** Checks a converter's arguments the way its val_args function does. */
function validateConv(conv: ConvRow, args: string[]): string | undefined {
  if (conv.patternFile) {
    if (fileMissing(args[0] ?? '')) return `failed to open pattern file <${args[0] ?? ''}>`;
  }
  return undefined;
}

export interface ParseExprOpts {
  /** stop at this character (']' inside a log-format %[...]) */
  stopAt?: string;
  /** converters only, after an ACL keyword */
  pending?: PendingArg[];
}

/**
 * Parses a sample expression at `s[start]`. Error texts are HAProxy's, without
 * the caller's prefix or suffix.
 */
export function parseSampleExpr(s: string, start = 0, opts: ParseExprOpts = {}): ExprResult {
  let i = start;
  const stop = opts.stopAt;
  const isEnd = (c: string | undefined) => c === undefined || c === stop;
  let j = i;
  while (j < s.length && s[j] !== '(' && s[j] !== ',' && s[j] !== stop) j++;
  if (j === i) return { error: 'missing fetch method' };
  const fname = s.slice(i, j);
  const fetch = fetches.get(fname);
  if (!fetch) return { error: `unknown fetch method '${fname}'` };
  i = j;
  const hasParen = s[i] === '(';
  const a = parseArgs(s, hasParen ? i + 1 : i, fetch.args, hasParen);
  if ('error' in a) return { error: `fetch method '${fname}' : ${a.error}` };
  i = a.end;
  for (const [n, t0] of fetch.args.types.entries()) {
    const t = t0 === 'user list' ? 'userlist' : t0;
    if (['backend', 'table', 'server', 'frontend', 'userlist'].includes(t) && a.args[n] !== undefined)
      opts.pending?.push({ type: t, value: a.args[n], pos: n, kw: fname });
  }
  const expr: SampleExpr = { fetch, args: a.args, convs: [], text: s.slice(start) };
  const c = parseConverters(s, i, fname, expr.convs, opts);
  if ('error' in c) return c;
  i = c.end;
  if (!isEnd(s[i]) && stop === undefined) return { error: `missing comma after fetch keyword '${fname}'` };
  expr.text = s.slice(start, i);
  return { expr, end: i };
}

/** The converter chain `,conv(args),...` at s[i]; error texts are HAProxy's. */
export function parseConverters(
  s: string,
  i: number,
  prev: string,
  out: ConvExpr[],
  opts: ParseExprOpts = {},
): { end: number } | { error: string } {
  const stop = opts.stopAt;
  let last: string | undefined;
  while (i < s.length && s[i] !== stop) {
    if (s[i] !== ',') {
      if (stop !== undefined) return { end: i };
      return { error: last ? `missing comma after converter '${last}'` : `missing comma after fetch keyword '${prev}'` };
    }
    while (s[i] === ',') i++;
    if (i >= s.length && stop === undefined) break;
    let j = i;
    while (j < s.length && s[j] !== '(' && s[j] !== ',' && s[j] !== stop) j++;
    const cname = s.slice(i, j);
    const conv = converters.get(cname);
    if (!conv) return { error: `unknown converter '${cname}'` };
    i = j;
    const hasParen = s[i] === '(';
    const a = parseArgs(s, hasParen ? i + 1 : i, conv.args, hasParen);
    if ('error' in a) return { error: `invalid arg ${a.argNo + 1} in converter '${cname}' : ${a.error}` };
    const v = validateConv(conv, a.args);
    if (v) return { error: `invalid args in converter '${cname}' : ${v}` };
    out.push({ conv, args: a.args });
    i = a.end;
    last = cname;
  }
  return { end: i };
}

/* ---- log-format strings ------------------------------------------------------ */

export interface LogFormatResult {
  exprs: SampleExpr[];
  error?: string;
}

/**
 * Finds the `%[expr]` parts of a log-format string and parses each. The
 * error text is HAProxy's ("failed to parse sample expression <...> : ...").
 * `usage` is the usage point of the rule, to check fetches against.
 */
export function parseLogFormat(fmt: string, usage?: number, pending?: PendingArg[]): LogFormatResult {
  const exprs: SampleExpr[] = [];
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i];
    if (c === '\\' ) {
      i += 2;
      continue;
    }
    if (c === '%' && fmt[i + 1] === '%') {
      i += 2;
      continue;
    }
    if (c === '%') {
      // optional {args}
      let k = i + 1;
      if (fmt[k] === '{') {
        const close = fmt.indexOf('}', k);
        if (close < 0) break;
        k = close + 1;
      }
      if (fmt[k] === '[') {
        const start = k + 1;
        const rest = fmt.slice(start);
        const r = parseSampleExpr(fmt, start, { stopAt: ']', pending });
        if ('error' in r) return { exprs, error: `failed to parse sample expression <${rest}> : ${r.error}` };
        if (fmt[r.end] === undefined) return { exprs, error: `missing ']' after '${fmt.slice(start, r.end)}'` };
        if (fmt[r.end] !== ']') {
          return { exprs, error: `expected ']' after '${fmt.slice(start, r.end)}', but found '${fmt[r.end]}'` };
        }
        if (usage !== undefined && !r.expr.fetch.valid[usage]) {
          return {
            exprs,
            error: `sample fetch <${rest}> may not be reliably used here because it needs '${r.expr.fetch.source}' which is not available here`,
          };
        }
        exprs.push(r.expr);
        i = r.end + 1;
        continue;
      }
      i = k;
      continue;
    }
    i++;
  }
  return { exprs };
}
