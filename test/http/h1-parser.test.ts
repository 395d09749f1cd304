import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BackConn,
  BodyBatch,
  BodyDecoder,
  FrontConn,
  H1Parser,
  HttpMessage,
  NEED_MORE,
  PARSE_ERROR,
  BODY_CHUNKED,
  BODY_CLEN,
  BODY_CLOSE,
  MF_BODYLESS,
  MF_CHNK,
  MF_CLEN,
  MF_CONN_CLO,
  MF_INTERIM,
  MF_TUNNEL,
  MF_VER_11,
  METH_CONNECT,
  METH_HEAD,
  chunkHead,
  lastChunk,
} from '../../src/runtime/http/h1/index.js';

const B = (s: string) => Buffer.from(s, 'latin1');

function parseReq(s: string, opts = {}) {
  const p = new H1Parser(opts);
  const r = p.parse(B(s));
  return { p, r, m: r > 0 ? p.message : null };
}

const REQ =
  'GET /search?q=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nX-Fold: a\r\n  b\r\n\r\n';

test('a request head parses into start line parts and lowercase headers with trimmed, unfolded values', () => {
  const { r, m } = parseReq(REQ + 'BODY');
  assert.equal(r, REQ.length);
  assert.ok(m);
  assert.equal(m.method, 'GET');
  assert.equal(m.uri, '/search?q=1');
  assert.equal(m.version, 'HTTP/1.1');
  assert.equal(m.path, '/search');
  assert.equal(m.query, 'q=1');
  assert.deepEqual(m.headers.names, ['host', 'user-agent', 'accept', 'x-fold']);
  assert.deepEqual(m.headers.values, ['www.example.com', 'Mozilla/5.0', '*/*', 'a    b']);
  assert.ok(m.flags & MF_VER_11);
  assert.ok(m.flags & MF_BODYLESS);
});

test('a head fed one byte at a time gives the same message as the head in one buffer', () => {
  const whole = parseReq(REQ).m!;
  const buf = B(REQ + 'XYZ');
  const p = new H1Parser();
  let consumed = -1;
  let i = 0;
  for (; i < buf.length; i++) {
    const r = p.parse(buf, i, i + 1);
    if (r !== NEED_MORE) {
      consumed = r;
      break;
    }
  }
  assert.equal(consumed, 1);
  assert.equal(i, REQ.length - 1);
  assert.deepEqual(p.message.headers.values, whole.headers.values);
  assert.equal(p.message.uri, whole.uri);
});

test('pipelined requests are parsed one at a time and each parse reports the bytes it consumed', () => {
  const buf = B('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\n\r\n');
  const p = new H1Parser();
  let pos = 0;
  const uris: string[] = [];
  while (pos < buf.length) {
    const r = p.parse(buf, pos, buf.length);
    assert.ok(r > 0);
    pos += r;
    uris.push(p.message.uri);
    const d = new BodyDecoder().start(p.message);
    const batch = new BodyBatch();
    pos += d.decode(buf, pos, buf.length, batch);
    assert.ok(d.done);
  }
  assert.deepEqual(uris, ['/1', '/2', '/3']);
});

test('leading empty lines before a request are skipped', () => {
  const raw = '\r\n\n\r\nGET / HTTP/1.0\r\n\r\n';
  const { r, m } = parseReq(raw);
  assert.equal(r, raw.length);
  assert.equal(m!.version, 'HTTP/1.0');
});

test('errors carry the status HAProxy answers: 400 for syntax, 413 for an HTTP/1.0 GET with a body, 422 for an unknown transfer coding', () => {
  assert.equal(parseReq('GET / HTTP/1.1\r\nHost : x\r\n\r\n').p.errorStatus, 400);
  assert.equal(parseReq('GET / HTTP/1.0\r\nContent-Length: 1\r\n\r\nx').p.errorStatus, 413);
  assert.equal(parseReq('POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n').p.errorStatus, 422);
  assert.equal(parseReq('POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n').p.errorStatus, 400);
  const resp = new H1Parser({ response: true });
  assert.equal(resp.parse(B('HTTP/1.1 2x0 OK\r\n\r\n')), PARSE_ERROR);
  assert.equal(resp.errorStatus, 502);
});

test('invalid bytes are rejected as soon as they arrive, before the head is complete', () => {
  const p = new H1Parser();
  assert.equal(p.parse(B('\x16\x03\x01')), PARSE_ERROR);
  assert.equal(p.errorStatus, 400);
});

test('option accept-invalid-http-request lets odd header names and URI bytes through, lowercased', () => {
  const { m } = parseReq('GET /caf\xe9#x HTTP/1.1\r\nX Y: 1\r\nX\xc9: 2\r\n\r\n', { acceptInvalid: true });
  assert.equal(m!.uri, '/caf\xe9#x');
  assert.deepEqual(m!.headers.names, ['x y', 'x\xc9']);
});

