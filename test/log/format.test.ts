/**
 * Syslog headers and log lines, byte for byte against what HAProxy 2.6 sent
 * (test/log/captures: the datagrams of captures/how_captured/haproxy_log_variants.cfg).
 */
process.env.TZ = 'UTC';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { T } from '../../src/acl/types.js';
import {
  CLF_LOG_FORMAT,
  HTTP_LOG_FORMAT,
  TCP_LOG_FORMAT,
  buildHeader,
  closeLogSockets,
  compileFormat,
  parseTarget,
  setLogClock,
  LogTarget,
  type HeaderFormat,
  type LogRecord,
} from '../../src/runtime/log/index.js';
import { Collector, readPyRepr } from './lib.js';

after(() => {
  setLogClock(null);
  closeLogSockets();
});

const MONTH: Record<string, number> = { Nov: 10 };

/** the wall clock a datagram was stamped with (legacy "Nov 21 15:47:41" or ISO with microseconds) */
function stampOf(d: string): number {
  const iso = /(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(d);
  if (iso) return Date.UTC(+iso[1], +iso[2] - 1, +iso[3], +iso[4], +iso[5], +iso[6]) + Number(iso[7]) / 1000;
  const leg = /(\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d)/.exec(d);
  if (leg) return Date.UTC(2026, MONTH[leg[1]], +leg[2], +leg[3], +leg[4], +leg[5]);
  return 0;
}

function metaOf(d: string) {
  const pid = /23268/.test(d) ? '23268' : '23098';
  return {
    tag: d.includes('fe_variants') ? 'tshap-ref' : 'haproxy',
    host: pid === '23268' ? 'ref-host' : '',
    pid,
  };
}

const VARIANTS: [string, HeaderFormat][] = [
  ['variant_local_default.pyrepr.txt', 'unspec'],
  ['variant_rfc3164.pyrepr.txt', 'rfc3164'],
  ['variant_rfc5424_hostname.pyrepr.txt', 'rfc5424'],
  ['variant_priority.pyrepr.txt', 'priority'],
  ['variant_short.pyrepr.txt', 'short'],
  ['variant_timed.pyrepr.txt', 'timed'],
  ['variant_iso.pyrepr.txt', 'iso'],
  ['variant_raw.pyrepr.txt', 'raw'],
];

describe('syslog headers', () => {
  for (const [file, format] of VARIANTS) {
    it(`every '${format}' datagram HAProxy sent is rebuilt byte for byte from its message`, () => {
      const dgrams = readPyRepr(file);
      assert.ok(dgrams.length >= 2);
      for (const d of dgrams) {
        const msgAt = d.search(/127\.0\.0\.1(:\d+)? /);
        const msg = d.slice(msgAt, -1);
        setLogClock(() => stampOf(d));
        assert.equal(buildHeader(format, 16, 6, metaOf(d), '-') + msg + '\n', d);
      }
    });
  }

  it('a target cuts header and message to its len, then ends the datagram with a newline', async () => {
    const col = await new Collector().start();
    try {
      setLogClock(() => Date.UTC(2026, 10, 1, 9, 5, 7));
      const t = parseTarget([`127.0.0.1:${col.port}`, 'len', '80', 'local3']) as LogTarget;
      assert.ok(t instanceof LogTarget);
      t.send(6, 'x'.repeat(200), { tag: 'haproxy', host: '', pid: '42' });
      const [got] = await col.waitFor(1);
      // "Nov  1": the day is padded with a space, as syslog(3) does
      assert.equal(got, '<158>Nov  1 09:05:07 haproxy[42]: ' + 'x'.repeat(80 - 34) + '\n');
      // as HAProxy 2.6 sent it for `log ... len 120 local3`
      setLogClock(() => Date.UTC(2026, 10, 21, 18, 21, 47));
      t.maxlen = 120;
      t.send(6, '127.0.0.1:44296 [21/Nov/2026:18:21:47.372] fe be_http/s1 0/0/5/4/9 200 77 - - ---- 1/1/0/0/0 0/0 "GET /1/a HTTP/1.1"', { tag: 'haproxy', host: '', pid: '22610' });
      const two = await col.waitFor(2);
      assert.equal(two[1], '<158>Nov 21 18:21:47 haproxy[22610]: 127.0.0.1:44296 [21/Nov/2026:18:21:47.372] fe be_http/s1 0/0/5/4/9 200 77 - - ---- \n');
    } finally {
      col.close();
    }
  });

  it('levels above the target level are dropped, and a minimum level raises the one sent', async () => {
    const col = await new Collector().start();
    try {
      setLogClock(() => Date.UTC(2026, 10, 21, 10, 0, 0));
      const meta = { tag: 'haproxy', host: '', pid: '1' };
      (parseTarget([`127.0.0.1:${col.port}`, 'format', 'short', 'local0', 'notice']) as LogTarget).send(6, 'info', meta);
      (parseTarget([`127.0.0.1:${col.port}`, 'format', 'short', 'local0', 'debug', 'debug']) as LogTarget).send(6, 'raised', meta);
      (parseTarget([`127.0.0.1:${col.port}`, 'format', 'priority', 'local0', 'notice']) as LogTarget).send(3, 'error', meta);
      const got = await col.waitFor(2);
      assert.deepEqual(got.sort(), ['<131>error\n', '<7>raised\n']);
    } finally {
      col.close();
    }
  });

  it("'sample 1,3:3' sends the 1st and 3rd message of every 3", () => {
    const t = parseTarget(['127.0.0.1:514', 'sample', '1,3:3', 'local0']) as LogTarget;
    assert.deepEqual(
      Array.from({ length: 7 }, () => t.sampled()),
      [true, false, true, true, false, true, true],
    );
  });

  it('unix datagram sockets and rings are reported as not reachable', () => {
    assert.match((parseTarget(['/dev/log', 'local0']) as { note: string }).note, /unix datagram/);
    assert.match((parseTarget(['ring@buf', 'local0']) as { note: string }).note, /ring/);
    const fd = parseTarget(['stdout', 'format', 'raw', 'local0']) as LogTarget;
    assert.deepEqual(fd.to, { kind: 'fd', fd: 1 });
  });
});

// ---------------------------------------------------------------------------

const env = { warnings: [] as string[] };

function record(over: Partial<LogRecord>): LogRecord {
  return {
    src: '127.0.0.1',
    srcPort: 39088,
    dst: '127.0.0.1',
    dstPort: 28080,
    luid: 1,
    ssl: false,
    frontend: 'fe_variants',
    backend: 'be_app',
    server: 's1',
    acceptDate: Date.UTC(2026, 10, 21, 15, 47, 41, 704),
    tHandshake: 0,
    tIdle: 0,
    tRequest: 0,
    tQueue: 0,
    tConnect: 0,
    tData: 1,
    tClose: 1,
    httpBackend: true,
    status: 200,
    bytesIn: 100,
    bytesOut: 225,
    termCause: '-',
    termPhase: '-',
    cookieFlags: '--',
    actconn: 1,
    feconn: 1,
    beconn: 0,
    srvConn: 0,
    retries: 0,
    redispatched: false,
    srvQueue: 0,
    beQueue: 0,
    reqCaps: null,
    resCaps: null,
    uri: 'GET /index.html?x=1&y=two HTTP/1.1',
    uniqueId: null,
    cliCookie: null,
    srvCookie: null,
    uniqId: 0,
    logCount: 0,
    pid: 23098,
    ctx: null,
    ...over,
  };
}

describe('log lines', () => {
  it("'option httplog' renders the captured line, captures included", () => {
    const line = compileFormat(HTTP_LOG_FORMAT, env).render(
      record({ reqCaps: ['127.0.0.1:28080', 'curl-ref/1.0'], resCaps: ['text/html'] }),
    );
    const want = readPyRepr('variant_raw.pyrepr.txt')[0].slice(0, -1);
    assert.equal(line, want);
  });

  it("'option httplog clf' renders the captured CLF line, with its trailing space", () => {
    const line = compileFormat(CLF_LOG_FORMAT, env).render(
      record({ frontend: 'fe_clf', srcPort: 34562, acceptDate: Date.UTC(2026, 10, 21, 15, 47, 41, 723), tData: 0, tClose: 0, uri: 'GET /index.html HTTP/1.1' }),
    );
    const want = readPyRepr('variant_local_default.pyrepr.txt')[3];
    assert.equal(line, want.slice(want.indexOf('127.0.0.1 - -'), -1));
  });

  it("'option tcplog' shows Tw one above the queue time, since tcp streams have no request time", () => {
    const line = compileFormat(TCP_LOG_FORMAT, env).render(
      record({
        srcPort: 34726,
        frontend: 'fe_tcp',
        backend: 'be_tcp',
        server: 't1',
        acceptDate: Date.UTC(2026, 10, 21, 15, 43, 19, 851),
        tIdle: -1,
        tRequest: -1,
        tData: -1,
        tClose: 1,
        httpBackend: false,
        bytesOut: 198,
        actconn: 2,
        feconn: 2,
        beconn: 1,
      }),
    );
    assert.equal(line, '127.0.0.1:34726 [21/Nov/2026:15:43:19.851] fe_tcp be_tcp/t1 1/0/1 198 -- 2/2/1/0/0 0/0');
  });

  it('a request that never parsed logs <BADREQ> with -1 timers and no captures', () => {
    const line = compileFormat(HTTP_LOG_FORMAT, env).render(
      record({
        srcPort: 41954,
        frontend: 'fe_http',
        backend: 'fe_http',
        server: '<NOSRV>',
        acceptDate: Date.UTC(2026, 10, 21, 15, 42, 57, 668),
        tRequest: -1,
        tQueue: -1,
        tConnect: -1,
        tData: -1,
        tClose: 0,
        status: 400,
        bytesOut: 0,
        termCause: 'P',
        termPhase: 'R',
        uri: null,
      }),
    );
    assert.equal(line, '127.0.0.1:41954 [21/Nov/2026:15:42:57.668] fe_http fe_http/<NOSRV> -1/-1/-1/-1/0 400 0 - - PR-- 1/1/0/0/0 0/0 "<BADREQ>"');
  });

  it('separators print one space only after something was printed; absent values are - or ""', () => {
    const ctx = {
      frontend: { name: 'f', id: 1, mode: 'http' },
      getVar: (_s: string, n: string) => (n === 'host' ? { t: T.STR, v: 'a"b' } : n === 'e' ? { t: T.STR, v: 'q"u]o\\\\te' } : undefined),
    } as never;
    const f = compileFormat(
      '%ci   %hr %hs    %[var(txn.none)] %{+Q}[var(txn.none)] %[var(txn.host)] %{+Q}ID end %{+E}[var(txn.e)] %{+Q,+E}[var(txn.e)]',
      env,
    );
    assert.equal(f.render(record({ ctx: null })), '127.0.0.1 - "" - "" end - ""');
    assert.equal(f.render(record({ ctx })), '127.0.0.1 - "" a"b "" end q\\"u\\]o\\\\\\\\te "q\\"u\\]o\\\\\\\\te"');
  });

  it('the request-line parts, hex options and dates read as HAProxy prints them', () => {
    const f = compileFormat(
      'HM=%HM HU=%HU HP=%HP HQ=%HQ HV=%HV X=%{+X}ci:%{+X}cp Ts=%Ts ms=%ms T=%T t=%t tr=%tr Ti=%Ti TR=%TR Tq=%Tq Ta=%Ta Tu=%Tu Td=%Td rt=%{+X}rt',
      env,
    );
    const r = record({ uri: 'POST /a/b?c=%22d HTTP/1.0', tIdle: 311, tRequest: 311, tQueue: 311, tConnect: 311, tData: 313, tClose: 313, uniqId: 26 });
    assert.equal(
      f.render(r),
      'HM=POST HU=/a/b?c=%22d HP=/a/b HQ=?c=%22d HV=HTTP/1.0 X=7F000001:98B0 Ts=1795276061 ms=704 T=21/Nov/2026:15:47:41 +0000 ' +
        't=21/Nov/2026:15:47:41.704 tr=21/Nov/2026:15:47:42.015 Ti=311 TR=0 Tq=311 Ta=2 Tu=2 Td=0 rt=001A',
    );
    assert.equal(compileFormat('%HQ|%r', env).render(record({ uri: 'GET /\x01"# HTTP/1.1' })), '|GET /#01#22#23 HTTP/1.1');
  });

  it('formats wait for the end of the stream, even those with only accept-time facts', () => {
    assert.equal(compileFormat('%ci:%cp %f', env).atAccept, false);
    assert.equal(compileFormat('%f %t', env).atAccept, false);
  });
});
