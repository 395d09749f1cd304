/**
 * Traffic logs on the wire: the same configuration and client traffic go
 * through HAProxy 2.6 and tshaproxy, each sending its logs to a UDP
 * collector, and the datagrams must be the same once dates, pids, client
 * ports and timer values are masked (a -1 timer stays visible).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePorts, sleep, startChild, waitListening, withTimeout, type Child } from '../harness/procs.js';
import { projectRoot } from '../harness/runner.js';
import { HAPROXY } from '../runtime/lib.js';
import { Collector, maskLine } from './lib.js';

type Who = 'haproxy' | 'tshaproxy';

/** An HTTP/1.1 origin: 200 with a 6-byte body; `/slow` never answers. Plain tcp: echoes "re:<data>". */
function origin(port: number, kind: 'http' | 'tcp' | 'heads'): Promise<net.Server> {
  const srv = net.createServer({ allowHalfOpen: kind === 'tcp' }, (s) => {
    s.on('error', () => {});
    if (kind === 'tcp') {
      s.on('data', (d) => s.write('re:' + d));
      s.on('end', () => s.end());
      return;
    }
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n\r\n'); i >= 0; i = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, i);
        // request bodies (Content-Length, all sent at once in these tests) are skipped
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        buf = buf.slice(i + 4 + (cl ? Number(cl[1]) : 0));
        if (head.startsWith('GET /slow')) return;
        if (head.startsWith('GET /chunked')) {
          s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n3\r\nlo\n\r\n0\r\n\r\n');
          continue;
        }
        if (kind === 'heads') {
          // the request head as received, header lines only
          const body = head.split('\r\n').slice(1).join('|') + '\n';
          s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          continue;
        }
        s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n');
      }
    });
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/**
 * A client conversation: writes each step (a string, or a pause in ms, or
 * 'end' for a half-close, or {until: text} to wait for that much response),
 * then waits for the close (bounded by `maxMs`).
 */
function talk(port: number, steps: (string | number | { until: string })[], maxMs = 4000): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve) => {
      const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let got = '';
      let waiting: { text: string; go: () => void } | null = null;
      const timer = setTimeout(() => c.destroy(), maxMs);
      c.on('data', (d) => {
        got += d.toString('latin1');
        if (waiting && got.includes(waiting.text)) {
          const w = waiting;
          waiting = null;
          w.go();
        }
      });
      c.on('error', () => {});
      c.on('end', () => c.end());
      c.on('close', () => {
        clearTimeout(timer);
        resolve(got);
      });
      const run = async () => {
        for (const s of steps) {
          if (typeof s === 'number') await sleep(s);
          else if (s === 'end') c.end();
          else if (typeof s === 'string') c.write(s);
          else {
            const want = s.until;
            if (!got.includes(want)) await new Promise<void>((go) => (waiting = { text: want, go }));
            got = got.replace(want, '');
          }
        }
      };
      c.on('connect', () => void run());
    }),
    maxMs + 3000,
    'client',
  );
}

interface Case {
  name: string;
  /** index of the frontend port in the config's ports */
  fe: number;
  steps: (string | number | { until: string })[];
  /** datagrams this case makes HAProxy send */
  logs: number;
  /** also compare what the client received */
  keep?: boolean;
}

/** Starts `who` on `text` in a temp dir and waits for the `listen` ports (its output is in the error when it fails). */
async function startOn(who: Who, text: string, listen: number[]): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-log-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, text);
  const [cmd, args] = who === 'haproxy' ? [HAPROXY!, ['-db', '-f', file]] : [process.execPath, [join(projectRoot, 'bin', 'tshaproxy'), '-db', '-f', file]];
  const child = startChild(cmd, args, { cwd: dir, maxLifetimeS: 60 });
  try {
    await waitListening(listen, 8000, child);
  } catch (e) {
    await child.stop();
    throw new Error(`${who}: ${(e as Error).message}\n${child.output()}`);
  }
  return child;
}

/**
 * Runs `cases` in order on one proxy and returns the masked datagrams of
 * each case. `cfg` gets the collector port and the ports (frontends first,
 * then the origins and one closed port at the end).
 */
