/**
 * `tshaproxy route` against a live run: each seed configuration
 * (test/fixtures/seeds/*-repaired.cfg, every bind and server moved to a
 * free loopback port of its own) is served by tshaproxy with recording
 * backends; the same requests go through the live proxy and through
 * `tshaproxy route --json`, and both must name the same backend (and the
 * same server when route says it is forced or the backend has only one).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../harness/runner.js';
import { freePorts, sleep, startProxy, withTimeout, type Proc } from './lib.js';

interface Req {
  frontend: string;
  line?: string;
  headers?: string[];
  sni?: string;
}

interface Seed {
  file: string;
  requests: Req[];
}

const SEEDS: Seed[] = [
  {
    file: '000-comet-repaired.cfg',
    requests: [
      { frontend: 'http_proxy', line: 'GET / HTTP/1.1', headers: ['Host: www.example.com'] },
      { frontend: 'http_proxy', line: 'GET /subscriptions/channel/5 HTTP/1.1', headers: ['Host: notes.olivepeak.com'] },
      { frontend: 'http_proxy', line: 'GET /subscriptions/channel/5 HTTP/1.1', headers: ['Host: other.example'] },
      { frontend: 'http_proxy', line: 'GET /subscriptions/channel/5 HTTP/1.1', headers: ['Host: NOTES.olivepeak.com:80'] },
    ],
  },
  {
    file: '001-websocket-repaired.cfg',
    requests: [
      { frontend: 'http-in', line: 'GET /socket HTTP/1.1', headers: ['Host: io.test.tld'] },
      { frontend: 'http-in', line: 'GET / HTTP/1.1', headers: ['Host: www.test.tld'] },
      { frontend: 'http-in', line: 'GET / HTTP/1.1', headers: ['Host: A.IO.TEST.TLD'] },
    ],
  },
  {
    file: '002-wt-repaired.cfg',
    requests: [
      { frontend: 'wt', line: 'GET /app?wtd=wt1 HTTP/1.1', headers: ['Host: x'] },
      { frontend: 'wt', line: 'GET /app?wtd=wt2&a=b HTTP/1.1', headers: ['Host: x'] },
      { frontend: 'wt', line: 'GET /app HTTP/1.1', headers: ['Host: x'] },
    ],
  },
  {
    file: '004-pumpio-repaired.cfg',
    requests: [
      { frontend: 'http-in', line: 'GET / HTTP/1.1', headers: ['Host: pump.example'] },
      { frontend: 'https-in', line: 'GET / HTTP/1.0' },
      { frontend: 'https-in', sni: 'pump2.thisshitistemp.com' },
      { frontend: 'https-in', sni: 'other.example.org' },
    ],
  },
];

interface Prepared {
  seed: Seed;
  cfg: string;
  /** frontend name -> port */
  fronts: Map<string, number>;
  /** port -> backend/server */
  servers: Map<number, { backend: string; server: string }>;
  /** backend -> number of servers */
  sizes: Map<string, number>;
}

/** Moves every bind and server of a seed to free ports; server addresses become unique. */
async function prepare(seed: Seed): Promise<Prepared> {
  const text = readFileSync(join(projectRoot, 'test', 'fixtures', 'seeds', seed.file), 'utf8');
  const lines = text.split('\n');
  const need = lines.filter((l) => /^\s*(bind|server)\s/.test(l)).length;
  const ports = await freePorts(need);
  const fronts = new Map<string, number>();
  const servers = new Map<number, { backend: string; server: string }>();
  const sizes = new Map<string, number>();
  let section = '';
  let k = 0;
  const out = lines.map((l) => {
    const sec = /^(frontend|backend|listen)\s+(\S+)/.exec(l);
    if (sec) section = sec[2];
    const b = /^(\s*bind\s+)\S+(.*)$/.exec(l);
    if (b) {
      const p = ports[k++];
      fronts.set(section, p);
      return `${b[1]}127.0.0.1:${p}${b[2]}`;
    }
    const s = /^(\s*server\s+(\S+)\s+)\S+(.*)$/.exec(l);
    if (s) {
      const p = ports[k++];
      servers.set(p, { backend: section, server: s[2] });
      sizes.set(section, (sizes.get(section) ?? 0) + 1);
      // (tcp health checks connect without sending: the recorders only count data)
      return `${s[1]}127.0.0.1:${p}${s[3]}`;
    }
    return l.replace(/^(\s*pidfile\s+).*/, '$1/dev/null');
  });
  return { seed, cfg: out.join('\n'), fronts, servers, sizes };
}

