/**
 * PROXY protocol encoding and decoding against bytes and behaviour recorded
 * from HAProxy 2.6 (captures/proxy_protocol, fixtures/send.json,
 * fixtures/accept.json), plus mutations that must never make the decoder throw.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeProxyHeader,
  encodeProxyV1,
  encodeProxyV2,
  formatIPv6,
  parseIPv6,
  PROXY_ERROR_MESSAGES,
  ProxyHeaderReceiver,
  type ProxyEndpoint,
} from '../../src/runtime/proxy-protocol.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FIX = join(ROOT, 'test', 'proxy-protocol', 'fixtures');
const CAPTURES = '/work/shared/reference/captures/proxy_protocol';

interface SendCase {
  name: string;
  src: ProxyEndpoint | null;
  dst: ProxyEndpoint | null;
  local?: boolean;
  version: 1 | 2;
  hex: string;
}
interface AcceptCase {
  name: string;
  hex: string;
  result: 'ok' | 'error';
  src?: string;
  dst?: string;
  message?: string;
}

/**
 * A captured byte stream: the .bin file, or the xxd dump next to it when the
 * .bin does not hold raw bytes (the shared v1 .bin has held an xxd text).
 */
function readCapture(base: string): Buffer {
  const bin = readFileSync(join(CAPTURES, `${base}.bin`));
  if (bin.subarray(0, 6).toString('latin1') === 'PROXY ' || bin.subarray(0, 12).toString('hex') === '0d0a0d0a000d0a515549540a') return bin;
  const text = readFileSync(join(CAPTURES, `${base}.hex.txt`), 'latin1');
  const bytes: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^[0-9a-f]{8}: ((?:[0-9a-f]{2,4} ?)+)/.exec(line);
    if (m) bytes.push(m[1].replace(/ /g, ''));
  }
  return Buffer.from(bytes.join(''), 'hex');
}

const sendCases = JSON.parse(readFileSync(join(FIX, 'send.json'), 'utf8')).cases as SendCase[];
const acceptCases = JSON.parse(readFileSync(join(FIX, 'accept.json'), 'utf8')).cases as AcceptCase[];

