/**
 * HTTP engine features checked on live traffic against what HAProxy 2.6
 * does (observed on the real one; the same tests run on the installed
 * haproxy when there is one): retry-on and redispatch, errorloc and
 * http-errors sections, the request / keep-alive / server / tunnel
 * timeouts, option nolinger, option http-buffer-request with
 * Expect: 100-continue.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { subjects } from '../runtime/lib.js';
import { encodeWsFrame } from '../harness/servers.js';
import { freePorts } from '../harness/procs.js';
import { RawBackend, rawClient, requestLines, startSubject, statuses, type BackendConn, type ClientResult } from './lib.js';

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

type Behaviour = (c: BackendConn, chunk: string) => void;
const ok: Behaviour = (c) => c.sock.write(OK);
const e503: Behaviour = (c) => c.sock.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\n\r\nbad');
const e404: Behaviour = (c) => c.sock.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
const closeAtOnce: Behaviour = (c) => c.sock.end();
const junk: Behaviour = (c) => c.sock.write('junk\r\n\r\n');
const stall: Behaviour = () => undefined;
const ws: Behaviour = (c) => {
  if (c.data.includes('\r\n\r\n') && !c.data.slice(c.data.indexOf('\r\n\r\n') + 4).length && c.index >= 0 && !(c as { up?: boolean }).up) {
    (c as { up?: boolean }).up = true;
    c.sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n');
  }
};

const dir = mkdtempSync(join(tmpdir(), 'tshap-feat-'));
writeFileSync(join(dir, 'e503.http'), 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nsorry');

interface Run {
  global?: string;
  defaults?: string;
  extra?: string;
  fe?: string;
  be?: string;
  servers: Behaviour[];
  /** also a server on a port nothing listens on */
  down?: boolean;
  send: (string | Buffer | number)[];
  maxMs?: number;
  idleMs?: number;
}

async function run(subject: 'tshaproxy' | 'haproxy', o: Run): Promise<{ r: ClientResult; bes: RawBackend[] }> {
  const bes: RawBackend[] = [];
  for (const b of o.servers) bes.push(await new RawBackend(b).listen());
  const downPort = o.down ? (await freePorts(1))[0] : 0;
  const p = await startSubject(subject, (ports) =>
    [
      'global',
      o.global ?? '',
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      o.defaults ?? '  timeout client 3s\n  timeout server 1s\n  timeout http-request 1s',
      o.extra ?? '',
      'frontend fe',
      `  bind 127.0.0.1:${ports[0]}`,
      `  ${o.fe ?? ''}`,
      '  default_backend be',
      'backend be',
      `  ${o.be ?? ''}`,
      ...bes.map((b, i) => `  server s${i + 1} 127.0.0.1:${b.port}`),
      o.down ? `  server down 127.0.0.1:${downPort}` : '',
      '',
    ].join('\n'),
  );
  try {
    const r = await rawClient(p.ports[0], o.send, { maxMs: o.maxMs ?? 2000, idleMs: o.idleMs ?? 400 });
    return { r, bes };
  } finally {
    await p.stop();
    for (const b of bes) await b.close();
  }
}

/** requests received by each connection of a backend */
const perConn = (b: RawBackend) => b.conns.map((c) => requestLines(c.data).length);

