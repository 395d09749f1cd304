/**
 * TLS ClientHello inspection on raw request bytes, as HAProxy's payload.c
 * does it (req.ssl_hello_type, req.ssl_ver, req.ssl_sni, req.ssl_alpn,
 * req.ssl_st_ext, req.ssl_ec_ext). Incremental: NEED_MORE while the record
 * is incomplete (the caller waits, inspect-delay permitting), NOT_TLS as
 * soon as the bytes cannot be a hello. Never throws, whatever the input.
 */

export const NOT_TLS = -1;
export const NEED_MORE = -2;

/** Handshake message type of the first record (1 = ClientHello). */
export function sslHelloType(d: Buffer): number {
  const n = d.length;
  if (!n) return NEED_MORE;
  const c = d[0];
  if (!((c >= 0x14 && c <= 0x17) || c === 0xff)) return NOT_TLS;
  if (n < 9) return NEED_MORE;
  if ((d[1] << 16) + d[2] < 0x30000) return NOT_TLS;
  if ((d[3] << 8) + d[4] < 4) return NOT_TLS;
  const hsLen = (d[6] << 16) + (d[7] << 8) + d[8];
  if (n < 9 + hsLen) return NEED_MORE;
  return d[5];
}

/**
 * The ClientHello version, (major << 16) | minor; SSLv2-format hellos are
 * understood too. `recvLimit` caps how much the buffer can ever hold.
 */
export function sslVersion(d: Buffer, recvLimit = 16384): number {
  let bleft = d.length;
  if (!bleft) return NEED_MORE;
  let p = 0;
  let version: number;
  let msgLen: number;
  const c = d[0];
  if ((c >= 0x14 && c <= 0x17) || c === 0xff) {
    if (bleft < 11) return NEED_MORE;
    const rec = (d[1] << 16) + d[2];
    msgLen = (d[3] << 8) + d[4];
    if (rec < 0x30000) return NOT_TLS;
    if (msgLen < 6 || msgLen > (1 << 14) + 2048) return NOT_TLS;
    bleft -= 5;
    p = 5;
    version = (d[p + 4] << 16) + d[p + 5];
  } else {
    let rlen: number;
    let plen: number;
    if (c & 0x80) {
      if (bleft < 3) return NEED_MORE;
      rlen = ((c & 0x7f) << 8) | d[1];
      plen = 0;
      bleft -= 2;
      p = 2;
    } else {
      if (bleft < 4) return NEED_MORE;
      rlen = ((c & 0x3f) << 8) | d[1];
      plen = d[2];
      bleft -= 3;
      p = 3;
    }
    if (d[p] !== 0x01) return NOT_TLS;
    bleft--;
    p++;
    if (bleft < 8) return NEED_MORE;
    version = (d[p] << 16) + d[p + 1];
    const cilen = (d[p + 2] << 8) + d[p + 3];
    const silen = (d[p + 4] << 8) + d[p + 5];
    const chlen = (d[p + 6] << 8) + d[p + 7];
    bleft -= 8;
    if (cilen % 3 !== 0) return NOT_TLS;
    if (silen && silen !== 16) return NOT_TLS;
    if (chlen < 16 || chlen > 32) return NOT_TLS;
    if (rlen !== 9 + cilen + silen + chlen) return NOT_TLS;
    msgLen = cilen + silen + chlen + plen;
  }
  if (msgLen > recvLimit) msgLen = recvLimit;
  if (bleft < msgLen) return NEED_MORE;
  return version;
}

/**
 * Walks the extensions of a complete ClientHello. `visit` returns a result
 * to stop, or undefined to go on. Returns NEED_MORE / NOT_TLS, the visitor's
 * result, or `end` when no visitor call stopped the walk.
 */
