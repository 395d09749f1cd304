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
import { bindOptionsNotHonoured, isHonoured } from '../../src/config/support.js';
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

test('no-tls-tickets gets a note: HAProxy then resumes sessions from its cache, which tshaproxy has not', () => {
  const opts = new Map<string, string[]>([['ssl', []], ['crt', ['x.pem']], ['no-tls-tickets', []]]);
  assert.deepEqual(bindOptionsNotHonoured(opts.keys(), opts, true), ['no-tls-tickets (resumption from the session cache)']);
  const plain = new Map<string, string[]>([['ssl', []], ['crt', ['x.pem']]]);
  assert.deepEqual(bindOptionsNotHonoured(plain.keys(), plain, true), []);
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

/* ---- post-parse checks of each proxy (check_config_validity), texts from haproxy 2.6.12 -c ---- */

const diagnostics = (lines: string[]) => lines.filter((l) => /^(alert|warning): /.test(l));

test("a tcp proxy warns about each HTTP setting it has or inherits, in HAProxy's order, and switch-mode http keeps them", async () => {
  const r = await checkInDir(
    "defaults\n" +
    "  timeout client 1s\n" +
    "  timeout server 1s\n" +
    "  timeout connect 1s\n" +
    "  mode http\n" +
    "  stats enable\n" +
    "  option forwardfor\n" +
    "  option httplog\n" +
    "  cookie SRV insert\n" +
    "  balance uri\n" +
    "  monitor-uri /m\n" +
    "  option http-buffer-request\n" +
    "frontend f\n" +
    "  bind :8001\n" +
    "  mode tcp\n" +
    "backend b\n" +
    "  mode tcp\n" +
    "  http-request deny\n" +
    "  http-response deny\n" +
    "  redirect location /\n" +
    "  server s1 127.0.0.1:80 cookie a\n" +
    "listen l\n" +
    "  bind :8002\n" +
    "  mode tcp\n" +
    "  log 127.0.0.1 local0\n" +
    "  capture cookie FOO len 10\n" +
    "  balance hdr(host)\n" +
    "  option prefer-last-server\n" +
    "  server-template w 1-2 127.0.0.1:80 cookie b\n" +
    "frontend up\n" +
    "  bind :8003\n" +
    "  mode tcp\n" +
    "  tcp-request content switch-mode http\n" +
    "  http-request deny\n" +
    "  default_backend bh\n" +
    "backend bh\n" +
    "  mode http\n" +
    "  server s1 127.0.0.1:80\n",
  );
  assert.deepEqual(diagnostics(r.lines), [
    "warning: monitor-uri will be ignored for frontend 'f' (needs 'mode http').",
    "warning: parsing [h.cfg:8] : 'option httplog' not usable with frontend 'f' (needs 'mode http'). Falling back to 'option tcplog'.",
    "warning: log format ignored for frontend 'f' since it has no log address.",
    "warning: 'stats' statement ignored for frontend 'f' as it requires HTTP mode.",
    "warning: 'option forwardfor' ignored for frontend 'f' as it requires HTTP mode.",
    "warning: 'option http-buffer-request' ignored for frontend 'f' as it requires HTTP mode.",
    "warning: cookie will be ignored for backend 'b' (needs 'mode http').",
    "warning: Layer 7 hash not possible for backend 'b' (needs 'mode http'). Falling back to round robin.",
    "warning: 'stats' statement ignored for backend 'b' as it requires HTTP mode.",
    "warning: 'http-request' rules ignored for backend 'b' as they require HTTP mode.",
    "warning: 'http-response' rules ignored for backend 'b' as they require HTTP mode.",
    "warning: 'redirect' rules ignored for backend 'b' as they require HTTP mode.",
    "warning: 'option forwardfor' ignored for backend 'b' as it requires HTTP mode.",
    "warning: 'option http-buffer-request' ignored for backend 'b' as it requires HTTP mode.",
    "warning: backend 'b' : ignoring cookie for server 's1' as HTTP mode is disabled.",
    "warning: cookie will be ignored for proxy 'l' (needs 'mode http').",
    "warning: monitor-uri will be ignored for proxy 'l' (needs 'mode http').",
    "warning: Layer 7 hash not possible for proxy 'l' (needs 'mode http'). Falling back to round robin.",
    "warning: parsing [h.cfg:8] : 'option httplog' not usable with proxy 'l' (needs 'mode http'). Falling back to 'option tcplog'.",
    "warning: 'stats' statement ignored for proxy 'l' as it requires HTTP mode.",
    "warning: 'capture' statement ignored for proxy 'l' as it requires HTTP mode.",
    "warning: 'option forwardfor' ignored for proxy 'l' as it requires HTTP mode.",
    "warning: 'option http-buffer-request' ignored for proxy 'l' as it requires HTTP mode.",
    "warning: 'option prefer-last-server' ignored for proxy 'l' as it requires HTTP mode.",
    "warning: proxy 'l' : ignoring cookie for server 'w1' as HTTP mode is disabled.",
    "warning: proxy 'l' : ignoring cookie for server 'w2' as HTTP mode is disabled.",
    "warning: monitor-uri will be ignored for frontend 'up' (needs 'mode http').",
    "warning: parsing [h.cfg:8] : 'option httplog' not usable with frontend 'up' (needs 'mode http'). Falling back to 'option tcplog'.",
    "warning: log format ignored for frontend 'up' since it has no log address."
  ]);
  assert.equal(r.exit, 0);
});

test("a frontend with a log format but no log target gets HAProxy's \"log format ignored\" warning", async () => {
  const r = await checkInDir(
    "defaults\n" +
    "  timeout client 1s\n" +
    "  timeout server 1s\n" +
    "  timeout connect 1s\n" +
    "  mode http\n" +
    "  log global\n" +
    "  option httplog\n" +
    "frontend f1\n" +
    "  bind :8001\n" +
    "frontend f2\n" +
    "  bind :8002\n" +
    "  log 127.0.0.1 local0\n" +
    "frontend f3\n" +
    "  bind :8003\n" +
    "  no log\n" +
    "backend b1\n" +
    "  option tcplog\n" +
    "  server s1 127.0.0.1:80\n",
  );
  assert.deepEqual(diagnostics(r.lines), [
    "warning: parsing [h.cfg:17] : backend 'b1' : 'option tcplog' directive is ignored in backends.",
    "warning: log format ignored for frontend 'f1' since it has no log address.",
    "warning: log format ignored for frontend 'f3' since it has no log address."
  ]);
  assert.equal(r.exit, 0);
});

test("option external-check needs the global external-check, a command and insecure-fork-wanted, as HAProxy says", async () => {
  const r = await checkInDir(
    "defaults\n" +
    "  timeout client 1s\n" +
    "  timeout server 1s\n" +
    "  timeout connect 1s\n" +
    "backend b1\n" +
    "  option external-check\n" +
    "  server s1 127.0.0.1:80 check\n" +
    "backend b2\n" +
    "  option external-check\n" +
    "  external-check command foo\n" +
    "  server s1 127.0.0.1:80 check\n" +
    "backend b3\n" +
    "  external-check command /bin/true\n" +
    "  external-check path /bin\n" +
    "  server s1 127.0.0.1:80 check\n",
  );
  assert.deepEqual(diagnostics(r.lines), [
    "alert: Proxy 'b1' : 'option external-check' unable to find required 'global.external-check'.",
    "alert: Proxy 'b1' : 'option external-check' unable to find required 'external-check command'.",
    "warning: Proxy 'b1' : 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail.",
    "alert: Proxy 'b2' : 'option external-check' unable to find required 'global.external-check'.",
    "warning: Proxy 'b2' : 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail.",
    "alert: Proxy 'b2': 'external-check command' does not have a leading '/' and 'external-check path' is not set.",
    "warning: 'external-check command' will be ignored for backend 'b3' (requires 'option external-check').",
    "warning: 'external-check path' will be ignored for backend 'b3' (requires 'option external-check').",
    "alert: Fatal errors found in configuration."
  ]);
  assert.equal(r.exit, 1);
});

test("default_backend and use_backend targets that loop or whose mode does not fit are refused, and servers behind a default_backend are reported", async () => {
  const r = await checkInDir(
    "defaults\n" +
    "  timeout client 1s\n" +
    "  timeout server 1s\n" +
    "  timeout connect 1s\n" +
    "backend b1\n" +
    "  server s1 127.0.0.1:80\n" +
    "listen l1\n" +
    "  bind :8001\n" +
    "  default_backend l1\n" +
    "listen l2\n" +
    "  bind :8002\n" +
    "  use_backend l2\n" +
    "listen l3\n" +
    "  bind :8003\n" +
    "  mode http\n" +
    "  use_backend b1 if TRUE\n" +
    "  default_backend b1\n" +
    "listen l4\n" +
    "  bind :8004\n" +
    "  default_backend b1\n" +
    "  server s1 127.0.0.1:80\n",
  );
  assert.deepEqual(diagnostics(r.lines), [
    "alert: Proxy 'l1': loop detected for default_backend: 'l1'.",
    "alert: Proxy 'l2': loop detected for use_backend: 'l2'.",
    "alert: http proxy 'l3' (h.cfg:13) tries to use incompatible tcp backend 'b1' (h.cfg:5) as its default backend (see 'mode').",
    "alert: http proxy 'l3' (h.cfg:13) tries to use incompatible tcp backend 'b1' (h.cfg:5) in a 'use_backend' rule (see 'mode').",
    "warning: In proxy 'l4', the 'default_backend' rule always has precedence over the servers, which will never be used.",
    "alert: Fatal errors found in configuration."
  ]);
  assert.equal(r.exit, 1);
});

test("conditions reading raw request or response bytes are reported in HTTP proxies, use_backend rules first", async () => {
  const r = await checkInDir(
    "defaults\n" +
    "  mode http\n" +
    "  timeout client 1s\n" +
    "  timeout server 1s\n" +
    "  timeout connect 1s\n" +
    "frontend f\n" +
    "  bind :8001\n" +
    "  acl short req.len lt 10\n" +
    "  tcp-request content accept if short\n" +
    "  http-request deny if { req.payload(0,1) -m bin 00 } || REQ_CONTENT\n" +
    "  http-request deny if { src 1.2.3.4 }\n" +
    "  use_backend b if { req.ssl_sni -m found }\n" +
    "  default_backend b\n" +
    "backend b\n" +
    "  tcp-response content accept if { res.len gt 8 }\n" +
    "  use-server s1 if { req.len gt 9 }\n" +
    "  server s1 127.0.0.1:80\n",
  );
  assert.deepEqual(diagnostics(r.lines), [
    "warning: Proxy 'f': L6 sample fetches ignored on HTTP proxies (declared at h.cfg:12).",
    "warning: Proxy 'f': L6 sample fetches ignored on HTTP proxies (declared at h.cfg:9).",
    "warning: Proxy 'f': L6 sample fetches ignored on HTTP proxies (declared at h.cfg:10).",
    "warning: Proxy 'b': L6 sample fetches ignored on HTTP proxies (declared at h.cfg:16).",
    "warning: Proxy 'b': L6 sample fetches ignored on HTTP proxies (declared at h.cfg:15)."
  ]);
  assert.equal(r.exit, 0);
});

test("'stats show-desc' without text needs the global description set before it", async () => {
  const r = await checkInDir(
    "defaults\n" +
    "    timeout client 1s\n" +
    "    timeout server 1s\n" +
    "    timeout connect 1s\n" +
    "    mode http\n" +
    "backend b1\n" +
    "    stats show-desc\n" +
    "    stats show-desc foo bar\n" +
    "global\n" +
    "    description hello\n" +
    "backend b2\n" +
    "    stats show-desc\n",
  );
  assert.deepEqual(diagnostics(r.lines), [
    "warning: parsing [h.cfg:7]: 'show-desc' requires a parameter or 'desc' to be set in the global section."
  ]);
  assert.equal(r.exit, 2);
});

test('a ring size is read as atol() does: smaller than the buffer is fatal, negative cannot be set', async () => {
  const r = await checkInDir('ring r1\n  size 1M\nring r2\n  size 64k\n  size 20000\n  size -5\nlisten x\n  bind :8001\n  timeout client 1s\n');
  assert.deepEqual(diagnostics(r.lines), [
    "warning: parsing [h.cfg:2] : ignoring new size '1' that is smaller than current size '16384' for ring 'r1'.",
    "warning: parsing [h.cfg:4] : ignoring new size '64' that is smaller than current size '16384' for ring 'r2'.",
    "alert: parsing [h.cfg:6] : fail to set sink buffer size '20000' for ring 'r2'.",
    'alert: Error(s) found in configuration file : h.cfg',
    'alert: Fatal errors found in configuration.',
  ]);
  assert.equal(r.exit, 1);
});

test('option httpchk with headers after the version is deprecated, unless single quotes keep the escapes', async () => {
  const r = await checkInDir(
    'defaults\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n' +
      'backend b1\n  option httpchk OPTIONS * HTTP/1.1\\r\\nHost:\\ www\n  server s1 127.0.0.1:80 check\n' +
      'backend b2\n  option httpchk GET / "HTTP/1.1\\r\\n\\r\\nbody"\n  server s1 127.0.0.1:80 check\n' +
      "backend b3\n  option httpchk GET / 'HTTP/1.1\\r\\nX: y'\n  server s1 127.0.0.1:80 check\n" +
      'backend b4\n  option httpchk GET /\\r\\nX\n  server s1 127.0.0.1:80 check\n',
  );
  const deprecated = " 'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.";
  assert.deepEqual(diagnostics(r.lines), [`warning: parsing [h.cfg:6]:${deprecated}`, `warning: parsing [h.cfg:9]:${deprecated}`]);
  assert.equal(r.exit, 2);
  // the check itself is still set up
  assert.equal(r.res.config.proxies[0].options.get('httpchk')?.enabled, true);
});

test('server state files HAProxy cannot open or read are reported before addresses are resolved', async () => {
  const r = await checkInDir(
    'global\n  server-state-file missing.state\n' +
      'defaults\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n' +
      'backend b1\n  load-server-state-from-file local\n  server s1 127.0.0.1:80\n' +
      'backend b2\n  load-server-state-from-file local\n  server-state-file-name bad.state\n  server s1 127.0.0.1:80\n' +
      'backend b3\n  load-server-state-from-file local\n' +
      'backend b4\n  load-server-state-from-file none\n  server s1 127.0.0.1:80\n',
    {},
    { 'bad.state': 'x\n' },
  );
  assert.deepEqual(diagnostics(r.lines), [
    "warning: config: Can't open global server state file 'missing.state': No such file or directory",
    "warning: Proxy 'b1': Can't open server state file 'b1': No such file or directory.",
    "warning: Proxy 'b2': Can't get version of the server state file 'bad.state'.",
  ]);
  const g = await checkInDir('defaults\n  timeout connect 1s\n  timeout server 1s\n  load-server-state-from-file global\nbackend b\n  server s1 127.0.0.1:80\n');
  assert.deepEqual(diagnostics(g.lines), [
    "warning: backend 'b' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!",
  ]);
});

test('a tcp proxy whose log-format strings take HTTP data gets the warning at the last line that set one', async () => {
  // f1: the condition reading HTTP comes first, and set-path does not move the quoted line;
  // f3: a rule's condition is parsed after its action, so it comes too late
  const r = await checkInDir(
    "defaults\n" +
    "  timeout client 1s\n" +
    "  timeout server 1s\n" +
    "  timeout connect 1s\n" +
    "frontend f1\n" +
    "  bind :8001\n" +
    "  mode tcp\n" +
    "  tcp-request content switch-mode http if HTTP\n" +
    "  http-request set-header X %[src]\n" +
    "  http-request set-path /a\n" +
    "frontend f2\n" +
    "  bind :8002\n" +
    "  mode tcp\n" +
    "  http-request set-header X %[src]\n" +
    "  http-request set-header Y %[req.hdr(host)]\n" +
    "  http-request set-var-fmt(txn.a) %[fe_name]\n" +
    "  tcp-request content accept\n" +
    "frontend f3\n" +
    "  bind :8003\n" +
    "  mode tcp\n" +
    "  http-request set-header X %[src] if { req.hdr(host) -m found }\n" +
    "frontend f4\n" +
    "  bind :8004\n" +
    "  mode tcp\n" +
    "  http-request set-header X %ST\n",
  );
  assert.deepEqual(diagnostics(r.lines), [
    "warning: parsing [h.cfg:17] : a 'tcp-request' rule placed after an 'http-request' rule will still be processed before.",
    "warning: parsing [h.cfg:9] : HTTP log/header format not usable with frontend 'f1' (needs 'mode http').",
    "warning: parsing [h.cfg:16] : HTTP log/header format not usable with frontend 'f2' (needs 'mode http').",
    "warning: 'http-request' rules ignored for frontend 'f2' as they require HTTP mode.",
    "warning: 'http-request' rules ignored for frontend 'f3' as they require HTTP mode.",
    "warning: parsing [h.cfg:25] : HTTP log/header format not usable with frontend 'f4' (needs 'mode http').",
    "warning: 'http-request' rules ignored for frontend 'f4' as they require HTTP mode."
  ]);
  assert.equal(r.exit, 0);
});
