/**
 * HTTP rules end to end through a real tshaproxy process: every case sends
 * raw requests on one connection and compares, byte for byte, what the
 * client receives, what the server receives and whether the connection
 * closes, with HAProxy 2.6 (live when installed, and the recorded fixture
 * test/fixtures/rules/http-e2e.json always).
 * `RECORD=1 node dist/test/rules/http-e2e.test.js` re-records the fixture.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { projectRoot } from '../harness/runner.js';
import { Backends, HAPROXY, freePorts, rawExchange, sleep, startProxy, type Proc, type Subject } from './lib.js';

const FIXTURE = join(projectRoot, 'test', 'fixtures', 'rules', 'http-e2e.json');

const configA = (fe: number, be: number, _dir: string) => `
global
    maxconn 100
userlist L
    group admins
    user bob insecure-password secret
    user alice password $6$abcdefgh$SWDwEZWRRYiTytOjaHki9le2a6Gb9QWh.kwC8cPkDKnPPbGNob41yZZrWFkkHj/HdGZ5pwS8KeUaKWpI8srgy. groups admins
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout tarpit 400ms
frontend fe
    bind 127.0.0.1:${fe}
    http-request set-var(txn.path) path
    http-request deny if { path /deny }
    http-request deny deny_status 429 if { path /d429 }
    http-request deny deny_status 400 content-type text/plain string "nope" hdr X-Why %[path] if { path /dstr }
    http-request return status 200 content-type text/plain lf-string "hi %[req.hdr(host)]" hdr X-A a if { path /ret }
    http-request return if { path /ret0 }
    http-request return status 404 if { path /ret404 }
    http-request return status 503 default-errorfiles if { path /reterr }
    http-request redirect location /elsewhere if { path /redir }
    http-request redirect prefix https://ex.com code 301 if { path_beg /pfx }
    http-request redirect prefix / drop-query if { path_beg /self }
    http-request redirect scheme https drop-query append-slash if { path_beg /sch }
    http-request redirect location /c set-cookie SESS=1 code 303 if { path /cookie }
    http-request redirect location /c clear-cookie SESS= code 307 if { path /clear }
    http-request redirect location /c code 308 if { path /r308 }
    http-request redirect location %[req.hdr(x-to)] ignore-empty if { path /lf }
    http-request auth realm tshap if { path_beg /auth } !{ http_auth(L) }
    http-request deny if { path /admin } !{ http_auth_group(L) admins }
    http-request tarpit if { path /tarpit }
    http-request tarpit deny_status 403 if { path /tarpit403 }
    http-request reject if { path /reject }
    http-request set-header X-Set %[src]
    http-request add-header X-Add "a  b"
    http-request del-header X-Del
    http-request del-header x-pre -m beg
    http-request replace-header X-Rep (.*)foo(.*) \\2-\\1
    http-request replace-value X-Val (.*)/html \\1/HTML
    http-request set-path /p%[path] if { path_beg /setpath }
    http-request set-pathq /pq?z=9 if { path_beg /setpq }
    http-request set-query q=1&%[query] if { path_beg /setq }
    http-request set-uri /u?x=1 if { path_beg /seturi }
    http-request set-method PUT if { path_beg /setm }
    http-request replace-path /old(.*) /new\\1 if { path_beg /old }
    http-request replace-uri ^/ru/(.*) /RU/\\1 if { path_beg /ru/ }
    http-request set-var(txn.h) req.hdr(host),lower
    http-request set-header X-Var %[var(txn.h)]
    http-request set-var-fmt(txn.f) "v=%[var(txn.h)]"
    http-request set-header X-Fmt %[var(txn.f)]
    http-request unset-var(txn.h) if { path /unset }
    http-request set-header X-Unset "[%[var(txn.h)]]" if { path /unset }
    http-request allow if { path /allow }
    http-request add-header X-After-Allow 1
    redirect location /kw if { path /kw }
    redirect prefix /pre drop-query if { path_beg /kwp }
    http-response set-header X-Res 1
    http-response set-status 299 if { var(txn.path) -m str /st }
    http-response set-status 298 reason "Fine Thanks" if { var(txn.path) -m str /st2 }
    http-response deny if { var(txn.path) -m str /rdeny }
    http-response deny deny_status 503 if { var(txn.path) -m str /rdeny503 }
    http-response redirect location /from-res if { var(txn.path) -m str /rredir }
    http-response return status 202 content-type text/plain string "replaced" if { var(txn.path) -m str /rret }
    http-response replace-value X-Backend (.)e(.*) \\1E\\2
    http-response del-header Content-Type
    http-after-response set-header X-After 1
    http-after-response set-status 401 if { var(txn.path) -m str /after401 }
    default_backend be
backend be
    http-request add-header X-Be be1
    http-request deny deny_status 410 if { path /bedeny }
    http-response add-header X-Be-Res 1
    http-after-response add-header X-Be-After 1
    server s1 127.0.0.1:${be}
`;

interface Case {
  name: string;
  send: string[];
}

const get = (path: string, extra = '', ver = '1.1') => `GET ${path} HTTP/${ver}\r\nHost: Example.COM\r\n${extra}\r\n`;
const next = get('/next');

const CASES_A: Case[] = [
  { name: 'deny (keep-alive)', send: [get('/deny'), next] },
  { name: 'deny HTTP/1.0', send: [get('/deny', '', '1.0')] },
  { name: 'deny with Connection: close', send: [get('/deny', 'Connection: close\r\n')] },
  { name: 'deny deny_status 429', send: [get('/d429'), next] },
  { name: 'deny with a string body and hdr', send: [get('/dstr'), next] },
  { name: 'deny of a POST whose body is not all there', send: ['POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab'] },
  { name: 'deny of a POST with its whole body', send: ['POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab', next] },
  { name: 'return with lf-string and hdr', send: [get('/ret'), next] },
  { name: 'return without payload', send: [get('/ret0'), next] },
  { name: 'return status 404 HTTP/1.0', send: [get('/ret404', '', '1.0')] },
  { name: 'return default-errorfiles 503', send: [get('/reterr'), next] },
  { name: 'return to a HEAD request', send: ['HEAD /ret HTTP/1.1\r\nHost: h\r\n\r\n', next] },
  { name: 'redirect location', send: [get('/redir'), next] },
  { name: 'redirect prefix code 301', send: [get('/pfx/a?b=c'), next] },
  { name: 'redirect prefix / drop-query', send: [get('/self/x?y=1'), next] },
  { name: 'redirect scheme drop-query append-slash', send: [get('/sch/x?y=1'), next] },
  { name: 'redirect set-cookie code 303', send: [get('/cookie'), next] },
  { name: 'redirect clear-cookie code 307', send: [get('/clear'), next] },
  { name: 'redirect code 308', send: [get('/r308'), next] },
  { name: 'redirect log-format location', send: [get('/lf', 'X-To: /target\r\n'), next] },
  { name: 'redirect ignore-empty skips an empty location', send: [get('/lf'), next] },
  { name: 'redirect HTTP/1.0 keep-alive', send: [get('/redir', 'Connection: keep-alive\r\n', '1.0'), next] },
  { name: 'auth without credentials', send: [get('/auth'), next] },
  { name: 'auth with a wrong password', send: [get('/auth', 'Authorization: Basic Ym9iOndyb25n\r\n'), next] },
  { name: 'auth with an insecure-password', send: [get('/auth', 'Authorization: Basic Ym9iOnNlY3JldA==\r\n'), next] },
  { name: 'auth with a SHA-512 crypt password', send: [get('/auth', 'Authorization: Basic YWxpY2U6c2VjcmV0Mg==\r\n'), next] },
  { name: 'http_auth_group admins lets alice in', send: [get('/admin', 'Authorization: Basic YWxpY2U6c2VjcmV0Mg==\r\n'), next] },
  { name: 'http_auth_group refuses bob', send: [get('/admin', 'Authorization: Basic Ym9iOnNlY3JldA==\r\n'), next] },
  { name: 'tarpit answers 500 after timeout tarpit', send: [get('/tarpit')] },
  { name: 'tarpit deny_status 403', send: [get('/tarpit403')] },
  { name: 'reject closes without a word', send: [get('/reject')] },
  {
    name: 'header actions',
    send: [get('/h', 'X-Del: 1\r\nx-del: 2\r\nX-Pre-A: 1\r\nX-pre-b: 2\r\nX-Rep: afoob\r\nX-Val: text/html, text/plain,text/html;q=1\r\nX-Add: first\r\n'), next],
  },
  { name: 'set-path', send: [get('/setpath/x?a=b'), next] },
  { name: 'set-pathq', send: [get('/setpq/x?a=b'), next] },
  { name: 'set-query', send: [get('/setq?a=b'), next] },
  { name: 'set-uri', send: [get('/seturi/x?a=b'), next] },
  { name: 'set-method', send: [get('/setm'), next] },
  { name: 'set-path on an absolute URI', send: ['GET http://h.example/setpath/x?q HTTP/1.1\r\nHost: h.example\r\n\r\n', next] },
  { name: 'replace-path', send: [get('/old/x?k=v'), next] },
  { name: 'replace-uri', send: [get('/ru/x?k=v'), next] },
  { name: 'unset-var', send: [get('/unset'), next] },
  { name: 'allow stops the frontend rules', send: [get('/allow'), next] },
  { name: 'the redirect keyword', send: [get('/kw'), next] },
  { name: 'the redirect keyword prefix drop-query', send: [get('/kwp/a?b'), next] },
  { name: 'backend deny_status 410', send: [get('/bedeny'), next] },
  { name: 'http-response set-status', send: [get('/st'), next] },
  { name: 'http-response set-status with a reason', send: [get('/st2'), next] },
  { name: 'http-response deny', send: [get('/rdeny'), next] },
  { name: 'http-response deny deny_status 503', send: [get('/rdeny503'), next] },
  { name: 'http-response redirect', send: [get('/rredir'), next] },
  { name: 'http-response return', send: [get('/rret'), next] },
  { name: 'http-after-response set-status on a served response', send: [get('/after401'), next] },
];

/** named defaults rules, errorfiles, http-error, http-after-response on HAProxy's own errors */
const configB = (fe: number, be: number, dir: string) => `
defaults d
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    http-request add-header X-Def %[be_name]
    http-request deny deny_status 429 if { path /d429 }
    http-request allow if { path /defallow }
    http-response add-header X-Def-Res 1
    http-after-response add-header X-Def-After 1
defaults e
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    errorfile 403 ${dir}/403.http
    http-request add-header X-E 1
frontend fe from d
    bind 127.0.0.1:${fe}
    http-error status 429 content-type text/plain string "slow down" hdr Retry-After 10
    http-request add-header X-Fe 1
    http-request deny if { path /deny }
    tcp-request content reject if { path /tcpreject }
    http-request redirect location /x if { path /redir } { method HEAD }
    use_backend down if { path_beg /down }
    use_backend bedeny if { path_beg /bedeny }
    use_backend hints if { path_beg /hints }
    use_backend vars if { path_beg /vars }
    default_backend be
backend be from e
    http-request add-header X-Be 1
    server s1 127.0.0.1:${be}
backend bedeny from e
    http-request deny
    server s1 127.0.0.1:${be}
backend down from e
    server s1 127.0.0.1:1 disabled
backend vars from e
    http-request set-header X-Prev-Txn "[%[var(txn.p)]]"
    http-request set-header X-Prev-Sess "[%[var(sess.p)]]"
    http-request set-var(txn.p) path
    http-request set-var(sess.p) path
    server s1 127.0.0.1:${be}
backend hints from e
    http-request early-hint Link "</a.css>; rel=preload"
    http-request early-hint Link "</b.css>; rel=preload"
    http-request early-hint Link "</c.js>; rel=preload" if TRUE
    http-request early-hint X-Last 1
    server s1 127.0.0.1:${be}
`;

