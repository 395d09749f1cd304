/**
 * What the HTTP session reads from the configuration, computed once per
 * proxy: buffer limits (tune.bufsize, tune.maxrewrite, tune.http.maxhdr),
 * the HTTP connection mode, tolerance options, h1-case-adjust maps, and the
 * retry policy (retry-on).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/model.js';
import { configFor } from '../rules/state.js';
import type { RtProxy } from '../model.js';
import type { CaseMap, HttpMode } from './h1/index.js';

export interface Limits {
  bufsize: number;
  maxrewrite: number;
  maxHeaders: number;
}

const limitsCache = new WeakMap<Config, Limits>();
const DEFAULT_LIMITS: Limits = { bufsize: 16384, maxrewrite: 1024, maxHeaders: 101 };

function lastGlobal(config: Config, kw: string): string[] | undefined {
  const d = config.global.directives;
  for (let i = d.length - 1; i >= 0; i--) if (d[i].keyword === kw) return d[i].args;
  return undefined;
}

function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : undefined;
}

/** tune.bufsize / tune.maxrewrite / tune.http.maxhdr of the configuration */
export function limitsOf(px: RtProxy): Limits {
  const config = configFor(px.conf);
  if (!config) return DEFAULT_LIMITS;
  let l = limitsCache.get(config);
  if (!l) {
    const bufsize = num(lastGlobal(config, 'tune.bufsize')?.[0]) ?? 16384;
    let maxrewrite = num(lastGlobal(config, 'tune.maxrewrite')?.[0]) ?? 1024;
    // HAProxy halves an oversized reserve
    if (maxrewrite >= bufsize / 2) maxrewrite = Math.floor(bufsize / 2);
    const maxHeaders = num(lastGlobal(config, 'tune.http.maxhdr')?.[0]) ?? 101;
    l = { bufsize, maxrewrite, maxHeaders };
    limitsCache.set(config, l);
  }
  return l;
}

/** the proxy's HTTP connection mode (the three options exclude each other) */
export function httpMode(px: RtProxy): HttpMode {
  if (px.option('httpclose') || px.option('forceclose')) return 'clo';
  if (px.option('http-server-close')) return 'scl';
  return 'kal';
}

const caseCache = new WeakMap<Config, CaseMap | null>();

/** the global h1-case-adjust map (h1-case-adjust lines, or the last h1-case-adjust-file) */
export function caseMapOf(px: RtProxy): CaseMap | null {
  const config = configFor(px.conf);
  if (!config) return null;
  if (caseCache.has(config)) return caseCache.get(config)!;
  const m = new Map<string, string>();
  for (const d of config.global.directives) {
    if (d.keyword === 'h1-case-adjust' && d.args.length >= 2) m.set(d.args[0].toLowerCase(), d.args[1]);
  }
  const file = lastGlobal(config, 'h1-case-adjust-file')?.[0];
  if (file) {
    try {
      for (const raw of readFileSync(file, 'latin1').split('\n')) {
        const line = raw.replace(/#.*$/, '').trim();
        if (!line) continue;
        const [from, to] = line.split(/\s+/);
        if (from && to && from.toLowerCase() === to.toLowerCase()) m.set(from.toLowerCase(), to);
      }
    } catch {
      /* the configuration check reports unreadable files */
    }
  }
  const r = m.size ? m : null;
  caseCache.set(config, r);
  return r;
}

// retry-on keywords (HAProxy's PR_RE_* bits)
export const RE_CONN_FAILED = 0x1;
export const RE_DISCONNECTED = 0x2; // empty-response
export const RE_TIMEOUT = 0x4; // response-timeout
export const RE_JUNK_REQUEST = 0x8; // junk-response
export const RE_EARLY_ERROR = 0x10; // 0rtt-rejected
const STATUS_BITS: Record<string, number> = { '401': 401, '403': 403, '404': 404, '408': 408, '425': 425, '500': 500, '501': 501, '502': 502, '503': 503, '504': 504 };

export interface RetryPolicy {
  flags: number;
  statuses: Set<number>;
}

const retryCache = new WeakMap<RtProxy, RetryPolicy>();

/** `retry-on` of a backend (default: conn-failure) */
export function retryPolicyOf(be: RtProxy): RetryPolicy {
  let r = retryCache.get(be);
  if (r) return r;
  r = { flags: RE_CONN_FAILED, statuses: new Set() };
  const args = be.directive('retry-on');
  if (args) {
    r.flags = 0;
    for (const a of args) {
      switch (a) {
        case 'none':
          r.flags = 0;
          r.statuses.clear();
          break;
        case 'conn-failure':
          r.flags |= RE_CONN_FAILED;
          break;
        case 'empty-response':
          r.flags |= RE_DISCONNECTED;
          break;
        case 'junk-response':
          r.flags |= RE_JUNK_REQUEST;
          break;
        case 'response-timeout':
          r.flags |= RE_TIMEOUT;
          break;
        case '0rtt-rejected':
          r.flags |= RE_EARLY_ERROR;
          break;
        case 'all-retryable-errors':
          r.flags |= RE_CONN_FAILED | RE_DISCONNECTED | RE_JUNK_REQUEST | RE_TIMEOUT | RE_EARLY_ERROR;
          for (const s of [500, 502, 503, 504]) r.statuses.add(s);
          break;
        default:
          if (STATUS_BITS[a]) r.statuses.add(STATUS_BITS[a]);
      }
    }
  }
  retryCache.set(be, r);
  return r;
}

/** per-proxy facts the session reads on every request */
export interface ProxyHttpConf {
  mode: HttpMode;
  monitorUri: string | undefined;
  sendNameHeader: string | undefined;
  acceptInvalidRes: boolean;
  pretendKeepalive: boolean;
  nolinger: boolean;
  bufferRequest: boolean;
  /** h1-case-adjust map when option h1-case-adjust-bogus-server (requests) / -client (responses) */
  caseReq: CaseMap | null;
  caseRes: CaseMap | null;
}

const confCache = new WeakMap<RtProxy, ProxyHttpConf>();

export function httpConfOf(px: RtProxy): ProxyHttpConf {
  let c = confCache.get(px);
  if (!c) {
    const mon = px.conf.directives.find((d) => d.keyword === 'monitor-uri');
    c = {
      mode: httpMode(px),
      monitorUri: mon?.args[0],
      sendNameHeader: px.directive('http-send-name-header')?.[0],
      acceptInvalidRes: px.option('accept-invalid-http-response'),
      pretendKeepalive: px.option('http-pretend-keepalive'),
      nolinger: px.option('nolinger'),
      bufferRequest: px.option('http-buffer-request'),
      caseReq: px.option('h1-case-adjust-bogus-server') ? caseMapOf(px) : null,
      caseRes: px.option('h1-case-adjust-bogus-client') ? caseMapOf(px) : null,
    };
    confCache.set(px, c);
  }
  return c;
}
