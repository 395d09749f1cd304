/**
 * Request line actions (http-request): set-method, set-path, set-pathq,
 * set-query, set-uri, replace-path, replace-pathq, replace-uri, and
 * normalize-uri (experimental in 2.6; the normalizers are implemented).
 */
import { schemeEnd, uriPathStart, type HttpMessage } from '../../http/h1/message.js';
import { ruleFormat } from '../format.js';
import type { ActionDef, RuleFormat } from '../types.js';
import { CONTINUE } from '../types.js';
import { compileRegex, expReplace } from './headers.js';
import { HREQ, defineActions } from './registry.js';

type Fmt = { fmt: RuleFormat };

function fmtAction(name: string, apply: (m: HttpMessage, v: string) => void): ActionDef<Fmt> {
  return {
    name,
    rulesets: [HREQ],
    parse: (args, ctx) => ({ fmt: ruleFormat(args[0] ?? '', ctx.acls.env) }),
    run(c, host) {
      const m = host.req;
      if (m) apply(m, c.fmt.render(host.sampleContext()));
      return CONTINUE;
    },
  };
}

/** http_replace_req_path(): the path (with the query when `withQuery`) replaced, scheme/authority kept */
export function replacePath(m: HttpMessage, path: string, withQuery: boolean): void {
  const uri = m.uri;
  let p = uriPathStart(uri);
  if (p < 0) {
    // absolute URI without a path: the new path goes after the authority
    const s = schemeEnd(uri);
    if (s > 0) {
      const q = uri.indexOf('?', s);
      const end = q < 0 ? uri.length : q;
      m.uri = uri.slice(0, end) + path + (withQuery ? '' : uri.slice(end));
      return;
    }
    p = 0;
  }
  m.setPath(path, withQuery);
}

interface ReplaceLine {
  re: RegExp;
  fmt: RuleFormat;
}

function replaceAction(name: string, get: (m: HttpMessage) => string, set: (m: HttpMessage, v: string) => void): ActionDef<ReplaceLine> {
  return {
    name,
    rulesets: [HREQ],
    parse: (args, ctx) => ({ re: compileRegex(args[0]), fmt: ruleFormat(args[1] ?? '', ctx.acls.env) }),
    run(c, host) {
      const m = host.req;
      if (!m) return CONTINUE;
      const mm = c.re.exec(get(m));
      if (mm) set(m, expReplace(c.fmt.render(host.sampleContext()), mm));
      return CONTINUE;
    },
  };
}

/* ---- normalize-uri ------------------------------------------------------------- */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function splitUri(uri: string): { pre: string; path: string; query: string | undefined; frag: string } {
  let p = uriPathStart(uri);
  const pre = p < 0 ? '' : uri.slice(0, p);
  let rest = p < 0 ? uri : uri.slice(p);
  let frag = '';
  const h = rest.indexOf('#');
  if (h >= 0) {
    frag = rest.slice(h);
    rest = rest.slice(0, h);
  }
  const q = rest.indexOf('?');
  p = 0;
  return { pre, path: q < 0 ? rest : rest.slice(0, q), query: q < 0 ? undefined : rest.slice(q + 1), frag };
}

function joinUri(u: ReturnType<typeof splitUri>): string {
  return u.pre + u.path + (u.query !== undefined ? '?' + u.query : '') + u.frag;
}

const NORMALIZERS: Record<string, (u: ReturnType<typeof splitUri>, opt: string | undefined) => void> = {
  'path-merge-slashes': (u) => {
    u.path = u.path.replace(/\/{2,}/g, '/');
  },
  'path-strip-dot': (u) => {
    const segs = u.path.split('/');
    const out = segs.filter((s, i) => s !== '.' || i === 0);
    if (segs[segs.length - 1] === '.') out.push('');
    u.path = out.join('/');
  },
  'path-strip-dotdot': (u, opt) => {
    const segs = u.path.split('/');
    const out: string[] = [];
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s === '..' && i > 0) {
        if (out.length > 1) out.pop();
        else if (opt !== 'full') out.push(s);
        if (i === segs.length - 1) out.push('');
      } else out.push(s);
    }
    u.path = out.join('/');
  },
  'percent-to-uppercase': (u) => {
    const up = (s: string) => s.replace(/%[0-9a-fA-F]{2}/g, (x) => x.toUpperCase());
    u.path = up(u.path);
    if (u.query !== undefined) u.query = up(u.query);
  },
  'percent-decode-unreserved': (u) => {
    const dec = (s: string) =>
      s.replace(/%([0-9a-fA-F]{2})/g, (x, h: string) => {
        const c = String.fromCharCode(parseInt(h, 16));
        return UNRESERVED.test(c) ? c : x;
      });
    u.path = dec(u.path);
    if (u.query !== undefined) u.query = dec(u.query);
  },
  'query-sort-by-name': (u) => {
    if (u.query === undefined) return;
    const parts = u.query.split('&');
    const keyed = parts.map((p, i) => ({ p, k: p.split('=')[0], i }));
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
    u.query = keyed.map((x) => x.p).join('&');
  },
  'fragment-strip': (u) => {
    u.frag = '';
  },
  'fragment-encode': (u) => {
    if (u.frag) {
      u.path += '%23' + u.frag.slice(1);
      u.frag = '';
    }
  },
};

const normalizeUri: ActionDef<{ fn?: (typeof NORMALIZERS)[string]; opt?: string }> = {
  name: 'normalize-uri',
  rulesets: [HREQ],
  parse: (args) => ({ fn: NORMALIZERS[args[0]], opt: args[1] }),
  run(c, host) {
    const m = host.req;
    if (!m || !c.fn) return CONTINUE;
    const u = splitUri(m.uri);
    c.fn(u, c.opt);
    m.uri = joinUri(u);
    return CONTINUE;
  },
};

defineActions([
  fmtAction('set-method', (m, v) => m.setMethod(v)),
  fmtAction('set-path', (m, v) => replacePath(m, v, false)),
  fmtAction('set-pathq', (m, v) => replacePath(m, v, true)),
  // HAProxy writes the '?' itself: an empty format leaves "?" when there was a query
  fmtAction('set-query', (m, v) => m.setQuery(v)),
  fmtAction('set-uri', (m, v) => m.setUri(v)),
  replaceAction('replace-uri', (m) => m.uri, (m, v) => m.setUri(v)),
  replaceAction('replace-path', (m) => m.path, (m, v) => replacePath(m, v, false)),
  replaceAction('replace-pathq', (m) => m.pathWithQuery, (m, v) => replacePath(m, v, true)),
  normalizeUri,
]);
