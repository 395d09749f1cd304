/**
 * -sf/-st: a new process takes over the ports of old ones. Node 20 has no
 * SO_REUSEPORT, so the new process asks the old ones to pause (SIGTTOU)
 * while it binds, as HAProxy does where the OS lacks it: connections that
 * arrive in between are refused. The test measures that gap.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  Conn,
  echoOnce,
  echoServer,
  freePort,
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
const start = (args: string[]) => {
  const p = run(args);
  procs.push(p);
  return p;
};

/** serial connect+echo attempts until stopped: times and outcomes */
function clientLoop(port: number) {
  const results: { t: number; r: string }[] = [];
  let stop = false;
  const done = (async () => {
    const end = Date.now() + 15000;
    while (!stop && Date.now() < end) {
      const t = performance.now();
      results.push({ t, r: await echoOnce(port, 'p', 2000) });
    }
  })();
  return {
    results,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

describe('-sf and -st take over from old processes', { timeout: 60000 }, () => {
  before(async () => {
    echo = await echoServer();
  });
  after(async () => {
    for (const p of procs) p.kill();
    await echo.close();
  });

  test('-sf: the new process serves, the old one finishes its live connection then exits 0; the refusal gap is short', async (t) => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = writeCfg(dir, tcpConfig(port, echo.port));
    const old = start(['-db', '-f', cfg]);
    await waitListening(port);
    const live = new Conn(port);
    assert.equal(await live.exchange('a'), 'ok');
    const loop = clientLoop(port);
    await sleep(300);
    const neu = start(['-db', '-f', cfg, '-sf', String(old.pid)]);
    await waitFor(() => normalize(old.out()).includes('[WARNING]  (PID) : Paused proxy fe.'), 8000, 'old process paused');
    await sleep(500);
    await loop.stop();
    // the old process keeps the live connection, then leaves
    assert.equal(await live.exchange('b'), 'ok');
    assert.equal(old.child.exitCode, null);
    live.close();
    assert.deepEqual(await old.exited(), { code: 0, signal: null });
    assert.equal(await echoOnce(port), 'ok');
    const fails = loop.results.filter((x) => x.r !== 'ok');
    const kinds = new Set(fails.map((x) => x.r));
    let gap = 0;
    if (fails.length) {
      const first = fails[0].t;
      const next = loop.results.find((x) => x.t > fails[fails.length - 1].t && x.r === 'ok');
      gap = (next?.t ?? fails[fails.length - 1].t) - first;
    }
    const resets = fails.filter((x) => x.r === 'ECONNRESET').length;
    t.diagnostic(`-sf: ${loop.results.length} attempts, ${fails.length - resets} refused, ${resets} reset, gap ${gap.toFixed(1)} ms`);
    // refused while nobody listens; reset when queued unaccepted in the old listener as it closed
    assert.ok([...kinds].every((k) => k === 'ECONNREFUSED' || k === 'ECONNRESET'), `only refusals and resets: ${[...kinds]}`);
    assert.ok(gap < 300, `gap ${gap} ms`);
    neu.signal('SIGUSR1');
    assert.equal((await neu.exited()).code, 0);
  });

  test('-st: the old process is terminated once the new one listens', async () => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = writeCfg(dir, tcpConfig(port, echo.port));
    const old = start(['-db', '-f', cfg]);
    await waitListening(port);
    const live = new Conn(port);
    assert.equal(await live.exchange('a'), 'ok');
    const neu = start(['-db', '-f', cfg, '-st', String(old.pid)]);
    assert.deepEqual(await old.exited(8000), { code: null, signal: 'SIGTERM' });
    await waitFor(() => live.closed, 2000, 'live connection cut');
    await waitListening(port, 3000);
    neu.signal('SIGTERM');
    await neu.exited();
  });

  test('a new process that cannot bind resumes the old one (SIGTTIN) and exits 1', async () => {
    const dir = tempDir();
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      const old = start(['-db', '-f', writeCfg(dir, tcpConfig(port, echo.port), 'old.cfg')]);
      await waitListening(port);
      // the new configuration also binds a port nobody will free
      const cfg2 = writeCfg(dir, tcpConfig(port, echo.port, [], `listen other\n  bind 127.0.0.1:${busy}\n  server s1 127.0.0.1:${echo.port}\n`), 'new.cfg');
      const neu = start(['-db', '-f', cfg2, '-sf', String(old.pid)]);
      assert.equal((await neu.exited(8000)).code, 1);
      assert.match(neu.out(), /cannot bind socket \(Address already in use\) for \[127\.0\.0\.1:\d+\]/);
      await waitListening(port, 3000);
      assert.equal(old.child.exitCode, null, 'the old process still serves');
      assert.deepEqual(normalize(old.out()), ['[WARNING]  (PID) : Paused proxy fe.', '[WARNING]  (PID) : Resumed proxy fe.']);
      old.signal('SIGUSR1');
      assert.equal((await old.exited()).code, 0);
    } finally {
      blocker.close();
    }
  });
});
