/**
 * A keep-alive server connection whose last response write met client
 * backpressure must still deliver the next response (the server socket was
 * left paused, and the second response stalled forever).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { listen, startProxy, subjects } from './lib.js';
import { withTimeout } from '../harness/procs.js';

const BODY = 256 * 1024;

/** answers every request on a connection with BODY bytes, Content-Length framed, keep-alive */
function bigServer(port: number): Promise<net.Server> {
  const body = Buffer.alloc(BODY, 'b');
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    let pending = '';
    s.on('data', (d) => {
      pending += d.toString('latin1');
      let i: number;
      while ((i = pending.indexOf('\r\n\r\n')) >= 0) {
        pending = pending.slice(i + 4);
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY}\r\n\r\n`);
        s.write(body);
      }
    });
  });
  return listen(srv, port);
}

/** sends one request and reads its response whole; `slow`: reads in small steps with pauses */
function exchange(sock: net.Socket, slow: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    let need = -1;
    let head = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got += d.length;
      if (need < 0) {
        head = Buffer.concat([head, d]);
        const e = head.indexOf('\r\n\r\n');
        if (e >= 0) need = e + 4 + Number(/content-length: *(\d+)/i.exec(head.subarray(0, e).toString('latin1'))![1]);
      }
      if (need >= 0 && got >= need) {
        sock.removeListener('data', onData);
        sock.removeListener('error', reject);
        resolve(got);
        return;
      }
      if (slow) {
        sock.pause();
        setTimeout(() => sock.resume(), 2);
      }
    };
    sock.on('data', onData);
    sock.on('error', reject);
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

for (const who of subjects()) {
  test(`${who}: a keep-alive connection goes on after a response the client read slowly`, async () => {
    const cfg = (p: number[]) => `global
    maxconn 100
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${p[0]}
    default_backend be
backend be
    server s1 127.0.0.1:${p[1]}
`;
    const px = await startProxy(who, cfg, 2, [0]);
    const origin = await bigServer(px.ports[1]);
    const sock = net.connect(px.ports[0], '127.0.0.1');
    sock.setNoDelay(true);
    try {
      await withTimeout(new Promise((r, j) => sock.once('connect', r).once('error', j)), 3000, 'connect');
      for (let i = 0; i < 4; i++) {
        const n = await withTimeout(exchange(sock, i % 2 === 0), 5000, `response ${i + 1}`);
        assert.ok(n > BODY, `response ${i + 1} complete`);
      }
    } finally {
      sock.destroy();
      origin.close();
      await px.stop();
    }
  });
}
