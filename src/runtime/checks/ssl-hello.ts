/**
 * `option ssl-hello-chk`: HAProxy 2.6 sends an SSLv3-format ClientHello and
 * passes the server when the answer starts with a handshake (0x16) or an
 * alert (0x15) record; results are Layer6 statuses (L6OK, L6RSP, L6TOUT).
 * The hello is built here from its fields (RFC 2246 A.3/A.4): record header,
 * ClientHello header, version 3.0, the current time then a fixed 28-byte
 * random, no session id, the 39 classic cipher suites 0x0001-0x001B and
 * 0x002F-0x003A, and the null compression method.
 */
import type { Proxy } from '../../config/model.js';
import type { CheckRule } from './spec.js';

const RANDOM = Buffer.from('HAPROXYSSLCHK\nHAPROXYSSLCHK\n', 'latin1');

function suites(): number[] {
  const out: number[] = [];
  for (let c = 0x01; c <= 0x1b; c++) out.push(c);
  for (let c = 0x2f; c <= 0x3a; c++) out.push(c);
  return out;
}
const SUITES = suites();

/** The ClientHello with the current time in its random (seconds, network order). */
export function sslv3Hello(now = Date.now()): Buffer {
  const body = 2 + 4 + RANDOM.length + 1 + 2 + SUITES.length * 2 + 2;
  const b = Buffer.alloc(5 + 4 + body);
  let p = 0;
  b[p++] = 0x16; // handshake record
  b.writeUInt16BE(0x0300, p); // SSLv3
  p += 2;
  b.writeUInt16BE(4 + body, p);
  p += 2;
  b[p++] = 0x01; // ClientHello
  b.writeUIntBE(body, p, 3);
  p += 3;
  b.writeUInt16BE(0x0300, p);
  p += 2;
  b.writeUInt32BE(Math.floor(now / 1000) >>> 0, p);
  p += 4;
  RANDOM.copy(b, p);
  p += RANDOM.length;
  b[p++] = 0; // no session id
  b.writeUInt16BE(SUITES.length * 2, p);
  p += 2;
  for (const s of SUITES) {
    b.writeUInt16BE(s, p);
    p += 2;
  }
  b[p++] = 1; // one compression method
  b[p++] = 0; // null
  return b;
}

/** the check's steps: connect, send the hello, expect a TLS record back */
export function sslHelloRules(): CheckRule[] {
  return [
    { kind: 'connect', implicit: true, sendProxy: false },
    { kind: 'send', data: sslv3Hello(), make: () => sslv3Hello() },
    { kind: 'expect', type: 'sslhello', inverse: false, text: '^1[56]' },
  ];
}

/** ssl-hello-chk is in force when enabled and written after any httpchk / tcp-check option (the last one wins). */
export function sslHelloWins(p: Proxy): boolean {
  const o = p.options.get('ssl-hello-chk');
  if (!o?.enabled) return false;
  for (const other of ['httpchk', 'tcp-check']) {
    const x = p.options.get(other);
    if (x?.enabled && (x.pos.file !== o.pos.file || x.pos.line > o.pos.line)) return false;
  }
  return true;
}
