/**
 * What the health-check and persistence tests share: a proxy run (tshaproxy
 * or HAProxy 2.6) from a config text with its output, small backends that can
 * be stopped and restarted, and bounded HTTP/1 exchanges.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, startChild, waitListening, which, withTimeout, type Child } from '../harness/procs.js';
import { projectRoot } from '../harness/runner.js';

export const HAPROXY = which('haproxy');

export type Who = 'tshaproxy' | 'haproxy';

export function subjects(): Who[] {
  return HAPROXY ? ['tshaproxy', 'haproxy'] : ['tshaproxy'];
}

export interface Run {
  who: Who;
  child: Child;
  dir: string;
  /** ms since the epoch when the process was spawned */
  t0: number;
  /** the operator lines (stderr) with the pid replaced by PID, in order */
  lines(): string[];
  /** waits until a line matching `re` shows up; resolves with it and when it came (ms since the epoch) */
  waitLine(re: RegExp, ms: number): Promise<{ line: string; at: number }>;
  stop(): Promise<void>;
}

/** Runs `cfg` in the foreground (-db) and waits for `listen` ports. */
export async function run(who: Who, cfg: string, listen: number[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-chk-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const cmd = who === 'haproxy' ? HAPROXY! : process.execPath;
  const args = who === 'haproxy' ? ['-db', '-f', file] : [join(projectRoot, 'bin', 'tshaproxy'), '-db', '-f', file];
  const t0 = Date.now();
  const child = startChild(cmd, args, { cwd: dir, maxLifetimeS: 60, env: { ...process.env, ...env } });
  // when each line arrived
  const seen: { line: string; at: number }[] = [];
  let partial = '';
  const onData = (b: Buffer) => {
    partial += b.toString('utf8');
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      seen.push({ line: partial.slice(0, i).replace(/\((\d+)\) :/, '(PID) :'), at: Date.now() });
      partial = partial.slice(i + 1);
    }
  };
  child.proc.stderr?.on('data', onData);
  child.proc.stdout?.on('data', onData);
  if (listen.length) {
    try {
      await waitListening(listen, 8000, child);
    } catch (e) {
      await child.stop();
      throw new Error(`${(e as Error).message}\n${child.output()}`);
    }
  }
  return {
    who,
    child,
    dir,
    t0,
    lines: () => seen.map((s) => s.line),
    async waitLine(re, ms) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = seen.find((s) => re.test(s.line));
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`${who}: no line matching ${re} within ${ms} ms; got:\n${seen.map((s) => s.line).join('\n')}`);
        await sleep(10);
      }
    },
    stop: () => child.stop(),
  };
}

/** The warning/alert lines about servers and backends (not the startup notices). */
export function stateLines(r: Run): string[] {
  return r.lines().filter((l) => /^\[(WARNING|ALERT)\] +\(PID\) : (Backup )?Server |backend '.*' has no server available/.test(l));
}

/** `check duration: 12ms` → `check duration: Nms` (timings differ run to run). */
export function noDurations(l: string): string {
  return l.replace(/check duration: \d+ms/, 'check duration: Nms');
}

/** A backend that can be stopped and started again on the same port; it records what it receives. */
export class Backend {
  server: net.Server | null = null;
  readonly received: { at: number; data: string }[] = [];
  private readonly socks = new Set<net.Socket>();

  constructor(
    readonly port: number,
    /** how a connection is served: 'http' answers each request head with 200 and `name` */
    readonly mode: 'http' | 'hold' | 'close' | { raw: string } | { status: number; reason?: string; body?: string } = 'http',
    readonly name = `s${port}`,
  ) {}

  start(): Promise<void> {
    const srv = net.createServer((s) => {
      this.socks.add(s);
      s.on('close', () => this.socks.delete(s));
      s.on('error', () => {});
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        this.received.push({ at: Date.now(), data: d.toString('latin1') });
        const m = this.mode;
        if (m === 'hold') return;
        if (m === 'close') return void s.end();
        if (typeof m === 'object' && 'raw' in m) return void s.end(m.raw);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        buf = '';
        if (typeof m === 'object') {
          const body = m.body ?? '';
          s.end(`HTTP/1.1 ${m.status} ${m.reason ?? 'X'}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
        } else s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${this.name.length}\r\nconnection: close\r\n\r\n${this.name}`);
      });
    });
    this.server = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** stops listening and cuts every connection: new connections are refused */
  stop(): Promise<void> {
    const srv = this.server;
    this.server = null;
    for (const s of this.socks) s.destroy();
    if (!srv) return Promise.resolve();
    return withTimeout(new Promise<void>((r) => srv.close(() => r())), 2000, 'backend close').catch(() => undefined);
  }
}

export async function stopAll(list: Backend[]): Promise<void> {
  await Promise.all(list.map((b) => b.stop()));
}

export interface HttpResult {
  /** the whole response as received (latin1), '' when none */
  raw: string;
  status: number;
  body: string;
}

/** Sends `req` on a new connection and reads until the peer closes (or `maxMs`). */
export function httpRaw(port: number, req: string, maxMs = 3000): Promise<HttpResult> {
  return withTimeout(
    new Promise<HttpResult>((resolve) => {
      const c = net.connect({ port, host: '127.0.0.1' });
      let raw = '';
      const timer = setTimeout(() => c.destroy(), maxMs);
      c.on('connect', () => c.write(req));
      c.on('data', (d) => (raw += d.toString('latin1')));
      c.on('error', () => {});
      c.on('close', () => {
        clearTimeout(timer);
        const m = /^HTTP\/1\.\d (\d{3})/.exec(raw);
        const i = raw.indexOf('\r\n\r\n');
        resolve({ raw, status: m ? +m[1] : 0, body: i >= 0 ? raw.slice(i + 4) : '' });
      });
    }),
    maxMs + 2000,
    'http exchange',
  );
}

/** GET `path` with Connection: close. */
export function get(port: number, path = '/', headers = ''): Promise<HttpResult> {
  return httpRaw(port, `GET ${path} HTTP/1.1\r\nhost: test\r\n${headers}connection: close\r\n\r\n`);
}
