/**
 * The first flight of a TLS client, read before OpenSSL sees it: the
 * ClientHello's server name and ALPN list decide the certificate, the ALPN
 * answer and strict-sni, as HAProxy's ClientHello callback does. The hello
 * may span several records; anything that is not a well-formed hello is
 * left to OpenSSL, which fails the handshake its own way.
 */

export interface HelloInfo {
  sni?: string;
  alpn?: string[];
}

/** more bytes are needed */
export const HELLO_MORE = 0;
/** not a ClientHello OpenSSL would read: hand the bytes over as they are */
export const HELLO_OTHER = 1;

/** the largest first flight examined (a hello bigger than this goes to OpenSSL unread) */
const MAX_HELLO = 65536;

/**
 * Reads the handshake message from `buf` (the bytes received so far).
 * Returns the hello's facts, HELLO_MORE or HELLO_OTHER.
 */
export function parseHello(buf: Buffer): HelloInfo | typeof HELLO_MORE | typeof HELLO_OTHER {
  // gather the payloads of the leading handshake records
  let off = 0;
  let msg: Buffer | null = null;
  const parts: Buffer[] = [];
  let have = 0;
  while (true) {
    if (buf.length - off < 5) return buf.length >= MAX_HELLO ? HELLO_OTHER : HELLO_MORE;
    if (buf[off] !== 0x16 || buf[off + 1] !== 3) return HELLO_OTHER;
    const len = (buf[off + 3] << 8) | buf[off + 4];
    if (len === 0 || len > 16384 + 2048) return HELLO_OTHER;
    if (buf.length - off - 5 < len) return buf.length >= MAX_HELLO ? HELLO_OTHER : HELLO_MORE;
    parts.push(buf.subarray(off + 5, off + 5 + len));
    have += len;
    off += 5 + len;
    if (have >= 4) {
      const first = parts[0].length >= 4 ? parts[0] : Buffer.concat(parts);
      if (first[0] !== 1) return HELLO_OTHER;
      const need = 4 + ((first[1] << 16) | (first[2] << 8) | first[3]);
      if (need > MAX_HELLO) return HELLO_OTHER;
      if (have >= need) {
        msg = (parts.length === 1 ? parts[0] : Buffer.concat(parts)).subarray(0, need);
        break;
      }
    }
  }
  return readHello(msg) ?? HELLO_OTHER;
}

function readHello(m: Buffer): HelloInfo | null {
  const end = m.length;
  let p = 4 + 2 + 32; // header, version, random
  if (p + 1 > end) return null;
  p += 1 + m[p]; // session id
  if (p + 2 > end) return null;
  p += 2 + ((m[p] << 8) | m[p + 1]); // cipher suites
  if (p + 1 > end) return null;
  p += 1 + m[p]; // compression methods
  const info: HelloInfo = {};
  if (p === end) return info; // no extensions
  if (p + 2 > end) return null;
  const extEnd = p + 2 + ((m[p] << 8) | m[p + 1]);
  if (extEnd > end) return null;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = (m[p] << 8) | m[p + 1];
    const len = (m[p + 2] << 8) | m[p + 3];
    const d = p + 4;
    if (d + len > extEnd) return null;
    if (type === 0 && len >= 2) {
      // server_name list: the first host_name entry
      let q = d + 2;
      const listEnd = Math.min(d + len, d + 2 + ((m[d] << 8) | m[d + 1]));
      while (q + 3 <= listEnd) {
        const nt = m[q];
        const nl = (m[q + 1] << 8) | m[q + 2];
        if (q + 3 + nl > listEnd) break;
        if (nt === 0) {
          info.sni = m.toString('latin1', q + 3, q + 3 + nl);
          break;
        }
        q += 3 + nl;
      }
    } else if (type === 16 && len >= 2) {
      const list: string[] = [];
      let q = d + 2;
      const listEnd = Math.min(d + len, d + 2 + ((m[d] << 8) | m[d + 1]));
      while (q < listEnd) {
        const nl = m[q];
        if (!nl || q + 1 + nl > listEnd) break;
        list.push(m.toString('latin1', q + 1, q + 1 + nl));
        q += 1 + nl;
      }
      info.alpn = list;
    }
    p = d + len;
  }
  return info;
}
