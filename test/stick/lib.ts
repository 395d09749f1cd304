/**
 * What the stick-table tests share: the same configuration run on
 * tshaproxy and (when installed) on HAProxy 2.6, one HTTP request per
 * connection or several on one, small backends, and `show table` read from
 * the stats socket with the parts that differ between runs (entry
 * addresses, remaining expiration) taken out.
 */
import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HAPROXY, startProxy, withTimeout, type Proc, type Subject } from '../rules/lib.js';

export { HAPROXY, freePorts, sleep, withTimeout } from '../rules/lib.js';
export type { Subject } from '../rules/lib.js';

export function subjects(): Subject[] {
  return HAPROXY ? ['tshaproxy', 'haproxy'] : ['tshaproxy'];
}

export interface Running {
  name: Subject;
  proc: Proc;
  /** the stats socket path */
  sock: string;
  stop(): Promise<void>;
}

/** Starts `name` on the configuration `cfg(sock)` (the stats socket path goes in the global section). */
export async function run(name: Subject, cfg: (sock: string) => string, ports: number[]): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'tshap-stick-'));
  const sock = join(dir, 'stats.sock');
  const proc = await startProxy(name, cfg(sock), ports);
  return { name, proc, sock, stop: () => proc.stop() };
}

/** One command on the stats socket; its whole answer. */
export function cli(sock: string, cmd: string): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      const c = net.connect(sock);
      let out = '';
      c.on('connect', () => c.write(cmd + '\n'));
      c.on('data', (d) => (out += d.toString('latin1')));
      c.on('error', reject);
      c.on('close', () => resolve(out));
    }),
    3000,
    `stats socket: ${cmd}`,
  );
}

/** `show table <name>` without entry addresses nor remaining times. */
export async function showTable(sock: string, table: string): Promise<string> {
  const t = await cli(sock, `show table ${table}`);
  return t.replace(/^0x[0-9a-f]+: /gm, '').replace(/ exp=\d+/g, '');
}

export interface Resp {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseResponses(raw: string): Resp[] {
  const out: Resp[] = [];
  let rest = raw;
  while (rest.length) {
    const e = rest.indexOf('\r\n\r\n');
    if (e < 0) break;
    const lines = rest.slice(0, e).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    out.push({ status: Number(lines[0].split(' ')[1]), headers, body: rest.slice(e + 4, e + 4 + len) });
    rest = rest.slice(e + 4 + len);
  }
  return out;
}

/**
 * Sends `paths` as keep-alive GET requests on one connection, one after the
 * other; the last one asks to close. `headers` go on every request.
 */
export function requests(port: number, paths: string[], headers: Record<string, string> = {}): Promise<Resp[]> {
  return withTimeout(
    new Promise<Resp[]>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      let raw = '';
      let got: Resp[] = [];
      let i = 0;
      const extra = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      const send = () => {
        const last = i === paths.length - 1;
        c.write(`GET ${paths[i]} HTTP/1.1\r\nhost: t\r\n${extra}${last ? 'connection: close\r\n' : ''}\r\n`);
      };
      c.on('connect', send);
      c.on('data', (d) => {
        raw += d.toString('latin1');
        got = parseResponses(raw);
        if (got.length > i && i < paths.length - 1) {
          i++;
          send();
        }
      });
      c.on('error', () => {});
      c.on('close', () => resolve(got));
    }),
    8000,
    `requests ${paths.join(',')}`,
  );
}

/** One request on its own connection. */
export async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Resp> {
  const r = await requests(port, [path], headers);
  return r[0] ?? { status: 0, headers: {}, body: '' };
}

/**
 * HTTP backends: each answers `x-srv: <name>` and the status a path
 * /s/<code> asks for (200 otherwise); /hang never answers, /close closes.
 */
export class HttpBackends {
  private servers: net.Server[] = [];
  private socks = new Set<net.Socket>();

  async add(name: string, port: number): Promise<void> {
    const srv = net.createServer((s) => {
      this.socks.add(s);
      s.on('close', () => this.socks.delete(s));
      s.on('error', () => {});
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        let e: number;
        while ((e = buf.indexOf('\r\n\r\n')) >= 0) {
          const head = buf.slice(0, e);
          buf = buf.slice(e + 4);
          const path = head.split(' ')[1] ?? '/';
          if (path === '/hang') return;
          if (path === '/close') return void s.destroy();
          const m = /^\/s\/(\d{3})/.exec(path);
          const body = `${name}\n`;
          s.write(`HTTP/1.1 ${m ? m[1] : '200'} X\r\nx-srv: ${name}\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        }
      });
    });
    this.servers.push(srv);
    await new Promise<void>((res, rej) => {
      srv.once('error', rej);
      srv.listen(port, '127.0.0.1', () => res());
    });
  }

  /** a tcp server that answers "<name>\n" to anything and closes on "bye" */
  async tcp(name: string, port: number): Promise<void> {
    const srv = net.createServer((s) => {
      this.socks.add(s);
      s.on('close', () => this.socks.delete(s));
      s.on('error', () => {});
      s.on('data', (d) => {
        s.write(`${name}\n`);
        if (d.toString('latin1').includes('bye')) s.end();
      });
    });
    this.servers.push(srv);
    await new Promise<void>((res, rej) => {
      srv.once('error', rej);
      srv.listen(port, '127.0.0.1', () => res());
    });
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/**
 * A tcp client: connects, sends `data` (chunks `gapMs` apart), keeps the
 * connection `holdMs`, then closes; resolves with what it received and
 * whether the connection was reset.
 */
export function tcpClient(port: number, data: string[], holdMs: number, gapMs = 50): Promise<{ data: string; reset: boolean }> {
  return withTimeout(
    new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      let got = '';
      let reset = false;
      let timer: NodeJS.Timeout | undefined;
      c.on('data', (d) => (got += d.toString('latin1')));
      c.on('error', () => (reset = true));
      c.on('close', () => {
        clearTimeout(timer);
        resolve({ data: got, reset });
      });
      c.on('connect', async () => {
        for (let i = 0; i < data.length; i++) {
          if (i) await new Promise((r) => setTimeout(r, gapMs));
          if (!c.destroyed) c.write(data[i]);
        }
        timer = setTimeout(() => c.end(), holdMs);
      });
    }),
    holdMs + 5000,
    'tcp client',
  );
}
