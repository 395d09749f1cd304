import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkText } from '../helpers.js';

const check = (text: string) => checkText(text);

const T = 'defaults\n  timeout client 1s\n  timeout connect 1s\n  timeout server 1s\n';

test('servers fill proxy.servers with their address, port offset and options', async () => {
  const { res } = await check(`${T}frontend fe\n  bind :80\n  default_backend be\nbackend be\n  default-server inter 2s\n  server s1 10.0.0.1:+1000 check weight 10\n  server s2 unix@/tmp/s.sock\n  server s3 10.0.0.3 backup\n`);
  assert.equal(res.exit, 0);
  const be = res.config.proxies[1];
  assert.equal(be.servers.length, 3);
  assert.equal(be.servers[0].address?.portOffset, 1000);
  assert.equal(be.servers[0].weight, 10);
  assert.equal(be.servers[0].check, true);
  assert.equal(be.servers[2].backup, true);
  assert.deepEqual(be.defaultServer?.options.get('inter'), ['2s']);
});

test('server placement errors use the bracket style, with the position twice in a frontend', async () => {
  const { lines } = await check(`defaults\n  server s1 1.2.3.4:80\nfrontend fe\n  server s1 1.2.3.4:80\n`);
  assert.equal(lines[0], "[F:2] : 'server' not allowed in 'defaults' section.");
  assert.equal(lines[1], "[F:4] : parsing [F:4] : 'server' not allowed because frontend 'fe' has no backend capability.");
});

test('name, argument and keyword errors carry the server prefix', async () => {
  const { lines } = await check(
    `backend be\n  server s/1 1.2.3.4:80\n  server s2\n  server s3 1.2.3.4:80 foo\n  server s4 1.2.3.4 30\n  server s5 1.2.3.4:1-5\n  server s6 1.2.3.4:80 weight 300\n  default-server foo\n  server s7 1.2.3.4:80 cookie\n`,
  );
  assert.deepEqual(lines.slice(0, 8), [
    "[F:2] : character '/' is not permitted in server name 's/1'.",
    "[F:3] : 'server' expects <name> and <addr>[:<port>] as arguments.",
    "[F:4] : 'server be/s3' : unknown keyword 'foo'; did you mean 'tfo' maybe ?",
    "[F:5] : 'server be/s4' : unknown keyword '30'.",
    "[F:6] : 'server be/s5' : port range not permitted here in '1.2.3.4:1-5'",
    "[F:7] : 'server be/s6' : weight of server s6 is not within 0 and 256 (300)..",
    "[F:8] : unknown keyword 'foo'; did you mean 'tfo' maybe ? Hint: no address was expected for this server.",
    "[F:9] : 'server be/s7' : 'cookie' expects <value> as argument..",
  ]);
});

test('custom ids must be positive and unique', async () => {
  const { lines } = await check(`backend be\n  server s1 1.2.3.4:80 id 0\n  server s2 1.2.3.4:80 id 5\n  server s3 1.2.3.4:80 id 5\n`);
  assert.equal(lines[0], "[F:2] : 'server be/s1' : 'id' : custom id has to be > 0.");
  assert.equal(lines[1], "[F:4] : 'server be/s3' : 'id' : custom id 5 already used at F:3 ('server s2').");
});

test('track targets are resolved after parsing with HAProxy messages', async () => {
  const { res, lines } = await check(
    `${T}frontend fe\n  bind :80\n  default_backend be\nbackend be\n  server s3 1.2.3.4:80 track nobk/x\n  server s4 1.2.3.4:80 track s1\n  server s5 1.2.3.4:80 track s44\n  server s9 1.2.3.4:80 track s9\n  server s1 1.2.3.4:80\n  server s6 1.2.3.4:80 check\n  server s7 1.2.3.4:80 track s6\n`,
  );
  assert.equal(res.exit, 1);
  assert.deepEqual(lines.slice(0, 4), [
    "[F:9] : 'server be/s3' : unable to find required proxy 'nobk' for tracking.",
    "[F:10] : 'server be/s4' : unable to use be/s1 for tracking as it does not have any check nor agent enabled.",
    "[F:11] : 'server be/s5' : unable to find required server 's44' for tracking.",
    "[F:12] : 'server be/s9' : unable to track be/s9 as it belongs to a tracking chain looping back to be/s9.",
  ]);
});

test('two servers with one name are refused after parsing', async () => {
  const { lines } = await check(`${T}frontend fe\n  bind :80\n  default_backend be\nbackend be\n  server s6 1.2.3.4:80\n  server s6 1.2.3.5:80\n`);
  assert.equal(lines[0], "parsing [F:10] : backend 'be', another server named 's6' was already defined at line 9, please use distinct names.");
});

test('an address from an empty environment variable is refused while parsing', async () => {
  const { lines } = await check(`backend be\n  server s1 \${TSH_SURELY_UNSET}\n`);
  assert.equal(lines[0], "[F:2] : 'server be/s1' : '${TSH_SURELY_UNSET}' resolves to an empty address (environment variable missing?)\n");
});

test('a host name that does not resolve fails server address initialisation', async () => {
  const { res, lines } = await check(`${T}frontend fe\n  bind :80\n  default_backend be\nbackend be\n  server s1 check\n`);
  assert.equal(res.exit, 1);
  assert.ok(lines.includes("[F:9] : 'server be/s1' : could not resolve address 'check'."));
  assert.ok(lines.includes('Failed to initialize server(s) addr.'));
});

test('server-template checks its prefix and range', async () => {
  const { lines } = await check(`backend be\n  server-template srv 0 1.2.3.4:80\n  server-template s/rv 3 1.2.3.4:80\n  server-template srvx 1.2.3.4:80\n`);
  assert.deepEqual(lines.slice(0, 3), [
    "[F:2] : Wrong server-template number or range arg '0'.",
    "[F:3] : character '/' is not permitted in server-template prefix 's/rv'.",
    "[F:4] : 'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.",
  ]);
});

test('source and usesrc addresses are checked like HAProxy', async () => {
  const { lines } = await check(`backend be\n  server b5 1.2.3.4:80 source 0.0.0.1:+15002\n  server g 1.2.3.4:80 usesrc client\n`);
  assert.equal(lines[0], "[F:2] : 'server be/b5' : 'source 0.0.0.1:+15002' : port offset not permitted here in '0.0.0.1:+15002'.");
  assert.equal(lines[1], "[F:3] : 'server be/g' : 'usesrc' only allowed after a 'source' statement..");
});
