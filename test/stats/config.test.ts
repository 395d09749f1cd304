/**
 * The proxy `stats` keywords in the configuration check: HAProxy 2.6's
 * messages (observed with haproxy -c), and no "not honoured" note left for
 * the keywords the stats module implements.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkInDir } from '../helpers.js';
import { isHonoured } from '../../src/config/support.js';

const HEAD = 'defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nlisten l\n  bind 127.0.0.1:28999\n';

const cases: [string, string][] = [
  ['stats admin', "alert: parsing [h.cfg:8] : 'stats admin' requires either 'if' or 'unless' followed by a condition."],
  ['stats admin if FOO', "alert: parsing [h.cfg:8] : error detected while parsing a 'stats admin' rule : no such ACL : 'FOO'."],
  ['stats auth', "alert: parsing [h.cfg:8] : 'auth' needs a user:password account."],
  ['stats uri', "alert: parsing [h.cfg:8] : 'uri' needs an URI prefix."],
  ['stats realm', "alert: parsing [h.cfg:8] : 'realm' needs an realm name."],
  ['stats scope', "alert: parsing [h.cfg:8] : 'scope' needs a proxy name."],
  ['stats refresh x', "alert: parsing [h.cfg:8]: unexpected character 'x' in argument to stats refresh interval."],
  [
    'stats show-node a/b',
    "alert: parsing [h.cfg:8]: 'stats show-node' invalid node name - should be a stringwith digits(0-9), letters(A-Z, a-z), hyphen(-) or underscode(_).",
  ],
  [
    'stats foo',
    "alert: parsing [h.cfg:8]: unknown stats parameter 'foo', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.",
  ],
  [
    'stats',
    "alert: parsing [h.cfg:8]: missing keyword in 'stats', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.",
  ],
  ['stats show-desc', "warning: parsing [h.cfg:8]: 'show-desc' requires a parameter or 'desc' to be set in the global section."],
];

test('wrong stats keywords are reported with HAProxy 2.6\'s messages', async () => {
  for (const [line, msg] of cases) {
    const r = await checkInDir(`${HEAD}  ${line}\n`);
    assert.ok(r.lines.includes(msg), `${line}: ${r.lines.join(' | ')}`);
  }
});

test('a full stats page configuration is valid, with an http-request rule and an admin condition', async () => {
  const r = await checkInDir(
    `${HEAD}  stats enable\n  stats uri /st\n  stats realm R\n  stats auth a:b\n  stats refresh 5s\n  stats scope .\n  stats hide-version\n  stats show-legends\n  stats show-node n1\n  stats show-desc hello\n  stats admin if LOCALHOST\n`,
  );
  assert.equal(r.exit, 0, r.lines.join('\n'));
  const h = await checkInDir(`${HEAD}  stats enable\n  stats http-request deny if { src 10.0.0.0/8 }\n  stats http-request allow\n`);
  assert.equal(h.exit, 0, h.lines.join('\n'));
});

test('the stats socket and the stats page keywords are honoured by the runtime', () => {
  for (const kw of ['socket', 'timeout', 'maxconn']) assert.ok(isHonoured('global', ['stats', kw]), kw);
  for (const kw of ['enable', 'uri', 'realm', 'refresh', 'auth', 'scope', 'admin', 'http-request', 'hide-version', 'show-legends', 'show-node', 'show-desc']) {
    assert.ok(isHonoured('listen', ['stats', kw]), kw);
  }
  assert.ok(!isHonoured('listen', ['stats', 'show-modules']));
});
