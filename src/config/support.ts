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
    // three-word families: `tcp-request content accept`
    if (args[2] !== undefined && honoured.has(`${scope}:${kw} ${sub} ${args[2].replace(/\(.*$/, '')}`)) return true;
  }
  return false;
}

/** Server keywords (`server name addr <kw> [args]`) the runtime acts on. */
const honouredServerOptions = new Set<string>();

export function markServerOptionHonoured(...names: string[]): void {
  for (const n of names) honouredServerOptions.add(n);
}

/**
 * The keywords of a server line that the runtime ignores: `options` are the
 * keywords the parser kept for that server (ServerConf.options, default-server
 * ones included), so each unhonoured one can get its own note.
 */
export function serverOptionsNotHonoured(options: Iterable<string>): string[] {
  const out: string[] = [];
  for (const o of options) if (!honouredServerOptions.has(o)) out.push(o);
  return out;
}

/** Bind options (`bind addr <kw> [args]`) the runtime acts on; the others get a note (`ssl` above all). */
const honouredBindOptions = new Set<string>([
  'accept-proxy', 'maxconn', 'backlog', 'name', 'id', 'v4v6', 'v6only', 'mode', 'uid', 'gid', 'user', 'group',
]);

export function markBindOptionHonoured(...names: string[]): void {
  for (const n of names) honouredBindOptions.add(n);
}

export function bindOptionsNotHonoured(options: Iterable<string>, values?: Map<string, string[]>, http = false): string[] {
  const out: string[] = [];
  for (const o of options) if (!honouredBindOptions.has(o)) out.push(o);
  // ALPN is answered, but an HTTP frontend never agrees to h2: no HTTP/2 engine
  if (http && values?.get('alpn')?.[0]?.split(',').includes('h2')) out.push('alpn h2');
  // tickets are off as asked, but HAProxy then resumes sessions from its session cache, which tshaproxy has not
  if (values?.has('no-tls-tickets')) out.push('no-tls-tickets (resumption from the session cache)');
  return out;
}

