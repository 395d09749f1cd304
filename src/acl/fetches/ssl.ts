/**
 * TLS connection fetches (7.3.4, ssl_fc_*, ssl_bc_*, ssl_c_*, ssl_f_*,
 * ssl_s_*): answered from what the TLS layer put in ctx.tls (client side)
 * and ctx.bcTls (server side). Without TLS, ssl_fc/ssl_bc are false and the
 * others give no sample, as on a plain connection in HAProxy.
 */
import type { X509Certificate } from 'node:crypto';
import type { SampleContext, TlsView } from '../context.js';
import { defFetch, argInt } from '../registry.js';

type Side = (c: SampleContext) => TlsView | undefined;
const fc: Side = (c) => c.tls;
const bc: Side = (c) => c.bcTls;

defFetch('ssl_fc', (smp, ctx) => smp.setBool(!!ctx.tls));
defFetch('ssl_bc', (smp, ctx) => smp.setBool(!!ctx.bcTls));

function str(names: string[], side: Side, get: (t: TlsView) => string | undefined): void {
  defFetch(names, (smp, ctx) => {
    const t = side(ctx);
    const v = t && get(t);
    return v === undefined ? false : smp.setStr(v);
  });
}
function int(names: string[], side: Side, get: (t: TlsView) => number | undefined): void {
  defFetch(names, (smp, ctx) => {
    const t = side(ctx);
    const v = t && get(t);
    return v === undefined ? false : smp.setInt(v);
  });
}
function bool(names: string[], side: Side, get: (t: TlsView) => boolean): void {
  defFetch(names, (smp, ctx) => {
    const t = side(ctx);
    return t ? smp.setBool(get(t)) : false;
  });
}

str(['ssl_fc_sni'], fc, (t) => t.sni);
str(['ssl_fc_alpn'], fc, (t) => t.alpn);
str(['ssl_bc_alpn'], bc, (t) => t.alpn);
str(['ssl_fc_npn', 'ssl_bc_npn'], () => undefined, () => undefined);
str(['ssl_fc_protocol'], fc, (t) => t.protocol);
str(['ssl_bc_protocol'], bc, (t) => t.protocol);
str(['ssl_fc_cipher'], fc, (t) => t.cipher);
str(['ssl_bc_cipher'], bc, (t) => t.cipher);
bool(['ssl_fc_is_resumed'], fc, (t) => !!t.resumed);
bool(['ssl_bc_is_resumed'], bc, (t) => !!t.resumed);
int(['ssl_fc_alg_keysize'], fc, (t) => t.algKeysize);
int(['ssl_bc_alg_keysize'], bc, (t) => t.algKeysize);
int(['ssl_fc_use_keysize'], fc, (t) => t.useKeysize);
int(['ssl_bc_use_keysize'], bc, (t) => t.useKeysize);
bool(['ssl_fc_has_crt', 'ssl_c_used'], fc, (t) => !!t.peerCert);
bool(['ssl_fc_has_sni'], fc, (t) => t.sni !== undefined);
bool(['ssl_fc_has_early'], fc, () => false);
int(['ssl_c_verify'], fc, (t) => t.verify ?? 0);
int(['ssl_c_err', 'ssl_c_ca_err', 'ssl_c_ca_err_depth'], fc, () => 0);
int(['ssl_fc_err'], fc, (t) => t.errCode ?? 0);
int(['ssl_bc_err'], bc, (t) => t.errCode ?? 0);
str(['ssl_fc_err_str'], fc, (t) => (t.errCode ? t.errStr : undefined));
str(['ssl_bc_err_str'], bc, (t) => (t.errCode ? t.errStr : undefined));
for (const [n, side] of [
  ['ssl_fc_session_id', fc],
  ['ssl_bc_session_id', bc],
] as const) {
  defFetch(n, (smp, ctx) => {
    const id = side(ctx)?.sessionId;
    return id ? smp.setBin(id) : false;
  });
}

/* ---- certificates -------------------------------------------------------------------- */

/** OpenSSL's one-line DN form: /C=FR/O=Org/CN=name */
function dnOneLine(dn: string): string {
  return dn
    .split('\n')
    .filter((l) => l.length)
    .map((l) => '/' + l)
    .join('');
}

function dnEntry(dn: string, entry: string, occ: number): string | undefined {
  const vals = dn
    .split('\n')
    .filter((l) => l.length)
    .map((l) => {
      const k = l.indexOf('=');
      return [l.slice(0, k), l.slice(k + 1)] as const;
    })
    .filter(([k]) => k === entry)
    .map(([, v]) => v);
  if (!vals.length) return undefined;
  if (occ === 0) occ = -1;
  return occ > 0 ? vals[occ - 1] : vals[vals.length + occ];
}

/** ASN.1 time as HAProxy prints it: YYMMDDhhmmssZ */
function asn1Time(s: string): string {
  const d = new Date(s);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

function certFetches(prefix: string, get: (c: SampleContext) => X509Certificate | undefined): void {
  const def = (name: string, fn: (c: X509Certificate, smp: any, a: any[]) => boolean, prep?: (a: string[]) => any[]) =>
    defFetch(
      `${prefix}_${name}`,
      (smp, ctx, a) => {
        const c = get(ctx);
        return c ? fn(c, smp, a) : false;
      },
      prep,
    );
  def('der', (c, smp) => smp.setBin(c.raw));
  def('sha1', (c, smp) => smp.setBin(Buffer.from(c.fingerprint.replace(/:/g, ''), 'hex')));
  def('serial', (c, smp) => smp.setBin(Buffer.from(c.serialNumber.length % 2 ? '0' + c.serialNumber : c.serialNumber, 'hex')));
  def('notafter', (c, smp) => smp.setStr(asn1Time(c.validTo)));
  def('notbefore', (c, smp) => smp.setStr(asn1Time(c.validFrom)));
  def('version', (c, smp) => smp.setInt(3));
  def('key_alg', (c, smp) => {
    const t = c.publicKey.asymmetricKeyType;
    const names: Record<string, string> = { rsa: 'rsaEncryption', ec: 'id-ecPublicKey', ed25519: 'ED25519', 'rsa-pss': 'rsassaPss' };
    return t ? smp.setStr(names[t] ?? t) : false;
  });
  const dnPrep = (a: string[]) => [a[0] ?? '', argInt(a[1]), a[2] ?? ''];
  def(
    's_dn',
    (c, smp, a) => {
      const v = a[0] ? dnEntry(c.subject, a[0], a[1]) : dnOneLine(c.subject);
      return v === undefined ? false : smp.setStr(v);
    },
    dnPrep,
  );
  def(
    'i_dn',
    (c, smp, a) => {
      const v = a[0] ? dnEntry(c.issuer, a[0], a[1]) : dnOneLine(c.issuer);
      return v === undefined ? false : smp.setStr(v);
    },
    dnPrep,
  );
}
certFetches('ssl_c', (c) => c.tls?.peerCert);
certFetches('ssl_f', (c) => c.tls?.ownCert);
certFetches('ssl_s', (c) => c.bcTls?.peerCert);
defFetch('ssl_c_chain_der', (smp, ctx) => {
  const c = ctx.tls?.peerCert;
  return c ? smp.setBin(c.raw) : false;
});
defFetch('ssl_s_chain_der', (smp, ctx) => {
  const c = ctx.bcTls?.peerCert;
  return c ? smp.setBin(c.raw) : false;
});
