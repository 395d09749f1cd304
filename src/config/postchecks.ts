/**
 * The registry of post-parse checks (HAProxy's cfg_register_postparser).
 * It imports nothing at run time, so a keyword module may register its
 * checks while it loads, whatever the import order.
 */
import type { Diagnostics } from '../parser/diagnostics.js';
import type { Config } from './model.js';
import type { ParseOptions } from './registry.js';

export type PostCheck = (config: Config, diags: Diagnostics, opts: ParseOptions) => number;

export const postChecks: PostCheck[] = [];

export function registerPostCheck(c: PostCheck): void {
  postChecks.push(c);
}
