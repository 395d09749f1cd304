/**
 * The PROXY header a server receives with `send-proxy` (v1) or
 * `send-proxy-v2` (v2, no TLV), as HAProxy 2.6 writes it (captures/proxy_protocol).
 */
import net from 'node:net';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

export interface ProxyAddrs {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  family: 4 | 6;
}

function unmap(a: string): string {
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}

export function encodeProxyHeader(version: 1 | 2, a: ProxyAddrs): Buffer {
  const src = unmap(a.src);
  const dst = unmap(a.dst);
  const v4 = net.isIPv4(src) && net.isIPv4(dst);
  const v6 = !v4 && net.isIP(src) && net.isIP(dst);
  if (version === 1) {
    if (v4) return Buffer.from(`PROXY TCP4 ${src} ${dst} ${a.srcPort} ${a.dstPort}\r\n`, 'latin1');
    if (v6) return Buffer.from(`PROXY TCP6 ${toV6(src)} ${toV6(dst)} ${a.srcPort} ${a.dstPort}\r\n`, 'latin1');
    return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  }
  if (!v4 && !v6) return Buffer.concat([SIG, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  const alen = v4 ? 12 : 36;
  const b = Buffer.alloc(16 + alen);
  SIG.copy(b, 0);
  b[12] = 0x21;
  b[13] = v4 ? 0x11 : 0x21;
  b.writeUInt16BE(alen, 14);
  if (v4) {
    writeV4(b, 16, src);
    writeV4(b, 20, dst);
    b.writeUInt16BE(a.srcPort, 24);
    b.writeUInt16BE(a.dstPort, 26);
  } else {
    writeV6(b, 16, toV6(src));
    writeV6(b, 32, toV6(dst));
    b.writeUInt16BE(a.srcPort, 48);
    b.writeUInt16BE(a.dstPort, 50);
  }
  return b;
}

function toV6(a: string): string {
  return net.isIPv4(a) ? `::ffff:${a}` : a;
}

function writeV4(b: Buffer, at: number, a: string): void {
  const p = a.split('.');
  for (let i = 0; i < 4; i++) b[at + i] = Number(p[i]);
}

function writeV6(b: Buffer, at: number, a: string): void {
  let s = a;
  let tail: number[] = [];
  const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const p = m[1].split('.').map(Number);
    tail = [(p[0] << 8) | p[1], (p[2] << 8) | p[3]];
    s = s.slice(0, -m[1].length) + '0:0';
  }
  const [head, rest] = s.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined ? (rest ? rest.split(':') : []) : [];
  const groups = rest !== undefined ? [...h, ...Array(8 - h.length - r.length).fill('0'), ...r] : h;
  const nums = groups.map((g) => parseInt(g || '0', 16));
  if (tail.length) nums.splice(6, 2, ...tail);
  for (let i = 0; i < 8; i++) b.writeUInt16BE(nums[i] ?? 0, at + 2 * i);
}
