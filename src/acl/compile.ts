/**
 * ACLs and conditions compiled from the configuration model into closures
 * (HAProxy's acl_exec_cond). A condition returns true/false, or 'wait' when
 * a fetch lacks data that may still come and the evaluation is not final
 * (HAProxy's ACL_TEST_MISS: tcp-request content waits for more data while
 * the inspect-delay runs).
 *
 * Semantics kept from HAProxy: the lines of one named ACL are OR'ed; terms
 * are AND'ed, suites separated by || / or are OR'ed; '!' negates PASS and
 * FAIL but leaves MISS; multi-valued fetches (hdr, cook, urlp...) are
 * iterated until a value matches; a sample that may still change counts as
 * MISS only while the evaluation is not final.
 */
import type { AclConf, CondConf, Proxy } from '../config/model.js';
import type { SampleContext } from './context.js';
import { parseAclExpr } from './acl.js';
import { compileParts, processExpr, type CompiledExpr } from './expr.js';
import { buildMatcher, foldIntOperators, readMapFile, readPatternFile, resolvePath, type Matcher, type PatternInput } from './match.js';
import type { CompileEnv } from './registry.js';
import { F_MAY_CHANGE, F_NOT_LAST, OPT_FINAL, OPT_ITERATE, OPT_RES, Sample } from './types.js';

export const ACL_FAIL = 0;
export const ACL_MISS = 1;
export const ACL_PASS = 3;
export type AclResult = 0 | 1 | 3;

/** One ACL line (or anonymous ACL): a sample expression and its patterns. */
export interface AclExpr {
  text: string;
  expr: CompiledExpr;
  matcher: Matcher;
  /** scratch sample reused across evaluations (evaluation is synchronous) */
  smp: Sample;
}

export interface CompiledAcl {
  name: string;
  exprs: AclExpr[];
}

/** Evaluation options: `final` (no more data will come), `res` (response direction). */
export interface EvalOpts {
  final?: boolean;
  res?: boolean;
}

export type CondFn = (ctx: SampleContext, final?: boolean) => boolean | 'wait';

/** The predefined ACLs (acl.c default_acl_list of 2.6). */
export const PREDEFINED_ACLS: Record<string, string[]> = {
  TRUE: ['always_true'],
  FALSE: ['always_false'],
  LOCALHOST: ['src', '127.0.0.1/8', '::1'],
  HTTP: ['req.proto_http'],
  'HTTP_1.0': ['req.ver', '1.0'],
  'HTTP_1.1': ['req.ver', '1.1'],
  'HTTP_2.0': ['req.ver', '2.0'],
  METH_CONNECT: ['method', 'CONNECT'],
  METH_DELETE: ['method', 'DELETE'],
  METH_GET: ['method', 'GET', 'HEAD'],
  METH_HEAD: ['method', 'HEAD'],
  METH_OPTIONS: ['method', 'OPTIONS'],
  METH_POST: ['method', 'POST'],
  METH_PUT: ['method', 'PUT'],
  METH_TRACE: ['method', 'TRACE'],
  HTTP_URL_ABS: ['url_reg', '^[^/:]*://'],
  HTTP_URL_SLASH: ['url_beg', '/'],
  HTTP_URL_STAR: ['url', '*'],
  HTTP_CONTENT: ['req.hdr_val(content-length)', 'gt', '0'],
  RDP_COOKIE: ['req.rdp_cookie_cnt', 'gt', '0'],
  REQ_CONTENT: ['req.len', 'gt', '0'],
  WAIT_END: ['wait_end'],
};

const DOTTED = new Set(['req_ssl_ver', 'req.ssl_ver']);

export function newEnv(partial: Partial<CompileEnv> = {}): CompileEnv {
  return { warnings: [], ...partial };
}

/**
 * Compiles `criterion [flags] [patterns]` (an ACL line after its name, or
 * the words of an anonymous ACL). Throws with HAProxy's message when the
 * words are invalid (the configuration check reports those first).
 */
