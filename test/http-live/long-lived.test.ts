/**
 * Long-lived HTTP traffic through tshaproxy (the acceptance list of the HTTP
 * engine): a long poll answered after 3 s under `timeout server 5m`, a
 * chunked upload of several MB from a slow client, 1,000 WebSocket echoes
 * of 1 B to 1 MiB, 10,000 requests on one keep-alive connection; and no
 * socket left open in the proxy afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { createServer, encodeWsFrame, type BackendServer, type ReceivedRequest } from '../harness/servers.js';
import { freePorts, withTimeout } from '../harness/procs.js';
import type { Started } from '../runtime/lib.js';
import { sleep, socketCount, startSubject, workerPid } from './lib.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function reply(req: ReceivedRequest) {
  if (req.path === '/poll') return { delayMs: 3000, body: 'polled' };
  if (req.path === '/upload') return { body: `${req.body.length} ${sha(req.body)}` };
  return { body: 'ok' };
}

/** a client connection that reads responses one by one (Content-Length framed) */
class Client {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  closed = false;

  constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.waiter?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    sock.on('error', () => undefined);
  }

  static connect(port: number): Promise<Client> {
    return withTimeout(
      new Promise<Client>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(new Client(s)));
        s.once('error', reject);
      }),
      3000,
      'connect',
    );
  }

  /** waits until `take` finds what it needs in the buffer */
  private async until<T>(take: (b: Buffer) => { value: T; used: number } | undefined, ms: number): Promise<T> {
    return withTimeout(
      (async () => {
        for (;;) {
          const r = take(this.buf);
          if (r) {
            this.buf = this.buf.subarray(r.used);
            return r.value;
          }
          if (this.closed) throw new Error('connection closed');
          await new Promise<void>((res) => (this.waiter = res));
          this.waiter = null;
        }
      })(),
      ms,
      'response',
    );
  }

  response(ms = 10000): Promise<{ head: string; body: Buffer }> {
    return this.until((b) => {
      const he = b.indexOf('\r\n\r\n');
      if (he < 0) return undefined;
      const head = b.subarray(0, he).toString('latin1');
      const m = /\r\ncontent-length: *(\d+)/i.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (b.length < he + 4 + len) return undefined;
      return { value: { head, body: Buffer.from(b.subarray(he + 4, he + 4 + len)) }, used: he + 4 + len };
    }, ms);
  }

  /** one unmasked WebSocket frame from the server */
  wsFrame(ms = 10000): Promise<Buffer> {
    return this.until((b) => {
      if (b.length < 2) return undefined;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return undefined;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return undefined;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b.length < off + len) return undefined;
      return { value: b.subarray(off, off + len), used: off + len };
    }, ms);
  }

  close(): void {
    this.sock.destroy();
  }
}

describe('long-lived HTTP traffic through tshaproxy', () => {
  let proxy: Started | undefined;
  let backend: BackendServer | undefined;
  let pid = 0;
  let baseline = -1;

  before(async () => {
    const [bePort] = await freePorts(1);
    backend = createServer({ kind: 'http', name: 's1', websocket: true, reply }, bePort);
    await backend.start();
    proxy = await startSubject('tshaproxy', (p) =>
      [
        'defaults',
        '    mode http',
        '    timeout connect 2s',
        '    timeout client 5m',
        '    timeout server 5m',
        '    timeout tunnel 1h',
        'frontend fe',
        `    bind 127.0.0.1:${p[0]}`,
        '    default_backend be',
        'backend be',
        `    server s1 127.0.0.1:${bePort}`,
        '',
      ].join('\n'),
    );
    pid = workerPid(proxy.child.proc.pid!);
    baseline = socketCount(pid);
  });

  after(async () => {
    await proxy?.stop();
    await backend?.stop();
  });

  test('a long poll answered after 3 s under timeout server 5m reaches the client', { timeout: 15000 }, async () => {
    const c = await Client.connect(proxy!.ports[0]);
    try {
      const t0 = Date.now();
      c.sock.write('GET /poll HTTP/1.1\r\nHost: x\r\n\r\n');
      const r = await c.response(8000);
      const dt = Date.now() - t0;
      assert.match(r.head, /^HTTP\/1\.1 200 /);
      assert.equal(r.body.toString(), 'polled');
      assert.ok(dt >= 2900 && dt < 5000, `answered after ${dt} ms`);
    } finally {
      c.close();
    }
  });

  test('a chunked POST of 4 MB sent slowly in 64 KB chunks reaches the server whole', { timeout: 20000 }, async () => {
    const c = await Client.connect(proxy!.ports[0]);
    try {
      const body = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 12)) & 255;
      c.sock.write('POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      const step = 64 * 1024;
      for (let off = 0; off < body.length; off += step) {
        const part = body.subarray(off, off + step);
        c.sock.write(part.length.toString(16) + '\r\n');
        c.sock.write(part);
        c.sock.write('\r\n');
        await sleep(10);
      }
      c.sock.write('0\r\n\r\n');
      const r = await c.response(10000);
      assert.match(r.head, /^HTTP\/1\.1 200 /);
      assert.equal(r.body.toString(), `${body.length} ${sha(body)}`);
    } finally {
      c.close();
    }
  });

  test('1,000 sequential WebSocket echoes of 1 B to 1 MiB come back intact', { timeout: 60000 }, async () => {
    const c = await Client.connect(proxy!.ports[0]);
    try {
      c.sock.write(
        'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      const up = await c.response(5000);
      assert.match(up.head, /^HTTP\/1\.1 101 /);
      // sizes spread evenly on a log scale from 1 B to 1 MiB
      let bytes = 0;
      for (let i = 0; i < 1000; i++) {
        const size = Math.max(1, Math.round(2 ** ((20 * i) / 999)));
        const payload = Buffer.alloc(size, i & 255);
        payload[0] = i & 255;
        payload[size - 1] = (i * 7) & 255;
        c.sock.write(encodeWsFrame(payload, 2, true));
        const echo = await c.wsFrame(10000);
        assert.equal(echo.length, size, `frame ${i}`);
        assert.ok(echo.equals(payload), `frame ${i} content`);
        bytes += size;
      }
      assert.ok(bytes > 50 * 1024 * 1024);
    } finally {
      c.close();
    }
  });

  test('10,000 requests on one keep-alive connection are all answered', { timeout: 60000 }, async () => {
    const c = await Client.connect(proxy!.ports[0]);
    try {
      for (let i = 0; i < 10000; i++) {
        c.sock.write(`GET /k${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
        const r = await c.response(5000);
        if (!r.head.startsWith('HTTP/1.1 200 ') || r.body.toString() !== 'ok') assert.fail(`request ${i}: ${r.head}`);
      }
      assert.equal(c.closed, false);
    } finally {
      c.close();
    }
  });

  test('afterwards the proxy holds no more sockets than when it started', { timeout: 15000 }, async (t) => {
    if (baseline < 0) return t.skip('no /proc');
    // idle server connections stay pooled (http-reuse safe) until the server closes them
    await backend!.stop();
    let now = socketCount(pid);
    for (let i = 0; i < 50 && now > baseline; i++) {
      await sleep(100);
      now = socketCount(pid);
    }
    assert.ok(now <= baseline, `${now} sockets open, ${baseline} at start`);
  });
});
