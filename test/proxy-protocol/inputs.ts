/** What record.ts sends to HAProxy's accept-proxy listener (each input in a single write). */
import { hashCrc32c } from '../../src/runtime/lb/hash.js';

const REQ = 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n';
const SIG = '0d0a0d0a000d0a515549540a';

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');

function v2(cmd: number, fam: number, body: Buffer | string): string {
  const b = typeof body === 'string' ? Buffer.from(body, 'hex') : body;
  const h = Buffer.alloc(4);
  h[0] = 0x20 | cmd;
  h[1] = fam;
  h.writeUInt16BE(b.length, 2);
  return SIG + h.toString('hex') + b.toString('hex');
}

const V4 = '01020304' + '05060708' + '1f90' + '0050';
const V6 = '20010db8000000000000000000000001' + '00000000000000000000ffff7f000001' + '0400' + '01bb';
const tlv = (type: number, value: Buffer) => {
  const h = Buffer.alloc(3);
  h[0] = type;
  h.writeUInt16BE(value.length, 1);
  return Buffer.concat([h, value]).toString('hex');
};

function withCrc(good: boolean): string {
  const body = Buffer.from(V4 + tlv(3, Buffer.alloc(4)), 'hex');
  const whole = Buffer.from(v2(1, 0x11, body), 'hex');
  const crc = hashCrc32c(whole);
  whole.writeUInt32BE(good ? crc : (crc ^ 1) >>> 0, whole.length - 4);
  return whole.toString('hex');
}

