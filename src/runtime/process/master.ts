/**
 * The master of master-worker mode (-W, -Ws, global `master-worker`), and the
 * silent supervisor that `nbthread N` (N > 1) needs: Node runs JavaScript on one
 * thread, so HAProxy's threads become N worker processes (node:cluster).
 *
 * The master holds the listening sockets: workers' listen() calls go through
 * it and it keeps each socket open while any worker uses it. A reload
 * (SIGUSR2/SIGHUP) re-reads and checks the configuration, starts new workers
 * on the same sockets, then soft-stops the old ones: no connection is refused
 * and live ones finish on the old workers. A configuration that fails the
 * check, or new workers that fail to start, leave the old workers serving.
 *
 * Unlike haproxy's master, ours does not re-execute itself on reload: a new
 * tshaproxy version on disk needs a restart.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { checkConfig, type CheckResult } from '../../config/check.js';
import type { Config } from '../../config/model.js';
import type { ParseOptions } from '../../config/registry.js';
import { renderText } from '../../parser/diagnostics.js';
import type { ProcLog } from './log.js';
import { WORKER_ENV } from './worker-env.js';
import {
  applyFdLimit,
  checkChroot,
  dieBySignal,
  exitStatus,
  statusText,
  tellOldPids,
  workerCount,
  writePidfile,
} from './system.js';

/** What a worker is told (through its environment) */
export interface WorkerJob {
  files: string[];
  opts: Omit<ParseOptions, 'getenv'>;
  defaultMaxconn?: number;
  oldPids: number[];
  quiet: boolean;
  debug: boolean;
  exe: string;
  /** rank in its generation: worker 0 prints the per-proxy lines */
  index: number;
}

export interface MasterArgs {
  files: string[];
  opts: ParseOptions;
  check: CheckResult;
  log: ProcLog;
  /** true: HAProxy's master-worker (reloads, NOTICE lines); false: nbthread supervisor, silent like one haproxy process */
  masterWorker: boolean;
  defaultMaxconn?: number;
  oldPids: number[];
  /** SIGUSR1 (-sf) or SIGTERM (-st) for the old pids once we serve */
  oldPidsSignal: NodeJS.Signals;
  pidfile?: string;
  quiet: boolean;
  debug: boolean;
  exe: string;
  /** daemon mode: tells the parent how the start went */
  ready?: (ok: boolean) => Promise<void>;
}

interface Child {
  worker: Worker;
  pid: number;
  leaving: boolean;
  ready: boolean;
}

type GenResult = { ok: true; children: Child[] } | { ok: false; alerts: string[] };

/** cluster's scheduling: round-robin by the master (default), or the kernel's (TSHAPROXY_SCHED=none) */
function setupCluster(): void {
  cluster.schedulingPolicy = process.env.TSHAPROXY_SCHED === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker.js', import.meta.url)), silent: false, args: [] });
}

