import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkInDir } from '../helpers.js';

const check = (text: string) => checkInDir(text);

const TIMEOUTS = '  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n';

test('an unknown option gets HAProxy\'s did-you-mean suggestion', async () => {
  const r = await check(`defaults\n  mode http\n${TIMEOUTS}backend b\n  option forwarded\n  option http-use-htx\n  option foo\n`);
  assert.equal(r.exit, 1);
  assert.ok(r.lines.includes("alert: parsing [h.cfg:7] : unknown option 'forwarded'; did you mean 'forwardfor' maybe ?"));
  assert.ok(r.lines.includes("alert: parsing [h.cfg:8] : unknown option 'http-use-htx'; did you mean 'httpclose' maybe ?"));
  assert.ok(r.lines.includes("alert: parsing [h.cfg:9] : unknown option 'foo'."));
});

test('options that refuse negation and options used without the capability are reported like HAProxy', async () => {
  const r = await check(`defaults\n${TIMEOUTS}backend b\n  no option httplog\n  option contstats\n  option httplog\n  option dontlognull x\n  default option dontlognull\n`);
  assert.ok(r.lines.includes("alert: parsing [h.cfg:6]: negation/default is not supported for option 'httplog'."));
  assert.ok(r.lines.includes("warning: parsing [h.cfg:7] : 'contstats' ignored because backend 'b' has no frontend capability."));
  assert.ok(r.lines.includes("warning: parsing [h.cfg:8] : backend 'b' : 'option httplog' directive is ignored in backends."));
  assert.ok(r.lines.includes("alert: parsing [h.cfg:9] : 'option dontlognull' cannot handle unexpected argument 'x'."));
  assert.ok(r.lines.includes("alert: parsing [h.cfg:10] : 'option dontlognull' cannot handle unexpected argument 'dontlognull'."));
});

test('option arguments are checked with HAProxy\'s messages', async () => {
  const r = await check(`backend b\n  option httplog foo\n  option forwardfor foo\n  option forwardfor except\n  option mysql-check user\n  option pgsql-check\n  option http-restrict-req-hdr-names foo\n  option httpchk a b c d\n`);
  assert.deepEqual(r.lines.filter((l) => l.startsWith('alert: parsing')), [
    "alert: parsing [h.cfg:2] : keyword 'httplog' only supports option 'clf'.",
    "alert: parsing [h.cfg:3] : 'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.",
    "alert: parsing [h.cfg:4] : 'option forwardfor except' expects <address>[/mask] as argument.",
    "alert: parsing [h.cfg:5] : 'option mysql-check user' expects <username> as argument.",
    "alert: parsing [h.cfg:6] : 'option pgsql-check' expects 'user <username>' as argument.",
    "alert: parsing [h.cfg:7] : invalid parameter 'foo'. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.",
    "alert: parsing [h.cfg:8] : 'option httpchk' cannot handle unexpected argument 'd'.",
  ]);
});

test('mode and timeout report unknown values, bad times and overflows', async () => {
  const r = await check(`defaults\n  mode log\n  mode tcp x\n  timeout foo 1s\n  timeout client\n  timeout client 1x\n  timeout client 9999999999\n  timeout client 1s 2\nbackend b\n  timeout client 1s\n`);
  assert.deepEqual(r.lines.filter((l) => l.includes('h.cfg:')), [
    "alert: parsing [h.cfg:2] : unknown proxy mode 'log'.",
    "alert: parsing [h.cfg:3] : 'mode' cannot handle unexpected argument 'x'.",
    "alert: parsing [h.cfg:4] : 'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got 'foo')",
    "alert: parsing [h.cfg:5] : 'timeout client' expects an integer value (in milliseconds)",
    "alert: parsing [h.cfg:6] : unexpected character 'x' in 'timeout client'",
    "alert: parsing [h.cfg:7] : timer overflow in argument '9999999999' to 'timeout client' (maximum value is 2147483647 ms or ~24.8 days)",
    "alert: parsing [h.cfg:8] : 'timeout client' : unexpected extra argument '2' after value '1s'.",
    "warning: parsing [h.cfg:10] : 'timeout client' will be ignored because backend 'b' has no frontend capability",
  ]);
});

