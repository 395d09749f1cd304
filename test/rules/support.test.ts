/**
 * What `-c` says about rules: actions the engine applies are honoured (no
 * warning); actions it only accepts (log level, captures, cache...)
 * keep the "not honoured" warning. Checked against the action
 * table itself so the two cannot drift apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHonoured } from '../../src/config/support.js';
import { allActionDefs } from '../../src/runtime/rules/index.js';
import { checkText } from '../helpers.js';

/** actions that run but whose effect is not applied by the rest of the runtime yet */
const STORED_ONLY = new Set(['set-log-level', 'capture', 'set-priority-class', 'set-priority-offset']);

test('every action the engine applies is marked honoured, and none of the no-ops is', () => {
  const wrong: string[] = [];
  for (const d of allActionDefs()) {
    if (d.name.startsWith('legacy-')) continue;
    for (const rs of d.rulesets) {
      if (rs === 'redirect') continue;
      const words = rs.split(' ');
      const args = [...words, d.name];
      const honoured = isHonoured('frontend', args);
      // tcp-request connection variables live in a context the stream does not keep
      const expected = !d.noop && !STORED_ONLY.has(d.name) && !(rs === 'tcp-request connection' && /var/.test(d.name));
      if (honoured !== expected) wrong.push(`${rs} ${d.name}: honoured ${honoured}, expected ${expected}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('-c warns about set-log-level but not about deny, track-sc, use-server or inspect-delay', async () => {
  const { lines } = await checkText(
    [
      'userlist L',
      '    user u insecure-password p',
      'defaults',
      '    mode http',
      '    timeout connect 1s',
      '    timeout client 1s',
      '    timeout server 1s',
      'frontend fe',
      '    bind 127.0.0.1:8080',
      '    tcp-request inspect-delay 2s',
      '    tcp-request content accept if { req.len gt 0 }',
      '    http-request deny if { path /x }',
      '    http-request set-log-level silent',
      '    http-request track-sc0 src table be',
      '    http-request redirect location /y if { path /z }',
      '    default_backend be',
      'backend be',
      '    stick-table type ip size 10',
      '    use-server s1 if { path /s }',
      '    server s1 127.0.0.1:9000',
      '',
    ].join('\n'),
    { supportWarnings: true },
  );
  const notHonoured = lines.filter((l) => l.includes('not honoured'));
  assert.ok(notHonoured.some((l) => l.includes("'http-request set-log-level'")), notHonoured.join('\n'));
  for (const kw of ['http-request deny', 'http-request redirect', 'http-request track-sc0', 'use-server', 'tcp-request', 'user']) {
    assert.ok(!notHonoured.some((l) => l.includes(`'${kw}'`)), `${kw}: ${notHonoured.join('\n')}`);
  }
});
