/**
 * Health checks end to end: each case runs on tshaproxy and, when installed,
 * on HAProxy 2.6, with loopback backends that die and come back. The
 * expected lines and bytes were observed on HAProxy 2.6.12.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freePorts, sleep } from '../harness/procs.js';
import { Backend, get, noDurations, run, stateLines, stopAll, subjects, type Who } from './lib.js';

const DEFAULTS = `defaults
  mode http
  timeout connect 1s
  timeout client 3s
  timeout server 3s
`;

/** per subject: ms from the kill of s1 to the last request the proxy still sent there, and to its UP */
const failover = new Map<Who, { lastToDead: number; down: number; up: number }>();

for (const who of subjects()) {
  describe(`health checks on ${who}`, () => {
    it('a killed server is marked DOWN after two failed checks (inter 200 fall 2) and gets no more requests, then UP after two good ones', async () => {
      const [fe, p1, p2] = await freePorts(3);
      const s1 = new Backend(p1, 'http', 's1');
      const s2 = new Backend(p2, 'http', 's2');
      await s1.start();
      await s2.start();
      const cfg = `${DEFAULTS}  retries 0
frontend fe
  bind 127.0.0.1:${fe}
  default_backend b
backend b
  server s1 127.0.0.1:${p1} check inter 200 fall 2 rise 2
  server s2 127.0.0.1:${p2} check inter 200 fall 2 rise 2
`;
      const px = await run(who, cfg, [fe]);
      try {
        // let the first checks pass: both servers fully up
        await sleep(700);
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) seen.add((await get(fe)).body);
        assert.deepEqual([...seen].sort(), ['s1', 's2']);

        await s1.stop();
        const killedAt = Date.now();
        // poll while the checks notice: requests still balanced to s1 fail (retries 0 → 503)
        let lastToDead = -1;
        const poll = (async () => {
          const end = Date.now() + 1500;
          while (Date.now() < end) {
            const r = await get(fe);
            if (r.status === 503) lastToDead = Date.now() - killedAt;
            await sleep(15);
          }
        })();
        const down = await px.waitLine(/Server b\/s1 is DOWN/, 3000);
        await poll;
        assert.equal(
          noDurations(down.line),
          '[WARNING]  (PID) : Server b/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
        );
        const downAfter = down.at - killedAt;
        assert.ok(downAfter >= 150 && downAfter <= 900, `DOWN ${downAfter} ms after the kill`);
        // nothing reached the dead server once it was DOWN
        assert.ok(lastToDead <= downAfter + 50, `a request went to the dead server ${lastToDead} ms after the kill, DOWN at ${downAfter}`);
        for (let i = 0; i < 3; i++) assert.equal((await get(fe)).body, 's2');

        await s1.start();
        const restartedAt = Date.now();
        const up = await px.waitLine(/Server b\/s1 is UP/, 3000);
        assert.equal(
          noDurations(up.line),
          '[WARNING]  (PID) : Server b/s1 is UP, reason: Layer4 check passed, check duration: Nms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
        );
        const upAfter = up.at - restartedAt;
        assert.ok(upAfter >= 150 && upAfter <= 1000, `UP ${upAfter} ms after the restart`);
        const back = new Set<string>();
        for (let i = 0; i < 4; i++) back.add((await get(fe)).body);
        assert.deepEqual([...back].sort(), ['s1', 's2']);
        failover.set(who, { lastToDead, down: downAfter, up: upAfter });
      } finally {
        await px.stop();
        await stopAll([s1, s2]);
      }
    });

    it('a server dead at startup goes DOWN at its first failed check, and the emptied backend raises the alert', async () => {
      const [fe, p1] = await freePorts(2);
      const cfg = `${DEFAULTS}frontend fe
  bind 127.0.0.1:${fe}
  default_backend b
backend b
  server s1 127.0.0.1:${p1} check inter 300
`;
      const px = await run(who, cfg, [fe]);
      try {
        await px.waitLine(/has no server available/, 2000);
        assert.deepEqual(stateLines(px).map(noDurations), [
          '[WARNING]  (PID) : Server b/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
          "[ALERT]    (PID) : backend 'b' has no server available!",
        ]);
        assert.equal((await get(fe)).status, 503);
      } finally {
        await px.stop();
      }
    });

    it('HTTP and tcp-check requests carry the bytes HAProxy 2.6 sends', async () => {
      const ports = await freePorts(11);
      const fe = ports[0];
      const cases: { conf: string; want: string | RegExp }[] = [
        { conf: '  option httpchk', want: 'OPTIONS / HTTP/1.0\r\n\r\n' },
        { conf: '  option httpchk GET /health', want: 'GET /health HTTP/1.0\r\n\r\n' },
        { conf: '  option httpchk /only-uri', want: 'OPTIONS /only-uri HTTP/1.0\r\n\r\n' },
        {
          conf: '  option httpchk GET /x HTTP/1.1\\r\\nHost:\\ www.example.com',
          want: 'GET /x HTTP/1.1\r\nhost: www.example.com\r\nconnection: close\r\n\r\n',
        },
        {
          conf: '  option httpchk\n  http-check send meth HEAD uri /h ver HTTP/1.1 hdr Host foo.example hdr X-A b',
          want: 'HEAD /h HTTP/1.1\r\nhost: foo.example\r\nx-a: b\r\nconnection: close\r\n\r\n',
        },
        {
          conf: '  option httpchk POST /p HTTP/1.0\n  http-check send body hello hdr content-type text/plain',
          want: 'POST /p HTTP/1.0\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello',
        },
        { conf: '  option httpchk GET /a HTTP/1.1\n  http-check send uri /b hdr connection keep-alive', want: 'GET /b HTTP/1.1\r\n\r\n' },
        {
          conf: '  option httpchk\n  http-check send meth GET uri /c ver HTTP/1.1 hdr Host h body xyz',
          want: 'GET /c HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\nconnection: close\r\n\r\nxyz',
        },
        { conf: '  option tcp-check\n  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG', want: 'PING\r\n' },
        { conf: '  option tcp-check\n  tcp-check send-binary 50494e470d0a\n  tcp-check expect binary 2b504f4e47', want: 'PING\r\n' },
      ];
      const backends = cases.map((_, i) => new Backend(ports[i + 1], { raw: '+PONG\r\n' }));
      for (const b of backends) await b.start();
      let cfg = `${DEFAULTS}frontend fe\n  bind 127.0.0.1:${fe}\n  default_backend b0\n`;
      cases.forEach((c, i) => (cfg += `backend b${i}\n${c.conf}\n  server s 127.0.0.1:${ports[i + 1]} check inter 300\n`));
      const px = await run(who, cfg, [fe]);
      try {
        const deadline = Date.now() + 2000;
        while (backends.some((b) => !b.received.length) && Date.now() < deadline) await sleep(20);
        cases.forEach((c, i) => {
          const got = backends[i].received[0]?.data;
          if (typeof c.want === 'string') assert.equal(got, c.want, `backend b${i}: ${c.conf.trim()}`);
          else assert.match(got ?? '', c.want);
        });
      } finally {
        await px.stop();
        await stopAll(backends);
      }
    });

    it('check-send-proxy opens each check with a PROXY line from the check connection to the server', async () => {
      const [fe, p1] = await freePorts(2);
      const b = new Backend(p1, 'hold');
      await b.start();
      const cfg = `${DEFAULTS}frontend fe\n  bind 127.0.0.1:${fe}\n  default_backend b\nbackend b\n  server s 127.0.0.1:${p1} check inter 300 check-send-proxy\n`;
      const px = await run(who, cfg, [fe]);
      try {
        const deadline = Date.now() + 2000;
        while (!b.received.length && Date.now() < deadline) await sleep(20);
        assert.match(b.received[0]?.data ?? '', new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${p1}\\r\\n$`));
        // the check passed: no state line
        assert.deepEqual(stateLines(px), []);
      } finally {
        await px.stop();
        await stopAll([b]);
      }
    });

    it('failed checks give HAProxy reasons: wrong status, invalid response, timeouts, tcp-check mismatches', async () => {
      const ports = await freePorts(12);
      const fe = ports[0];
      const cases: { conf: string; srv: ConstructorParameters<typeof Backend>[1] | null; line: string }[] = [
        { conf: '  option httpchk', srv: { status: 503, reason: 'Service Unavailable' }, line: 'reason: Layer7 wrong status, code: 503, info: "Service Unavailable"' },
        { conf: '  option httpchk', srv: { raw: 'garbage\r\n\r\n' }, line: 'reason: Layer7 invalid response' },
        { conf: '  option httpchk', srv: 'close', line: 'reason: Layer7 invalid response' },
        { conf: '  option httpchk', srv: 'hold', line: 'reason: Layer7 timeout' },
        { conf: '  option httpchk GET /\n  http-check expect status 200', srv: { status: 301 }, line: 'reason: Layer7 wrong status, code: 301, info: "X"' },
        { conf: '  option httpchk GET /\n  http-check expect string ZZZ', srv: { status: 200, body: 'abc' }, line: 'reason: Layer7 invalid response, info: "HTTP content check did not match"' },
        {
          conf: '  option tcp-check\n  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG',
          srv: { raw: '-ERR\r\n' },
          line: `reason: Layer7 invalid response, info: "TCPCHK did not match content '+PONG' at step 2"`,
        },
        {
          conf: '  option tcp-check\n  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG',
          srv: 'close',
          line: 'reason: Layer7 invalid response, info: "TCPCHK got an empty response at step 2"',
        },
        {
          conf: '  option tcp-check\n  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG',
          srv: 'hold',
          line: `reason: Layer7 timeout, info: " at step 2 of tcp-check (expect string '+PONG')"`,
        },
        { conf: '  option tcp-check', srv: null, line: 'reason: Layer4 connection problem, info: "Connection refused at initial connection step of tcp-check"' },
        { conf: '  option httpchk\n  timeout check 150\n  timeout connect 100', srv: 'hold', line: 'reason: Layer7 timeout' },
      ];
      const backends: Backend[] = [];
      cases.forEach((c, i) => {
        if (c.srv) backends.push(new Backend(ports[i + 1], c.srv));
      });
      for (const b of backends) await b.start();
      let cfg = `${DEFAULTS}frontend fe\n  bind 127.0.0.1:${fe}\n  default_backend b0\n`;
      cases.forEach((c, i) => {
        const inter = i === cases.length - 1 ? 1000 : 300;
        cfg += `backend b${i}\n${c.conf}\n  server s 127.0.0.1:${ports[i + 1]} check inter ${inter} fall 1 rise 1\n`;
      });
      const px = await run(who, cfg, [fe]);
      try {
        const deadline = Date.now() + 3000;
        while (stateLines(px).filter((l) => l.includes('is DOWN')).length < cases.length && Date.now() < deadline) await sleep(20);
        const downs = stateLines(px).filter((l) => l.includes('is DOWN'));
        cases.forEach((c, i) => {
          const l = downs.find((x) => x.includes(`Server b${i}/s is DOWN`));
          assert.ok(l, `no DOWN line for b${i}`);
          const m = /is DOWN, (.*), check duration: (\d+)ms\. 0 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$/.exec(l);
          assert.ok(m, l);
          assert.equal(m[1], c.line, `b${i}`);
          if (c.line.includes('timeout')) {
            // the timeout is `inter` (300), or `timeout check` once connected (150)
            const want = i === cases.length - 1 ? 150 : 300;
            assert.ok(+m[2] >= want - 5 && +m[2] <= want + 150, `b${i} timed out after ${m[2]} ms, expected about ${want}`);
          }
        });
      } finally {
        await px.stop();
        await stopAll(backends);
      }
    });

    it('servers coming up report the check that passed: Layer7 with the status code, tcp-check with "(tcp-check)"', async () => {
      const [fe, p1, p2] = await freePorts(3);
      const cfg = `${DEFAULTS}frontend fe
  bind 127.0.0.1:${fe}
  default_backend b1
backend b1
  option httpchk GET /
  server s 127.0.0.1:${p1} check inter 200 fall 1 rise 1
backend b2
  option tcp-check
  tcp-check send PING\\r\\n
  tcp-check expect string +PONG
  server s 127.0.0.1:${p2} check inter 200 fall 1 rise 1
`;
      const px = await run(who, cfg, [fe]);
      const b1 = new Backend(p1, { status: 200, reason: 'OK' });
      const b2 = new Backend(p2, { raw: '+PONG\r\n' });
      try {
        await px.waitLine(/Server b2\/s is DOWN/, 2000);
        await b1.start();
        await b2.start();
        await px.waitLine(/Server b2\/s is UP/, 2000);
        await px.waitLine(/Server b1\/s is UP/, 2000);
        const ups = stateLines(px).filter((l) => l.includes(' is UP')).map(noDurations).sort();
        assert.deepEqual(ups, [
          '[WARNING]  (PID) : Server b1/s is UP, reason: Layer7 check passed, code: 200, check duration: Nms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
          '[WARNING]  (PID) : Server b2/s is UP, reason: Layer7 check passed, code: 0, info: "(tcp-check)", check duration: Nms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
        ]);
      } finally {
        await px.stop();
        await stopAll([b1, b2]);
      }
    });

    it('backup servers are named as such, and a backend left with backups only says it runs on backup', async () => {
      const [fe, p1, p2] = await freePorts(3);
      const cfg = `${DEFAULTS}frontend fe
  bind 127.0.0.1:${fe}
  default_backend b
backend b
  server s1 127.0.0.1:${p1} check inter 200
  server s2 127.0.0.1:${p2} check inter 400 backup
`;
      const px = await run(who, cfg, [fe]);
      try {
        await px.waitLine(/has no server available/, 2000);
        assert.deepEqual(stateLines(px).map(noDurations), [
          '[WARNING]  (PID) : Server b/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.',
          '[WARNING]  (PID) : Backup Server b/s2 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
          "[ALERT]    (PID) : backend 'b' has no server available!",
        ]);
      } finally {
        await px.stop();
      }
    });
  });
}

describe('health checks compared', () => {
  after(() => failover.clear());
  it('tshaproxy stops sending to a killed server within 300 ms of when HAProxy does', (t) => {
    const a = failover.get('tshaproxy');
    const b = failover.get('haproxy');
    if (!a || !b) return t.skip('needs both runs (haproxy installed)');
    assert.ok(Math.abs(a.down - b.down) <= 300, `DOWN after ${a.down} ms on tshaproxy, ${b.down} ms on HAProxy`);
    assert.ok(Math.abs(a.up - b.up) <= 300, `UP after ${a.up} ms on tshaproxy, ${b.up} ms on HAProxy`);
  });
});
