/**
 * Stick tables in HTTP mode, tshaproxy against HAProxy 2.6 with the same
 * configuration and the same requests: rate limiting by http_req_rate,
 * what each kind of answer counts (denies, auth, tarpit, server 4xx/5xx,
 * 502/504, HAProxy's 400/408), session and stream tracking over keep-alive,
 * general purpose counters and tags, table_* converters, and stickiness
 * learnt from requests. Table contents are read with `show table` on the
 * stats socket.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { HttpBackends, freePorts, get, requests, run, showTable, subjects, withTimeout, type Running, type Subject } from './lib.js';

const backends = new HttpBackends();
let S1 = 0;
let S2 = 0;
let HANG = 0;

interface Ports {
  limit: number;
  track: number;
  errors: number;
  timeouts: number;
  stick: number;
  learn: number;
}

const config = (p: Ports) => (sock: string) => `
global
    stats socket ${sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
userlist L
    user bob insecure-password secret

frontend limit
    bind 127.0.0.1:${p.limit}
    stick-table type ip size 100 expire 30s store http_req_rate(10s),http_req_cnt,http_err_cnt,conn_cnt,conn_cur
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 3 }
    default_backend be

frontend track
    bind 127.0.0.1:${p.track}
    stick-table type ip size 100 expire 30s store http_req_cnt,conn_cnt,conn_cur,sess_cnt,sess_rate(10s),gpc0,gpc1,gpt0,bytes_in_cnt,bytes_out_cnt
    tcp-request connection track-sc1 src
    http-request track-sc0 src table aux
    # sc1 is tracked by the connection already: this one does nothing
    http-request track-sc1 src table aux
    http-request sc-inc-gpc0(1) if { path /inc }
    http-request sc-inc-gpc(2,1) if { path /inc }
    http-request sc-set-gpt0(1) 42 if { path /gpt }
    http-request sc-set-gpt0(1) req.hdr(x-v) if { path /gptx }
    http-request set-header x-c0 %[sc0_http_req_cnt]/%[sc0_conn_cnt]/%[sc_conn_cur(0)]/%[sc0_trackers]/%[sc0_tracked]/%[sc2_tracked]
    http-request set-header x-c1 %[sc1_http_req_cnt]/%[sc1_conn_cnt]/%[sc_conn_cur(1)]/%[sc1_sess_cnt]/%[sc1_get_gpt0]/%[sc_get_gpc(2,1)]
    http-request set-header x-g %[sc1_get_gpc0]/%[sc1_inc_gpc1]/%[src_get_gpc0]/%[src_conn_cnt(aux)]/%[sc0_get_gpc0]/%[sc1_conn_cnt(aux)]/%[src_http_req_cnt(nosuch_in_aux)]
    http-request return status 200 hdr x-c0 %[req.hdr(x-c0)] hdr x-c1 %[req.hdr(x-c1)] hdr x-g %[req.hdr(x-g)] if { path_beg /r }
    default_backend be
backend aux
    stick-table type ip size 100 expire 30s store http_req_cnt,conn_cnt,conn_cur,gpc0
backend nosuch_in_aux
    stick-table type ip size 100 expire 30s store http_req_cnt

frontend errors
    bind 127.0.0.1:${p.errors}
    stick-table type ip size 100 expire 30s store http_req_cnt,http_err_cnt,http_err_rate(10s),http_fail_cnt,http_fail_rate(10s),conn_cnt
    tcp-request session track-sc0 src
    tcp-request content track-sc1 src table errs2
    http-request auth if { path /auth } !{ http_auth(L) }
    http-request redirect location /x if { path /redir }
    http-request return status 404 if { path /ret404 }
    http-request tarpit if { path /tarpit }
    http-request deny if { path /deny }
    default_backend be
backend errs2
    stick-table type ip size 100 expire 30s store http_req_cnt,http_err_cnt,http_fail_cnt,conn_cnt

frontend timeouts
    bind 127.0.0.1:${p.timeouts}
    timeout http-request 300ms
    stick-table type ip size 100 expire 30s store http_req_cnt,http_err_cnt,http_fail_cnt
    tcp-request connection track-sc0 src
    default_backend slow
backend slow
    timeout server 300ms
    server h 127.0.0.1:${HANG}

frontend stick
    bind 127.0.0.1:${p.stick}
    default_backend rr
backend rr
    balance roundrobin
    stick-table type string len 8 size 10 expire 30s
    stick match req.hdr(x-id)
    stick store-request req.hdr(x-id)
    http-request set-var(txn.id) req.hdr(x-id)
    http-response set-header x-tbl %[var(txn.id),table_server_id(rr)]/%[var(txn.id),in_table(rr)]/%[var(txn.id),table_trackers(rr)]/%[table_cnt]/%[table_avl(rr)]/%[str(zz),table_expire(rr,-1)]
    server s1 127.0.0.1:${S1}
    server s2 127.0.0.1:${S2}

frontend learn
    bind 127.0.0.1:${p.learn}
    default_backend lrn
backend lrn
    balance roundrobin
    stick-table type string len 8 size 10 expire 30s store http_req_cnt,http_err_cnt
    stick match req.hdr(x-want)
    stick store-response res.hdr(x-srv)
    http-response track-sc2 res.hdr(x-srv)
    http-response set-header x-t %[sc2_http_req_cnt]/%[sc2_http_err_cnt]/%[sc2_trackers]/%[str(nope),table_idle(lrn,7)]/%[str(s1),table_http_req_cnt(lrn)]
    server s1 127.0.0.1:${S1}
    server s2 127.0.0.1:${S2}

backend be
    server s1 127.0.0.1:${S1}
`;

/** everything a subject showed */
interface Seen {
  limit: number[];
  limitTable: string;
  track: string[];
  trackTables: string[];
  errors: string;
  errors2: string;
  timeouts: string;
  stick: string[];
  stickTable: string;
  learn: string[];
  learnTable: string;
}

