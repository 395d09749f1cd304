/**
 * Table-driven checks of the engine's pieces that need no HAProxy run:
 * casts, L4/internal/L6 fetches on a synthetic stream, waiting semantics,
 * variables, maps, log-format variables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArrayHeaders,
  ProxyAcls,
  Sample,
  T,
  VarStore,
  cast,
  compileCondText,
  compileExpr,
  compileLogFormat,
  evalExpr,
  evalString,
  newEnv,
  type ProxyView,
  type SampleContext,
} from '../../src/acl/index.js';
import { ipv6ToStr, parseIPv6, readInt64 } from '../../src/acl/types.js';

const servers = [
  { name: 's1', id: 1, up: true, cur: 3, maxconn: 10, maxqueue: 5, queued: 1 },
  { name: 's2', id: 2, up: false, cur: 0, maxconn: 10, maxqueue: 5 },
  { name: 'b1', id: 3, up: true, cur: 0, maxconn: 0, backup: true },
];
const be: ProxyView = { name: 'app', id: 3, servers, conn: 7, queued: 4 };
const fe: ProxyView = { name: 'www', id: 2, conn: 12 };

function base(extra: Partial<SampleContext> = {}): SampleContext {
  const vars = new VarStore();
  return {
    src: '192.168.1.20',
    srcPort: 40000,
    dst: '10.0.0.1',
    dstPort: 443,
    frontend: fe,
    backend: be,
    listener: { id: 5, name: 'sock-a' },
    proxy: (n) => (n === 'app' ? be : n === 'www' ? fe : n === 'empty' ? { name: 'empty', id: 9, servers: [] } : undefined),
    getVar: (s, n) => vars.get(s, n),
    setVar: (s, n, v) => vars.set(s, n, v),
    unsetVar: (s, n) => vars.unset(s, n),
    env: (n) => (n === 'ZONE' ? 'eu' : undefined),
    now: () => 1700000000123,
    ...extra,
  };
}

const str = (e: string, ctx = base()) => evalString(compileExpr(e, newEnv()), ctx);
const cond = (c: string, ctx = base(), final = true) => compileCondText(c, new ProxyAcls(undefined)).eval(ctx, final);

test('fetches of the connection, proxies and servers read the stream', () => {
  const table: [string, string | undefined][] = [
    ['src', '192.168.1.20'],
    ['src_port', '40000'],
    ['dst', '10.0.0.1'],
    ['dst_port', '443'],
    ['fe_name', 'www'],
    ['fe_id', '2'],
    ['be_name', 'app'],
    ['be_id', '3'],
    ['so_id', '5'],
    ['so_name', 'sock-a'],
    ['nbsrv', '1'],
    ['nbsrv(app)', '1'],
    ['nbsrv(empty)', '0'],
    ['be_conn', '7'],
    ['fe_conn', '12'],
    ['queue', '4'],
    ['avg_queue', '4'],
    ['connslots', '-1'],
    ['srv_is_up(app/s1)', '1'],
    ['srv_is_up(app/s2)', '0'],
    ['srv_conn(app/s1)', '3'],
    ['srv_queue(app/s1)', '1'],
    ['srv_name', undefined],
    ['env(ZONE)', 'eu'],
    ['env(NOPE)', undefined],
    ['date', '1700000000'],
    ['date(10,ms)', '1700000000133'],
    ['always_true', '1'],
    ['str(x),concat(y)', 'xy'],
    ['int(-3),neg', '3'],
    ['ipv6(::1)', '::1'],
    ['src,ipmask(16)', '192.168.0.0'],
    ['fc_rcvd_proxy', '0'],
    ['thread', '0'],
    ['str(app),nbsrv', '1'],
  ];
  for (const [e, want] of table) assert.equal(str(e), want, e);
});

test('connslots adds free slots and queue room of usable servers', () => {
  const p: ProxyView = { name: 'q', id: 1, servers: [{ name: 'a', id: 1, up: true, cur: 2, maxconn: 10, maxqueue: 5, queued: 1 }] };
  assert.equal(str('connslots(q)', base({ proxy: () => p })), '12');
});

test('variables are read, written by set-var, and their default applies when absent', () => {
  const ctx = base();
  assert.equal(str('var(txn.x)', ctx), undefined);
  assert.equal(str('var(txn.x,dflt)', ctx), 'dflt');
  assert.equal(str('str(abc),set-var(txn.x),upper', ctx), 'ABC');
  assert.equal(str('var(txn.x)', ctx), 'abc');
  assert.equal(str('int(5),set-var(sess.n)', ctx), '5');
  assert.equal(str('int(2),add(sess.n)', ctx), '7');
  assert.equal(str('str(abc),strcmp(txn.x)', ctx), '0');
  assert.equal(str('str(abd),strcmp(txn.x)', ctx), '1');
  assert.equal(cond('if { var(txn.x) -m str abc }', ctx), true);
  assert.equal(str('str(q),concat(<,txn.x,>)', ctx), 'q<abc>');
});

test('the cast matrix converts as HAProxy does', () => {
  const c = (t: T, v: unknown, to: T) => {
    const s = new Sample();
    s.t = t;
    s.v = v;
    return cast(s, to) ? s : undefined;
  };
  assert.equal(c(T.STR, '12abc', T.SINT)?.v, 12);
  assert.equal(c(T.STR, 'abc', T.SINT)?.v, 0);
  assert.equal(c(T.STR, '', T.SINT), undefined);
  assert.equal(c(T.STR, '10.0.0.1:80', T.IPV4)?.v, 0x0a000001);
  assert.equal(c(T.STR, '10.0.0', T.IPV4), undefined);
  assert.equal(c(T.SINT, 0x7f000001, T.STR)?.v, String(0x7f000001));
  assert.equal(ipv6ToStr(c(T.IPV4, 0x7f000001, T.IPV6)!.v), '::ffff:127.0.0.1');
  assert.equal(c(T.IPV6, parseIPv6('::ffff:10.1.2.3'), T.IPV4)?.v, 0x0a010203);
  assert.equal(c(T.IPV6, parseIPv6('2001:db8::1'), T.IPV4), undefined);
  assert.equal(c(T.BIN, Buffer.from('ab\0cd'), T.STR)?.v, 'ab');
  assert.deepEqual(c(T.SINT, 1, T.BIN)?.v, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]));
  assert.equal(c(T.BOOL, 1, T.STR)?.v, '1');
  assert.equal(c(T.BOOL, 1, T.IPV4), undefined);
  assert.equal(c(T.METH, 'GET', T.STR)?.v, 'GET');
  assert.equal(readInt64('-9223372036854775808'), -9223372036854775808n);
  for (const [a, want] of [
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80::', 'fe80::'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['::a.b.c.d'.replace('a.b.c.d', '1.2.3.4'), '::1.2.3.4'],
  ]) assert.equal(ipv6ToStr(parseIPv6(a)!), want, a);
});

test('L6 fetches wait for data while the inspection is not final', () => {
  const empty = base({ reqBuf: Buffer.alloc(0) });
  assert.equal(cond('if REQ_CONTENT', empty, false), 'wait');
  assert.equal(cond('if REQ_CONTENT', empty, true), false);
  const some = base({ reqBuf: Buffer.from('hello') });
  assert.equal(cond('if REQ_CONTENT', some, false), true);
  assert.equal(cond('if { req.len ge 10 }', some, false), 'wait');
  assert.equal(cond('if { req.len ge 10 }', some, true), false);
  assert.equal(cond('if WAIT_END', some, false), 'wait');
  assert.equal(cond('if WAIT_END', some, true), true);
  assert.equal(cond('if { req.payload(0,3) -m bin 68656c }', some, false), true);
  assert.equal(cond('if { req.payload(3,4) -m bin 6c6f2121 }', some, false), 'wait');
  assert.equal(cond('unless { req.payload(3,4) -m bin 6c6f2121 }', some, false), 'wait');
  assert.equal(cond('if { req.payload(3,4) -m bin 6c6f2121 } || TRUE', some, false), true);
  // a term that may change stops its suite: HAProxy waits even when a later term is false
  assert.equal(cond('if { req.payload(3,4) -m bin 6c6f2121 } FALSE', some, false), 'wait');
  assert.equal(cond('if FALSE { req.payload(3,4) -m bin 6c6f2121 }', some, false), false);
  const lv = base({ reqBuf: Buffer.from([0, 3, 0x61, 0x62, 0x63, 0x64]) });
  assert.equal(str('req.payload_lv(0,2),hex', lv), '616263');
  assert.equal(str('req.payload(1,0),length', lv), '5');
});

test('L7 fetches in tcp mode parse the buffered request and wait for its end', () => {
  const partial = base({ reqBuf: Buffer.from('GET /x HTTP/1.1\r\nHost: a.example\r\n') });
  assert.equal(cond('if HTTP', partial, false), 'wait');
  assert.equal(cond('if { hdr(host) a.example }', partial, false), 'wait');
  assert.equal(cond('if HTTP', partial, true), false);
  const full = base({ reqBuf: Buffer.from('GET /x?y=1 HTTP/1.1\r\nHost: a.example\r\n\r\n') });
  assert.equal(cond('if HTTP', full, false), true);
  assert.equal(cond('if { hdr(host) a.example } { path /x } { urlp(y) 1 }', full, false), true);
  const notHttp = base({ reqBuf: Buffer.from([0x16, 0x03, 0x01, 0x00]) });
  assert.equal(cond('if HTTP', notHttp, false), false);
});

test('RDP cookies are read from the X.224 connection request', () => {
  const rdp = Buffer.concat([Buffer.from([3, 0, 0, 0x2f, 0x2a, 0xe0, 0, 0, 0, 0, 0]), Buffer.from('Cookie: mstshash=alice\r\n')]);
  assert.equal(str('req.rdp_cookie(mstshash)', base({ reqBuf: rdp })), 'alice');
  assert.equal(cond('if RDP_COOKIE', base({ reqBuf: rdp })), true);
  assert.equal(cond('if RDP_COOKIE', base({ reqBuf: rdp.subarray(0, 20) }), false), 'wait');
});

test('response fetches and cookies read the response head', () => {
  const ctx = base({
    res: { status: 302, version: 'HTTP/1.1', headers: new ArrayHeaders([['Set-Cookie', 'SID=abc; Path=/'], ['Set-Cookie', 'lang=fr'], ['Location', '/login']]) },
  });
  assert.equal(str('status', ctx), '302');
  assert.equal(str('res.ver', ctx), '1.1');
  assert.equal(str('res.cook(SID)', ctx), 'abc');
  assert.equal(str('res.cook_cnt(SID)', ctx), '1');
  assert.equal(str('res.hdr(location)', ctx), '/login');
  assert.equal(cond('if { status 300:399 } { res.hdr(location) -m beg /log }', ctx), true);
});

test('a 10,000-entry map and a 10,000-pattern ACL file are looked up by hash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-map-'));
  const lines = [];
  for (let i = 0; i < 10000; i++) lines.push(`host${i}.example.com be${i % 7}`);
  writeFileSync(join(dir, 'big.map'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'nets.lst'), Array.from({ length: 10000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`).join('\n'));
  const env = newEnv({ baseDir: dir });
  const e = compileExpr(`req.hdr(host),lower,map(${join(dir, 'big.map')},none)`, env);
  const ctx = base({ req: { method: 'GET', uri: '/', version: 'HTTP/1.1', headers: new ArrayHeaders([['host', 'HOST9999.example.com']]) } });
  assert.equal(evalString(e, ctx), 'be3');
  const acls = new ProxyAcls(undefined, { baseDir: dir });
  const c = compileCondText(`if { src -f ${join(dir, 'nets.lst')} }`, acls);
  assert.equal(c.eval(base({ src: '10.39.15.200' })), true);
  assert.equal(c.eval(base({ src: '10.40.16.1' })), false);
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < 20000; k++) evalString(e, ctx);
  const ns = Number(process.hrtime.bigint() - t0) / 20000;
  assert.ok(ns < 20000, `map lookup took ${ns} ns`);
});

test('map outputs can be integers or addresses, with defaults of the same type', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-map-'));
  writeFileSync(join(dir, 'w.map'), 'a 10\nb 20\n');
  writeFileSync(join(dir, 'ip.map'), '10.0.0.0/8 192.168.0.1\n');
  const env = newEnv({ baseDir: dir });
  const r = evalExpr(compileExpr(`str(b),map_str_int(${join(dir, 'w.map')},0),add(1)`, env), base());
  assert.ok(r && r !== 'wait' && r.t === T.SINT && r.v === 21);
  assert.equal(evalString(compileExpr(`str(z),map_str_int(${join(dir, 'w.map')},5)`, env), base()), '5');
  assert.equal(evalString(compileExpr(`str(10.2.3.4),map_ip_ip(${join(dir, 'ip.map')})`, env), base()), '192.168.0.1');
});

test('log-format strings print variables, expressions and "-" for what is absent', () => {
  const ctx = base({
    req: { method: 'GET', uri: '/a?b', version: 'HTTP/1.1', headers: new ArrayHeaders([['host', 'h.example']]) },
    res: { status: 200, version: 'HTTP/1.1', headers: new ArrayHeaders([]) },
    server: servers[0],
  });
  const lf = compileLogFormat('%ci:%cp  %fi:%fp %f %b/%s %ST "%r" %[req.hdr(host)] %[req.hdr(nope)] %{+Q}[path] %%', newEnv());
  assert.equal(lf.render(ctx), '192.168.1.20:40000 10.0.0.1:443 www app/s1 200 "GET /a?b HTTP/1.1" h.example - "/a" %');
  assert.equal(compileLogFormat('x%[req.hdr(nope)]y', newEnv()).render(ctx, {}, ''), 'xy');
  assert.equal(compileLogFormat('%b %s', newEnv()).render(base({ backend: undefined })), 'www <NOSRV>');
  assert.match(compileLogFormat('%t', newEnv()).render(ctx), /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}$/);
});

test('named ACLs with several lines are OR-ed and unknown fetches never match', () => {
  const proxy = {
    name: 'p',
    kind: 'frontend',
    acls: [
      { name: 'api', words: ['path_beg', '/api'], file: 'x', line: 1 },
      { name: 'api', words: ['hdr(host)', '-i', 'api.example'], file: 'x', line: 2 },
    ],
  } as never;
  const acls = new ProxyAcls(proxy);
  const c = compileCondText('if api', acls);
  const mk = (path: string, host: string) =>
    base({ req: { method: 'GET', uri: path, version: 'HTTP/1.1', headers: new ArrayHeaders([['host', host]]) } });
  assert.equal(c.eval(mk('/api/x', 'www')), true);
  assert.equal(c.eval(mk('/', 'API.example')), true);
  assert.equal(c.eval(mk('/', 'www')), false);
  assert.equal(compileCondText('unless api', acls).eval(mk('/', 'www')), true);
});

test('stick counters come from the stick-table layer', () => {
  const ctx = base({
    stick: {
      // sc0 tracks an entry with an http_req_rate of 42; the client's entry has 3 connections
      fetch: (_ctx: unknown, ctr: number | undefined, name: string) =>
        ctr === 0 ? (name === 'http_req_rate' ? 42 : undefined) : ctr === undefined ? (name === 'conn_cur' ? 3 : 0) : undefined,
      conv: () => undefined,
      tableSize: () => undefined,
    },
  });
  assert.equal(str('sc0_http_req_rate', ctx), '42');
  assert.equal(str('sc_http_req_rate(0)', ctx), '42');
  assert.equal(str('sc1_http_req_rate', ctx), undefined);
  assert.equal(str('src_conn_cur', ctx), '3');
  assert.equal(str('src_conn_rate', ctx), '0');
  assert.equal(cond('if { sc0_http_req_rate gt 40 }', ctx), true);
});
