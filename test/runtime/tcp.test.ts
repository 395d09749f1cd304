/**
 * tcp mode end to end: each case runs on tshaproxy and, when installed, on
 * HAProxy 2.6 with the same client, and both must give what HAProxy gives.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { closeAll, exchange, listen, nameServer, startProxy, subjects } from './lib.js';

const DEFAULTS = `defaults
  mode tcp
  timeout connect 2s
  timeout client 3s
  timeout server 3s
`;

for (const who of subjects()) {
  describe(`tcp mode on ${who}`, () => {
    it('two equal servers take connections in turn, and each reply comes back before the close', async () => {
      const px = await startProxy(
        who,
        (p) => `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  server s1 127.0.0.1:${p[1]}\n  server s2 127.0.0.1:${p[2]}\n`,
        3,
        [0],
      );
      const srvs = [await nameServer('s1', px.ports[1]), await nameServer('s2', px.ports[2])];
      try {
        const seen: string[] = [];
        for (let i = 0; i < 4; i++) seen.push((await exchange(px.ports[0], 'x', { shut: true })).data);
        assert.deepEqual(seen, ['s1:x', 's2:x', 's1:x', 's2:x']);
      } finally {
        await px.stop();
        await closeAll(srvs);
      }
    });

    it('a client half-close reaches the server, whose late answer still reaches the client', async () => {
      const px = await startProxy(who, (p) => `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  server s1 127.0.0.1:${p[1]}\n`, 2, [0]);
      // answers only once the client has finished sending
      const srv = await listen(
        net.createServer({ allowHalfOpen: true }, (s) => {
          let got = '';
          s.on('data', (d) => (got += d));
          s.on('end', () => setTimeout(() => s.end(`got ${got}`), 100));
          s.on('error', () => {});
        }),
        px.ports[1],
      );
      try {
        const r = await exchange(px.ports[0], 'hello', { shut: true });
        assert.equal(r.data, 'got hello');
        assert.equal(r.how, 'end');
      } finally {
        await px.stop();
        await closeAll([srv]);
      }
    });

    it('a refused server is retried after min(1 s, timeout connect) each time, then the client is closed without data', async () => {
      const px = await startProxy(
        who,
        (p) => `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  retries 2\n  timeout connect 250\n  server s1 127.0.0.1:${p[1]}\n`,
        2,
        [0],
      );
      try {
        const r = await exchange(px.ports[0], 'x');
        assert.equal(r.data, '');
        assert.ok(r.closedAfter >= 450 && r.closedAfter < 1200, `closed after ${r.closedAfter} ms`);
      } finally {
        await px.stop();
      }
    });

    it('with option redispatch and two round-robin servers, a refused one is left at once for the other', async () => {
      const px = await startProxy(
        who,
        (p) =>
          `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  option redispatch\n  server s1 127.0.0.1:${p[1]}\n  server s2 127.0.0.1:${p[2]}\n`,
        3,
        [0],
      );
      const srv = await nameServer('s2', px.ports[2]);
      try {
        for (let i = 0; i < 2; i++) {
          const r = await exchange(px.ports[0], 'x', { shut: true });
          assert.equal(r.data, 's2:x');
          assert.ok(r.closedAfter < 500, `took ${r.closedAfter} ms`);
        }
      } finally {
        await px.stop();
        await closeAll([srv]);
      }
    });

    it('an idle connection is closed when the shorter of timeout client and timeout server expires', async () => {
      const px = await startProxy(
        who,
        (p) => `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  timeout client 400\n  timeout server 2s\n  server s1 127.0.0.1:${p[1]}\n`,
        2,
        [0],
      );
      const srv = await nameServer('s1', px.ports[1]);
      try {
        const r = await exchange(px.ports[0], null);
        assert.equal(r.how, 'end');
        assert.ok(r.closedAfter >= 350 && r.closedAfter < 1000, `closed after ${r.closedAfter} ms`);
      } finally {
        await px.stop();
        await closeAll([srv]);
      }
    });

    it('a download keeps the connection alive although the client never sends', async () => {
      const px = await startProxy(
        who,
        (p) => `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  timeout client 300\n  timeout server 300\n  server s1 127.0.0.1:${p[1]}\n`,
        2,
        [0],
      );
      const srv = await listen(
        net.createServer((s) => {
          s.on('error', () => {});
          let n = 0;
          const iv = setInterval(() => (++n > 8 ? (clearInterval(iv), s.end()) : s.write('.')), 100);
          s.on('close', () => clearInterval(iv));
        }),
        px.ports[1],
      );
      try {
        const r = await exchange(px.ports[0], null);
        assert.equal(r.data, '........');
      } finally {
        await px.stop();
        await closeAll([srv]);
      }
    });

    it('a server at maxconn 1 queues the second client until the first leaves', async () => {
      const px = await startProxy(
        who,
        (p) => `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  server s1 127.0.0.1:${p[1]} maxconn 1\n`,
        2,
        [0],
      );
      const order: string[] = [];
      const srv = await listen(
        net.createServer({ allowHalfOpen: true }, (s) => {
          s.on('error', () => {});
          s.on('data', (d) => {
            order.push(`start ${d}`);
            setTimeout(() => {
              order.push(`end ${d}`);
              s.end(`done ${d}`);
            }, 300);
          });
        }),
        px.ports[1],
      );
      try {
        const a = exchange(px.ports[0], 'a');
        await new Promise((r) => setTimeout(r, 100));
        const b = exchange(px.ports[0], 'b');
        const [ra, rb] = await Promise.all([a, b]);
        assert.equal(ra.data, 'done a');
        assert.equal(rb.data, 'done b');
        assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b']);
      } finally {
        await px.stop();
        await closeAll([srv]);
      }
    });

    it('a queued client is closed when timeout queue expires', async () => {
      const px = await startProxy(
        who,
        (p) => `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  timeout queue 300\n  server s1 127.0.0.1:${p[1]} maxconn 1\n`,
        2,
        [0],
      );
      const srv = await listen(
        net.createServer((s) => {
          s.on('error', () => {});
          setTimeout(() => s.end('late'), 1500);
        }),
        px.ports[1],
      );
      try {
        const a = exchange(px.ports[0], 'a');
        await new Promise((r) => setTimeout(r, 100));
        const rb = await exchange(px.ports[0], 'b');
        assert.equal(rb.data, '');
        assert.ok(rb.closedAfter >= 250 && rb.closedAfter < 900, `closed after ${rb.closedAfter} ms`);
        assert.equal((await a).data, 'late');
      } finally {
        await px.stop();
        await closeAll([srv]);
      }
    });

    it('a server without a port is reached on the client destination port plus its offset', async () => {
      const px = await startProxy(
        who,
        (p) => `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  server s1 127.0.0.1:+${p[1] - p[0]}\n`,
        2,
        [0],
      );
      const srv = await nameServer('off', px.ports[1]);
      try {
        assert.equal((await exchange(px.ports[0], 'x', { shut: true })).data, 'off:x');
      } finally {
        await px.stop();
        await closeAll([srv]);
      }
    });

    it('send-proxy puts a PROXY v1 line with the client and listener addresses before the data', async () => {
      const px = await startProxy(who, (p) => `${DEFAULTS}listen l\n  bind 127.0.0.1:${p[0]}\n  server s1 127.0.0.1:${p[1]} send-proxy\n`, 2, [0]);
      let got = '';
      const srv = await listen(
        net.createServer({ allowHalfOpen: true }, (s) => {
          s.on('error', () => {});
          s.on('data', (d) => (got += d));
          s.on('end', () => s.end('ok'));
        }),
        px.ports[1],
      );
      try {
        await exchange(px.ports[0], 'x', { shut: true });
        assert.match(got, new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${px.ports[0]}\\r\\nx$`));
      } finally {
        await px.stop();
        await closeAll([srv]);
      }
    });

    it('a frontend at maxconn 1 leaves the second connection unserved until the first ends', async () => {
      const px = await startProxy(
        who,
        (p) => `${DEFAULTS}frontend f\n  bind 127.0.0.1:${p[0]}\n  maxconn 1\n  default_backend b\nbackend b\n  server s1 127.0.0.1:${p[1]}\n`,
        2,
        [0],
      );
      const srv = await listen(
        net.createServer({ allowHalfOpen: true }, (s) => {
          s.on('error', () => {});
          s.on('data', (d) => setTimeout(() => s.end(`r${d}`), 300));
        }),
        px.ports[1],
      );
      try {
        const t0 = Date.now();
        const a = exchange(px.ports[0], 'a');
        await new Promise((r) => setTimeout(r, 50));
        const b = exchange(px.ports[0], 'b');
        const [ra, rb] = await Promise.all([a, b]);
        assert.equal(ra.data, 'ra');
        assert.equal(rb.data, 'rb');
        assert.ok(Date.now() - t0 >= 550, 'the second waited for the first');
      } finally {
        await px.stop();
        await closeAll([srv]);
      }
    });
  });
}

describe('bind failures', () => {
  it('a port already in use is an ALERT naming the bind line, and exit 1', async () => {
    const blocker = net.createServer();
    await listen(blocker, 0);
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      for (const who of subjects()) {
        const { spawnSync } = await import('node:child_process');
        const { mkdtempSync, writeFileSync } = await import('node:fs');
        const { tmpdir } = await import('node:os');
        const { join } = await import('node:path');
        const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-bind-'));
        writeFileSync(join(dir, 'h.cfg'), `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:1\n`);
        const { projectRoot } = await import('../harness/runner.js');
        const cmd = who === 'haproxy' ? ['haproxy', ['-db', '-f', 'h.cfg']] : [process.execPath, [join(projectRoot, 'bin', 'tshaproxy'), '-db', '-f', 'h.cfg']];
        const r = spawnSync(cmd[0] as string, cmd[1] as string[], { cwd: dir, timeout: 8000, encoding: 'utf8' });
        assert.equal(r.status, 1, `${who}: ${r.stderr}`);
        assert.match(
          r.stderr,
          new RegExp(`\\[ALERT\\] +\\(\\d+\\) : Binding \\[h\\.cfg:7\\] for proxy l: cannot bind socket \\(Address already in use\\) for \\[127\\.0\\.0\\.1:${port}\\]`),
          who,
        );
      }
    } finally {
      blocker.close();
    }
  });
});
