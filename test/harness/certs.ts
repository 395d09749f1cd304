/** A self-signed certificate made at test time with openssl, once per process, in a temp dir removed at exit. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Cert {
  key: string;
  cert: string;
  /** cert + key in one PEM file (HAProxy's `crt`). */
  pemPath: string;
}

let cached: Cert | undefined;

export function selfSignedCert(): Cert {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-cert-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=tshaproxy-test'],
    { stdio: 'ignore', timeout: 10_000 },
  );
  const key = readFileSync(keyPath, 'utf8');
  const cert = readFileSync(certPath, 'utf8');
  const pemPath = join(dir, 'both.pem');
  writeFileSync(pemPath, cert + key);
  cached = { key, cert, pemPath };
  return cached;
}