for (const subject of subjects()) {
  describe(`${subject}: retry-on`, { concurrency: 4 }, () => {
    test('retry-on 503 with option redispatch sends the request again to the other server, whose 200 the client gets', async () => {
      const { r, bes } = await run(subject, { be: 'retries 2\n  retry-on 503\n  option redispatch', servers: [e503, ok], send: [GET] });
      assert.deepEqual(statuses(r.data), [200]);
      assert.deepEqual(perConn(bes[0]), [1]);
      assert.deepEqual(perConn(bes[1]), [1]);
    });

    test('retry-on 503 without redispatch retries the same server `retries` times on new connections, then forwards the last 503', async () => {
      const { r, bes } = await run(subject, { be: 'retries 2\n  retry-on 503', servers: [e503, ok], send: [GET] });
      assert.deepEqual(statuses(r.data), [503]);
      assert.equal(r.data, 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 3\r\n\r\nbad');
      assert.deepEqual(perConn(bes[0]), [1, 1, 1]);
      assert.equal(bes[1].conns.length, 0);
    });

    test('without retry-on, a 503 from the server is forwarded as is (retry-on defaults to conn-failure)', async () => {
      const { r, bes } = await run(subject, { be: 'retries 2\n  option redispatch', servers: [e503, ok], send: [GET] });
      assert.deepEqual(statuses(r.data), [503]);
      assert.equal(bes[1].conns.length, 0);
    });

    test('retry-on empty-response retries a server that closes without answering', async () => {
      const { r, bes } = await run(subject, { be: 'retries 2\n  retry-on empty-response\n  option redispatch', servers: [closeAtOnce, ok], send: [GET] });
      assert.deepEqual(statuses(r.data), [200]);
      assert.deepEqual(perConn(bes[1]), [1]);
    });

    test('retry-on junk-response retries a server that answers garbage', async () => {
      const { r, bes } = await run(subject, { be: 'retries 2\n  retry-on junk-response\n  option redispatch', servers: [junk, ok], send: [GET] });
      assert.deepEqual(statuses(r.data), [200]);
      assert.deepEqual(perConn(bes[1]), [1]);
    });

    test('retry-on response-timeout retries a server that does not answer within timeout server', async () => {
      const { r, bes } = await run(subject, { be: 'retries 2\n  retry-on response-timeout\n  option redispatch\n  timeout server 300ms', servers: [stall, ok], send: [GET] });
      assert.deepEqual(statuses(r.data), [200]);
      assert.deepEqual(perConn(bes[1]), [1]);
    });

    test('retry-on 404 with one server tries it retries+1 times, then forwards the 404', async () => {
      const { r, bes } = await run(subject, { be: 'retries 3\n  retry-on 404', servers: [e404], send: [GET] });
      assert.deepEqual(statuses(r.data), [404]);
      assert.deepEqual(perConn(bes[0]), [1, 1, 1, 1]);
    });

    test('a retry-on list without conn-failure answers 503 at once when the connection is refused', async () => {
      const { r } = await run(subject, { be: 'retries 2\n  retry-on 503', servers: [], down: true, send: [GET] });
      assert.deepEqual(statuses(r.data), [503]);
      assert.ok(r.firstByteAfter < 500, `503 after ${r.firstByteAfter} ms`);
    });

    test('a POST with its body is replayed whole on a retry', async () => {
      const { r, bes } = await run(subject, {
        be: 'retries 2\n  retry-on 503\n  option redispatch',
        servers: [e503, ok],
        send: ['POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'],
      });
      assert.deepEqual(statuses(r.data), [200]);
      assert.equal(bes[1].conns[0].data, 'POST /p HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc');
    });
  });

  describe(`${subject}: error pages`, { concurrency: 4 }, () => {
    test('errorloc302 answers a 503 with a 302 to the configured location', async () => {
      const { r } = await run(subject, { fe: 'errorloc302 503 http://x.example/err', servers: [], send: [GET] });
      assert.equal(r.data, 'HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: http://x.example/err\r\n\r\n');
      assert.equal(r.how, 'open');
    });

    test('errorloc303 answers with a 303 See Other', async () => {
      const { r } = await run(subject, { fe: 'errorloc303 503 /err', servers: [], send: [GET] });
      assert.equal(r.data, 'HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: /err\r\n\r\n');
    });

    test('errorfiles takes the page of an http-errors section', async () => {
      const { r } = await run(subject, { extra: `http-errors myerr\n  errorfile 503 ${dir}/e503.http`, fe: 'errorfiles myerr', servers: [], send: [GET] });
      assert.equal(r.data, 'HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nsorry');
    });

    test('errorfiles limited to other codes leaves the built-in 503', async () => {
      const { r } = await run(subject, { extra: `http-errors myerr\n  errorfile 503 ${dir}/e503.http`, fe: 'errorfiles myerr 502', servers: [], send: [GET] });
      assert.match(r.data, /^HTTP\/1\.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\n/);
    });
  });

  describe(`${subject}: timeouts`, () => {
    test('timeout http-request answers 408 at its deadline to a client that sends its head slowly', async () => {
      const drip: (string | number)[] = ['GET / HTTP/1.1\r\n'];
      for (let i = 0; i < 10; i++) drip.push(100, 'A: b\r\n');
      const { r, bes } = await run(subject, { fe: 'timeout http-request 500ms', servers: [ok], send: drip });
      assert.deepEqual(statuses(r.data), [408]);
      assert.match(r.data, /^HTTP\/1\.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\n/);
      assert.equal(r.how, 'end');
      assert.ok(r.firstByteAfter >= 450 && r.firstByteAfter < 800, `408 after ${r.firstByteAfter} ms`);
      assert.equal(bes[0].conns.length, 0);
    });

    test('timeout http-keep-alive closes an idle keep-alive connection silently at its deadline', async () => {
      const { r } = await run(subject, { fe: 'timeout http-keep-alive 300ms\n  timeout http-request 800ms', servers: [ok], send: [GET], idleMs: 1500 });
      assert.equal(r.data, OK.replace('Content-Length', 'content-length'));
      assert.equal(r.how, 'end');
      assert.ok(r.closedAfter >= 280 && r.closedAfter < 600, `closed after ${r.closedAfter} ms`);
    });

    test('a second request started on a kept connection gets 408 when timeout http-request passes', async () => {
      const { r } = await run(subject, { fe: 'timeout http-keep-alive 300ms\n  timeout http-request 800ms', servers: [ok], send: [GET, 200, 'GET / HTTP/1.1\r\n'], idleMs: 1500 });
      assert.deepEqual(statuses(r.data), [200, 408]);
      assert.ok(r.closedAfter >= 950 && r.closedAfter < 1300, `closed after ${r.closedAfter} ms`);
    });

    test('without timeout http-request, timeout client bounds the wait for the first request (408)', async () => {
      const { r } = await run(subject, { defaults: '  timeout client 700ms\n  timeout server 1s', servers: [ok], send: [] });
      assert.deepEqual(statuses(r.data), [408]);
      assert.ok(r.firstByteAfter >= 650 && r.firstByteAfter < 1000, `408 after ${r.firstByteAfter} ms`);
    });

    test('a server that does not answer a POST whose body stalls gets 504 at timeout server, and the connection closes', async () => {
      const { r } = await run(subject, {
        defaults: '  timeout client 600ms\n  timeout server 900ms',
        servers: [stall],
        send: ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc'],
        maxMs: 2500,
      });
      assert.deepEqual(statuses(r.data), [504]);
      assert.ok(r.firstByteAfter >= 850 && r.firstByteAfter < 1200, `504 after ${r.firstByteAfter} ms`);
      assert.equal(r.how, 'end');
    });

    test('timeout tunnel closes an idle WebSocket tunnel', async () => {
      const upgrade =
        'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
      const { r } = await run(subject, { defaults: '  timeout client 3s\n  timeout server 3s\n  timeout tunnel 500ms', servers: [ws], send: [upgrade, 100, encodeWsFrame(Buffer.from('hi'))], idleMs: 2500, maxMs: 2500 });
      assert.deepEqual(statuses(r.data), [101]);
      assert.equal(r.how, 'end');
      assert.ok(r.closedAfter >= 550 && r.closedAfter < 900, `closed after ${r.closedAfter} ms`);
    });
  });

  describe(`${subject}: connection options`, { concurrency: 4 }, () => {
    test('option nolinger on the backend resets the server connection it closes', async () => {
      const { r, bes } = await run(subject, { be: 'option nolinger\n  option http-server-close', servers: [ok], send: [GET] });
      assert.deepEqual(statuses(r.data), [200]);
      assert.equal(bes[0].conns[0].reset, true);
    });

    test('option nolinger on the frontend still ends the client connection with a FIN', async () => {
      const { r } = await run(subject, { fe: 'option nolinger', servers: [ok], send: ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'] });
      assert.deepEqual(statuses(r.data), [200]);
      assert.equal(r.how, 'end');
    });

    test('option http-buffer-request answers Expect: 100-continue itself and forwards the request without it', async () => {
      const { r, bes } = await run(subject, {
        fe: 'option http-buffer-request',
        servers: [ok],
        send: ['POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n', 300, 'abc'],
      });
      assert.equal(r.data, 'HTTP/1.1 100 Continue\r\n\r\n' + OK.replace('Content-Length', 'content-length'));
      assert.equal(bes[0].conns[0].data, 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc');
    });

    test('without http-buffer-request, Expect: 100-continue goes to the server, whose 100 reaches the client first', async () => {
      const cont: Behaviour = (c) => {
        if (!c.data.includes('abc')) c.sock.write('HTTP/1.1 100 Continue\r\n\r\n');
        else c.sock.write(OK);
      };
      const { r, bes } = await run(subject, { servers: [cont], send: ['POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n', 200, 'abc'] });
      assert.deepEqual(statuses(r.data), [100, 200]);
      assert.equal(bes[0].conns[0].data, 'POST / HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 3\r\n\r\nabc');
    });
  });
}
