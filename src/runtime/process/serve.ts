/**
 * `tshaproxy -f cfg` without -c: run the checked configuration.
 * Minimal foreground version (one process, signals USR1/TERM/INT/TTOU/TTIN);
 * master-worker, daemon, pidfile, -sf/-st and nbthread workers grow here.
 */
import type { CheckResult } from '../../config/check.js';
import type { ParseOptions } from '../../config/registry.js';
import { BindError } from '../api.js';
import { createRuntime } from '../index.js';

export interface ServeArgs {
  /** the command line as given (after the program name) */
  argv: string[];
  files: string[];
  opts: ParseOptions;
  /** commander's options object */
  cli: Record<string, unknown>;
  check: CheckResult;
}

export async function serve(a: ServeArgs): Promise<number> {
  const rt = createRuntime(a.check.config, { defaultMaxconn: a.cli.N ? Number(a.cli.N) : undefined });
  try {
    await rt.start();
  } catch (e) {
    if (e instanceof BindError) {
      process.stderr.write(`[ALERT]    (${process.pid}) : ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  return new Promise<number>((resolve) => {
    process.on('SIGUSR1', () => void rt.softStop().then(() => resolve(0)));
    const hard = () => {
      rt.hardStop();
      resolve(0);
    };
    process.on('SIGTERM', hard);
    process.on('SIGINT', hard);
    process.on('SIGTTOU', () => void rt.pause());
    process.on('SIGTTIN', () => void rt.resume());
  });
}
