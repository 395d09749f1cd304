/**
 * tcp-response content with tcp-response inspect-delay, side by side with
 * HAProxy 2.6: the server's first bytes are held until the backend's rules
 * decide (or the delay ends), a reject closes both connections.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePorts, sleep, startProxy, subjects, withTimeout, type Proc, type Subject } from './lib.js';

/** servers that speak first: each port sends its script of writes (ms offsets) */
const SCRIPTS: Record<string, [number, string][]> = {
  bad: [[0, 'BAD reply']],
  good: [[0, 'GOOD reply']],
  slow: [[0, 'ab']],
  split: [[0, 'ab'], [500, 'cd']],
};

interface Run {
  subject: Subject;
  fronts: Record<string, number>;
  proc: Proc;
  servers: net.Server[];
}

const runs: Run[] = [];

before(async () => {
  for (const subject of subjects()) {
    const names = Object.keys(SCRIPTS);
    const ports = await freePorts(names.length * 2);
    const servers: net.Server[] = [];
    const fronts: Record<string, number> = {};
    const lines = ['defaults', '    mode tcp', '    timeout connect 2s', '    timeout client 5s', '    timeout server 5s'];
    for (let i = 0; i < names.length; i++) {
      const [fe, be] = [ports[2 * i], ports[2 * i + 1]];
      fronts[names[i]] = fe;
      const srv = net.createServer((s) => {
        s.on('error', () => {});
        for (const [at, data] of SCRIPTS[names[i]]) setTimeout(() => !s.destroyed && s.write(data), at);
      });
      await new Promise<void>((r) => srv.listen(be, '127.0.0.1', () => r()));
      servers.push(srv);
      lines.push(
        `listen ${names[i]}`,
        `    bind 127.0.0.1:${fe}`,
        '    tcp-response inspect-delay 2s',
        '    tcp-response content reject if { res.payload(0,3) -m str BAD }',
        '    tcp-response content accept if { res.len ge 4 }',
        `    server s1 127.0.0.1:${be}`,
      );
    }
    const proc = await startProxy(subject, lines.join('\n') + '\n', Object.values(fronts));
    runs.push({ subject, fronts, proc, servers });
  }
});

after(async () => {
  for (const r of runs) {
    await r.proc.stop();
    for (const s of r.servers) s.close();
  }
});

async function observe(port: number): Promise<{ data: string; firstMs: number; closed: boolean }> {
  const t0 = Date.now();
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => {});
  let data = '';
  let firstMs = -1;
  let closed = false;
  c.on('data', (d) => {
    if (firstMs < 0) firstMs = Date.now() - t0;
    data += d.toString('latin1');
  });
  c.on('close', () => (closed = true));
  await withTimeout(new Promise((r) => c.once('connect', r)), 3000, 'connect');
  c.write('hello');
  await sleep(2800);
  c.destroy();
  return { data, firstMs, closed };
}

test('tcp-response content holds, forwards and rejects server bytes as HAProxy 2.6 does', { timeout: 20000 }, async () => {
  const out = await Promise.all(runs.flatMap((r) => Object.keys(SCRIPTS).map(async (name) => ({ subject: r.subject, name, o: await observe(r.fronts[name]) }))));
  console.log(out.map((x) => `${x.subject.padEnd(9)} ${x.name.padEnd(6)} ${JSON.stringify(x.o)}`).join('\n'));
  const get = (subject: string, name: string) => out.find((x) => x.subject === subject && x.name === name)!.o;
  for (const subject of subjects()) {
    assert.deepEqual({ ...get(subject, 'bad'), firstMs: 0 }, { data: '', firstMs: 0, closed: true }, subject);
    assert.equal(get(subject, 'good').data, 'GOOD reply');
    assert.ok(get(subject, 'good').firstMs < 300);
    const slow = get(subject, 'slow');
    assert.equal(slow.data, 'ab');
    assert.ok(slow.firstMs >= 1800 && slow.firstMs < 2500, `${subject}: slow after ${slow.firstMs} ms`);
    const split = get(subject, 'split');
    assert.equal(split.data, 'abcd');
    assert.ok(split.firstMs >= 400 && split.firstMs < 900, `${subject}: split after ${split.firstMs} ms`);
  }
});
