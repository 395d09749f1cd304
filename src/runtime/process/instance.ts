/**
 * One running proxy instance in this process (a foreground process, the
 * daemon, or one worker): binding with HAProxy's -sf/-st dance, and the
 * signals a serving process obeys (USR1 soft stop with `grace` and
 * `hard-stop-after`, TERM/INT hard stop, TTOU/TTIN pause/resume).
 */
import type { Config } from '../../config/model.js';
import { proxyTypeStr } from '../../config/keywords/proxy/section.js';
import { BindError, type Runtime } from '../api.js';
import { createRuntime } from '../index.js';
import type { ProcLog } from './log.js';
import { dieBySignal, globalTime, sleep, tellOldPids } from './system.js';
import { raiseMallocTrimThreshold } from './malloc.js';

/**
 * HAProxy tries 100 times 10 ms apart (MAX_START_RETRIES) while old processes
 * release the ports. Our bind only succeeds once they have closed theirs, so
 * every retry interval is time during which connections are refused: we try
 * every millisecond instead, for the same second at most.
 */
const MAX_START_RETRIES = 1000;
const RETRY_DELAY_MS = 1;

export interface StartOptions {
  config: Config;
  log: ProcLog;
  defaultMaxconn?: number;
  /** -sf/-st: processes asked to pause (SIGTTOU) while we bind, and to resume (SIGTTIN) if we fail */
  oldPids: number[];
}

export type StartResult = { rt: Runtime; pausedOld: boolean } | { error: Error };

/**
 * Opens every listener. Node 20 has no SO_REUSEPORT, so while an old process
 * listens on the same address our bind fails with EADDRINUSE: as HAProxy does
 * where the OS lacks it, we then ask the old processes to pause (SIGTTOU) and
 * retry every millisecond, for at most a second.
 */
export async function startInstance(o: StartOptions): Promise<StartResult> {
  // before any traffic: keeps glibc from trimming the heap top on every burst of freed read buffers
  raiseMallocTrimThreshold();
  let retry = MAX_START_RETRIES;
  let pausedOld = false;
  for (;;) {
    const rt = createRuntime(o.config, { defaultMaxconn: o.defaultMaxconn, logger: o.log.runtimeLogger() });
    try {
      await rt.start();
      return { rt, pausedOld };
    } catch (e) {
      const retryable = e instanceof BindError && e.code === 'EADDRINUSE';
      if (!retryable || !o.oldPids.length || retry <= 0) {
        if (pausedOld) tellOldPids(o.oldPids, 'SIGTTIN');
        return { error: e as Error };
      }
      if (tellOldPids(o.oldPids, 'SIGTTOU') === 0) {
        retry = 0; // nobody to wait for: one last try
        continue;
      }
      pausedOld = true;
      o.log.debug('old process still listening; asked it to pause', { oldPids: o.oldPids });
      await sleep(RETRY_DELAY_MS);
      retry--;
    }
  }
}

/** the proxies whose listeners a pause closes, as HAProxy names them in "Paused frontend fe." */
function listeningProxies(config: Config): string[] {
  return config.proxies
    .filter((p) => (p.kind === 'frontend' || p.kind === 'listen') && !p.disabled && p.binds.length > 0)
    .map((p) => `${proxyTypeStr(p)} ${p.name}`);
}

export interface RunOptions {
  config: Config;
  log: ProcLog;
  /** print the per-proxy "Paused"/"Resumed" lines (one worker of several does, as haproxy's one process would) */
  proxyLines?: boolean;
}

/** The signals HAProxy ignores in a serving process (SIGHUP dumps server states there). */
const IGNORED: NodeJS.Signals[] = ['SIGHUP', 'SIGUSR2', 'SIGQUIT'];
const DEFERRED: NodeJS.Signals[] = ['SIGUSR1', 'SIGTTOU', 'SIGTTIN', ...IGNORED];
let early: NodeJS.Signals[] = [];
const onEarly = (s: NodeJS.Signals) => early.push(s);

/**
 * Catches the signals whose default action would be wrong while we start
 * (SIGTTOU/SIGTTIN stop the process, SIGUSR1 opens Node's inspector, SIGHUP
 * kills): HAProxy blocks them during its start and handles them afterwards.
 */
export function holdSignals(): void {
  for (const s of DEFERRED) if (!process.listenerCount(s)) process.on(s, onEarly);
}

function releaseHeld(): NodeJS.Signals[] {
  for (const s of DEFERRED) process.removeListener(s, onEarly);
  const got = early;
  early = [];
  return got;
}

/**
 * Serves until stopped. Resolves with the exit code after a soft stop;
 * a hard stop (SIGTERM/SIGINT) ends the process by that signal, as haproxy's does.
 */
export function runInstance(rt: Runtime, o: RunOptions): Promise<number> {
  const names = o.proxyLines === false ? [] : listeningProxies(o.config);
  let stopping = false;
  let paused = false;
  return new Promise<number>((resolve) => {
    // a paused process has no open socket: this keeps it alive until it is told to stop
    const keepAlive = setInterval(() => {}, 1 << 30);
    const finish = (code: number) => {
      clearInterval(keepAlive);
      for (const s of DEFERRED) process.removeAllListeners(s);
      resolve(code);
    };
    const soft = async () => {
      if (stopping) return;
      stopping = true;
      const hsa = globalTime(o.config, 'hard-stop-after');
      if (hsa !== undefined) {
        setTimeout(() => {
          o.log.warning('soft-stop running for too long, performing a hard-stop.');
          rt.hardStop();
          finish(0);
        }, hsa);
      }
      const grace = globalTime(o.config, 'grace');
      if (grace) {
        o.log.notice(`Scheduling a soft-stop in ${grace} ms.`);
        await sleep(grace);
        o.log.notice('Grace period expired, proceeding with soft-stop now.');
      }
      await rt.softStop();
      finish(0);
    };
    const hard = (sig: NodeJS.Signals) => {
      rt.hardStop();
      dieBySignal(sig);
    };
    process.on('SIGUSR1', () => void soft());
    process.on('SIGTERM', hard);
    process.on('SIGINT', hard);
    process.on('SIGTTOU', () => {
      if (stopping || paused) return;
      paused = true;
      for (const n of names) o.log.warning(`Paused ${n}.`);
      void rt.pause();
    });
    process.on('SIGTTIN', () => {
      if (stopping || !paused) return;
      paused = false;
      void rt.resume().then(
        () => {
          for (const n of names) o.log.warning(`Resumed ${n}.`);
        },
        (e: Error) => o.log.alert(e.message),
      );
    });
    for (const s of IGNORED) process.on(s, () => o.log.debug(`${s} ignored`));
    for (const s of releaseHeld()) process.emit(s, s);
  });
}
