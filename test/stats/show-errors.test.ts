/**
 * `show errors`: the last invalid request of each frontend and the last
 * invalid response of each backend, dumped as HAProxy 2.6 does. The same
 * traffic goes through tshaproxy and, when installed, HAProxy; the outputs
 * must be equal once dates and client ports are masked.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { cli, closeServer, freePorts, startProxy, subjects, type Proxy, type Who } from './lib.js';

/** an origin that answers any request with a response whose header block is invalid */
function badOrigin(port: number): Promise<net.Server> {
  const body = 'HTTP/1.1 200 OK\r\nX-Long: ' + 'abcdefghij'.repeat(9) + '\\back\tslash\x80\x01\r\nX-Bad(: 1\r\nContent-Length: 2\r\n\r\nok';
  const srv = net.createServer((c) => {
    c.on('error', () => {});
    c.once('data', () => c.end(Buffer.from(body, 'latin1')));
  });
  return new Promise((r) => srv.listen(port, '127.0.0.1', () => r(srv)));
}

const cfg = (sock: string, p: number[]) => `global
    stats socket ${sock} level admin

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:${p[0]}
    default_backend be

backend be
    server s1 127.0.0.1:${p[1]}

listen li
    bind 127.0.0.1:${p[2]}
    option accept-invalid-http-request
    server s1 127.0.0.1:${p[1]}
`;

const mask = (s: string) => s.replace(/\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}/g, 'DATE').replace(/src 127\.0\.0\.1:\d+/g, 'src 127.0.0.1:PORT');

describe('show errors', () => {
  const outs = new Map<Who, Map<string, string>>();
  let origin: net.Server;
  const ports: number[] = [];

  before(async () => {
    ports.push(...(await freePorts(4)));
    origin = await badOrigin(ports[1]);
    for (const who of subjects()) {
      const p: Proxy = await startProxy(who, cfg, ports.length ? [ports[0], ports[1], ports[2]] : [], [ports[0], ports[2]]);
      try {
        const got = new Map<string, string>();
        got.set('empty', await cli(p.sock, 'show errors\n'));
        assert.match(await cli(ports[0], 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n'), /^HTTP\/1\.1 400 /);
        assert.match(await cli(ports[0], 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400 /);
        assert.match(await cli(ports[0], 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 502 /);
        // accepted with the invalid header, and captured all the same; then the server's response is invalid
        assert.match(await cli(ports[2], 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n'), /^HTTP\/1\.1 502 /);
        for (const q of ['show errors', 'show errors fe', 'show errors be response', 'show errors fe request', 'show errors li', 'show errors -1 response', 'show errors nope'])
          got.set(q, await cli(p.sock, q + '\n'));
        outs.set(who, got);
      } finally {
        await p.stop();
      }
    }
  });
  after(async () => {
    if (origin) await closeServer(origin);
  });

  it('with nothing captured yet, only the count of events is printed', () => {
    assert.match(outs.get('tshaproxy')!.get('empty')!, /^Total events captured on \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] : 0\n\n$/);
  });

  it('an invalid request is kept by its frontend with its bytes and the error position', () => {
    const out = mask(outs.get('tshaproxy')!.get('show errors fe request')!);
    assert.equal(
      out,
      'Total events captured on [DATE] : 5\n' +
        ' \n' +
        '[DATE] frontend fe (#2): invalid request\n' +
        '  backend <NONE> (#-1), server <NONE> (#-1), event #1, src 127.0.0.1:PORT\n' +
        '  buffer starts at 0 (including 0 out), 16354 free,\n' +
        '  len 30, wraps at 16336, error at position 7\n' +
        '  H1 connection flags 0x00000100, H1 stream flags 0x00000810\n' +
        '  H1 msg state MSG_RQVER(6), H1 msg flags 0x00001400\n' +
        '  H1 chunk len 0 bytes, H1 body len 0 bytes :\n' +
        '  \n' +
        '  00000  GET /a b HTTP/1.1\\r\\n\n' +
        '  00019  Host: x\\r\\n\n' +
        '  00028  \\r\\n\n' +
        '\n',
    );
  });

  it('an invalid response is kept by its backend; long lines wrap at 70 characters with a + mark, other bytes are escaped', () => {
    const out = mask(outs.get('tshaproxy')!.get('show errors be response')!);
    assert.ok(out.includes('[DATE] backend be (#3): invalid response\n  frontend fe (#2), server s1 (#1), event #2, src 127.0.0.1:PORT\n'), out);
    assert.ok(out.includes('  len 164, wraps at 16336, error at position 135\n'), out);
    assert.ok(out.includes('  H1 msg state MSG_HDR_NAME(17), H1 msg flags 0x00001414\n'), out);
    assert.ok(
      out.includes(
        '  00017  X-Long: abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijab\n' +
          '  00087+ cdefghijabcdefghijabcdefghij\\\\back\\tslash\\x80\\x01\\r\\n\n' +
          '  00130  X-Bad(: 1\\r\\n\n',
      ),
      out,
    );
    assert.ok(out.endsWith('  00162  ok\n\n'), out);
  });

  it('a request error names no backend, even in a listen section; one tolerated by accept-invalid-http-request is captured once parsed', () => {
    const out = mask(outs.get('tshaproxy')!.get('show errors li')!);
    assert.ok(out.includes('[DATE] frontend li (#4): invalid request\n  backend <NONE> (#-1), server <NONE> (#-1), event #3,'), out);
    assert.ok(out.includes('  H1 connection flags 0x00000100, H1 stream flags 0x00000010\n  H1 msg state MSG_DONE(30), H1 msg flags 0x00001510\n'), out);
    assert.ok(out.includes('[DATE] backend li (#4): invalid response\n  frontend li (#4), server s1 (#1), event #4,'), out);
  });

  it('an unknown proxy name is refused', () => {
    assert.equal(outs.get('tshaproxy')!.get('show errors nope'), 'No such proxy.\n\n');
  });

  it('every query gives what HAProxy 2.6 gives, dates and client ports aside', (t) => {
    const h = outs.get('haproxy');
    if (!h) return t.skip('haproxy is not installed');
    for (const [q, v] of outs.get('tshaproxy')!) assert.equal(mask(v), mask(h.get(q)!), q);
  });
});