const FILES_B: Record<string, string> = {
  '403.http': 'HTTP/1.0 403 Forbidden\r\nCache-Control: no-cache\r\nContent-Type: text/plain\r\nX-Custom: yes\r\n\r\nGo away.\n',
};

const CASES_B: Case[] = [
  { name: 'defaults rules run before the proxy rules, per proxy', send: [get('/'), next] },
  { name: 'a deny in the defaults rules', send: [get('/d429'), next] },
  { name: 'allow in the defaults ends the proxy rules too', send: [get('/defallow'), next] },
  { name: 'the frontend deny uses the frontend errorfiles (none: built-in)', send: [get('/deny'), next] },
  { name: 'the backend deny uses the backend errorfile', send: [get('/bedeny'), next] },
  { name: 'tcp-request content reject in an http frontend', send: [get('/tcpreject')] },
  { name: 'a redirect to a HEAD request', send: ['HEAD /redir HTTP/1.1\r\nHost: h\r\n\r\n', next] },
  { name: 'http-after-response applies to a 503', send: [get('/down'), next] },
  { name: 'early-hint rules make 103 responses, grouped as HAProxy groups them', send: [get('/hints'), next] },
  { name: 'no 103 for an HTTP/1.0 client', send: [get('/hints', '', '1.0')] },
  { name: 'txn variables end with the transaction, sess ones stay', send: [get('/vars1'), get('/vars2')] },
];

