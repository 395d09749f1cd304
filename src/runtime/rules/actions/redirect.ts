/**
 * Redirects (http_apply_redirect_rule): `http-request redirect`,
 * `http-response redirect` and the `redirect` keyword.
 *   location <fmt>: the location as is (an empty one is skipped with ignore-empty)
 *   prefix <fmt>:   prefix + the request path ("/" adds nothing)
 *   scheme <fmt>:   scheme + "://" + Host + path
 * with drop-query (path cut at '?'), append-slash (prefix/scheme),
 * set-cookie NAME=v ("NAME=v; path=/;"), clear-cookie NAME=
 * ("NAME=; path=/; Max-Age=0;"), code 301|302|303|307|308 (302).
 * The `redirect` keyword takes its strings literally; the actions read
 * log-format strings.
 */
import { uriPathStart } from '../../http/h1/message.js';
import { ruleFormat } from '../format.js';
import { redirectReply } from '../reply.js';
import type { ActionDef, RuleFormat, RuleHost, Verdict } from '../types.js';
import { CONTINUE } from '../types.js';
import { HREQ, HRES, REDIR, defineActions } from './registry.js';

export interface Redirect {
  type: 'location' | 'prefix' | 'scheme';
  dest: RuleFormat | string;
  code: number;
  dropQuery: boolean;
  appendSlash: boolean;
  ignoreEmpty: boolean;
  cookie?: string;
}

export function parseRedirectArgs(args: string[], fmt: ((s: string) => RuleFormat) | null): Redirect {
  const r: Redirect = { type: 'location', dest: '', code: 302, dropQuery: false, appendSlash: false, ignoreEmpty: false };
  for (let i = 0; i < args.length; i++) {
    const o = args[i];
    const v = args[i + 1] ?? '';
    switch (o) {
      case 'location':
      case 'prefix':
      case 'scheme':
        r.type = o;
        // a prefix of "/" adds nothing (self-redirection)
        r.dest = o === 'prefix' && v === '/' ? '' : fmt ? fmt(v) : v;
        if (o === 'prefix' && v === '/') r.dest = '';
        i++;
        break;
      case 'code':
        r.code = Number(v) || 302;
        i++;
        break;
      case 'set-cookie':
        r.cookie = `${v}; path=/;`;
        i++;
        break;
      case 'clear-cookie':
        r.cookie = `${v}; path=/; Max-Age=0;`;
        i++;
        break;
      case 'drop-query':
        r.dropQuery = true;
        break;
      case 'append-slash':
        r.appendSlash = true;
        break;
      case 'ignore-empty':
        r.ignoreEmpty = true;
        break;
      default:
        if (o === 'if' || o === 'unless') i = args.length;
    }
  }
  return r;
}

/** http_parse_path() on the request target: the path with its query, "/" when there is none. */
function requestPath(uri: string): string {
  const p = uriPathStart(uri);
  if (p >= 0) return uri.slice(p);
  return uri.length && uri[0] !== '*' && uri.includes('://') ? '' : '/';
}

/** The redirect's reply, or `continue` for an empty location with ignore-empty. */
export function applyRedirect(r: Redirect, host: RuleHost): Verdict {
  const ctx = host.sampleContext();
  const dest = typeof r.dest === 'string' ? r.dest : r.dest.render(ctx);
  let loc: string;
  if (r.type === 'location') {
    if (!dest.length && r.ignoreEmpty) return CONTINUE;
    loc = dest;
  } else {
    const req = host.req;
    let path = req ? requestPath(req.uri) : '/';
    if (r.dropQuery) {
      const q = path.indexOf('?');
      if (q >= 0) path = path.slice(0, q);
    }
    if (r.type === 'prefix') loc = dest + path;
    else loc = dest + '://' + (req?.headers.get('host') ?? '') + path;
    if (r.appendSlash && loc.length && loc[loc.length - 1] !== '/') loc += '/';
  }
  return { kind: 'reply', reply: redirectReply(r.code, loc, r.cookie), status: r.code, why: 'redirect' };
}

const action: ActionDef<Redirect> = {
  name: 'redirect',
  rulesets: [HREQ, HRES],
  parse: (args, ctx) => parseRedirectArgs(args, (s) => ruleFormat(s, ctx.acls.env)),
  run: (r, host) => applyRedirect(r, host),
};

/** the `redirect` keyword: literal strings */
const keyword: ActionDef<Redirect> = {
  name: 'redirect',
  rulesets: [REDIR],
  parse: (args) => parseRedirectArgs(args, null),
  run: (r, host) => applyRedirect(r, host),
};

defineActions([action, keyword]);