const seen = new Map<Subject, Seen>();

/** a request that stops half-way, then waits: HAProxy's 408 comes after `timeout http-request` */
function partial(port: number, data: string, waitMs: number): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      let got = '';
      c.on('connect', () => c.write(data));
      c.on('data', (d) => (got += d.toString('latin1')));
      c.on('error', () => {});
      c.on('close', () => resolve(got.split('\r\n')[0]));
      setTimeout(() => c.destroy(), waitMs);
    }),
    waitMs + 2000,
    'partial request',
  );
}

async function observe(name: Subject): Promise<Seen> {
  const [limit, track, errors, timeouts, stick, learn] = await freePorts(6);
  const p: Ports = { limit, track, errors, timeouts, stick, learn };
  let r: Running | undefined;
  try {
    r = await run(name, config(p), [limit, track, errors, timeouts, stick, learn]);
    const s = {} as Seen;
    s.limit = [];
    for (let i = 0; i < 10; i++) s.limit.push((await get(limit, '/')).status);
    s.limitTable = await showTable(r.sock, 'limit');

    s.track = [];
    const hdr = (x: { headers: Record<string, string> }) => `${x.headers['x-c0']} ${x.headers['x-c1']} ${x.headers['x-g']}`;
    // only /r answers show the headers (the others go to the server)
    for (const x of await requests(track, ['/r', '/inc', '/gpt', '/r'])) if (x.headers['x-c0']) s.track.push(hdr(x));
    for (const x of await requests(track, ['/r'])) s.track.push(hdr(x));
    await get(track, '/gptx', { 'x-v': '-5' });
    s.track.push(hdr(await get(track, '/r')));
    s.trackTables = [await showTable(r.sock, 'track'), await showTable(r.sock, 'aux')];

    for (const path of ['/auth', '/redir', '/ret404', '/tarpit', '/deny', '/s/404', '/s/500', '/s/501', '/s/503', '/']) await get(errors, path);
    await partial(errors, 'GET / HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n', 1000);
    s.errors = await showTable(r.sock, 'errors');
    s.errors2 = await showTable(r.sock, 'errs2');

    await get(timeouts, '/hang');
    await partial(timeouts, 'GET / HTTP/1.1\r\n', 1000);
    s.timeouts = await showTable(r.sock, 'timeouts');

    s.stick = [];
    for (const id of ['aaa', 'bbb', 'aaa', 'bbb', 'ccc', 'aaa', 'longerthan8', 'longerth']) {
      const x = await get(stick, '/', { 'x-id': id });
      s.stick.push(`${id} ${x.headers['x-srv']} ${x.headers['x-tbl']?.replace(/\/(29\d{3}|30000)\//, '/E/')}`);
    }
    s.stickTable = await showTable(r.sock, 'rr');

    s.learn = [];
    for (const [path, want] of [['/', ''], ['/', ''], ['/s/404', 's2'], ['/', 's1'], ['/s/404', 's1'], ['/', 'zz']]) {
      const x = await get(learn, path, want ? { 'x-want': want } : {});
      s.learn.push(`${x.status} ${x.headers['x-srv']} ${x.headers['x-t']}`);
    }
    s.learnTable = await showTable(r.sock, 'lrn');
    return s;
  } finally {
    await r?.stop();
  }
}

