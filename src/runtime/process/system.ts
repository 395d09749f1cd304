/**
 * What the process does to itself as HAProxy does: pid file, FD limit,
 * chroot (refused politely: see below), privilege drop, and the signals sent
 * to the processes named by -sf/-st.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import type { Config } from '../../config/model.js';
import type { ProcLog } from './log.js';

/** glibc's strsignal() texts, used in "worker exited with code N (text)" */
const SIGNAL_TEXT: Record<string, string> = {
  SIGHUP: 'Hangup',
  SIGINT: 'Interrupt',
  SIGQUIT: 'Quit',
  SIGILL: 'Illegal instruction',
  SIGTRAP: 'Trace/breakpoint trap',
  SIGABRT: 'Aborted',
  SIGBUS: 'Bus error',
  SIGFPE: 'Floating point exception',
  SIGKILL: 'Killed',
  SIGUSR1: 'User defined signal 1',
  SIGSEGV: 'Segmentation fault',
  SIGUSR2: 'User defined signal 2',
  SIGPIPE: 'Broken pipe',
  SIGALRM: 'Alarm clock',
  SIGTERM: 'Terminated',
  SIGSTKFLT: 'Stack fault',
  SIGCHLD: 'Child exited',
  SIGCONT: 'Continued',
  SIGSTOP: 'Stopped (signal)',
  SIGTSTP: 'Stopped',
  SIGTTIN: 'Stopped (tty input)',
  SIGTTOU: 'Stopped (tty output)',
  SIGURG: 'Urgent I/O condition',
  SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'File size limit exceeded',
  SIGVTALRM: 'Virtual timer expired',
  SIGPROF: 'Profiling timer expired',
  SIGWINCH: 'Window changed',
  SIGIO: 'I/O possible',
  SIGPWR: 'Power failure',
  SIGSYS: 'Bad system call',
};

export function signalNumber(name: string): number {
  return (constants.signals as Record<string, number>)[name] ?? 0;
}

export function signalText(num: number): string {
  for (const [name, n] of Object.entries(constants.signals)) {
    if (n === num && SIGNAL_TEXT[name]) return SIGNAL_TEXT[name];
  }
  return `Real-time signal ${num}`;
}

/** HAProxy's child status: the exit code, or 128 + the signal that killed it */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + signalNumber(signal);
  return code ?? 255;
}

export function statusText(status: number): string {
  return status >= 128 ? signalText(status - 128) : 'Exit';
}

/**
 * Ends this process the way a signal's default action would, so the parent sees
 * the same wait status as with haproxy (killed by SIGTERM / SIGINT).
 */
export function dieBySignal(sig: NodeJS.Signals): never {
  process.removeAllListeners(sig);
  process.kill(process.pid, sig);
  // the signal is delivered asynchronously: block here until it lands
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    /* spin: a few microseconds in practice */
  }
  process.exit(128 + signalNumber(sig));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Writes the pid file as HAProxy does: the pid and a newline, truncating what was there. */
export function writePidfile(path: string, pids: number[]): boolean {
  try {
    writeFileSync(path, pids.map((p) => `${p}\n`).join(''));
    return true;
  } catch {
    return false;
  }
}

/** Sends `sig` to each old pid; returns how many could be reached (HAProxy's tell_old_pids). */
export function tellOldPids(pids: number[], sig: NodeJS.Signals): number {
  let n = 0;
  for (const p of pids) {
    try {
      process.kill(p, sig);
      n++;
    } catch {
      /* gone already */
    }
  }
  return n;
}

/** HAProxy's "nbthread" default is the CPU count; ours is one process unless the configuration asks. */
export function workerCount(config: Config): number {
  const n = config.global.nbthread;
  return n && n > 0 ? n : 1;
}

function globalArgs(config: Config, kw: string): string[] | undefined {
  const ds = config.global.directives;
  for (let i = ds.length - 1; i >= 0; i--) if (ds[i].keyword === kw) return ds[i].args;
  return undefined;
}

export function hasGlobal(config: Config, kw: string): boolean {
  return config.global.directives.some((d) => d.keyword === kw);
}

