/**
 * Master-worker mode (-W): the master holds the sockets, USR2/HUP reload
 * without losing a request, a configuration that fails leaves the old worker
 * serving, and the master's lines and exit statuses are haproxy's.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  childPids,
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

const count = (p: Proc, line: string) => normalize(p.out()).filter((l) => l === line).length;
/** the master's own lines (workers' "Proxy x stopped" lines belong to the runtime) */
const masterLines = (p: Proc) => normalize(p.out()).filter((l) => !/ Proxy .* stopped | Proxy <HTTPCLIENT> /.test(l));

/**
 * `clients` loops, each opening a connection, exchanging `pairs` request/response
 * pairs on it, closing it, and starting again, until stopped.
 */
function load(port: number, clients: number, pairs: number) {
  const stats = { conns: 0, exchanges: 0, failures: [] as string[] };
  let stop = false;
  const loop = async (id: number) => {
    const end = Date.now() + 20000;
    while (!stop && Date.now() < end) {
      const c = new Conn(port);
      const r = await c.ready;
      if (r !== 'ok') {
        stats.failures.push(`connect: ${r}`);
        continue;
      }
      stats.conns++;
      for (let i = 0; i < pairs; i++) {
        // a late answer is not a lost one: a reload on a loaded 2-core machine can hold a
        // fresh connection in the master's queue for seconds while the new worker boots
        const x = await c.exchange(`c${id}-${stats.conns}-${i};`, 10000);
        if (x !== 'ok') {
          stats.failures.push(`exchange ${i}: ${x}`);
          break;
        }
        stats.exchanges++;
      }
      c.close();
    }
  };
  const all = Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  return {
    stats,
    stop: async () => {
      stop = true;
      await all;
    },
  };
}