describe('sending a PROXY header (send-proxy, send-proxy-v2)', () => {
  test('the v1 line matches the bytes captured from HAProxy byte for byte', { skip: !existsSync(CAPTURES) }, () => {
    const cap = readCapture('send-proxy_v1_to_server');
    const line = cap.subarray(0, cap.indexOf('\r\n') + 2);
    const b = encodeProxyV1({ address: '127.0.0.1', port: 36734 }, { address: '127.0.0.1', port: 18080 });
    assert.deepEqual(b, line);
  });

  test('the v2 header matches the captured bytes, without any TLV', { skip: !existsSync(CAPTURES) }, () => {
    const cap = readCapture('send-proxy-v2_to_server');
    const head = cap.subarray(0, 28);
    const src = { address: '127.0.0.1', port: head.readUInt16BE(24) };
    const b = encodeProxyV2({ src, dst: { address: '127.0.0.1', port: 18080 } });
    assert.deepEqual(b, head);
    assert.equal(b.readUInt16BE(14), 12);
  });

  for (const c of sendCases) {
    test(`${c.name}: the same bytes as HAProxy`, () => {
      const want = Buffer.from(c.hex, 'hex');
      let got: Buffer;
      if (c.version === 1) got = encodeProxyV1(c.src ?? undefined, c.dst ?? undefined);
      else got = encodeProxyV2({ src: c.src ?? undefined, dst: c.dst ?? undefined, local: c.local });
      assert.deepEqual(got, want);
    });
  }

  test('a health check with send-proxy-v2 sends the 16-byte LOCAL command', () => {
    const b = encodeProxyV2({ local: true, src: { address: '127.0.0.1', port: 1 }, dst: { address: '127.0.0.1', port: 2 } });
    assert.equal(b.toString('hex'), '0d0a0d0a000d0a515549540a20000000');
  });

  test('without addresses (unix sockets) v1 says UNKNOWN and v2 LOCAL', () => {
    assert.equal(encodeProxyV1(undefined, { address: '1.2.3.4', port: 1 }).toString(), 'PROXY UNKNOWN\r\n');
    assert.equal(encodeProxyV1({ address: '/run/x.sock', port: 0 }, { address: '1.2.3.4', port: 1 }).toString(), 'PROXY UNKNOWN\r\n');
    assert.equal(encodeProxyV2({}).length, 16);
  });

  test('one IPv6 side turns both into IPv6, the IPv4 one mapped', () => {
    const v1 = encodeProxyV1({ address: '10.0.0.1', port: 5 }, { address: '2001:db8::2', port: 6 });
    assert.equal(v1.toString(), 'PROXY TCP6 ::ffff:10.0.0.1 2001:db8::2 5 6\r\n');
    const v2 = encodeProxyV2({ src: { address: '10.0.0.1', port: 5 }, dst: { address: '2001:db8::2', port: 6 } });
    assert.equal(v2[13], 0x21);
    assert.equal(v2.readUInt16BE(14), 36);
    assert.equal(v2.subarray(16, 32).toString('hex'), '00000000000000000000ffff0a000001');
  });

  test('optional TLVs come in HAProxy order, the CRC32C covering the whole header', () => {
    const b = encodeProxyV2({
      src: { address: '1.2.3.4', port: 1 },
      dst: { address: '5.6.7.8', port: 2 },
      crc32c: true,
      alpn: 'h2',
      authority: 'example.com',
      uniqueId: 'abc',
    });
    const d = decodeProxyHeader(b);
    assert.equal(d.kind, 'ok');
    if (d.kind !== 'ok') return;
    assert.deepEqual(
      d.header.tlvs.map((t) => t.type),
      [0x03, 0x01, 0x02, 0x05],
    );
    assert.equal(d.header.authority, 'example.com');
    assert.equal(d.header.uniqueId, 'abc');
    // a flipped byte breaks the checksum
    const bad = Buffer.from(b);
    bad[20] ^= 1;
    assert.equal(decodeProxyHeader(bad).kind, 'error');
  });
});

describe('receiving a PROXY header (accept-proxy), as recorded from HAProxy', () => {
  for (const c of acceptCases) {
    test(`${c.name}: ${c.result === 'ok' ? 'accepted' : c.message || 'refused'}`, () => {
      const input = Buffer.from(c.hex, 'hex');
      const rx = new ProxyHeaderReceiver();
      const r = input.length ? rx.push(input) : rx.timeout();
      if (c.result === 'error') {
        assert.equal(r.kind, 'error');
        if (r.kind === 'error') assert.equal(r.message, c.message);
        return;
      }
      assert.equal(r.kind, 'ok', JSON.stringify(r));
      if (r.kind !== 'ok') return;
      // what follows the header is the client's data, untouched
      assert.ok(r.rest.length === 0 || r.rest.toString('latin1').startsWith('GET '));
      if (!c.src) return;
      if (c.src.startsWith('127.0.0.1:') && r.header.command === 'local') return;
      // HAProxy prints port 0 as an empty string
      const fmt = (e?: ProxyEndpoint) => (e ? `${e.address}:${e.port || ''}` : '');
      assert.equal(fmt(r.header.src), c.src);
      assert.equal(fmt(r.header.dst), c.dst);
    });
  }

  test('a LOCAL or UNKNOWN header keeps the connection addresses', () => {
    for (const name of ['v1 unknown', 'v2 local']) {
      const c = acceptCases.find((x) => x.name === name)!;
      const r = decodeProxyHeader(Buffer.from(c.hex, 'hex'));
      assert.equal(r.kind === 'ok' && r.header.command, 'local');
    }
  });

  test('an incomplete first read fails at once; waitForMore lets it complete', () => {
    const full = encodeProxyV1({ address: '1.2.3.4', port: 1 }, { address: '5.6.7.8', port: 2 });
    const strict = new ProxyHeaderReceiver();
    const r1 = strict.push(full.subarray(0, 10));
    assert.equal(r1.kind === 'error' && r1.code, 'truncated');
    const lenient = new ProxyHeaderReceiver({ waitForMore: true });
    for (let i = 0; i < full.length - 1; i++) assert.equal(lenient.push(full.subarray(i, i + 1)).kind, 'need-more');
    const r2 = lenient.push(full.subarray(full.length - 1));
    assert.equal(r2.kind, 'ok');
  });

  test('a header longer than the buffer size can never complete', () => {
    const big = encodeProxyV2({ src: { address: '1.2.3.4', port: 1 }, dst: { address: '5.6.7.8', port: 2 }, extra: [{ type: 0x04, value: Buffer.alloc(20000) }] });
    const r = new ProxyHeaderReceiver({ waitForMore: true }).push(big);
    assert.equal(r.kind === 'error' && r.code, 'truncated');
  });

  test('the client closing first is an empty or truncated header', () => {
    const e1 = new ProxyHeaderReceiver().end();
    assert.equal(e1.kind === 'error' && e1.message, PROXY_ERROR_MESSAGES.empty);
    const rx = new ProxyHeaderReceiver({ waitForMore: true });
    rx.push(Buffer.from('PROXY'));
    const e2 = rx.end();
    assert.equal(e2.kind === 'error' && e2.message, PROXY_ERROR_MESSAGES.truncated);
  });

  test('a bad v2 TLV after valid addresses reports them, as HAProxy logs them', () => {
    const c = acceptCases.find((x) => x.name === 'v2 tcp4 tlv overflowing')!;
    const r = decodeProxyHeader(Buffer.from(c.hex, 'hex'));
    assert.equal(r.kind, 'error');
    if (r.kind === 'error') assert.deepEqual(r.src, { address: '1.2.3.4', port: 8080 });
  });
});