export const ACCEPT_INPUTS: { name: string; hex: string }[] = [
  { name: 'v1 tcp4', hex: hex('PROXY TCP4 192.0.2.10 198.51.100.1 40000 8080\r\n' + REQ) },
  { name: 'v1 tcp4 header alone', hex: hex('PROXY TCP4 192.0.2.10 198.51.100.1 40000 8080\r\n') },
  { name: 'v1 tcp6', hex: hex('PROXY TCP6 2001:db8::1 ::1 1 2\r\n' + REQ) },
  { name: 'v1 tcp6 mapped', hex: hex('PROXY TCP6 ::ffff:10.0.0.1 ::ffff:10.0.0.2 3 4\r\n' + REQ) },
  { name: 'v1 tcp6 full form', hex: hex('PROXY TCP6 2001:0DB8:0000:0000:0000:0000:0000:0001 0:0:0:0:0:0:0:1 65535 0\r\n' + REQ) },
  { name: 'v1 tcp6 extra field', hex: hex('PROXY TCP6 2001:db8::1 ::1 1 2 junk\r\n' + REQ) },
  { name: 'v1 tcp6 empty port', hex: hex('PROXY TCP6 2001:db8::1 ::1  2\r\n' + REQ) },
  { name: 'v1 tcp6 bad address', hex: hex('PROXY TCP6 2001:db8::g ::1 1 2\r\n' + REQ) },
  { name: 'v1 tcp6 ipv4 address', hex: hex('PROXY TCP6 1.2.3.4 ::1 1 2\r\n' + REQ) },
  { name: 'v1 tcp6 missing port', hex: hex('PROXY TCP6 ::1 ::1 1\r\n' + REQ) },
  { name: 'v1 tcp6 letters in port', hex: hex('PROXY TCP6 ::1 ::1 1x 2\r\n' + REQ) },
  { name: 'v1 tcp4 short address', hex: hex('PROXY TCP4 1.2 3.4.5.6 7 8\r\n' + REQ) },
  { name: 'v1 tcp4 octet over 255', hex: hex('PROXY TCP4 1.2.3.999 3.4.5.6 70000 8\r\n' + REQ) },
  { name: 'v1 tcp4 four digit octet', hex: hex('PROXY TCP4 1.2.3.1234 3.4.5.6 1 2\r\n' + REQ) },
  { name: 'v1 tcp4 leading zeros', hex: hex('PROXY TCP4 010.002.003.004 5.6.7.8 0080 00443\r\n' + REQ) },
  { name: 'v1 tcp4 five groups', hex: hex('PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n' + REQ) },
  { name: 'v1 tcp4 letters', hex: hex('PROXY TCP4 a.b.c.d 5.6.7.8 1 2\r\n' + REQ) },
  { name: 'v1 tcp4 empty port', hex: hex('PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n' + REQ) },
  { name: 'v1 tcp4 double space', hex: hex('PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n' + REQ) },
  { name: 'v1 tcp4 lf only', hex: hex('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n' + REQ) },
  { name: 'v1 tcp4 trailing space', hex: hex('PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n' + REQ) },
  { name: 'v1 tcp4 no crlf', hex: hex('PROXY TCP4 1.2.3.4 5.6.7.8 1 2') },
  { name: 'v1 unknown', hex: hex('PROXY UNKNOWN\r\n' + REQ) },
  { name: 'v1 unknown with addresses', hex: hex('PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n' + REQ) },
  { name: 'v1 udp4', hex: hex('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n' + REQ) },
  { name: 'v1 lowercase', hex: hex('proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n' + REQ) },
  { name: 'v1 prefix only', hex: hex('PROXY ') },
  { name: 'v1 partial', hex: hex('PROXY TCP4 1.2.') },
  { name: 'plain http request', hex: hex(REQ) },
  { name: 'short garbage', hex: hex('GE') },
  { name: 'five bytes', hex: hex('HELLO') },
  { name: 'ten bytes', hex: hex('0123456789') },
  { name: 'v2 tcp4', hex: v2(1, 0x11, V4) + hex(REQ) },
  { name: 'v2 tcp4 header alone', hex: v2(1, 0x11, V4) },
  { name: 'v2 tcp6', hex: v2(1, 0x21, V6) + hex(REQ) },
  { name: 'v2 local', hex: v2(0, 0x00, '') + hex(REQ) },
  { name: 'v2 local with addresses and junk', hex: v2(0, 0x11, V4 + 'ffffffff') + hex(REQ) },
  { name: 'v2 tcp4 with noop tlv', hex: v2(1, 0x11, V4 + '0400020102') + hex(REQ) },
  { name: 'v2 tcp4 tlv overflowing', hex: v2(1, 0x11, V4 + '04000901') + hex(REQ) },
  { name: 'v2 tcp4 tlv header cut', hex: v2(1, 0x11, V4 + '0400') + hex(REQ) },
  { name: 'v2 tcp4 crc32c good', hex: withCrc(true) + hex(REQ) },
  { name: 'v2 tcp4 crc32c bad', hex: withCrc(false) + hex(REQ) },
  { name: 'v2 tcp4 crc32c wrong size', hex: v2(1, 0x11, V4 + tlv(3, Buffer.alloc(3))) + hex(REQ) },
  { name: 'v2 authority 255', hex: v2(1, 0x11, V4 + tlv(2, Buffer.alloc(255, 0x61))) + hex(REQ) },
  { name: 'v2 authority 256', hex: v2(1, 0x11, V4 + tlv(2, Buffer.alloc(256, 0x61))) + hex(REQ) },
  { name: 'v2 unique-id 128', hex: v2(1, 0x11, V4 + tlv(5, Buffer.alloc(128, 0x62))) + hex(REQ) },
  { name: 'v2 unique-id 129', hex: v2(1, 0x11, V4 + tlv(5, Buffer.alloc(129, 0x62))) + hex(REQ) },
  { name: 'v2 unspec proxy', hex: v2(1, 0x00, '') + hex(REQ) },
  { name: 'v2 udp4 proxy', hex: v2(1, 0x12, V4) + hex(REQ) },
  { name: 'v2 unix proxy', hex: v2(1, 0x31, Buffer.alloc(216)) + hex(REQ) },
  { name: 'v2 command 2', hex: v2(2, 0x11, V4) + hex(REQ) },
  { name: 'v2 version 1', hex: SIG + '11' + '11000c' + V4 + hex(REQ) },
  { name: 'v2 address too short', hex: v2(1, 0x11, '0102030405060708') + hex(REQ) },
  { name: 'v2 tcp6 address too short', hex: v2(1, 0x21, V4) + hex(REQ) },
  { name: 'v2 length beyond data', hex: SIG + '2111' + '0100' + V4 },
  { name: 'v2 signature cut', hex: SIG.slice(0, 20) },
  { name: 'v2 bad signature', hex: '0d0a0d0a000d0a515549540b2111000c' + V4 + hex(REQ) },
  { name: 'nothing', hex: '' },
];
