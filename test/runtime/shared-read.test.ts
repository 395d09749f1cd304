/**
 * Every socket of the HTTP and tcp hot paths reads into one shared buffer
 * (src/runtime/io/direct.ts). A byte kept past its read without a copy would
 * be overwritten by the next read of any other connection, so these tests
 * run many connections at once, with bodies of every size, chunked and not,
 * pipelined requests and clients that read slowly (which makes writes queue),
 * and check every byte that comes back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { listen, startProxy } from './lib.js';
import { withTimeout } from '../harness/procs.js';

const sha = (b: Buffer) => createHash('sha1').update(b).digest('hex');

/** deterministic bytes: a xorshift stream from `seed` */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * The body of the message whose head ends at `e` (the index of its CRLFCRLF
 * in `buf`): Content-Length or chunked (no extensions, no trailers: what
 * these tests send); null while incomplete. `used`: bytes of the whole message.
 */
function takeBody(buf: Buffer, e: number): { body: Buffer; used: number } | null {
  const head = buf.subarray(0, e).toString('latin1');
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    const parts: Buffer[] = [];
    let p = e + 4;
    for (;;) {
      const le = buf.indexOf('\r\n', p);
      if (le < 0) return null;
      const size = parseInt(buf.subarray(p, le).toString('latin1'), 16);
      if (buf.length < le + 2 + size + 2) return null;
      if (size === 0) return { body: Buffer.concat(parts), used: le + 4 };
      parts.push(buf.subarray(le + 2, le + 2 + size));
      p = le + 2 + size + 2;
    }
  }
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  const n = cl ? Number(cl[1]) : 0;
  if (buf.length < e + 4 + n) return null;
  return { body: Buffer.from(buf.subarray(e + 4, e + 4 + n)), used: e + 4 + n };
}

/**
 * An origin that answers each request with its body echoed, framed as the
 * request asks in `x-frame` (length or chunked), written in pieces.
 */
function echoServer(port: number): Promise<net.Server> {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const e = buf.indexOf('\r\n\r\n');
        if (e < 0) return;
        const head = buf.subarray(0, e).toString('latin1');
        const m = takeBody(buf, e);
        if (!m) return;
        const { body, used } = m;
        buf = buf.subarray(used);
        const frame = /\r\nx-frame: *(\w+)/i.exec(head)?.[1] ?? 'length';
        if (frame === 'chunked') {
          s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
          for (let i = 0; i < body.length; i += 7000) {
            const c = body.subarray(i, i + 7000);
            s.write(`${c.length.toString(16)}\r\n`);
            s.write(c);
            s.write('\r\n');
          }
          s.write('0\r\n\r\n');
        } else {
          s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
          for (let i = 0; i < body.length; i += 50000) s.write(body.subarray(i, i + 50000));
        }
      }
    });
  });
  return listen(srv, port);
}

/** reads HTTP responses from a socket: Content-Length or chunked bodies, in order */
class ResponseReader {
  private buf = Buffer.alloc(0);
  private waiters: ((b: Buffer) => void)[] = [];
  constructor(
    private readonly sock: net.Socket,
    slow: boolean,
  ) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
      if (slow) {
        sock.pause();
        setTimeout(() => sock.resume(), 1);
      }
    });
  }
  next(): Promise<Buffer> {
    return new Promise((r) => {
      this.waiters.push(r);
      this.drain();
    });
  }
  private drain(): void {
    while (this.waiters.length) {
      const e = this.buf.indexOf('\r\n\r\n');
      if (e < 0) return;
      const m = takeBody(this.buf, e);
      if (!m) return;
      const { body, used } = m;
      this.buf = this.buf.subarray(used);
      this.waiters.shift()!(body);
    }
  }
}

/** writes `b` in pieces of random sizes, yielding between some of them */
async function writePieces(sock: net.Socket, b: Buffer, seed: number): Promise<void> {
  let x = seed;
  for (let i = 0; i < b.length; ) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (x % 40000);
    sock.write(b.subarray(i, i + n));
    i += n;
    if (x % 3 === 0) await new Promise((r) => setImmediate(r));
  }
}

