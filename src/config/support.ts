/**
 * What tshaproxy's runtime honours. Everything the parser accepts but the
 * runtime does not act on gets a warning in `-c` output (and at start), with
 * its file and line: tshaproxy never pretends. Runtime modules add their
 * keywords here as they land; keys are `section:keyword` or, for families
 * (option, timeout, balance, http-request...), `section:keyword sub`.
 * `*` as section means every proxy section (defaults, frontend, backend, listen).
 */
import type { SectionKind } from './registry.js';

const honoured = new Set<string>();

const PROXY_KINDS = new Set(['defaults', 'frontend', 'backend', 'listen']);

export function markHonoured(...keys: string[]): void {
  for (const k of keys) honoured.add(k);
}

/** true when the runtime acts on this line (keyword and, for families, its first argument) */
export function isHonoured(kind: SectionKind | string, args: string[]): boolean {
  const kw = args[0];
  const scope = PROXY_KINDS.has(kind) ? '*' : kind;
  if (honoured.has(`${scope}:${kw}`)) return true;
  let sub = args[1];
  if (kw === 'option' || kw === 'no') {
    // `no option x` / `option x`
    sub = kw === 'no' ? args[2] : args[1];
    return honoured.has(`${scope}:option ${sub}`);
  }
  if (sub !== undefined) {
    const base = sub.replace(/\(.*$/, '');
    if (honoured.has(`${scope}:${kw} ${sub}`) || honoured.has(`${scope}:${kw} ${base}`)) return true;
  }
  return false;
}

// The runtime core (src/runtime): listeners, tcp streams, servers, connect/retry.
markHonoured(
  '*:mode',
  '*:bind',
  '*:server',
  '*:default-server',
  '*:server-template',
  '*:default_backend',
  '*:retries',
  '*:maxconn',
  '*:fullconn',
  '*:disabled',
  '*:enabled',
  '*:id',
  '*:timeout connect',
  '*:timeout client',
  '*:timeout server',
  '*:timeout queue',
  '*:timeout tunnel',
  '*:timeout client-fin',
  '*:timeout server-fin',
  '*:contimeout',
  '*:clitimeout',
  '*:srvtimeout',
  '*:option redispatch',
  '*:redispatch',
  '*:balance roundrobin',
  'global:maxconn',
  'global:daemon',
  'global:master-worker',
  'global:pidfile',
  'global:nbthread',
  'global:user',
  'global:group',
  'global:uid',
  'global:gid',
);
