/**
 * ACL expressions `<criterion> [flags] [operator] <values>` as HAProxy 2.6's
 * parse_acl_expr() reads them: ACL keywords (path_beg, hdr_dom(host)...) or
 * sample expressions, `-i -f -m -M -n -u --`, pattern files, integer
 * operators and ranges, IP patterns. Returns HAProxy's error text.
 */
import { existsSync, statSync } from 'node:fs';
import { aclKeywords, fetches, parseArgs, parseConverters, parseSampleExpr, type ConvExpr, type PendingArg, type FetchRow } from './sample.js';

export const MATCH_METHODS = ['found', 'bool', 'int', 'ip', 'bin', 'len', 'str', 'beg', 'sub', 'dom', 'end', 'dir', 'reg'];

export interface ParsedAcl {
  fetch: FetchRow;
  /** the keyword as written before its arguments (path_beg, req.hdr...) */
  kw: string;
  /** the fetch's arguments as written */
  args: string[];
  method: string;
  patterns: string[];
  convs: ConvExpr[];
  /** usage matrix of the fetch */
  valid: boolean[];
  /** a warning HAProxy prints without position */
  warning?: string;
  pending: PendingArg[];
}

export type AclResult = { acl: ParsedAcl } | { error: string };

function defaultMethod(type: string): string {
  switch (type) {
    case 'bool':
      return 'bool';
    case 'sint':
      return 'int';
    case 'ipv4':
    case 'ipv6':
    case 'addr':
      return 'ip';
    case 'meth':
      return 'meth';
    case 'bin':
    case 'any':
      return 'none';
    default:
      return 'str';
  }
}

function fileMissing(path: string): boolean {
  try {
    return !existsSync(path) || statSync(path).isDirectory();
  } catch {
    return true;
  }
}

/** keywords whose patterns are dotted versions ("3.1"), parsed leniently */
const DOTTED_VER = new Set(['req_ssl_ver', 'req.ssl_ver']);

const INT_OPS = new Set(['eq', 'le', 'lt', 'ge', 'gt']);

function checkIntPattern(p: string): string | undefined {
  if (INT_OPS.has(p)) return undefined;
  if (/^\d+$/.test(p)) return undefined;
  // pat_parse_int: ':' or '-' separates a range ("-5" is ":5")
  if (p.includes(':') || p.includes('-')) {
    if (/^\d*[:-][+-]?\d*$/.test(p) && p.length > 1) return undefined;
    return `'${p}' is not a valid number range.`;
  }
  return `'${p}' is neither a number nor a supported operator.`;
}

function checkIpPattern(p: string): string | undefined {
  const [addr, mask, extra] = p.split('/');
  if (extra !== undefined) return `'${p}' is not a valid IPv4 or IPv6 address.`;
  const v4 = /^\d{1,3}(\.\d{1,3}){0,3}$/.test(addr);
  const v6 = addr.includes(':') && /^[0-9A-Fa-f:.]+$/.test(addr);
  if (!v4 && !v6) return `'${p}' is not a valid IPv4 or IPv6 address.`;
  if (mask !== undefined && !/^\d+$/.test(mask) && !/^\d{1,3}(\.\d{1,3}){3}$/.test(mask))
    return `'${p}' is not a valid IPv4 or IPv6 address.`;
  return undefined;
}

/** Regex patterns are compiled by PCRE in HAProxy; JavaScript's engine flags the plain syntax errors. */
function checkRegex(p: string): string | undefined {
  try {
    new RegExp(p);
    return undefined;
  } catch (e) {
    const m = (e as Error).message;
    const why = /Unterminated group/.test(m) ? 'missing closing parenthesis' : /Unmatched '\)'/.test(m) ? 'unmatched closing parenthesis' : m.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
    return `regex '${p}' is invalid (error=${why}, erroffset=${p.length})`;
  }
}

/** Parses `criterion [flags] [values]` (the words after the ACL name, or inside braces). */
export function parseAclExpr(words: string[]): AclResult {
  const crit = words[0] ?? '';
  let j = 0;
  while (j < crit.length && crit[j] !== '(' && crit[j] !== ',') j++;
  const kwName = crit.slice(0, j);
  const aclKw = aclKeywords.get(kwName);
  let fetch: FetchRow | undefined;
  let method: string;
  let convs: ConvExpr[] = [];
  let fargs: string[] = [];
  const pending: PendingArg[] = [];
  if (aclKw && fetches.get(aclKw.fetch)) {
    fetch = fetches.get(aclKw.fetch)!;
    const hasParen = crit[j] === '(';
    const a = parseArgs(crit, hasParen ? j + 1 : j, fetch.args, hasParen);
    if ('error' in a) return { error: `ACL keyword '${kwName}' : ${a.error}` };
    fargs = a.args;
    for (const [n, t] of fetch.args.types.entries()) {
      if ((t === 'backend' || t === 'user list') && a.args[n]) pending.push({ type: t === 'user list' ? 'userlist' : t, value: a.args[n], pos: n, kw: kwName });
    }
    const c = parseConverters(crit, a.end, kwName, convs);
    if ('error' in c) return { error: `ACL keyword '${kwName}' : ${c.error}.` };
    method = convs.length ? defaultMethod(convs[convs.length - 1].conv.out) : aclKw.method;
  } else {
    const r = parseSampleExpr(crit, 0, { pending });
    if ('error' in r) return { error: `${r.error} in ACL expression '${crit}'` };
    fetch = r.expr.fetch;
    fargs = r.expr.args;
    convs = r.expr.convs;
    method = defaultMethod(convs.length ? convs[convs.length - 1].conv.out : fetch.out);
  }
  let i = 1;
  let loaded = false;
  while (i < words.length && words[i].startsWith('-')) {
    const f = words[i];
    if (f === '--') {
      i++;
      loaded = true;
      break;
    }
    if (f === '-i' || f === '-n' || f === '-M') {
      i++;
      continue;
    }
    if (f === '-u') {
      i += 2;
      continue;
    }
    if (f === '-f') {
      const file = words[i + 1] ?? '';
      if (fileMissing(file)) return { error: `failed to open pattern file <${file}>` };
      loaded = true;
      i += 2;
      continue;
    }
    if (f === '-m') {
      const m = words[i + 1] ?? '';
      if (!MATCH_METHODS.includes(m)) return { error: `unknown matching method '${m}' when parsing ACL expression` };
      method = m;
      i += 2;
      continue;
    }
    return { error: `'${f}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'` };
  }
  if (method === 'none')
    return { error: `matching method must be specified first (using '-m') when using a sample fetch of this type ('${kwName}')` };
  const patterns = words.slice(i);
  for (const p of patterns) {
    let e: string | undefined;
    if (DOTTED_VER.has(kwName)) break;
    if (method === 'int' || method === 'len') e = checkIntPattern(p);
    else if (method === 'ip') e = checkIpPattern(p);
    else if (method === 'reg') e = checkRegex(p);
    if (e) return { error: e.replace(/\.$/, '') };
  }
  let warning: string | undefined;
  if (!patterns.length && !loaded && method !== 'found' && method !== 'bool') {
    warning =
      `parsing acl keyword '${crit}' :\n` +
      '  no pattern to match against were provided, so this ACL will never match.\n' +
      "  If this is what you intended, please add '--' to get rid of this warning.\n" +
      "  If you intended to match only for existence, please use '-m found'.\n" +
      "  If you wanted to force an int to match as a bool, please use '-m bool'.\n";
  }
  return { acl: { fetch, kw: kwName, args: fargs, method, patterns, convs, valid: fetch.valid, warning, pending } };
}
