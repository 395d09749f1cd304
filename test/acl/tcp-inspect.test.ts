/**
 * Raw-buffer inspection: the TLS ClientHello parser on real hellos, and the
 * seed 004 SNI frontend's conditions deciding at once on plain bytes but
 * waiting on an incomplete TLS record, as HAProxy 2.6 does (observed below
 * on the real haproxy with the same configuration).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { checkConfig } from '../../src/config/check.js';
import { strictOptions } from '../helpers.js';
import { projectRoot } from '../corpus/conformance.js';
import { NEED_MORE, NOT_TLS, sslAlpn, sslHelloType, sslSni, sslVersion, sslStExt, sslEcExt } from '../../src/acl/clienthello.js';
import { ProxyAcls, type SampleContext } from '../../src/acl/index.js';
import { freePort, haproxyAvailable } from './oracle.js';

/** The ClientHello Node's TLS client sends for `servername`. */
async function clientHello(servername: string, alpn?: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d) => {
        chunks.push(d);
        const b = Buffer.concat(chunks);
        if (b.length >= 5 && b.length >= 5 + b.readUInt16BE(3)) {
          s.destroy();
          srv.close();
          clearTimeout(timer);
          resolve(b);
        }
      });
    });
    const timer = setTimeout(() => {
      srv.close();
      reject(new Error('no ClientHello in 5 s'));
    }, 5000);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      const c = tls.connect({ host: '127.0.0.1', port, servername, ALPNProtocols: alpn, rejectUnauthorized: false });
      c.on('error', () => {});
    });
  });
}

test('a real ClientHello gives its type, version, SNI and ALPN list', async () => {
  const hello = await clientHello('pump2.thisshitistemp.com', ['h2', 'http/1.1']);
  assert.equal(sslHelloType(hello), 1);
  assert.equal(sslSni(hello), 'pump2.thisshitistemp.com');
  assert.deepEqual(sslAlpn(hello), ['h2', 'http/1.1']);
  // TLS 1.2 in the legacy version field of a TLS 1.3 hello
  assert.equal(sslVersion(hello), 0x30003);
  assert.ok([0, 1, 2].includes(sslStExt(hello)));
  assert.equal(sslEcExt(hello), 1);
});

test('every strict prefix of a ClientHello asks for more data, never a wrong answer', async () => {
  const hello = await clientHello('example.org');
  for (let n = 0; n < hello.length; n++) {
    const p = hello.subarray(0, n);
    // HAProxy counts the 4-byte handshake header in the bytes it wants: the last 4 may be missing
    if (n < hello.length - 4) assert.equal(sslSni(p), NEED_MORE, `prefix ${n}`);
    else assert.ok([NEED_MORE, 'example.org'].includes(sslSni(p) as never), `prefix ${n}`);
    const t = sslHelloType(p);
    assert.ok(t === NEED_MORE, `hello type on prefix ${n}: ${t}`);
  }
});

test('plain text and garbage are refused at once and never throw', () => {
  const plain = Buffer.from('GET / HTTP/1.0\r\n\r\n');
  assert.equal(sslSni(plain), NOT_TLS);
  assert.equal(sslHelloType(plain), NOT_TLS);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 0xff;
  for (let k = 0; k < 3000; k++) {
    const len = rnd() * 2;
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = rnd();
    if (len && k % 2) b[0] = 0x16;
    if (len > 5 && k % 3 === 0) b[5] = 1;
    sslSni(b);
    sslAlpn(b);
    sslVersion(b);
    sslHelloType(b);
    sslStExt(b);
    sslEcExt(b);
  }
});

async function seed004() {
  const cwd = process.cwd();
  process.chdir(join(projectRoot, 'test', 'fixtures', 'seeds'));
  try {
    const r = await checkConfig(['004-pumpio-repaired.cfg'], strictOptions());
    assert.equal(r.exit, 0);
    return r.config;
  } finally {
    process.chdir(cwd);
  }
}