interface Suite {
  name: string;
  config: (fe: number, be: number, dir: string) => string;
  files?: Record<string, string>;
  cases: Case[];
}

const SUITES: Suite[] = [
  { name: 'actions', config: configA, cases: CASES_A },
  { name: 'defaults and errors', config: configB, files: FILES_B, cases: CASES_B },
];

interface Observed {
  client: string;
  closed: boolean;
  server: string[];
  /** ms before the first response byte, rounded to 100 ms (tarpit) */
  delay: number;
}

async function observe(port: number, backends: Backends, c: Case): Promise<Observed> {
  backends.clear();
  const r = await rawExchange(port, c.send.map((s) => Buffer.from(s, 'latin1')), { gapMs: 120, idleMs: 220, maxMs: 3000 });
  await sleep(30);
  return {
    client: r.data,
    closed: r.closed,
    server: backends.got.map((g) => g.data),
    delay: Math.round(Math.max(0, r.first) / 100) * 100,
  };
}

interface Run {
  subject: Subject;
  port: number;
  backends: Backends;
  proc: Proc;
}

async function start(subject: Subject, suite: Suite): Promise<Run> {
  const [fe, be] = await freePorts(2);
  const backends = new Backends();
  await backends.http('be', be);
  const dir = mkdtempSync(join(tmpdir(), 'tshap-e2e-'));
  for (const [f, t] of Object.entries(suite.files ?? {})) writeFileSync(join(dir, f), t, 'latin1');
  const proc = await startProxy(subject, suite.config(fe, be, dir), [fe]);
  return { subject, port: fe, backends, proc };
}