describe('IPv6 text as glibc reads and writes it', () => {
  test('formatting compresses the longest zero run and shows embedded IPv4 only where glibc does', () => {
    const cases: [string, string][] = [
      ['::1', '::1'],
      ['1::', '1::'],
      ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['::1.2.3.4', '::1.2.3.4'],
      ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7'],
      ['ABCD::EF', 'abcd::ef'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::0.0.0.1', '::1'],
      ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
      ['1:0:0:0:1:0:0:1', '1::1:0:0:1'],
      ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
    ];
    for (const [inp, out] of cases) assert.equal(formatIPv6(parseIPv6(inp)!), out, inp);
  });

  test('parsing refuses what inet_pton refuses', () => {
    for (const bad of ['::01.2.3.4', '1::2::3', '12345::', '::ffff:1.2.3', ':1::', '1:::2', '1:2:3:4:5:6:7:8:9', '::1.2.3.4:5', '', 'g::']) {
      assert.equal(parseIPv6(bad), undefined, bad);
    }
  });
});

describe('malformed input never breaks the decoder', () => {
  test('thousands of mutated headers give need-more, an error or a header within the input', () => {
    const seeds = [
      encodeProxyV1({ address: '192.0.2.1', port: 1234 }, { address: '198.51.100.7', port: 80 }),
      encodeProxyV1({ address: '2001:db8::1', port: 1 }, { address: '::1', port: 2 }),
      Buffer.from('PROXY UNKNOWN\r\n'),
      encodeProxyV2({ src: { address: '1.2.3.4', port: 1 }, dst: { address: '5.6.7.8', port: 2 }, crc32c: true, authority: 'a.example' }),
      encodeProxyV2({ src: { address: '2001:db8::1', port: 1 }, dst: { address: '::1', port: 2 }, uniqueId: 'x' }),
      encodeProxyV2({ local: true }),
      ...acceptCases.map((c) => Buffer.from(c.hex, 'hex')),
    ];
    let x = 12345;
    const rnd = (n: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    let count = 0;
    const kinds = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(seeds[rnd(seeds.length)]);
      let m: Buffer = b;
      const op = rnd(5);
      if (op === 0 && b.length) m[rnd(b.length)] = rnd(256);
      else if (op === 1) m = b.subarray(0, rnd(b.length + 1));
      else if (op === 2) m = Buffer.concat([b.subarray(0, rnd(b.length + 1)), Buffer.from([rnd(256)]), b.subarray(rnd(b.length + 1))]);
      else if (op === 3 && b.length > 15) m.writeUInt16BE(rnd(65536), 14);
      else for (let k = 0; k < 4 && b.length; k++) m[rnd(b.length)] = [0x20, 0x0d, 0x0a, 0x3a, 0x2e, 0x00, 0x39][rnd(7)];
      const r = decodeProxyHeader(m);
      kinds.add(r.kind);
      if (r.kind === 'ok') assert.ok(r.length <= m.length && r.length > 0);
      if (r.kind === 'error') assert.equal(r.message, PROXY_ERROR_MESSAGES[r.code]);
      const rx = new ProxyHeaderReceiver();
      rx.push(m);
      count++;
    }
    assert.equal(count, 5000);
    assert.deepEqual([...kinds].sort(), ['error', 'need-more', 'ok']);
  });
});

// ---------------------------------------------------------------------------
// Against the real haproxy: our header into its accept-proxy, its send-proxy into our decoder.

const haveHaproxy = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;

describe('interoperating with HAProxy', { skip: !haveHaproxy }, () => {
  const procs: ChildProcess[] = [];
  const servers: net.Server[] = [];
  const dirs: string[] = [];
  after(() => {
    for (const p of procs) p.kill('SIGKILL');
    for (const s of servers) s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const freePort = () =>
    new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });

  async function waitPort(port: number) {
    for (let i = 0; i < 80; i++) {
      const ok = await new Promise<boolean>((res) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('connect', () => {
          s.end();
          res(true);
        });
        s.on('error', () => res(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('haproxy not listening');
  }

  test('haproxy accepts our v1 and v2 headers and uses their addresses; its send-proxy-v2 decodes to the client', async () => {
    const seen: string[] = [];
    const backend = net.createServer((s) => {
      const rx = new ProxyHeaderReceiver();
      s.once('data', (d) => {
        const r = rx.push(d);
        seen.push(r.kind === 'ok' ? `${r.header.src!.address}:${r.header.src!.port}` : r.kind);
        s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      });
      s.on('error', () => {});
    });
    servers.push(backend);
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    const bport = (backend.address() as net.AddressInfo).port;
    const fport = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'pp-test-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'h.cfg'),
      [
        'defaults',
        '    mode http',
        '    timeout connect 1s',
        '    timeout client 2s',
        '    timeout server 2s',
        'frontend fe',
        `    bind 127.0.0.1:${fport} accept-proxy`,
        '    default_backend be',
        'backend be',
        `    server s 127.0.0.1:${bport} send-proxy-v2`,
        '',
      ].join('\n'),
    );
    const hap = spawn('haproxy', ['-db', '-f', join(dir, 'h.cfg')], { stdio: 'ignore' });
    procs.push(hap);
    // probe with a valid header so the probe itself is a proper client
    const send = (header: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const s = net.connect(fport, '127.0.0.1');
        const t = setTimeout(() => {
          s.destroy();
          reject(new Error('timeout'));
        }, 3000);
        let out = '';
        s.on('connect', () => s.write(Buffer.concat([header, Buffer.from('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')])));
        s.on('data', (d) => (out += d));
        s.on('end', () => {
          clearTimeout(t);
          s.destroy();
          resolve(out.split('\r\n')[0]);
        });
        s.on('error', (e) => {
          clearTimeout(t);
          reject(e);
        });
      });
    await waitPort(fport);
    seen.length = 0;
    const a = await send(encodeProxyV1({ address: '203.0.113.9', port: 4444 }, { address: '127.0.0.1', port: fport }));
    const b = await send(encodeProxyV2({ src: { address: '2001:db8::7', port: 5555 }, dst: { address: '::1', port: 80 } }));
    assert.equal(a, 'HTTP/1.1 200 OK');
    assert.equal(b, 'HTTP/1.1 200 OK');
    assert.deepEqual(seen.slice(-2), ['203.0.113.9:4444', '2001:db8::7:5555']);
    hap.kill('SIGTERM');
  });
});
