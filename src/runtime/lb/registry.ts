/**
 * The balancing algorithms, one row each, registered by their modules the way
 * HAProxy registers keywords. `createLb` (index.ts) finds the row by the
 * algorithm's name as written after `balance` (without its parenthesis).
 */
import type { LbAlgorithm, LbServer } from '../api.js';
import type { LbOptions } from './base.js';
import type { HashFunction } from './hash.js';

/** `hash-type` as HAProxy resolves it */
export interface HashConf {
  /** consistent hashing (lb_chash) or a static map (lb_map) */
  consistent: boolean;
  fn: HashFunction;
  avalanche: boolean;
}

export interface LbContext {
  servers: readonly LbServer[];
  options: LbOptions;
  /** the word after `balance`, e.g. "hdr(host)", "random(3)", "uri" */
  algo: string;
  /** what is between the parenthesis of `algo`, if any */
  param?: string;
  /** the words after the algorithm */
  args: string[];
  hash: HashConf;
}

export interface LbRow {
  name: string;
  create(ctx: LbContext): LbAlgorithm;
}

const rows = new Map<string, LbRow>();

export function register(row: LbRow): void {
  rows.set(row.name, row);
}

export function lookup(name: string): LbRow | undefined {
  return rows.get(name);
}

export function registeredNames(): string[] {
  return [...rows.keys()];
}
