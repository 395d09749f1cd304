/**
 * Every action, table-driven, at the unit level: a configuration is
 * checked and built (no socket), a request goes through the real rules
 * (the `route` simulator drives the HTTP session's rule phases), and the
 * request as the server would get it, or the answer, is compared with what
 * HAProxy 2.6 does (observed on the real one; the byte-exact comparison of
 * answers runs end to end in http-e2e.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkText } from '../helpers.js';
import { buildModel } from '../../src/runtime/index.js';
import { route, type RouteReport } from '../../src/cli/route.js';
import { HttpMessage, MF_RESP, MF_VER_11, MF_XFER_LEN, MF_CLEN } from '../../src/runtime/http/h1/message.js';
import { StreamContext } from '../../src/runtime/sample-context.js';
import type { RtProxy } from '../../src/runtime/model.js';
import { afterResponseRules, httpResponseRules, type HttpRuleSession } from '../../src/runtime/rules/index.js';
import { expReplace, splitValues } from '../../src/runtime/rules/actions/headers.js';

async function modelOf(frontend: string[], opts: { backend?: string[]; global?: string[]; extra?: string; strict?: boolean; mode?: string } = {}) {
  const text = [
    'global',
    ...(opts.global ?? []).map((l) => '    ' + l),
    'defaults',
    `    mode ${opts.mode ?? 'http'}`,
    '    timeout connect 1s',
    '    timeout client 1s',
    '    timeout server 1s',
    opts.extra ?? '',
    'frontend fe',
    '    bind 127.0.0.1:8080',
    ...frontend.map((l) => '    ' + l),
    '    default_backend be',
    'backend be',
    ...(opts.backend ?? []).map((l) => '    ' + l),
    '    server s1 127.0.0.1:9000',
    '    server s2 127.0.0.1:9001',
    '',
  ].join('\n');
  const { res, lines } = await checkText(text, { strict: opts.strict ?? true });
  assert.notEqual(res.exit, 1, lines.join('\n'));
  return buildModel(res.config);
}

async function run(frontend: string[], line: string, headers: string[] = [], opts: Parameters<typeof modelOf>[1] & { src?: string; sni?: string } = {}): Promise<RouteReport> {
  const model = await modelOf(frontend, opts);
  const r = route(model, { requestLine: line, headers, src: opts.src ?? '10.0.0.1', srcPort: 4000, sni: opts.sni });
  assert.equal(typeof r, 'object', String(r));
  return r as RouteReport;
}

const H = 'Host: example.com';

/** The head the server would receive, without the request line and the final CRLF. */
function headers(r: RouteReport): string[] {
  assert.equal(r.outcome.kind, 'forward', JSON.stringify(r.outcome));
  return r.toServer!.split('\r\n').slice(1, -2);
}

function requestLine(r: RouteReport): string {
  return r.toServer!.split('\r\n')[0];
}

/* ---- request header and line actions ------------------------------------------------ */

interface ReqCase {
  name: string;
  rules: string[];
  line?: string;
  headers?: string[];
  /** expected header lines toward the server */
  expect?: string[];
  /** expected request line */
  startLine?: string;
  opts?: Parameters<typeof run>[3];
}

