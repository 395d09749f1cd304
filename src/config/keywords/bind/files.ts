/**
 * The SSL files HAProxy 2.6 opens while it parses `bind` and `server` lines
 * (certificates, crt-lists, CA and CRL files), with the messages it gives
 * when they are missing or hold nothing usable. tshaproxy does not load them
 * into a TLS stack here: it looks at the PEM blocks they contain.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Config } from '../../model.js';

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'ENOTDIR') return 'Not a directory';
  if (code === 'EISDIR') return 'Is a directory';
  return (e as Error)?.message ?? 'error';
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** The last value of a global directive (crt-base, ca-base...). */
export function globalSetting(config: Config, name: string): string | undefined {
  let v: string | undefined;
  for (const d of config.global.directives) if (d.keyword === name) v = d.args[0];
  return v;
}

/** Prefixes a relative path with a base directory, as HAProxy does with crt-base / ca-base. */
export function withBase(path: string, base: string | undefined): string {
  if (!base || path.startsWith('/')) return path;
  return `${base}/${path}`;
}

const CERT_RE = /-----BEGIN (TRUSTED |X509 )?CERTIFICATE-----/;
const KEY_RE = /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/;

/**
 * ssl_sock_load_cert(): a certificate file or a directory of them. Returns
 * HAProxy's error text (ending with ".\n" like HAProxy's) or undefined.
 */
export function loadCertificate(path: string, config?: Config): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    // 2.6 still loads the old multi-certificate bundles: <path>.rsa, .ecdsa, .dsa
    let found = false;
    for (const ext of ['.rsa', '.ecdsa', '.dsa']) {
      try {
        statSync(path + ext);
        found = true;
      } catch {
        /* not this one */
      }
    }
    if (found) return undefined;
    return `unable to stat SSL certificate from file '${path}' : ${errnoText(e)}.\n`;
  }
  if (st.isDirectory()) {
    // every regular file of the directory in name order, but the side files (keys, OCSP answers...)
    let names: string[];
    try {
      names = readdirSync(path).sort();
    } catch {
      return undefined;
    }
    for (const n of names) {
      if (/\.(key|ocsp|issuer|sctl)$/.test(n) || n.startsWith('.')) continue;
      const full = `${path.replace(/\/+$/, '')}/${n}`;
      try {
        if (!statSync(full).isFile()) continue;
      } catch {
        continue;
      }
      const e = loadCertificate(full, config);
      if (e) return e;
    }
    return undefined;
  }
  const text = readText(path);
  if (text === undefined || !CERT_RE.test(text)) return `unable to load certificate from file '${path}'.\n`;
  if (!KEY_RE.test(text)) {
    let base = path;
    if (config && config.global.directives.some((d) => d.keyword === 'ssl-load-extra-del-ext')) {
      const slash = path.lastIndexOf('/');
      const dot = path.lastIndexOf('.');
      if (dot > slash + 1) base = path.slice(0, dot);
    }
    const key = readText(`${base}.key`);
    if (key === undefined || !KEY_RE.test(key)) return `No Private Key found in '${base}.key'.\n`;
    return keyMismatch(text, key, path);
  }
  return keyMismatch(text, text, path);
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\s\S]*?-----END \1?PRIVATE KEY-----/;

/** The key must belong to the (first) certificate; undecidable cases (encrypted keys...) pass. */
function keyMismatch(certText: string, keyText: string, path: string): string | undefined {
  const c = PEM_CERT.exec(certText);
  const k = PEM_KEY.exec(keyText);
  if (!c || !k) return undefined;
  try {
    if (new X509Certificate(c[0]).checkPrivateKey(createPrivateKey(k[0]))) return undefined;
  } catch {
    return undefined;
  }
  return `inconsistencies between private key and certificate loaded '${path}'.\n`;
}

/** crt-list: the file must open, and each certificate it names must load (crt-base applies to them). */
export function loadCrtList(path: string, config?: Config): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    return `'crt-list' : cannot open file '${path}' : ${errnoText(e)}`;
  }
  const base = config ? globalSetting(config, 'crt-base') : undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const crt = line.replace(/\[[^\]]*\]/, ' ').trim().split(/\s+/)[0];
    const e = loadCertificate(withBase(crt, base), config);
    if (e) return `'crt-list' : ${e.replace(/\n+$/, '')}`;
  }
  return undefined;
}

/**
 * ssl_store_load_locations_file(): a CA or CRL file. Returns the position-less
 * alert HAProxy prints first, or undefined when the file is usable.
 */
export function loadCaFile(path: string): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    return `Couldn't open the ca-file '${path}' (${errnoText(e)}).`;
  }
  if (st.isDirectory()) return undefined;
  const text = readText(path);
  if (text === undefined) return `Couldn't open the ca-file '${path}' (Permission denied).`;
  if (!CERT_RE.test(text) && !/-----BEGIN X509 CRL-----/.test(text)) {
    return `Couldn't open the ca-file '${path}' (no certificate or crl found).`;
  }
  return undefined;
}

/* ---- users and groups (getpwnam / getgrnam) ------------------------------- */

let passwd: string[][] | undefined;
let groups: string[][] | undefined;
function table(file: string): string[][] {
  const t = readText(file) ?? '';
  return t
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}
export function userExists(name: string): boolean {
  passwd ??= table('/etc/passwd');
  return passwd.some((r) => r[0] === name);
}
export function groupExists(name: string): boolean {
  groups ??= table('/etc/group');
  return groups.some((r) => r[0] === name);
}