export function compileAclWords(words: string[], env: CompileEnv): AclExpr {
  const r = parseAclExpr(words);
  if ('error' in r) throw new Error(r.error);
  const p = r.acl;
  let method = p.method;
  let explicitMethod = false;
  let icase = false;
  let mapFiles = false;
  const files: string[] = [];
  let i = 1;
  while (i < words.length && words[i].startsWith('-')) {
    const f = words[i];
    if (f === '--') {
      i++;
      break;
    }
    if (f === '-i') icase = true;
    else if (f === '-M') mapFiles = true;
    else if (f === '-f') files.push(words[++i] ?? '');
    else if (f === '-m') {
      method = words[++i] ?? method;
      explicitMethod = true;
    } else if (f === '-u') i++;
    i++;
  }
  // the `method` keyword matches HTTP methods (pat_match_meth) unless -m says otherwise
  if (!explicitMethod && p.fetch.name === 'method' && (method === 'str' || method === 'meth')) method = 'meth';
  if (!explicitMethod && p.fetch.name === 'http_auth_group') method = 'auth';
  const dotted = DOTTED.has(p.kw) && !explicitMethod;
  let inline = words.slice(i);
  const patterns: PatternInput[] = [];
  for (const f of files) {
    const path = resolvePath(f, env.baseDir);
    try {
      const lines = mapFiles ? readMapFile(path) : readPatternFile(path);
      for (const l of lines) patterns.push({ key: l.key });
    } catch (e) {
      env.warnings.push(`failed to open pattern file <${f}>: ${(e as Error).message}`);
    }
  }
  if (method === 'int' || method === 'len' || dotted) inline = foldIntOperators(inline, dotted);
  for (const w of inline) patterns.push({ key: w });
  const expr = compileParts(
    p.fetch.name,
    p.args,
    p.fetch.out,
    p.convs.map((c) => ({ name: c.conv.name, args: c.args, in: c.conv.in, out: c.conv.out })),
    words[0] ?? '',
    env,
  );
  let matcher: Matcher;
  if (method === 'auth') matcher = authMatcher(patterns.map((x) => x.key));
  else {
    const b = buildMatcher(method === 'meth' ? 'meth' : method, patterns, { icase, dotted });
    for (const e of b.errors) env.warnings.push(e);
    matcher = b.matcher;
  }
  return { text: words.join(' '), expr, matcher, smp: new Sample() };
}

/** http_auth_group: the user (sample) belongs to one of the listed groups. */
function authMatcher(groups: string[]): Matcher {
  const hit = { idx: 0, text: '' };
  return {
    method: 'auth',
    size: groups.length,
    match(smp) {
      const mine = (smp.o as readonly string[] | undefined) ?? [];
      return groups.some((g) => mine.includes(g)) ? hit : null;
    },
  };
}

/** acl_exec_cond for one ACL: its expressions OR'ed, iterating multi-valued fetches. */
export function execAcl(acl: CompiledAcl, ctx: SampleContext, opt: number): AclResult {
  let res = ACL_FAIL as number;
  // ACLs see every value of multi-valued fetches
  opt |= OPT_ITERATE;
  const exprs = acl.exprs;
  for (let k = 0; k < exprs.length; k++) {
    const e = exprs[k];
    const smp = e.smp.reset(opt);
    while (true) {
      if (!processExpr(e.expr, ctx, smp)) {
        if (smp.flags & F_MAY_CHANGE && !(opt & OPT_FINAL)) res |= ACL_MISS;
        break;
      }
      if (e.matcher.match(smp)) {
        res = ACL_PASS;
        break;
      }
      if (smp.flags & F_NOT_LAST) continue;
      if (smp.flags & F_MAY_CHANGE && !(opt & OPT_FINAL)) res |= ACL_MISS;
      break;
    }
    if (res === ACL_PASS) break;
  }
  return res as AclResult;
}

export interface CompiledTerm {
  neg: boolean;
  acl: CompiledAcl;
}

/** A compiled condition. `exec` gives the raw result (before if/unless); `eval` the rule's verdict. */
export class CompiledCond {
  readonly eval: CondFn;
  constructor(
    readonly polarity: 'if' | 'unless',
    readonly suites: CompiledTerm[][],
    readonly text: string,
  ) {
    const unless = polarity === 'unless';
    this.eval = (ctx, final = true) => {
      const r = this.exec(ctx, final ? OPT_FINAL : 0);
      if (r === ACL_MISS) return 'wait';
      return (r === ACL_PASS) !== unless;
    };
  }
  exec(ctx: SampleContext, opt: number): AclResult {
    let cond = ACL_FAIL as number;
    const suites = this.suites;
    for (let s = 0; s < suites.length; s++) {
      let suite = ACL_PASS as number;
      const terms = suites[s];
      for (let t = 0; t < terms.length; t++) {
        let r = execAcl(terms[t].acl, ctx, opt) as number;
        if (terms[t].neg) r = r === ACL_PASS ? ACL_FAIL : r === ACL_FAIL ? ACL_PASS : r;
        suite &= r;
        if (suite !== ACL_PASS) break;
      }
      cond |= suite;
      if (cond === ACL_PASS) break;
    }
    return cond as AclResult;
  }
  /** The verdict in the response direction (tcp-response / http-response rules). */
  evalRes(ctx: SampleContext, final = true): boolean | 'wait' {
    const r = this.exec(ctx, (final ? OPT_FINAL : 0) | OPT_RES);
    if (r === ACL_MISS) return 'wait';
    return (r === ACL_PASS) !== (this.polarity === 'unless');
  }
}

