/**
 * `user`/`group`: privileges dropped once the listeners are bound (root only);
 * `chroot`: refused as haproxy refuses it (missing directory), otherwise run
 * without it since Node.js cannot chroot().
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BIN,
  childPids,
  echoServer,
  freePort,
  HAVE_HAPROXY,
  killPid,
  normalize,
  run,
  tcpConfig,
  tempDir,
  waitListening,
  writeCfg,
  type Echo,
  type Proc,
} from './helpers.js';

const ROOT = process.getuid?.() === 0;
const HAVE_NOBODY = spawnSync('getent', ['passwd', 'nobody']).status === 0 && spawnSync('getent', ['group', 'nogroup']).status === 0;
const HAVE_SETPRIV = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;

let echo: Echo;
const procs: Proc[] = [];
const start = (args: string[], o: Parameters<typeof run>[1] = {}) => {
  const p = run(args, o);
  procs.push(p);
  return p;
};

function ids(pid: number): { uid: number; gid: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(st)![1]), gid: Number(/^Gid:\s+(\d+)/m.exec(st)![1]) };
}

/** a temp dir the unprivileged user can read */
function openDir(): string {
  const d = tempDir();
  chmodSync(d, 0o755);
  return d;
}

describe('privileges and chroot', { timeout: 60000 }, () => {
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

  test('user nobody / group nogroup: the serving process runs as nobody after binding', { skip: !ROOT || !HAVE_NOBODY ? 'needs root and the nobody user' : false }, async () => {
    const dir = openDir();
    const port = await freePort();
    const p = start(['-db', '-f', writeCfg(dir, tcpConfig(port, echo.port, ['user nobody', 'group nogroup']))]);
    await waitListening(port);
    const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
    assert.equal(ids(p.pid).uid, nobody);
    p.signal('SIGUSR1');
    assert.equal((await p.exited()).code, 0);
  });

  test('in master-worker mode the master stays root and the worker drops to nobody', { skip: !ROOT || !HAVE_NOBODY ? 'needs root and the nobody user' : false }, async () => {
    const dir = openDir();
    const port = await freePort();
    const m = start(['-W', '-db', '-f', writeCfg(dir, tcpConfig(port, echo.port, ['user nobody', 'group nogroup']))]);
    await waitListening(port);
    const [w] = childPids(m.pid);
    assert.equal(ids(m.pid).uid, 0);
    assert.notEqual(ids(w).uid, 0);
    m.signal('SIGUSR1');
    assert.equal((await m.exited()).code, 0);
  });

  test('an unprivileged user asking for group nogroup fails with haproxy\'s alert', { skip: !ROOT || !HAVE_NOBODY || !HAVE_SETPRIV ? 'needs root, setpriv and the nobody user' : false }, async () => {
    const dir = openDir();
    const port = await freePort();
    const cfg = writeCfg(dir, tcpConfig(port, echo.port, ['user nobody', 'group nogroup']));
    chmodSync(cfg, 0o644);
    const asUser = ['--reuid=1000', '--regid=1000', '--clear-groups'];
    const p = start([...asUser, process.execPath, BIN, '-db', '-f', cfg], { exe: 'setpriv' });
    assert.equal((await p.exited()).code, 1);
    const ours = normalize(p.out());
    assert.equal(ours.at(-1), `[ALERT]    (PID) : [haproxy.main()] Cannot set gid ${Number(spawnSync('getent', ['group', 'nogroup'], { encoding: 'utf8' }).stdout.split(':')[2])}.`);
    if (HAVE_HAPROXY) {
      const h = start([...asUser, 'haproxy', '-db', '-f', cfg], { exe: 'setpriv' });
      assert.equal((await h.exited()).code, 1);
      assert.deepEqual(normalize(h.out()), ours);
    }
  });

  test('chroot to a missing directory fails as haproxy; an existing one is not applied but the process serves', async () => {
    const dir = openDir();
    const port = await freePort();
    writeCfg(dir, tcpConfig(port, echo.port, [`chroot ${join(dir, 'nope')}`]));
    const p = start(['-db', '-f', 'h.cfg'], { cwd: dir });
    assert.equal((await p.exited()).code, 1);
    const ours = normalize(p.out());
    assert.equal(ours.at(-1), `[ALERT]    (PID) : [haproxy.main()] Cannot chroot(${join(dir, 'nope')}).`);
    if (HAVE_HAPROXY) {
      const h = start(['-db', '-f', 'h.cfg'], { exe: 'haproxy', cwd: dir });
      assert.equal((await h.exited()).code, 1);
      assert.deepEqual(normalize(h.out()), ours.filter((l) => !l.includes('not honoured')));
    }
    if (ROOT) {
      mkdirSync(join(dir, 'jail'));
      const cfg = writeCfg(dir, tcpConfig(port, echo.port, [`chroot ${join(dir, 'jail')}`]), 'jail.cfg');
      const q = start(['-db', '-f', cfg]);
      await waitListening(port);
      q.signal('SIGUSR1');
      assert.equal((await q.exited()).code, 0);
    }
  });
});
