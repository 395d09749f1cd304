/**
 * Replays recorded HAProxy exchanges (test/fixtures/http) through a live
 * proxy process: one process per configuration, serving several "lanes"
 * at once so a whole group fits in seconds. A lane is a copy of the
 * configuration's frontends and backends under suffixed names, with its own
 * port and its own raw backend, so each backend connection belongs to the
 * case running in its lane. Each lane runs its cases one after the other,
 * exactly as the recording harness did (test/http/harness.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, startChild, waitListening, which, type Child } from '../harness/procs.js';
import { projectRoot } from '../harness/runner.js';
import { DEFAULT_RESPONSE, type CaseRecord, type CaseSpec } from '../http/harness.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type Subject = 'tshaproxy' | 'haproxy';

/**
 * The configuration with `lanes` copies of its proxies: lane 0 keeps the
 * names, lane i renames every frontend/backend/listen X to X__i (and the
 * backends it names). Global and defaults sections appear once.
 */
export function laneConfig(config: (fe: number, be: number, dir: string) => string, fe: number[], be: number[], dir: string): string {
  const out: string[] = [];
  for (let i = 0; i < fe.length; i++) {
    const text = config(fe[i], be[i], dir);
    let keep = true;
    for (const line of text.split('\n')) {
      const m = /^(\S+)(?:\s+(\S+))?/.exec(line);
      if (m) {
        const kw = m[1];
        const proxy = kw === 'frontend' || kw === 'backend' || kw === 'listen';
        keep = i === 0 || proxy;
        if (proxy && i > 0) {
          out.push(`${kw} ${m[2]}__${i}`);
          continue;
        }
      }
      if (!keep) continue;
      if (i > 0) {
        const r = /^(\s+)(default_backend|use_backend)\s+(\S+)(.*)$/.exec(line);
        if (r) {
          out.push(`${r[1]}${r[2]} ${r[3]}__${i}${r[4]}`);
          continue;
        }
      }
      out.push(line);
    }
  }
  return out.join('\n') + '\n';
}

interface ConnRec {
  data: string;
  closed: boolean;
}

/** One lane's raw backend: answers each burst of request bytes with the case's next response. */
class LaneBackend {
  srv!: net.Server;
  port = 0;
  current?: { spec: CaseSpec; conns: ConnRec[] };
  readonly sockets = new Set<net.Socket>();

  async listen(port: number): Promise<void> {
    this.srv = net.createServer((s) => this.onConn(s));
    await new Promise<void>((resolve, reject) => {
      this.srv.once('error', reject);
      this.srv.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = port;
  }

  private onConn(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
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
      timer = setTimeout(
        async () => {
          if (next >= responses.length) return;
          const i = next++;
          const pieces = spec.responsePieces?.[i] ?? [responses[i]];
          for (let k = 0; k < pieces.length; k++) {
            if (k) await sleep(spec.gap ?? 100);
            if (!s.destroyed) s.write(Buffer.from(pieces[k], 'latin1'));
          }
          if (spec.serverClose && next >= responses.length && !s.destroyed) s.end();
        },
        spec.srvQuiet ?? (Array.isArray(spec.send) ? (spec.gap ?? 100) + 150 : 40),
      );
    });
    s.on('end', () => (rec.closed = true));
    s.on('error', () => (rec.closed = true));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => {
      this.srv.close(() => r());
      setTimeout(r, 500);
    });
  }
}

export interface LiveOptions {
  subject: Subject;
  lanes: number;
  files?: Record<string, string>;
}

/** A proxy process running one configuration in several lanes. */
export class LiveGroup {
  child?: Child;
  private dir = mkdtempSync(join(tmpdir(), 'tshap-live-'));
  private backends: LaneBackend[] = [];
  private fePorts: number[] = [];

  constructor(
    private readonly config: (fe: number, be: number, dir: string) => string,
    private readonly opts: LiveOptions,
  ) {}

  /** starts the proxy; a port taken meanwhile by another socket makes it try again with new ports */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (e) {
        const out = this.output();
        await this.child?.stop();
        await Promise.all(this.backends.splice(0).map((b) => b.close()));
        if (attempt >= 3) throw new Error(`${(e as Error).message}: ${out.slice(-1500)}`);
      }
    }
  }

  private async startOnce(): Promise<void> {
    const n = this.opts.lanes;
    const ports = await freePorts(2 * n);
    this.fePorts = ports.slice(0, n);
    for (let i = 0; i < n; i++) {
      const b = new LaneBackend();
      await b.listen(ports[n + i]);
      this.backends.push(b);
    }
    for (const [name, text] of Object.entries(this.opts.files ?? {})) writeFileSync(join(this.dir, name), Buffer.from(text, 'latin1'));
    const file = join(this.dir, 'h.cfg');
    writeFileSync(
      file,
      laneConfig(
        this.config,
        this.fePorts,
        this.backends.map((b) => b.port),
        this.dir,
      ),
    );
    const [cmd, args] =
      this.opts.subject === 'haproxy'
        ? [which('haproxy')!, ['-db', '-f', file]]
        : [process.execPath, [join(projectRoot, 'bin', 'tshaproxy'), '-db', '-f', file]];
    this.child = startChild(cmd, args, { cwd: this.dir, maxLifetimeS: 300 });
    await waitListening(this.fePorts, 10000, this.child);
  }

  async stop(): Promise<void> {
    await this.child?.stop();
    await Promise.all(this.backends.map((b) => b.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** runs every case, `lanes` at a time; results in the order of `specs` */
  async runAll(specs: CaseSpec[]): Promise<CaseRecord[]> {
    const out: CaseRecord[] = new Array(specs.length);
    let next = 0;
    await Promise.all(
      this.backends.map(async (_, lane) => {
        for (;;) {
          const i = next++;
          if (i >= specs.length) return;
          out[i] = await this.run(specs[i], lane);
        }
      }),
    );
    return out;
  }

  /** one exchange on a lane, recorded as the capture harness does */
  async run(spec: CaseSpec, lane: number): Promise<CaseRecord> {
    const be = this.backends[lane];
    const conns: ConnRec[] = [];
    be.current = { spec, conns };
    const res = await new Promise<{ client: string; clientClosed: boolean }>((resolve) => {
      const sock = net.connect(this.fePorts[lane], '127.0.0.1');
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
    be.current = undefined;
    const record = { server: conns.map((c) => c.data), serverClosed: conns.map((c) => c.closed) };
    // the proxy could hand a later request to a kept-alive connection of this case
    for (const s of be.sockets) s.destroy();
    await sleep(20);
    return { ...spec, ...res, ...record };
  }

  output(): string {
    return this.child?.output() ?? '';
  }
}
