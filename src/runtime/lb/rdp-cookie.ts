/**
 * `balance rdp-cookie[(name)]`: hashes the RDP cookie ("Cookie: mstshash=...")
 * of the connection request found in the first request bytes.
 */
import type { LbRequest } from '../api.js';
import { HashedLb } from './hashed.js';
import { register, type LbContext } from './registry.js';

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function eqNoCase(b: Uint8Array, at: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (lower(b[at + i]) !== lower(s.charCodeAt(i))) return false;
  return true;
}

/**
 * fetch_rdp_cookie_name: the cookie value bounds, `null` when there is no
 * cookie, 'short' when more data could still complete it. An empty name
 * matches any cookie.
 */
export function rdpCookie(b: Uint8Array, name: string): [number, number] | null | 'short' {
  let left = b.length;
  if (left <= 11) return 'short';
  let d = 11;
  left -= 11;
  if (left <= 7) return 'short';
  if (!eqNoCase(b, d, 'Cookie:')) return null;
  d += 7;
  left -= 7;
  while (left > 0 && b[d] === 0x20) {
    d++;
    left--;
  }
  const clen = name.length;
  if (clen) {
    if (left <= clen) return 'short';
    if (b[d + clen] !== 0x3d || !eqNoCase(b, d, name)) return null;
    d += clen + 1;
    left -= clen + 1;
  } else {
    while (left > 0 && b[d] !== 0x3d) {
      if (b[d] === 0x0d || b[d] === 0x0a) return null;
      d++;
      left--;
    }
    if (left < 1) return 'short';
    if (b[d] !== 0x3d) return null;
    d++;
    left--;
  }
  const start = d;
  while (left > 0 && b[d] !== 0x0d) {
    d++;
    left--;
  }
  if (left < 2) return 'short';
  if (b[d] !== 0x0d || b[d + 1] !== 0x0a) return null;
  return [start, d];
}

export function rdpKey(name: string) {
  return (req: LbRequest, algo: HashedLb): number | null => {
    const b = req.payload?.();
    if (!b) return null;
    const c = rdpCookie(b, name);
    if (c === null || c === 'short' || c[1] === c[0]) return null;
    if (algo.single) return 0;
    return algo.gen(b, c[0], c[1]);
  };
}

function create(c: LbContext) {
  return new HashedLb(c, rdpKey(c.param || 'mstshash'));
}

register({ name: 'rdp-cookie', create });
