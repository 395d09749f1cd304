/**
 * `balance source`: the client address, as 32-bit words XORed together (one
 * for IPv4, four for IPv6), goes through the avalanche modifier only, not
 * through the hash function.
 */
import type { LbRequest } from '../api.js';
import { HashedLb } from './hashed.js';
import { register } from './registry.js';

/** the address as HAProxy holds it: 4 or 16 bytes in network order, or undefined */
export function addressBytes(text: string): Uint8Array | undefined {
  let a = text;
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const z = a.indexOf('%');
  if (z >= 0) a = a.slice(0, z);
  if (a.includes(':')) return ipv6Bytes(a);
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (!m) return undefined;
  const b = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const v = Number(m[i + 1]);
    if (v > 255) return undefined;
    b[i] = v;
  }
  return b;
}

function ipv6Bytes(a: string): Uint8Array | undefined {
  let text = a;
  const tail: number[] = [];
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    for (let i = 1; i <= 4; i++) {
      const v = Number(v4[i]);
      if (v > 255) return undefined;
      tail.push(v);
    }
    text = text.slice(0, -v4[0].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
    else if (!text.endsWith('::')) return undefined;
  }
  const groupsWanted = tail.length ? 6 : 8;
  const parts = text.split('::');
  if (parts.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const head = parse(parts[0]);
  const rest = parts.length === 2 ? parse(parts[1]) : [];
  if (parts.length === 1 && head.length !== groupsWanted) return undefined;
  if (head.length + rest.length > groupsWanted - (parts.length === 2 ? 1 : 0)) return undefined;
  const groups = [...head, ...Array(groupsWanted - head.length - rest.length).fill('0'), ...rest];
  const b = new Uint8Array(16);
  for (let i = 0; i < groupsWanted; i++) {
    const g = groups[i];
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    b[2 * i] = v >> 8;
    b[2 * i + 1] = v & 0xff;
  }
  for (let i = 0; i < tail.length; i++) b[12 + i] = tail[i];
  return b;
}

export function sourceKey(req: LbRequest, algo: HashedLb): number | null | undefined {
  const b = addressBytes(req.src);
  // unix sockets, PROXY UNKNOWN: HAProxy fails the assignment (internal error)
  if (!b) return undefined;
  if (algo.single) return 0;
  let h = 0;
  for (let i = 0; i + 4 <= b.length; i += 4) h ^= (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
  return algo.aval(h >>> 0);
}

register({ name: 'source', create: (c) => new HashedLb(c, sourceKey) });
