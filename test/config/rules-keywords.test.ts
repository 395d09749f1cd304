import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkText } from '../helpers.js';

const check = (text: string) => checkText(text);

const HEAD = 'defaults\n  mode http\n  timeout client 1s\n  timeout connect 1s\n  timeout server 1s\nfrontend fe\n  bind 127.0.0.1:8080\n';
const TAIL = '  default_backend be\nbackend be\n  server s1 127.0.0.1:80\n';
const one = (line: string) => check(`${HEAD}  ${line}\n${TAIL}`);

test('a set-header with one argument aborts the file like HAProxy (no Fatal errors line)', async () => {
  const { res, lines } = await one('http-request set-header X');
  assert.equal(res.exit, 1);
  assert.deepEqual(lines, [
    "parsing [F:8] : error detected in frontend 'fe' while parsing 'http-request set-header' rule : expects exactly 2 arguments.",
    'Error(s) found in configuration file : F',
  ]);
});

test('an unknown http-request action lists the actions of the 2.6 binary', async () => {
  const { lines } = await one('http-request frobnicate');
  assert.match(lines[0], /^parsing \[F:8\]: 'http-request' expects 'wait-for-handshake', 'ot-group', .*'set-priority-offset', but got 'frobnicate'\.$/);
});

test('lua actions and lua services are unknown without lua-load', async () => {
  const a = await one('http-request use-service lua.x');
  assert.equal(a.lines[0], "parsing [F:8] : error detected in frontend 'fe' while parsing 'http-request use-service' rule : 'lua.x' unknown service name..");
  const b = await one('http-request lua.foo');
  assert.match(b.lines[0], /but got 'lua\.foo'\.$/);
});

test('sample expressions inside rules get the rule prefix', async () => {
  const a = await one('http-request set-var(txn.x) req.hdr(host),map(/nonexistent.map)');
  assert.equal(
    a.lines[0],
    "parsing [F:8] : error detected in frontend 'fe' while parsing 'http-request set-var(txn.x)' rule : invalid args in converter 'map' : failed to open pattern file </nonexistent.map>.",
  );
  const b = await one('http-request set-var(txn.x) res.hdr(x)');
  assert.equal(
    b.lines[0],
    "parsing [F:8] : error detected in frontend 'fe' while parsing 'http-request set-var(txn.x)' rule : fetch method 'set-var(txn.x)' extracts information from 'HTTP response headers', none of which is available here.",
  );
});

test('conditions name declared ACLs; anonymous ACLs are parsed', async () => {
  const a = await one('http-request deny if nosuchacl');
  assert.equal(a.lines[0], "parsing [F:8] : error detected while parsing an 'http-request deny' condition : no such ACL : 'nosuchacl'.");
  const b = await one('use_backend be if { nosuch }');
  assert.equal(b.lines[0], "parsing [F:8] : error detected while parsing switching rule : unknown fetch method 'nosuch' in ACL expression 'nosuch'.");
  assert.equal(b.res.exit, 1);
  const c = await one('http-request deny if { path_beg /x } || !{ path -m str /y } HTTP_2.0');
  assert.equal(c.res.exit, 0);
});

test('acl names are checked and ACLs fill proxy.acls', async () => {
  const a = await one('acl invalid!name path /');
  assert.equal(a.lines[0], "parsing [F:8] : character '!' is not permitted in acl name 'invalid!name'.");
  const b = await one('acl is_x path_beg /x');
  assert.equal(b.res.exit, 0);
  assert.equal(b.res.config.proxies[0].acls[0].name, 'is_x');
});

test('an ACL that cannot match where it is used gives HAProxy warning', async () => {
  const { res, lines } = await check(`${HEAD}  acl a9 res.hdr(x) foo\n  http-request deny if a9\n  tcp-request connection accept if { path /x }\n${TAIL}`);
  assert.equal(res.exit, 0);
  assert.ok(lines.includes("parsing [F:9] : acl 'a9' will never match because it only involves keywords that are incompatible with 'frontend http-request header rule'"));
  assert.ok(
    lines.includes(
      "parsing [F:10] : anonymous acl will never match in 'tcp-request connection' because it uses keyword 'path' which is incompatible with 'frontend tcp-request connection rule'",
    ),
  );
});

test('rules are refused in anonymous defaults sections', async () => {
  const a = await check('defaults\n  http-request set-header X-Hdr 1\n');
  assert.equal(a.lines[0], "parsing [F:2] : 'http-request' not allowed in anonymous 'defaults' section.");
  const b = await check('defaults\n  tcp-request connection accept\n');
  assert.equal(b.lines[0], "parsing [F:2] : tcp-request connection is not allowed in anonymous 'defaults' sections");
  const c = await check('defaults\n  use_backend x\n');
  assert.equal(c.lines[0], "parsing [F:2] : 'use_backend' not allowed in 'defaults' section.");
});

test('a backend cannot inherit tcp-request connection rules from a named defaults', async () => {
  const { res, lines } = await check('defaults invalid\n  tcp-request connection accept\n\nbackend be from invalid\n  mode tcp\n  server www 127.0.0.1:80\n');
  assert.equal(res.exit, 1);
  assert.deepEqual(lines, [
    "parsing [F:4]: a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules (defaults section at F:1).",
    'Error(s) found in configuration file : F',
  ]);
});

test('misplaced rules get the processing-order warning', async () => {
  const { lines } = await one('http-request deny if TRUE\n  tcp-request content accept');
  assert.ok(lines.includes("parsing [F:9] : a 'tcp-request' rule placed after an 'http-request' rule will still be processed before."));
});

test('use_backend fills proxy.useBackends, static and dynamic, and default_backend fills defaultBackend', async () => {
  const { res } = await one('use_backend be if { path /x }\n  use_backend %[req.hdr(host),lower]');
  assert.equal(res.exit, 0);
  const p = res.config.proxies[0];
  assert.equal(p.useBackends.length, 2);
  assert.equal(p.useBackends[1].dynamic, true);
  assert.equal(p.defaultBackend?.name, 'be');
  const d = await one('use_backend %[nosuch]');
  assert.ok(d.lines.includes("Parsing [F:8]: failed to parse use_backend rule '%[nosuch]' : failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'."));
});

test('tcp-request errors are fatal but not aborting', async () => {
  const { res, lines } = await one('tcp-request content accept if nosuch');
  assert.equal(res.exit, 1);
  assert.equal(lines[0], "parsing [F:8] : 'tcp-request content accept' : error detected in frontend 'fe' while parsing 'if' condition : no such ACL : 'nosuch'");
  assert.equal(lines[lines.length - 1], 'Fatal errors found in configuration.');
});

test('redirect rules check their options', async () => {
  const a = await one('redirect foo');
  assert.equal(
    a.lines[0],
    "parsing [F:8] : error detected in frontend 'fe' while parsing redirect rule : expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was 'foo').",
  );
  const b = await one('redirect prefix /x code 999');
  assert.equal(
    b.lines[0],
    "parsing [F:8] : error detected in frontend 'fe' while parsing redirect rule : 'code': unsupported HTTP code '999' (must be one of 301, 302, 303, 307 or 308).",
  );
});

test('track-sc needs an existing stick table', async () => {
  const { lines } = await one('http-request track-sc0 src table nosuch');
  assert.ok(lines.includes("Proxy 'fe': unable to find table 'nosuch' referenced by track-sc0."));
});