const recording = process.env.RECORD === '1';
const started: Run[] = [];

after(async () => {
  for (const r of started) {
    await r.proc.stop();
    await r.backends.close();
  }
});

function loadFixture(): Record<string, Record<string, Observed>> {
  return existsSync(FIXTURE) ? JSON.parse(readFileSync(FIXTURE, 'latin1')) : {};
}

const recorded: Record<string, Record<string, Observed>> = {};

for (const suite of SUITES) {
  test(`http rules answer byte for byte as HAProxy 2.6 does: ${suite.name}`, { timeout: 60000 }, async (t) => {
    if (recording) {
      if (!HAPROXY) return t.skip('haproxy is not on PATH');
      const hap = await start('haproxy', suite);
      started.push(hap);
      const out: Record<string, Observed> = {};
      for (const c of suite.cases) out[c.name] = await observe(hap.port, hap.backends, c);
      recorded[suite.name] = out;
      mkdirSync(dirname(FIXTURE), { recursive: true });
      writeFileSync(FIXTURE, JSON.stringify({ ...loadFixture(), ...recorded }, null, 1) + '\n', 'latin1');
      return;
    }
    const fixture = loadFixture()[suite.name] ?? {};
    const tsh = await start('tshaproxy', suite);
    started.push(tsh);
    const hap = HAPROXY ? await start('haproxy', suite) : undefined;
    if (hap) started.push(hap);
    const failures: string[] = [];
    for (const c of suite.cases) {
      const [a, b] = await Promise.all([observe(tsh.port, tsh.backends, c), hap ? observe(hap.port, hap.backends, c) : undefined]);
      for (const [what, ref] of [
        ['haproxy', b],
        ['fixture', fixture[c.name]],
      ] as const) {
        if (!ref) continue;
        if (a.client !== ref.client) failures.push(`${c.name}: client bytes differ from ${what}\n  tsh: ${JSON.stringify(a.client)}\n  ref: ${JSON.stringify(ref.client)}`);
        if (a.closed !== ref.closed) failures.push(`${c.name}: closed ${a.closed}, ${what} ${ref.closed}`);
        if (JSON.stringify(a.server) !== JSON.stringify(ref.server))
          failures.push(`${c.name}: server bytes differ from ${what}\n  tsh: ${JSON.stringify(a.server)}\n  ref: ${JSON.stringify(ref.server)}`);
        if (Math.abs(a.delay - ref.delay) > 100) failures.push(`${c.name}: answered after ${a.delay} ms, ${what} after ${ref.delay} ms`);
      }
    }
    assert.deepEqual(failures, []);
  });
}
