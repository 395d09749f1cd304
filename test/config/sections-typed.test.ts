/**
 * The non-proxy sections the runtime needs come out typed (userlist,
 * http-errors, resolvers, peers, cache, ring, mailers), and their lines are
 * checked as HAProxy 2.6.12 checks them (expected texts from haproxy runs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sectionsOf } from '../../src/config/model.js';
import { checkInDir } from '../helpers.js';

const problems = (lines: string[]) => lines.filter((l) => /^(alert|warning): /.test(l));

test('userlist users and groups are typed, with their passwords and memberships', async () => {
  const { res } = await checkInDir(
    'userlist u\n  group admins users alice\n  group ops\n  user alice password $6$abc$xyz groups admins,ops\n  user bob insecure-password secret\n',
  );
  const [u] = sectionsOf(res.config, 'userlist');
  assert.deepEqual(u.groups.map((g) => [g.name, g.users]), [['admins', ['alice']], ['ops', []]]);
  assert.deepEqual(
    u.users.map((x) => [x.name, x.password, x.insecurePassword, x.groups, x.line, x.column]),
    [
      ['alice', '$6$abc$xyz', undefined, ['admins', 'ops'], 4, 3],
      ['bob', undefined, 'secret', [], 5, 3],
    ],
  );
});

test('userlist lines get HAProxy 2.6 messages, and the group check stops at the first problem, newest first', async () => {
  let r = await checkInDir(
    'userlist u\n  group g1 users a,b\n  group g1\n  group g2 foo x\n  group g@3\n  user a password $6$abc$xyz groups g1\n  user a insecure-password x\n  user b insecure-password y groups g9 bar z\n',
  );
  assert.deepEqual(problems(r.lines), [
    "warning: parsing [h.cfg:3]: ignoring duplicated group 'g1' in userlist 'u'.",
    "alert: parsing [h.cfg:4]: 'group' only supports 'users' option.",
    "alert: parsing [h.cfg:5]: character '@' is not permitted in 'group' name 'g@3'.",
    "warning: parsing [h.cfg:7]: ignoring duplicated user 'a' in userlist 'u'.",
    "alert: parsing [h.cfg:8]: 'user' only supports 'password', 'insecure-password' and 'groups' options.",
    'alert: Error(s) found in configuration file : h.cfg',
    'alert: Fatal errors found in configuration.',
  ]);
  r = await checkInDir('userlist u\n  group g4 users a\n  user a insecure-password x groups g4\n  user b insecure-password x groups g4,g6\nuserlist v\n  user c insecure-password x groups g7\n');
  assert.deepEqual(problems(r.lines), ["alert: userlist 'v': no such group 'g7' specified in user 'c'", 'alert: Fatal errors found in configuration.']);
  r = await checkInDir('userlist u\n  group g4 users a,zz\n  user a insecure-password x\n');
  assert.deepEqual(problems(r.lines), ["alert: userlist 'u': no such user 'zz' specified in group 'g4'", 'alert: Fatal errors found in configuration.']);
});

test('resolvers are typed and their lines are checked like HAProxy does', async () => {
  const ok = await checkInDir(
    'resolvers dns\n  nameserver ns1 127.0.0.1:53\n  nameserver ns2 tcp@127.0.0.2:53\n  hold valid 10s\n  timeout resolve 1s\n  timeout retry 2s\n  resolve_retries 3\n  accepted_payload_size 8192\n  parse-resolv-conf\n',
  );
  const [r] = sectionsOf(ok.res.config, 'resolvers');
  assert.deepEqual(r.nameservers.map((n) => [n.name, n.addrText, n.address?.port]), [['ns1', '127.0.0.1:53', 53], ['ns2', 'tcp@127.0.0.2:53', 53]]);
  assert.equal(r.hold.get('valid'), 10000);
  assert.deepEqual([...r.timeouts], [['resolve', 1000], ['retry', 2000]]);
  assert.equal(r.resolveRetries, 3);
  assert.equal(r.acceptedPayloadSize, 8192);
  assert.equal(r.parseResolvConf, true);
  const bad = await checkInDir(
    'resolvers r1\n  nameserver dns1 127.0.0.1:53\n  nameserver dns2 nosuch.invalid:53\n  nameserver dns3\n  nameserver dns1 127.0.0.2:53\n  nameserver dns4 127.0.0.1\n  hold bogus 10s\n  hold nx\n  hold other 10x\n  timeout retry 2x\n  timeout foo 1s\n',
  );
  assert.deepEqual(problems(bad.lines), [
    "alert: parsing [h.cfg:3] : 'nameserver dns2' : invalid address: 'nosuch.invalid' in 'nosuch.invalid:53'\n",
    "alert: parsing [h.cfg:4] : 'nameserver' expects <name> and <addr>[:<port>] as arguments.",
    "alert: Parsing [h.cfg:5]: nameserver 'dns1' has same name as another nameserver (declared at h.cfg:2).",
    "alert: parsing [h.cfg:6] : 'nameserver dns4' : missing port specification in '127.0.0.1'",
    "alert: parsing [h.cfg:7] : 'hold' unknown <event>: 'bogus', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.",
    "alert: parsing [h.cfg:8] : 'hold' expects an <event> and a <time> as arguments.",
    "alert: <event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'",
    "alert: parsing [h.cfg:9]: unexpected character 'x' in argument to <hold>.",
    "alert: parsing [h.cfg:10]: unexpected character 'x' in argument to <timeout retry>.",
    "alert: parsing [h.cfg:11] : 'timeout' expects 'retry' or 'resolve' and <time> as arguments got 'foo'.",
    'alert: Error(s) found in configuration file : h.cfg',
    'alert: Fatal errors found in configuration.',
  ]);
});

test('peers and ring server lines are read as server lines, with the peers rules of HAProxy 2.6', async () => {
  const r = await checkInDir(
    'peers p1\n  server other 127.0.0.1:10001 weight 300\n  peer vm 127.0.0.1:10000\n  peer other2 127.0.0.1:10002 foo\n  peer vm 127.0.0.1:10003\n' +
      '  peer x\n  server y 127.0.0.1:1 check\n  default-server weight 3000\n  server z 127.0.0.1:2\n  bind 127.0.0.1:5000\n' +
      'peers p3\n  bind 127.0.0.1:10020\n  server vm 127.0.0.1:1\n  server w 127.0.0.1:2 agent-check\n  log 127.0.0.1 local9\n' +
      'ring r1\n  size 32768\n  server s1 127.0.0.1:514\n  server s2 nosuch.invalid:514\n  server s3\n  server s4 127.0.0.1:514 bogus\n',
    { localPeer: 'vm' },
  );
  assert.deepEqual(problems(r.lines), [
    "alert: [h.cfg:2] : 'server (null)/other' : weight of server other is not within 0 and 256 (300)..",
    "alert: [h.cfg:4] : 'server vm/other2' : unknown keyword 'foo'; did you mean 'tfo' maybe ?",
    "alert: parsing [h.cfg:5] : 'peer vm' : local peer name already referenced at h.cfg:3. vm",
    "warning: parsing [h.cfg:7] : 'server y' : init_addr, resolvers, check and agent are ignored for peers.",
    'alert: [h.cfg:8] : weight of server default-server is not within 0 and 256 (3000)..',
    'alert: parsing [h.cfg:10] : mixing "peer" and "bind" line is forbidden',
    "alert: [h.cfg:13] : 'server vm/vm' : unknown keyword '127.0.0.1:1'. Hint: no address was expected for this server.",
    "alert: [h.cfg:14] : 'server vm/w' : server w does not have agent port. Agent check has been disabled.",
    "warning: parsing [h.cfg:14] : 'server w' : init_addr, resolvers, check and agent are ignored for peers.",
    "alert: parsing [h.cfg:15] : log : unknown log facility 'local9'",
    "alert: [h.cfg:19] : 'server r1/s2' : invalid address: 'nosuch.invalid' in 'nosuch.invalid:514'\n",
    "alert: [h.cfg:20] : 'server' expects <name> and <addr>[:<port>] as arguments.",
    "alert: [h.cfg:21] : 'server r1/s4' : unknown keyword 'bogus'.",
    'alert: Error(s) found in configuration file : h.cfg',
    'alert: Fatal errors found in configuration.',
  ]);
});

test('valid peers, ring, cache, http-errors and mailers sections come out typed', async () => {
  const r = await checkInDir(
    'peers mypeers\n  peer vm 127.0.0.1:10000\n  peer other 127.0.0.1:10001\n  table t1 type ip size 1k\n' +
      'ring logs\n  size 32768\n  format rfc5424\n  maxlen 1200\n  timeout connect 5s\n  server s1 127.0.0.1:514\n' +
      'cache c\n  total-max-size 4\n  max-age 60\n  max-object-size 10000\n  process-vary on\n' +
      'http-errors errs\n  errorfile 503 e503.http\n' +
      'mailers m\n  mailer smtp1 127.0.0.1:25\n  timeout mail 20s\n',
    { localPeer: 'vm' },
    { 'e503.http': 'HTTP/1.0 503 x\r\n\r\n' },
  );
  // as HAProxy: the ring's forwarding backend lacks a server timeout, and no proxy sends mail
  assert.deepEqual(problems(r.lines).map((l) => l.split('\n')[0]), [
    "warning: missing timeouts for backend 'logs'.",
    "warning: Removing incomplete section 'mailers m'.",
  ]);
  assert.equal(r.exit, 0);
  const [p] = sectionsOf(r.res.config, 'peers');
  assert.deepEqual(p.peers.map((x) => [x.name, x.local, x.server?.addrText]), [['vm', true, '127.0.0.1:10000'], ['other', false, '127.0.0.1:10001']]);
  assert.deepEqual(p.tables.map((t) => t.args[0]), ['t1']);
  const [ring] = sectionsOf(r.res.config, 'ring');
  assert.deepEqual([ring.size, ring.format, ring.maxlen, ring.timeouts.get('connect')], [32768, 'rfc5424', 1200, 5000]);
  assert.deepEqual(ring.servers.map((s) => [s.name, s.address?.port]), [['s1', 514]]);
  const [c] = sectionsOf(r.res.config, 'cache');
  assert.deepEqual([c.totalMaxSize, c.maxAge, c.maxObjectSize, c.processVary], [4, 60, 10000, true]);
  const [he] = sectionsOf(r.res.config, 'http-errors');
  assert.equal(he.errorfiles.get(503)?.file, 'e503.http');
  const [m] = sectionsOf(r.res.config, 'mailers');
  assert.deepEqual([m.mailers.map((x) => x.name), m.timeoutMail], [['smtp1'], 20000]);
});