async function run(who: Who, cfg: (udp: number, p: number[]) => string, ports: number[], feCount: number, origins: [number, 'http' | 'tcp' | 'heads'][], cases: Case[]) {
  const col = await new Collector().start();
  let px: Child | undefined;
  const servers: net.Server[] = [];
  try {
    px = await startOn(who, cfg(col.port, ports), ports.slice(0, feCount));
    for (const [i, kind] of origins) servers.push(await origin(ports[i], kind));
    const out: Record<string, string[]> = {};
    for (const c of cases) {
      // lets the proxy finish closing the previous connection, so that counts (%ac/%fc) start from the same state
      await sleep(50);
      const before = col.lines.length;
      const got = await talk(ports[c.fe], c.steps);
      const lines = await col.waitFor(before + c.logs, c.logs ? 3000 : 400);
      out[c.name] = lines.slice(before).map(maskLine);
      if (c.keep) {
        // unique ids hold the client port in hex
        out[c.name] = out[c.name].map((l) => l.replace(/_[0-9A-F]{4}_/g, '_PORT_'));
        out[c.name].push(got.replace(/_[0-9A-F]{4}_/g, '_PORT_'));
      }
    }
    return out;
  } finally {
    await px?.stop();
    for (const s of servers) s.close();
    col.close();
  }
}

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

