import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ERROR_STATUSES,
  builtinError,
  builtinReply,
  parseErrorfile,
  rawError,
  renderReply,
} from '../../src/runtime/http/errors.js';
import { FrontConn, H1Parser } from '../../src/runtime/http/h1/index.js';
import { fixturesDir } from './groups.js';

const CAPTURES = '/work/shared/reference/captures/errors';
const haveCaptures = existsSync(CAPTURES);
const cap = (f: string) => readFileSync(join(CAPTURES, f));
const B = (s: string) => Buffer.from(s, 'latin1');

test('parse errors and request timeouts are answered with the raw 400 and 408 texts (mixed-case names)', { skip: !haveCaptures }, () => {
  assert.deepEqual(rawError(400), cap('err_400_garbage.bin'));
  assert.deepEqual(rawError(400), cap('err_400_badheader.bin'));
  assert.deepEqual(rawError(408), cap('err_408_partial.bin'));
  assert.deepEqual(rawError(408), cap('err_408_emptyconn.bin'));
});

test('stream-level replies to a keep-alive HTTP/1.1 client have lowercase names and no connection header', { skip: !haveCaptures }, () => {
  assert.deepEqual(builtinError(403), cap('err_403.bin'));
  assert.deepEqual(builtinError(502), cap('err_502.bin'));
  assert.deepEqual(builtinError(503), cap('err_503_noserver.bin'));
  assert.deepEqual(builtinError(504), cap('err_504.bin'));
  assert.deepEqual(builtinError(500), cap('err_500_deny_status.bin'));
});

test('every deny_status reply to a client asking to close ends its head with "connection: close"', { skip: !haveCaptures }, () => {
  for (const st of [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504]) {
    assert.deepEqual(builtinError(st, { close: true }), cap(`deny_status/deny_${st}.bin`), `deny_status ${st}`);
  }
  assert.deepEqual(builtinError(503, { close: true }), cap('err_503_http10.bin'));
});

test('the built-in set is the one HAProxy 2.6 accepts for deny_status; unknown codes fall back to 500', () => {
  assert.deepEqual([...ERROR_STATUSES], [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504]);
  assert.deepEqual(rawError(418), rawError(500));
  assert.match(rawError(413).toString('latin1'), /^HTTP\/1\.1 413 Payload Too Large\r\nContent-length: 106\r\nCache-Control: no-cache\r\nContent-Type: text/);
});

test('a reply goes through the client connection logic: HTTP/1.0 keep-alive clients get "connection: keep-alive"', () => {
  const p = new H1Parser();
  p.parse(B('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'));
  const front = new FrontConn();
  front.requestIn(p.message);
  const out = renderReply(front, builtinReply(403), true).toString('latin1');
  assert.match(out, /^HTTP\/1\.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text\/html\r\nconnection: keep-alive\r\n\r\n/);
  assert.equal(out, builtinError(403, { keepAlive: true }).toString('latin1'));
  assert.ok(!front.close);
});

test('a reply sent before the request body was fully received closes the connection', () => {
  const p = new H1Parser();
  p.parse(B('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n'));
  const front = new FrontConn();
  front.requestIn(p.message);
  const out = renderReply(front, builtinReply(403), false).toString('latin1');
  assert.equal(out, builtinError(403, { close: true }).toString('latin1'));
  assert.ok(front.close);
});

test("Debian's errorfiles are re-serialized as HAProxy sends them: lowercase names, Connection dropped, body verbatim", { skip: !haveCaptures }, () => {
  const load = (n: number) => {
    const r = parseErrorfile(readFileSync(join(fixturesDir, 'errorfiles', `${n}.http`)));
    assert.ok(!('error' in r));
    return r;
  };
  const close = new FrontConn();
  const p = new H1Parser();
  p.parse(B('GET /deny HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  close.requestIn(p.message);
  assert.deepEqual(renderReply(close, load(403), true), cap('debian_errorfiles/debian_errorfile_403_close.bin'));
  const ka = new FrontConn();
  p.parse(B('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  ka.requestIn(p.message);
  assert.deepEqual(renderReply(ka, load(503), true), cap('debian_errorfiles/debian_errorfile_503_keepalive.bin'));
  // no Content-Length and HTTP/1.0: the client connection closes after it
  assert.ok(ka.close);
});

test('errorfile loading reports the errors HAProxy prints for bad files', () => {
  const err = (s: string) => {
    const r = parseErrorfile(B(s));
    return 'error' in r ? r.error : 'ok';
  };
  assert.equal(err('HTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nslow\r\n0\r\n\r\n'), 'chunk-encoded payload not supported');
  assert.equal(err('HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\nabc'), 'payload size does not match the announced content-length (3 != 10)');
  assert.equal(err('HTTP/1.1 403 Forbidden\r\nContent-Length: 1\r\n\r\nabc'), 'payload size does not match the announced content-length (3 != 1)');
  assert.equal(err('hello world\n'), 'unable to parse headers (error offset: 0)');
  assert.equal(err('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'unable to parse headers (error offset: 4)');
  assert.equal(err('HTTP/1.1 403 Forbidden\r\nContent-Length: 1\r\n'), 'unable to parse headers (error offset: -2)');
  assert.equal(err('HTTP/1.1 100 Continue\r\n\r\n'), 'invalid http status code for an error message (100)');
  assert.equal(err('HTTP/1.1 403 F\r\nTransfer-Encoding: gzip\r\n\r\nabc'), 'ok');
  assert.equal(err('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na'), 'ok');
  const big = parseErrorfile(B('HTTP/1.1 403 F\r\nContent-Length: 20000\r\n\r\n' + 'a'.repeat(20000)), { file: 'big.http' });
  assert.ok('error' in big && big.error === 'payload size does not match the announced content-length (16343 != 20000)');
});

test('an empty errorfile is an empty reply: nothing is sent and the connection closes', () => {
  const r = parseErrorfile(Buffer.alloc(0));
  assert.ok(!('error' in r));
  const front = new FrontConn();
  assert.equal(renderReply(front, r, true).length, 0);
  assert.ok(front.close);
});
