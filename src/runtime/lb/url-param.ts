/**
 * `balance url_param <name> [check_post]`: hashes the value of a query string
 * parameter, or for a POST without it, of a parameter in the first body bytes
 * available.
 */
import type { LbRequest } from '../api.js';
import { HashedLb } from './hashed.js';
import { register, type LbContext } from './registry.js';

/** RFC 7230 tchar */
function isToken(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)) && c < 0x80;
}

function isLws(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/**
 * Finds `name=` at the start of a parameter in `b[from..to)` and returns the
 * value bounds, as get_server_ph does (exact, case-sensitive name).
 */
export function findParam(b: Uint8Array, from: number, to: number, name: Uint8Array, post: boolean): [number, number] | null | undefined {
  const plen = name.length;
  let params = from;
  let len = to - from;
  while (len > plen) {
    if (b[params + plen] === 0x3d) {
      let eq = true;
      for (let i = 0; i < plen; i++) {
        if (b[params + i] !== name[i]) {
          eq = false;
          break;
        }
      }
      if (eq) {
        const start = params + plen + 1;
        let end = start;
        len -= plen + 1;
        while (len && b[end] !== 0x26) {
          // HAProxy only looks at the value's first byte here (a quirk kept on purpose)
          if (post && !isToken(b[start])) {
            if (isLws(b[start])) break;
            return undefined;
          }
          len--;
          end++;
        }
        return [start, end];
      }
    }
    // next parameter
    let amp = -1;
    for (let i = params; i < params + len; i++) {
      if (b[i] === 0x26) {
        amp = i;
        break;
      }
    }
    if (amp < 0) return null;
    const p = amp + 1;
    len -= p - params;
    params = p;
  }
  return null;
}

export function urlParamKey(param: string) {
  const name = Buffer.from(param, 'latin1');
  return (req: LbRequest, algo: HashedLb): number | null => {
    if (req.uri === undefined) return null;
    const uri = Buffer.from(req.uri, 'latin1');
    const q = uri.indexOf(0x3f);
    if (q >= 0) {
      const v = findParam(uri, q + 1, uri.length, name, false);
      if (v) return algo.gen(uri, v[0], v[1]);
    }
    if (req.method === 'POST') {
      const body = req.body?.();
      if (body && body.length) {
        const v = findParam(body, 0, body.length, name, true);
        if (v) return algo.gen(body, v[0], v[1]);
      }
    }
    return null;
  };
}

function create(c: LbContext) {
  return new HashedLb(c, urlParamKey(c.args[0] ?? ''));
}

register({ name: 'url_param', create });
