/**
 * The stick-table building blocks, without sockets: HAProxy's period
 * frequency counters (the sliding window read over the previous and the
 * current period), table keys for each key type, and the way a full table
 * makes room (oldest expiration first, moved entries re-queued, a bounded
 * search).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreqCtr, freqAdd, freqRead } from '../../src/runtime/stick/freq.js';
import { parseTableLine, DT } from '../../src/runtime/stick/conf.js';
import { StickTable } from '../../src/runtime/stick/table.js';
import { Sample, T, parseIPv6 } from '../../src/acl/types.js';

const T0 = 1_000_000;

test('a rate counts every event of the current period', () => {
  const f = new FreqCtr();
  for (let i = 0; i < 4; i++) freqAdd(f, 1000, 1, T0 + i * 100);
  assert.equal(freqRead(f, 1000, T0 + 350), 4);
  assert.equal(freqRead(f, 1000, T0 + 999), 4);
});

test('a rate reads the share of the previous period still in the window, rounded down', () => {
  const f = new FreqCtr();
  for (let i = 0; i < 4; i++) freqAdd(f, 1000, 1, T0);
  // 250 ms into the next period: 4 x 750/1000
  assert.equal(freqRead(f, 1000, T0 + 1250), 3);
  assert.equal(freqRead(f, 1000, T0 + 1500), 2);
  assert.equal(freqRead(f, 1000, T0 + 1999), 0);
  assert.equal(freqRead(f, 1000, T0 + 2001), 0);
});

test('events of the current period add to the previous period share', () => {
  const f = new FreqCtr();
  for (let i = 0; i < 3; i++) freqAdd(f, 1000, 1, T0);
  freqAdd(f, 1000, 1, T0 + 1100);
  freqAdd(f, 1000, 1, T0 + 1100);
  // 2 + 3 x 600/1000 = 3.8
  assert.equal(freqRead(f, 1000, T0 + 1400), 3);
});

test('a single past event keeps reading 1 instead of flapping to 0', () => {
  const f = new FreqCtr();
  freqAdd(f, 1000, 1, T0);
  assert.equal(freqRead(f, 1000, T0 + 1500), 1);
  assert.equal(freqRead(f, 1000, T0 + 2100), 0);
});

test('a counter idle for more than a period starts afresh on an even date', () => {
  const f = new FreqCtr();
  freqAdd(f, 1000, 5, T0);
  freqAdd(f, 1000, 1, T0 + 2501);
  assert.equal(f.prev, 0);
  assert.equal(f.curr, 1);
  assert.equal(f.tick, T0 + 2500);
  assert.equal(freqRead(f, 1000, T0 + 2600), 1);
});

function table(line: string): StickTable {
  const r = parseTableLine(['stick-table', ...line.split(' ')], false);
  assert.ok(r.conf, JSON.stringify(r.alerts));
  return new StickTable('t', r.conf);
}

function smp(t: T, v: unknown): Sample {
  const s = new Sample();
  s.t = t;
  s.v = v;
  return s;
}

test('keys take the table type: addresses, 32-bit unsigned integers, cut strings, padded binaries', () => {
  assert.equal(table('type ip size 10').keyOfAddr('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(table('type ip size 10').keyOfAddr('2001:db8::1'), undefined);
  assert.equal(table('type ipv6 size 10').keyOfAddr('10.1.2.3'), '::ffff:10.1.2.3');
  assert.equal(table('type integer size 10').keyOf(smp(T.SINT, -1)), '4294967295');
  assert.equal(table('type integer size 10').keyOf(smp(T.STR, '12abc')), '12');
  assert.equal(table('type integer size 10').keyOf(smp(T.STR, '')), undefined);
  assert.equal(table('type string len 4 size 10').keyOf(smp(T.STR, 'abcdefg')), 'abcd');
  // without len a string key keeps 31 characters (a 32-byte key with its terminating zero)
  assert.equal(table('type string size 10').keyOf(smp(T.STR, 'x'.repeat(40)))!.length, 31);
  assert.equal(table('type binary len 4 size 10').keyOf(smp(T.BIN, Buffer.from([1, 2]))), '\x01\x02\x00\x00');
  assert.equal(table('type ipv6 size 10').keyOf(smp(T.IPV6, parseIPv6('::1'))), '::1');
});

test('the table line gives the data types with their periods and array sizes', () => {
  const t = table('type ip size 1k expire 30s store conn_rate(10s),gpc(3),gpc_rate(2,1m) store http_req_cnt nopurge');
  assert.equal(t.size, 1024);
  assert.equal(t.conf.expire, 30000);
  assert.equal(t.conf.nopurge, true);
  assert.equal(t.period[DT.CONN_RATE], 10000);
  assert.equal(t.nb[DT.GPC], 3);
  assert.equal(t.nb[DT.GPC_RATE], 2);
  assert.equal(t.period[DT.GPC_RATE], 60000);
  assert.ok(t.has(DT.HTTP_REQ_CNT));
  assert.ok(!t.has(DT.CONN_CUR));
});

test('a full table drops its oldest entry to make room', () => {
  const t = table('type string size 2');
  t.get('a', T0);
  t.get('b', T0 + 1);
  assert.ok(t.get('c', T0 + 2));
  assert.deepEqual([...t.entries.keys()].sort(), ['b', 'c']);
  assert.equal(t.used, 2);
});

test('an entry touched since it was queued is moved back, and the next oldest goes', () => {
  const t = table('type string size 2');
  const a = t.get('a', T0)!;
  t.get('b', T0 + 1);
  t.touch(a, T0 + 5);
  assert.ok(t.get('c', T0 + 6));
  assert.deepEqual([...t.entries.keys()].sort(), ['a', 'c']);
});

test('when every entry was touched the bounded search gives up and the new key is refused', () => {
  const t = table('type string size 2');
  const a = t.get('a', T0)!;
  const b = t.get('b', T0 + 1)!;
  t.touch(a, T0 + 5);
  t.touch(b, T0 + 6);
  assert.equal(t.get('c', T0 + 7), undefined);
  // the moves were done: now the oldest can go
  assert.ok(t.get('c', T0 + 8));
  assert.deepEqual([...t.entries.keys()].sort(), ['b', 'c']);
});

test('tracked entries are never dropped, and nopurge refuses new keys', () => {
  const t = table('type string size 2');
  t.get('a', T0)!.ref = 1;
  t.get('b', T0)!.ref = 1;
  assert.equal(t.get('c', T0), undefined);
  const n = table('type string size 1 nopurge');
  n.get('a', T0);
  assert.equal(n.get('b', T0), undefined);
  assert.deepEqual([...n.entries.keys()], ['a']);
});

test('a new entry counts before it is stored and goes back when it is not', () => {
  const t = table('type string size 4');
  const e = t.newEntry('x', T0)!;
  assert.equal(t.used, 1);
  assert.equal(t.lookup('x'), undefined);
  t.free(e);
  assert.equal(t.used, 0);
  const e2 = t.newEntry('y', T0)!;
  assert.equal(t.setEntry(e2), e2);
  assert.equal(t.lookup('y'), e2);
});

test('show table prints the data types in HAProxy order, arrays element by element', () => {
  const t = table('type ip size 10 store gpc(2),http_req_rate(10s),gpt0,conn_cnt');
  const e = t.get('10.0.0.1', T0)!;
  t.inc(e, DT.CONN_CNT, 3);
  t.inc(e, DT.GPC, 1, 1);
  t.rate(e, DT.HTTP_REQ_RATE, 2, T0);
  assert.equal(t.dumpEntry(e, T0), 'key=10.0.0.1 use=0 exp=0 gpt0=0 conn_cnt=3 http_req_rate(10000)=2 gpc0=0 gpc1=1');
  assert.equal(t.header(), '# table: t, type: ip, size:10, used:1\n');
});