const REQUEST_CASES: ReqCase[] = [
  { name: 'add-header appends, keeping spaces', rules: ['http-request add-header X-A "a  b"'], expect: ['host: example.com', 'x-a: a  b'] },
  { name: 'add-header keeps earlier occurrences', rules: ['http-request add-header X-A 2'], headers: ['X-A: 1'], expect: ['host: example.com', 'x-a: 1', 'x-a: 2'] },
  { name: 'set-header replaces every occurrence at the end', rules: ['http-request set-header X-A new'], headers: ['X-A: 1', 'X-B: b', 'x-a: 2'], expect: ['host: example.com', 'x-b: b', 'x-a: new'] },
  { name: 'set-header evaluates its value before removing', rules: ['http-request set-header X-A "<%[req.hdr(x-a)]>"'], headers: ['X-A: old'], expect: ['host: example.com', 'x-a: <old>'] },
  { name: 'an absent sample renders as nothing', rules: ['http-request set-header X-A %[req.hdr(nope)]'], expect: ['host: example.com', 'x-a: '] },
  { name: 'backslashes stay in formats', rules: ['http-request set-header X-A a\\qb'], expect: ['host: example.com', 'x-a: a\\qb'] },
  { name: 'del-header removes every occurrence, any case', rules: ['http-request del-header X-Del'], headers: ['X-Del: 1', 'x-DEL: 2', 'X-Keep: 3'], expect: ['host: example.com', 'x-keep: 3'] },
  { name: 'del-header -m beg', rules: ['http-request del-header x-pre -m beg'], headers: ['X-Pre-A: 1', 'X-Keep: 3', 'x-prefix: 2'], expect: ['host: example.com', 'x-keep: 3'] },
  { name: 'del-header -m end', rules: ['http-request del-header -id -m end'], headers: ['X-Req-Id: 1', 'X-Keep: 3'], expect: ['host: example.com', 'x-keep: 3'] },
  { name: 'del-header -m sub', rules: ['http-request del-header secret -m sub'], headers: ['X-Secret-Key: 1', 'X-Keep: 3'], expect: ['host: example.com', 'x-keep: 3'] },
  { name: 'del-header -m reg', rules: ['http-request del-header ^x-[0-9]+$ -m reg'], headers: ['X-12: 1', 'X-1a: 3'], expect: ['host: example.com', 'x-1a: 3'] },
  { name: 'replace-header rewrites the whole value', rules: ['http-request replace-header X-R (.*)foo(.*) \\2-\\1'], headers: ['X-R: afoob'], expect: ['host: example.com', 'x-r: b-a'] },
  { name: 'replace-header matches the full line, commas included', rules: ['http-request replace-header Cookie (.*)foo(.*) \\1bar\\2'], headers: ['Cookie: xfooy, zfoo'], expect: ['host: example.com', 'cookie: xfooy, zbar'] },
  { name: 'replace-header expands \\xHH', rules: ['http-request replace-header X-R ^a$ \\x41\\x62'], headers: ['X-R: a'], expect: ['host: example.com', 'x-r: Ab'] },
  { name: 'replace-value works per value and drops the blanks around replaced ones', rules: ['http-request replace-value Accept (.*)/html \\1/HTML'], headers: ['Accept: text/html, text/plain,text/html;q=1'], expect: ['host: example.com', 'accept: text/HTML, text/plain,text/HTML'] },
  { name: 'set-path keeps the query', rules: ['http-request set-path /new%[path]'], line: 'GET /a/b?x=1 HTTP/1.1', startLine: 'GET /new/a/b?x=1 HTTP/1.1' },
  { name: 'set-path keeps scheme and authority', rules: ['http-request set-path /p'], line: 'GET http://h.example/a?q HTTP/1.1', headers: ['Host: h.example'], startLine: 'GET http://h.example/p?q HTTP/1.1' },
  { name: 'set-pathq replaces path and query', rules: ['http-request set-pathq /n?k=v'], line: 'GET /a?x=1 HTTP/1.1', startLine: 'GET /n?k=v HTTP/1.1' },
  { name: 'set-query replaces the query', rules: ['http-request set-query q=1&%[query]'], line: 'GET /a?x=1 HTTP/1.1', startLine: 'GET /a?q=1&x=1 HTTP/1.1' },
  { name: 'set-query adds one', rules: ['http-request set-query q=1'], line: 'GET /a HTTP/1.1', startLine: 'GET /a?q=1 HTTP/1.1' },
  { name: 'set-uri', rules: ['http-request set-uri /u?x=1'], line: 'GET /a?b HTTP/1.1', startLine: 'GET /u?x=1 HTTP/1.1' },
  { name: 'set-uri with an authority updates Host', rules: ['http-request set-uri http://other.example/z'], line: 'GET /a HTTP/1.1', startLine: 'GET http://other.example/z HTTP/1.1', expect: ['host: other.example'] },
  { name: 'set-method', rules: ['http-request set-method PUT'], startLine: 'PUT / HTTP/1.1' },
  { name: 'replace-path', rules: ['http-request replace-path /old(.*) /new\\1'], line: 'GET /old/x?k=v HTTP/1.1', startLine: 'GET /new/x?k=v HTTP/1.1' },
  { name: 'replace-pathq', rules: ['http-request replace-pathq ^/a\\?(.*) /b?\\1&z'], line: 'GET /a?k=v HTTP/1.1', startLine: 'GET /b?k=v&z HTTP/1.1' },
  { name: 'replace-uri', rules: ['http-request replace-uri ^/ru/(.*) /RU/\\1'], line: 'GET /ru/x?y HTTP/1.1', startLine: 'GET /RU/x?y HTTP/1.1' },
  {
    name: 'normalize-uri path-merge-slashes and path-strip-dotdot',
    rules: ['http-request normalize-uri path-merge-slashes', 'http-request normalize-uri path-strip-dotdot'],
    line: 'GET //a///b/../c HTTP/1.1',
    startLine: 'GET /a/c HTTP/1.1',
    opts: { global: ['expose-experimental-directives'] },
  },
  {
    name: 'normalize-uri query-sort-by-name and percent-to-uppercase',
    rules: ['http-request normalize-uri query-sort-by-name', 'http-request normalize-uri percent-to-uppercase'],
    line: 'GET /%2fa?b=2&a=1&b=1 HTTP/1.1',
    startLine: 'GET /%2Fa?a=1&b=2&b=1 HTTP/1.1',
    opts: { global: ['expose-experimental-directives'] },
  },
  { name: 'set-var and var()', rules: ['http-request set-var(txn.h) req.hdr(host),upper', 'http-request set-header X-V %[var(txn.h)]'], expect: ['host: example.com', 'x-v: EXAMPLE.COM'] },
  { name: 'set-var keeps the type (an integer)', rules: ['http-request set-var(req.n) int(41),add(1)', 'http-request set-header X-V %[var(req.n)]'], expect: ['host: example.com', 'x-v: 42'] },
  { name: 'set-var with an absent sample leaves the variable', rules: ['http-request set-var(txn.v) str(a)', 'http-request set-var(txn.v) req.hdr(nope)', 'http-request set-header X-V %[var(txn.v)]'], expect: ['host: example.com', 'x-v: a'] },
  { name: 'set-var-fmt', rules: ['http-request set-var-fmt(txn.f) "%[req.hdr(host)]-%[method]"', 'http-request set-header X-F %[var(txn.f)]'], expect: ['host: example.com', 'x-f: example.com-GET'] },
  { name: 'unset-var', rules: ['http-request set-var(txn.v) str(a)', 'http-request unset-var(txn.v)', 'http-request set-header X-V <%[var(txn.v)]>'], expect: ['host: example.com', 'x-v: <>'] },
  { name: 'proc variables outlive the stream', rules: ['http-request set-var(proc.p) str(kept)', 'http-request set-header X-P %[var(proc.p)]'], expect: ['host: example.com', 'x-p: kept'] },
  { name: 'set-src changes src for what follows', rules: ['http-request set-src req.hdr(x-real-ip)', 'http-request set-header X-Src %[src]:%[src_port]'], headers: ['X-Real-IP: 192.0.2.7'], expect: ['host: example.com', 'x-real-ip: 192.0.2.7', 'x-src: 192.0.2.7:4000'] },
  { name: 'set-src-port and set-dst-port', rules: ['http-request set-src-port int(1234)', 'http-request set-dst-port int(81)', 'http-request set-header X-P %[src_port]-%[dst_port]'], expect: ['host: example.com', 'x-p: 1234-81'] },
  { name: 'set-dst', rules: ['http-request set-dst ipv4(192.0.2.9)', 'http-request set-header X-D %[dst]'], expect: ['host: example.com', 'x-d: 192.0.2.9'] },
  { name: 'allow stops the rules of the list', rules: ['http-request allow', 'http-request add-header X-Never 1'], expect: ['host: example.com'] },
  { name: 'a false condition skips the rule', rules: ['http-request add-header X-A 1 if { path /other }', 'http-request add-header X-B 1 unless { path /other }'], expect: ['host: example.com', 'x-b: 1'] },
  { name: 'track-sc0 tracks without changing the request', rules: ['http-request track-sc0 src table be', 'http-request add-header X-A 1'], expect: ['host: example.com', 'x-a: 1'], opts: { backend: ['stick-table type ip size 10'] } },
  { name: 'the backend rules run after the frontend ones', rules: ['http-request add-header X-Fe 1'], expect: ['host: example.com', 'x-fe: 1', 'x-be: 1'], opts: { backend: ['http-request add-header X-Be 1'] } },
  { name: 'option forwardfor is added after the rules', rules: ['http-request add-header X-A 1', 'option forwardfor'], expect: ['host: example.com', 'x-a: 1', 'x-forwarded-for: 10.0.0.1'] },
];

