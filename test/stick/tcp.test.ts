/**
 * Stick tables in tcp mode, tshaproxy against HAProxy 2.6 with the same
 * configuration and the same connections: concurrent connection limits
 * with src_conn_cur, stickiness on the client address across roundrobin,
 * entries expiring (and staying while tracked), content tracking on the
 * payload with its byte counts, and a full table dropping its oldest entry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpBackends, freePorts, run, showTable, sleep, subjects, tcpClient, type Running, type Subject } from './lib.js';

const backends = new HttpBackends();
let A = 0;
let B = 0;

interface Ports {
  limit: number;
  stick: number;
  exp1: number;
  exp2: number;
  payload: number;
  lru: number;
}

const config = (p: Ports) => (sock: string) => `
global
    stats socket ${sock} level admin
defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s

listen limit
    bind 127.0.0.1:${p.limit}
    stick-table type ip size 100 expire 30s store conn_cur,conn_cnt,conn_rate(3s)
    tcp-request connection track-sc0 src
    tcp-request connection reject if { src_conn_cur ge 2 }
    server a 127.0.0.1:${A}

listen stick
    bind 127.0.0.1:${p.stick}
    balance roundrobin
    stick-table type ip size 100 expire 30s
    stick on src
    server a 127.0.0.1:${A}
    server b 127.0.0.1:${B}

listen exp1
    bind 127.0.0.1:${p.exp1}
    stick-table type ip size 100 expire 1s store conn_cnt
    tcp-request connection track-sc0 src
    server a 127.0.0.1:${A}

listen exp2
    bind 127.0.0.1:${p.exp2}
    stick-table type ip size 100 expire 1s store conn_cur
    tcp-request connection track-sc0 src
    server a 127.0.0.1:${A}

listen payload
    bind 127.0.0.1:${p.payload}
    stick-table type string len 5 size 100 expire 30s store bytes_in_cnt,bytes_out_cnt,conn_cnt,conn_cur,sess_cnt
    tcp-request inspect-delay 500ms
    tcp-request content track-sc0 req.payload(0,5)
    server a 127.0.0.1:${A}

listen lru
    bind 127.0.0.1:${p.lru}
    stick-table type string len 3 size 2 expire 30s store conn_cnt
    tcp-request inspect-delay 500ms
    tcp-request content track-sc0 req.payload(0,3)
    server a 127.0.0.1:${A}
`;

interface Seen {
  limit: { data: string; reset: boolean }[];
  limitHeld: string;
  limitAfter: string;
  stick: string[];
  stickTable: string;
  expHeld: string[];
  expClosed: string[];
  expLater: string;
  payloadHeld: string;
  payloadAfter: string;
  lru: string;
}

const seen = new Map<Subject, Seen>();

async function observe(name: Subject): Promise<Seen> {
  const [limit, stick, exp1, exp2, payload, lru] = await freePorts(6);
  const p: Ports = { limit, stick, exp1, exp2, payload, lru };
  let r: Running | undefined;
  try {
    r = await run(name, config(p), Object.values(p));
    const s = {} as Seen;
    // four connections 100 ms apart, each held 1 s: the first stays, the others find 2 with themselves
    const conns: Promise<{ data: string; reset: boolean }>[] = [];
    for (let i = 0; i < 4; i++) {
      conns.push(tcpClient(limit, ['hello'], 900));
      await sleep(100);
    }
    await sleep(200);
    s.limitHeld = await showTable(r.sock, 'limit');
    s.limit = (await Promise.all(conns)).map((c) => ({ data: c.data, reset: c.reset }));
    await sleep(100);
    s.limitAfter = await showTable(r.sock, 'limit');

    s.stick = [];
    for (let i = 0; i < 4; i++) s.stick.push((await tcpClient(stick, ['hello'], 100)).data);
    s.stickTable = await showTable(r.sock, 'stick');

    // held past the expiration: kept while tracked; then gone at once (exp1) or 1 s after the last update (exp2)
    const held = [tcpClient(exp1, [], 1400), tcpClient(exp2, [], 1400)];
    await sleep(1200);
    s.expHeld = [await showTable(r.sock, 'exp1'), await showTable(r.sock, 'exp2')];
    await Promise.all(held);
    await sleep(200);
    s.expClosed = [await showTable(r.sock, 'exp1'), await showTable(r.sock, 'exp2')];
    await sleep(1100);
    s.expLater = await showTable(r.sock, 'exp2');

    // the key comes in two parts: the rules wait for it; bytes count when the stream ends
    await tcpClient(payload, ['hello', ' world bye'], 200, 150);
    const live = tcpClient(payload, ['he', 'llo'], 600, 150);
    await sleep(400);
    s.payloadHeld = await showTable(r.sock, 'payload');
    await live;
    await sleep(100);
    s.payloadAfter = await showTable(r.sock, 'payload');

    for (const k of ['aaa', 'bbb', 'ccc']) await tcpClient(lru, [k], 50);
    await sleep(100);
    s.lru = await showTable(r.sock, 'lru');
    return s;
  } finally {
    await r?.stop();
  }
}

before(async () => {
  [A, B] = await freePorts(2);
  await backends.tcp('A', A);
  await backends.tcp('B', B);
  for (const name of subjects()) seen.set(name, await observe(name));
});

after(() => backends.close());

const ts = () => seen.get('tshaproxy')!;

function sameAsHaproxy(key: keyof Seen): void {
  const h = seen.get('haproxy');
  if (h) assert.deepEqual(ts()[key], h[key]);
}

test('tcp-request connection reject on src_conn_cur ge 2 keeps one connection per client: the rejected ones count too', () => {
  assert.deepEqual(
    ts().limit.map((c) => c.data),
    ['A\n', '', '', ''],
  );
  assert.match(ts().limitHeld, /use=1 conn_cnt=4 conn_rate\(3000\)=4 conn_cur=1\n/);
  assert.match(ts().limitAfter, /use=0 conn_cnt=4 conn_rate\(3000\)=4 conn_cur=0\n/);
  const h = seen.get('haproxy');
  if (h) assert.deepEqual(ts().limit.map((c) => c.data), h.limit.map((c) => c.data));
  sameAsHaproxy('limitHeld');
  sameAsHaproxy('limitAfter');
});

test('stick on src keeps a client on the server of its first connection despite roundrobin', () => {
  assert.deepEqual(ts().stick, ['A\n', 'A\n', 'A\n', 'A\n']);
  assert.match(ts().stickTable, /key=127\.0\.0\.1 use=0 server_id=1 server_key=a\n/);
  sameAsHaproxy('stick');
  sameAsHaproxy('stickTable');
});

test('an expired entry stays while tracked, then goes when released unless the release updated it', () => {
  assert.match(ts().expHeld[0], /used:1\nkey=127\.0\.0\.1 use=1 conn_cnt=1\n/);
  assert.match(ts().expHeld[1], /used:1\nkey=127\.0\.0\.1 use=1 conn_cur=1\n/);
  assert.match(ts().expClosed[0], /used:0\n\n$/);
  assert.match(ts().expClosed[1], /used:1\nkey=127\.0\.0\.1 use=0 conn_cur=0\n/);
  assert.match(ts().expLater, /used:0\n\n$/);
  sameAsHaproxy('expHeld');
  sameAsHaproxy('expClosed');
  sameAsHaproxy('expLater');
});

test('tcp-request content tracking waits for its key; tcp bytes count when the stream ends', () => {
  assert.match(ts().payloadHeld, /key=hello use=1 conn_cnt=2 conn_cur=1 sess_cnt=0 bytes_in_cnt=15 bytes_out_cnt=4\n/);
  assert.match(ts().payloadAfter, /key=hello use=0 conn_cnt=2 conn_cur=0 sess_cnt=0 bytes_in_cnt=20 bytes_out_cnt=6\n/);
  sameAsHaproxy('payloadHeld');
  sameAsHaproxy('payloadAfter');
});

test('a full table drops the entry updated longest ago', () => {
  assert.match(ts().lru, /used:2\nkey=bbb use=0 conn_cnt=1\nkey=ccc use=0 conn_cnt=1\n/);
  sameAsHaproxy('lru');
});
