/**
 * What the ssl_fc_* / ssl_c_* / ssl_bc_* fetches and the %sslv/%sslc log
 * fields see of a TLS connection: a TlsView built on first use from the
 * Node TLS socket and kept with it. A plain socket has none.
 */
import type { X509Certificate } from 'node:crypto';
import type tls from 'node:tls';
import type { TlsView } from '../../acl/context.js';

const kInfo = Symbol('tshaproxy.tls');

interface Info {
  /** the server name of the ClientHello (client side), or sent (server side) */
  sni?: string;
  own?: X509Certificate;
  view?: TlsView;
}

type Marked = tls.TLSSocket & { [kInfo]?: Info };

/** Notes what the accept path learnt (the hello's server name, the certificate served). */
export function markAccepted(ts: tls.TLSSocket, sni: string | undefined, own: X509Certificate): void {
  (ts as Marked)[kInfo] = { sni, own };
}

/** Server side: the SNI sent. */
export function markConnected(ts: tls.TLSSocket, sni: string | undefined): void {
  (ts as Marked)[kInfo] = { sni };
}

/**
 * Node refuses resetAndDestroy() on a TLS socket (its handle is not TCP).
 * The TLS layer closes first and then destroys the raw TCP socket under it;
 * marked as Node's own resetAndDestroy() marks it, that close becomes a
 * reset (HAProxy's NOLINGER close). Resetting the raw socket directly would
 * pull the stream out from under the TLS layer.
 */
export function resettable(ts: tls.TLSSocket, raw: import('node:net').Socket): void {
  ts.resetAndDestroy = function (this: tls.TLSSocket) {
    if ((raw as { _handle?: unknown })._handle) (raw as { resetAndClosing?: boolean }).resetAndClosing = true;
    return this.destroy();
  };
}

/** OpenSSL's X509_V_ERR_* numbers for the codes Node reports */
const VERIFY_CODES: Record<string, number> = {
  UNABLE_TO_GET_ISSUER_CERT: 2,
  UNABLE_TO_GET_CRL: 3,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 4,
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: 5,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6,
  CERT_SIGNATURE_FAILURE: 7,
  CRL_SIGNATURE_FAILURE: 8,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  CRL_NOT_YET_VALID: 11,
  CRL_HAS_EXPIRED: 12,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  CERT_REVOKED: 23,
  INVALID_CA: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
  HOSTNAME_MISMATCH: 62,
};

/** key sizes (bits) of a cipher from its OpenSSL name: algorithm size and the size used */
function keySizes(name: string): [number, number] | undefined {
  if (/AES.?256|CHACHA20|CAMELLIA256|ARIA256/.test(name)) return [256, 256];
  if (/AES.?128|CAMELLIA128|ARIA128|SEED|IDEA/.test(name)) return [128, 128];
  if (/DES-CBC3|3DES/.test(name)) return [168, 168];
  if (/NULL/.test(name)) return [0, 0];
  return undefined;
}

function build(ts: tls.TLSSocket, info: Info): TlsView {
  const c = ts.getCipher();
  const ks = c ? keySizes(c.name) : undefined;
  const peer = ts.getPeerX509Certificate() ?? undefined;
  let verify = 0;
  if (peer) {
    const e = ((ts as unknown as { ssl?: unknown }).ssl as { verifyError?: () => (Error & { code?: string }) | null } | undefined)?.verifyError?.();
    if (e) verify = VERIFY_CODES[e.code ?? ''] ?? 1;
  }
  const alpn = ts.alpnProtocol;
  return {
    sni: info.sni,
    alpn: typeof alpn === 'string' ? alpn : undefined,
    protocol: ts.getProtocol() ?? undefined,
    cipher: c?.name,
    resumed: ts.isSessionReused(),
    algKeysize: ks?.[0],
    useKeysize: ks?.[1],
    hasCrt: !!peer,
    verify,
    peerCert: peer,
    ownCert: info.own ?? ts.getX509Certificate() ?? undefined,
  };
}

/** The TLS facts of a socket (undefined for a plain one). */
export function tlsView(sock: unknown): TlsView | undefined {
  if (!sock || (sock as tls.TLSSocket).encrypted !== true) return undefined;
  const ts = sock as Marked;
  const info = (ts[kInfo] ??= {});
  return (info.view ??= build(ts, info));
}
