/**
 * HAProxy's uri_auth: what a proxy's `stats` keywords say about its stats
 * page. A proxy with any `stats` keyword of its own uses only those (it
 * detaches from its defaults section's); otherwise it uses its defaults'.
 * Any keyword enables the page (at /haproxy?stats unless `stats uri`).
 */
import type { CondConf, Directive, Proxy } from '../../config/model.js';
import { statsAdminConds, statsRules } from '../../config/keywords/proxy/stats.js';
import type { RtProxy } from '../model.js';
import { findActionDef } from '../rules/actions/index.js';
import { ruleLabel } from '../rules/engine.js';
import { aclsOf, configFor } from '../rules/state.js';
import type { CompiledRule } from '../rules/types.js';
import type { StatsContext } from './context.js';

export interface UriAuth {
  uri: string;
  realm?: string;
  /** seconds, 0 none */
  refresh: number;
  /** `stats auth` accounts: user → password */
  users: Map<string, string> | null;
  /** `stats scope`: proxy names (or ".") shown, null for all */
  scopes: string[] | null;
  hideVersion: boolean;
  showLegends: boolean;
  /** show-node: the name, '' for the global node */
  showNode?: string;
  showDesc?: string;
  /** `stats admin` conditions: the first that holds gives the admin form */
  adminConds: CondConf[];
  /** `stats http-request` rules */
  rules: CompiledRule[];
}

const pages = new WeakMap<RtProxy, UriAuth>();

/** the stats page of a proxy, or undefined */
export function uriAuthOf(px: RtProxy): UriAuth | undefined {
  return pages.get(px);
}

function statsDirectives(p: Proxy): Directive[] {
  const own = p.directives.filter((d) => d.keyword.startsWith('stats '));
  if (own.length) return own;
  return p.defaultsProxy?.directives.filter((d) => d.keyword.startsWith('stats ')) ?? [];
}

function compileRules(owner: Proxy, dirs: Directive[]): CompiledRule[] {
  const out: CompiledRule[] = [];
  const acls = aclsOf(owner);
  const config = configFor(owner);
  for (const d of dirs) {
    const r = statsRules.get(d);
    if (!r) continue;
    const def = findActionDef('http-request', r.action);
    if (!def) continue;
    const word = r.word ?? r.action;
    const paren = /\((.*)\)$/.exec(word)?.[1];
    let compiled: unknown;
    try {
      compiled = def.parse(r.args, { proxy: owner, config, acls, ruleset: 'http-request', word, paren, rule: r, note: () => {} });
    } catch {
      continue;
    }
    out.push({ conf: r, action: def, compiled, owner, acls, label: `stats ${ruleLabel(r)}` });
  }
  return out;
}

/** Builds the uri_auth of every proxy that has one (call once at start). */
export function setupUriAuth(ctx: StatsContext): void {
  for (const px of ctx.model.proxies) {
    const page = statsDirectives(px.conf);
    if (!page.length) continue;
    const owner = px.conf.directives.includes(page[0]) ? px.conf : (px.conf.defaultsProxy ?? px.conf);
    const ua: UriAuth = {
      uri: '/haproxy?stats',
      refresh: 0,
      users: null,
      scopes: null,
      hideVersion: false,
      showLegends: false,
      adminConds: [],
      rules: compileRules(owner, page),
    };
    for (const d of page) {
      const a = d.args;
      switch (d.keyword) {
        case 'stats uri':
          ua.uri = a[0];
          break;
        case 'stats realm':
          ua.realm = a[0];
          break;
        case 'stats refresh': {
          const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(a[0] ?? '');
          const mult: Record<string, number> = { us: 1e-6, ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
          ua.refresh = m ? Math.floor(+m[1] * mult[m[2] ?? 's']) : 0;
          break;
        }
        case 'stats auth': {
          const i = a[0].indexOf(':');
          const user = i < 0 ? a[0] : a[0].slice(0, i);
          const pass = i < 0 ? '' : a[0].slice(i + 1);
          ua.users ??= new Map();
          // HAProxy keeps the first definition of a user
          if (!ua.users.has(user)) ua.users.set(user, pass);
          break;
        }
        case 'stats scope':
          (ua.scopes ??= []).push(a[0]);
          break;
        case 'stats hide-version':
          ua.hideVersion = true;
          break;
        case 'stats show-legends':
          ua.showLegends = true;
          break;
        case 'stats show-node':
          ua.showNode = a[0] ?? '';
          break;
        case 'stats show-desc':
          ua.showDesc = a.join(' ');
          break;
        case 'stats admin': {
          const c = statsAdminConds.get(d);
          if (c) ua.adminConds.push(c);
          break;
        }
      }
    }
    pages.set(px, ua);
  }
}
