/**
 * Child processes and ports (for compare and the scenario harness): ports come from the OS (bind to
 * port 0, read it, close), every child is registered so that it is killed on
 * stop, on test abort and when this process exits, and every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { delimiter, join } from 'node:path';

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Distinct free ports (the OS may hand the same one twice once it is closed). */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n && tries < n * 20; tries++) {
    const p = await freePort();
    if (!out.includes(p)) out.push(p);
  }
  if (out.length < n) throw new Error('could not find enough free ports');
  return out;
}

/** Full path of an executable found on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects after `ms` unless `p` settles first; the timer never keeps the process alive. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const live = new Set<ChildProcess>();
let hooked = false;

function killGroup(cp: ChildProcess, sig: NodeJS.Signals): void {
  if (cp.pid === undefined) return;
  try {
    process.kill(-cp.pid, sig); // its own process group: reaches the `timeout` wrapper and its child
  } catch {
    try {
      cp.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const cp of live) killGroup(cp, 'SIGKILL');
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      for (const cp of live) killGroup(cp, 'SIGKILL');
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

export interface Child {
  proc: ChildProcess;
  /** stdout and stderr so far (capped). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<string>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone (bounded). */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOpts {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Hard lifetime in seconds (coreutils `timeout`), so that nothing outlives a killed test run. */
  maxLifetimeS?: number;
}

/** Starts a child in its own process group, registered for cleanup; output is collected. */
export function startChild(cmd: string, args: string[], opts: SpawnOpts = {}): Child {
  hookExit();
  const wrapper = opts.maxLifetimeS && which('timeout');
  const [c, a] = wrapper ? [wrapper, ['-s', 'KILL', String(opts.maxLifetimeS), cmd, ...args]] : [cmd, args];
  // Children are programs under test, not test files: they must not see node --test's marker.
  const env = { ...(opts.env ?? process.env) };
  delete env.NODE_TEST_CONTEXT;
  const proc = spawn(c, a, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return wrapChild(proc);
}

/** Registers a spawned process for cleanup and gives it the Child interface (kills its group if it leads one). */
export function wrapChild(proc: ChildProcess): Child {
  hookExit();
  live.add(proc);
  let out = '';
  const collect = (b: Buffer) => {
    if (out.length < 64 * 1024) out += b.toString('utf8');
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  let running = proc.exitCode === null && proc.signalCode === null;
  if (!running) live.delete(proc);
  const exited = new Promise<string>((resolve) => {
    proc.once('error', (e) => {
      running = false;
      live.delete(proc);
      out += `\n[spawn error] ${e.message}\n`;
      resolve(`error ${e.message}`);
    });
    proc.once('exit', (code, signal) => {
      running = false;
      live.delete(proc);
      resolve(signal ? `signal ${signal}` : `exit ${code}`);
    });
  });
  return {
    proc,
    output: () => out,
    exited: running ? exited : Promise.resolve(`exit ${proc.exitCode ?? proc.signalCode}`),
    isRunning: () => running,
    async stop(graceMs = 2000) {
      if (!running) return;
      killGroup(proc, 'SIGTERM');
      try {
        await withTimeout(exited, graceMs, 'process stop');
      } catch {
        killGroup(proc, 'SIGKILL');
        await withTimeout(exited, 2000, 'process kill').catch(() => undefined);
      }
    },
  };
}

/** Ports in LISTEN state on this machine (Linux /proc), or undefined where /proc is not there. */
function listeningPorts(): Set<number> | undefined {
  const files = ['/proc/net/tcp', '/proc/net/tcp6'].filter((f) => existsSync(f));
  if (!files.length) return undefined;
  const ports = new Set<number>();
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').split('\n');
    for (let i = 1; i < lines.length; i++) {
      const cols = lines[i]!.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const local = cols[1]!;
      ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.setTimeout(200, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Waits until every port listens. It reads the kernel's table of listening
 * sockets instead of connecting, because a probe connection would count as a
 * client (a tcp-mode proxy forwards it, shifting round robin); connecting is
 * the fallback where /proc is missing. Fails early if the child exits.
 */
export async function waitListening(ports: number[], timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && !child.isRunning()) throw new Error(`the proxy exited before listening (${await child.exited})`);
    const table = listeningPorts();
    let ok = true;
    for (const p of ports) {
      if (table ? !table.has(p) : !(await canConnect(p))) {
        ok = false;
        break;
      }
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`ports ${ports.join(', ')} not listening after ${timeoutMs} ms`);
    await sleep(20);
  }
}
