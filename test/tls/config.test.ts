/**
 * `-c` on SSL configurations, compared line for line with HAProxy 2.6:
 * certificate files that are missing, keyless or not PEM, crt-base, and
 * the checks HAProxy makes of `ssl` servers (client certificate, CA file
 * for the default `verify required`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../harness/runner.js';
import { HAPROXY } from '../checks/lib.js';
import { makePki } from './lib.js';

const pki = makePki();

/** HAProxy's answers, observed with haproxy 2.6.12 -c (used when haproxy is not installed) */
const CASES: { name: string; cfg: (k: NonNullable<typeof pki>) => string; alerts: string[] }[] = [
  {
    name: 'a missing crt file',
    cfg: () => `frontend f\n    mode http\n    bind 127.0.0.1:1 ssl crt missing.pem\n`,
    alerts: [
      `parsing [h.cfg:3] : 'bind 127.0.0.1:1' in section 'frontend' : unable to stat SSL certificate from file 'missing.pem' : No such file or directory.`,
      'Error(s) found in configuration file : h.cfg',
      'Fatal errors found in configuration.',
    ],
  },
  {
    name: 'a PEM without its key',
    cfg: () => `frontend f\n    mode http\n    bind 127.0.0.1:1 ssl crt nokey.pem\n`,
    alerts: [
      `parsing [h.cfg:3] : 'bind 127.0.0.1:1' in section 'frontend' : No Private Key found in 'nokey.pem.key'.`,
      'Error(s) found in configuration file : h.cfg',
      'Fatal errors found in configuration.',
    ],
  },
  {
    name: 'a file that holds no certificate',
    cfg: () => `frontend f\n    mode http\n    bind 127.0.0.1:1 ssl crt h.cfg\n`,
    alerts: [
      `parsing [h.cfg:3] : 'bind 127.0.0.1:1' in section 'frontend' : unable to load certificate from file 'h.cfg'.`,
      'Error(s) found in configuration file : h.cfg',
      'Fatal errors found in configuration.',
    ],
  },
  {
    name: 'crt-base before a relative name, the second crt missing',
    cfg: (k) => `global\n    crt-base ${k.dir}\nfrontend f\n    mode http\n    bind 127.0.0.1:1 ssl crt a.pem crt nope.pem\n`,
    alerts: [
      `parsing [h.cfg:5] : 'bind 127.0.0.1:1' in section 'frontend' : unable to stat SSL certificate from file 'DIR/nope.pem' : No such file or directory.`,
      'Error(s) found in configuration file : h.cfg',
      'Fatal errors found in configuration.',
    ],
  },
  {
    name: 'a certificate with the key of another one',
    cfg: (k) => {
      writeFileSync(join(k.dir, 'mismatch.pem'), readFileSync(join(k.dir, 'a.crt'), 'latin1') + readFileSync(join(k.dir, 'b.key'), 'latin1'));
      return `frontend f\n    mode http\n    bind 127.0.0.1:1 ssl crt mismatch.pem\n`;
    },
    alerts: [
      `parsing [h.cfg:3] : 'bind 127.0.0.1:1' in section 'frontend' : inconsistencies between private key and certificate loaded 'mismatch.pem'.`,
      'Error(s) found in configuration file : h.cfg',
      'Fatal errors found in configuration.',
    ],
  },
  {
    name: 'a crt-list naming a missing certificate',
    cfg: (k) => {
      writeFileSync(join(k.dir, 'bad.list'), `${k.a}\n${k.dir}/missing.pem [alpn h2] x.example\n`);
      return `frontend f\n    mode http\n    bind 127.0.0.1:1 ssl crt-list bad.list\n`;
    },
    alerts: [
      `parsing [h.cfg:3] : 'bind 127.0.0.1:1' in section 'frontend' : 'crt-list' : unable to stat SSL certificate from file 'DIR/missing.pem' : No such file or directory.`,
      'Error(s) found in configuration file : h.cfg',
      'Fatal errors found in configuration.',
    ],
  },
  {
    name: 'a crt directory holding a file that is no certificate',
    cfg: (k) => {
      mkdirSync(join(k.dir, 'mixed'), { recursive: true });
      copyFileSync(k.a, join(k.dir, 'mixed', 'a.pem'));
      copyFileSync(join(k.dir, 'a.key'), join(k.dir, 'mixed', 'a.key'));
      copyFileSync(join(k.dir, 'a.csr'), join(k.dir, 'mixed', 'b.csr'));
      return `frontend f\n    mode http\n    bind 127.0.0.1:1 ssl crt mixed\n`;
    },
    alerts: [
      `parsing [h.cfg:3] : 'bind 127.0.0.1:1' in section 'frontend' : unable to load certificate from file 'mixed/b.csr'.`,
      'Error(s) found in configuration file : h.cfg',
      'Fatal errors found in configuration.',
    ],
  },
  {
    name: 'ssl servers: the default verify needs a CA file, and the client crt is loaded',
    cfg: (k) =>
      `defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nbackend b\n` +
      `    server s0 127.0.0.1:1 ssl\n    server s1 127.0.0.1:1 ssl crt nope.pem\n    server s2 127.0.0.1:1 ssl crt nokey.pem verify none\n` +
      `    server s3 127.0.0.1:1 crt nokey.pem verify none\n    server s4 127.0.0.1:1 ssl verify required ca-file ${k.ca} crt ${k.client}\n`,
    alerts: [
      `[h.cfg:7] : 'server b/s0' : verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.`,
      `[h.cfg:8] : 'server b/s1' : unable to stat SSL certificate from file 'nope.pem' : No such file or directory.`,
      `verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.`,
      `[h.cfg:9] : 'server b/s2' : No Private Key found in 'nokey.pem.key'.`,
      'Fatal errors found in configuration.',
    ],
  },
  {
    name: 'a valid SSL configuration',
    cfg: (k) =>
      `global\n    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n    ssl-default-bind-ciphers ECDHE+AESGCM\n` +
      `defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n` +
      `frontend f\n    bind 127.0.0.1:1 ssl crt ${k.a} crt ${k.b} alpn h2,http/1.1 strict-sni verify optional ca-file ${k.ca}\n    default_backend b\n` +
      `backend b\n    server s 127.0.0.1:1 ssl verify none sni str(x) alpn http/1.1\n`,
    alerts: [],
  },
];

