/**
 * `balance uri [len N] [depth N] [whole] [path-only]`: hashes the request
 * URI up to the '?' (or whole), stopping after `len` characters or at the
 * slash that starts level depth+1.
 */
import type { LbRequest } from '../api.js';
import { HashedLb } from './hashed.js';
import { register, type LbContext } from './registry.js';

export interface UriOpts {
  whole: boolean;
  pathOnly: boolean;
  /** 0 = no limit */
  len: number;
  /** depth + 1 (the slash that ends the hashed part), 0 = no limit */
  depthEnd: number;
}

export function parseUriArgs(args: string[]): UriOpts {
  const o: UriOpts = { whole: false, pathOnly: false, len: 0, depthEnd: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === 'len') o.len = parseInt(args[++i] ?? '', 10) || 0;
    else if (a === 'depth') o.depthEnd = (parseInt(args[++i] ?? '', 10) || 0) + 1;
    else if (a === 'whole') o.whole = true;
    else if (a === 'path-only') o.pathOnly = true;
  }
  return o;
}

/** http_parse_path: the URI from the first '/' after scheme and authority, '' if none */
export function uriPath(uri: string): string {
  if (uri === '' || uri === '*') return '';
  if (uri[0] === '/') return uri;
  const m = /^[A-Za-z][A-Za-z0-9+\-.]*:\/\//.exec(uri);
  if (!m) return '';
  const slash = uri.indexOf('/', m[0].length);
  return slash < 0 ? '' : uri.slice(slash);
}

export function uriKey(o: UriOpts) {
  return (req: LbRequest, algo: HashedLb): number | null => {
    if (req.uri === undefined) return null;
    if (algo.single) return 0;
    const uri = o.pathOnly ? uriPath(req.uri) : req.uri;
    let n = uri.length;
    if (o.len) n = Math.min(n, o.len);
    let end = 0;
    let slashes = 0;
    while (n--) {
      const c = uri.charCodeAt(end);
      if (c === 0x2f) {
        slashes++;
        if (slashes === o.depthEnd) break;
      } else if (c === 0x3f && !o.whole) break;
      end++;
    }
    return algo.gen(uri, 0, end);
  };
}

function create(c: LbContext) {
  return new HashedLb(c, uriKey(parseUriArgs(c.args)));
}

register({ name: 'uri', create });
