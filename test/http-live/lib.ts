/**
 * Small tools for the live HTTP tests: a raw backend whose answers a test
 * scripts per connection, a raw client that records what it receives and
 * how the proxy ended the connection, and a runner that starts the same
 * configuration on tshaproxy or HAProxy 2.6.
 */
import net from 'node:net';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { startProxy, type Started } from '../runtime/lib.js';
import { withTimeout } from '../harness/procs.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface BackendConn {
  sock: net.Socket;
  /** bytes received so far (latin1) */
  data: string;
  /** the proxy closed its side (FIN), or reset */
  ended: boolean;
  reset: boolean;
  index: number;
}

/**
 * A TCP backend: `onData(conn, chunk)` decides what to answer. Connections
 * are recorded in `conns`, in arrival order.
 */
export class RawBackend {
  readonly conns: BackendConn[] = [];
  private srv: net.Server;
  port = 0;

  constructor(private readonly onData: (c: BackendConn, chunk: string) => void) {
    this.srv = net.createServer({ allowHalfOpen: true }, (sock) => {
      const c: BackendConn = { sock, data: '', ended: false, reset: false, index: this.conns.length };
      this.conns.push(c);
      sock.on('data', (d) => {
        c.data += d.toString('latin1');
        this.onData(c, d.toString('latin1'));
      });
      sock.on('end', () => {
        c.ended = true;
        if (!sock.destroyed) sock.end();
      });
      sock.on('error', () => {
        c.reset = true;
        c.ended = true;
      });
    });
  }

  listen(port = 0): Promise<this> {
    return new Promise((resolve, reject) => {
      this.srv.once('error', reject);
      this.srv.listen(port, '127.0.0.1', () => {
        this.port = (this.srv.address() as net.AddressInfo).port;
        resolve(this);
      });
    });
  }

  close(): Promise<void> {
    for (const c of this.conns) c.sock.destroy();
    return new Promise((r) => {
      this.srv.close(() => r());
      setTimeout(r, 500);
    });
  }
}

/** answers every request head (a burst of bytes) with `reply` */
export function replyAll(reply: string): (c: BackendConn, chunk: string) => void {
  return (c) => {
    if (!c.sock.destroyed) c.sock.write(reply);
  };
}

export interface ClientResult {
  data: string;
  /** how the proxy ended the connection: FIN, RST, or not at all before the deadline */
  how: 'end' | 'reset' | 'open';
  /** ms from the connection to the proxy's close */
  closedAfter: number;
  /** ms from the connection to the first byte received */
  firstByteAfter: number;
}

/**
 * A raw client: sends `parts` (a number waits that many ms), collects until
 * the proxy closes, `idleMs` passes without data once something came, or
 * `maxMs` passes.
 */
export function rawClient(port: number, parts: (string | Buffer | number)[], opts: { maxMs?: number; idleMs?: number } = {}): Promise<ClientResult> {
  const max = opts.maxMs ?? 3000;
  return withTimeout(
    new Promise<ClientResult>((resolve) => {
      const t0 = Date.now();
      const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let data = '';
      let how: ClientResult['how'] = 'open';
      let first = -1;
      let closedAt = -1;
      let done = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(idle);
        c.destroy();
        resolve({ data, how, closedAfter: closedAt < 0 ? -1 : closedAt - t0, firstByteAfter: first < 0 ? -1 : first - t0 });
      };
      const timer = setTimeout(finish, max);
      c.on('connect', async () => {
        for (const p of parts) {
          if (typeof p === 'number') await sleep(p);
          else if (!c.destroyed) c.write(p);
        }
      });
      c.on('data', (d) => {
        if (first < 0) first = Date.now();
        data += d.toString('latin1');
        if (opts.idleMs) {
          clearTimeout(idle);
          idle = setTimeout(finish, opts.idleMs);
        }
      });
      c.on('end', () => {
        if (how === 'open') how = 'end';
        closedAt = Date.now();
        setTimeout(finish, 20);
      });
      c.on('error', () => {
        how = 'reset';
        closedAt = Date.now();
        finish();
      });
    }),
    max + 2000,
    'raw client',
  );
}

/** status codes of the responses in `data`, in order */
export function statuses(data: string): number[] {
  return [...data.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

/** request lines received by a backend connection */
export function requestLines(data: string): string[] {
  return [...data.matchAll(/(?:^|\r\n\r\n)([A-Z]+ \S+ HTTP\/1\.[01])\r\n/g)].map((m) => m[1]);
}

/** starts `cfg(ports)` on the subject; port 0 is the frontend */
export function startSubject(name: 'tshaproxy' | 'haproxy', cfg: (p: number[]) => string, nPorts = 1): Promise<Started> {
  return startProxy(name, cfg, nPorts, [0]);
}

/** open file descriptors of a process (Linux /proc) */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** sockets among them */
export function socketCount(pid: number): number {
  let n = 0;
  try {
    for (const f of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${f}`).startsWith('socket:')) n++;
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    return -1;
  }
  return n;
}

/** the process doing the work: the child of a `timeout` wrapper, or `pid` itself */
export function workerPid(pid: number): number {
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (comm !== 'timeout') return pid;
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : pid;
  } catch {
    return pid;
  }
}
