/**
 * What the process tests share: a tshaproxy (or haproxy) child process with its
 * output captured, an echo server, free ports, bounded waits, and a look into
 * /proc to see which process holds which connection.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/tshaproxy of the tree these compiled tests belong to (dist/test/process → ../../../bin) */
export const BIN = fileURLToPath(new URL('../../../bin/tshaproxy', import.meta.url));

export const HAVE_HAPROXY = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tshaproxy-proc-'));
}

export function writeCfg(dir: string, text: string, name = 'h.cfg'): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** rejects after `ms` with `what` in the message */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`timeout (${ms} ms): ${what}`)), ms))),
  ]);
}

export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(20);
  }
  throw new Error(`timeout (${ms} ms) waiting for ${what}`);
}

/** a port that was free a moment ago (the test config must name a port, as workers share it) */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Echo {
  port: number;
  close(): Promise<void>;
}

/** echoes what it receives; ends when the client ends */
export async function echoServer(): Promise<Echo> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => {});
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

export function tcpConfig(listenPort: number, serverPort: number, globalLines: string[] = [], extra = ''): string {
  return [
    'global',
    ...globalLines.map((l) => `  ${l}`),
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    'listen fe',
    `  bind 127.0.0.1:${listenPort}`,
    `  server s1 127.0.0.1:${serverPort}`,
    extra,
  ].join('\n');
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  out(): string;
  /** resolves with the exit code and signal (bounded by `ms`) */
  exited(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(sig: NodeJS.Signals): void;
  kill(): void;
}

/** runs tshaproxy (or `haproxy` when exe is given) with stdout and stderr captured together */
export function run(args: string[], opts: { exe?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Proc {
  const child = opts.exe
    ? spawn(opts.exe, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  child.stdout!.on('data', (d) => (buf += d));
  child.stderr!.on('data', (d) => (buf += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => r({ code, signal }));
  });
  return {
    child,
    pid: child.pid ?? 0,
    out: () => buf,
    exited: (ms = 5000) => within(exit, ms, `exit of ${args.join(' ')}`),
    signal: (sig) => {
      try {
        child.kill(sig);
      } catch {
        /* gone */
      }
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** kills a pid if it still exists (daemons and workers the test did not spawn itself) */
export function killPid(pid: number | undefined, sig: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** the children of a pid, from /proc */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** connect, send `msg`, expect it back; resolves 'ok' or the error's code */
export function echoOnce(port: number, msg = 'ping', ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, ms);
    s.on('connect', () => s.write(msg));
    s.on('data', (d) => {
      got += d;
      if (got.length >= msg.length) {
        clearTimeout(t);
        s.destroy();
        resolve(got === msg ? 'ok' : 'bad');
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(e.code ?? 'error');
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(got === msg ? 'ok' : 'closed');
    });
  });
}

/** waits until `port` accepts and echoes */
export async function waitListening(port: number, ms = 8000): Promise<void> {
  await waitFor(async () => (await echoOnce(port, 'x', 1000)) === 'ok', ms, `port ${port} to serve`);
}

/** A persistent client connection exchanging request/response pairs. */
export class Conn {
  readonly sock: net.Socket;
  private pending: { want: string; got: string; resolve: (v: string) => void; timer: NodeJS.Timeout } | null = null;
  closed = false;
  ready: Promise<string>;

  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.ready = new Promise((r) => {
      this.sock.once('connect', () => r('ok'));
      this.sock.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
    });
    this.sock.on('error', () => {});
    this.sock.on('close', () => {
      this.closed = true;
      this.settle('closed');
    });
    this.sock.on('data', (d) => {
      if (!this.pending) return;
      this.pending.got += d;
      if (this.pending.got.length >= this.pending.want.length) this.settle(this.pending.got === this.pending.want ? 'ok' : 'bad');
    });
  }

  private settle(v: string): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(v);
  }

  /** one request/response pair */
  exchange(msg: string, ms = 3000): Promise<string> {
    if (this.closed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      this.pending = { want: msg, got: '', resolve, timer: setTimeout(() => this.settle('timeout'), ms) };
      this.sock.write(msg);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** socket inodes of a process's open fds */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const l = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(l);
        if (m) out.add(m[1]);
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    /* process gone */
  }
  return out;
}

/**
 * How many established TCP connections with local port `port` each pid holds
 * (the accepted client connections of a proxy listening there).
 */
export function acceptedByPid(pids: number[], port: number): Map<number, number> {
  const inodes = new Map<string, boolean>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let t = '';
    try {
      t = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of t.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10) continue;
      // local_address is c[1] (ADDR:PORT), st is c[3] (01 = ESTABLISHED), inode c[9]
      if (c[1].endsWith(`:${hex}`) && c[3] === '01') inodes.set(c[9], true);
    }
  }
  const res = new Map<number, number>();
  for (const pid of pids) {
    let n = 0;
    for (const i of socketInodes(pid)) if (inodes.has(i)) n++;
    res.set(pid, n);
  }
  return res;
}

/** HAProxy's stderr lines with pids and the executable path made comparable */
export function normalize(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.length)
    .map((l) =>
      l
        .replace(/^(\[[A-Z]+\]\s+)\(\d+\)/, '$1(PID)')
        .replace(/worker \(\d+\)/g, 'worker (PID)')
        .replace(/path to executable is .*/, 'path to executable is EXE'),
    );
}
