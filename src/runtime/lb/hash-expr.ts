/**
 * `balance hash <expr>`: hashes the binary form of a sample expression,
 * which the caller evaluates (LbRequest.sample).
 */
import type { LbRequest } from '../api.js';
import { HashedLb } from './hashed.js';
import { register } from './registry.js';

export function exprKey(req: LbRequest, algo: HashedLb): number | null {
  if (algo.single) return 0;
  const v = req.sample?.();
  if (v === undefined) return null;
  return algo.gen(v);
}

register({ name: 'hash', create: (c) => new HashedLb(c, exprKey) });
