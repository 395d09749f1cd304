/**
 * The reference captures of HAProxy 2.6 (reference/captures/errors/deny_status):
 * every `deny_status` code, `http-request auth` and a redirect, each asked
 * with `Connection: close`, must come out of tshaproxy byte for byte, with
 * the configuration they were recorded with.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Backends, freePorts, rawExchange, startProxy, type Proc } from './lib.js';

const REF = '/work/shared/reference/captures';
const DIR = join(REF, 'errors', 'deny_status');
const CFG = join(REF, 'how_captured', 'haproxy_deny_status.cfg');
const have = existsSync(DIR) && existsSync(CFG);

let proc: Proc | undefined;
let port = 0;
const backends = new Backends();

before(async () => {
  if (!have) return;
  const [fe, be] = await freePorts(2);
  port = fe;
  await backends.http('be', be);
  // the recorded configuration, on our ports, without its syslog target
  const cfg = readFileSync(CFG, 'utf8')
    .replace(/bind 127\.0\.0\.1:\d+/, `bind 127.0.0.1:${fe}`)
    .replace(/^\s*log .*$/gm, '')
    .replace(/^\s*option httplog$/gm, '')
    .replace(/backend be\s*$/, `backend be\n    server s1 127.0.0.1:${be}\n`);
  proc = await startProxy('tshaproxy', cfg, [fe]);
});

after(async () => {
  await proc?.stop();
  await backends.close();
});

test('deny_status, auth and redirect replies equal the HAProxy 2.6 captures byte for byte', { skip: !have && 'reference captures not available', timeout: 30000 }, async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.bin'));
  const diffs: string[] = [];
  for (const f of files) {
    const what = f.replace(/^deny_/, '').replace(/\.bin$/, '');
    const path = what === 'auth' ? '/auth' : what === 'redir' ? '/redir' : `/${what}`;
    const expected = readFileSync(join(DIR, f)).toString('latin1');
    const r = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: rawclient\r\nConnection: close\r\n\r\n`, { idleMs: 300, maxMs: 2000 });
    if (r.data !== expected) diffs.push(`${f}\n  tsh: ${JSON.stringify(r.data)}\n  ref: ${JSON.stringify(expected)}`);
    if (!r.closed) diffs.push(`${f}: the connection stayed open after Connection: close`);
  }
  assert.ok(files.length >= 19);
  assert.deepEqual(diffs, []);
});
