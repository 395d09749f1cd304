/** Balancing algorithms: what the recorded sequences do not cover (registry, parsing, random draws, keys). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LbServer } from '../../src/runtime/api.js';
import { assignServerIds, createLb, parseHashType, registeredNames, splitAlgo } from '../../src/runtime/lb/index.js';
import { addressBytes } from '../../src/runtime/lb/source.js';
import { rdpCookie } from '../../src/runtime/lb/rdp-cookie.js';
import { uriPath } from '../../src/runtime/lb/uri.js';
import { findParam } from '../../src/runtime/lb/url-param.js';

function servers(weights: number[], extra: Partial<LbServer> = {}): (LbServer & { eweight: number })[] {
  return weights.map((w, i) => ({ name: `s${i + 1}`, id: i + 1, weight: w, eweight: w, backup: false, up: true, cur: 0, maxconn: 0, queued: 0, ...extra }));
}

const bal = (algo: string, ...args: string[]) => ({ algo, args, file: 't', line: 1 });

test('every HAProxy 2.6 algorithm has a registered row', () => {
  const names = registeredNames().sort();
  for (const n of ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param', 'hdr', 'random', 'rdp-cookie', 'hash']) {
    assert.ok(names.includes(n), n);
  }
});

test('no balance line means roundrobin', () => {
  const ss = servers([1, 3]);
  const lb = createLb(undefined, undefined, ss);
  assert.deepEqual(
    Array.from({ length: 4 }, () => lb.pick({ src: '127.0.0.1' })!.name),
    ['s2', 's2', 's2', 's1'],
  );
});

test('layer 7 algorithms fall back to roundrobin in a tcp backend', () => {
  const lb = createLb(bal('uri'), undefined, servers([1, 1]), { mode: 'tcp' });
  assert.deepEqual([lb.pick({ src: '1.2.3.4' })!.name, lb.pick({ src: '1.2.3.4' })!.name], ['s1', 's2']);
});

test('hash-type defaults: map-based sdbm, consistent adds avalanche unless a function is named', () => {
  assert.deepEqual(parseHashType(undefined), { consistent: false, fn: 'sdbm', avalanche: false });
  assert.deepEqual(parseHashType(['consistent']), { consistent: true, fn: 'sdbm', avalanche: true });
  assert.deepEqual(parseHashType(['consistent', 'djb2']), { consistent: true, fn: 'djb2', avalanche: false });
  assert.deepEqual(parseHashType(['map-based', 'crc32', 'avalanche']), { consistent: false, fn: 'crc32', avalanche: true });
});

test('algorithm names split into name and parameter', () => {
  assert.deepEqual(splitAlgo('hdr(Host)'), { name: 'hdr', param: 'Host' });
  assert.deepEqual(splitAlgo('random(3)'), { name: 'random', param: '3' });
  assert.deepEqual(splitAlgo('rdp-cookie'), { name: 'rdp-cookie' });
});

test('server ids follow HAProxy: a counter passes every server, free ids fill the gaps', () => {
  assert.deepEqual(assignServerIds([undefined, undefined, undefined, 12, undefined]), [1, 2, 3, 12, 5]);
  assert.deepEqual(assignServerIds([2, undefined, undefined, 1, undefined]), [2, 3, 4, 1, 6]);
});

test('random with several draws keeps the least loaded server per unit of weight', () => {
  const ss = servers([1, 1]);
  // find ring points owned by each server, then feed them as the "random" draws
  const probe = createLb(bal('hdr(x)'), ['consistent', 'sdbm'], ss);
  const owner = (h: number) => (probe as unknown as { table: { pickHash(h: number): LbServer } }).table.pickHash(h).name;
  let p1 = -1;
  let p2 = -1;
  for (let h = 0; h < 0xffffffff && (p1 < 0 || p2 < 0); h += 0x01000193) {
    if (owner(h) === 's1' && p1 < 0) p1 = h;
    if (owner(h) === 's2' && p2 < 0) p2 = h;
  }
  const draws = [p1, p2];
  let i = 0;
  const lb = createLb(bal('random(2)'), undefined, ss, { random32: () => draws[i++ % 2] });
  ss[0].cur = 3;
  ss[1].cur = 1;
  assert.equal(lb.pick({ src: '' })!.name, 's2');
  ss[0].cur = 0;
  assert.equal(lb.pick({ src: '' })!.name, 's1');
  // one draw: whatever the ring says, load ignored
  i = 0;
  const one = createLb(bal('random(1)'), undefined, ss, { random32: () => draws[i++ % 2] });
  ss[0].cur = 9;
  assert.equal(one.pick({ src: '' })!.name, 's1');
});

test('random returns no server when the drawn one is full, so the stream queues on the backend', () => {
  const ss = servers([1], { maxconn: 1 });
  const lb = createLb(bal('random'), undefined, ss);
  ss[0].cur = 1;
  assert.equal(lb.pick({ src: '' }), null);
});

test('source hashing reads IPv4 as one word and IPv6 as four XORed words', () => {
  assert.deepEqual([...addressBytes('10.0.0.1')!], [10, 0, 0, 1]);
  assert.deepEqual([...addressBytes('::ffff:10.0.0.1')!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1]);
  assert.deepEqual([...addressBytes('2001:db8::1')!].slice(0, 4), [0x20, 0x01, 0x0d, 0xb8]);
  assert.equal(addressBytes('/run/haproxy.sock'), undefined);
  // map-based, no avalanche: the address itself modulo the total weight
  const ss = servers([1, 1, 1]);
  const lb = createLb(bal('source'), undefined, ss);
  assert.equal(lb.pick({ src: '0.0.0.4' })!.name, 's2');
  assert.equal(lb.pick({ src: '0.0.0.5' })!.name, 's3');
  // words XORed: 1 ^ 0 ^ 0 ^ 3 = 2
  assert.equal(lb.pick({ src: '0:1::3' })!.name, 's3');
  // no address family: no server at all (HAProxy's internal error)
  assert.equal(lb.pick({ src: '' }), null);
});

test('the RDP cookie is read after the 11 bytes of TPKT and X.224 headers', () => {
  const req = Buffer.concat([Buffer.alloc(11), Buffer.from('Cookie: mstshash=alice\r\n'), Buffer.from([1, 0, 8, 0])]);
  const v = rdpCookie(req, 'mstshash');
  assert.ok(Array.isArray(v));
  assert.equal(req.subarray(v[0], v[1]).toString(), 'alice');
  assert.equal(rdpCookie(req, 'MSTSHASH') !== null, true);
  assert.equal(rdpCookie(req, 'other'), null);
  assert.equal(rdpCookie(req.subarray(0, 20), 'mstshash'), 'short');
});

test('uri path-only drops scheme and authority', () => {
  assert.equal(uriPath('http://h.example/a/b?c'), '/a/b?c');
  assert.equal(uriPath('/a'), '/a');
  assert.equal(uriPath('h.example:443'), '');
  assert.equal(uriPath('http://h.example'), '');
  assert.equal(uriPath('*'), '');
});

test('url_param matches a whole parameter name, case-sensitively', () => {
  const b = Buffer.from('a=1&uidx=2&uid=33&z');
  const v = findParam(b, 0, b.length, Buffer.from('uid'), false);
  assert.ok(v);
  assert.equal(b.subarray(v[0], v[1]).toString(), '33');
  assert.equal(findParam(b, 0, b.length, Buffer.from('UID'), false), null);
});

test('update without argument applies every server change in declaration order', () => {
  const ss = servers([1, 1, 1]);
  const lb = createLb(bal('roundrobin'), undefined, ss);
  ss[0].up = false;
  ss[1].eweight = 0;
  lb.update();
  assert.deepEqual([lb.pick({ src: '' })!.name, lb.pick({ src: '' })!.name], ['s3', 's3']);
  ss[0].up = true;
  lb.update(ss[0]);
  const seen = new Set(Array.from({ length: 4 }, () => lb.pick({ src: '' })!.name));
  assert.deepEqual([...seen].sort(), ['s1', 's3']);
});

test('no usable server: every algorithm returns null and says none is available', () => {
  for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param', 'hdr(x)', 'random', 'rdp-cookie', 'hash']) {
    const ss = servers([1, 2]);
    const lb = createLb(bal(algo, ...(algo === 'url_param' ? ['id'] : algo === 'hash' ? ['src'] : [])), undefined, ss);
    assert.equal(lb.available?.(), true, algo);
    for (const s of ss) s.up = false;
    lb.update();
    assert.equal(lb.pick({ src: '1.2.3.4', uri: '/?id=1', header: () => 'v' }), null, algo);
    assert.equal(lb.available?.(), false, algo);
  }
});

test('an avoided server is only returned when nothing else can take the stream', () => {
  for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'first']) {
    const ss = servers([1, 1]);
    const lb = createLb(bal(algo), undefined, ss);
    for (let i = 0; i < 4; i++) assert.equal(lb.pick({ src: '' }, ss[0])!.name, 's2', algo);
    ss[1].up = false;
    lb.update(ss[1]);
    assert.equal(lb.pick({ src: '' }, ss[0])!.name, 's1', algo);
  }
});
