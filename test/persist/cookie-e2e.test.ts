/**
 * Cookie persistence end to end: the same raw requests through tshaproxy and
 * (when installed) HAProxy 2.6, to backends that echo the request head they
 * received and set the cookies the request asks for. Both proxies must give
 * the same bytes. Also seed article 004 (pump.io): `cookie JSESSIONID prefix`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePorts } from '../harness/procs.js';
import { projectRoot } from '../harness/runner.js';
import { httpRaw, run, subjects, type Who } from '../checks/lib.js';

/** Answers each request with `name` and the head it got; `?sc=` adds Set-Cookie headers, `?h=` raw header lines. */
function echoServer(name: string, port: number): Promise<net.Server> {
  const srv = net.createServer((c) => {
    c.on('error', () => {});
    let b = '';
    c.on('data', (d) => {
      b += d.toString('latin1');
      const i = b.indexOf('\r\n\r\n');
      if (i < 0) return;
      const head = b.slice(0, i);
      b = '';
      const url = head.split(' ')[1] ?? '/';
      const q = new URL(`http://x${url}`).searchParams;
      let extra = '';
      for (const v of q.getAll('sc')) extra += `Set-Cookie: ${v}\r\n`;
      for (const v of q.getAll('h')) extra += `${v}\r\n`;
      const body = `${name}\n${head}\n`;
      c.write(`HTTP/1.1 200 OK\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`);
    });
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

function closeServers(list: net.Server[]): Promise<void> {
  return Promise.all(list.map((s) => new Promise<void>((r) => ((s as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.(), s.close(() => r()), setTimeout(r, 500))))).then(
    () => undefined,
  );
}

const enc = encodeURIComponent;
const req = (path: string, cookie?: string, method = 'GET') =>
  `${method} ${path} HTTP/1.1\r\nhost: x\r\n${cookie !== undefined ? `cookie: ${cookie}\r\n` : ''}${method === 'POST' ? 'content-length: 0\r\n' : ''}connection: close\r\n\r\n`;

interface Case {
  name: string;
  backend: string;
  /** servers not started (their checks take them DOWN first) */
  down?: string[];
  requests: string[];
  /** what tshaproxy must show whatever HAProxy does: [request index, substring] */
  expect: [number, string][];
}

const CASES: Case[] = [
  {
    name: 'prefix',
    backend: '  cookie JSESSIONID prefix\n  server A 127.0.0.1:{A} cookie A\n  server B 127.0.0.1:{B} cookie B',
    requests: [
      req(`/?sc=${enc('JSESSIONID=xyz; Path=/')}`),
      req('/', 'JSESSIONID=B~xyz'),
      req('/', 'a=1; JSESSIONID=B~xyz; c=2'),
      req('/', 'a=1;JSESSIONID=Z~xyz;c=2'),
      req(`/?sc=${enc('JSESSIONID=xyz')}&sc=other%3D1`, 'JSESSIONID=B~xyz'),
    ],
    expect: [
      [0, 'set-cookie: JSESSIONID=A~xyz; Path=/\r\n'],
      [1, '\r\n\r\nB\nGET / HTTP/1.1\r\nhost: x\r\ncookie: JSESSIONID=xyz\n'],
      [2, 'cookie: a=1; JSESSIONID=xyz; c=2\n'],
      [3, 'cookie: a=1;JSESSIONID=xyz;c=2\n'],
      [4, 'set-cookie: JSESSIONID=B~xyz\r\nset-cookie: other=1\r\n'],
    ],
  },
  {
    name: 'insert indirect nocache',
    backend: '  cookie SRV insert indirect nocache httponly domain .a.com\n  server A 127.0.0.1:{A} cookie A\n  server B 127.0.0.1:{B} cookie B',
    requests: [
      req('/'),
      req('/', 'SRV=B'),
      req('/', 'a=1 ;SRV=Z ; c = 2'),
      req(`/?h=${enc('Cache-Control: max-age=60')}`),
      req(`/?sc=${enc('SRV=zz')}`, 'SRV=A'),
      req('/', undefined, 'POST'),
    ],
    expect: [
      [0, 'set-cookie: SRV=A; path=/; domain=.a.com; HttpOnly\r\nconnection: close\r\n\r\n'],
      [1, 'B\nGET / HTTP/1.1\r\nhost: x\n'],
      [2, 'cookie: a=1; c=2\n'],
      [3, 'set-cookie: SRV=A; path=/; domain=.a.com; HttpOnly\r\ncache-control: private\r\n'],
    ],
  },
  {
    name: 'insert indirect with option persist, server B down',
    backend:
      '  cookie SRV insert indirect\n  option redispatch\n  option persist\n  retries 1\n  server A 127.0.0.1:{A} cookie A check inter 100\n  server B 127.0.0.1:{B} cookie B check inter 100',
    down: ['B'],
    requests: [req('/', 'SRV=B'), req('/', 'SRV=A')],
    // B is tried (persist), refused, and the last retry goes to A, which sets its cookie
    expect: [[0, 'set-cookie: SRV=A; path=/\r\n']],
  },
  {
    name: 'prefix with server B down and no option persist',
    backend: '  cookie JSESSIONID prefix\n  server A 127.0.0.1:{A} cookie A check inter 100\n  server B 127.0.0.1:{B} cookie B check inter 100',
    down: ['B'],
    requests: [req('/', 'JSESSIONID=B~q'), req(`/?sc=${enc('JSESSIONID=n')}`, 'JSESSIONID=B~q')],
    expect: [
      [0, 'A\nGET / HTTP/1.1\r\nhost: x\r\ncookie: JSESSIONID=q\n'],
      [1, 'set-cookie: JSESSIONID=A~n\r\n'],
    ],
  },
];

const results = new Map<string, Map<Who, string[]>>();

for (const who of subjects()) {
  describe(`cookie persistence on ${who}`, () => {
    for (const c of CASES) {
      it(`${c.name}: requests reach the servers and come back as HAProxy sends them`, async () => {
        const [fe, pa, pb] = await freePorts(3);
        const servers: net.Server[] = [];
        if (!c.down?.includes('A')) servers.push(await echoServer('A', pa));
        if (!c.down?.includes('B')) servers.push(await echoServer('B', pb));
        const cfg = `defaults
  mode http
  timeout connect 1s
  timeout client 3s
  timeout server 3s
frontend fe
  bind 127.0.0.1:${fe}
  default_backend b
backend b
${c.backend.replace('{A}', String(pa)).replace('{B}', String(pb))}
`;
        const px = await run(who, cfg, [fe]);
        try {
          if (c.down?.length) await px.waitLine(/Server b\/B is DOWN/, 2000);
          const got: string[] = [];
          for (const r of c.requests) got.push((await httpRaw(fe, r, 4000)).raw);
          for (const [i, s] of c.expect) assert.ok(got[i].includes(s), `response ${i} lacks ${JSON.stringify(s)}:\n${got[i]}`);
          let m = results.get(c.name);
          if (!m) results.set(c.name, (m = new Map()));
          m.set(who, got);
        } finally {
          await px.stop();
          await closeServers(servers);
        }
      });
    }
  });
}

describe('cookie persistence compared with HAProxy', () => {
  for (const c of CASES) {
    it(`${c.name}: tshaproxy gives the bytes HAProxy gives`, (t) => {
      const m = results.get(c.name);
      const a = m?.get('tshaproxy');
      const b = m?.get('haproxy');
      if (!a || !b) return t.skip('needs both runs (haproxy installed)');
      assert.deepEqual(a, b);
    });
  }
});

const seed004 = readFileSync(join(projectRoot, 'test', 'fixtures', 'seeds', '004-pumpio-repaired.cfg'), 'utf8');

for (const who of subjects()) {
  describe(`seed 004 (pump.io) on ${who}`, () => {
    it("cookie JSESSIONID prefix: the application's session cookie gets the A~ prefix, and loses it on the way back to server1", async () => {
      const [http, https, app, ssl, pump] = await freePorts(5);
      const servers = [await echoServer('server1', app)];
      // the fixture's pidfile goes to the run's directory
      const px = await run(who, seed004.replace(/pidfile\s+\S+/, 'pidfile haproxy.pid'), [http, https], {
        HTTP_PORT: String(http),
        HTTPS_PORT: String(https),
        APP_PORT: String(app),
        SSL_PORT: String(ssl),
        PUMP_PORT: String(pump),
      });
      try {
        const login = await httpRaw(http, req(`/login?sc=${enc('JSESSIONID=abc123; Path=/')}`));
        assert.equal(login.status, 200);
        assert.ok(login.raw.includes('\r\nset-cookie: JSESSIONID=A~abc123; Path=/\r\n'), login.raw);
        const next = await httpRaw(http, req('/', 'JSESSIONID=A~abc123'));
        assert.ok(next.body.startsWith('server1\n'), next.raw);
        assert.ok(next.body.includes('\r\ncookie: JSESSIONID=abc123'), next.body);
        // option httpclose: the server is told to close
        assert.ok(next.body.includes('\r\nconnection: close'), next.body);
        const other = await httpRaw(http, req('/', 'JSESSIONID=Z~abc123; other=1'));
        assert.ok(other.body.includes('\r\ncookie: JSESSIONID=abc123; other=1'), other.body);
      } finally {
        await px.stop();
        await closeServers(servers);
      }
    });
  });
}