/** a global time value (ms) such as `grace` or `hard-stop-after`, undefined when absent */
export function globalTime(config: Config, kw: string): number | undefined {
  const a = globalArgs(config, kw);
  if (!a || a[0] === undefined) return undefined;
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(a[0]);
  if (!m) return undefined;
  const mult: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };
  return Math.ceil(Number(m[1]) * mult[m[2] ?? 'ms']);
}

/** `strict-limits` is on by default; the kept directive loses its `no`, so the line itself is read again */
function strictLimits(config: Config): boolean {
  let on = true;
  for (const d of config.global.directives) {
    if (d.keyword !== 'strict-limits') continue;
    try {
      const line = readFileSync(d.file, 'utf8').split('\n')[d.line - 1] ?? '';
      on = !/^\s*no\s/.test(line);
    } catch {
      on = true;
    }
  }
  return on;
}

function currentNofile(): { soft: number; hard: number } | undefined {
  try {
    const t = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(t);
    if (!m) return undefined;
    const v = (s: string) => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
    return { soft: v(m[1]), hard: v(m[2]) };
  } catch {
    return undefined;
  }
}

/** Node has no setrlimit(): prlimit(1) changes this process's limits from outside. */
function setNofile(soft: number, hard: number): boolean {
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:${hard}`], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * `ulimit-n`, or the FD count HAProxy derives from `maxconn`: HAProxy raises the
 * limit and, failing that (strict-limits, on by default), stops with an alert.
 * Returns false when the process must exit 1.
 */
export function applyFdLimit(config: Config, log: ProcLog, masterWorker: boolean): boolean {
  const cur = currentNofile();
  if (!cur) return true;
  const strict = strictLimits(config);
  const ul = globalArgs(config, 'ulimit-n');
  let want = ul ? Number(ul[0]) || 0 : 0;
  if (!want && config.global.maxconn) {
    // HAProxy's maxsock: two sockets per connection, one per listener, per-thread pollers and pipes
    let listeners = 0;
    for (const p of config.proxies) for (const b of p.binds) listeners += Math.max(1, b.addresses.length);
    const threads = config.global.nbthread || availableParallelism();
    want = 2 * config.global.maxconn + listeners + 10 + 3 * threads + (masterWorker ? 11 : 0);
    if (want <= cur.soft) return true;
  }
  if (!want || want === cur.soft) return true;
  if (setNofile(want, Math.max(cur.hard, want))) return true;
  if (strict) {
    log.alert(`[haproxy.main()] Cannot raise FD limit to ${want}, limit is ${cur.soft}.`);
    return false;
  }
  log.warning(`[haproxy.main()] Cannot raise FD limit to ${want}, limit is ${cur.soft}.`);
  return true;
}

/**
 * `chroot`: Node.js cannot chroot() without a native addon, so tshaproxy runs
 * without it (the configuration check notes the line as not honoured). Where
 * HAProxy would fail (not root, missing directory) we fail the same way.
 */
export function checkChroot(config: Config, log: ProcLog): boolean {
  const dir = config.global.chroot;
  if (!dir) return true;
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok || (process.getuid && process.getuid() !== 0)) {
    log.alert(`[haproxy.main()] Cannot chroot(${dir}).`);
    return false;
  }
  log.debug(`chroot ${dir} not applied (Node.js cannot chroot)`);
  return true;
}

/**
 * `group`/`gid` then `user`/`uid`, after the listeners are bound. Returns an
 * alert text when the switch fails (HAProxy exits 1 then).
 */
export function dropPrivileges(config: Config, log: ProcLog): string | undefined {
  const g = config.global;
  if (g.gid) {
    try {
      // Node's getgroups() adds the effective gid, which getgroups(2) does not count
      const egid = process.getegid?.();
      if ((process.getgroups?.() ?? []).some((x) => x !== egid)) process.setgroups?.([]);
    } catch {
      log.warning(
        `[haproxy.main()] Failed to drop supplementary groups. Using 'gid'/'group' without 'uid'/'user' is generally useless.`,
      );
    }
    try {
      process.setgid?.(g.gid);
    } catch {
      return `[haproxy.main()] Cannot set gid ${g.gid}.`;
    }
  }
  if (g.uid && process.getuid?.() !== g.uid) {
    try {
      process.setuid?.(g.uid);
    } catch {
      return `[haproxy.main()] Cannot set uid ${g.uid}.`;
    }
  }
  return undefined;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function fileExists(p: string): boolean {
  return existsSync(p);
}
