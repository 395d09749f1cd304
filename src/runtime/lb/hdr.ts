/**
 * `balance hdr(<name>) [use_domain_only]`: hashes the first value of a
 * request header, or with use_domain_only the label before the last dot
 * ("1wt" in "haproxy.1wt.eu").
 */
import type { LbRequest } from '../api.js';
import { HashedLb } from './hashed.js';
import { register, type LbContext } from './registry.js';

export function hdrKey(name: string, domainOnly: boolean) {
  return (req: LbRequest, algo: HashedLb): number | null => {
    if (!req.header) return null;
    if (algo.single) return 0;
    const v = req.header(name);
    if (v === undefined || v === '') return null;
    if (!domainOnly) return algo.gen(v);
    const b = Buffer.from(v, 'latin1');
    // walk back from the end: the hashed part starts after the dot that
    // precedes the last dot, and ends at the last dot
    let len = b.length;
    let p = len;
    let end = p;
    let dohash = false;
    while (len) {
      if (dohash) {
        if (b[p - 1] === 0x2e) break;
      } else if (p < b.length && b[p] === 0x2e) {
        end = p;
        dohash = true;
      }
      p--;
      len--;
    }
    return algo.gen(b, p, end);
  };
}

function create(c: LbContext) {
  return new HashedLb(c, hdrKey(c.param ?? '', c.args[0] === 'use_domain_only'));
}

register({ name: 'hdr', create });
