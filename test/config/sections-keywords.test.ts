import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkInDir } from '../helpers.js';

const run = (text: string) => checkInDir(text);

test('each section words its unknown-keyword alert the way HAProxy does, without suggestions', async () => {
  const { lines } = await run(
    'userlist u\n    userx\npeers p\n    peerx a\nresolvers r\n    nameserverx a\nmailers m\n    mailerx a\ncache c\n    total-max-size 1\n    foo\nhttp-errors h\n    errorfilex 1\nfcgi-app f\n    docrootx\n    docroot /x\nring r\n  formatx\n',
  );
  assert.ok(lines.includes("alert: parsing [h.cfg:2]: unknown keyword 'userx' in 'users' section"));
  assert.ok(lines.includes("alert: parsing [h.cfg:4] : unknown keyword 'peerx' in 'peers' section"));
  assert.ok(lines.includes("alert: parsing [h.cfg:6] : unknown keyword 'nameserverx' in 'resolvers' section"));
  assert.ok(lines.includes("alert: parsing [h.cfg:8] : unknown keyword 'mailerx' in 'mailers' section"));
  assert.ok(lines.includes("alert: parsing [h.cfg:11] : unknown keyword 'foo' in 'cache' section"));
  assert.ok(lines.includes("alert: parsing [h.cfg:13] : unknown keyword 'errorfilex' in 'http-errors' section"));
  assert.ok(lines.includes("alert: parsing [h.cfg:15]: unknown keyword 'docrootx' in 'fcgi-app' section"));
  assert.ok(lines.includes("alert: parsing [h.cfg:18] : unknown statement 'formatx'."));
});

test('an unknown keyword in a log-forward section stops the file', async () => {
  const { res, lines } = await run('log-forward l\n  bindx\n  foo\n');
  assert.equal(res.exit, 1);
  assert.ok(lines.includes("alert: parsing [h.cfg:2] : unknown keyword 'bindx' in log-forward section."));
  assert.ok(!lines.some((l) => l.includes('h.cfg:3]')));
  assert.ok(!lines.includes('alert: Fatal errors found in configuration.'));
});

test('mailers, rings, http-errors and caches check their arguments as HAProxy does', async () => {
  const { lines } = await run(
    'ring r\n    size 1\n    size abc\n    format badfmt\nmailers m1\n    mailer smtp1 nohost:25\n    mailer smtp2 127.0.0.1\n    mailer smtp3\n    timeout mail\n    timeout foo 1s\nhttp-errors he\n    errorfile 999 /dev/null\n    errorfile 503\n    errorfile 503 /nonexistent\ncache c2\n    max-age 10\n',
  );
  assert.ok(lines.includes("warning: parsing [h.cfg:2] : ignoring new size '1' that is smaller than current size '16384' for ring 'r'."));
  assert.ok(lines.includes("alert: parsing [h.cfg:3] : invalid size 'abc' for new sink buffer."));
  assert.ok(lines.includes("alert: parsing [h.cfg:4] : unknown format 'badfmt'."));
  assert.ok(lines.some((l) => l.startsWith("alert: parsing [h.cfg:6] : 'mailer smtp1' : invalid address: 'nohost' in 'nohost:25'")));
  assert.ok(lines.includes("alert: parsing [h.cfg:7] : 'mailer smtp2' : missing port specification in '127.0.0.1'"));
  assert.ok(lines.includes("alert: parsing [h.cfg:8] : 'mailer' expects <name> and <addr>[:<port>] as arguments."));
  assert.ok(lines.includes("alert: parsing [h.cfg:9] : 'timeout mail' expects <time> as argument."));
  assert.ok(lines.includes("alert: parsing [h.cfg:10] : 'timeout' expects 'mail' and <time> as arguments got 'foo'."));
  assert.ok(lines.includes("alert: parsing [h.cfg:12] : errorfile : status code '999' not handled."));
  assert.ok(lines.includes('alert: parsing [h.cfg:13] : errorfile: expects <status_code> and <file> as arguments.'));
  assert.ok(lines.includes("alert: parsing [h.cfg:14] : errorfile : error opening file '/nonexistent'."));
  assert.ok(lines.includes("alert: Size not specified for cache 'c2'"));
});

test('userlists warn about duplicates and refuse users in groups that do not exist', async () => {
  const { res, lines } = await run(
    'userlist u\n  user a insecure-password x\n  user a insecure-password y\n  group g\n  group g\n  user c insecure-password x groups nog\n',
  );
  assert.equal(res.exit, 1);
  assert.ok(lines.includes("warning: parsing [h.cfg:3]: ignoring duplicated user 'a' in userlist 'u'."));
  assert.ok(lines.includes("warning: parsing [h.cfg:5]: ignoring duplicated group 'g' in userlist 'u'."));
  assert.ok(lines.includes("alert: userlist 'u': no such group 'nog' specified in user 'c'"));
});
