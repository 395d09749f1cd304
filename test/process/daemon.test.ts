/**
 * -D / `daemon`: a detached process serves (own session, stdio on /dev/null);
 * the command exits 0 once it listens, or 1 with the alerts when it cannot.
 * -p / `pidfile` hold the daemon's pid (the master's in master-worker mode);
 * a foreground process writes none, as haproxy.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  alive,
  childPids,
  echoOnce,
  echoServer,
  freePort,
  HAVE_HAPROXY,
  killPid,
  normalize,
  run,
  tcpConfig,
  tempDir,
  waitFor,
  waitListening,
  writeCfg,
  type Echo,
  type Proc,
} from './helpers.js';

let echo: Echo;
const procs: Proc[] = [];
const daemons: number[] = [];
const start = (args: string[], o: Parameters<typeof run>[1] = {}) => {
  const p = run(args, o);
  procs.push(p);
  return p;
};

function readPid(file: string): number {
  return Number(readFileSync(file, 'utf8').trim().split('\n')[0]);
}

/** session id of a process (field 6 of /proc/pid/stat) */
function sid(pid: number): number {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[3]);
}

describe('daemon mode and pid files', { timeout: 60000 }, () => {
  before(async () => {
    echo = await echoServer();
  });
  after(async () => {
    for (const p of procs) p.kill();
    for (const d of daemons) {
      for (const c of childPids(d)) killPid(c);
      killPid(d);
    }
    await echo.close();
  });

  test('-D returns 0 once the detached daemon listens; the pid file names it; SIGUSR1 stops it', async () => {
    const dir = tempDir();
    const port = await freePort();
    const pidfile = join(dir, 'h.pid');
    const p = start(['-D', '-f', writeCfg(dir, tcpConfig(port, echo.port)), '-p', pidfile]);
    assert.deepEqual(await p.exited(8000), { code: 0, signal: null });
    assert.equal(p.out(), '');
    assert.ok(existsSync(pidfile));
    const d = readPid(pidfile);
    daemons.push(d);
    assert.match(readFileSync(pidfile, 'utf8'), /^\d+\n$/);
    assert.notEqual(d, p.pid);
    assert.ok(alive(d));
    assert.equal(sid(d), d, 'the daemon leads its own session');
    assert.equal(readlinkSync(`/proc/${d}/fd/0`), '/dev/null');
    assert.equal(readlinkSync(`/proc/${d}/fd/2`), '/dev/null');
    // it listens already when the command returns
    assert.equal(await echoOnce(port), 'ok');
    process.kill(d, 'SIGUSR1');
    await waitFor(() => !alive(d), 5000, 'daemon gone');
  });

  test('global daemon and pidfile do the same; -db keeps it in the foreground and writes no pid file', async () => {
    const dir = tempDir();
    const port = await freePort();
    const pidfile = join(dir, 'g.pid');
    const cfg = writeCfg(dir, tcpConfig(port, echo.port, ['daemon', `pidfile ${pidfile}`]));
    const fg = start(['-db', '-f', cfg]);
    await waitListening(port);
    assert.equal(existsSync(pidfile), false, 'a foreground process writes no pid file');
    fg.signal('SIGUSR1');
    assert.equal((await fg.exited()).code, 0);
    const p = start(['-f', cfg]);
    assert.equal((await p.exited(8000)).code, 0);
    const d = readPid(pidfile);
    daemons.push(d);
    assert.equal(await echoOnce(port), 'ok');
    process.kill(d, 'SIGTERM');
    await waitFor(() => !alive(d), 5000, 'daemon gone');
  });

  test('-D with a port in use prints the alerts and exits 1, as haproxy -D', async () => {
    const dir = tempDir();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      writeCfg(dir, tcpConfig(busy, echo.port));
      const p = start(['-D', '-f', 'h.cfg', '-p', 'x.pid'], { cwd: dir });
      assert.equal((await p.exited(8000)).code, 1);
      const ours = normalize(p.out());
      assert.equal(ours.length, 4, ours.join('\n'));
      assert.equal(ours[3], '[ALERT]    (PID) : [haproxy.main()] Some protocols failed to start their listeners! Exiting.');
      if (HAVE_HAPROXY) {
        const h = start(['-D', '-f', 'h.cfg', '-p', 'x.pid'], { exe: 'haproxy', cwd: dir });
        assert.equal((await h.exited()).code, 1);
        assert.deepEqual(normalize(h.out()), ours);
      }
    } finally {
      blocker.close();
    }
  });

  test('-D -W: the pid file holds the master pid; the master leads the session and supervises a worker', async () => {
    const dir = tempDir();
    const port = await freePort();
    const pidfile = join(dir, 'm.pid');
    const p = start(['-D', '-W', '-f', writeCfg(dir, tcpConfig(port, echo.port)), '-p', pidfile]);
    assert.equal((await p.exited(8000)).code, 0);
    const m = readPid(pidfile);
    daemons.push(m);
    // as haproxy -D -W: its stdio is gone by the time it would say "Loading success."
    assert.deepEqual(normalize(p.out()), ['[NOTICE]   (PID) : New worker (PID) forked']);
    assert.equal(sid(m), m);
    const workers = childPids(m);
    assert.equal(workers.length, 1);
    assert.equal(await echoOnce(port), 'ok');
    process.kill(m, 'SIGUSR2');
    await waitFor(() => childPids(m).length === 1 && childPids(m)[0] !== workers[0], 8000, 'reloaded worker');
    assert.equal(await echoOnce(port), 'ok');
    process.kill(m, 'SIGTERM');
    await waitFor(() => !alive(m), 5000, 'master gone');
  });
});
