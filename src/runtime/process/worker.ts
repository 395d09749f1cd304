/**
 * A worker process (node:cluster): re-reads the configuration the master
 * checked, opens its listeners through the master (which holds the sockets,
 * so a reload never closes them), drops privileges, and serves.
 *
 * Messages to the master: {tsh:'ready'}, {tsh:'fail', alert} (bind error or
 * privilege failure; the master prints it with its own pid, as haproxy's master
 * does since it binds itself).
 */
import { checkConfig } from '../../config/check.js';
import { ProcLog } from './log.js';
import { holdSignals, runInstance, startInstance } from './instance.js';
import { applyFdLimit, dropPrivileges } from './system.js';
import type { WorkerJob } from './master.js';
import { WORKER_ENV } from './worker-env.js';

function send(msg: Record<string, unknown>): Promise<void> {
  return new Promise((r) => {
    if (!process.send) return r();
    try {
      process.send(msg, undefined, {}, () => r());
    } catch {
      r();
    }
  });
}

async function fail(alert: string): Promise<never> {
  await send({ tsh: 'fail', alert });
  process.exit(1);
}

export async function workerMain(): Promise<void> {
  holdSignals();
  const job = JSON.parse(process.env[WORKER_ENV] ?? '{}') as WorkerJob;
  delete process.env[WORKER_ENV];
  const log = new ProcLog({ quiet: job.quiet, exe: job.exe, debug: job.debug, announced: true });
  const res = await checkConfig(job.files, { ...job.opts, getenv: (n) => process.env[n] });
  if (res.exit === 1) await fail('config : Fatal errors found in configuration.');
  const config = res.config;
  applyFdLimit(config, new ProcLog({ quiet: true, exe: job.exe }), true);
  const started = await startInstance({ config, log, defaultMaxconn: job.defaultMaxconn, oldPids: job.oldPids });
  if ('error' in started) return fail(started.error.message);
  const priv = dropPrivileges(config, log);
  if (priv) {
    started.rt.hardStop();
    return fail(priv);
  }
  log.started();
  await send({ tsh: 'ready', pausedOld: started.pausedOld });
  const code = await runInstance(started.rt, { config, log, proxyLines: job.index === 0 });
  process.exit(code);
}

workerMain().catch((e: Error) => {
  process.stderr.write(`[ALERT]    (${process.pid}) : internal error: ${e.stack ?? e}\n`);
  process.exit(1);
});
