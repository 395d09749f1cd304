/**
 * `tshaproxy compare`: the request file, the bind rewriting, and whole runs
 * (HAProxy stands in for tshaproxy through --tshaproxy-cmd, so these tests do
 * not wait for the runtime; a header-altering forwarder plays a differing HAProxy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareMain } from '../../src/compare/main.js';
import { parseRequestFile, requestBytes } from '../../src/compare/requests.js';
import { rewriteBinds } from '../../src/compare/rewrite.js';
import { freePorts, startChild, waitListening } from '../harness/procs.js';
import { haproxySubject, projectRoot } from '../harness/runner.js';
import { createServer, httpServer } from '../harness/servers.js';

test('a request file gives one request per block, with headers, body lines, comments and Host from an absolute URL', () => {
  const reqs = parseRequestFile('# login\nPOST http://app.example.com/login?x=1\nContent-Type: text/plain\n| user=a\n|\n| end\n\n\nGET /health HTTP/1.0\n');
  assert.equal(reqs.length, 2);
  assert.equal(
    requestBytes(reqs[0]!).toString(),
    'POST /login?x=1 HTTP/1.1\r\nHost: app.example.com\r\nContent-Type: text/plain\r\ncontent-length: 11\r\n\r\nuser=a\n\nend',
  );
  assert.equal(requestBytes(reqs[1]!).toString(), 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n');
  assert.throws(() => parseRequestFile('GET /\nnot a header\n'), /line 2: expected "Name: value"/);
  assert.throws(() => parseRequestFile('/only-a-path\n'), /line 1: expected a request line/);
});

test('bind addresses of frontends and listens become free loopback ports, their options and other lines kept', () => {
  const ports = [41001, 41002, 41003];
  const r = rewriteBinds(
    'global\n    stats socket /run/haproxy.sock mode 600\nfrontend web\n    bind "${ADDR-:80}" name http\n    bind :443 ssl crt /x.pem\nbackend b\n    server s 10.0.0.1:80\nlisten l\n    bind 0.0.0.0:8080\n',
    () => ports.shift()!,
  );
  assert.equal(
    r.text,
    'global\n# (tshaproxy compare)     stats socket /run/haproxy.sock mode 600\nfrontend web\n    bind 127.0.0.1:41001 name http\n    bind 127.0.0.1:41002 ssl crt /x.pem\nbackend b\n    server s 10.0.0.1:80\nlisten l\n    bind 127.0.0.1:41003\n',
  );
  assert.deepEqual(r.frontends.map((f) => [f.name, f.ports, f.ssl]), [['web', [41001, 41002], true], ['l', [41003], false]]);
});

async function withSetup(fn: (dir: string, cfg: string, reqs: string, occupied: number, s1: number) => Promise<void>): Promise<void> {
  const [p1, p2] = await freePorts(2);
  const s1 = createServer(httpServer('s1'), p1!);
  const s2 = createServer(httpServer('s2'), p2!);
  const dir = mkdtempSync(join(tmpdir(), 'compare-test-'));
  try {
    await s1.start();
    await s2.start();
    // The config binds s1's own port: compare must rewrite it to run at all.
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      `defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend web\n    bind 127.0.0.1:${p1}\n    default_backend app\nbackend app\n    balance roundrobin\n    server s1 127.0.0.1:${p1}\n    server s2 127.0.0.1:${p2}\n`,
    );
    const reqs = join(dir, 'requests.txt');
    writeFileSync(reqs, 'GET http://www.example.com/\n\nGET /a\nAccept: */*\n\nPOST /form\n| a=1\n');
    await fn(dir, cfg, reqs, p1!, p1!);
  } finally {
    await s1.stop();
    await s2.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('compare prints no difference and exits 0 when both sides are HAProxy on the same config', async (t) => {
  const hap = haproxySubject();
  if (!hap) return t.skip('haproxy is not on PATH');
  await withSetup(async (_dir, cfg, reqs) => {
    let out = '';
    const code = await compareMain(['-f', cfg, '--requests', reqs, '--server-header', 'x-server', '--tshaproxy-cmd', hap.bin], (s) => (out += s));
    assert.equal(code, 0, out);
    assert.match(out, /#1 GET http:\/\/www\.example\.com\/ \(line 1\): same: 200 OK, server s1\n#2 GET \/a \(line 3\): same: 200 OK, server s2\n/);
    assert.match(out, /3 requests: 3 same, 0 different/);
  });
});

test('compare against a running "HAProxy" that adds a header prints that header side by side and exits 1', async (t) => {
  const hap = haproxySubject();
  if (!hap) return t.skip('haproxy is not on PATH');
  await withSetup(async (dir, cfg, reqs, _occ, s1) => {
    const [fp] = await freePorts(1);
    const fakeCfg = join(dir, 'fake.cfg');
    writeFileSync(fakeCfg, `frontend f\n    bind 127.0.0.1:${fp}\n    server s1 127.0.0.1:${s1}\n`);
    const fake = startChild(process.execPath, [join(projectRoot, 'dist', 'test', 'harness', 'fake-proxy.js'), fakeCfg, '--alter'], { maxLifetimeS: 60 });
    try {
      await waitListening([fp!], 5000, fake);
      let out = '';
      const code = await compareMain(
        ['-f', cfg, '--requests', reqs, '--haproxy', `127.0.0.1:${fp}`, '--server-header', 'x-server', '--tshaproxy-cmd', hap.bin],
        (s) => (out += s),
      );
      assert.equal(code, 1, out);
      assert.match(out, /#1 GET http:\/\/www\.example\.com\/ \(line 1\): DIFFERS\n.*\n +header x-altered +\(absent\) +yes\n/);
      assert.match(out, /#2 GET \/a \(line 3\): DIFFERS\n.*\n +server +s2 +s1\n/);
      assert.match(out, /3 requests: 0 same, 3 different/);
    } finally {
      await fake.stop();
    }
  });
});

test('compare exits 2 with a message when the request file is malformed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'compare-test-'));
  try {
    writeFileSync(join(dir, 'h.cfg'), 'frontend f\n    bind :80\n');
    writeFileSync(join(dir, 'r.txt'), 'GET /\nbad line\n');
    assert.equal(await compareMain(['-f', join(dir, 'h.cfg'), '--requests', join(dir, 'r.txt')], () => undefined), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
