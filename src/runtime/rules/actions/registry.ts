/**
 * The action table: one row per (rule set, action name). Families of
 * actions (headers.ts, flow.ts, vars.ts...) register their rows here.
 */
import type { ActionDef } from '../types.js';

export const HREQ = 'http-request';
export const HRES = 'http-response';
export const HAFT = 'http-after-response';
export const TCON = 'tcp-request connection';
export const TSES = 'tcp-request session';
export const TCNT = 'tcp-request content';
export const TRES = 'tcp-response content';
/** the `redirect` keyword's rules */
export const REDIR = 'redirect';

export const HTTP_SETS = [HREQ, HRES, HAFT] as const;
export const TCP_REQ_SETS = [TCON, TSES, TCNT] as const;

const table = new Map<string, ActionDef>();
const all: ActionDef[] = [];

export function defineActions(defs: ActionDef[]): void {
  for (const d of defs) {
    all.push(d);
    for (const rs of d.rulesets) table.set(`${rs}|${d.name}`, d);
  }
}

/** The row for `name` in `ruleset` (names as the configuration stores them: 'set-var', 'track-sc'...). */
export function findActionDef(ruleset: string, name: string): ActionDef | undefined {
  return table.get(`${ruleset}|${name}`);
}

export function allActionDefs(): readonly ActionDef[] {
  return all;
}
