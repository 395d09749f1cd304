import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkText } from '../helpers.js';
import { str2sa } from '../../src/parser/values.js';

const check = (text: string) => checkText(text);

const T = 'defaults\n  timeout client 1s\n  timeout connect 1s\n  timeout server 1s\n';

test('a frontend with several comma-separated addresses fills proxy.binds and is valid', async () => {
  const { res } = await check(`${T}frontend fe\n  bind :80,127.0.0.1:81-83,ipv6@:::90,unix@/tmp/x.sock,/tmp/y.sock\n`);
  assert.equal(res.exit, 0);
  const b = res.config.proxies[0].binds[0];
  assert.equal(b.addresses.length, 5);
  assert.equal(b.addresses[1].port, 81);
  assert.equal(b.addresses[1].portEnd, 83);
  assert.equal(b.addresses[3].family, 'unix');
});

test('address errors are worded as HAProxy 2.6 words them', async () => {
  const { res, lines } = await check(
    `${T}frontend fe\n  bind :\n  bind 1.2.3.4:0\n  bind :::+5\n  bind quic4@:443\n  bind mptcp@[::]:5000\n  bind udp@:53\n  bind foo.invalid:80\n`,
  );
  assert.equal(res.exit, 1);
  assert.deepEqual(lines.slice(0, 7), [
    "parsing [F:6] : 'bind' : missing port specification in ':'",
    "parsing [F:7] : 'bind' : invalid port '0'",
    "parsing [F:8] : 'bind' : port offset not permitted here in ':::+5'",
    "parsing [F:9] : 'bind' : unsupported stream protocol for datagram family 2 address 'quic4@:443'; QUIC is not compiled in if this is what you were looking for.",
    "parsing [F:10] : 'bind' : invalid address: 'mptcp@[::]' in 'mptcp@[::]:5000'",
    "parsing [F:11] : 'bind' : dgram-type address not acceptable in 'udp@:53'",
    "parsing [F:12] : 'bind' : invalid address: 'foo.invalid' in 'foo.invalid:80'",
  ]);
});

test('bind is refused in defaults and ignored with a warning in a backend', async () => {
  const { lines } = await check(`defaults\n  bind :80\nbackend be\n  bind :81\n`);
  assert.equal(lines[0], "parsing [F:2] : 'bind' not allowed in 'defaults' section.");
  assert.equal(lines[1], "parsing [F:4] : 'bind' ignored because backend 'be' has no frontend capability.");
});

test('an unknown bind option gets the did-you-mean of bind_find_best_kw', async () => {
  const { lines } = await check(`${T}frontend fe\n  bind :80 accept-proxi\n  bind :81 maxconn\n`);
  assert.equal(lines[0], "parsing [F:6] : 'bind :80' in section 'frontend': unknown keyword 'accept-proxi'; did you mean 'accept-proxy' maybe ?");
  assert.equal(lines[1], "parsing [F:7] : 'bind :81' in section 'frontend' : 'maxconn' : missing value");
});

test('a missing certificate, crt-list or CA file is reported while parsing', async () => {
  const { lines } = await check(
    `${T}frontend fe\n  bind :443 ssl crt /nonexistent/pub1.pem\n  bind :444 ssl crt-list /nonexistent/l.txt\n  bind :445 ssl crt-list /nonexistent/l.txt ca-file /nonexistent/ca.pem\n`,
  );
  assert.equal(lines[0], "parsing [F:6] : 'bind :443' in section 'frontend' : unable to stat SSL certificate from file '/nonexistent/pub1.pem' : No such file or directory.");
  assert.equal(lines[1], "parsing [F:7] : 'bind :444' in section 'frontend' : 'crt-list' : cannot open file '/nonexistent/l.txt' : No such file or directory");
});

test('a CA file that cannot be opened gives the position-less alert first', async () => {
  const { dir } = await check('');
  const cert = join(dir, 'c.pem');
  writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n');
  const { lines } = await check(`${T}frontend fe\n  bind :443 ssl crt ${cert} ca-file /nonexistent/ca.pem\n`);
  assert.equal(lines[0], "Couldn't open the ca-file '/nonexistent/ca.pem' (No such file or directory).");
  assert.equal(lines[1], "parsing [F:6] : 'bind :443' in section 'frontend' : 'ca-file' : unable to load /nonexistent/ca.pem");
});

test('a stats socket counts as a listener and its options are checked', async () => {
  const ok = await check(`global\n  stats socket /tmp/tsh.sock level admin mode 600 expose-fd listeners\n`);
  assert.equal(ok.res.exit, 0);
  assert.equal(ok.res.config.global.statsSockets.length, 1);
  const bad = await check(`global\n  stats socket /tmp/a.sock mode admin\n  stats socket /tmp/b.sock user nosuchuserxyz\n  stats socket\n  stats timeout 0\n`);
  assert.deepEqual(bad.lines.slice(0, 4), [
    "parsing [F:2] : 'stats socket' : ''mode' : missing or invalid mode 'admin' (octal integer expected)'",
    "parsing [F:3] : 'stats socket' : ''user' : unknown user name 'nosuchuserxyz''",
    "parsing [F:4] : 'stats socket' in global section expects an address or a path to a UNIX socket",
    "parsing [F:5] : 'stats timeout' expects a positive value",
  ]);
});

test('an ssl bind without certificate fails the post-parse check', async () => {
  const { res, lines } = await check(`${T}frontend fe\n  bind :88 ssl\n`);
  assert.equal(res.exit, 1);
  assert.equal(lines[0], "Proxy 'fe': no SSL certificate specified for bind ':88' at [F:6] (use 'crt').");
});

test('str2sa expands environment variables and reports an empty result', () => {
  const r = str2sa('${TSH_UNSET_VAR}', { fqdn: true, portOk: true, stream: true, getenv: () => undefined });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error, /resolves to an empty address \(environment variable missing\?\)/);
  const p = str2sa('*:$PORT', { portOk: true, portMand: true, stream: true, getenv: (n) => (n === 'PORT' ? '8080' : undefined) });
  assert.equal(p.ok && p.port, 8080);
});