test('Transfer-Encoding with Content-Length drops the Content-Length and asks to close the connection', () => {
  const { m } = parseReq('POST / HTTP/1.1\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.deepEqual(m!.headers.names, ['transfer-encoding']);
  assert.ok(m!.flags & MF_CHNK);
  assert.ok(m!.flags & MF_CONN_CLO);
  assert.ok(!(m!.flags & MF_CLEN));
});

test('identical duplicate Content-Length headers collapse into one, different ones are an error', () => {
  const { m } = parseReq('POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3, 3\r\n\r\nabc');
  assert.deepEqual(m!.headers.names, ['content-length']);
  assert.equal(m!.contentLength, 3);
  assert.equal(parseReq('POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n').r, PARSE_ERROR);
});

test('a Content-Length up to 2^64-1 is accepted and one above is rejected', () => {
  assert.ok(parseReq('POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n').r > 0);
  assert.equal(parseReq('POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n').r, PARSE_ERROR);
});

test('the Connection header loses its close and keep-alive tokens but keeps the others', () => {
  const { m } = parseReq('GET / HTTP/1.1\r\nConnection: keep-alive, X-A\r\nConnection: close\r\n\r\n');
  assert.deepEqual(m!.headers.names, ['connection']);
  assert.deepEqual(m!.headers.values, ['X-A']);
  assert.ok(m!.flags & MF_CONN_CLO);
});

test('tune.http.maxhdr 10 allows 9 header fields and rejects 10', () => {
  const hdrs = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('');
  assert.ok(parseReq(`GET / HTTP/1.1\r\n${hdrs(9)}\r\n`, { maxHeaders: 10 }).r > 0);
  assert.equal(parseReq(`GET / HTTP/1.1\r\n${hdrs(10)}\r\n`, { maxHeaders: 10 }).r, PARSE_ERROR);
});

test('a head larger than tune.bufsize minus tune.maxrewrite is rejected, an incomplete one once the buffer is full', () => {
  const pad = (n: number) => `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(n - 36)}\r\n\r\n`;
  assert.ok(parseReq(pad(15273)).r > 0);
  assert.equal(parseReq(pad(15274)).r, PARSE_ERROR);
  const p = new H1Parser();
  assert.equal(p.parse(B(pad(16000).slice(0, 16000 - 2))), NEED_MORE);
  assert.equal(p.parse(B('x'.repeat(400))), PARSE_ERROR);
  assert.equal(p.errorStatus, 400);
});

test('responses: HEAD, 1xx, 204 and 304 have no body; CONNECT 2xx and 101 become tunnels; no length means close-delimited', () => {
  const resp = (s: string, meth = 1, upg = false) => {
    const p = new H1Parser({ response: true });
    p.requestMethod = meth;
    p.requestUpgrade = upg;
    assert.ok(p.parse(B(s)) > 0, s);
    return p.message;
  };
  assert.ok(resp('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', METH_HEAD).flags & MF_BODYLESS);
  assert.ok(resp('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n').flags & MF_BODYLESS);
  assert.ok(resp('HTTP/1.1 103 Early Hints\r\n\r\n').flags & MF_INTERIM);
  assert.ok(resp('HTTP/1.1 200 OK\r\n\r\n', METH_CONNECT).flags & MF_TUNNEL);
  assert.ok(resp('HTTP/1.1 101 Switching\r\nUpgrade: x\r\n\r\n', 1, true).flags & MF_TUNNEL);
  assert.equal(new BodyDecoder().start(resp('HTTP/1.1 200 OK\r\n\r\n')).mode, BODY_CLOSE);
});

test('body bytes are handed out as views of the input buffer, never copies', () => {
  const buf = B('5\r\nhello\r\n6;ext\r\n world\r\n0\r\n\r\n');
  const m = new HttpMessage();
  m.flags = MF_CHNK;
  const d = new BodyDecoder().start(m);
  const seen: Buffer[] = [];
  const n = d.decode(buf, 0, buf.length, {
    onData(b, s, e) {
      assert.equal(b, buf);
      seen.push(b.subarray(s, e));
    },
  });
  assert.equal(n, buf.length);
  assert.ok(d.done);
  assert.deepEqual(seen.map(String), ['hello', ' world']);
});

test('a chunked body split at every byte decodes to the same payload and trailers', () => {
  const raw = '1a;x="a;b"\r\nabcdefghijklmnopqrstuvwxyz\r\n3 \r\n123\r\n0\r\nX-T: 1\r\nX-U:  2 \r\n\r\n';
  const m = new HttpMessage();
  m.flags = MF_CHNK;
  const d = new BodyDecoder().start(m);
  const buf = B(raw + 'NEXT');
  let out = '';
  let pos = 0;
  while (!d.done) {
    const n = d.decode(buf, pos, pos + 1, { onData: (b, s, e) => (out += b.toString('latin1', s, e)) });
    assert.ok(n >= 0);
    pos += n;
  }
  assert.equal(pos, raw.length);
  assert.equal(out, 'abcdefghijklmnopqrstuvwxyz123');
  assert.deepEqual(d.trailers!.values, ['1', '2']);
});

test('chunk sizes beyond 64 bits, missing CRLF after data and bad size bytes are framing errors', () => {
  for (const raw of ['FFFFFFFFFFFFFFFFF\r\n', '3\r\nabcX', '-3\r\n', '\r\n', '3\rx']) {
    const m = new HttpMessage();
    m.flags = MF_CHNK;
    const d = new BodyDecoder().start(m);
    assert.equal(d.decode(B(raw), 0, raw.length, { onData() {} }), -1, raw);
    assert.equal(d.errorStatus, 400);
  }
});

test('a Content-Length body stops at its length and leaves the next request untouched', () => {
  const { p } = parseReq('POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n');
  const d = new BodyDecoder().start(p.message);
  assert.equal(d.mode, BODY_CLEN);
  const buf = B('abcdGET /');
  assert.equal(d.decode(buf, 0, buf.length, { onData() {} }), 4);
  assert.ok(d.done);
});

test('HAProxy re-chunks a batch of payload as one chunk with an uppercase hex size', () => {
  assert.equal(chunkHead(11), 'B\r\n');
  assert.equal(chunkHead(0x1f2e), '1F2E\r\n');
  const batch = new BodyBatch();
  const b = B('hello world');
  batch.onData(b, 0, 5);
  batch.onData(b, 5, 11);
  const out = batch.take(BODY_CHUNKED, true, null).map(String).join('');
  assert.equal(out, 'B\r\nhello world\r\n0\r\n\r\n');
  assert.equal(lastChunk(null), '0\r\n\r\n');
});

test('a request is written with lowercase names, single spaces and HTTP/1.1 for any version above 1.0', () => {
  const { m } = parseReq('GET\t/x   HTTP/1.2\r\nHost: A\r\nX-Y:z\r\n\r\n');
  const back = new BackConn();
  assert.equal(back.requestHead(m!), 'GET /x HTTP/1.1\r\nhost: A\r\nx-y: z\r\n\r\n');
});

test('an HTTP/1.0 request gets "connection: keep-alive" towards the server and the 1.1 response gets "connection: close"', () => {
  const { m } = parseReq('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
  const front = new FrontConn();
  front.requestIn(m!);
  const back = new BackConn();
  assert.equal(back.requestHead(m!), 'GET / HTTP/1.0\r\nhost: x\r\nconnection: keep-alive\r\n\r\n');
  const rp = new H1Parser({ response: true });
  rp.parse(B('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  back.responseIn(rp.message);
  assert.equal(front.responseHead(rp.message), 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n');
  assert.ok(front.close);
  assert.ok(!back.close);
});

test('rules edit the message and the serializer follows: set-header, del-header, set-path, set-query, set-method', () => {
  const { m } = parseReq('GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\n\r\n');
  m!.headers.set('X-A', '3');
  m!.headers.add('X-B', '4');
  m!.headers.del('host');
  m!.setPath('/c');
  m!.setQuery('y=2');
  m!.setMethod('POST');
  assert.equal(new BackConn().requestHead(m!), 'POST /c?y=2 HTTP/1.1\r\nx-a: 3\r\nx-b: 4\r\n\r\n');
});

test('deleting Content-Length of a request with a body makes HAProxy chunk it', () => {
  const { m } = parseReq('POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n');
  m!.headers.del('content-length');
  const back = new BackConn();
  assert.equal(back.requestHead(m!), 'POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n');
  assert.equal(back.out.mode, BODY_CHUNKED);
});

test('set-uri with an absolute URI rewrites Host to its authority', () => {
  const { m } = parseReq('GET / HTTP/1.1\r\nHost: old\r\n\r\n');
  m!.setUri('http://new.example:8080/p');
  assert.equal(m!.headers.get('host'), 'new.example:8080');
});

test('h1-case-adjust recases names on output only when asked', () => {
  const { m } = parseReq('GET / HTTP/1.1\r\nhost: x\r\nx-custom: 1\r\n\r\n');
  const map = new Map([
    ['host', 'Host'],
    ['x-custom', 'X-CuStOm'],
  ]);
  assert.equal(new BackConn().requestHead(m!, { caseMap: map }), 'GET / HTTP/1.1\r\nHost: x\r\nX-CuStOm: 1\r\n\r\n');
  assert.equal(new BackConn().requestHead(m!), 'GET / HTTP/1.1\r\nhost: x\r\nx-custom: 1\r\n\r\n');
});

test('http-send-name-header replaces a header of that name with the server name, appended last', () => {
  const { m } = parseReq('GET / HTTP/1.1\r\nX-Server: fake\r\nHost: x\r\n\r\n');
  const out = new BackConn().requestHead(m!, { serverNameHeader: 'X-Server', serverName: 's1' });
  assert.equal(out, 'GET / HTTP/1.1\r\nhost: x\r\nX-Server: s1\r\n\r\n');
});