function request(body: Buffer, chunked: boolean, frame: string): Buffer {
  if (!chunked) return Buffer.concat([Buffer.from(`POST /echo HTTP/1.1\r\nHost: t\r\nX-Frame: ${frame}\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  const parts: Buffer[] = [Buffer.from(`POST /echo HTTP/1.1\r\nHost: t\r\nX-Frame: ${frame}\r\nTransfer-Encoding: chunked\r\n\r\n`)];
  for (let i = 0; i < body.length; i += 9000) {
    const c = body.subarray(i, i + 9000);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const SIZES = [0, 1, 13, 700, 4095, 4097, 16384, 65536, 65537, 150000, 300000];

test('tshaproxy: 24 connections at once, with bodies of 0 B to 300 KB both ways, pipelining and slow readers, get every byte back', { timeout: 60000 }, async () => {
  const cfg = (p: number[]) => `global
    maxconn 200
defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 20s
frontend fe
    bind 127.0.0.1:${p[0]}
    default_backend be
backend be
    server s1 127.0.0.1:${p[1]}
`;
  const px = await startProxy('tshaproxy', cfg, 2, [0]);
  const origin = await echoServer(px.ports[1]);
  let checked = 0;
  try {
    const conn = async (c: number) => {
      const sock = net.connect(px.ports[0], '127.0.0.1');
      sock.on('error', () => {});
      await withTimeout(new Promise((r, j) => sock.once('connect', r).once('error', j)), 3000, 'connect');
      const rd = new ResponseReader(sock, c % 3 === 0);
      try {
        for (let i = 0; i < 8; i++) {
          const seed = c * 1000 + i + 1;
          const size = SIZES[(c + i * 5) % SIZES.length];
          const body = bytes(size, seed);
          const chunked = (c + i) % 2 === 1;
          const frame = (c + i) % 3 === 0 ? 'chunked' : 'length';
          if (c % 4 === 1 && i % 2 === 0) {
            // two requests in one write: the second waits in the proxy while the first is answered
            const body2 = bytes(SIZES[(c + i) % SIZES.length], seed + 500);
            await writePieces(sock, Buffer.concat([request(body, chunked, frame), request(body2, !chunked, 'length')]), seed);
            const r1 = await withTimeout(rd.next(), 15000, `conn ${c} req ${i}`);
            const r2 = await withTimeout(rd.next(), 15000, `conn ${c} req ${i}b`);
            assert.equal(sha(r1), sha(body), `conn ${c} request ${i}: ${size} bytes`);
            assert.equal(sha(r2), sha(body2), `conn ${c} request ${i} (pipelined)`);
            checked += 2;
          } else {
            await writePieces(sock, request(body, chunked, frame), seed);
            const r = await withTimeout(rd.next(), 15000, `conn ${c} req ${i}`);
            assert.equal(sha(r), sha(body), `conn ${c} request ${i}: ${size} bytes, ${chunked ? 'chunked' : 'length'} -> ${frame}`);
            checked++;
          }
        }
      } finally {
        sock.destroy();
      }
    };
    await Promise.all(Array.from({ length: 24 }, (_, c) => conn(c)));
    assert.ok(checked >= 24 * 8);
  } finally {
    origin.close();
    await px.stop();
  }
});

test('tshaproxy: 16 tcp-mode connections at once, echoing 1 to 6 MB each in random pieces, half of them not reading at first, get every byte back', { timeout: 60000 }, async () => {
  const cfg = (p: number[]) => `global
    maxconn 200
defaults
    mode tcp
    timeout connect 2s
    timeout client 20s
    timeout server 20s
listen li
    bind 127.0.0.1:${p[0]}
    server s1 127.0.0.1:${p[1]}
`;
  const px = await startProxy('tshaproxy', cfg, 2, [0]);
  const origin = await listen(
    net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    }),
    px.ports[1],
  );
  try {
    const conn = async (c: number) => {
      // the even ones do not read for 300 ms: the proxy's writes toward them queue meanwhile
      const src = bytes(c % 2 === 0 ? 6 << 20 : 1 << 20, c + 77);
      const sock = net.connect(px.ports[0], '127.0.0.1');
      sock.on('error', () => {});
      await withTimeout(new Promise((r, j) => sock.once('connect', r).once('error', j)), 3000, 'connect');
      const got: Buffer[] = [];
      let n = 0;
      const done = new Promise<void>((r) => sock.on('end', () => r()));
      sock.on('data', (d: Buffer) => {
        got.push(d);
        n += d.length;
      });
      if (c % 2 === 0) {
        sock.pause();
        setTimeout(() => sock.resume(), 300);
      }
      await writePieces(sock, src, c + 5);
      sock.end();
      await withTimeout(done, 20000, `tcp conn ${c}: ${n} bytes back`);
      assert.equal(sha(Buffer.concat(got)), sha(src), `tcp conn ${c}`);
      sock.destroy();
    };
    await Promise.all(Array.from({ length: 16 }, (_, c) => conn(c)));
  } finally {
    origin.close();
    await px.stop();
  }
});
