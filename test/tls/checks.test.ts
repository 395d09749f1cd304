/**
 * TLS health checks on tshaproxy and HAProxy 2.6: `option ssl-hello-chk`
 * (an SSLv3 ClientHello, a TLS record expected back) and checks made over
 * TLS (`check-ssl`, `ssl` servers), with HAProxy's Layer6 statuses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { freePorts } from '../harness/procs.js';
import { noDurations, run, stateLines, subjects, type Run } from '../checks/lib.js';
import { sslv3Hello } from '../../src/runtime/checks/ssl-hello.js';
import { closeServer, makePki } from './lib.js';

const pki = makePki();

function listen<T extends net.Server>(srv: T, port: number): Promise<T> {
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/** TLS origin answering HTTP requests with 200 */
function tlsOrigin(port: number): Promise<tls.Server> {
  const pem = readFileSync(pki!.a);
  return listen(
    tls.createServer({ cert: pem, key: pem }, (s) => {
      s.on('error', () => {});
      s.on('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    }),
    port,
  );
}

/** plain servers: 'junk' answers text, 'closer' closes at once, 'hold' never answers */
function plain(port: number, mode: 'junk' | 'closer' | 'hold'): Promise<net.Server> {
  return listen(
    net.createServer((s) => {
      s.on('error', () => {});
      if (mode === 'closer') s.end();
      else if (mode === 'junk') s.on('data', () => s.end('hello there\n'));
    }),
    port,
  );
}

/** closes its first connection once it has read from it, then relays to `to` (a server going from DOWN to UP) */
function flip(port: number, to: number): Promise<net.Server> {
  let n = 0;
  return listen(
    net.createServer((s) => {
      s.on('error', () => {});
      if (n++ === 0) return void s.once('data', () => s.end());
      const u = net.connect(to, '127.0.0.1');
      u.on('error', () => s.destroy());
      s.on('close', () => u.destroy());
      s.pipe(u).pipe(s);
    }),
    port,
  );
}

function config(p: number[]): string {
  const c = 'check inter 300 fall 1 rise 1';
  return `defaults
    mode tcp
    timeout client 3s
    timeout server 3s
    timeout connect 2s
frontend fx
    bind 127.0.0.1:${p[9]}
    default_backend b1
backend b1
    option ssl-hello-chk
    server tls 127.0.0.1:${p[0]} ${c}
    server junk 127.0.0.1:${p[1]} ${c}
    server closer 127.0.0.1:${p[2]} ${c}
    server hold 127.0.0.1:${p[3]} ${c}
    server flip 127.0.0.1:${p[4]} ${c}
backend b2
    server junk 127.0.0.1:${p[1]} check-ssl verify none ${c}
    server hold 127.0.0.1:${p[3]} check-ssl verify none ${c}
    server flip 127.0.0.1:${p[5]} check-ssl verify none ${c}
backend b3
    mode http
    option httpchk GET /
    server flip 127.0.0.1:${p[6]} ssl verify none ${c}
`;
}

const EXPECTED = [
  "[WARNING]  (PID) : Server b1/junk is DOWN, reason: Layer6 invalid response, check duration: Nms.",
  '[WARNING]  (PID) : Server b1/closer is DOWN, reason: Layer6 invalid response, info: "TCPCHK got an empty response at step 2", check duration: Nms.',
  '[WARNING]  (PID) : Server b1/hold is DOWN, reason: Layer6 timeout, check duration: Nms.',
  '[WARNING]  (PID) : Server b1/flip is DOWN, reason: Layer6 invalid response, info: "TCPCHK got an empty response at step 2", check duration: Nms.',
  '[WARNING]  (PID) : Server b1/flip is UP, reason: Layer6 check passed, check duration: Nms.',
  '[WARNING]  (PID) : Server b2/junk is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure", check duration: Nms.',
  '[WARNING]  (PID) : Server b2/hold is DOWN, reason: Layer6 timeout, check duration: Nms.',
  '[WARNING]  (PID) : Server b2/flip is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure", check duration: Nms.',
  '[WARNING]  (PID) : Server b2/flip is UP, reason: Layer6 check passed, check duration: Nms.',
  '[WARNING]  (PID) : Server b3/flip is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure", check duration: Nms.',
  '[WARNING]  (PID) : Server b3/flip is UP, reason: Layer7 check passed, code: 200, check duration: Nms.',
];

describe('option ssl-hello-chk', () => {
  it('sends an SSLv3 ClientHello of 0x7E bytes with the time, the fixed random and 39 suites', () => {
    const h = sslv3Hello(0x12345678 * 1000);
    assert.equal(h.length, 5 + 0x79);
    assert.equal(h.subarray(0, 11).toString('hex'), '16030000790100007503' + '00');
    assert.equal(h.readUInt32BE(11), 0x12345678);
    assert.equal(h.subarray(15, 43).toString('latin1'), 'HAPROXYSSLCHK\nHAPROXYSSLCHK\n');
    assert.equal(h[43], 0);
    assert.equal(h.readUInt16BE(44), 78);
    assert.equal(h.readUInt16BE(46), 0x0001);
    assert.equal(h.readUInt16BE(46 + 26 * 2), 0x001b);
    assert.equal(h.readUInt16BE(46 + 27 * 2), 0x002f);
    assert.equal(h.readUInt16BE(46 + 38 * 2), 0x003a);
    assert.equal(h.subarray(124).toString('hex'), '0100');
  });
});

describe('TLS health checks', { skip: !pki && 'openssl is not installed' }, () => {
  for (const who of subjects()) {
    describe(who, () => {
      let r: Run;
      const servers: net.Server[] = [];
      before(async () => {
        const p = await freePorts(10);
        servers.push(await tlsOrigin(p[0]), await plain(p[1], 'junk'), await plain(p[2], 'closer'), await plain(p[3], 'hold'));
        servers.push(await flip(p[4], p[0]), await flip(p[5], p[0]), await flip(p[6], p[0]));
        r = await run(who, config(p), [p[9]]);
      });
      after(async () => {
        await r?.stop();
        for (const s of servers) await closeServer(s);
      });

      it('reports Layer6 statuses for hellos answered wrongly, handshakes that fail, and servers coming up', async () => {
        await r.waitLine(/Server b3\/flip is UP/, 5000);
        await r.waitLine(/Server b2\/flip is UP/, 5000);
        await r.waitLine(/Server b1\/flip is UP/, 5000);
        await r.waitLine(/Server b2\/hold is DOWN/, 5000);
        const got = stateLines(r).map((l) => noDurations(l).replace(/(check duration: Nms)\..*$/, '$1.'));
        for (const e of EXPECTED) assert.ok(got.includes(e), `missing: ${e}\ngot:\n${got.join('\n')}`);
        assert.ok(!got.some((l) => l.includes('b1/tls')), got.join('\n'));
      });
    });
  }
});