// The runtime core (src/runtime): listeners, tcp streams, servers, connect/retry.
markHonoured(
  '*:mode',
  '*:bind',
  '*:server',
  '*:default-server',
  '*:server-template',
  '*:default_backend',
  '*:use_backend',
  '*:acl',
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
  // every 2.6 algorithm (src/runtime/lb), with hash-type and the backup options
  ...['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param', 'hdr', 'random', 'rdp-cookie'].map((a) => `*:balance ${a}`),
  '*:hash-type',
  '*:hash-balance-factor',
  '*:option allbackups',
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

// Traffic logs (src/runtime/log): targets, formats, options, captures.
// Unreachable targets (unix datagram sockets, rings, stream targets) get their own note from the log parsers.
markHonoured(
  'global:log',
  'global:log-tag',
  'global:log-send-hostname',
  '*:log',
  '*:log-format',
  '*:log-format-sd',
  '*:error-log-format',
  '*:log-tag',
  '*:option httplog',
  '*:option httpslog',
  '*:option tcplog',
  '*:option dontlognull',
  '*:option dontlog-normal',
  '*:option log-separate-errors',
  '*:capture request',
  '*:capture response',
  '*:declare capture',
  '*:unique-id-format',
  '*:unique-id-header',
);

// Server keywords the runtime core uses (src/runtime/model.ts, connect.ts).
markServerOptionHonoured('weight', 'maxconn', 'minconn', 'maxqueue', 'backup', 'no-backup', 'disabled', 'enabled', 'id', 'send-proxy', 'send-proxy-v2', 'source');

// Health checks and tracked servers (src/runtime/checks).
markHonoured(
  '*:option httpchk',
  '*:option tcp-check',
  '*:http-check connect',
  '*:http-check send',
  '*:http-check expect',
  '*:http-check comment',
  '*:tcp-check connect',
  '*:tcp-check send',
  '*:tcp-check send-binary',
  '*:tcp-check expect',
  '*:tcp-check comment',
  '*:timeout check',
  'global:spread-checks',
  'global:max-spread-checks',
);
markServerOptionHonoured('check', 'no-check', 'inter', 'fastinter', 'downinter', 'rise', 'fall', 'port', 'addr', 'check-send-proxy', 'track');

// Cookie persistence (src/runtime/persist).
markHonoured('*:cookie', '*:option persist', '*:force-persist', '*:ignore-persist');
markServerOptionHonoured('cookie');

// The process layer (src/runtime/process): stopping, FD limit. `chroot` stays unhonoured: Node.js cannot chroot().
markHonoured('global:grace', 'global:hard-stop-after', 'global:ulimit-n', 'global:strict-limits');

// The rules engine (src/runtime/rules): actions that act; the others (track-sc*, sc-*,
// set-log-level, capture, set-priority-*, cache, spoe...) keep their warning.
markHonoured(
  ...['add-header', 'allow', 'auth', 'del-header', 'deny', 'early-hint', 'normalize-uri', 'redirect', 'reject', 'replace-header',
    'replace-path', 'replace-pathq', 'replace-uri', 'replace-value', 'return', 'set-dst', 'set-dst-port', 'set-header', 'set-method',
    'set-path', 'set-pathq', 'set-query', 'set-src', 'set-src-port', 'set-timeout', 'set-uri', 'set-var', 'set-var-fmt', 'silent-drop',
    'tarpit', 'unset-var'].map((a) => `*:http-request ${a}`),
  ...['add-header', 'allow', 'del-header', 'deny', 'redirect', 'replace-header', 'replace-value', 'return', 'set-header', 'set-status',
    'set-var', 'set-var-fmt', 'silent-drop', 'unset-var'].map((a) => `*:http-response ${a}`),
  ...['add-header', 'allow', 'del-header', 'replace-header', 'replace-value', 'set-header', 'set-status', 'set-var', 'set-var-fmt',
    'unset-var'].map((a) => `*:http-after-response ${a}`),
  ...['accept', 'expect-proxy', 'reject', 'set-dst', 'set-dst-port', 'set-src', 'set-src-port', 'silent-drop'].map((a) => `*:tcp-request connection ${a}`),
  ...['accept', 'reject', 'set-dst', 'set-dst-port', 'set-src', 'set-src-port', 'set-var', 'set-var-fmt', 'silent-drop', 'unset-var'].map(
    (a) => `*:tcp-request session ${a}`,
  ),
  ...['accept', 'reject', 'set-dst', 'set-dst-port', 'set-src', 'set-src-port', 'set-var', 'set-var-fmt', 'silent-drop', 'unset-var'].map(
    (a) => `*:tcp-request content ${a}`,
  ),
  ...['accept', 'reject', 'close', 'set-var', 'set-var-fmt', 'silent-drop', 'unset-var'].map((a) => `*:tcp-response content ${a}`),
  '*:tcp-request inspect-delay',
  '*:tcp-response inspect-delay',
  '*:timeout tarpit',
  '*:redirect',
  '*:use-server',
  '*:monitor-net',
  ...['block', 'reqadd', 'reqdel', 'reqidel', 'reqrep', 'reqirep', 'reqdeny', 'reqideny', 'reqallow', 'reqiallow', 'reqtarpit', 'reqitarpit',
    'reqpass', 'reqipass', 'rspadd', 'rspdel', 'rspidel', 'rsprep', 'rspirep', 'rspdeny', 'rspideny'].map((k) => `*:${k}`),
  'userlist:user',
  'userlist:group',
);

// The HTTP engine (src/runtime/http): message layer limits and tolerances, connection modes,
// error pages, timeouts, layer-7 retries, idle server connection reuse.
markHonoured(
  '*:option http-keep-alive',
  '*:option http-server-close',
  '*:option httpclose',
  '*:option forceclose',
  '*:option http-pretend-keepalive',
  '*:option accept-invalid-http-request',
  '*:option accept-invalid-http-response',
  '*:option h1-case-adjust-bogus-client',
  '*:option h1-case-adjust-bogus-server',
  '*:option http-buffer-request',
  '*:option http-ignore-probes',
  '*:option nolinger',
  '*:option forwardfor',
  '*:option originalto',
  '*:monitor fail',
  '*:errorfile',
  '*:errorfiles',
  '*:errorloc',
  '*:errorloc302',
  '*:errorloc303',
  'http-errors:errorfile',
  '*:timeout http-request',
  '*:timeout http-keep-alive',
  '*:retry-on',
  '*:http-reuse',
  '*:http-send-name-header',
  '*:monitor-uri',
  'global:h1-case-adjust',
  'global:h1-case-adjust-file',
  'global:tune.bufsize',
  'global:tune.maxrewrite',
  'global:tune.http.maxhdr',
);
markServerOptionHonoured('pool-max-conn', 'pool-purge-delay');

// Statistics and the runtime API (src/runtime/stats): stats sockets, the stats page, socket-stats listener rows.
// `stats show-modules` and `stats bind-process` keep their note.
markHonoured(
  'global:stats socket',
  'global:stats timeout',
  'global:stats maxconn',
  'global:node',
  'global:description',
  ...['enable', 'uri', 'realm', 'refresh', 'auth', 'scope', 'admin', 'http-request', 'hide-version', 'show-legends', 'show-node', 'show-desc'].map(
    (k) => `*:stats ${k}`,
  ),
  '*:option socket-stats',
  '*:description',
);
markBindOptionHonoured('level', 'severity-output');

// TLS (src/runtime/tls): termination on binds, TLS toward servers, ssl-hello-chk / check-ssl.
// npn, allow-0rtt, ca-sign-*, generate-certificates, tls-ticket-keys, crt-ignore-err, ca-ignore-err,
// ocsp-update and the ssl engines keep their note.
markBindOptionHonoured(
  'ssl', 'crt', 'crt-list', 'alpn', 'ciphers', 'ciphersuites', 'ssl-min-ver', 'ssl-max-ver', 'no-sslv3', 'no-tlsv10',
  'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13',
  'ca-file', 'verify', 'crl-file', 'strict-sni', 'ecdhe', 'curves', 'no-tls-tickets', 'prefer-client-ciphers',
);
markServerOptionHonoured(
  'ssl', 'no-ssl', 'verify', 'verifyhost', 'ca-file', 'crl-file', 'sni', 'alpn', 'crt', 'check-ssl', 'no-check-ssl', 'no-ssl-reuse',
  'ssl-reuse', 'ssl-min-ver', 'ssl-max-ver', 'ciphers', 'ciphersuites', 'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12',
  'no-tlsv13', 'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13', 'no-tls-tickets', 'tls-tickets',
  'curves',
);
markHonoured(
  'global:ssl-default-bind-options',
  'global:ssl-default-bind-ciphers',
  'global:ssl-default-bind-ciphersuites',
  'global:ssl-default-bind-curves',
  'global:ssl-default-server-options',
  'global:ssl-default-server-ciphers',
  'global:ssl-default-server-ciphersuites',
  'global:ssl-server-verify',
  'global:ca-base',
  'global:crt-base',
  'global:ssl-load-extra-del-ext',
  'global:tune.ssl.default-dh-param',
  '*:option ssl-hello-chk',
);

// Stick tables (src/runtime/stick): tables (also a peers section's `table` lines, kept local: the
// synchronisation with peers is not done, the `peer` lines keep their note), tracking, counters,
// stickiness.
markHonoured(
  '*:stick-table',
  '*:stick on',
  '*:stick match',
  '*:stick store-request',
  '*:stick store-response',
  'peers:table',
  '*:http-request track-sc',
  '*:http-response track-sc',
  ...['track-sc0', 'track-sc1', 'track-sc2', 'sc-inc-gpc', 'sc-inc-gpc0', 'sc-inc-gpc1', 'sc-set-gpt', 'sc-set-gpt0'].flatMap((a) => [
    `*:http-request ${a}`,
    `*:http-response ${a}`,
    `*:tcp-request connection ${a}`,
    `*:tcp-request session ${a}`,
    `*:tcp-request content ${a}`,
    `*:tcp-response content ${a}`,
  ]),
);
markServerOptionHonoured('non-stick');
