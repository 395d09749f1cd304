/**
 * http-request set-timeout server|tunnel, on tshaproxy and (when installed)
 * HAProxy 2.6: the server timeout it sets gives the 504, a sample expression
 * may give it, and cur_server_timeout / cur_tunnel_timeout read 0 in the
 * backend's request rules until set (observed on HAProxy 2.6.12), the
 * backend's values once the server answered. `-c` refuses what HAProxy
 * refuses, with its texts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../harness/runner.js';
import { HAPROXY, freePorts, rawExchange, startProxy, subjects, type Proc } from './lib.js';

const cfg = (fe: number, origin: number) => `defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
  timeout tunnel 7s
frontend fe
  bind 127.0.0.1:${fe}
  default_backend be
backend be
  http-request set-header x-before %[cur_server_timeout],%[cur_tunnel_timeout]
  http-request set-timeout server 400ms if { path /short }
  http-request set-timeout server req.hdr(x-t) if { req.hdr(x-t) -m found }
  http-request set-timeout tunnel 3s if { path /tun }
  http-request set-header x-after %[cur_server_timeout],%[cur_tunnel_timeout]
  http-response set-header x-res %[cur_server_timeout],%[cur_tunnel_timeout]
  server s1 127.0.0.1:${origin}
`;

const get = (port: number, path: string, hdrs = '') =>
  rawExchange(port, `GET ${path} HTTP/1.1\r\nhost: t\r\n${hdrs}connection: close\r\n\r\n`, { maxMs: 5000, idleMs: 3000 });

for (const who of subjects()) {
  describe(`http-request set-timeout on ${who}`, () => {
    let px: Proc;
    let origin: http.Server;
    let fe = 0;
    before(async () => {
      const [f, o] = await freePorts(2);
      fe = f;
      // echoes the two headers the rules set, after x-delay ms
      origin = http.createServer((q, r) => {
        setTimeout(() => r.end(`${q.headers['x-before']} ${q.headers['x-after']}`), Number(q.headers['x-delay'] ?? 0));
      });
      await new Promise<void>((r) => origin.listen(o, '127.0.0.1', r));
      px = await startProxy(who, cfg(f, o), [f]);
    });
    after(async () => {
      await px?.stop();
      origin.closeAllConnections();
      await new Promise((r) => origin.close(r));
    });

    it('a set timeout server gives the 504 at its own deadline, not the backend one', async () => {
      const r = await get(fe, '/short', 'x-delay: 2000\r\n');
      assert.match(r.data, /^HTTP\/1\.1 504 /);
      assert.ok(r.first >= 350 && r.first < 1500, `504 after ${r.first} ms`);
    });

    it('the timeout may come from a sample expression', async () => {
      const r = await get(fe, '/x', 'x-t: 300\r\nx-delay: 1500\r\n');
      assert.match(r.data, /^HTTP\/1\.1 504 /);
      assert.ok(r.first >= 250 && r.first < 1200, `504 after ${r.first} ms`);
    });

    it('cur_server_timeout and cur_tunnel_timeout read 0 before set-timeout in the request rules, then the set values, and the backend ones in the response', async () => {
      const plain = await get(fe, '/long', 'x-delay: 50\r\n');
      assert.match(plain.data, /^HTTP\/1\.1 200 /);
      assert.ok(plain.data.endsWith('0,0 0,0'), plain.data);
      assert.match(plain.data, /\r\nx-res: 10000,7000\r\n/);
      const set = await get(fe, '/tun', 'x-t: 2000\r\n');
      assert.ok(set.data.endsWith('0,0 2000,3000'), set.data);
      assert.match(set.data, /\r\nx-res: 2000,3000\r\n/);
    });
  });
}

describe('set-timeout in -c', () => {
  const check = (bin: 'tshaproxy' | 'haproxy', rule: string, section: 'frontend' | 'backend') => {
    const dir = mkdtempSync(join(tmpdir(), 'tshap-st-'));
    const f = join(dir, 'h.cfg');
    writeFileSync(
      f,
      `defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n` +
        (section === 'frontend'
          ? `frontend f\n  bind 127.0.0.1:1\n  ${rule}\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n`
          : `frontend f\n  bind 127.0.0.1:1\n  default_backend b\nbackend b\n  ${rule}\n  server s 127.0.0.1:1\n`),
    );
    const r =
      bin === 'haproxy'
        ? spawnSync(HAPROXY!, ['-c', '-f', f], { encoding: 'utf8', timeout: 10000 })
        : spawnSync(process.execPath, [join(projectRoot, 'bin', 'tshaproxy'), '-c', '-f', f], { encoding: 'utf8', timeout: 10000 });
    const alerts = (r.stderr + r.stdout).split('\n').filter((l) => l.includes('[ALERT]')).map((l) => l.replace(/\(\d+\)/, '(PID)').split(dir + '/').join(''));
    return { code: r.status, alerts };
  };
  const CASES: [string, 'frontend' | 'backend', RegExp | null][] = [
    ['http-request set-timeout server 5s', 'frontend', /while parsing 'http-request set-timeout' rule : proxy 'f' has no backend capability\.$/],
    ['http-request set-timeout client 5s', 'backend', /'set-timeout' rule supports 'server'\/'tunnel' \(got 'client'\)\.$/],
    ['http-request set-timeout tunnel foo', 'backend', /unexpected character 'f' in rule 'set-timeout tunnel'\.$/],
    ['http-request set-timeout server -1s', 'backend', /unexpected character '-' in rule 'set-timeout server'\.$/],
    ['http-request set-timeout server', 'backend', /expects exactly 2 arguments\.$/],
    ['http-request set-timeout server req.hdr(x)', 'backend', null],
  ];
  for (const [rule, section, want] of CASES) {
    it(`"${rule}" in a ${section}: ${want ? 'refused with HAProxy\'s text' : 'accepted'}`, (t) => {
      const ts = check('tshaproxy', rule, section);
      if (want) {
        assert.equal(ts.code, 1);
        assert.match(ts.alerts[0] ?? '', want);
      } else assert.equal(ts.code, 0, ts.alerts.join('\n'));
      if (!HAPROXY) return t.diagnostic('haproxy not installed: not compared');
      const h = check('haproxy', rule, section);
      assert.equal(ts.code, h.code);
      assert.deepEqual(ts.alerts, h.alerts);
    });
  }
});
