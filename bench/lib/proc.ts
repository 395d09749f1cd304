/**
 * Child processes for the bench: spawned pinned to a core (taskset), with a raised
 * fd limit where the system allows, every wait bounded, and always killed at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { availableParallelism } from 'node:os';

/** Cores used: the proxy under test on one, the load generator and the origin on the other. */
export interface Pinning {
  proxy: string | null;
  load: string | null;
  text: string;
}

export function choosePinning(): Pinning {
  const cores = availableParallelism();
  if (cores < 2 || !have('taskset')) {
    return { proxy: null, load: null, text: `no pinning (${cores} core(s)${have('taskset') ? '' : ', no taskset'})` };
  }
  return {
    proxy: '0',
    load: '1',
    text: `proxy under test pinned to core 0; wrk, nginx and the client-holding process pinned to core 1 (${cores} cores)`,
  };
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function shQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Every child still alive, so an exit of the bench (even on error or ^C) takes them down. */
const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const c of live) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* gone already */
      }
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** last bytes of stderr+stdout, for a failure reason */
  output(): string;
  /** set once the process has exited */
  exited: { code: number | null; signal: string | null } | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when gone */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `argv` through `sh -c 'ulimit -n ...; exec taskset -c CORE ...'` so the pid we
 * get is the program's own (exec keeps it) and RSS readings are of the program.
 */
export function spawnChild(argv: string[], opts: { core: string | null; nofile?: number; cwd?: string; env?: NodeJS.ProcessEnv } = { core: null }): Child {
  hookExit();
  const want = opts.nofile ?? 65536;
  const pin = opts.core !== null ? `taskset -c ${opts.core} ` : '';
  // the hard limit may be below what we want (containers): fall back to the hard limit
  const script = `ulimit -n ${want} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${pin}${argv.map(shQuote).join(' ')}`;
  const proc = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env ?? process.env });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString('utf8');
    if (out.length > 8192) out = out.slice(-4096);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  proc.stdin!.on('error', () => {});
  live.add(proc);
  const child: Child = {
    proc,
    pid: proc.pid ?? -1,
    output: () => out,
    exited: null,
    stop(graceMs = 3000) {
      if (child.exited) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    },
  };
  proc.on('exit', (code, signal) => {
    child.exited = { code, signal };
    live.delete(proc);
  });
  return child;
}

/** A port free right now on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tryConnect(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Waits (bounded) until something accepts on the port; gives up early if the child exits. */
export async function waitPort(port: number, child: Child | null, timeoutMs = 10000): Promise<string | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child?.exited) return `exited (${child.exited.code ?? child.exited.signal}) before listening: ${lastLine(child.output())}`;
    if (await tryConnect(port, 500)) return null;
    await sleep(50);
  }
  return `nothing listening on port ${port} after ${timeoutMs} ms${child ? `: ${lastLine(child.output())}` : ''}`;
}

export function lastLine(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter(Boolean);
  const alert = lines.find((l) => /ALERT|Error|error/.test(l));
  // HAProxy-style "[ALERT]    (pid) : " prefixes only widen the table
  return (alert ?? lines[lines.length - 1] ?? '(no output)').replace(/^\[(ALERT|WARNING|NOTICE)\]\s*\(\d+\)\s*:\s*/, '').slice(0, 160);
}

/**
 * One HTTP/1.1 request through the port (bounded); null when a 200 came back,
 * else why not. Tells "listens but does not serve" apart from "serves".
 */
export function probeHttp(port: number, path = '/', timeoutMs = 3000, tls = false): Promise<string | null> {
  return new Promise((resolve) => {
    // (the bench's certificate is self-signed)
    const s = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : connect({ port, host: '127.0.0.1' });
    let got = '';
    const done = (why: string | null) => {
      clearTimeout(t);
      s.destroy();
      resolve(why);
    };
    const t = setTimeout(() => done(got ? `incomplete answer: ${JSON.stringify(got.slice(0, 60))}` : `no answer within ${timeoutMs} ms`), timeoutMs);
    s.once(tls ? 'secureConnect' : 'connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: bench.local\r\nConnection: close\r\n\r\n`));
    s.on('data', (b) => {
      got += b.toString('latin1');
      if (got.includes('\r\n')) {
        const status = got.slice(0, got.indexOf('\r\n'));
        done(/^HTTP\/1\.[01] 200 /.test(status) ? null : `answered ${JSON.stringify(status)}`);
      }
    });
    s.once('error', (e) => done(`connection error: ${e.message}`));
    s.once('close', () => done(got ? `closed after ${JSON.stringify(got.slice(0, 60))}` : 'closed without an answer'));
  });
}

/** Resident set size of a process in MiB (VmRSS), or NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * CPU time (user + system) a process has used so far, in seconds, or NaN when it is
 * gone. From /proc/PID/stat in clock ticks (USER_HZ, 100 on Linux).
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the ")" closing the command name: state is field 3, utime 14, stime 15
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Open file descriptors of a process, or -1. */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** The soft "Max open files" limit a process runs with, or NaN. */
export function fdLimit(pid: number): number {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? (m[1] === 'unlimited' ? Infinity : Number(m[1])) : NaN;
  } catch {
    return NaN;
  }
}

/** What `ulimit -n` our children end up with (the soft limit after trying to raise it). */
export function childNofile(want = 65536): number {
  const r = spawnSync('sh', ['-c', `ulimit -n ${want} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n`], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) ? n : r.stdout.trim() === 'unlimited' ? Infinity : 1024;
}

export function versionOf(cmd: string, args: string[], re: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const m = re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  return m ? m[1] : 'unknown';
}
