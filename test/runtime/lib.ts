/**
 * What the runtime tests share: run one config on tshaproxy and, when it is
 * installed, on HAProxy 2.6, and observe both with the same client code.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, startChild, waitListening, which, withTimeout, type Child } from '../harness/procs.js';
import { projectRoot } from '../harness/runner.js';

export const HAPROXY = which('haproxy');

export interface Started {
  name: 'tshaproxy' | 'haproxy';
  child: Child;
  ports: number[];
  cfg: string;
  stop(): Promise<void>;
}

/** `cfg` uses ${P0}..${Pn} for ports; ports listed in `listen` are waited for. */
export async function startProxy(
  name: 'tshaproxy' | 'haproxy',
  cfg: (p: number[]) => string,
  nPorts: number,
  listen: number[],
  extraArgs: string[] = [],
): Promise<Started> {
  const ports = await freePorts(nPorts);
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-rt-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg(ports));
  const cmd = name === 'haproxy' ? HAPROXY! : process.execPath;
  const args = name === 'haproxy' ? ['-db', '-f', file, ...extraArgs] : [join(projectRoot, 'bin', 'tshaproxy'), '-db', '-f', file, ...extraArgs];
  const child = startChild(cmd, args, { cwd: dir, maxLifetimeS: 120 });
  await waitListening(listen.map((i) => ports[i]), 8000, child);
  return { name, child, ports, cfg: file, stop: () => child.stop() };
}

export function subjects(): ('tshaproxy' | 'haproxy')[] {
  return HAPROXY ? ['tshaproxy', 'haproxy'] : ['tshaproxy'];
}

/** A tcp server that answers each chunk with `<name>:<chunk>` and ends when the client ends. */
export function nameServer(name: string, port: number): Promise<net.Server> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.on('data', (d) => s.write(`${name}:${d}`));
    s.on('end', () => s.end());
  });
  return listen(srv, port);
}

export function listen(srv: net.Server, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

export function closeAll(servers: net.Server[]): Promise<void> {
  return Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((r) => {
          (s as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
          s.close(() => r());
          setTimeout(r, 500);
        }),
    ),
  ).then(() => undefined);
}

export interface Exchange {
  data: string;
  /** ms from connect to the close by the peer */
  closedAfter: number;
  /** how the connection ended: 'end' (FIN), 'reset', 'timeout' (still open at the deadline) */
  how: 'end' | 'reset' | 'timeout';
}

/** Connects, sends `send` (then half-closes when `shut`), collects until the peer closes or `maxMs`. */
export function exchange(port: number, send: string | null, opts: { shut?: boolean; maxMs?: number; delayMs?: number } = {}): Promise<Exchange> {
  const max = opts.maxMs ?? 5000;
  return withTimeout(
    new Promise<Exchange>((resolve) => {
      const t0 = Date.now();
      const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let data = '';
      let how: Exchange['how'] = 'end';
      const timer = setTimeout(() => {
        how = 'timeout';
        c.destroy();
      }, max);
      c.on('connect', () => {
        const go = () => {
          if (send !== null) c.write(send);
          if (opts.shut) c.end();
        };
        if (opts.delayMs) setTimeout(go, opts.delayMs);
        else go();
      });
      c.on('data', (d) => (data += d.toString('latin1')));
      c.on('end', () => {
        if (!opts.shut) c.end();
      });
      c.on('error', () => (how = how === 'timeout' ? how : 'reset'));
      c.on('close', () => {
        clearTimeout(timer);
        resolve({ data, closedAfter: Date.now() - t0, how });
      });
    }),
    max + 3000,
    'exchange',
  );
}
