/**
 * Counters, the CSV export and the HTML stats page. The same requests go
 * through tshaproxy and (when installed) HAProxy 2.6; `show stat` and the
 * pages must then agree on every field that does not depend on timing.
 * The stats responses' heads, the 401 challenge and the admin redirect are
 * checked against bytes recorded from HAProxy 2.6.12.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type net from 'node:net';
import { projectRoot } from '../harness/runner.js';
import { HAPROXY, cli, closeServer, dechunk, freePorts, http, origin, sleep, startProxy, subjects, type Proxy, type Who } from './lib.js';
import { CSV_HEADER, FIELD_NAMES } from '../../src/runtime/stats/fields.js';

const FIX = join(projectRoot, 'test', 'fixtures', 'stats');
const fix = (f: string) => readFileSync(join(FIX, f), 'latin1');

const cfg = (sock: string, p: number[]) => `global
    stats socket ${sock} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 2s

frontend fe_http
    bind 127.0.0.1:${p[0]}
    http-request deny if { path /deny }
    use_backend be_empty if { path /empty }
    default_backend be_app

backend be_app
    server s1 127.0.0.1:${p[1]} check inter 2s
    server s2 127.0.0.1:${p[1]} weight 50

backend be_empty

frontend fe_tcp
    mode tcp
    bind 127.0.0.1:${p[2]}
    default_backend be_tcp

backend be_tcp
    mode tcp
    server t1 127.0.0.1:${p[1]}

listen stats
    bind 127.0.0.1:${p[3]}
    stats enable
    stats uri /stats
    stats refresh 10s
    stats auth admin:secret
    stats admin if TRUE

listen stats_open
    bind 127.0.0.1:${p[4]}
    stats enable
    stats uri /
    stats http-request deny if { src 10.0.0.0/8 }
`;

const AUTH = 'Authorization: Basic YWRtaW46c2VjcmV0\r\n';
const close = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;

/** the traffic both proxies see before their counters are compared */
async function traffic(p: number[]): Promise<void> {
  await http(p[0], close('/'));
  await http(p[0], close('/deny'));
  await http(p[0], close('/empty'));
  await http(p[0], close('/nf'));
  await http(p[0], 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await http(p[0], 'GARBAGE\r\n\r\n');
  await http(p[2], 'GET / HTTP/1.0\r\n\r\n');
  await sleep(200);
}

/** fields that depend on timing or on idle-connection pooling */
const VOLATILE = new Set([
  'lastchg', 'lastsess', 'rate', 'rate_max', 'req_rate', 'req_rate_max', 'conn_rate', 'conn_rate_max', 'qtime', 'ctime', 'rtime', 'ttime',
  'qtime_max', 'ctime_max', 'rtime_max', 'ttime_max', 'check_duration', 'smax', 'srv_icur', 'idle_conn_cur', 'safe_conn_cur',
  'need_conn_est', 'connect', 'reuse', 'h1_open_connections', 'h1_bytes_in', 'h1_bytes_out', 'h1_total_connections', 'downtime',
]);

function rows(csv: string, port: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of csv.split('\n').slice(1)) {
    if (!line) continue;
    const f = line.split(String(port)).join('PORT').split(',');
    m.set(`${f[0]}/${f[1]}`, f);
  }
  return m;
}