test('timeouts fill the model in milliseconds and a defaults section starts afresh', async () => {
  const r = await check(`defaults\n  mode http\n  option httplog\n  timeout client 2s\ndefaults\n  option tcplog\nfrontend f\n  bind :8080\n  timeout client 1m\n`);
  assert.ok(!r.lines.some((l) => l.includes('overrides previous')));
});

test('log targets are checked in HAProxy\'s order', async () => {
  const r = await check(`frontend f\n  bind :80\n  log 127.0.0.1 profile\n  log\n  log rsyslog local0\n  log 127.0.0.1:10001-10010 local0\n  log 127.0.0.1 local0 info bar\n  no log x\n  log stdout format raw local0\n`);
  assert.deepEqual(r.lines.filter((l) => l.startsWith('alert: parsing')), [
    "alert: parsing [h.cfg:3] : log : unknown log facility 'profile'",
    'alert: parsing [h.cfg:4] : log : expects <address> and <facility> or global as arguments',
    "alert: parsing [h.cfg:5] : log : invalid address: 'rsyslog' in 'rsyslog'\n", // HAProxy leaves an empty line after it
    "alert: parsing [h.cfg:6] : log : port range not permitted here in '127.0.0.1:10001-10010'",
    "alert: parsing [h.cfg:7] : log : unknown optional minimum log level 'bar'",
    "alert: parsing [h.cfg:8] : log : 'no log' does not expect arguments",
  ]);
});

test('balance, compression, errorfile and capability warnings match HAProxy', async () => {
  const r = await check(`backend b\n  balance foo\n  balance hdr(\n  compression foo\n  errorfile 404 /nonexistent/x.http\n  errorfile 999 /x\n  maxconn 10\n  monitor-uri /x\n  http-reuse foo\n  hash-type foo\n`);
  assert.deepEqual(r.lines.filter((l) => l.includes('h.cfg:')), [
    "alert: parsing [h.cfg:2] : balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.",
    'alert: parsing [h.cfg:3] : balance hdr requires an http header field name.',
    "alert: parsing [h.cfg:4] : 'compression' expects 'algo', 'type' or 'offload'",
    "alert: parsing [h.cfg:5] : errorfile : error opening file '/nonexistent/x.http'.",
    "alert: parsing [h.cfg:6] : errorfile : status code '999' not handled.",
    "warning: parsing [h.cfg:7] : 'maxconn' ignored because backend 'b' has no frontend capability. Maybe you want 'fullconn' instead ?",
    "warning: parsing [h.cfg:8] : 'monitor-uri' ignored because backend 'b' has no frontend capability.",
    "alert: parsing [h.cfg:9] : 'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.",
    "alert: parsing [h.cfg:10] : 'hash-type' only supports 'consistent' and 'map-based'.",
  ]);
});

test('proxy ids must be positive and unique', async () => {
  const r = await check(`backend b\n  id 0\nbackend c\n  id 5\nbackend d\n  id 5\n`);
  assert.ok(r.lines.includes('alert: parsing [h.cfg:2]: custom id has to be > 0.'));
  assert.ok(r.lines.includes('alert: parsing [h.cfg:6]: backend d reuses same custom id as backend c (declared at h.cfg:3).'));
});

test('check rulesets, filters and source addresses are checked like HAProxy', async () => {
  const r = await check(`backend b\n  http-check foo\n  http-check send uri\n  tcp-check expect string x\n  tcp-check connect port 110\n  filter foo\n  filter spoe\n  source 1.2.3.4:1-2\n  persist foo\n`);
  const alerts = r.lines.filter((l) => l.startsWith('alert: parsing')).map((l) => l.split('\n')[0]);
  assert.deepEqual(alerts, [
    "alert: parsing [h.cfg:2] : 'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'foo'",
    "alert: parsing [h.cfg:3] : 'http-check send' : 'uri' expects a string as argument..",
    "alert: parsing [h.cfg:5] : 'tcp-check connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.",
    "alert: parsing [h.cfg:6] : 'filter' : unknown keyword 'foo'. Registered keywords :",
    "alert: parsing [h.cfg:7] : 'filter' : ''spoe' : missing config file'",
    "alert: parsing [h.cfg:8] : 'source 1.2.3.4:1-2' : port range not permitted here in '1.2.3.4:1-2'",
    'alert: parsing [h.cfg:9] : unknown persist method.',
  ]);
});
