/**
 * Stick tables in the configuration check: the `stick-table` and peers
 * `table` lines, the tables of stick rules and track-sc actions, and the
 * warnings on `tcp-request content track-sc*`, worded as HAProxy 2.6.12
 * words them (the expected lines were taken from `haproxy -c`; when HAProxy
 * is installed its output is compared too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { checkInDir } from '../helpers.js';
import { HAPROXY } from './lib.js';

/** what `haproxy -c` prints on `text` (from the same directory, file h.cfg), as "severity: message" lines */
function haproxyLines(dir: string): string[] {
  let out = '';
  try {
    execFileSync(HAPROXY!, ['-c', '-f', 'h.cfg'], { cwd: dir, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  } catch (e) {
    out = String((e as { stderr?: string }).stderr ?? '');
  }
  return out
    .split('\n')
    .map((l) => /^\[(ALERT|WARNING)\] +\(\d+\) : (?:config : )?(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m && !/Error\(s\) found|Fatal errors|Warnings were found/.test(m[2]))
    .map((m) => `${m[1] === 'ALERT' ? 'alert' : 'warning'}: ${m[2]}`);
}

async function check(text: string): Promise<string[]> {
  const r = await checkInDir(text);
  const lines = r.lines.filter((l) => /^(alert|warning): /.test(l) && !/Error\(s\) found|Fatal errors|Warnings were found/.test(l));
  if (HAPROXY) assert.deepEqual(lines, haproxyLines(r.dir));
  return lines;
}

const LINES: [string, string][] = [
  ['stick-table type ip', "alert: parsing [h.cfg:2] : stick-table: missing size."],
  ['stick-table size 10', "alert: parsing [h.cfg:2] : stick-table: missing type."],
  ['stick-table type string len abc size 1', "alert: parsing [h.cfg:2] : stick-table: unknown type 'abc'."],
  ['stick-table type ip size 1x', "alert: parsing [h.cfg:2] : stick-table: unexpected character 'x' in argument of 'size'."],
  ['stick-table type ip size 1 expire 5q', "alert: parsing [h.cfg:2] : stick-table: unexpected character 'q' in argument of 'expire'."],
  ['stick-table type ip size 1 store foo', "alert: parsing [h.cfg:2] : stick-table: unknown store option 'foo'."],
  ['stick-table type ip size 1 store gpc0(1)', "alert: parsing [h.cfg:2] : stick-table: unexpected argument to store option 'gpc0'."],
  ['stick-table type ip size 1 store conn_rate', "alert: parsing [h.cfg:2] : stick-table: missing argument to store option 'conn_rate'."],
  ['stick-table type ip size 1 store conn_rate(5q)', "alert: parsing [h.cfg:2] : stick-table: error when processing store option 'conn_rate'."],
  ['stick-table type ip size 1 store gpc0,gpc0', "warning: parsing [h.cfg:2]: stick-table: store option 'gpc0' already enabled, ignored."],
  ['stick-table type ip size 1 bogus', "alert: parsing [h.cfg:2] : stick-table: unknown argument 'bogus'."],
  ['stick-table type ip size 1 store gpc(0)', "alert: parsing [h.cfg:2] : stick-table: array size is out of allowed range (1-100) for store option 'gpc'."],
  ['stick-table type ip size 1 store gpc_rate(2)', "alert: parsing [h.cfg:2] : stick-table: missing argument to store option 'gpc_rate'."],
  ['stick-table type ip size 1 srvkey x', "alert: parsing [h.cfg:2] : stick-table : unknown server key type 'x'."],
  [
    'stick-table type ip size 1 expire 30d',
    'alert: parsing [h.cfg:2]: stick-table: timer overflow in argument <30d> to <expire>, maximum value is 2147483647 ms (~24.8 days).',
  ],
  [
    'stick-table type ip size 1 store gpc,gpc0',
    "alert: parsing [h.cfg:2] : stick-table: missing argument to store option 'gpc'.",
  ],
  [
    'stick-table type ip size 1 store gpc(2),gpc0',
    "alert: parsing [h.cfg:2] : stick-table: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.",
  ],
];

test('a wrong stick-table line gets the message HAProxy gives it', async () => {
  for (const [line, msg] of LINES) {
    const got = await check(`backend b\n    ${line}\n`);
    assert.deepEqual(got, [msg], line);
  }
});

test('a second table in a proxy conflicts; peers tables take the same arguments but peers', async () => {
  const got = await check(
    `backend b\n    stick-table type ip size 1\n    stick-table type ip size 2\npeers p\n    peer vm 127.0.0.1:38999\n    table t type ip size 1\n    table t type ip size 1\n    table u type ip\n    table v type ip size 1 peers x\n    table\n`,
  );
  assert.deepEqual(got, [
    "alert: parsing [h.cfg:3] : stick-table name 'b' conflicts with table declared in backend 'b' at h.cfg:2.",
    'alert: parsing [h.cfg:8] : table: missing size.',
    "alert: parsing [h.cfg:9] : table: unknown argument 'peers'.",
    'alert: parsing [h.cfg:10] : table: missing size.',
  ]);
});

test('stick rules and track-sc actions need their table, and tcp-request content tracking gets HAProxy\'s warnings', async () => {
  const got = await check(`defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:19100
    tcp-request content track-sc0 req.hdr(x) table be
    tcp-request content track-sc1 src table be
    tcp-request content track-sc2 src table nope
    http-request track-sc1 req.hdr(x) table bi
    default_backend be
backend be
    stick-table type ip size 10
    stick on src table nosuch
    stick match req.hdr(host) table bi
    stick store-response res.hdr(x) table bi
    server s 127.0.0.1:1
backend bi
    stick-table type integer size 10
backend nt
    stick on src
`);
  assert.deepEqual(got, [
    "warning: frontend 'fe' : a 'tcp-request content track-sc*' rule explicitly depending on request contents without any 'tcp-request inspect-delay' setting. This means that this rule will randomly find its contents. This can be fixed by setting the tcp-request inspect-delay.",
    "warning: frontend 'fe' : a 'tcp-request content track-sc*' rule not depending on request contents for an HTTP frontend should be executed at the session level, using a 'tcp-request session' rule (mandatory to track invalid HTTP requests).",
    "alert: Proxy 'fe': unable to find table 'nope' referenced by track-sc2.",
    "alert: Proxy 'be': unable to find stick-table 'nosuch'.",
    "alert: Proxy 'nt': unable to find stick-table 'nt'.",
  ]);
});

test('stick tables and their rules are honoured; only peers synchronisation is said not to be', async () => {
  const r = await checkInDir(
    `peers p\n    peer vm 127.0.0.1:38999\n    table t type ip size 1\nbackend b\n    stick-table type ip size 10 peers p store gpc0\n    stick on src\n    tcp-request content track-sc1 src\n    http-request sc-inc-gpc0(1)\n    server s 127.0.0.1:1\n`,
    { supportWarnings: true },
  );
  const notes = r.lines.filter((l) => l.includes('tshaproxy'));
  assert.ok(notes.some((l) => l.includes("'peer' is accepted but not honoured")));
  assert.ok(notes.some((l) => l.includes('does not synchronise it with peers')));
  for (const kw of ['stick-table', 'stick on', "'table'", 'track-sc1', 'sc-inc-gpc0']) {
    assert.ok(!notes.some((l) => l.includes('not honoured') && l.includes(kw)), kw);
  }
});
