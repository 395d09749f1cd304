/**
 * Shared pieces of the rules tests: configs run on tshaproxy and, when it
 * is installed, on HAProxy 2.6, a raw HTTP client, recording backends, and
 * a real TLS ClientHello.
 */
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, startChild, waitListening, which, withTimeout, type Child } from '../harness/procs.js';
import { projectRoot } from '../harness/runner.js';

export const HAPROXY = which('haproxy');
export type Subject = 'tshaproxy' | 'haproxy';

export function subjects(): Subject[] {
  return HAPROXY ? ['tshaproxy', 'haproxy'] : ['tshaproxy'];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Proc {
  child: Child;
  dir: string;
  stop(): Promise<void>;
}

/** Starts `name` on config text `cfg` (files in `files` written beside it), waits for `ports`. */
export async function startProxy(name: Subject, cfg: string, ports: number[], opts: { files?: Record<string, string>; env?: Record<string, string>; cfgFile?: string } = {}): Promise<Proc> {
  const dir = mkdtempSync(join(tmpdir(), 'tshap-rules-'));
  for (const [f, t] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, f), t);
  const file = opts.cfgFile ?? join(dir, 'haproxy.cfg');
  if (!opts.cfgFile) writeFileSync(file, cfg);
  const cmd = name === 'haproxy' ? HAPROXY! : process.execPath;
  const args = name === 'haproxy' ? ['-db', '-f', file] : [join(projectRoot, 'bin', 'tshaproxy'), '-db', '-f', file];
  const child = startChild(cmd, args, { cwd: dir, maxLifetimeS: 120, env: { ...process.env, ...(opts.env ?? {}) } });
  try {
    await waitListening(ports, 8000, child);
  } catch (e) {
    await child.stop();
    throw new Error(`${name}: ${(e as Error).message}\n${child.output()}`);
  }
  return { child, dir, stop: () => child.stop() };
}

export { freePorts, withTimeout };

/** Sends raw bytes, collects what comes back until the peer closes or `idleMs` of silence after data. */
export function rawExchange(port: number, send: string | Buffer | (string | Buffer)[], opts: { idleMs?: number; maxMs?: number; gapMs?: number } = {}): Promise<{ data: string; closed: boolean; reset: boolean; ms: number; first: number }> {
  const max = opts.maxMs ?? 4000;
  return withTimeout(
    new Promise((resolve) => {
      const t0 = Date.now();
      const c = net.connect(port, '127.0.0.1');
      let data = '';
      let closed = false;
      let reset = false;
      let first = -1;
      let idle: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(idle);
        clearTimeout(hard);
        c.destroy();
        resolve({ data, closed, reset, ms: Date.now() - t0, first });
      };
      const hard = setTimeout(done, max);
      c.on('data', (d) => {
        if (first < 0) first = Date.now() - t0;
        data += d.toString('latin1');
        clearTimeout(idle);
        idle = setTimeout(done, opts.idleMs ?? 250);
      });
      c.on('end', () => {
        closed = true;
        setTimeout(done, 20);
      });
      c.on('error', () => {
        reset = true;
        closed = true;
        done();
      });
      c.on('connect', async () => {
        const parts = Array.isArray(send) ? send : [send];
        for (let i = 0; i < parts.length; i++) {
          if (i) await sleep(opts.gapMs ?? 100);
          if (c.destroyed) return;
          c.write(typeof parts[i] === 'string' ? Buffer.from(parts[i] as string, 'latin1') : (parts[i] as Buffer));
        }
      });
    }),
    max + 2000,
    'raw exchange',
  );
}

export interface Received {
  backend: string;
  at: number;
  data: string;
  conn: number;
}

/**
 * HTTP backends that answer each request with `X-Backend: <name>` and echo
 * the request head in the body; every request head received is recorded.
 */
export class Backends {
  readonly got: Received[] = [];
  readonly conns: { backend: string; at: number }[] = [];
  private servers: net.Server[] = [];
  private socks = new Set<net.Socket>();
  private nconn = 0;

  async http(name: string, port: number): Promise<void> {
    const srv = net.createServer((s) => {
      this.track(s, name);
      const conn = ++this.nconn;
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        let e: number;
        while ((e = buf.indexOf('\r\n\r\n')) >= 0) {
          const head = buf.slice(0, e + 4);
          buf = buf.slice(e + 4);
          this.got.push({ backend: name, at: Date.now(), data: head, conn });
          s.write(`HTTP/1.1 200 OK\r\nx-backend: ${name}\r\ncontent-length: ${head.length}\r\n\r\n${head}`);
        }
      });
    });
    await this.listen(srv, port);
  }

  /** a tcp backend recording the bytes and the connection time */
  async tcp(name: string, port: number): Promise<void> {
    const srv = net.createServer((s) => {
      this.track(s, name);
      const conn = ++this.nconn;
      this.conns.push({ backend: name, at: Date.now() });
      s.on('data', (d) => this.got.push({ backend: name, at: Date.now(), data: d.toString('latin1'), conn }));
    });
    await this.listen(srv, port);
  }

  private track(s: net.Socket, _name: string): void {
    this.socks.add(s);
    s.on('close', () => this.socks.delete(s));
    s.on('error', () => {});
  }

  private listen(srv: net.Server, port: number): Promise<void> {
    this.servers.push(srv);
    return new Promise((res, rej) => {
      srv.once('error', rej);
      srv.listen(port, '127.0.0.1', () => res());
    });
  }

  clear(): void {
    this.got.length = 0;
    this.conns.length = 0;
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** The ClientHello Node's TLS client sends for `servername`. */
export async function clientHello(servername: string): Promise<Buffer> {
  return withTimeout(
    new Promise((resolve) => {
      const srv = net.createServer((s) => {
        const chunks: Buffer[] = [];
        s.on('data', (d) => {
          chunks.push(d);
          const b = Buffer.concat(chunks);
          if (b.length >= 5 && b.length >= 5 + b.readUInt16BE(3)) {
            s.destroy();
            srv.close();
            resolve(b);
          }
        });
        s.on('error', () => {});
      });
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        const c = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
        c.on('error', () => {});
      });
    }),
    5000,
    'client hello',
  );
}

/** Parses a raw HTTP/1 response stream into responses (content-length bodies only). */
export function splitResponses(raw: string): { head: string; status: number; headers: [string, string][]; body: string }[] {
  const out: { head: string; status: number; headers: [string, string][]; body: string }[] = [];
  let rest = raw;
  while (rest.length) {
    const e = rest.indexOf('\r\n\r\n');
    if (e < 0) break;
    const head = rest.slice(0, e + 4);
    const lines = head.split('\r\n').filter(Boolean);
    const status = Number(lines[0].split(' ')[1]);
    const headers = lines.slice(1).map((l) => {
      const c = l.indexOf(':');
      return [l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()] as [string, string];
    });
    const cl = Number(headers.find((h) => h[0] === 'content-length')?.[1] ?? 0);
    out.push({ head, status, headers, body: rest.slice(e + 4, e + 4 + cl) });
    rest = rest.slice(e + 4 + cl);
  }
  return out;
}