for (const c of REQUEST_CASES) {
  test(`http-request: ${c.name}`, async () => {
    const hs = c.headers?.some((h) => /^host:/i.test(h)) ? c.headers : [H, ...(c.headers ?? [])];
    const r = await run(c.rules, c.line ?? 'GET / HTTP/1.1', hs, c.opts);
    if (c.startLine) assert.equal(requestLine(r), c.startLine);
    if (c.expect) assert.deepEqual(headers(r), c.expect);
  });
}

/* ---- answers ------------------------------------------------------------------------ */

interface AnswerCase {
  name: string;
  rules: string[];
  line?: string;
  headers?: string[];
  status: number;
  /** exact response bytes (as HAProxy 2.6 sends them, observed) */
  response?: string;
  contains?: string[];
  close?: boolean;
  tarpitMs?: number;
  opts?: Parameters<typeof run>[3];
}

const E403 = 'HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n';

const ANSWER_CASES: AnswerCase[] = [
  { name: 'deny answers 403 and keeps the connection', rules: ['http-request deny'], status: 403, response: E403, close: false },
  { name: 'deny to an HTTP/1.0 client closes', rules: ['http-request deny'], line: 'GET / HTTP/1.0', status: 403, close: true, contains: ['connection: close\r\n'] },
  { name: 'deny deny_status 429', rules: ['http-request deny deny_status 429'], status: 429, contains: ['HTTP/1.1 429 Too Many Requests\r\n', 'You have sent too many requests'] },
  { name: 'deny with string and hdr', rules: ['http-request deny deny_status 400 content-type text/plain string nope hdr X-Why %[path]'], status: 400, response: 'HTTP/1.1 400 Bad Request\r\nx-why: /\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\nnope' },
  { name: 'deny uses the errorfile of its status', rules: ['http-request deny', 'errorloc 403 http://errors.example/denied'], status: 403, response: 'HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: http://errors.example/denied\r\n\r\n' },
  { name: 'tarpit waits timeout tarpit then answers 500', rules: ['http-request tarpit', 'timeout tarpit 3s'], status: 500, tarpitMs: 3000, contains: ['HTTP/1.1 500 Internal Server Error\r\n'] },
  { name: 'tarpit without timeout tarpit waits timeout connect', rules: ['http-request tarpit deny_status 403'], status: 403, tarpitMs: 1000 },
  { name: 'return with lf-string and hdr', rules: ['http-request return status 200 content-type text/plain lf-string "hi %[req.hdr(host)]" hdr X-A a'], status: 200, response: 'HTTP/1.1 200 OK\r\nx-a: a\r\ncontent-length: 14\r\ncontent-type: text/plain\r\n\r\nhi example.com' },
  { name: 'return with no payload', rules: ['http-request return'], status: 200, response: 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n' },
  { name: 'return default-errorfiles', rules: ['http-request return status 503 default-errorfiles'], status: 503, contains: ['No server is available to handle this request.'] },
  { name: 'redirect location', rules: ['http-request redirect location /elsewhere'], status: 302, response: 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /elsewhere\r\ncache-control: no-cache\r\n\r\n' },
  { name: 'redirect prefix code 301 keeps the path and query', rules: ['http-request redirect prefix https://ex.com code 301'], line: 'GET /a?b=c HTTP/1.1', status: 301, response: 'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: https://ex.com/a?b=c\r\n\r\n' },
  { name: 'redirect scheme drop-query append-slash', rules: ['http-request redirect scheme https drop-query append-slash'], line: 'GET /x?y HTTP/1.1', status: 302, contains: ['location: https://example.com/x/\r\n'] },
  { name: 'redirect set-cookie code 303', rules: ['http-request redirect location /c set-cookie S=1 code 303'], status: 303, contains: ['HTTP/1.1 303 See Other\r\n', 'set-cookie: S=1; path=/;\r\n'] },
  { name: 'redirect clear-cookie code 307', rules: ['http-request redirect location /c clear-cookie S= code 307'], status: 307, contains: ['set-cookie: S=; path=/; Max-Age=0;\r\n'] },
  { name: 'redirect code 308 has no cache-control', rules: ['http-request redirect location /c code 308'], status: 308, response: 'HTTP/1.1 308 Permanent Redirect\r\ncontent-length: 0\r\nlocation: /c\r\n\r\n' },
  { name: 'the redirect keyword takes its string literally', rules: ['redirect location /%[path]'], status: 302, contains: ['location: /%[path]\r\n'] },
  { name: 'the redirect keyword runs after http-request rules', rules: ['redirect location /kw', 'http-request add-header X 1'], status: 302, contains: ['location: /kw\r\n'] },
  { name: 'auth answers 401 with the realm', rules: ['http-request auth realm tshap'], status: 401, contains: ['www-authenticate: Basic realm="tshap"\r\n', '401 Unauthorized'] },
  { name: 'auth realm defaults to the proxy name', rules: ['http-request auth'], status: 401, contains: ['www-authenticate: Basic realm="fe"\r\n'] },
  {
    name: 'http_auth lets a good insecure-password through',
    rules: ['http-request auth unless { http_auth(L) }', 'http-request return status 204'],
    headers: [H, 'Authorization: Basic Ym9iOnNlY3JldA=='],
    status: 204,
    opts: { extra: 'userlist L\n    user bob insecure-password secret' },
  },
  {
    name: 'http_auth checks SHA-256 crypt passwords',
    rules: ['http-request auth unless { http_auth(L) }', 'http-request return status 204'],
    headers: [H, 'Authorization: Basic YWxpY2U6czNjcmV0'],
    status: 204,
    opts: { extra: 'userlist L\n    user alice password $5$saltsalt$i1q2ZQzc.tl/BQ6CHiENAcVDvEY6nJ1OWlWXKh94b1.' },
  },
  { name: 'http-request reject closes', rules: ['http-request reject'], status: 0 },
  { name: 'the backend deny answers with the backend errorfile first', rules: [], status: 403, contains: ['location: /be-denied'], opts: { backend: ['http-request deny', 'errorloc303 403 /be-denied'] } },
];

for (const c of ANSWER_CASES) {
  test(`answer: ${c.name}`, async () => {
    const r = await run(c.rules, c.line ?? 'GET / HTTP/1.1', c.headers ?? [H], c.opts);
    if (c.status === 0) {
      assert.equal(r.outcome.kind, 'reject');
      return;
    }
    assert.equal(r.outcome.kind, 'reply', JSON.stringify(r.outcome));
    const o = r.outcome as Extract<RouteReport['outcome'], { kind: 'reply' }>;
    assert.equal(o.status, c.status);
    if (c.response !== undefined) assert.equal(o.response, c.response);
    for (const s of c.contains ?? []) assert.ok(o.response.includes(s), `${JSON.stringify(o.response)} lacks ${JSON.stringify(s)}`);
    if (c.close !== undefined) assert.equal(o.close, c.close);
    if (c.tarpitMs !== undefined) assert.equal(o.tarpitMs, c.tarpitMs);
  });
}

test('answer: http_auth refuses a wrong crypt password', async () => {
  const r = await run(['http-request auth unless { http_auth(L) }'], 'GET / HTTP/1.1', [H, 'Authorization: Basic YWxpY2U6d3Jvbmc='], {
    extra: 'userlist L\n    user alice password $5$saltsalt$i1q2ZQzc.tl/BQ6CHiENAcVDvEY6nJ1OWlWXKh94b1.',
  });
  assert.equal(r.outcome.kind, 'reply');
});

test('answer: early-hint sends a 103 before the final answer', async () => {
  const r = await run(['http-request early-hint Link "</s.css>; rel=preload"', 'http-request return status 204'], 'GET / HTTP/1.1', [H]);
  const o = r.outcome as Extract<RouteReport['outcome'], { kind: 'reply' }>;
  assert.ok(o.response.startsWith('HTTP/1.1 103 Early Hints\r\nlink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 204 No Content\r\n'), o.response);
});

/* ---- stream effects ----------------------------------------------------------------- */

// set-timeout needs a backend (HAProxy refuses it in a frontend): test/rules/set-timeout.test.ts
test('set-log-level and capture are kept for the stream', async () => {
  const r = await run(['http-request set-log-level silent', 'http-request capture req.hdr(host) len 4'], 'GET / HTTP/1.1', [H]);
  assert.deepEqual(r.effects, { logLevel: 'silent', captures: ['exam'] });
});

/* ---- legacy keywords (default mode) --------------------------------------------------- */

const LEGACY: ReqCase[] = [
  { name: 'reqadd appends a header line', rules: ['reqadd X-Proto:\\ https'], expect: ['host: example.com', 'x-proto: https'] },
  { name: 'reqdel removes matching header lines', rules: ['reqdel ^X-Del:.*'], headers: ['X-Del: 1', 'X-Keep: 2'], expect: ['host: example.com', 'x-keep: 2'] },
  { name: 'reqidel ignores case', rules: ['reqidel ^x-del:.*'], headers: ['X-DEL: 1'], expect: ['host: example.com'] },
  { name: 'reqrep rewrites the request line', rules: ['reqrep ^GET\\ /old(.*) GET\\ /new\\1'], line: 'GET /old/x HTTP/1.1', startLine: 'GET /new/x HTTP/1.1' },
  { name: 'reqirep rewrites header lines', rules: ['reqirep ^host:\\ (.*) Host:\\ www.\\1'], expect: ['host: www.example.com'] },
];

for (const c of LEGACY) {
  test(`legacy: ${c.name}`, async () => {
    const r = await run(c.rules, c.line ?? 'GET / HTTP/1.1', c.headers ? [H, ...c.headers] : [H], { strict: false });
    if (c.startLine) assert.equal(requestLine(r), c.startLine);
    if (c.expect) assert.deepEqual(headers(r), c.expect);
  });
}

test('legacy: block and reqdeny deny with 403', async () => {
  for (const rule of ['block if { path /x }', 'reqdeny ^GET\\ /x']) {
    const r = await run([rule], 'GET /x HTTP/1.1', [H], { strict: false });
    assert.equal(r.outcome.kind, 'reply', rule);
    assert.equal((r.outcome as { status: number }).status, 403);
  }
});

/* ---- response side ------------------------------------------------------------------ */

function response(status: number, headers: [string, string][]): HttpMessage {
  const m = new HttpMessage(true);
  m.version = 'HTTP/1.1';
  m.status = status;
  m.statusText = String(status);
  m.reason = 'OK';
  m.flags = MF_RESP | MF_VER_11 | MF_XFER_LEN | MF_CLEN;
  for (const [n, v] of headers) m.headers.add(n, v);
  return m;
}

/** An HTTP session stand-in for the response rules. */
function responseHost(fe: RtProxy, be: RtProxy, res: HttpMessage) {
  const req = new HttpMessage(false);
  req.method = 'GET';
  req.uri = '/';
  req.version = 'HTTP/1.1';
  req.flags = MF_VER_11;
  req.headers.add('host', 'example.com');
  const sent: { bytes: string; status: number; close: boolean }[] = [];
  let ctx: StreamContext | null = null;
  const host: HttpRuleSession & { sent: typeof sent; server: null } = {
    fe,
    be,
    req,
    res,
    server: null,
    addrs: { src: '10.0.0.1', srcPort: 4000, dst: '127.0.0.1', dstPort: 8080, family: 4 },
    cli: { write: () => true, destroyed: false },
    sent,
    sampleContext: () => (ctx ??= new StreamContext({ ...host, runtimeProxy: () => undefined, get req() { return host.req; }, get res() { return host.res; } } as never)),
    proxyReply: (b, status, close) => void sent.push({ bytes: b.toString('latin1'), status, close }),
    closeNow: () => undefined,
    requestDone: () => true,
    holdTarpit: (_ms, done) => done(),
  };
  return host;
}

test('http-response and http-after-response actions change the response, backend first', async () => {
  const model = await modelOf(
    [
      'http-response set-header X-Fe 1',
      'http-response add-header X-Order fe',
      'http-response del-header Server',
      'http-response replace-value X-List (.*)b \\1B',
      'http-response replace-header X-Full ^a(.*) z\\1',
      'http-response set-status 299 reason "Fine Thanks"',
      'http-response set-var(txn.s) status',
      'http-response add-header X-S %[var(txn.s)]',
      'http-after-response set-header X-After %[status]',
    ],
    { backend: ['http-response add-header X-Order be', 'http-after-response add-header X-Be-After 1'] },
  );
  const fe = model.byName.get('fe')!;
  const be = model.byName.get('be')!;
  const res = response(200, [['server', 'x'], ['x-list', 'ab, cb'], ['x-full', 'abc']]);
  const host = responseHost(fe, be, res);
  assert.equal(httpResponseRules(host), true);
  assert.equal(afterResponseRules(host, res), true);
  assert.equal(res.status, 299);
  assert.equal(res.reason, 'Fine Thanks');
  assert.deepEqual(
    res.headers.names.map((n, i) => `${n}: ${res.headers.values[i]}`),
    ['x-list: aB,cB', 'x-full: zbc', 'x-order: be', 'x-fe: 1', 'x-order: fe', 'x-s: 299', 'x-be-after: 1', 'x-after: 299'],
  );
});

test('http-response deny answers 502 and drops the response', async () => {
  const model = await modelOf(['http-response deny if { status 200 }']);
  const host = responseHost(model.byName.get('fe')!, model.byName.get('be')!, response(200, []));
  assert.equal(httpResponseRules(host), false);
  assert.equal(host.sent[0].status, 502);
  assert.ok(host.sent[0].bytes.startsWith('HTTP/1.1 502 Bad Gateway\r\n'));
});

test('http-response return and redirect answer instead of the server', async () => {
  for (const [rule, start] of [
    ['http-response return status 202 content-type text/plain string done', 'HTTP/1.1 202 Accepted\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\ndone'],
    ['http-response redirect location /x code 301', 'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: /x\r\n\r\n'],
  ]) {
    const model = await modelOf([rule]);
    const host = responseHost(model.byName.get('fe')!, model.byName.get('be')!, response(200, []));
    assert.equal(httpResponseRules(host), false, rule);
    assert.equal(host.sent[0].bytes, start);
  }
});

test('http-response allow ends the list of its proxy only', async () => {
  const model = await modelOf(['http-response add-header X-Fe 1'], { backend: ['http-response allow', 'http-response add-header X-Never 1'] });
  const res = response(200, []);
  const host = responseHost(model.byName.get('fe')!, model.byName.get('be')!, res);
  assert.equal(httpResponseRules(host), true);
  assert.deepEqual(res.headers.names, ['x-fe']);
});

test('legacy rspadd, rsprep, rspdel and rspdeny act on the response', async () => {
  const model = await modelOf(['rspadd X-Added:\\ 1', 'rsprep ^Server:\\ (.*) Server:\\ hidden', 'rspdel ^X-Powered-By:.*'], { strict: false });
  const res = response(200, [['server', 'apache'], ['x-powered-by', 'php']]);
  const host = responseHost(model.byName.get('fe')!, model.byName.get('be')!, res);
  assert.equal(httpResponseRules(host), true);
  assert.deepEqual(res.headers.names.map((n, i) => `${n}: ${res.headers.values[i]}`), ['server: hidden', 'x-added: 1']);
  const m2 = await modelOf(['rspideny ^x-secret:.*'], { strict: false });
  const h2 = responseHost(m2.byName.get('fe')!, m2.byName.get('be')!, response(200, [['X-Secret', '1']]));
  assert.equal(httpResponseRules(h2), false);
  assert.equal(h2.sent[0].status, 502);
});

/* ---- tcp rule sets -------------------------------------------------------------------- */

test('tcp-request content accept, reject, set-var and use-server in tcp mode', async () => {
  const fe = [
    'tcp-request inspect-delay 2s',
    'tcp-request content set-var(sess.first) req.payload(0,3)',
    'tcp-request content reject if { req.payload(0,3) -m str BAD }',
    'tcp-request content accept if { req.len ge 3 }',
  ];
  const be = ['use-server s2 if { var(sess.first) -m str GET }'];
  const ok = await run(fe, 'GET / HTTP/1.0', [], { mode: 'tcp', backend: be });
  assert.equal(ok.outcome.kind, 'forward');
  assert.equal(ok.server?.name, 's2');
  const bad = await run(fe, 'BAD request', [], { mode: 'tcp', backend: be });
  assert.equal(bad.outcome.kind, 'reject');
});

test('tcp-request content waits out the inspect-delay when a condition cannot decide', async () => {
  const r = await run(['tcp-request inspect-delay 3s', 'tcp-request content accept if { req.len ge 100 }'], 'short', [], { mode: 'tcp' });
  assert.equal(r.inspectWaitMs, 3000);
  assert.equal(r.backend, 'be');
});

test('tcp-request content decides on the first pass without an inspect-delay', async () => {
  const r = await run(['tcp-request content reject if { req.len ge 100 }'], 'short', [], { mode: 'tcp' });
  assert.equal(r.inspectWaitMs, undefined);
  assert.equal(r.outcome.kind, 'forward');
});

test('tcp-request content in an http frontend sees the parsed request', async () => {
  const r = await run(['tcp-request content reject if { req.hdr(x-bad) -m found }'], 'GET / HTTP/1.1', [H, 'X-Bad: 1']);
  assert.equal(r.outcome.kind, 'reject');
});

test('SNI routing with use-server to a weight-0 server (seed 004)', async () => {
  const r = await run(['tcp-request inspect-delay 5s', 'tcp-request content accept if { req_ssl_hello_type 1 }', 'use_backend tls if { req_ssl_sni -i a.example }'], '', [], {
    mode: 'tcp',
    sni: 'A.example',
    extra: 'backend tls\n    use-server pump if { req_ssl_sni -i a.example }\n    server pump 127.0.0.1:9100 weight 0',
  });
  assert.equal(r.backend, 'tls');
  assert.equal(r.server?.name, 'pump');
  assert.equal(r.inspectWaitMs, undefined);
});

/* ---- helpers ---------------------------------------------------------------------------- */

test('splitValues keeps quoted commas and blanks', () => {
  assert.deepEqual(splitValues('a, "b,c" ,d'), [
    { pre: '', value: 'a', post: '' },
    { pre: ' ', value: '"b,c"', post: ' ' },
    { pre: '', value: 'd', post: '' },
  ]);
});

test('expReplace expands groups, \\xHH and escapes like exp_replace()', () => {
  const m = /(a)(b)?c/.exec('ac')!;
  assert.equal(expReplace('[\\1|\\2|\\0|\\x41|\\\\|\\n]', m), '[a||ac|A|\\|n]');
});