test("seed 004's SNI frontend decides plain bytes at once and waits on a partial TLS record", async () => {
  const config = await seed004();
  const fe = config.proxies.find((p) => p.name === 'https-in')!;
  const acls = new ProxyAcls(fe);
  const accept = acls.cond(fe.rules.find((r) => r.ruleset === 'tcp-request content')!.cond);
  const toPump = acls.cond(fe.useBackends[0].cond);
  const ctx = (buf: Buffer): SampleContext => ({ src: '127.0.0.1', frontend: { name: 'https-in', id: 3 }, reqBuf: buf });
  const plain = ctx(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
  assert.equal(accept.eval(plain, false), false);
  assert.equal(toPump.eval(plain, false), false);
  const partial = ctx(Buffer.from([0x16, 0x03, 0x01]));
  assert.equal(accept.eval(partial, false), 'wait');
  assert.equal(toPump.eval(partial, false), 'wait');
  // once the inspect-delay is over the same bytes decide (no match)
  assert.equal(accept.eval(partial, true), false);
  const hello = ctx(await clientHello('PUMP2.thisshitistemp.com'));
  assert.equal(accept.eval(hello, false), true);
  assert.equal(toPump.eval(hello, false), true);
  const other = ctx(await clientHello('other.example'));
  assert.equal(toPump.eval(other, false), false);
  assert.deepEqual(acls.env.warnings, []);
});

test('HAProxy forwards plain bytes on the SNI port at once and holds a partial TLS record for the inspect-delay', { skip: !haproxyAvailable() && 'haproxy is not on PATH', timeout: 20000 }, async () => {
  const [fePort, sslPort, pumpPort, httpPort, appPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const arrivals: { tag: string; at: number; data: string }[] = [];
  const servers = [
    [sslPort, 'default'],
    [pumpPort, 'pump'],
  ].map(([port, tag]) =>
    net
      .createServer((s) => {
        s.on('data', (d) => arrivals.push({ tag: tag as string, at: Date.now(), data: d.toString('latin1') }));
        s.on('error', () => {});
      })
      .listen(port as number, '127.0.0.1'),
  );
  const env = { ...process.env, HTTPS_PORT: String(fePort), SSL_PORT: String(sslPort), PUMP_PORT: String(pumpPort), HTTP_PORT: String(httpPort), APP_PORT: String(appPort) };
  const cfg = join(projectRoot, 'test', 'fixtures', 'seeds', '004-pumpio-repaired.cfg');
  const hap = spawn('haproxy', ['-db', '-f', cfg], { env, stdio: 'ignore' });
  const socks: net.Socket[] = [];
  try {
    const t0 = Date.now();
    while (!(await new Promise<boolean>((res) => net.connect(fePort, '127.0.0.1').on('connect', function (this: net.Socket) { this.destroy(); res(true); }).on('error', () => res(false))))) {
      if (Date.now() - t0 > 5000) throw new Error('haproxy did not listen');
      await new Promise((r) => setTimeout(r, 50));
    }
    const send = (b: Buffer) => {
      const s = net.connect(fePort, '127.0.0.1', () => s.write(b));
      s.on('error', () => {});
      socks.push(s);
      return Date.now();
    };
    const waitFor = async (pred: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return pred();
    };
    const sentPlain = send(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    assert.ok(await waitFor(() => arrivals.some((a) => a.data.startsWith('GET')), 3000));
    const plain = arrivals.find((a) => a.data.startsWith('GET'))!;
    assert.equal(plain.tag, 'default');
    assert.ok(plain.at - sentPlain < 1000, `plain bytes waited ${plain.at - sentPlain} ms`);
    const sentPartial = send(Buffer.from([0x16, 0x03, 0x01]));
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!arrivals.some((a) => a.data.startsWith('\x16')), 'a partial record went on before the inspect-delay');
    assert.ok(await waitFor(() => arrivals.some((a) => a.data.startsWith('\x16')), 6000));
    const partial = arrivals.find((a) => a.data.startsWith('\x16'))!;
    assert.equal(partial.tag, 'default');
    assert.ok(partial.at - sentPartial >= 4500, `partial record waited only ${partial.at - sentPartial} ms`);
  } finally {
    for (const s of socks) s.destroy();
    hap.kill('SIGKILL');
    for (const s of servers) s.close();
  }
});
