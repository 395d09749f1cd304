/**
 * Entry point of the balancing algorithms: `createLb` reads `balance` and
 * `hash-type` as HAProxy 2.6 does and builds the algorithm from its
 * registered row.
 */
import type { BalanceConf } from '../../config/model.js';
import type { LbAlgorithm, LbServer } from '../api.js';
import type { LbOptions } from './base.js';
import type { HashFunction } from './hash.js';
import { lookup, type HashConf } from './registry.js';
// each module registers its row
import './fwrr.js';
import './fwlc.js';
import './fas.js';
import './map.js';
import './source.js';
import './uri.js';
import './url-param.js';
import './hdr.js';
import './rdp-cookie.js';
import './hash-expr.js';
import './random.js';

export type { LbOptions } from './base.js';
export { registeredNames } from './registry.js';

export interface CreateLbOptions extends LbOptions {
  /** the backend's mode: layer 7 algorithms fall back to roundrobin in tcp mode, as HAProxy does */
  mode?: 'tcp' | 'http';
}

/** `hash-type` words → function and modifier (defaults: map-based sdbm; consistent adds avalanche) */
export function parseHashType(words: readonly string[] | undefined): HashConf {
  const consistent = words?.[0] === 'consistent';
  const fn = words?.[1];
  if (!fn) return { consistent, fn: 'sdbm', avalanche: consistent };
  const f: HashFunction = fn === 'djb2' || fn === 'wt6' || fn === 'crc32' ? fn : 'sdbm';
  return { consistent, fn: f, avalanche: words?.[2] === 'avalanche' };
}

/** `hdr(host)` → ['hdr', 'host'] */
export function splitAlgo(algo: string): { name: string; param?: string } {
  const open = algo.indexOf('(');
  if (open < 0) return { name: algo };
  const close = algo.lastIndexOf(')');
  return { name: algo.slice(0, open), param: algo.slice(open + 1, close > open ? close : undefined) };
}

const NEEDS_HTTP = new Set(['uri', 'url_param', 'hdr']);

export function createLb(
  balance: BalanceConf | undefined,
  hashType: readonly string[] | undefined,
  servers: readonly LbServer[],
  options: CreateLbOptions = {},
): LbAlgorithm {
  let algo = balance?.algo ?? 'roundrobin';
  let args = balance?.args ?? [];
  let { name, param } = splitAlgo(algo);
  if (options.mode === 'tcp' && NEEDS_HTTP.has(name)) {
    // "Layer 7 hash not possible ... Falling back to round robin."
    name = algo = 'roundrobin';
    param = undefined;
    args = [];
  }
  const row = lookup(name) ?? lookup('roundrobin')!;
  return row.create({ servers, options, algo, param, args, hash: parseHashType(hashType) });
}

/**
 * HAProxy's server ids (puid) for servers in declaration order, `undefined`
 * where no `id` was configured: a counter starting at 1 moves past every
 * server, and a server without an id takes the first free id at or above it.
 * E.g. ids [2, -, -, 1, -] give 2, 3, 4, 1, 6.
 */
export function assignServerIds(explicit: readonly (number | undefined)[]): number[] {
  const used = new Set(explicit.filter((v): v is number => v !== undefined));
  let next = 1;
  return explicit.map((id) => {
    if (id === undefined) {
      while (used.has(next)) next++;
      id = next;
      used.add(id);
    }
    next++;
    return id;
  });
}
