/**
 * The tshaproxy command line: HAProxy's own flags (-f, -c, -C, -q, -L, -dr,
 * -W, -v, -vv...) plus tshaproxy's (--strict, --haproxy-version).
 */
import { Command } from 'commander';
import { hostname } from 'node:os';
import { checkConfig } from '../config/check.js';
import type { ParseOptions } from '../config/registry.js';
import { HAPROXY_BRANCH, HAPROXY_VERSION, TSHAPROXY_VERSION } from '../version.js';
import { renderCheck } from './check-output.js';

/** HAProxy's multi-letter single-dash flags become long options for commander. */
const LEGACY_FLAGS: Record<string, string> = {
  '-db': '--db', '-dr': '--dr', '-dD': '--dD', '-dW': '--dW', '-sf': '--sf', '-st': '--st', '-vv': '--vv',
  '-de': '--de', '-dp': '--dp', '-dS': '--dS', '-dV': '--dV', '-dM': '--dM', '-dG': '--dG', '-Ws': '--Ws', '-cc': '--cc',
};

export function normalizeArgv(argv: string[]): string[] {
  return argv.map((a) => LEGACY_FLAGS[a] ?? a);
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export async function main(argv: string[]): Promise<number> {
  // `tshaproxy compare ...`: migration testing against HAProxy (src/compare/).
  if (argv[0] === 'compare') return (await import('../compare/main.js')).compareMain(argv.slice(1));
  // `tshaproxy route ...`: what the rules do with one request (src/cli/route.ts).
  if (argv[0] === 'route') return (await import('./route.js')).routeMain(argv.slice(1));
  const program = new Command();
  program
    .name('tshaproxy')
    .description('HAProxy, reimplemented in TypeScript: reads haproxy.cfg, checks it as HAProxy 2.6 does, serves traffic')
    .option('-f <file>', 'configuration file or directory (repeatable)', collect, [])
    .option('-c', 'check the configuration and exit')
    .option('-C <dir>', 'change to this directory before loading files')
    .option('-q', 'quiet mode')
    .option('-L <name>', 'local peer name')
    .option('-W', 'master-worker mode')
    .option('--Ws', 'master-worker mode, foreground (systemd)')
    .option('--sf <pid...>', 'old processes to finish (SIGUSR1) once we listen')
    .option('--st <pid...>', 'old processes to terminate (SIGTERM) once we listen')
    .option('-x <socket>', 'socket to get listeners from (ignored: the master keeps them)')
    .option('-D', 'daemon mode')
    .option('-p <pidfile>', 'pid file')
    .option('-N <maxconn>', 'default per-proxy maxconn')
    .option('-d', 'debug mode')
    .option('--db', 'disable background mode')
    .option('--dr', 'ignore server address resolution failures')
    .option('--strict', "give exactly HAProxy 2.6's verdict (no legacy leniency)")
    .option('--haproxy-version <v>', 'check as this HAProxy version would (2.6 implies --strict)')
    .option('-v', 'print the version')
    .option('--vv', 'print the version and build details')
    .allowExcessArguments(true)
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(normalizeArgv(argv), { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 1;
  }
  const o = program.opts();
  if (o.v || o.vv) {
    process.stdout.write(
      `tshaproxy version ${TSHAPROXY_VERSION} - emulates HAProxy version ${HAPROXY_VERSION} (branch ${HAPROXY_BRANCH})\n`,
    );
    if (o.vv) process.stdout.write(`Running on: Node.js ${process.version} ${process.platform} ${process.arch}\n`);
    return 0;
  }
  if (o.C) {
    try {
      process.chdir(o.C);
    } catch {
      process.stderr.write(`[ALERT]    (${process.pid}) : Could not change to directory ${o.C}\n`);
      return 1;
    }
  }
  const files: string[] = o.f;
  if (!files.length) {
    process.stderr.write(`[ALERT]    (${process.pid}) : No configuration file specified (use -f).\n`);
    return 1;
  }
  const version = o.haproxyVersion ?? HAPROXY_VERSION;
  const strict = !!o.strict || (o.haproxyVersion !== undefined && String(o.haproxyVersion).startsWith('2.6'));
  const opts: ParseOptions = {
    strict,
    version: /^\d+\.\d+$/.test(version) ? `${version}.0` : version,
    getenv: (n) => process.env[n],
    localPeer: o.L ?? hostname(),
    ignoreResolveErrors: !!o.dr,
    masterWorker: !!o.W,
    supportWarnings: !strict,
  };
  process.env.HAPROXY_LOCALPEER = opts.localPeer;
  process.env.HAPROXY_CFGFILES = files.join(';');
  const res = await checkConfig(files, opts);
  if (o.c) {
    const out = renderCheck(res, { quiet: !!o.q, pid: process.pid, exe: process.argv[1] ?? 'tshaproxy' });
    process.stderr.write(out.stderr);
    process.stdout.write(out.stdout);
    return res.exit;
  }
  const out = renderCheck(res, { quiet: !!o.q, pid: process.pid, exe: process.argv[1] ?? 'tshaproxy' });
  process.stderr.write(out.stderr);
  if (res.exit === 1) return 1;
  // Serving: the process layer (src/runtime/process) takes over.
  const { serve } = await import('../runtime/process/serve.js');
  return serve({ argv, files, opts, cli: o, check: res });
}
