/**
 * `tshaproxy -f cfg` without -c: run the checked configuration, in one of
 * HAProxy's process modes:
 * - foreground (-db, -d, or neither -D nor `daemon`): this process serves;
 * - daemon (-D / `daemon`): a detached copy of this process serves; we exit 0
 *   once it listens (1 and its alerts if it cannot);
 * - master-worker (-W, -Ws, `master-worker`) and `nbthread N` > 1: a master
 *   holds the sockets and supervises worker processes (master.ts).
 * Signals as HAProxy: USR1 soft stop, TERM/INT hard stop, TTOU/TTIN pause and
 * resume, USR2/HUP reload the master. -sf/-st PIDs: the old processes are
 * paused while we bind, then told to finish (USR1) or stop (TERM).
 */
import { spawn } from 'node:child_process';
import type { CheckResult } from '../../config/check.js';
import type { ParseOptions } from '../../config/registry.js';
import { ProcLog } from './log.js';
import { holdSignals, runInstance, startInstance } from './instance.js';
import { runMaster } from './master.js';
import { applyFdLimit, checkChroot, dropPrivileges, hasGlobal, tellOldPids, workerCount, writePidfile } from './system.js';

export interface ServeArgs {
  /** the command line as given (after the program name) */
  argv: string[];
  files: string[];
  opts: ParseOptions;
  /** commander's options object */
  cli: Record<string, unknown>;
  check: CheckResult;
}

/** set in the environment of the detached copy that -D starts */
const DAEMON_ENV = 'TSHAPROXY_DAEMON_CHILD';

function pids(v: unknown): number[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.flatMap((x) => String(x).split(/[\s,]+/)).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

export async function serve(a: ServeArgs): Promise<number> {
  holdSignals();
  const cfg = a.check.config;
  const cli = a.cli;
  const quiet = !!cli.q || hasGlobal(cfg, 'quiet');
  const exe = process.argv[1] ?? 'tshaproxy';
  const mw = !!(cli.W || cli.Ws || cfg.global.masterWorker);
  const foreground = !!(cli.db || cli.d || cli.Ws);
  const daemon = !foreground && !!(cli.D || cfg.global.daemon);
  const debug = !!cli.d;
  // the check output may already have printed HAProxy's version notices
  const announced = !quiet && a.check.diags.list.some((d) => (d.severity === 'warning' || d.severity === 'alert') && !d.muted);
  const log = new ProcLog({ quiet, exe, debug, announced, master: mw });

  if (daemon && !process.env[DAEMON_ENV]) return daemonize(a);

  let ready: ((ok: boolean) => Promise<void>) | undefined;
  if (daemon && process.send) {
    // until we listen, our messages go to the parent, which prints them where the user sees them
    const send = process.send.bind(process);
    log.setSink((line) => {
      try {
        send({ tsh: 'line', line });
      } catch {
        /* parent gone */
      }
    });
    ready = (ok) =>
      new Promise<void>((resolve) => {
        log.setSink(() => {});
        try {
          send({ tsh: 'ready', ok }, undefined, {}, () => {
            process.disconnect?.();
            resolve();
          });
        } catch {
          resolve(); // parent gone
        }
      });
  }
  delete process.env[DAEMON_ENV];

  const defaultMaxconn = cli.N !== undefined ? Number(cli.N) : undefined;
  const oldPids = [...pids(cli.sf), ...pids(cli.st)];
  const oldPidsSignal: NodeJS.Signals = cli.st !== undefined ? 'SIGTERM' : 'SIGUSR1';
  const pidfile = (cli.p as string | undefined) ?? cfg.global.pidfile;

  if (mw || workerCount(cfg) > 1) {
    return runMaster({
      files: a.files,
      opts: a.opts,
      check: a.check,
      log,
      masterWorker: mw,
      defaultMaxconn,
      oldPids,
      oldPidsSignal,
      pidfile: mw || daemon ? pidfile : undefined,
      quiet,
      debug,
      exe,
      ready,
    });
  }

  // one process serves
  if (!applyFdLimit(cfg, log, false) || !checkChroot(cfg, log)) {
    await ready?.(false);
    return 1;
  }
  const started = await startInstance({ config: cfg, log, defaultMaxconn, oldPids });
  if ('error' in started) {
    log.alert(started.error.message);
    log.alert('[haproxy.main()] Some protocols failed to start their listeners! Exiting.');
    await ready?.(false);
    return 1;
  }
  const rt = started.rt;
  // HAProxy writes the pid file in daemon mode only (a foreground process ignores -p)
  if (daemon && pidfile && !writePidfile(pidfile, [process.pid])) {
    log.alert(`[haproxy.main()] Cannot create pidfile ${pidfile}`);
    rt.hardStop();
    await ready?.(false);
    return 1;
  }
  const priv = dropPrivileges(cfg, log);
  if (priv) {
    log.alert(priv);
    rt.hardStop();
    await ready?.(false);
    return 1;
  }
  log.started();
  await ready?.(true);
  if (oldPids.length) tellOldPids(oldPids, oldPidsSignal);
  return runInstance(rt, { config: cfg, log });
}

/**
 * -D: runs a detached copy of this command (new session, stdio on /dev/null)
 * and waits until it listens. Its messages until then come to us over IPC and
 * are printed here, so a bind failure shows as with haproxy -D.
 */
function daemonize(a: ServeArgs): Promise<number> {
  // -C was applied already: the copy starts in the directory we are in
  const argv: string[] = [];
  for (let i = 0; i < a.argv.length; i++) {
    if (a.argv[i] === '-C') {
      i++;
      continue;
    }
    argv.push(a.argv[i]);
  }
  return new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, [DAEMON_ENV]: '1' },
    });
    let settled = false;
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      resolve(code);
    };
    child.on('message', (m: { tsh?: string; line?: string; ok?: boolean }) => {
      if (m?.tsh === 'line' && m.line) process.stderr.write(m.line);
      else if (m?.tsh === 'ready') finish(m.ok ? 0 : 1);
    });
    child.on('exit', (code) => finish(code || 1));
    child.on('error', (e) => {
      process.stderr.write(`[ALERT]    (${process.pid}) : [haproxy.main()] Cannot fork: ${e.message}.\n`);
      finish(1);
    });
  });
}
