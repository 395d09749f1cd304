/**
 * The proxies under test, all routed the same way to the one origin: tshaproxy and
 * HAProxy 2.6 on the same generated config (mode per scenario), node-http-proxy, a
 * bare Node `net` pipe, and the direct path to the origin (the limit).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { proxyConfig, type Mode } from './configs.js';
import { freePort, have, probeHttp, spawnChild, waitPort, type Child } from './proc.js';

export const SUBJECTS = ['tshaproxy', 'haproxy', 'node-http-proxy', 'net-pipe', 'direct'] as const;
export type SubjectName = (typeof SUBJECTS)[number];

/** bench/lib -> repository root (works from dist/bench/lib too) */
const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, here.includes(`${'/dist/'}`) ? '../../..' : '../..');
export const tshaproxyBin = join(root, 'bin', 'tshaproxy');
const childrenDir = join(root, 'dist', 'bench', 'children');

export interface Running {
  name: SubjectName;
  /** e.g. "haproxy 2.6 (tcp)" */
  label: string;
  port: number;
  child: Child | null;
  /** the process whose RSS is read (null for direct) */
  pid: number | null;
  /** why it cannot be measured (failed to start or to serve), else null */
  failure: string | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  mode: Mode;
  originPort: number;
  /** per-subject temp dir parent */
  dir: string;
  core: string | null;
  maxconn: number;
  /** a config to use instead of proxyConfig (tshaproxy/haproxy), with PORT for the listen port */
  config?: (port: number) => string;
  /** write a CPU profile of the tshaproxy child into this dir */
  profDir?: string;
  /** bounded wait for the port */
  startTimeoutMs?: number;
  /** path the probe request asks for */
  probePath?: string;
  /** the listener speaks TLS (the probe too) */
  tls?: boolean;
  /** extra headers are not needed for the probe; Host matters for the rules config */
}

export function label(name: SubjectName, mode: Mode): string {
  switch (name) {
    case 'tshaproxy':
      return `tshaproxy (${mode})`;
    case 'haproxy':
      return `haproxy 2.6 (${mode})`;
    case 'node-http-proxy':
      return 'node-http-proxy';
    case 'net-pipe':
      return 'node net pipe';
    case 'direct':
      return 'direct to nginx';
  }
}

/** Which subjects make sense for a mode: node-http-proxy only speaks HTTP. */
export function subjectsFor(mode: Mode): SubjectName[] {
  return mode === 'http' ? ['tshaproxy', 'haproxy', 'node-http-proxy', 'net-pipe', 'direct'] : ['tshaproxy', 'haproxy', 'net-pipe', 'direct'];
}

function argvFor(name: SubjectName, port: number, o: StartOptions, dir: string): string[] | null {
  const cfgFile = join(dir, 'proxy.cfg');
  const cfg = () => writeFileSync(cfgFile, o.config ? o.config(port) : proxyConfig({ mode: o.mode, port, originPort: o.originPort, maxconn: o.maxconn }));
  switch (name) {
    case 'tshaproxy': {
      cfg();
      const prof = o.profDir ? ['--cpu-prof', '--cpu-prof-dir', o.profDir] : [];
      return [process.execPath, ...prof, tshaproxyBin, '-db', '-f', cfgFile];
    }
    case 'haproxy':
      cfg();
      return ['haproxy', '-db', '-f', cfgFile];
    case 'node-http-proxy':
      return [process.execPath, join(childrenDir, 'node-http-proxy.js'), String(port), String(o.originPort)];
    case 'net-pipe':
      return [process.execPath, join(childrenDir, 'net-pipe.js'), String(port), String(o.originPort)];
    case 'direct':
      return null;
  }
}

/** Starts one subject; never throws: a subject that does not come up is returned with `failure` set. */
export async function startSubject(name: SubjectName, o: StartOptions): Promise<Running> {
  const lbl = label(name, o.mode);
  const none = async () => {};
  if (name === 'direct') {
    return { name, label: lbl, port: o.originPort, child: null, pid: null, failure: null, stop: none };
  }
  if (name === 'haproxy' && !have('haproxy')) {
    return { name, label: lbl, port: 0, child: null, pid: null, failure: 'haproxy not on PATH', stop: none };
  }
  const dir = mkdtempSync(join(o.dir, `${name}-`));
  const port = await freePort();
  const argv = argvFor(name, port, o, dir)!;
  const child = spawnChild(argv, { core: o.core, cwd: dir });
  const stop = () => child.stop();
  let failure = await waitPort(port, child, o.startTimeoutMs ?? 10000);
  if (!failure) {
    const why = await probeHttp(port, o.probePath ?? '/', 3000, o.tls);
    if (why) failure = `does not serve: ${why}`;
  }
  if (failure) await stop();
  return { name, label: lbl, port, child, pid: child.pid, failure, stop };
}