describe('stats page and counters on tshaproxy, against bytes recorded from HAProxy 2.6', () => {
  let px: Proxy;
  let org: net.Server;
  let ports: number[];
  before(async () => {
    ports = await freePorts(5);
    org = await origin(ports[1]);
    px = await startProxy('tshaproxy', cfg, ports, [ports[0], ports[3], ports[4]]);
  });
  after(async () => {
    await px?.stop();
    if (org) await closeServer(org);
  });

  it('the CSV header is HAProxy 2.6\'s, 103 fields then the module fields', () => {
    assert.equal(CSV_HEADER, fix('csv_header_2.6.txt'));
    assert.equal(FIELD_NAMES.length, 103);
  });

  it('stats auth answers 401 with the default realm "HAProxy Statistics" without credentials', async () => {
    const r = await http(ports[3], close('/stats'));
    assert.equal(r.replace('connection: close\r\n', ''), fix('stats_auth_401_headers.txt') + fix('stats_auth_401_body.bin'));
  });

  it(';csv answers 200 text/plain, chunked, no-cache; the page adds refresh with stats refresh', async () => {
    const csv = await http(ports[3], close('/stats;csv;norefresh', AUTH));
    const head = csv.slice(0, csv.indexOf('\r\n\r\n') + 4);
    assert.equal(head.replace('connection: close\r\n', ''), fix('http_csv_response_headers.txt'));
    assert.ok(dechunk(csv).startsWith(fix('csv_header_2.6.txt')));
    const page = await http(ports[3], close('/stats', AUTH));
    assert.equal(page.slice(0, page.indexOf('\r\n\r\n') + 4).replace('connection: close\r\n', ''), fix('http_html_response_headers.txt'));
    assert.match(dechunk(page), /^<!DOCTYPE HTML PUBLIC "-\/\/W3C\/\/DTD HTML 4.01 Transitional\/\/EN"\n/);
    assert.match(dechunk(page), /<\/body><\/html>\n$/);
  });

  it('an admin POST changes the server and redirects with 303 to ;st=DONE, as HAProxy does', async () => {
    const body = 's=s2&action=drain&b=%233';
    const r = await http(ports[3], `POST /stats HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    assert.equal(r.replace('connection: close\r\n', ''), fix('admin_post_303_headers.txt'));
    assert.match((await cli(px.sock, 'show stat be_app 4 2\n')).split('\n')[1], /,DRAIN,50,/);
    await cli(px.sock, 'set server be_app/s2 state ready\n');
  });

  it('a POST without admin rights is redirected to ;st=DENY; other methods are not the stats page', async () => {
    const r = await http(ports[4], 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    assert.match(r, /^HTTP\/1\.1 303 See Other\r\n[\s\S]*location: \/;st=DENY\r\n/);
    const put = await http(ports[4], 'PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    assert.match(put, /^HTTP\/1\.1 503 /);
  });
});

describe('counters and pages: tshaproxy and HAProxy 2.6 agree', { skip: HAPROXY ? false : 'haproxy is not installed' }, () => {
  const got = new Map<Who, { csv: string; port: number; page: string; open: string }>();
  const stops: (() => Promise<void>)[] = [];
  before(async () => {
    for (const who of subjects()) {
      const ports = await freePorts(5);
      const org = await origin(ports[1]);
      const px = await startProxy(who, cfg, ports, [ports[0], ports[3], ports[4]]);
      stops.push(async () => {
        await px.stop();
        await closeServer(org);
      });
      await traffic(ports);
      const csv = await cli(px.sock, 'show stat\n');
      const page = dechunk(await http(ports[3], close('/stats', AUTH)));
      const open = dechunk(await http(ports[4], close('/')));
      got.set(who, { csv, port: ports[1], page, open });
    }
  });
  after(async () => {
    for (const s of stops) await s();
  });

  it('after the same requests, show stat has the same rows and the same values except timings', () => {
    const h = got.get('haproxy')!;
    const t = got.get('tshaproxy')!;
    assert.equal(t.csv.split('\n')[0], h.csv.split('\n')[0]);
    const hr = rows(h.csv, String(h.port));
    const tr = rows(t.csv, String(t.port));
    assert.deepEqual([...tr.keys()], [...hr.keys()]);
    const names = [...FIELD_NAMES, '-', ...h.csv.split('\n')[0].split(',-,')[1].split(',')];
    for (const [k, hf] of hr) {
      const tf = tr.get(k)!;
      assert.equal(tf.length, hf.length, k);
      for (let i = 0; i < hf.length; i++) {
        if (VOLATILE.has(names[i])) continue;
        assert.equal(tf[i], hf[i], `${k} ${names[i]}`);
      }
    }
  });

  it('the HTML pages have the same markup once times, pids and rates are masked', () => {
    const norm = (s: string) =>
      s
        .replace(/pid (= <\/b> )?\d+/g, 'pid N')
        .replace(/\d+d \d+h\d+m\d+s/g, 'UPTIME')
        .replace(/bit rate = [\d.]+ .bps/g, 'bit rate = X')
        .replace(/Running tasks: \d+\/\d+/g, 'Running tasks: X')
        .replace(/(current conns|conn rate) = \d+/g, '$1 = X')
        .replace(/>[\d<>/"= a-z]*s (UP|DOWN|MAINT|DRAIN)/g, '>T $1')
        .replace(/in \d+ms/g, 'in Nms')
        .replace(/<td>(\?|\d+s|\d+m\d+s)<\/td>/g, '<td>AGE</td>')
        .replace(/<td>(<u>)?[\d<>a-z="\s/]*(\/s)?<div class=tips>/g, '<td>$1N<div class=tips>')
        .replace(/<td>[\d]+\/s<\/td>/g, '<td>N/s</td>')
        .replace(/<td>[\d<>a-z="\s/]+ \/ [\d<>a-z="\s/]+<\/td>/g, '<td>N / N</td>')
        .replace(/><tr/g, '>\n<tr');
    const h = got.get('haproxy')!;
    const t = got.get('tshaproxy')!;
    const hl = norm(h.page).split('\n');
    const tl = norm(t.page).split('\n');
    assert.equal(tl.length, hl.length);
    // the lines holding per-request byte counts and rates may differ; the structure may not
    const strip = (l: string) => l.replace(/\d+/g, '0');
    for (let i = 0; i < hl.length; i++) assert.equal(strip(tl[i]), strip(hl[i]), `line ${i}`);
    assert.equal(norm(t.open).split('\n').length, norm(h.open).split('\n').length);
  });
});
