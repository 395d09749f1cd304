/**
 * The programs the bench drives, installed with apt when missing: nginx
 * (the origin), HAProxy 2.6 (the reference), wrk (the load) and openssl (the
 * HTTPS scenarios' certificate). Only as root on a Debian-like system; else
 * the bench says what is missing and those scenarios report n/a.
 */
import { spawnSync } from 'node:child_process';
import { have } from './proc.js';
import { NGINX } from './origin.js';

const PACKAGES: { pkg: string; present: () => boolean }[] = [
  { pkg: 'nginx', present: () => have(NGINX) },
  { pkg: 'haproxy', present: () => have('haproxy') },
  { pkg: 'wrk', present: () => have('wrk') },
  { pkg: 'openssl', present: () => have('openssl') },
];

/** installs what is missing (bounded: 10 minutes for apt); returns the packages still missing */
export function ensureTools(log: (m: string) => void): string[] {
  const missing = PACKAGES.filter((p) => !p.present()).map((p) => p.pkg);
  if (!missing.length) return [];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !have('apt-get')) {
    log(`missing: ${missing.join(', ')} (apt-get install ${missing.join(' ')}); their scenarios report n/a`);
    return missing;
  }
  log(`installing with apt: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) => spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  const upd = run(['update', '-qq']);
  if (upd.status !== 0) log(`apt-get update failed: ${String(upd.stderr ?? upd.error).trim().split('\n').pop()}`);
  const inst = run(['install', '-y', '-qq', ...missing]);
  if (inst.status !== 0) log(`apt-get install failed: ${String(inst.stderr ?? inst.error).trim().split('\n').pop()}`);
  const still = PACKAGES.filter((p) => missing.includes(p.pkg) && !p.present()).map((p) => p.pkg);
  if (still.length) log(`still missing: ${still.join(', ')}; their scenarios report n/a`);
  return still;
}