before(async () => {
  [S1, S2, HANG] = await freePorts(3);
  await backends.add('s1', S1);
  await backends.add('s2', S2);
  await backends.add('hang', HANG);
  for (const name of subjects()) seen.set(name, await observe(name));
});

after(() => backends.close());

const ts = () => seen.get('tshaproxy')!;

function sameAsHaproxy(key: keyof Seen): void {
  const h = seen.get('haproxy');
  if (h) assert.deepEqual(ts()[key], h[key]);
}

test('http-request track-sc0 with a deny above 3 requests per 10s lets the first 3 requests through', () => {
  assert.deepEqual(ts().limit, [200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
  assert.match(ts().limitTable, /key=127\.0\.0\.1 use=0 conn_cnt=10 conn_cur=0 http_req_cnt=10 http_req_rate\(10000\)=10 http_err_cnt=7\n/);
  sameAsHaproxy('limit');
  sameAsHaproxy('limitTable');
});

test('connection-level counters last the connection, http-request ones each request, and requests count before the rules', () => {
  // sc0 (http-request, table aux): req/conn counts, conn_cur, trackers, tracked; sc1 (tcp-request connection):
  // req, conn, conn_cur, sess, gpt0, gpc(2) not stored; then gpc0, inc gpc1, src_*, another table's counters
  assert.deepEqual(ts().track, [
    '1/1/1/1/1/0 1/1/1/1/0/ 0/1/0/1/0/1/0',
    '4/4/1/1/1/0 4/1/1/1/42/ 1/4/1/4/0/4/0',
    '5/5/1/1/1/0 5/2/1/2/42/ 1/5/1/5/0/5/0',
    '7/7/1/1/1/0 7/4/1/4/4294967291/ 1/7/1/7/0/7/0',
  ]);
  assert.match(ts().trackTables[0], /gpt0=4294967291 gpc0=1 conn_cnt=4 conn_cur=0 sess_cnt=4 sess_rate\(10000\)=4 http_req_cnt=7 bytes_in_cnt=\d+ bytes_out_cnt=\d+ gpc1=7\n/);
  assert.match(ts().trackTables[1], /gpc0=0 conn_cnt=7 conn_cur=0 http_req_cnt=7\n/);
  sameAsHaproxy('track');
  sameAsHaproxy('trackTables');
});

test('denies, tarpits, failed authentications, 400 and server 4xx count as errors; server 5xx but 501/505 as failures', () => {
  assert.match(ts().errors, /conn_cnt=11 http_req_cnt=11 http_err_cnt=5 http_err_rate\(10000\)=5 http_fail_cnt=2 http_fail_rate\(10000\)=2\n/);
  // content-level tracking never sees a request the HTTP layer refused
  assert.match(ts().errors2, /conn_cnt=10 http_req_cnt=10 http_err_cnt=4 http_fail_cnt=2/);
  sameAsHaproxy('errors');
  sameAsHaproxy('errors2');
});

test('a server timeout (504) is a failure, an incomplete request timing out (408) a request only', () => {
  assert.match(ts().timeouts, /http_req_cnt=2 http_err_cnt=0 http_fail_cnt=1/);
  sameAsHaproxy('timeouts');
});

test('stick match / store-request keep each id on the server that first served it, keys cut to the table length', () => {
  const srv = ts().stick.map((l) => l.split(' ').slice(0, 2).join(' '));
  assert.deepEqual(srv, ['aaa s1', 'bbb s2', 'aaa s1', 'bbb s2', 'ccc s1', 'aaa s1', 'longerthan8 s2', 'longerth s2']);
  sameAsHaproxy('stick');
  sameAsHaproxy('stickTable');
});

test('stick store-response learns from the response, http-response track-sc counts the request and its 4xx', () => {
  assert.deepEqual(ts().learn, ['200 s1 1/0/1/7/1', '200 s2 1/0/1/7/1', '404 s2 2/1/1/7/1', '200 s1 2/0/1/7/2', '404 s1 3/1/1/7/3', '200 s1 4/1/1/7/4']);
  assert.match(ts().learnTable, /used:2\nkey=s1 use=0 server_id=1 http_req_cnt=4 http_err_cnt=1 server_key=s1\nkey=s2 use=0 server_id=2 http_req_cnt=2 http_err_cnt=1 server_key=s2\n/);
  sameAsHaproxy('learn');
  sameAsHaproxy('learnTable');
});
