/**
 * The runtime API (`stats socket`): replies byte-identical to HAProxy 2.6.
 * tshaproxy is checked against bytes recorded from HAProxy 2.6.12
 * (test/fixtures/stats, from shared/reference/captures), then both proxies
 * run the same command list and must answer the same (dynamic values such
 * as pids, uptimes and check durations masked).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../harness/runner.js';
import { HAPROXY, cli, cliSession, closeServer, freePorts, origin, sleep, startProxy, type Proxy } from './lib.js';
import type net from 'node:net';

const FIX = join(projectRoot, 'test', 'fixtures', 'stats');
const fix = (f: string) => readFileSync(join(FIX, f), 'latin1');

/** the captures' backend: s1 checked, s2 weight 50 */
const cfg = (sock: string, p: number[]) => `global
    stats socket ${sock} mode 600 level admin
    stats socket ipv4@127.0.0.1:${p[2]} level admin
    stats socket ${sock}.user level user
    stats timeout 2m

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 2s

frontend fe_http
    bind 127.0.0.1:${p[0]}
    default_backend be_app

backend be_app
    server s1 127.0.0.1:${p[1]} check inter 2s
    server s2 127.0.0.1:${p[1]} weight 50

backend be_st
    balance static-rr
    server s1 127.0.0.1:${p[1]}

frontend fe_tcp
    mode tcp
    bind 127.0.0.1:${p[3]}
    default_backend be_tcp

backend be_tcp
    mode tcp
    server t1 127.0.0.1:${p[1]}
`;

