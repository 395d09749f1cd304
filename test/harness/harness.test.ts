/**
 * The scenario harness itself: failures are reported as failures,
 * differences between two subjects as differences (with both values), the
 * allow-list silences listed ones, and every wait and process is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResponse } from './client.js';
import { normalizePorts } from './expect.js';
import { startChild, withTimeout } from './procs.js';
import {
  allowedReason,
  diffRuns,
  failed,
  formatReport,
  haproxySubject,
  loadAllowList,
  projectRoot,
  runScenario,
  type Subject,
} from './runner.js';
import { http, pause, tcp, type Scenario } from './scenario.js';
import { httpServer, tcpServer } from './servers.js';

const fakeProxy = (name: string, alter: boolean): Subject => ({
  name,
  start: (cfg, o) =>
    startChild(process.execPath, [join(projectRoot, 'dist', 'test', 'harness', 'fake-proxy.js'), cfg, ...(alter ? ['--alter'] : [])], { cwd: o.cwd, maxLifetimeS: 60 }),
});

const oneServer = (steps: Scenario['steps']): Scenario => ({
  name: 'harness-check: one frontend, one server',
  servers: [httpServer('s1')],
  config: `
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:{{fe}}
    default_backend be
backend be
    server s1 127.0.0.1:{{s1}}
`,
  steps,
});

test('a scenario whose expectation is wrong is reported as failed, naming the field and both values', async () => {
  const sc = oneServer([
    { name: 'the request reaches s1', act: http({ path: '/a' }), expect: { status: 200, server: 's1' } },
    { name: 'the request reaches s2 (wrong on purpose)', act: http({ path: '/b' }), expect: { status: 200, server: 's2' } },
  ]);
  const run = await runScenario(sc, fakeProxy('fake', false));
  assert.equal(run.setupError, undefined);
  assert.deepEqual(run.steps[0]!.failures, []);
  assert.deepEqual(run.steps[1]!.failures, ['server: expected "s2", got "s1"']);
  assert.ok(failed(run));
  const report = formatReport(sc, [run]);
  assert.match(report, /PASS +the request reaches s1/);
  assert.match(report, /FAIL +the request reaches s2 \(wrong on purpose\)\n +FAIL on fake: server: expected "s2", got "s1"/);
});

test('a header added by the second subject is reported as a difference with both observations, unless allow-listed', async () => {
  const sc = oneServer([
    { name: 'a GET is answered by s1', act: http({ path: '/x' }), expect: { status: 200, server: 's1' } },
    { name: 'a bare TCP exchange still works', act: http({ path: '/y', headers: { host: 'h' } }), expect: { status: 200 } },
  ]);
  const a = await runScenario(sc, fakeProxy('plain', false));
  const b = await runScenario(sc, fakeProxy('altering', true));
  assert.ok(!failed(a) && !failed(b), `both meet the expectations: ${JSON.stringify([a.setupError, b.setupError, a.steps, b.steps])}`);
  assert.notDeepEqual(a.ports, b.ports, 'each run has its own ports');
  const diffs = diffRuns(sc, a, b);
  assert.equal(diffs.length, 2);
  assert.deepEqual(diffs[0]!.diffs, [{ field: 'headers.x-altered', a: 'absent', b: 'x-altered: yes', allowed: undefined }]);
  const report = formatReport(sc, [a, b], diffs);
  assert.match(report, /DIFFERS from altering a GET is answered by s1/);
  assert.match(report, /headers\.x-altered +"absent" +"x-altered: yes"/);

  const dir = mkdtempSync(join(tmpdir(), 'harness-allow-'));
  try {
    const f = join(dir, 'allowed.tsv');
    writeFileSync(f, '# scenario\tstep\tfield\treason\nharness-check\t*\theaders.x-*\tthe fake proxy adds it on purpose\n');
    const allowed = diffRuns(sc, a, b, loadAllowList(f));
    assert.ok(allowed.every((d) => d.diffs.every((x) => x.allowed === 'the fake proxy adds it on purpose')));
    assert.doesNotMatch(formatReport(sc, [a, b], allowed), /DIFFERS/);
    writeFileSync(f, 'harness-check\t*\theaders.x-altered\t\n');
    assert.throws(() => loadAllowList(f), /without a reason/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the same scenario on HAProxy with a config variant is reported as differing from plain HAProxy', async (t) => {
  const hap = haproxySubject();
  if (!hap) return t.skip('haproxy is not on PATH');
  const variant: Subject = {
    name: 'haproxy-variant',
    start: (cfg, o) => {
      const alt = cfg.replace(/\.cfg$/, '-variant.cfg');
      writeFileSync(alt, readFileSync(cfg, 'utf8') + '    http-response set-header x-variant 1\n');
      return hap.start(alt, o);
    },
  };
  const sc = oneServer([{ name: 'a GET is answered by s1', act: http({ path: '/' }), expect: { status: 200, server: 's1' } }]);
  const a = await runScenario(sc, hap);
  const b = await runScenario(sc, variant);
  assert.ok(!failed(a) && !failed(b), `${a.setupError ?? ''} ${b.setupError ?? ''}`);
  const diffs = diffRuns(sc, a, b);
  assert.deepEqual(diffs[0]?.diffs.map((d) => d.field), ['headers.x-variant']);
});

test('a proxy that never listens is a setup failure within the start bound, and its process is stopped', async () => {
  let child: ChildProcess | undefined;
  const idle: Subject = {
    name: 'idle',
    // A plain ChildProcess is a valid subject too.
    start: () => (child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })),
  };
  const sc: Scenario = { ...oneServer([{ name: 'a GET', act: http(), expect: { status: 200 } }]), startTimeoutMs: 500 };
  const t0 = Date.now();
  const run = await runScenario(sc, idle);
  assert.ok(Date.now() - t0 < 4000, 'bounded');
  assert.match(run.setupError ?? '', /not listening after 500 ms/);
  assert.deepEqual(run.steps[0]!.failures, [`setup failed: ${run.setupError}`]);
  assert.ok(child && (child.exitCode !== null || child.signalCode !== null), 'the proxy process is gone');
});

test('aborting a run (as a test timeout does) stops it at once', async () => {
  const sc = oneServer([
    { name: 'a long pause', act: pause(20_000), timeoutMs: 30_000 },
    { name: 'a GET', act: http(), expect: { status: 200 } },
  ]);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 1000);
  const t0 = Date.now();
  const run = await withTimeout(runScenario(sc, fakeProxy('fake', false), { signal: ac.signal }), 10_000, 'aborted run');
  // The pause is cut short and the following steps are skipped.
  assert.deepEqual(run.steps.map((s) => s.failures), [['aborted'], ['aborted']]);
  assert.ok(Date.now() - t0 < 5000, 'stopped at once');
});

test('tcp steps see a server greeting, echo, and the end of a half-closed exchange', async () => {
  const sc: Scenario = {
    name: 'harness-tcp',
    servers: [tcpServer('t1')],
    config: 'frontend fe\n    bind 127.0.0.1:{{fe}}\n    server t1 127.0.0.1:{{t1}}\n',
    steps: [
      { name: 'greeting', act: tcp({ until: { text: '\n' } }), expect: { server: 't1', data: 'server=t1\n', closed: false } },
      { name: 'half-close', act: tcp({ send: 'abc', halfClose: true }), expect: { data: 'server=t1\nabcserver=t1 eof after 3 bytes\n', closed: true } },
    ],
  };
  const run = await runScenario(sc, fakeProxy('fake', false));
  assert.deepEqual(run.steps.map((s) => s.failures), [[], []]);
});

test('responses are parsed by content-length, chunks, or the end of the connection', () => {
  const chunked = Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT');
  const p = parseResponse(chunked, false)!;
  assert.equal(p.res.body.toString(), 'abcde');
  assert.equal(chunked.subarray(p.used).toString(), 'NEXT');
  assert.equal(parseResponse(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nab'), false), undefined);
  assert.equal(parseResponse(Buffer.from('HTTP/1.0 200 OK\r\n\r\nuntil close'), false), undefined);
  assert.equal(parseResponse(Buffer.from('HTTP/1.0 200 OK\r\n\r\nuntil close'), true)!.res.body.toString(), 'until close');
  assert.equal(parseResponse(Buffer.from('HTTP/1.1 304 Not Modified\r\ncontent-length: 9\r\n\r\n'), false)!.res.body.length, 0);
});

test('port numbers in observations become their placeholder names, so runs on different ports compare equal', () => {
  const o = normalizePorts({ headers: [['location', 'http://127.0.0.1:40123/x']], data: 'port 40123 not 401234' }, { fe: 40123 });
  assert.deepEqual(o.headers, [['location', 'http://127.0.0.1:{{fe}}/x']]);
  assert.equal(o.data, 'port {{fe}} not 401234');
  assert.equal(allowedReason([{ scenario: 'seed-000', step: '*', field: 'status', reason: 'r' }], 'seed-000 comet: x', 's', 'status'), 'r');
});
