/**
 * The `acl` keyword, and the bridge between conditions (condition.ts) and the
 * ACL parser of src/acl: anonymous ACLs are validated there, and a rule whose
 * condition can never match where it is evaluated gets HAProxy's warning.
 */
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { parseAclExpr, type ParsedAcl } from '../../../acl/acl.js';
import { USAGE_POINTS, type PendingArg } from '../../../acl/sample.js';
import { aclsNamed, type AclConf, type CondConf, type Proxy } from '../../model.js';
import { registerKeywords, type KwContext } from '../../registry.js';
import { invalidChar } from '../../sections.js';
import { registerPostCheck, registerProxyCheck, Stage } from '../../postchecks.js';
import { aclHook } from './condition.js';
import { noteHttpNeeded } from '../proxy/log.js';

/** Parsed form of every ACL line and anonymous ACL. */
export const parsedAcls = new WeakMap<object, ParsedAcl>();

/** Names of backends etc. that sample fetch arguments reference, resolved after parsing. */
interface PendingRef extends PendingArg {
  proxy: Proxy;
  file: string;
  line: number;
  where: 'acl' | 'sample';
  /** the rule set of a rule's sample expression */
  rs?: string;
}

/** track-sc actions, whose stick table is looked up after parsing */
interface TrackRef {
  proxy: Proxy;
  table: string;
  n: string;
}
const trackRefs = new WeakMap<object, TrackRef[]>();
const pendingRefs = new WeakMap<object, PendingRef[]>();

/**
 * Post-parse checks are registered on first use: check.ts's registry is not
 * initialised yet while the keyword modules load (import cycle).
 */
const lazyChecks = new Set<Parameters<typeof registerPostCheck>[0]>();
export function lazyPostCheck(c: Parameters<typeof registerPostCheck>[0]): void {
  if (lazyChecks.has(c)) return;
  lazyChecks.add(c);
  registerPostCheck(c);
}

function addPending(ctx: KwContext, list: PendingArg[], where: 'acl' | 'sample', rs?: string): void {
  if (!ctx.proxy || !list.length) return;
  lazyPostCheck(resolveRefs);
  let l = pendingRefs.get(ctx.config);
  if (!l) pendingRefs.set(ctx.config, (l = []));
  for (const p of list) l.push({ ...p, proxy: ctx.proxy, file: ctx.file, line: ctx.line, where, rs });
}

/** Records a track-sc action; `table` is the table named after 'table', or undefined for the proxy's own. */
export function addTrack(ctx: KwContext, n: string, table: string | undefined): void {
  if (!ctx.proxy) return;
  lazyPostCheck(resolveRefs);
  let l = trackRefs.get(ctx.config);
  if (!l) trackRefs.set(ctx.config, (l = []));
  l.push({ proxy: ctx.proxy, table: table ?? ctx.proxy.name, n });
}

aclHook.validate = (ctx, words) => {
  const r = parseAclExpr(words);
  if ('error' in r) return r.error;
  parsedAcls.set(words, r.acl);
  addPending(ctx, r.acl.pending, 'acl');
  if (r.acl.warning) ctx.diags.warning(r.acl.warning, undefined, undefined, 'none');
  return undefined;
};

registerKeywords([
  {
    name: 'acl',
    sections: ['defaults', 'frontend', 'backend', 'listen'],
    support: 'no',
    parse(ctx) {
      const p = ctx.proxy;
      if (!p) return 0;
      if (p.kind === 'defaults' && !p.name) return ctx.alert(`'${ctx.args[0]}' not allowed in anonymous 'defaults' section.`);
      const name = ctx.args[1] ?? '';
      const bad = invalidChar(name);
      if (bad) return ctx.alert(`character '${bad}' is not permitted in acl name '${name}'.`);
      if (name.toLowerCase() === 'or')
        return ctx.alert(`acl name '${name}' will never match. 'or' is used to express a logical disjunction within a condition.`);
      const words = ctx.args.slice(2);
      const r = parseAclExpr(words);
      if ('error' in r) return ctx.alert(`error detected while parsing ACL '${name}' : ${r.error}.`);
      const conf: AclConf = { name, words, file: ctx.file, line: ctx.line, column: ctx.columns[0] };
      p.acls.push(conf);
      parsedAcls.set(conf, r.acl);
      addPending(ctx, r.acl.pending, 'acl');
      if (r.acl.warning) {
        ctx.diags.warning(r.acl.warning, undefined, undefined, 'none');
        return ERR_WARN;
      }
      return 0;
    },
  },
]);

