/**
 * Streams queued on a server that goes DOWN, on tshaproxy and (when
 * installed) HAProxy 2.6. Observed on HAProxy 2.6.12: with `option
 * redispatch` they are balanced again at once (pendconn_redistribute: "1
 * requeued"); without it they stay in that server's queue and the DOWN server
 * still serves them when its slot frees.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { freePorts, sleep } from '../harness/procs.js';
import { httpRaw, noDurations, run, subjects } from './lib.js';

const getA = (port: number) => httpRaw(port, 'GET /a HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n', 7000);

/** s1 answers after `slowMs`, s2 at once; s1's health checks go to a third port that can be closed */
async function origins(p1: number, p2: number, pc: number, slowMs: number) {
  const a = http.createServer((q, r) => void setTimeout(() => r.end(`s1 ${q.url}`), slowMs));
  const b = http.createServer((q, r) => r.end(`s2 ${q.url}`));
  const chk = net.createServer((s) => s.destroy());
  await Promise.all([
    new Promise<void>((r) => a.listen(p1, '127.0.0.1', r)),
    new Promise<void>((r) => b.listen(p2, '127.0.0.1', r)),
    new Promise<void>((r) => chk.listen(pc, '127.0.0.1', r)),
  ]);
  return {
    failChecks: () => new Promise<void>((r) => chk.close(() => r())),
    close: async () => {
      a.closeAllConnections();
      b.closeAllConnections();
      await Promise.all([new Promise((r) => a.close(r)), new Promise((r) => b.close(r)), new Promise((r) => chk.close(r))]);
    },
  };
}

const cfg = (fe: number, p1: number, p2: number, pc: number, redispatch: boolean) => `defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  timeout queue 8s
frontend fe
  bind 127.0.0.1:${fe}
  default_backend b
backend b
  # /a hashes to s1
  balance uri
${redispatch ? '  option redispatch\n' : ''}  server s1 127.0.0.1:${p1} maxconn 1 check port ${pc} inter 200 fall 1 rise 1
  server s2 127.0.0.1:${p2} maxconn 1
`;

for (const who of subjects()) {
  describe(`a server going DOWN with streams in its queue, on ${who}`, () => {
    for (const redispatch of [true, false]) {
      const title = redispatch
        ? 'with option redispatch, the stream queued on the DOWN server is balanced again at once and the DOWN line counts it requeued'
        : 'without option redispatch, the stream stays in the DOWN server\'s queue and that server serves it once its slot frees';
      it(title, async () => {
        const [fe, p1, p2, pc] = await freePorts(4);
        const o = await origins(p1, p2, pc, 2000);
        const px = await run(who, cfg(fe, p1, p2, pc, redispatch), [fe]);
        try {
          await sleep(500); // first checks: s1 up
          const t0 = Date.now();
          const first = getA(fe);
          await sleep(150);
          const second = getA(fe); // s1 is full (maxconn 1): queued on s1
          await sleep(150);
          await o.failChecks();
          const down = await px.waitLine(/Server b\/s1 is DOWN/, 3000);
          const [r1, r2] = await Promise.all([first, second]);
          const t2 = Date.now() - t0;
          assert.equal(r1.body, 's1 /a');
          if (redispatch) {
            assert.equal(r2.body, 's2 /a');
            assert.match(noDurations(down.line), /1 active and 0 backup servers left\. 1 sessions active, 1 requeued, 0 remaining in queue\.$/);
          } else {
            assert.equal(r2.body, 's1 /a');
            assert.ok(t2 >= 2000, `served after the first one (${t2} ms)`);
            assert.match(noDurations(down.line), /1 active and 0 backup servers left\. 1 sessions active, 0 requeued, 1 remaining in queue\.$/);
          }
        } finally {
          await px.stop();
          await o.close();
        }
      });
    }
  });
}
