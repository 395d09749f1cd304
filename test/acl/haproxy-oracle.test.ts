/**
 * The engine gives HAProxy 2.6's answers: each expression and condition
 * below is evaluated by the real haproxy (through an lf-string / a return
 * rule) and by the engine on the same request, and both must agree.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askHaproxy, haproxyAvailable, requestHeaders, type OracleCase } from './oracle.js';
import { ArrayHeaders, ProxyAcls, compileCondText, compileExpr, evalString, newEnv, type SampleContext } from '../../src/acl/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-acl-'));
const hosts = join(dir, 'hosts.map');
const ints = join(dir, 'ints.map');
const ips = join(dir, 'ips.map');
const regs = join(dir, 'regs.map');
const pats = join(dir, 'paths.lst');
const nums = join(dir, 'nums.map');
writeFileSync(hosts, '# comment\nexample.com   be_example\n  example.org\tbe_org  \nexample.com dup\n/api be_api\n/api/v1 be_api_v1\n');
writeFileSync(ints, '42 answer\n7 seven\n');
writeFileSync(ips, '10.0.0.0/8 ten\n10.1.0.0/16 ten-one\n192.168.1.1 host\n::1 v6\n');
writeFileSync(regs, '^/img/.* images\n^/(api)/(v[0-9]) api-\\2\n');
writeFileSync(nums, 'a 1\nb 22\n');
writeFileSync(pats, '/static\n# not a pattern\n   /assets\n/exact.html\n');

const basic = ['authorization', 'Basic ' + Buffer.from('alice:secret').toString('base64')] as [string, string];
const fullReq = {
  method: 'GET',
  uri: '/foo/bar.html?x=1&y=2;z=3&n=42',
  headers: [
    ['Host', 'io.test.tld:80'],
    ['X-F', 'a, b'],
    ['X-F', 'c'],
    ['X-N', '17abc'],
    ['X-IP', 'junk, 10.0.0.1:8080'],
    ['Cookie', 'a=1; b=2; n=33'],
    ['Cookie', 'a=5'],
    ['Accept-Language', 'fr-CH, fr;q=0.9, en;q=0.8'],
    basic,
  ] as [string, string][],
};

const exprs: OracleCase[] = [
  'path', 'pathq', 'query', 'url', 'base', 'baseq', 'base32', 'url32', 'method', 'req.ver',
  'req.hdr(host)', 'req.hdr(x-f)', 'req.hdr(x-f,1)', 'req.hdr(x-f,-2)', 'req.fhdr(x-f)', 'req.fhdr(x-f,1)', 'req.hdr_cnt(x-f)',
  'req.fhdr_cnt(x-f)', 'req.hdr_val(x-n)', 'req.hdr_ip(x-ip)', 'req.cook(b)', 'req.cook(a)', 'req.cook_cnt(a)', 'req.cook_val(n)',
  'req.cook', 'url_param(y)', 'urlp(z)', 'url_param', 'urlp_val(n)', 'url_param(nope)', 'http_auth_user', 'http_auth_pass',
  'http_auth_type', 'req.hdr(host),host_only', 'req.hdr(host),port_only', 'req.hdr(accept-language),language(de;en;fr)',
  'str(abc),upper', 'str(ABC),lower', 'str(a.b.c),field(2,.)', 'str(a.b.c),field(-1,.)', 'str(a.b.c),field(5,.)',
  'str(a..b.c),word(2,.)', 'str(a..b.c),word(-1,.)', 'str(hello),regsub(l,L,g)', 'str(hello),regsub(l,L)',
  'str(hello),regsub(^he,EH)', 'str(hello),bytes(1,3)', 'str(hello),bytes(9)', 'str(xxabcxx),ltrim(x)',
  'str(xxabcxx),rtrim(x)', 'str(hello),length', 'str(abc),concat(-,,-)', 'int(5),add(3)', 'int(5),sub(8)', 'int(7),div(2)',
  'int(-7),div(2)', 'int(7),div(0)', 'int(-7),mod(3)', 'int(6),mul(7)', 'int(12),and(10)', 'int(12),or(3)', 'int(12),xor(5)',
  'int(5),neg', 'int(5),cpl', 'int(0),bool', 'int(3),not', 'int(3),odd', 'int(3),even', 'str(1234567890123),mul(1000000000)',
  'int(9223372036854775807),add(1)', 'int(-9223372036854775807),sub(10)', 'str(hello),crc32', 'str(hello),crc32(1)',
  'str(hello),crc32c', 'str(hello),djb2', 'str(hello),sdbm', 'str(hello),wt6', 'str(hello),wt6(1)', 'str(hello),xxh32',
  'str(hello),xxh32(1)', 'str(hello),xxh64', 'str(hello),xxh64(3)', 'str(hello),sha1,hex', 'str(hello),sha2,hex',
  'str(hello),sha2(512),hex', 'str(hello),base64', 'str(aGVsbG8=),b64dec', 'str(hello),hex', 'str(68656c),hex2i',
  'str(a%20b+c?d+e),url_dec', 'str(a b&c/d),url_enc', 'str(ab/c),json', 'ipv4(10.1.2.3),ipmask(16)', 'src,ipmask(24)',
  'src', 'str(10.9.8.7),ipmask(255.255.0.0)', 'str(ab:cd),field(2,:)', 'bool(true)', 'int(1),bool', 'str(abc),strcmp(txn.x)',
  `str(example.com),map(${hosts})`, `str(example.org),map(${hosts})`, `str(nope),map(${hosts},dflt)`, `str(nope),map(${hosts})`,
  `str(foo.example.com),map_dom(${hosts},nf)`, `str(/api/v1/x),map_beg(${hosts})`, `str(x/api),map_end(${hosts},none)`,
  `str(zz/api/v1/q),map_sub(${hosts},none)`, `int(42),map_int(${ints})`, `str(7),map_int(${ints})`, `str(10.1.2.3),map_ip(${ips})`,
  `str(10.2.2.3),map_ip(${ips})`, `src,map_ip(${ips},none)`, `str(/img/a.png),map_reg(${regs})`, `str(/api/v2),map_regm(${regs})`,
  `str(b),map_str_int(${nums},7)`, `str(zz),map_str_int(${nums},7)`, 'str(abc),iif(yes,no)', 'bool(false),iif(yes,no)', 'str(ab),cut_crlf',
  'str(3),be2hex', 'int(258),htonl,hex', 'str(Test),secure_memcmp(txn.x)',
].map((expr) => ({ expr, req: fullReq }));

const conds: OracleCase[] = [
  'hdr_end(host) -i io.test.tld', 'hdr_dom(host) -i io.test.tld', 'hdr_dom(host) -i test.tld', 'hdr_dom(host) test',
  'hdr_dom(host) tld:80', 'hdr_beg(host) -i IO.', 'hdr_sub(host) -i TEST', 'hdr(host) io.test.tld:80', 'hdr(host) -i IO.TEST.TLD:80',
  'url_sub bar', 'url_sub BAR', 'path_dir bar.html', 'path_dir ba', 'path_dir /foo/', 'path_end .html', 'path_reg ^/foo/[a-z.]+$',
  'path_len gt 3', 'path_len 4:10', 'path_len 20:', 'url_dom x=1', 'method GET', 'method get', 'method -i get', 'method -m str GET',
  'src 127.0.0.0/8', 'src 10.0.0.0/8', 'src 127.0.0.1', 'LOCALHOST', 'METH_GET', 'METH_POST', 'HTTP_1.1', 'HTTP_1.0', 'HTTP', 'TRUE',
  '!TRUE', 'FALSE || TRUE', 'FALSE or !TRUE', '{ always_false } or { always_true }', 'HTTP_URL_SLASH', 'HTTP_URL_ABS', 'HTTP_URL_STAR',
  'HTTP_CONTENT', '{ hdr(x-f) b }', '{ req.fhdr(x-f) b }', '{ req.fhdr(x-f) a, b }', '{ req.hdr(x-f,1) b }', '{ hdr_cnt(x-f) 3 }',
  '{ hdr_cnt(x-f) eq 2 }', 'hdr_val(x-n) ge 10', 'hdr_val(x-n) lt 17', '{ cook(a) 1 }', '{ cook(a) 5 }', '{ cook_cnt(a) eq 2 }',
  '{ urlp(y) 2 }', '{ urlp(z) 3 }', '{ url_param(x) -m found }', '{ url_param(zz) -m found }', '{ req.hdr(x-ip) -m ip 10.0.0.0/8 }',
  '{ hdr_ip(x-ip) 10.0.0.1 }', `{ path -f ${pats} }`, `{ path -m beg -f ${pats} }`, `{ path -m beg -f ${pats} /foo }`,
  `{ req.hdr(host),field(1,:) -M -f ${hosts} }`, '{ int(5) lt 6 }', '{ int(5) gt 5 }', '{ int(5) 1:5 }', '{ int(5) -m bool }',
  '{ int(0) -m bool }', '{ str(abc) -m len 3 }', '{ str(abc) -m sub b }', '{ str(abc) -m found }', '{ str() -m found }',
  '{ bin(414243) -m bin 414243 }', '{ str(a/b/c) -m dir b }', '{ str(www.x.com) -m dom x }', '{ str(abc) -m reg -i ^A }',
  '{ str(ABC) -i abc }', '{ str(abc) -m end bc }', '{ var(txn.none) -m found }', '{ int(5) eq 4 5 }', '{ int(5) le 4 }',
  '{ int(5) ge 4 }', '{ str(-5) -m int -- -5 }', '{ str(7) -m int -- -5 }', '{ src,ipmask(24) 127.0.0.0 }', '{ http_auth_user alice }', '{ str(x) -m str -- -x x }',
  '{ path -i /FOO/BAR.HTML }', '{ path_beg -i /FOO }', '{ path_end -i .HTML }', '{ url_beg / } !{ url_end .gif }',
].map((cond) => ({ cond: /^[A-Z!{]/.test(cond) ? cond : `{ ${cond} }`, req: fullReq }));

function ctxFor(c: OracleCase, i: number): SampleContext {
  const r = c.req ?? {};
  return {
    src: '127.0.0.1',
    dst: '127.0.0.1',
    frontend: { name: 'fe', id: 2 },
    req: {
      method: r.method ?? 'GET',
      uri: r.uri ?? '/',
      version: r.version ?? 'HTTP/1.1',
      headers: new ArrayHeaders([...requestHeaders(c, i), ['connection', 'close']]),
    },
  };
}

const skip = !haproxyAvailable() && 'haproxy is not on PATH';
let answers: string[] = [];
const all = [...exprs, ...conds];

before(async () => {
  if (skip) return;
  answers = await askHaproxy(all);
});

test('sample expressions and converters give what HAProxy 2.6 prints for them', { skip }, () => {
  const diffs: string[] = [];
  exprs.forEach((c, i) => {
    const env = newEnv();
    const mine = evalString(compileExpr(c.expr!, env), ctxFor(c, i)) ?? '';
    if (mine !== answers[i]) diffs.push(`${c.expr}: haproxy=${JSON.stringify(answers[i])} engine=${JSON.stringify(mine)}`);
  });
  assert.deepEqual(diffs, []);
});

test('conditions match exactly where HAProxy 2.6 matches them', { skip }, () => {
  const diffs: string[] = [];
  conds.forEach((c, k) => {
    const i = exprs.length + k;
    const acls = new ProxyAcls(undefined);
    const mine = compileCondText('if ' + c.cond, acls).eval(ctxFor(c, i)) ? '1' : '0';
    if (mine !== answers[i]) diffs.push(`${c.cond}: haproxy=${answers[i]} engine=${mine}`);
  });
  assert.deepEqual(diffs, []);
});
