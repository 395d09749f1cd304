/**
 * "did you mean": HAProxy 2.6 fingerprints words by their character
 * transitions and which characters they hold (tools.c), and drops a
 * suggestion further than twice the length of either word. Expected texts
 * were taken from haproxy 2.6.12 runs on the same lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestMatch } from '../../src/config/registry.js';
import { checkInDir } from '../helpers.js';

async function alerts(text: string): Promise<string[]> {
  const r = await checkInDir(text);
  return r.lines.filter((l) => l.startsWith('alert: parsing') || l.startsWith('alert: [h.cfg'));
}

test('an unknown proxy keyword gets the suggestion HAProxy 2.6 gives, or none', async () => {
  const words = ['on', 'opt', 'optio', 'mo', 'mod', 'bnid', 'liste', 'clitimeou', 'monitor-ne', 'http-', 'xxxxlog', 'xxxlog'];
  const got = await alerts(`backend b\n${words.map((w) => `  ${w} x\n`).join('')}`);
  assert.deepEqual(got, [
    "alert: parsing [h.cfg:2] : unknown keyword 'on' in 'backend' section",
    "alert: parsing [h.cfg:3] : unknown keyword 'opt' in 'backend' section",
    "alert: parsing [h.cfg:4] : unknown keyword 'optio' in 'backend' section; did you mean 'option' maybe ?",
    "alert: parsing [h.cfg:5] : unknown keyword 'mo' in 'backend' section",
    "alert: parsing [h.cfg:6] : unknown keyword 'mod' in 'backend' section; did you mean 'mode' maybe ?",
    "alert: parsing [h.cfg:7] : unknown keyword 'bnid' in 'backend' section; did you mean 'bind' maybe ?",
    "alert: parsing [h.cfg:8] : unknown keyword 'liste' in 'backend' section; did you mean 'listen' maybe ?",
    "alert: parsing [h.cfg:9] : unknown keyword 'clitimeou' in 'backend' section; did you mean 'clitimeout' maybe ?",
    "alert: parsing [h.cfg:10] : unknown keyword 'monitor-ne' in 'backend' section; did you mean 'monitor-net' maybe ?",
    "alert: parsing [h.cfg:11] : unknown keyword 'http-' in 'backend' section; did you mean 'http-check' maybe ?",
    "alert: parsing [h.cfg:12] : unknown keyword 'xxxxlog' in 'backend' section",
    "alert: parsing [h.cfg:13] : unknown keyword 'xxxlog' in 'backend' section; did you mean 'log' maybe ?",
  ]);
});

test('unknown server and bind keywords get the suggestion HAProxy 2.6 gives, or none', async () => {
  const got = await alerts(
    'frontend f\n  bind :8080 ss\n  bind :8081 alp\n  bind :8082 mo\n' +
      'backend b\n  server s1 127.0.0.1:80 servr\n  server s2 127.0.0.1:80 tcp-md5sig\n  server s3 127.0.0.1:80 wei\n  server s4 127.0.0.1:80 chekc\n',
  );
  assert.deepEqual(got, [
    "alert: parsing [h.cfg:2] : 'bind :8080' in section 'frontend': unknown keyword 'ss'; did you mean 'ssl' maybe ?",
    "alert: parsing [h.cfg:3] : 'bind :8081' in section 'frontend': unknown keyword 'alp'; did you mean 'alpn' maybe ?",
    "alert: parsing [h.cfg:4] : 'bind :8082' in section 'frontend': unknown keyword 'mo'.",
    "alert: [h.cfg:6] : 'server b/s1' : unknown keyword 'servr'; did you mean 'observe' maybe ?",
    "alert: [h.cfg:7] : 'server b/s2' : unknown keyword 'tcp-md5sig'.",
    "alert: [h.cfg:8] : 'server b/s3' : unknown keyword 'wei'.",
    "alert: [h.cfg:9] : 'server b/s4' : unknown keyword 'chekc'; did you mean 'check' maybe ?",
  ]);
});

test('the fingerprint counts which characters a word holds, not only its transitions', () => {
  // 'on' shares every transition with 'option' but lacks three of its letters
  assert.equal(bestMatch('on', ['option']), undefined);
  assert.equal(bestMatch('lo', ['log']), 'log');
  // the first closest candidate wins, and is then held to the length limits
  assert.equal(bestMatch('bnid', ['bind', 'id']), 'bind');
  assert.equal(bestMatch('bnid', ['id', 'bind']), undefined);
});

test('HAProxy and tshaproxy agree on a sample of misspelt proxy keywords', async (t) => {
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('sh', ['-c', 'command -v haproxy']).status !== 0) return t.skip('haproxy is not installed');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const words = ['timeou', 'balanc', 'servr', 'usebackend', 'cooki', 'errorfil', 'stik', 'redispatc', 'defaultz', 'optionxxxxxxxx'];
  const text = `backend b\n${words.map((w) => `  ${w} x\n`).join('')}`;
  const dir = mkdtempSync(join(tmpdir(), 'tsh-dym-'));
  writeFileSync(join(dir, 'h.cfg'), text);
  const hap = spawnSync('haproxy', ['-c', '-f', 'h.cfg'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  const theirs = hap.stderr.split('\n').filter((l) => l.includes('unknown keyword')).map((l) => l.replace(/^.* : config : /, ''));
  const ours = (await alerts(text)).map((l) => l.replace(/^alert: /, ''));
  assert.deepEqual(ours, theirs);
});