describe('master-worker mode', { timeout: 90000 }, () => {
  before(async () => {
    echo = await echoServer();
  });
  after(async () => {
    for (const p of procs) {
      for (const c of childPids(p.pid)) {
        try {
          process.kill(c, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      p.kill();
    }
    await echo.close();
  });

  test('two reloads under load lose no request: connections and keep-alive exchanges all succeed', async (t) => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = writeCfg(dir, tcpConfig(port, echo.port));
    const pidfile = join(dir, 'h.pid');
    const m = start(['-W', '-db', '-f', cfg, '-p', pidfile]);
    await waitListening(port);
    assert.equal(readFileSync(pidfile, 'utf8'), `${m.pid}\n`, 'the pid file holds the master pid');
    const first = childPids(m.pid);
    assert.equal(first.length, 1);
    const l = load(port, 4, 5);
    await sleep(800);
    m.signal('SIGUSR2');
    await waitFor(() => count(m, '[NOTICE]   (PID) : Loading success.') === 2, 8000, 'first reload');
    await sleep(800);
    m.signal('SIGHUP');
    await waitFor(() => count(m, '[NOTICE]   (PID) : Loading success.') === 3, 8000, 'second reload');
    await sleep(800);
    await l.stop();
    t.diagnostic(`reload under load: ${l.stats.conns} connections, ${l.stats.exchanges} exchanges, ${l.stats.failures.length} failures`);
    assert.deepEqual(l.stats.failures, []);
    assert.ok(l.stats.conns > 20 && l.stats.exchanges > 100, `enough traffic: ${JSON.stringify(l.stats)}`);
    // the former workers drain and leave; one current worker remains
    await waitFor(() => count(m, '[WARNING]  (PID) : Former worker (PID) exited with code 0 (Exit)') === 2, 8000, 'old workers gone');
    const now = childPids(m.pid);
    assert.equal(now.length, 1);
    assert.ok(!first.includes(now[0]));
    m.signal('SIGUSR1');
    assert.deepEqual(await m.exited(), { code: 0, signal: null });
    assert.deepEqual(masterLines(m).slice(-3), [
      '[WARNING]  (PID) : Exiting Master process...',
      '[WARNING]  (PID) : Current worker (PID) exited with code 0 (Exit)',
      '[WARNING]  (PID) : All workers exited. Exiting... (0)',
    ]);
  });

  test('a reload with a configuration that fails the check keeps the old worker serving', async () => {
    const dir = tempDir();
    const port = await freePort();
    const good = tcpConfig(port, echo.port);
    const cfg = writeCfg(dir, good);
    const m = start(['-W', '-db', '-f', cfg]);
    await waitListening(port);
    const worker = childPids(m.pid);
    const live = new Conn(port);
    assert.equal(await live.exchange('x'), 'ok');
    writeFileSync(cfg, good + '  bogus keyword\n');
    m.signal('SIGUSR2');
    await waitFor(() => count(m, '[WARNING]  (PID) : Loading failure!') === 1, 8000, 'loading failure');
    assert.deepEqual(childPids(m.pid), worker);
    assert.equal(await live.exchange('y'), 'ok');
    assert.equal(await echoOnce(port), 'ok');
    const lines = masterLines(m);
    const at = lines.indexOf('[NOTICE]   (PID) : Reloading HAProxy');
    assert.deepEqual(lines.slice(at, at + 7), [
      '[NOTICE]   (PID) : Reloading HAProxy',
      '[NOTICE]   (PID) : haproxy version is 2.6.12-1+deb12u4',
      '[NOTICE]   (PID) : path to executable is EXE',
      `[ALERT]    (PID) : config : parsing [${cfg}:10] : unknown keyword 'bogus' in 'listen' section`,
      `[ALERT]    (PID) : config : Error(s) found in configuration file : ${cfg}`,
      '[ALERT]    (PID) : config : Fatal errors found in configuration.',
      '[WARNING]  (PID) : Loading failure!',
    ]);
    // a reload whose new listener cannot bind fails the same way
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      writeFileSync(cfg, good + `  bind 127.0.0.1:${busy}\n`);
      m.signal('SIGUSR2');
      await waitFor(() => count(m, '[WARNING]  (PID) : Loading failure!') === 2, 8000, 'second loading failure');
      assert.match(m.out(), /\[ALERT\]    \(\d+\) : Binding \[.*:10\] for proxy fe: cannot bind socket \(Address already in use\)/);
      assert.deepEqual(childPids(m.pid), worker);
      assert.equal(await live.exchange('z'), 'ok');
      assert.equal(await echoOnce(port), 'ok');
    } finally {
      blocker.close();
    }
    // and a good one goes through
    writeFileSync(cfg, good);
    m.signal('SIGUSR2');
    await waitFor(() => count(m, '[NOTICE]   (PID) : Loading success.') === 2, 8000, 'reload');
    assert.equal(await live.exchange('w'), 'ok', 'the former worker keeps its connection');
    live.close();
    await waitFor(() => childPids(m.pid).length === 1 && childPids(m.pid)[0] !== worker[0], 8000, 'former worker gone');
    m.signal('SIGTERM');
    await m.exited();
  });

  for (const [sig, code, status, text] of [
    ['SIGTERM', 0, 143, 'Terminated'],
    ['SIGINT', 130, 130, 'Interrupt'],
  ] as const) {
    test(`${sig} to the master kills the worker; the master exits ${code} with haproxy's lines`, async () => {
      const dir = tempDir();
      const port = await freePort();
      const cfg = writeCfg(dir, tcpConfig(port, echo.port));
      const m = start(['-W', '-db', '-f', cfg]);
      await waitListening(port);
      m.signal(sig);
      assert.deepEqual(await m.exited(), { code, signal: null });
      const want = [
        '[NOTICE]   (PID) : New worker (PID) forked',
        '[NOTICE]   (PID) : Loading success.',
        '[NOTICE]   (PID) : haproxy version is 2.6.12-1+deb12u4',
        '[NOTICE]   (PID) : path to executable is EXE',
        '[WARNING]  (PID) : Exiting Master process...',
        `[ALERT]    (PID) : Current worker (PID) exited with code ${status} (${text})`,
        `[WARNING]  (PID) : All workers exited. Exiting... (${code})`,
      ];
      assert.deepEqual(masterLines(m), want);
      if (HAVE_HAPROXY) {
        const hp = await freePort();
        const h = start(['-W', '-db', '-f', writeCfg(dir, tcpConfig(hp, echo.port), 'hap.cfg')], { exe: 'haproxy' });
        await waitListening(hp);
        await sleep(300); // haproxy's master installs its handlers a moment after the worker listens
        h.signal(sig);
        assert.deepEqual(await h.exited(), { code, signal: null });
        assert.deepEqual(masterLines(h), want);
      }
    });
  }

  test('a worker that crashes takes the master down (exit-on-failure)', async () => {
    const dir = tempDir();
    const port = await freePort();
    const m = start(['-W', '-db', '-f', writeCfg(dir, tcpConfig(port, echo.port))]);
    await waitListening(port);
    const [w] = childPids(m.pid);
    process.kill(w, 'SIGKILL');
    assert.deepEqual(await m.exited(), { code: 137, signal: null });
    const lines = masterLines(m);
    assert.ok(lines.includes('[ALERT]    (PID) : Current worker (PID) exited with code 137 (Killed)'), lines.join('\n'));
    assert.ok(lines.includes('[ALERT]    (PID) : exit-on-failure: killing every processes with SIGTERM'));
    assert.equal(lines.at(-1), '[WARNING]  (PID) : All workers exited. Exiting... (137)');
  });

  test('the bind failure of the first start is reported by the master, which exits 1', async () => {
    const dir = tempDir();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      writeCfg(dir, tcpConfig(busy, echo.port));
      const m = start(['-W', '-db', '-f', 'h.cfg'], { cwd: dir });
      assert.equal((await m.exited(8000)).code, 1);
      const want = [
        '[NOTICE]   (PID) : haproxy version is 2.6.12-1+deb12u4',
        '[NOTICE]   (PID) : path to executable is EXE',
        `[ALERT]    (PID) : Binding [h.cfg:8] for proxy fe: cannot bind socket (Address already in use) for [127.0.0.1:${busy}]`,
        '[ALERT]    (PID) : [haproxy.main()] Some protocols failed to start their listeners! Exiting.',
      ];
      assert.deepEqual(normalize(m.out()), want);
      if (HAVE_HAPROXY) {
        const h = start(['-W', '-db', '-f', 'h.cfg'], { exe: 'haproxy', cwd: dir });
        assert.equal((await h.exited()).code, 1);
        assert.deepEqual(normalize(h.out()), want);
      }
    } finally {
      blocker.close();
    }
  });

  test('global master-worker works like -W; SIGTTOU/SIGTTIN reach the workers', async () => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = writeCfg(dir, tcpConfig(port, echo.port, ['master-worker']));
    const m = start(['-db', '-f', cfg]);
    await waitListening(port);
    assert.equal(childPids(m.pid).length, 1);
    m.signal('SIGTTOU');
    await waitFor(async () => (await echoOnce(port, 'x', 500)) === 'ECONNREFUSED', 3000, 'paused');
    m.signal('SIGTTIN');
    await waitListening(port, 3000);
    m.signal('SIGUSR1');
    assert.equal((await m.exited()).code, 0);
  });
});