export async function runMaster(a: MasterArgs): Promise<number> {
  const log = a.log;
  const mw = a.masterWorker;
  const children = new Map<number, Child>();
  let config: Config = a.check.config;
  let exitcode = -1;
  let exiting = false;
  let lastSignal: NodeJS.Signals | undefined;
  let reloading: Promise<void> | undefined;
  let reloadAgain = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let started = false;

  if (!applyFdLimit(config, log, mw) || !checkChroot(config, log)) return 1;
  setupCluster();

  const noExitOnFailure = () => config.global.directives.some((d) => d.keyword === 'master-worker' && d.args[0] === 'no-exit-on-failure');

  const killAll = (sig: NodeJS.Signals) => {
    for (const c of children.values()) {
      try {
        process.kill(c.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };

  const onExit = (c: Child, code: number | null, signal: NodeJS.Signals | null) => {
    children.delete(c.pid);
    if (!c.ready) return; // a failed start: reported by spawnGeneration
    const status = exitStatus(code, signal);
    if (mw) {
      if (!c.leaving) {
        if (status < 128) log.warning(`Current worker (${c.pid}) exited with code ${status} (Exit)`);
        else log.alert(`Current worker (${c.pid}) exited with code ${status} (${statusText(status)})`);
      } else {
        log.warning(`Former worker (${c.pid}) exited with code ${status} (${statusText(status)})`);
      }
    }
    if (!c.leaving) {
      if (status !== 0 && status !== 130 && status !== 143 && !noExitOnFailure()) {
        if (mw) log.alert('exit-on-failure: killing every processes with SIGTERM');
        killAll('SIGTERM');
      }
      if (exitcode < 0 && status !== 0 && status !== 143) exitcode = status;
    }
    if (children.size === 0 && started) {
      if (mw) log.warning(`All workers exited. Exiting... (${exitcode > 0 ? exitcode : 0})`);
      resolveDone(exitcode > 0 ? exitcode : 0);
    }
  };

  const spawnGeneration = (cfg: Config, oldPids: number[]): Promise<GenResult> => {
    const n = workerCount(cfg);
    const job: WorkerJob = {
      files: a.files,
      opts: { ...a.opts, getenv: undefined } as unknown as WorkerJob['opts'],
      defaultMaxconn: a.defaultMaxconn,
      oldPids,
      quiet: a.quiet,
      debug: a.debug,
      exe: a.exe,
      index: 0,
    };
    delete (job.opts as Partial<ParseOptions>).getenv;
    const gen: Child[] = [];
    const alerts: string[] = [];
    return new Promise<GenResult>((resolve) => {
      let pending = n;
      let failed = false;
      const settle = () => {
        if (--pending > 0) return;
        if (!failed) return resolve({ ok: true, children: gen });
        // one failed: the others of this generation go too, and must be gone before we report
        const alive = gen.filter((c) => children.has(c.pid));
        for (const c of alive) {
          c.ready = false;
          try {
            process.kill(c.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        let left = alive.length;
        if (!left) return resolve({ ok: false, alerts });
        for (const c of alive) c.worker.once('exit', () => --left === 0 && resolve({ ok: false, alerts }));
      };
      for (let i = 0; i < n; i++) {
        const w = cluster.fork({ [WORKER_ENV]: JSON.stringify({ ...job, index: i }) });
        const c: Child = { worker: w, pid: w.process.pid ?? 0, leaving: false, ready: false };
        gen.push(c);
        children.set(c.pid, c);
        let settled = false;
        w.on('message', (m: { tsh?: string; alert?: string }) => {
          if (m?.tsh === 'ready' && !settled) {
            settled = true;
            c.ready = true;
            settle();
          } else if (m?.tsh === 'fail' && !settled) {
            settled = true;
            failed = true;
            if (m.alert && !alerts.includes(m.alert)) alerts.push(m.alert);
            settle();
          }
        });
        w.on('exit', (code: number | null, signal: NodeJS.Signals | null) => {
          if (!settled) {
            settled = true;
            failed = true;
            children.delete(c.pid);
            settle();
            return;
          }
          onExit(c, code, signal);
        });
      }
    });
  };

  const printDiags = (res: CheckResult) => {
    for (const d of res.diags.list) {
      if (d.severity === 'diag' || d.muted) continue;
      const text = `config : ${renderText(d)}`;
      if (d.severity === 'alert') log.alert(text);
      else if (d.severity === 'warning') log.warning(text);
      else log.notice(text);
    }
  };

  const reloadOnce = async () => {
    log.notice('Reloading HAProxy');
    log.newLoad();
    let res: CheckResult;
    try {
      res = await checkConfig(a.files, a.opts);
    } catch (e) {
      log.alert(`config : ${(e as Error).message}`);
      log.warning('Loading failure!');
      return;
    }
    printDiags(res);
    if (res.exit === 1) {
      log.warning('Loading failure!');
      return;
    }
    const old = [...children.values()].filter((c) => !c.leaving);
    const gen = await spawnGeneration(res.config, []);
    if (!gen.ok && exiting) return;
    if (!gen.ok) {
      for (const al of gen.alerts) log.alert(al);
      log.alert('[haproxy.main()] Some protocols failed to start their listeners! Exiting.');
      log.warning('Loading failure!');
      return;
    }
    config = res.config;
    for (const c of gen.children) log.notice(`New worker (${c.pid}) forked`);
    log.notice('Loading success.');
    for (const c of old) {
      c.leaving = true;
      try {
        process.kill(c.pid, 'SIGUSR1');
      } catch {
        /* already gone */
      }
    }
  };

  let reloadPending = false;
  const reload = () => {
    if (exiting) return;
    if (!started) {
      reloadPending = true; // handled once the first workers are up, as haproxy handles a blocked signal
      return;
    }
    if (reloading) {
      reloadAgain = true;
      return;
    }
    reloading = (async () => {
      do {
        reloadAgain = false;
        await reloadOnce();
      } while (reloadAgain && !exiting);
      reloading = undefined;
    })();
  };

  const stopSignal = (sig: NodeJS.Signals) => {
    lastSignal = sig;
    if (mw && !exiting) log.warning('Exiting Master process...');
    exiting = true;
    killAll(sig);
  };
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGUSR1', () => stopSignal('SIGUSR1')],
    ['SIGTERM', () => stopSignal('SIGTERM')],
    ['SIGINT', () => stopSignal('SIGINT')],
    ['SIGTTOU', () => killAll('SIGTTOU')],
    ['SIGTTIN', () => killAll('SIGTTIN')],
    ['SIGHUP', () => (mw ? reload() : undefined)],
    ['SIGUSR2', () => (mw ? reload() : undefined)],
    ['SIGQUIT', () => undefined],
  ];
  for (const [s, f] of handlers) {
    process.removeAllListeners(s);
    process.on(s, f);
  }

  if (a.pidfile && mw && !writePidfile(a.pidfile, [process.pid])) {
    log.alert(`[haproxy.main()] Cannot create pidfile ${a.pidfile}`);
    await a.ready?.(false);
    return 1;
  }

  const first = await spawnGeneration(config, a.oldPids);
  if (!first.ok && exiting && lastSignal) {
    // told to stop while the workers started: they were stopped before being ready
    await a.ready?.(false);
    const code = lastSignal === 'SIGINT' ? 130 : 0;
    if (mw) {
      log.warning(`All workers exited. Exiting... (${code})`);
      return code;
    }
    if (lastSignal === 'SIGTERM' || lastSignal === 'SIGINT') dieBySignal(lastSignal);
    return 0;
  }
  if (!first.ok) {
    for (const al of first.alerts) log.alert(al);
    log.alert('[haproxy.main()] Some protocols failed to start their listeners! Exiting.');
    await a.ready?.(false);
    return 1;
  }
  started = true;
  if (a.pidfile && !mw && !writePidfile(a.pidfile, [process.pid])) {
    log.alert(`[haproxy.main()] Cannot create pidfile ${a.pidfile}`);
    killAll('SIGKILL');
    await a.ready?.(false);
    return 1;
  }
  if (mw) for (const c of first.children) log.notice(`New worker (${c.pid}) forked`);
  else log.started();
  // a daemon's stdio closes here: haproxy -D -W shows "New worker" but not "Loading success."
  await a.ready?.(true);
  if (mw) log.notice('Loading success.');
  if (a.oldPids.length) tellOldPids(a.oldPids, a.oldPidsSignal);
  // a stop signal may have come while the workers started
  if (exiting && lastSignal) killAll(lastSignal);
  if (children.size === 0) resolveDone(exitcode > 0 ? exitcode : 0);
  if (reloadPending) reload();

  const code = await done;
  for (const [s, f] of handlers) process.removeListener(s, f);
  // the supervisor stands for one haproxy process: it dies by the signal that killed its workers
  if (!mw && lastSignal && (lastSignal === 'SIGTERM' || lastSignal === 'SIGINT')) dieBySignal(lastSignal);
  return code;
}