/** `-c` alert lines (the text after "config : ") and the exit code */
function check(cmd: string, args: string[], dir: string): { alerts: string[]; exit: number; out: string } {
  const r = spawnSync(cmd, [...args, '-c', '-f', 'h.cfg'], { cwd: dir, encoding: 'utf8', timeout: 10000 });
  const alerts = `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((l) => l.startsWith('[ALERT]'))
    .map((l) => l.replace(/^\[ALERT\] +\(\d+\) : config : /, '').split(dir).join('DIR'));
  return { alerts, exit: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('-c on SSL configurations', { skip: !pki && 'openssl is not installed' }, () => {
  for (const c of CASES) {
    it(`${c.name}: the same alerts and exit code as HAProxy 2.6`, () => {
      const k = pki!;
      writeFileSync(join(k.dir, 'h.cfg'), c.cfg(k));
      const ours = check(process.execPath, [join(projectRoot, 'bin', 'tshaproxy')], k.dir);
      assert.deepEqual(ours.alerts, c.alerts, ours.out);
      assert.equal(ours.exit, c.alerts.length ? 1 : 0, ours.out);
      if (HAPROXY) {
        const theirs = check(HAPROXY, [], k.dir);
        assert.deepEqual(ours.alerts, theirs.alerts);
        assert.equal(ours.exit, theirs.exit);
      }
    });
  }
});