/**
 * HAProxy's check of a condition against the place it is evaluated: a
 * warning when an ACL can never match there. `usage` lists the usage points
 * (indexes of USAGE_POINTS) the rule runs at; `inKw` names the rule set for
 * tcp rules ("tcp-request connection"), which HAProxy quotes in the message.
 */
export function condWarnings(ctx: KwContext, cond: CondConf | undefined, usage: number[], inKw?: string): number {
  if (!cond || !ctx.proxy || !usage.length) return 0;
  let err = 0;
  const where = USAGE_POINTS[usage[0]];
  const inText = inKw ? ` in '${inKw}'` : '';
  for (const and of cond.terms) {
    for (const t of and) {
      if (t.anonymous) {
        const a = parsedAcls.get(t.anonymous);
        if (a && !usage.some((u) => a.valid[u])) {
          ctx.warn(`anonymous acl will never match${inText} because it uses keyword '${a.fetch.name}' which is incompatible with '${where}'`);
          err |= ERR_WARN;
        }
      } else if (t.name) {
        const defs = aclsNamed(ctx.proxy, t.name);
        const parsed = defs.map((d) => parsedAcls.get(d)).filter((x): x is ParsedAcl => !!x);
        if (parsed.length && parsed.every((a) => !usage.some((u) => a.valid[u]))) {
          ctx.warn(`acl '${t.name}' will never match${inText} because it only involves keywords that are incompatible with '${where}'`);
          err |= ERR_WARN;
        }
      }
    }
  }
  return err;
}

/** The usage points of a rule set in proxy `p` (SMP_VAL_* bits HAProxy checks against). */
export function usageOf(ruleset: string, p: Proxy): number[] {
  const fe = p.kind !== 'backend';
  const be = p.kind !== 'frontend';
  const out: number[] = [];
  const add = (cond: boolean, n: number) => cond && out.push(n);
  switch (ruleset) {
    case 'http-request':
    case 'redirect':
      add(fe, 3);
      add(be, 7);
      break;
    case 'http-response':
    case 'http-after-response':
      add(fe, 16);
      add(be, 12);
      break;
    case 'tcp-request connection':
      add(fe, 0);
      break;
    case 'tcp-request session':
      add(fe, 1);
      break;
    case 'tcp-request content':
      add(fe, 2);
      add(be, 6);
      break;
    case 'tcp-response content':
      add(fe, 15);
      add(be, 11);
      break;
    case 'use_backend':
      add(fe, 5);
      break;
    case 'use-server':
      add(be, 9);
      break;
  }
  return out;
}

/** The usage point sample expressions of a rule are checked against (the backend side when the proxy has one, as HAProxy). */
export function exprUsage(ruleset: string, p: Proxy): number | undefined {
  const u = usageOf(ruleset, p);
  return u[u.length - 1];
}

/** Records sample-fetch arguments to resolve after parsing. */
export function addSamplePending(ctx: KwContext, list: PendingArg[], rs?: string): void {
  addPending(ctx, list, 'sample', rs);
}

