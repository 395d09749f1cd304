/**
 * Details of `-c` that HAProxy 2.6.12 shows and tshaproxy must reproduce
 * (expected texts from haproxy runs on the same lines): the shared `log`
 * parser, `monitor fail`, `dispatch`, stick-counter actions, `quiet`, the
 * keywords the manual's list misses; and tshaproxy's own output rules
 * (quiet mode, one "not honoured" note per keyword), model positions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCheck } from '../../src/cli/check-output.js';
import { isHonoured } from '../../src/config/support.js';
import { checkInDir } from '../helpers.js';

const problems = (lines: string[]) => lines.filter((l) => /^(alert|warning): (parsing|Parsing|\[)/.test(l));

test('global and proxy log lines go through one parser, with HAProxy messages and option order', async () => {
  const lines = [
    'log global',
    'log 127.0.0.1 format raw len 100 local0',
    'log 127.0.0.1 sample 1-2,2-3:4 local0',
    'log 127.0.0.1 sample 3-2:4 local0',
    'log 127.0.0.1 sample 5:4 local0',
    'log 127.0.0.1 sample 1:0 local0',
    'log ::1 local0',
    'log 127.0.0.1 len 100x local0',
  ];
  const g = await checkInDir(`global\n${lines.map((l) => `  ${l}\n`).join('')}`);
  assert.deepEqual(problems(g.lines), [
    "alert: parsing [h.cfg:2] : log : 'global' is not supported for a global syslog server",
    "alert: parsing [h.cfg:3] : log : unknown log facility 'len'",
    'alert: parsing [h.cfg:4] : log : ranges are overlapping',
    "alert: parsing [h.cfg:5] : log : wrong sample range '3-2'",
    'alert: parsing [h.cfg:6] : log : sample size 4 should be greater or equal to 5 the maximum of the high ranges limits',
    "alert: parsing [h.cfg:7] : log : wrong sample size '0' for sample range '1'",
    "alert: parsing [h.cfg:8] : log : invalid address: ':' in '::1'\n",
  ]);
  const p = await checkInDir('defaults\n  log\n  no log x\n  log global\n');
  assert.deepEqual(problems(p.lines), [
    'alert: parsing [h.cfg:2] : log : expects <address> and <facility> or global as arguments',
    "alert: parsing [h.cfg:3] : log : 'no log' does not expect arguments",
  ]);
  const gl = await checkInDir('global\n  log\n');
  // the global section's wording keeps HAProxy's double blank
  assert.deepEqual(problems(gl.lines), ['alert: parsing [h.cfg:2] : log : expects <address> and <facility>  as arguments']);
});

test('monitor fail is placed and its condition parsed like HAProxy does', async () => {
  const r = await checkInDir(
    'frontend f\n  mode http\n  bind :8080\n  timeout client 1s\n  http-request deny if FALSE\n  monitor fail if TRUE\n  monitor fail if nosuch\n  monitor-uri /x\n' +
      'backend b\n  monitor foo\n  monitor fail x\n',
  );
  assert.deepEqual(problems(r.lines), [
    "warning: parsing [h.cfg:6] : a 'monitor fail' rule placed after an 'http-request' rule will still be processed before.",
    "warning: parsing [h.cfg:7] : a 'monitor fail' rule placed after an 'http-request' rule will still be processed before.",
    "alert: parsing [h.cfg:7] : error detected while parsing a 'monitor fail' condition : no such ACL : 'nosuch'.",
    "warning: parsing [h.cfg:10] : 'monitor' ignored because backend 'b' has no frontend capability.",
    "alert: parsing [h.cfg:10] : 'monitor' only supports 'fail'.",
    "warning: parsing [h.cfg:11] : 'monitor' ignored because backend 'b' has no frontend capability.",
    "alert: parsing [h.cfg:11] : 'monitor fail' requires either 'if' or 'unless' followed by a condition.",
  ]);
});

test('stick-counter actions re-read their whole action word, as HAProxy does', async () => {
  const words = ['sc-inc-gpc', 'sc-inc-gpc(1)', 'sc-inc-gpc(1,5)', 'sc-inc-gpc0x', 'sc-set-gpt 5', 'sc-set-gpt0(7) 5', 'sc-set-gpt0(2) x'];
  const msgs: string[] = [];
  for (const w of words) {
    const r = await checkInDir(`backend b\n  http-request ${w}\n`);
    msgs.push(...problems(r.lines).map((l) => l.replace(/^.* rule : /, '')));
  }
  assert.deepEqual(msgs, [
    "invalid gpc ID 'sc-inc-gpc'. Expects sc-inc-gpc(<GPC ID>,<Track ID>).",
    "Missing gpc ID 'sc-inc-gpc(1)'. Expects sc-inc-gpc(<GPC ID>,<Track ID>).",
    "invalid stick table track ID 'sc-inc-gpc(1,5)'. The max allowed ID is 2.",
    'invalid stick table track ID. Expects sc-inc-gpc0x(<Track ID>).',
    "invalid gpt ID 'sc-set-gpt'. Expects sc-set-gpt(<GPT ID>,<Track ID>).",
    "invalid stick table track ID 'sc-set-gpt0(7)'. The max allowed ID is 2.",
    "unknown fetch method 'x'.",
  ]);
});

test('keywords missing from the manual list are known, with their HAProxy checks', async () => {
  const r = await checkInDir(
    'backend b\n  dynamic-cookie-key abc\n  max-session-srv-conns 10\n  hash-balance-factor 50\n  clitcpka-cnt 3\n  srvtcpka-idle 3x\n  stats show-modules\n' +
      'frontend f\n  dynamic-cookie-key\n  max-session-srv-conns\n  clitcpka-cnt x\n' +
      'defaults d\n  dispatch 127.0.0.1:80\n' +
      'listen l\n  dispatch 127.0.0.1\n  server s 127.0.0.1:1 socks4 localhost:1080\n',
  );
  assert.deepEqual(problems(r.lines), [
    "warning: parsing [h.cfg:3] : 'max-session-srv-conns' ignored because backend 'b' has no frontend capability.",
    "alert: parsing [h.cfg:4] : 'hash-balance-factor' must be 0 or greater than 100.",
    "warning: parsing [h.cfg:5] : clitcpka-cnt will be ignored because backend 'b' has no frontend capability",
    "alert: parsing [h.cfg:6] : unexpected character 'x' in argument to <srvtcpka-idle>.",
    "warning: parsing [h.cfg:9] : 'dynamic-cookie-key' ignored because frontend 'f' has no backend capability.",
    "alert: parsing [h.cfg:9] : 'dynamic-cookie-key' expects <secret_key> as argument.",
    "alert: parsing [h.cfg:11] : 'clitcpka-cnt' : unexpected character 'x' in integer value 'x'",
    "alert: parsing [h.cfg:13] : 'dispatch' not allowed in 'defaults' section.",
    "alert: parsing [h.cfg:15] : 'dispatch' : missing port specification in '127.0.0.1'",
  ]);
  // HAProxy's own misspelt prefix on this one
  assert.ok(r.lines.includes("alert: parsine [h.cfg:10] : 'max-session-srv-conns' expects a number. Got no argument"));
});

test('a defaults section ignores words after its name, and a missing origin is named as HAProxy does', async () => {
  let r = await checkInDir('defaults a b c d\n  mode http\n');
  assert.deepEqual(problems(r.lines), []);
  r = await checkInDir('frontend f from x\n  mode http\n');
  assert.deepEqual(problems(r.lines), ["alert: parsing [h.cfg:1] : defaults section 'x' not found for frontend 'f'."]);
});

test('after fatal parse errors nothing else is checked, as HAProxy stops there', async () => {
  const r = await checkInDir('frontend f\n  bind :8080\n  nosuch\nbackend b\n  server s 127.0.0.1:1\n');
  // no "missing timeouts" warnings: HAProxy does not get that far
  assert.deepEqual(r.lines.filter((l) => l.startsWith('warning')), []);
  assert.equal(r.exit, 1);
});

test('`quiet` in the global section silences what follows, and -q silences everything', async () => {
  const r = await checkInDir('global\n  foo\n  quiet\n  bar\nfrontend f\n  baz\n');
  assert.equal(r.exit, 1);
  const out = renderCheck(r.res, { quiet: false, pid: 1, exe: 'tshaproxy' });
  assert.deepEqual(out.stderr.split('\n').filter((l) => l.includes('ALERT')), [
    "[ALERT]    (1) : config : parsing [h.cfg:2] : unknown keyword 'foo' in 'global' section",
  ]);
  const q = renderCheck(r.res, { quiet: true, pid: 1, exe: 'tshaproxy' });
  assert.deepEqual(q, { stderr: '', stdout: '' });
});

test('in default mode each keyword not honoured yet is said once, with how many lines use it', async () => {
  const r = await checkInDir(
    'frontend f\n  bind :8080\n  timeout client 1s\n  acl a path /a\n  acl b path /b\n  acl c path /c\n' +
      '  http-request set-log-level info if a\n  http-request set-log-level err if b\n  default_backend b1\n' +
      'backend b1\n  timeout connect 1s\n  timeout server 1s\n  server s 127.0.0.1:1\n',
    { strict: false, supportWarnings: true },
  );
  const notes = r.lines.filter((l) => l.includes('not honoured'));
  // what the runtime honours grows (src/config/support.ts): expect a note only for what it does not
  const expected: string[] = [];
  if (!isHonoured('frontend', ['acl', 'a'])) {
    expected.push("warning: parsing [h.cfg:4] : 'acl' is accepted but not honoured by tshaproxy's runtime yet (here and on 2 other lines).");
  }
  if (!isHonoured('frontend', ['http-request', 'set-log-level'])) {
    expected.push(
      "warning: parsing [h.cfg:7] : 'http-request set-log-level' is accepted but not honoured by tshaproxy's runtime yet (here and on 1 other line).",
    );
  }
  assert.deepEqual(notes, expected);
  const strict = await checkInDir('frontend f\n  bind :8080\n  timeout client 1s\n  acl a path /a\n');
  assert.deepEqual(strict.lines.filter((l) => l.includes('not honoured')), []);
});

test('servers, binds, rules, ACLs and conditions keep their file, line and column', async () => {
  const r = await checkInDir(
    'frontend f\n  bind :8080\n  timeout client 1s\n   acl a path /a\n  http-request deny   if a\n  default_backend b\n' +
      'backend b\n  timeout connect 1s\n  timeout server 1s\n    server s 127.0.0.1:1\n  balance roundrobin\n',
  );
  const [f, b] = r.res.config.proxies;
  const at = (x: { file: string; line: number; column?: number }) => [x.file, x.line, x.column];
  assert.deepEqual(at(f.binds[0]), ['h.cfg', 2, 3]);
  assert.deepEqual(at(f.acls[0]), ['h.cfg', 4, 4]);
  assert.deepEqual(at(f.rules[0]), ['h.cfg', 5, 3]);
  assert.deepEqual(at(f.rules[0].cond!), ['h.cfg', 5, 23]);
  assert.deepEqual(at(b.servers[0]), ['h.cfg', 10, 5]);
  assert.deepEqual(at(b.balance!), ['h.cfg', 11, 3]);
});

test('an agent check without an agent port is refused as HAProxy does', async () => {
  const r = await checkInDir('backend b\n  server w 127.0.0.1:2 agent-check\n  server x 127.0.0.1:2 agent-check agent-port 5\n');
  assert.deepEqual(problems(r.lines), ["alert: [h.cfg:2] : 'server b/w' : server w does not have agent port. Agent check has been disabled."]);
});
