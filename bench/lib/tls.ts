/**
 * The certificate the TLS scenarios give tshaproxy and HAProxy alike: a
 * self-signed ECDSA P-256 certificate and its key in one PEM file (what
 * `bind ... ssl crt FILE` reads), made with the openssl command.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { have } from './proc.js';

/** the PEM file's path, or why there is none */
export function benchCertificate(dir: string): string | { why: string } {
  if (!have('openssl')) return { why: 'openssl not on PATH (apt-get install openssl)' };
  const key = join(dir, 'bench.key');
  const crt = join(dir, 'bench.crt');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=bench.local', '-keyout', key, '-out', crt],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20000 },
  );
  if (r.status !== 0) return { why: `openssl req failed: ${String(r.stderr ?? r.error).trim().split('\n').pop()}` };
  const pem = join(dir, 'bench.pem');
  writeFileSync(pem, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
  return pem;
}