/** Recording servers: HTTP ones answer 200 and close, the others just read. */
class Recorder {
  hits: { port: number; at: number }[] = [];
  private srvs: net.Server[] = [];
  private socks = new Set<net.Socket>();
  async listen(ports: number[]): Promise<void> {
    for (const port of ports) {
      const srv = net.createServer((s) => {
        this.socks.add(s);
        s.on('close', () => this.socks.delete(s));
        s.on('error', () => {});
        s.once('data', (d) => {
          this.hits.push({ port, at: Date.now() });
          if (d.toString('latin1').includes('HTTP/1.')) s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        });
      });
      await new Promise<void>((res, rej) => {
        srv.once('error', rej);
        srv.listen(port, '127.0.0.1', () => res());
      });
      this.srvs.push(srv);
    }
  }
  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    await Promise.all(this.srvs.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** Sends the request to the live proxy and returns the port of the server that got it. */
async function live(p: Prepared, rec: Recorder, r: Req): Promise<number | undefined> {
  const port = p.fronts.get(r.frontend)!;
  const before = rec.hits.length;
  if (r.sni !== undefined) {
    const c = tls.connect({ host: '127.0.0.1', port, servername: r.sni, rejectUnauthorized: false });
    c.on('error', () => {});
    try {
      const end = Date.now() + 3000;
      while (rec.hits.length === before && Date.now() < end) await sleep(10);
    } finally {
      c.destroy();
    }
  } else {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    await withTimeout(new Promise((res) => c.once('connect', res)), 3000, 'connect');
    c.write(`${r.line}\r\n${(r.headers ?? []).map((h) => h + '\r\n').join('')}\r\n`);
    const end = Date.now() + 3000;
    while (rec.hits.length === before && Date.now() < end) await sleep(10);
    c.destroy();
  }
  return rec.hits[before]?.port;
}

interface RouteOut {
  backend?: string;
  server?: { name: string };
  serverChoice?: string;
  outcome: { kind: string };
}

function routeCli(cfgFile: string, r: Req): Promise<RouteOut> {
  const args = [join(projectRoot, 'bin', 'tshaproxy'), 'route', '-f', cfgFile, '--frontend', r.frontend, '--json'];
  if (r.sni !== undefined) args.push('--sni', r.sni);
  if (r.line) args.push(r.line);
  for (const h of r.headers ?? []) args.push('-H', h);
  return withTimeout(
    new Promise((resolve, reject) => {
      execFile(process.execPath, args, { timeout: 10000 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`route failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout));
      });
    }),
    12000,
    'route',
  );
}

const prepared: { p: Prepared; file: string; proc: Proc; rec: Recorder }[] = [];

before(async () => {
  for (const seed of SEEDS) {
    const p = await prepare(seed);
    const dir = mkdtempSync(join(tmpdir(), 'tshap-route-'));
    const file = join(dir, seed.file);
    writeFileSync(file, p.cfg);
    const rec = new Recorder();
    await rec.listen([...p.servers.keys()]);
    const proc = await startProxy('tshaproxy', p.cfg, [...p.fronts.values()]);
    prepared.push({ p, file, proc, rec });
  }
});

after(async () => {
  for (const x of prepared) {
    await x.proc.stop();
    await x.rec.close();
  }
});

test('tshaproxy route names the backend a live tshaproxy uses, for every seed configuration', { timeout: 60000 }, async () => {
  const rows: string[] = [];
  const failures: string[] = [];
  for (const { p, file, rec } of prepared) {
    for (const r of p.seed.requests) {
      const [port, out] = await Promise.all([live(p, rec, r), routeCli(file, r)]);
      const got = port !== undefined ? p.servers.get(port) : undefined;
      const what = `${p.seed.file} ${r.frontend} ${r.sni !== undefined ? `SNI ${r.sni}` : `${r.line} ${(r.headers ?? []).join(', ')}`}`;
      rows.push(`${what.padEnd(90)} live ${got ? `${got.backend}/${got.server}` : 'none'}  route ${out.backend ?? 'none'}/${out.server?.name ?? '?'}`);
      if (got?.backend !== out.backend) failures.push(`${what}: live ${got?.backend}, route ${out.backend}`);
      const single = out.backend !== undefined && p.sizes.get(out.backend) === 1;
      if (got && out.server && (single || out.serverChoice?.startsWith('forced')) && got.server !== out.server.name)
        failures.push(`${what}: live server ${got.server}, route ${out.server.name}`);
    }
  }
  console.log(rows.join('\n'));
  assert.deepEqual(failures, []);
});
