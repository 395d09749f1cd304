/**
 * A foreground process (-db) obeys HAProxy's signals: USR1 soft stop, TERM/INT
 * hard stop, TTOU/TTIN pause/resume; bind failures and FD limits fail as
 * haproxy 2.6 does (same lines, same exit status).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  Conn,
  echoOnce,
  echoServer,
  freePort,
  HAVE_HAPROXY,
  normalize,
  run,
  sleep,
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
const start = (args: string[], o: Parameters<typeof run>[1] = {}) => {
  const p = run(args, o);
  procs.push(p);
  return p;
};

describe('foreground process signals', { timeout: 60000 }, () => {
  before(async () => {
    echo = await echoServer();
  });
  after(async () => {
    for (const p of procs) p.kill();
    await echo.close();
  });

  test('SIGUSR1 closes the listener, lets a live connection finish, then exits 0', async () => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = writeCfg(dir, tcpConfig(port, echo.port));
    const p = start(['-db', '-f', cfg]);
    await waitListening(port);
    const c = new Conn(port);
    assert.equal(await c.ready, 'ok');
    assert.equal(await c.exchange('before'), 'ok');
    p.signal('SIGUSR1');
    await waitFor(async () => (await echoOnce(port, 'x', 500)) === 'ECONNREFUSED', 3000, 'listener closed');
    // the live connection still works, and holds the process up
    assert.equal(await c.exchange('during'), 'ok');
    await sleep(200);
    assert.equal(p.child.exitCode, null);
    c.close();
    const r = await p.exited();
    assert.deepEqual(r, { code: 0, signal: null });
  });

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    test(`${sig} ends the process by that signal at once, live connections included`, async () => {
      const dir = tempDir();
      const port = await freePort();
      const cfg = writeCfg(dir, tcpConfig(port, echo.port));
      const p = start(['-db', '-f', cfg]);
      await waitListening(port);
      const c = new Conn(port);
      assert.equal(await c.exchange('x'), 'ok');
      p.signal(sig);
      const r = await p.exited();
      assert.deepEqual(r, { code: null, signal: sig });
      await waitFor(() => c.closed, 2000, 'client connection closed');
      if (HAVE_HAPROXY) {
        const hp = await freePort();
        const h = start(['-db', '-f', writeCfg(dir, tcpConfig(hp, echo.port), 'hap.cfg')], { exe: 'haproxy' });
        await waitListening(hp);
        h.signal(sig);
        assert.deepEqual(await h.exited(), r, 'haproxy ends the same way');
      }
    });
  }

  test('SIGTTOU closes the listeners and SIGTTIN opens them again, with HAProxy\'s lines', async () => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = writeCfg(dir, tcpConfig(port, echo.port));
    const p = start(['-db', '-f', cfg]);
    await waitListening(port);
    const c = new Conn(port);
    assert.equal(await c.exchange('x'), 'ok');
    p.signal('SIGTTOU');
    await waitFor(async () => (await echoOnce(port, 'x', 500)) === 'ECONNREFUSED', 3000, 'paused');
    assert.equal(await c.exchange('still'), 'ok', 'a paused process keeps its connections');
    p.signal('SIGTTIN');
    await waitListening(port, 3000);
    p.signal('SIGUSR1');
    c.close();
    assert.equal((await p.exited()).code, 0);
    const lines = normalize(p.out());
    assert.deepEqual(lines.slice(0, 2), ['[WARNING]  (PID) : Paused proxy fe.', '[WARNING]  (PID) : Resumed proxy fe.']);
  });

  test('SIGHUP, SIGUSR2 and SIGQUIT leave a foreground process serving', async () => {
    const dir = tempDir();
    const port = await freePort();
    const p = start(['-db', '-f', writeCfg(dir, tcpConfig(port, echo.port))]);
    await waitListening(port);
    for (const s of ['SIGHUP', 'SIGUSR2', 'SIGQUIT'] as const) p.signal(s);
    await sleep(300);
    assert.equal(await echoOnce(port), 'ok');
    p.signal('SIGUSR1');
    assert.equal((await p.exited()).code, 0);
  });

  test('a port in use prints the bind ALERT and "Some protocols failed" and exits 1, as haproxy does', async () => {
    const dir = tempDir();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      writeCfg(dir, tcpConfig(port, echo.port));
      const p = start(['-db', '-f', 'h.cfg'], { cwd: dir });
      assert.equal((await p.exited()).code, 1);
      const ours = normalize(p.out());
      assert.deepEqual(ours, [
        '[NOTICE]   (PID) : haproxy version is 2.6.12-1+deb12u4',
        '[NOTICE]   (PID) : path to executable is EXE',
        `[ALERT]    (PID) : Binding [h.cfg:8] for proxy fe: cannot bind socket (Address already in use) for [127.0.0.1:${port}]`,
        '[ALERT]    (PID) : [haproxy.main()] Some protocols failed to start their listeners! Exiting.',
      ]);
      const q = start(['-q', '-db', '-f', 'h.cfg'], { cwd: dir });
      assert.equal((await q.exited()).code, 1);
      assert.equal(q.out(), '', '-q prints nothing');
      if (HAVE_HAPROXY) {
        const h = start(['-db', '-f', 'h.cfg'], { exe: 'haproxy', cwd: dir });
        assert.equal((await h.exited()).code, 1);
        assert.deepEqual(normalize(h.out()), ours);
      }
    } finally {
      blocker.close();
    }
  });

  test('hard-stop-after ends a soft stop that a live connection holds up', async () => {
    const dir = tempDir();
    const port = await freePort();
    const p = start(['-db', '-f', writeCfg(dir, tcpConfig(port, echo.port, ['hard-stop-after 400ms']))]);
    await waitListening(port);
    const c = new Conn(port);
    assert.equal(await c.exchange('x'), 'ok');
    const t0 = Date.now();
    p.signal('SIGUSR1');
    assert.deepEqual(await p.exited(), { code: 0, signal: null });
    const took = Date.now() - t0;
    assert.ok(took >= 350 && took < 2500, `stopped after ${took} ms`);
    await waitFor(() => c.closed, 2000, 'client closed');
    assert.match(p.out(), /\[WARNING\]  \(\d+\) : soft-stop running for too long, performing a hard-stop\.\n/);
  });

  test('grace keeps accepting for its delay after SIGUSR1, then soft-stops', async () => {
    const dir = tempDir();
    const port = await freePort();
    const p = start(['-db', '-f', writeCfg(dir, tcpConfig(port, echo.port, ['grace 600ms']))]);
    await waitListening(port);
    const t0 = Date.now();
    p.signal('SIGUSR1');
    await sleep(200);
    assert.equal(await echoOnce(port), 'ok', 'still accepting during grace');
    assert.deepEqual(await p.exited(), { code: 0, signal: null });
    assert.ok(Date.now() - t0 >= 550);
    const lines = normalize(p.out());
    assert.deepEqual(lines.slice(0, 2), [
      '[NOTICE]   (PID) : Scheduling a soft-stop in 600 ms.',
      '[NOTICE]   (PID) : Grace period expired, proceeding with soft-stop now.',
    ]);
  });

  test('ulimit-n above the hard limit fails with HAProxy\'s alert', async () => {
    const dir = tempDir();
    const port = await freePort();
    writeCfg(dir, tcpConfig(port, echo.port, ['ulimit-n 4000000']));
    const p = start(['-db', '-f', 'h.cfg'], { cwd: dir });
    assert.equal((await p.exited()).code, 1);
    const ours = normalize(p.out());
    assert.match(ours[2] ?? '', /^\[ALERT\]    \(PID\) : \[haproxy\.main\(\)\] Cannot raise FD limit to 4000000, limit is \d+\.$/);
    if (HAVE_HAPROXY) {
      const h = start(['-db', '-f', 'h.cfg'], { exe: 'haproxy', cwd: dir });
      assert.equal((await h.exited()).code, 1);
      assert.deepEqual(normalize(h.out()), ours);
    }
  });
});
