/**
 * The registry of post-parse checks (HAProxy's cfg_register_postparser).
 * It imports nothing at run time, so a keyword module may register its
 * checks while it loads, whatever the import order.
 */
import type { Diagnostics } from '../parser/diagnostics.js';
import type { Config, Proxy } from './model.js';
import type { ParseOptions } from './registry.js';

export type PostCheck = (config: Config, diags: Diagnostics, opts: ParseOptions) => number;

export const postChecks: PostCheck[] = [];

export function registerPostCheck(c: PostCheck): void {
  postChecks.push(c);
}

/** A check of one enabled frontend/backend/listen, run by check_config_validity's per-proxy loop. */
export type ProxyCheck = (p: Proxy, config: Config, diags: Diagnostics, opts: ParseOptions) => number;

/**
 * Where each check sits in HAProxy 2.6's per-proxy loop: every proxy runs all
 * of them in this order before the next proxy starts, so warnings and alerts
 * come out interleaved as HAProxy prints them.
 */
export const Stage = {
  /** proxy_cfg_ensure_no_http(): cookie, monitor-uri, L7 hash, HTTP log formats */
  ensureNoHttp: 10,
  noBind: 20,
  externalCheck: 30,
  /** use_backend / use-server / stick rules */
  switching: 40,
  /** tcp-request / tcp-response / http-* rules (check_action_rules) */
  actionRules: 45,
  timeouts: 60,
  serverStateFile: 65,
  logAddress: 70,
  /** the block for proxies that are not in HTTP mode */
  httpOnly: 80,
  servers: 90,
} as const;

interface Staged {
  stage: number;
  check: ProxyCheck;
}

/** The registered per-proxy checks, sorted by stage (ties keep registration order). */
export const proxyChecks: Staged[] = [];

export function registerProxyCheck(stage: number, check: ProxyCheck): void {
  proxyChecks.push({ stage, check });
  proxyChecks.sort((a, b) => a.stage - b.stage);
}