function walkExtensions<R>(d: Buffer, visit: (type: number, off: number, len: number) => R | undefined, end: R | typeof NOT_TLS): R | number {
  let bleft = d.length;
  if (!bleft) return NEED_MORE;
  if (d[0] !== 0x16) return NOT_TLS;
  if (bleft < 3) return NEED_MORE;
  if (d[1] < 0x03) return NOT_TLS;
  if (bleft < 5) return NEED_MORE;
  let hsLen = (d[3] << 8) + d[4];
  if (hsLen < 1 + 3 + 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2) return NOT_TLS;
  let p = 5;
  bleft -= 5;
  if (bleft < 1) return NEED_MORE;
  if (d[p] !== 0x01) return NOT_TLS;
  if (bleft < 4) return NEED_MORE;
  hsLen = (d[p + 1] << 16) + (d[p + 2] << 8) + d[p + 3];
  if (hsLen < 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2) return NOT_TLS;
  // HAProxy compares with the bytes after the record header (4 more than the body)
  if (bleft < hsLen) return NEED_MORE;
  p += 4;
  // everything below reads inside the announced length: bound reads by the buffer too
  const at = (k: number) => (k < d.length ? d[k] : 0);
  if (at(p) < 0x03 || at(p + 1) < 0x01) return NOT_TLS;
  let extLen = at(p + 34);
  if (extLen > 32 || extLen > hsLen - 35) return NOT_TLS;
  hsLen -= 35 + extLen;
  p += 35 + extLen;
  if (hsLen < 4) return NOT_TLS;
  extLen = (at(p) << 8) + at(p + 1);
  if (extLen < 2 || extLen > hsLen) return NOT_TLS;
  hsLen -= 2 + extLen;
  p += 2 + extLen;
  if (hsLen < 2 || at(p) < 1 || at(p) > hsLen) return NOT_TLS;
  hsLen -= 1 + at(p);
  p += 1 + at(p);
  if (hsLen < 2) return NOT_TLS;
  extLen = (at(p) << 8) + at(p + 1);
  if (extLen > hsLen - 2) return NOT_TLS;
  hsLen = extLen;
  p += 2;
  while (hsLen >= 4) {
    const type = (at(p) << 8) + at(p + 1);
    const len = (at(p + 2) << 8) + at(p + 3);
    if (len > hsLen - 4) return NOT_TLS;
    if (p + 4 + len > d.length) return NOT_TLS;
    const r = visit(type, p, len);
    if (r !== undefined) return r;
    hsLen -= 4 + len;
    p += 4 + len;
  }
  return end;
}

/** The server name of the SNI extension (host_name type). */
export function sslSni(d: Buffer): string | number {
  return walkExtensions<string | number>(
    d,
    (type, p, len) => {
      if (type !== 0) return undefined;
      if (len < 2) return NOT_TLS;
      const srvLen = (d[p + 4] << 8) + d[p + 5];
      if (srvLen < 4 || srvLen > len - 2) return NOT_TLS;
      const nameType = d[p + 6];
      const nameLen = (d[p + 7] << 8) + d[p + 8];
      if (nameType !== 0) return undefined;
      if (p + 9 + nameLen > d.length) return NOT_TLS;
      return d.toString('latin1', p + 9, p + 9 + nameLen);
    },
    NOT_TLS,
  );
}

/** The ALPN protocol names, in order. */
export function sslAlpn(d: Buffer): string[] | number {
  return walkExtensions<string[] | number>(
    d,
    (type, p, len) => {
      if (type !== 16) return undefined;
      if (len < 3) return NOT_TLS;
      const out: string[] = [];
      let off = 6;
      while (true) {
        const nl = d[p + off];
        if (nl + off - 3 > len) return out.length ? out : NOT_TLS;
        out.push(d.toString('latin1', p + off + 1, p + off + 1 + nl));
        if (nl + off - 3 < len) off = off + nl + 1;
        else break;
      }
      return out;
    },
    NOT_TLS,
  );
}

/** 0: no SessionTicket extension, 1: empty one, 2: with a ticket. */
export function sslStExt(d: Buffer): number {
  return walkExtensions<number>(d, (type, _p, len) => (type === 35 ? (len > 0 ? 2 : 1) : undefined), 0);
}

/** 1 when the supported-groups (elliptic curves) extension is present. */
export function sslEcExt(d: Buffer): number {
  return walkExtensions<number>(d, (type) => (type === 10 ? 1 : undefined), NOT_TLS);
}
