/**
 * Runs raw HTTP/1 exchanges through a real HAProxy 2.6 (or any proxy started
 * from a config template) and records the exact bytes on both sides: what the
 * client received, what each backend connection received, and who closed.
 *
 * Used by capture.ts to (re)build test/fixtures/http/*.json, and by the live
 * tests to compare a fixture with the installed haproxy. Strings hold bytes as
 * latin1 so that any byte survives a JSON round trip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CaseSpec {
  name: string;
  note?: string;
  /** bytes sent by the client (latin1); an array is sent as separate writes `gap` ms apart */
  send: string | string[];
  gap?: number;
  /** what the backend replies: one entry per burst of request bytes (after `srvQuiet` ms of silence) */
  responses?: string[];
  /** backend closes its side after its last response */
  serverClose?: boolean;
  /** backend sends its responses split in these writes (ms apart), for chunk-boundary cases */
  responsePieces?: string[][];
  srvQuiet?: number;
  /** client half-closes after sending */
  halfClose?: boolean;
  /** client stops after this much silence once something was received (ms) */
  idle?: number;
  /** hard bound for the case (ms) */
  max?: number;
}

export interface CaseRecord extends CaseSpec {
  /** bytes received by the client */
  client: string;
  /** the proxy closed (FIN or RST) the client connection */
  clientClosed: boolean;
  /** bytes received by each backend connection, in connection order */
  server: string[];
  /** the proxy closed that backend connection before the case ended */
  serverClosed: boolean[];
}

export const DEFAULT_RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

export function haveHaproxy(): boolean {
  return spawnSync('sh', ['-c', 'command -v haproxy']).status === 0;
}

export function haproxyVersion(): string {
  const r = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  const m = /version (\S+)/.exec(r.stdout ?? '');
  return m ? m[1] : 'unknown';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ConnRec {
  data: string;
  closed: boolean;
}

/**
 * A session with one proxy process and one raw backend. `config` receives the
 * frontend and backend ports and returns the configuration text.
 */
export class Observer {
  private srv!: net.Server;
  private proc?: ChildProcess;
  private dir = mkdtempSync(join(tmpdir(), 'tshap-h1-'));
  private current?: { spec: CaseSpec; conns: ConnRec[] };
  private sockets = new Set<net.Socket>();
  fePort = 0;
  bePort = 0;
  stderr = '';

  constructor(
    private readonly config: (fePort: number, bePort: number, dir: string) => string,
    private readonly files: Record<string, string> = {},
    private readonly command: string[] = ['haproxy', '-db', '-f'],
  ) {}

  async start(): Promise<void> {
    this.srv = net.createServer((s) => this.onBackend(s));
    await new Promise<void>((r) => this.srv.listen(0, '127.0.0.1', r));
    this.bePort = (this.srv.address() as net.AddressInfo).port;
    this.fePort = await freePort();
    for (const [name, text] of Object.entries(this.files)) writeFileSync(join(this.dir, name), Buffer.from(text, 'latin1'));
    const cfg = join(this.dir, 'h.cfg');
    writeFileSync(cfg, this.config(this.fePort, this.bePort, this.dir));
    const [cmd, ...args] = this.command;
    this.proc = spawn(cmd, [...args, cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.on('data', (d) => (this.stderr += d.toString()));
    // wait until the frontend accepts connections (bounded)
    for (let i = 0; i < 50; i++) {
      if (await this.canConnect()) return;
      if (this.proc.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`proxy did not start: ${this.stderr}`);
  }

  private canConnect(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect(this.fePort, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  }

  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      const done = new Promise((r) => this.proc!.once('exit', r));
      this.proc.kill('SIGKILL');
      await Promise.race([done, sleep(2000)]);
    }
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.srv.close(r));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private onBackend(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    const cur = this.current;
    if (!cur) {
      s.destroy();
      return;
    }
    const rec: ConnRec = { data: '', closed: false };
    cur.conns.push(rec);
    const spec = cur.spec;
    const responses = spec.responses ?? [DEFAULT_RESPONSE];
    let next = 0;
    let timer: NodeJS.Timeout | undefined;
    s.on('data', (d) => {
      rec.data += d.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(async () => {
        if (next >= responses.length) return;
        const i = next++;
        const pieces = spec.responsePieces?.[i] ?? [responses[i]];
        for (let k = 0; k < pieces.length; k++) {
          if (k) await sleep(spec.gap ?? 100);
          if (!s.destroyed) s.write(Buffer.from(pieces[k], 'latin1'));
        }
        if (spec.serverClose && next >= responses.length) s.end();
      }, spec.srvQuiet ?? (Array.isArray(spec.send) ? (spec.gap ?? 100) + 150 : 40));
    });
    s.on('end', () => (rec.closed = true));
    s.on('error', () => (rec.closed = true));
  }

  async run(spec: CaseSpec): Promise<CaseRecord> {
    const conns: ConnRec[] = [];
    this.current = { spec, conns };
    const res = await new Promise<{ client: string; clientClosed: boolean }>((resolve) => {
      const sock = net.connect(this.fePort, '127.0.0.1');
      let data = '';
      let closed = false;
      let idle: NodeJS.Timeout | undefined;
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        clearTimeout(max);
        sock.destroy();
        resolve({ client: data, clientClosed: closed });
      };
      const max = setTimeout(finish, spec.max ?? 2500);
      sock.on('data', (d) => {
        data += d.toString('latin1');
        clearTimeout(idle);
        idle = setTimeout(finish, spec.idle ?? (Array.isArray(spec.send) ? (spec.gap ?? 100) * (spec.send.length - 1) + 400 : 300));
      });
      sock.on('end', () => {
        closed = true;
        setTimeout(finish, 30);
      });
      sock.on('error', () => {
        closed = true;
        finish();
      });
      sock.on('connect', async () => {
        const parts = Array.isArray(spec.send) ? spec.send : [spec.send];
        for (let i = 0; i < parts.length; i++) {
          if (i) await sleep(spec.gap ?? 100);
          if (sock.destroyed) return;
          sock.write(Buffer.from(parts[i], 'latin1'));
        }
        if (spec.halfClose) sock.end();
      });
    });
    await sleep(50);
    this.current = undefined;
    // HAProxy could hand a later request to a kept-alive server connection of
    // this case, whose replies are used up: close them all
    for (const s of this.sockets) s.destroy();
    await sleep(20);
    return { ...spec, ...res, server: conns.map((c) => c.data), serverClosed: conns.map((c) => c.closed) };
  }
}

/** The plain configuration the brief describes, plus optional extra lines per section. */
export function basicConfig(extra: { global?: string[]; defaults?: string[]; frontend?: string[]; backend?: string[] } = {}) {
  return (fe: number, be: number) =>
    [
      'global',
      ...(extra.global ?? []).map((l) => '    ' + l),
      'defaults',
      '    mode http',
      '    timeout connect 1s',
      '    timeout client 3s',
      '    timeout server 3s',
      '    timeout http-request 1s',
      ...(extra.defaults ?? []).map((l) => '    ' + l),
      'frontend fe',
      `    bind 127.0.0.1:${fe}`,
      ...(extra.frontend ?? []).map((l) => '    ' + l),
      '    default_backend be',
      'backend be',
      ...(extra.backend ?? []).map((l) => '    ' + l),
      `    server s1 127.0.0.1:${be}`,
      '',
    ].join('\n');
}
