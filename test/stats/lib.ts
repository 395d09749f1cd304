/**
 * What the stats tests share: a proxy (tshaproxy or HAProxy 2.6) started
 * with a stats socket in a temp dir, a loopback origin, a CLI client and a
 * raw HTTP client. Every wait is bounded.
 */
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, sleep, startChild, waitListening, which, withTimeout, type Child } from '../harness/procs.js';
import { projectRoot } from '../harness/runner.js';

export const HAPROXY = which('haproxy');
export type Who = 'tshaproxy' | 'haproxy';

export function subjects(): Who[] {
  return HAPROXY ? ['tshaproxy', 'haproxy'] : ['tshaproxy'];
}

export interface Proxy {
  who: Who;
  sock: string;
  ports: number[];
  child: Child;
  stop(): Promise<void>;
}

/**
 * Starts `who` on `cfg(sock, ports)`; waits for the ports listed in
 * `listen` and for the socket file.
 */
export async function startProxy(who: Who, cfg: (sock: string, p: number[]) => string, ports: number[], listen: number[]): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-stats-'));
  const sock = join(dir, 'admin.sock');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg(sock, ports));
  const cmd = who === 'haproxy' ? HAPROXY! : process.execPath;
  const args = who === 'haproxy' ? ['-db', '-f', file] : [join(projectRoot, 'bin', 'tshaproxy'), '-db', '-f', file];
  const child = startChild(cmd, args, { cwd: dir, maxLifetimeS: 90 });
  await waitListening(listen, 8000, child);
  const end = Date.now() + 5000;
  while (!existsSync(sock) && Date.now() < end) await sleep(20);
  return { who, sock, ports, child, stop: () => child.stop() };
}

/** Sends `text` on a new CLI connection and collects until the proxy closes it (or `maxMs`). */
export function cli(sock: string | number, text: string, maxMs = 3000): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve) => {
      const c = typeof sock === 'number' ? net.connect({ port: sock, host: '127.0.0.1' }) : net.connect(sock);
      let out = '';
      const timer = setTimeout(() => {
        out += '<TIMEOUT>';
        c.destroy();
      }, maxMs);
      c.on('connect', () => c.write(text));
      c.on('data', (d) => (out += d.toString('latin1')));
      c.on('error', () => {});
      c.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    }),
    maxMs + 2000,
    'cli',
  );
}

/** An interactive CLI session: each step sends, then waits `pause` ms and records what came back. */
export async function cliSession(sock: string, steps: string[], pause = 150): Promise<string[]> {
  const c = net.connect(sock);
  let buf = '';
  let closed = false;
  c.on('data', (d) => (buf += d.toString('latin1')));
  c.on('error', () => {});
  c.on('close', () => (closed = true));
  await withTimeout(new Promise<void>((r) => c.once('connect', () => r())), 2000, 'connect');
  const out: string[] = [];
  try {
    for (const s of steps) {
      c.write(s);
      await sleep(pause);
      out.push(buf + (closed ? '<EOF>' : ''));
      buf = '';
    }
  } finally {
    c.destroy();
  }
  return out;
}

/** One raw HTTP exchange: sends `req`, reads until the peer closes or `maxMs` (then closes itself). */
export function http(port: number, req: string, maxMs = 1500): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve) => {
      const c = net.connect({ port, host: '127.0.0.1' });
      let out = '';
      const timer = setTimeout(() => c.destroy(), maxMs);
      c.on('connect', () => c.write(req));
      c.on('data', (d) => (out += d.toString('latin1')));
      c.on('error', () => {});
      c.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    }),
    maxMs + 2000,
    'http',
  );
}

/** The body of a chunked HTTP response, de-chunked */
export function dechunk(raw: string): string {
  let body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  let out = '';
  for (;;) {
    const i = body.indexOf('\r\n');
    if (i < 0) break;
    const n = parseInt(body.slice(0, i), 16);
    if (!n) break;
    out += body.slice(i + 2, i + 2 + n);
    body = body.slice(i + 2 + n + 2);
  }
  return out;
}

/** A tiny HTTP/1.1 origin: "hello <path>\n", 404 for paths starting with /nf, keep-alive. */
export function origin(port: number): Promise<net.Server> {
  const srv = net.createServer((s) => {
    let b = '';
    s.on('error', () => {});
    s.on('data', (d) => {
      b += d.toString('latin1');
      let i;
      while ((i = b.indexOf('\r\n\r\n')) >= 0) {
        const head = b.slice(0, i);
        b = b.slice(i + 4);
        const path = head.split(' ')[1] ?? '/';
        const st = path.startsWith('/nf') ? '404 Not Found' : '200 OK';
        const body = `hello ${path}\n`;
        s.write(`HTTP/1.1 ${st}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

export function closeServer(s: net.Server): Promise<void> {
  return new Promise((r) => {
    (s as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    s.close(() => r());
    setTimeout(r, 500);
  });
}

export { freePorts, sleep };