const resolveRefs: Parameters<typeof registerPostCheck>[0] = (config, diags) => {
  let err = 0;
  for (const r of pendingRefs.get(config) ?? []) {
    if (r.type === 'server' && r.where === 'sample' && r.proxy.kind === 'defaults' && r.value && !r.value.includes('/')) {
      diags.alert(
        `backend name must be set in arg ${r.pos + 1} of sample fetch keyword '${r.kw}' in ${r.rs ?? 'http-request'} expression in proxy '${r.proxy.name}'.`,
        r.file,
        r.line,
        'parsing-tight',
      );
      err |= ERR_ALERT | ERR_FATAL;
      continue;
    }
    if (r.type === 'resolvers') {
      if (!config.sections.some((s) => s.kind === 'resolvers' && s.name === r.value)) {
        diags.alert(`Proxy '${r.proxy.name}': Can't find resolvers section '${r.value}' for do-resolve action.`, undefined, undefined, 'none');
        err |= ERR_ALERT | ERR_FATAL;
      }
      continue;
    }
    if (r.type === 'userlist' && r.where === 'acl') {
      if (!config.sections.some((s) => s.kind === 'userlist' && s.name === r.value)) {
        diags.alert(
          `unable to find userlist '${r.value}' referenced in arg ${r.pos + 1} of ACL keyword '${r.kw}' in proxy '${r.proxy.name}'.`,
          r.file,
          r.line,
          'parsing-tight',
        );
        err |= ERR_ALERT | ERR_FATAL;
      }
      continue;
    }
    if (r.type !== 'backend' || r.where !== 'acl') continue;
    const found = config.proxies.find((p) => p.name === r.value && p.kind !== 'frontend');
    if (!found) {
      diags.alert(
        `unable to find backend '${r.value}' referenced in arg ${r.pos + 1} of ACL keyword '${r.kw}' in proxy '${r.proxy.name}'.`,
        r.file,
        r.line,
        'parsing-tight',
      );
      err |= ERR_ALERT | ERR_FATAL;
    }
  }
  // the tables of track-sc actions are checked with the proxy (src/config/keywords/proxy/stick.ts)
  return err;
};

/* ---- L6 fetches in HTTP proxies (warnif_tcp_http_cond) ------------------------ */

/**
 * The fetches that read the raw request or response buffer (SMP_USE_L6REQ /
 * SMP_USE_L6RES), checked one by one against the 2.6.12 binary: an HTTP proxy
 * never sees those bytes, so conditions using them are reported.
 */
const L6_FETCHES = new Set([
  'distcc_body', 'distcc_param', 'payload', 'payload_lv', 'rdp_cookie', 'rdp_cookie_cnt', 'req.len', 'req.payload',
  'req.payload_lv', 'req.rdp_cookie', 'req.rdp_cookie_cnt', 'req.ssl_alpn', 'req.ssl_ec_ext', 'req.ssl_hello_type',
  'req.ssl_sni', 'req.ssl_st_ext', 'req.ssl_ver', 'req_len', 'req_ssl_hello_type', 'req_ssl_sni', 'req_ssl_ver',
  'rep_ssl_hello_type', 'res.len', 'res.payload', 'res.payload_lv', 'res.ssl_hello_type',
]);
/** predefined ACLs built on such fetches (REQ_CONTENT is req.len, RDP_COOKIE req.rdp_cookie_cnt) */
const L6_PREDEFINED = new Set(['REQ_CONTENT', 'RDP_COOKIE']);

function usesL6(p: Proxy, cond: CondConf): boolean {
  for (const and of cond.terms) {
    for (const t of and) {
      if (t.anonymous) {
        const a = parsedAcls.get(t.anonymous);
        if (a && L6_FETCHES.has(a.fetch.name)) return true;
      } else if (t.name) {
        const defs = aclsNamed(p, t.name);
        if (!defs.length && L6_PREDEFINED.has(t.name)) return true;
        for (const d of defs) {
          const a = parsedAcls.get(d);
          if (a && L6_FETCHES.has(a.fetch.name)) return true;
        }
      }
    }
  }
  return false;
}

function warnL6(p: Proxy, conds: (CondConf | undefined)[], diags: Parameters<Parameters<typeof registerProxyCheck>[1]>[2]): number {
  if (p.mode !== 'http') return 0;
  let err = 0;
  for (const c of conds) {
    if (!c || !usesL6(p, c)) continue;
    diags.warning(`Proxy '${p.name}': L6 sample fetches ignored on HTTP proxies (declared at ${c.file}:${c.line}).`, undefined, undefined, 'none');
    err |= ERR_WARN;
  }
  return err;
}