/** the prompt-mode capture: what was sent and what came back, step by step */
function promptCapture(): { sent: string[]; recv: string[] } {
  const sent: string[] = [];
  const recv: string[] = [];
  const unpy = (s: string) =>
    s
      .slice(2, -1)
      .replace(/\\n/g, '\n')
      .replace(/\\r/g, '\r')
      .replace(/\\'/g, "'")
      .replace(/\\\\/g, '\\');
  let eof = false;
  for (const line of fix('prompt_session.txt').split('\n')) {
    if (line.startsWith('>>>SENT ')) sent.push(unpy(line.slice(8)));
    else if (line.startsWith('>>>RECV ')) recv.push(unpy(line.slice(8)) + (eof ? '<EOF>' : ''));
    else if (line === '>>>EOF') eof = true;
  }
  return { sent, recv };
}

describe('stats socket on tshaproxy, against bytes recorded from HAProxy 2.6', () => {
  let px: Proxy;
  let org: net.Server;
  before(async () => {
    const ports = await freePorts(4);
    org = await origin(ports[1]);
    px = await startProxy('tshaproxy', cfg, ports, [ports[0], ports[2]]);
  });
  after(async () => {
    await px?.stop();
    if (org) await closeServer(org);
  });

  it('help lists the 2.6 commands exactly as HAProxy prints them', async () => {
    assert.equal(await cli(px.sock, 'help\n'), fix('help.txt'));
  });

  it('an unknown command gets the same five closest commands as HAProxy proposes', async () => {
    assert.equal(await cli(px.sock, 'bogus command\n'), fix('unknown_cmd.txt'));
  });

  it('unknown backends, servers and weights out of range answer HAProxy\'s messages', async () => {
    assert.equal(await cli(px.sock, 'disable server nosuch/s1\n'), fix('err_no_such_backend.txt'));
    assert.equal(await cli(px.sock, 'disable server be_app/nosuch\n'), fix('err_no_such_server.txt'));
    assert.equal(await cli(px.sock, 'set weight be_app/s2 300\n'), fix('err_weight_range.txt'));
    assert.equal(await cli(px.sock, 'get weight be_app/s2\n'), fix('get_weight.txt'));
  });

  it('set severity-output prefixes error messages with their level', async () => {
    assert.equal(await cli(px.sock, 'set severity-output number;set server be_app/nosuch state drain\n'), fix('set_severity_output_number_set_server_be_app_nosuch_state_dr.txt'));
    assert.equal(await cli(px.sock, 'set severity-output string;get weight be_app/zz\n'), fix('set_severity_output_string_get_weight_be_app_zz_.txt'));
  });

  it('prompt mode answers each command with "\\n> " and quit closes, as in the recorded session', async () => {
    const { sent, recv } = promptCapture();
    const got = await cliSession(px.sock, sent, 200);
    assert.deepEqual(got, recv);
  });

  it('show info prints HAProxy 2.6\'s fields in its order', async () => {
    const names = (t: string) => t.split('\n').filter(Boolean).map((l) => l.slice(0, l.indexOf(':')));
    assert.deepEqual(names(await cli(px.sock, 'show info\n')), names(fix('show_info.txt')));
  });

  it('show stat starts with the 2.6 CSV header', async () => {
    const out = await cli(px.sock, 'show stat\n');
    assert.equal(out.slice(0, out.indexOf('\n') + 1), fix('csv_header_2.6.txt'));
  });

  it('the ipv4@ socket answers like the unix one, and a user-level socket refuses admin commands', async () => {
    assert.equal(await cli(px.ports[2], 'show backend\n'), '# name\nbe_app\nbe_st\nbe_tcp\n\n');
    assert.equal(await cli(`${px.sock}.user`, 'disable server be_app/s2\n'), 'Permission denied\n\n');
    assert.equal(await cli(`${px.sock}.user`, 'show cli level\n'), 'user\n\n');
  });

  it('commands on two lines both run before the close; a partial line waits for its end', async () => {
    assert.equal(await cli(px.sock, 'show version\nget weight be_app/s1\n'), '2.6.12-1+deb12u4\n\n1 (initial 1)\n\n');
    const steps = await cliSession(px.sock, ['show version\nshow ver', 'sion\n'], 150);
    assert.deepEqual(steps, ['2.6.12-1+deb12u4\n\n', '2.6.12-1+deb12u4\n\n<EOF>']);
  });

  it('disable server puts the server in MAINT for the balancing and in show stat, enable server brings it back', async () => {
    const fe = px.ports[0];
    assert.equal(await cli(px.sock, 'disable server be_app/s2\n'), '\n');
    const st = await cli(px.sock, 'show stat be_app 4 2\n');
    assert.match(st.split('\n')[1], /^be_app,s2,.*,MAINT,50,1,0,/);
    const { http } = await import('./lib.js');
    // every request now goes to s1: the request counters of s2 stay at 0
    for (let i = 0; i < 3; i++) await http(fe, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const after1 = (await cli(px.sock, 'show stat be_app 4 -1\n')).split('\n');
    assert.equal(after1[2].split(',')[7], '0');
    assert.equal(after1[1].split(',')[7], '3');
    assert.equal(await cli(px.sock, 'enable server be_app/s2\n'), '\n');
    assert.match((await cli(px.sock, 'show stat be_app 4 2\n')).split('\n')[1], /,no check,50,/);
  });
});

/** masks what differs between two runs of the same binary: pids, times, durations, pointers */
function mask(s: string): string {
  return s
    .replace(/Pid: \d+/g, 'Pid: N')
    .replace(/Uptime[^\n]*/g, 'Uptime')
    .replace(/0x[0-9a-f]+/g, '0xP')
    .replace(/\[\d\d\/\w+\/\d{4}:[\d:.]+\]/g, '[DATE]')
    .replace(/^(be_\w+,\w+(?:,[^,\n]*){21}),\d+,/gm, '$1,LASTCHG,')
    .replace(/,L4OK,,\d+,/g, ',L4OK,,DUR,')
    .replace(/ \d+ (\d+ \d+ \d+ \d+ \d+ \d+ \d+ - \d+ - )/g, ' T $1');
}

const COMMANDS = [
  'help foo',
  'show foo',
  'sho info',
  'get weight be_app',
  'set weight be_app/s2 abc',
  'set weight be_app/s2 10x',
  'set weight be_app/s2',
  'set weight be_st/s1 50',
  'set weight be_st/s1 0%',
  'get weight be_st/s1',
  'set weight be_st/s1 100%',
  'set server be_app/s2 state foo',
  'set server be_app/s2',
  'set server be_app/s2 weight',
  'set server be_app/s2 agent up',
  'disable frontend',
  'disable frontend nosuch',
  'enable frontend fe_http',
  'show servers state nosuch',
  'show cli level',
  'set timeout cli abc',
  'set timeout foo 1',
  'show stat x y z',
  'show stat -1 4 -1',
  'show stat be_app 4 2',
  'show servers state be_st',
  'set server be_app/s2 state drain',
  'show servers state be_app',
  'show stat -1 4 -1',
  'set server be_app/s2 state maint',
  'show stat -1 6 -1',
  'set server be_app/s2 state ready',
  'set weight be_app/s2 20',
  'get weight be_app/s2',
  'show stat -1 4 -1',
  'disable frontend fe_tcp',
  'show stat -1 1 -1',
  'enable frontend fe_tcp',
  'show errors nosuch',
  'user;set weight be_app/s1 2',
  'clear counters all',
  'show info;show version',
];

describe('stats socket: tshaproxy and HAProxy 2.6 answer the same', { skip: HAPROXY ? false : 'haproxy is not installed' }, () => {
  const runs = new Map<string, string[]>();
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const s of stops) await s();
  });

  it(`${COMMANDS.length} commands (errors, weights, states, show stat rows) give the same bytes`, { timeout: 25000 }, async () => {
    for (const who of ['haproxy', 'tshaproxy'] as const) {
      const ports = await freePorts(4);
      const org = await origin(ports[1]);
      const px = await startProxy(who, cfg, ports, [ports[0], ports[2]]);
      stops.push(async () => {
        await px.stop();
        await closeServer(org);
      });
      // let the first check of s1 pass
      await sleep(600);
      const out: string[] = [];
      for (const c of COMMANDS) out.push(mask(await cli(px.sock, `${c}\n`)).split(String(ports[1])).join('PORT'));
      runs.set(who, out);
    }
    const h = runs.get('haproxy')!;
    const t = runs.get('tshaproxy')!;
    for (let i = 0; i < COMMANDS.length; i++) {
      if (COMMANDS[i] === 'show info;show version') {
        // names and fixed values only: counters and memory differ by nature
        const names = (x: string) => x.split('\n').map((l) => l.split(':')[0]);
        assert.deepEqual(names(t[i]), names(h[i]), COMMANDS[i]);
        continue;
      }
      assert.equal(t[i], h[i], COMMANDS[i]);
    }
  });
});
