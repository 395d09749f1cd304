/**
 * SSL settings of a bind or server line as HAProxy 2.6 combines them: the
 * line's own keywords over the global `ssl-default-{bind,server}-*` ones,
 * the version range from ssl-min-ver/ssl-max-ver, no-* and force-*, and the
 * cipher lists with OpenSSL's defaults where HAProxy leaves them unset.
 */
import { constants } from 'node:crypto';
import type { SecureVersion } from 'node:tls';
import type { Config } from '../../config/model.js';
import { withBase } from '../../config/keywords/bind/files.js';

const VERSIONS = ['SSLv3', 'TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const NODE_VERSIONS: SecureVersion[] = ['TLSv1', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const NO_FLAGS = ['no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13'];
const FORCE_FLAGS = ['force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13'];

/** OpenSSL's default lists: HAProxy sets none unless told to */
export const DEFAULT_CIPHERS = 'DEFAULT';
export const DEFAULT_CIPHERSUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

export interface TlsParams {
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** TLS <= 1.2 cipher list and TLS 1.3 suites, as OpenSSL strings */
  ciphers: string;
  ciphersuites: string;
  /** ecdhCurve for Node ('auto' unless set) */
  curves: string;
  secureOptions: number;
  /** server cipher preference (HAProxy's default; prefer-client-ciphers turns it off) */
  honorCipherOrder: boolean;
  alpn?: string[];
  caFile?: string;
  crlFile?: string;
  verify?: string;
}

/** The arguments of every global directive named `kw` (last one wins for single values). */
export function globalArgs(config: Config | undefined, kw: string): string[] | undefined {
  let v: string[] | undefined;
  if (config) for (const d of config.global.directives) if (d.keyword === kw) v = d.args;
  return v;
}

/** `ssl-default-bind-options` / `ssl-default-server-options` as an option map. */
function defaultOptions(config: Config | undefined, kw: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const a = globalArgs(config, kw) ?? [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 'ssl-min-ver' || a[i] === 'ssl-max-ver') {
      m.set(a[i], [a[i + 1] ?? '']);
      i++;
    } else m.set(a[i], []);
  }
  return m;
}

export { withBase };

/**
 * Combines a line's options (and a crt-list line's, which win) with the
 * global defaults of its side ('bind' or 'server').
 */
export function tlsParams(side: 'bind' | 'server', own: Map<string, string[]>, config: Config | undefined, over?: Map<string, string[]>): TlsParams {
  const defs = defaultOptions(config, `ssl-default-${side}-options`);
  const get = (k: string): string | undefined => over?.get(k)?.[0] ?? own.get(k)?.[0];
  const has = (k: string): boolean => !!over?.has(k) || own.has(k) || defs.has(k);

  let min = VERSIONS.indexOf(get('ssl-min-ver') ?? defs.get('ssl-min-ver')?.[0] ?? 'TLSv1.2');
  let max = VERSIONS.indexOf(get('ssl-max-ver') ?? defs.get('ssl-max-ver')?.[0] ?? 'TLSv1.3');
  if (min < 0) min = 3;
  if (max < 0) max = 4;
  const forced = FORCE_FLAGS.findIndex((f) => has(f));
  if (forced >= 0) min = max = forced;
  // the first run of enabled versions, as HAProxy takes it (a hole ends the range)
  let lo = -1;
  let hi = -1;
  for (let i = min; i <= max; i++) {
    const on = !NO_FLAGS.slice(i, i + 1).some((f) => has(f));
    if (on && lo < 0) lo = hi = i;
    else if (on && hi === i - 1) hi = i;
    else if (!on && lo >= 0) break;
  }
  if (lo < 0) lo = hi = min; // nothing left: OpenSSL then fails every handshake, as HAProxy would
  let secureOptions = 0;
  if (has('no-tls-tickets')) secureOptions |= constants.SSL_OP_NO_TICKET;
  const ciphers = get('ciphers') ?? globalArgs(config, `ssl-default-${side}-ciphers`)?.[0] ?? DEFAULT_CIPHERS;
  const ciphersuites = get('ciphersuites') ?? globalArgs(config, `ssl-default-${side}-ciphersuites`)?.[0] ?? DEFAULT_CIPHERSUITES;
  const curves = get('curves') ?? get('ecdhe') ?? (side === 'bind' ? globalArgs(config, 'ssl-default-bind-curves')?.[0] : undefined) ?? 'auto';
  const alpnText = get('alpn');
  const caBase = globalArgs(config, 'ca-base')?.[0];
  const ca = get('ca-file');
  const crl = get('crl-file');
  return {
    minVersion: NODE_VERSIONS[lo],
    maxVersion: NODE_VERSIONS[hi],
    ciphers,
    ciphersuites,
    curves,
    secureOptions,
    honorCipherOrder: !has('prefer-client-ciphers'),
    alpn: alpnText !== undefined ? alpnText.split(',').filter((s) => s.length) : undefined,
    caFile: ca !== undefined ? withBase(ca, caBase) : undefined,
    crlFile: crl !== undefined ? withBase(crl, caBase) : undefined,
    verify: get('verify'),
  };
}

/** Node takes both cipher lists in one string. */
export function nodeCiphers(p: TlsParams): string {
  return p.ciphersuites ? `${p.ciphersuites}:${p.ciphers}` : p.ciphers;
}