// use_backend then use-server rules, after their targets are resolved
registerProxyCheck(Stage.switching + 0.1, (p, _c, diags) => {
  if (p.mode !== 'http' || (!p.useBackends.length && !p.useServers.length)) return 0;
  return warnL6(p, [...p.useBackends.map((r) => r.cond), ...p.useServers.map((r) => r.cond)], diags);
});

/** the rule sets in the order HAProxy checks them (check_action_rules) */
const ACTION_RULESETS = [
  'tcp-request connection', 'tcp-request session', 'tcp-request content', 'tcp-response content',
  'http-request', 'http-response', 'http-after-response',
];
registerProxyCheck(Stage.actionRules, (p, _c, diags) => {
  if (p.mode !== 'http' || !p.rules.some((r) => r.cond)) return 0;
  let err = 0;
  for (const rs of ACTION_RULESETS) err |= warnL6(p, p.rules.filter((r) => r.ruleset === rs).map((r) => r.cond), diags);
  return err;
});

/* ---- conditions and samples that read HTTP (SMP_USE_HTTP_ANY) ----------------- */

/**
 * Fetches of HAProxy's http_fetch.c (and the HTTP ones of other files) that
 * mark a proxy as needing HTTP. Checked against the 2.6.12 binary on a
 * sample; where unsure, a fetch is left out (a warning missed rather than a
 * wrong one).
 */
const HTTP_FETCH = /^(base|base32|base32\+src|baseq|cook|cook_cnt|cook_val|cookie|hdr|hdr_cnt|hdr_ip|hdr_val|http_auth|http_auth_bearer|http_auth_group|http_auth_pass|http_auth_type|http_auth_user|http_first_req|method|path|pathq|query|req\.body|req\.body_len|req\.body_param|req\.body_size|req\.cook|req\.cook_cnt|req\.cook_val|req\.fhdr|req\.fhdr_cnt|req\.hdr|req\.hdr_cnt|req\.hdr_ip|req\.hdr_names|req\.hdr_val|req\.hdrs|req\.hdrs_bin|req\.proto_http|req_proto_http|req\.ver|req_ver|res\.body|res\.body_len|res\.body_size|res\.cook|res\.cook_cnt|res\.cook_val|res\.fhdr|res\.fhdr_cnt|res\.hdr|res\.hdr_cnt|res\.hdr_ip|res\.hdr_names|res\.hdr_val|res\.hdrs|res\.hdrs_bin|res\.ver|resp_ver|scook|scook_cnt|scook_val|shdr|shdr_cnt|shdr_ip|shdr_val|status|url|url32|url32\+src|url_ip|url_param|url_port|urlp|urlp_val|capture\.req\.(hdr|method|uri|ver)|capture\.res\.(hdr|ver)|internal\.htx\.[a-z_]+)$/;
/** predefined ACLs built on HTTP fetches */
const HTTP_PREDEFINED = /^(HTTP|HTTP_1\.0|HTTP_1\.1|HTTP_2\.0|HTTP_CONTENT|HTTP_URL_ABS|HTTP_URL_SLASH|HTTP_URL_STAR|METH_[A-Z]+)$/;

export function isHttpFetch(name: string): boolean {
  return HTTP_FETCH.test(name);
}

function condReadsHttp(p: Proxy, cond: CondConf): boolean {
  for (const and of cond.terms) {
    for (const t of and) {
      if (t.anonymous) {
        const a = parsedAcls.get(t.anonymous);
        if (a && isHttpFetch(a.fetch.name)) return true;
      } else if (t.name) {
        const defs = aclsNamed(p, t.name);
        if (!defs.length && HTTP_PREDEFINED.test(t.name)) return true;
        for (const d of defs) {
          const a = parsedAcls.get(d);
          if (a && isHttpFetch(a.fetch.name)) return true;
        }
      }
    }
  }
  return false;
}

aclHook.parsed = (ctx, cond) => {
  if (ctx.proxy && condReadsHttp(ctx.proxy, cond)) noteHttpNeeded(ctx.proxy);
};