describe('traffic logs compared with HAProxy 2.6', () => {
  it('tcp and http streams log the same lines: normal ends, refused servers, timeouts, bad and missing requests', async (t) => {
    if (!HAPROXY) return t.skip('haproxy is not installed');
    // ports: 0..5 frontends, 6 tcp origin, 7 http origin, 8 closed
    const cfg = (udp: number, p: number[]) => `global
    log 127.0.0.1:${udp} local0

defaults
    log global
    timeout connect 300ms
    timeout client 1s
    timeout server 1s
    timeout http-request 700ms

frontend tcp_default
    mode tcp
    bind 127.0.0.1:${p[0]}
    default_backend be_tcp

frontend tcp_log
    mode tcp
    option tcplog
    bind 127.0.0.1:${p[1]}
    default_backend be_tcp

frontend tcp_refused
    mode tcp
    option tcplog
    bind 127.0.0.1:${p[2]}
    default_backend be_refused

frontend tcp_cto
    mode tcp
    option tcplog
    timeout client 300ms
    bind 127.0.0.1:${p[3]}
    default_backend be_tcp

frontend fe_http
    mode http
    option httplog
    bind 127.0.0.1:${p[4]}
    use_backend be_empty if { path_beg /empty }
    use_backend be_refused_http if { path_beg /refused }
    default_backend be_http

frontend fe_http_default
    mode http
    bind 127.0.0.1:${p[5]}
    default_backend be_http

backend be_tcp
    mode tcp
    server t1 127.0.0.1:${p[6]}

backend be_refused
    mode tcp
    retries 1
    server r1 127.0.0.1:${p[8]}

backend be_http
    mode http
    server s1 127.0.0.1:${p[7]}

backend be_empty
    mode http

backend be_refused_http
    mode http
    retries 1
    server r1 127.0.0.1:${p[8]}
`;
    const cases: Case[] = [
      { name: 'tcp without a log format: "Connect from" at accept', fe: 0, steps: ['hello', 100, 'end'], logs: 1 },
      { name: 'tcp normal', fe: 1, steps: ['hello', 100, 'end'], logs: 1 },
      { name: 'tcp server refused (SC)', fe: 2, steps: ['hello'], logs: 1 },
      { name: 'tcp client timeout (cD)', fe: 3, steps: [], logs: 1 },
      { name: 'http keep-alive, two requests', fe: 4, steps: [GET('/a'), { until: 'hello\n' }, GET('/b?q=1'), { until: 'hello\n' }, 'end'], logs: 2 },
      { name: 'http backend without server (503 SC)', fe: 4, steps: [GET('/empty'), 'end'], logs: 1 },
      { name: 'http server refused (503 SC)', fe: 4, steps: [GET('/refused'), 'end'], logs: 1 },
      { name: 'http server timeout (504 sH)', fe: 4, steps: [GET('/slow')], logs: 1 },
      { name: 'http garbage (400 PR)', fe: 4, steps: ['GARBAGE\r\n\r\n'], logs: 1 },
      { name: 'http partial request then close (400 CR)', fe: 4, steps: ['GET /partial HTTP/1.1\r\nHo', 'end'], logs: 1 },
      { name: 'http partial request then silence (408 cR)', fe: 4, steps: ['GET /x HTTP/1.1\r\n'], logs: 1 },
      { name: 'http empty connection (400 CR)', fe: 4, steps: ['end'], logs: 1 },
      { name: 'http without a log format: "Connect from" at accept', fe: 5, steps: [GET('/a'), { until: 'hello\n' }, 'end'], logs: 1 },
    ];
    const origins: [number, 'http' | 'tcp'][] = [
      [6, 'tcp'],
      [7, 'http'],
    ];
    const ports = await freePorts(18);
    const [ref, ours] = await Promise.all([
      run('haproxy', cfg, ports.slice(0, 9), 6, origins, cases),
      run('tshaproxy', cfg, ports.slice(9), 6, origins, cases),
    ]);
    if (process.env.LOG_DUMP) console.log(JSON.stringify({ ref, ours }, null, 1));
    for (const c of cases) assert.deepEqual(ours[c.name], ref[c.name], c.name);
  });

  it('logging options, captures, tags and formats give the same datagrams', async (t) => {
    if (!HAPROXY) return t.skip('haproxy is not installed');
    // ports: 0..7 frontends, 8 tcp origin, 9 http origin
    const cfg = (udp: number, p: number[]) => `global
    log 127.0.0.1:${udp} local0
    log-tag gtag

defaults
    log global
    timeout connect 300ms
    timeout client 1s
    timeout server 1s

frontend fe_null
    mode http
    option httplog
    option dontlognull
    bind 127.0.0.1:${p[0]}
    default_backend be_http

frontend tcp_null
    mode tcp
    option tcplog
    option dontlognull
    bind 127.0.0.1:${p[1]}
    default_backend be_tcp

frontend fe_errs
    mode http
    option httplog
    option log-separate-errors
    option dontlog-normal
    bind 127.0.0.1:${p[2]}
    use_backend be_empty if { path_beg /empty }
    default_backend be_http

frontend fe_cap
    mode http
    option httplog
    log-tag captag
    capture request header Host len 8
    capture request header X-Y len 32
    capture response header Content-Type len 32
    capture response header X-None len 5
    monitor-uri /mon
    bind 127.0.0.1:${p[3]}
    default_backend be_http

frontend fe_clf
    mode http
    option httplog clf
    bind 127.0.0.1:${p[4]}
    default_backend be_http

frontend fe_fmt
    mode http
    no log
    log 127.0.0.1:${udp} format rfc5424 local1
    log 127.0.0.1:${udp} format short local2
    log 127.0.0.1:${udp} format raw local3
    log-format "%ci %f %b/%s %ST %B %U %ts %tsc %HM %HU %HP %HQ %HV %{+Q}r %ac/%fc/%bc/%sc/%rc %ID %{+Q}CC [%hr] %{+X}ci"
    unique-id-format %{+X}o\\ %ci_%fi
    bind 127.0.0.1:${p[5]}
    default_backend be_http

frontend tcp_tagged
    mode tcp
    option tcplog
    log-tag ttag
    bind 127.0.0.1:${p[6]}
    default_backend be_tcp

frontend fe_ck
    mode http
    option httplog
    bind 127.0.0.1:${p[7]}
    default_backend be_ck

backend be_tcp
    mode tcp
    server t1 127.0.0.1:${p[8]}

backend be_http
    mode http
    server s1 127.0.0.1:${p[9]}

backend be_ck
    mode http
    cookie SRV insert indirect nocache
    server s1 127.0.0.1:${p[9]} cookie c1

backend be_empty
    mode http
`;
    const cases: Case[] = [
      { name: 'dontlognull: an empty http connection is not logged', fe: 0, steps: ['end'], logs: 0 },
      { name: 'dontlognull: a bad request still is', fe: 0, steps: ['GAR\r\n\r\n'], logs: 1 },
      { name: 'dontlognull: an empty tcp connection is not logged', fe: 1, steps: ['end'], logs: 0 },
      { name: 'dontlognull: a tcp connection with data is', fe: 1, steps: ['x', 100, 'end'], logs: 1 },
      { name: 'dontlog-normal: a 200 is not logged', fe: 2, steps: [GET('/'), { until: 'hello\n' }, 'end'], logs: 0 },
      { name: 'log-separate-errors: a 503 is logged at level err', fe: 2, steps: [GET('/empty'), 'end'], logs: 1 },
      {
        name: 'captured headers are cut to their length and #-encoded',
        fe: 3,
        steps: ['GET /c HTTP/1.1\r\nHost: 0123456789abc\r\nX-Y: a|b{c}"d#e\r\n\r\n', { until: 'hello\n' }, 'end'],
        logs: 1,
      },
      { name: 'monitor-uri requests are never logged', fe: 3, steps: [GET('/mon'), { until: 'Service ready' }, 'end'], logs: 0 },
      { name: "'option httplog clf'", fe: 4, steps: [GET('/clf'), { until: 'hello\n' }, 'end'], logs: 1 },
      { name: 'a custom log-format to rfc5424, short and raw targets', fe: 5, steps: [GET('/f?x=%22y'), { until: 'hello\n' }, 'end'], logs: 3 },
      {
        name: 'a POST body counts in %U, a chunked response in %B',
        fe: 5,
        steps: ['POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', { until: 'hello\n' }, GET('/chunked'), { until: '0\r\n\r\n' }, 'end'],
        logs: 6,
      },
      { name: 'a proxy log-tag', fe: 6, steps: ['hi', 100, 'end'], logs: 1 },
      { name: 'cookie persistence without a cookie: inserted', fe: 7, steps: [GET('/k'), { until: 'hello\n' }, 'end'], logs: 1 },
      { name: 'cookie persistence with a valid cookie', fe: 7, steps: [GET('/k', 'Cookie: SRV=c1\r\n'), { until: 'hello\n' }, 'end'], logs: 1 },
      { name: 'cookie persistence with an unknown cookie', fe: 7, steps: [GET('/k', 'Cookie: SRV=zz\r\n'), { until: 'hello\n' }, 'end'], logs: 1 },
    ];
    const origins: [number, 'http' | 'tcp'][] = [
      [8, 'tcp'],
      [9, 'http'],
    ];
    const ports = await freePorts(20);
    const [ref, ours] = await Promise.all([
      run('haproxy', cfg, ports.slice(0, 10), 8, origins, cases),
      run('tshaproxy', cfg, ports.slice(10), 8, origins, cases),
    ]);
    if (process.env.LOG_DUMP) console.log(JSON.stringify({ ref, ours }, null, 1));
    for (const c of cases) {
      // the three targets of one line may arrive in any order
      assert.deepEqual([...ours[c.name]].sort(), [...ref[c.name]].sort(), c.name);
    }
  });

  it('unique-id-format gives the same %ID in the log and in the unique-id-header the server receives', async (t) => {
    if (!HAPROXY) return t.skip('haproxy is not installed');
    const cfg = (udp: number, p: number[]) => `global
    log 127.0.0.1:${udp} local0

defaults
    mode http
    log global
    timeout connect 300ms
    timeout client 1s
    timeout server 1s

frontend fe_uid
    option forwardfor
    log-format "%ID %ST %{+Q}r"
    unique-id-format %{+X}o\\ %ci_%fp_%rt
    unique-id-header X-Unique-ID
    bind 127.0.0.1:${p[0]}
    default_backend be

backend be
    server s1 127.0.0.1:${p[1]}
`;
    const cases: Case[] = [
      { name: 'first request', fe: 0, steps: [GET('/u1'), { until: 'x-forwarded-for' }, 100, 'end'], logs: 1, keep: true },
      { name: 'second request', fe: 0, steps: [GET('/u2'), { until: 'x-forwarded-for' }, 100, 'end'], logs: 1, keep: true },
    ];
    const ports = await freePorts(4);
    const [ref, ours] = await Promise.all([
      run('haproxy', cfg, ports.slice(0, 2), 1, [[1, 'heads']], cases),
      run('tshaproxy', cfg, ports.slice(2), 1, [[1, 'heads']], cases),
    ]);
    if (process.env.LOG_DUMP) console.log(JSON.stringify({ ref, ours }, null, 1));
    for (const c of cases) assert.deepEqual(ours[c.name], ref[c.name], c.name);
  });
});
