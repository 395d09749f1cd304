/**
 * `nbthread N`: Node runs JavaScript on one thread, so N threads become N
 * worker processes sharing the listeners; the process the user started stands
 * for haproxy's single process (signals, exit status).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  acceptedByPid,
  childPids,
  Conn,
  echoOnce,
  echoServer,
  freePort,
  killPid,
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
const start = (args: string[]) => {
  const p = run(args);
  procs.push(p);
  return p;
};

describe('nbthread runs worker processes', { timeout: 60000 }, () => {
  before(async () => {
    echo = await echoServer();
  });
  after(async () => {
    for (const p of procs) {
      for (const c of childPids(p.pid)) killPid(c);
      p.kill();
    }
    await echo.close();
  });

  test('nbthread 3 starts three workers and spreads connections over all of them', async (t) => {
    const dir = tempDir();
    const port = await freePort();
    const p = start(['-db', '-f', writeCfg(dir, tcpConfig(port, echo.port, ['nbthread 3']))]);
    await waitListening(port);
    const workers = childPids(p.pid);
    assert.equal(workers.length, 3);
    const conns: Conn[] = [];
    try {
      // the workers come up one by one (slowly on a loaded machine): open connections (kept open) until each holds some, or 150 of them
      let spread = new Map<number, number>();
      for (let i = 0; i < 150; i++) {
        const c = new Conn(port);
        conns.push(c);
        assert.equal(await c.exchange(`c${i}`), 'ok');
        if (i % 6 === 5) {
          spread = acceptedByPid(workers, port);
          if ([...spread.values()].every((n) => n >= 2)) break;
        }
      }
      t.diagnostic(`${conns.length} connections over 3 workers: ${[...spread.values()].join(', ')}`);
      assert.equal([...spread.values()].reduce((a, b) => a + b, 0), conns.length);
      for (const [pid, n] of spread) assert.ok(n >= 2, `worker ${pid} got ${n}`);
    } finally {
      for (const c of conns) c.close();
    }
    assert.equal(p.out(), '', 'no master-worker lines: it stands for one haproxy process');
    p.signal('SIGUSR1');
    assert.deepEqual(await p.exited(), { code: 0, signal: null });
    for (const w of workers) await waitFor(() => !childPids(p.pid).includes(w), 2000, 'worker gone');
  });

  test('SIGTERM ends the workers and the process dies by SIGTERM; a soft stop waits for every worker\'s connections', async () => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = writeCfg(dir, tcpConfig(port, echo.port, ['nbthread 2']));
    const p = start(['-db', '-f', cfg]);
    await waitListening(port);
    p.signal('SIGTERM');
    assert.deepEqual(await p.exited(), { code: null, signal: 'SIGTERM' });

    const q = start(['-db', '-f', cfg]);
    await waitListening(port);
    const a = new Conn(port);
    const b = new Conn(port);
    assert.equal(await a.exchange('a'), 'ok');
    assert.equal(await b.exchange('b'), 'ok');
    q.signal('SIGUSR1');
    await waitFor(async () => (await echoOnce(port, 'x', 500)) === 'ECONNREFUSED', 3000, 'listeners closed');
    assert.equal(await a.exchange('a2'), 'ok');
    a.close();
    assert.equal(await b.exchange('b2'), 'ok');
    assert.equal(q.child.exitCode, null);
    b.close();
    assert.deepEqual(await q.exited(), { code: 0, signal: null });
  });

  test('nbthread 2 with -W: the master supervises two workers and reloads both', async () => {
    const dir = tempDir();
    const port = await freePort();
    const m = start(['-W', '-db', '-f', writeCfg(dir, tcpConfig(port, echo.port, ['nbthread 2']))]);
    await waitListening(port);
    const first = childPids(m.pid);
    assert.equal(first.length, 2);
    m.signal('SIGUSR2');
    await waitFor(() => {
      const now = childPids(m.pid);
      return now.length === 2 && now.every((p) => !first.includes(p));
    }, 8000, 'two new workers');
    assert.equal(await echoOnce(port), 'ok');
    m.signal('SIGUSR1');
    assert.equal((await m.exited()).code, 0);
  });
});