/**
 * The ACLs of one proxy, compiled on first use, and the conditions of its
 * rules. One instance per proxy (frontend, backend, listen or named defaults).
 */
export class ProxyAcls {
  private readonly named = new Map<string, CompiledAcl>();
  private readonly conds = new WeakMap<CondConf, CompiledCond>();
  readonly env: CompileEnv;
  constructor(
    readonly proxy: Proxy | undefined,
    env: Partial<CompileEnv> = {},
  ) {
    this.env = newEnv({ proxy, ...env });
  }

  /** The named ACL (all its lines), a predefined one, or undefined. */
  acl(name: string): CompiledAcl | undefined {
    let a = this.named.get(name);
    if (a) return a;
    const lines: AclConf[] = (this.proxy?.acls ?? []).filter((x) => x.name === name);
    if (lines.length) {
      a = { name, exprs: [] };
      for (const l of lines) {
        try {
          a.exprs.push(compileAclWords(l.words, this.env));
        } catch (e) {
          this.env.warnings.push(`acl '${name}' (${l.file}:${l.line}): ${(e as Error).message}`);
        }
      }
    } else if (PREDEFINED_ACLS[name]) {
      a = { name, exprs: [compileAclWords(PREDEFINED_ACLS[name], this.env)] };
    } else return undefined;
    this.named.set(name, a);
    return a;
  }

  /** Compiles (once) a rule's condition. No condition: always true. */
  cond(c: CondConf | undefined): CompiledCond {
    if (!c) return ALWAYS;
    let cc = this.conds.get(c);
    if (cc) return cc;
    const suites: CompiledTerm[][] = c.terms.map((suite) =>
      suite.map((t): CompiledTerm => {
        if (t.anonymous) {
          let acl: CompiledAcl;
          try {
            acl = { name: '', exprs: [compileAclWords(t.anonymous, this.env)] };
          } catch (e) {
            this.env.warnings.push(`anonymous acl { ${t.anonymous.join(' ')} }: ${(e as Error).message}`);
            acl = { name: '', exprs: [] };
          }
          return { neg: t.negate, acl };
        }
        const acl = this.acl(t.name ?? '');
        if (!acl) this.env.warnings.push(`no such ACL : '${t.name}'`);
        return { neg: t.negate, acl: acl ?? { name: t.name ?? '', exprs: [] } };
      }),
    );
    cc = new CompiledCond(c.polarity, suites, c.text);
    this.conds.set(c, cc);
    return cc;
  }
}

const ALWAYS = new CompiledCond('if', [[]], '');

/** Compiles a condition written as text ("if { src 10.0.0.0/8 } !TRUE || FALSE"), for tests and tools. */
export function compileCondText(text: string, acls: ProxyAcls): CompiledCond {
  const words = splitWords(text);
  const polarity = words[0] === 'unless' ? 'unless' : 'if';
  const terms: { negate: boolean; name?: string; anonymous?: string[] }[][] = [[]];
  let neg = false;
  for (let i = 1; i < words.length; i++) {
    let w = words[i];
    if (w === '!') {
      neg = !neg;
      continue;
    }
    if (w === '||' || w === 'or') {
      if (terms[terms.length - 1].length) terms.push([]);
      continue;
    }
    while (w.startsWith('!')) {
      neg = !neg;
      w = w.slice(1);
    }
    if (w === '{') {
      const close = words.indexOf('}', i + 1);
      terms[terms.length - 1].push({ negate: neg, anonymous: words.slice(i + 1, close < 0 ? words.length : close) });
      i = close < 0 ? words.length : close;
    } else terms[terms.length - 1].push({ negate: neg, name: w });
    neg = false;
  }
  return acls.cond({ polarity, terms, text, file: '', line: 0 });
}

function splitWords(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
  return out;
}

/** Re-export for callers that only need the sample side. */
export { Sample };
