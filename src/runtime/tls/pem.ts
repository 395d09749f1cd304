/**
 * HAProxy's certificate files: one PEM holding the certificate, its chain
 * and its private key (the key may sit in `<file>.key` instead), a directory
 * of such files, or a crt-list naming them with per-line SSL options and SNI
 * filters. Each loaded certificate becomes a CertEntry with the names SNI
 * picks it by (its SAN DNS entries and its CNs, lowercased, as HAProxy
 * indexes them).
 */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withBase } from '../../config/keywords/bind/files.js';

export interface CertEntry {
  /** the file it came from (for messages) */
  file: string;
  /** leaf certificate first, then the chain */
  cert: string;
  key: string;
  /** DH parameters found in the same file */
  dh?: string;
  leaf: X509Certificate;
  /** names SNI selects it by: exact lowercase names and '*.' wildcards */
  names: string[];
  /** crt-list negative filters ('!name') */
  excluded: string[];
  /** crt-list `[...]` options of this line, overriding the bind's */
  opts?: Map<string, string[]>;
}

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----\r?\n?/g;

interface Blocks {
  certs: string[];
  key?: string;
  dh?: string;
}

function blocks(text: string): Blocks {
  const out: Blocks = { certs: [] };
  for (const m of text.matchAll(BLOCK_RE)) {
    const kind = m[1];
    const pem = m[0].endsWith('\n') ? m[0] : m[0] + '\n';
    if (kind === 'CERTIFICATE' || kind === 'TRUSTED CERTIFICATE' || kind === 'X509 CERTIFICATE') out.certs.push(pem);
    else if (/PRIVATE KEY$/.test(kind)) out.key ??= pem;
    else if (kind === 'DH PARAMETERS') out.dh ??= pem;
  }
  return out;
}

/** SAN DNS names then subject CNs, lowercased, without duplicates. */
export function certNames(x: X509Certificate): string[] {
  const names: string[] = [];
  const san = x.subjectAltName;
  if (san) {
    for (const part of san.split(/,\s*/)) {
      if (part.startsWith('DNS:')) names.push(part.slice(4).toLowerCase());
    }
  }
  for (const line of x.subject.split('\n')) {
    if (line.startsWith('CN=')) names.push(line.slice(3).toLowerCase());
  }
  return [...new Set(names)];
}

/** Files of a certificate directory that are not certificates themselves. */
const EXTRA_EXT = /\.(key|ocsp|issuer|sctl)$/;

/**
 * Loads a `crt` argument: a PEM file, or every certificate file of a
 * directory in name order. Throws an Error with HAProxy's wording.
 */
export function loadCrt(path: string, delExt = false): CertEntry[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error(`unable to stat SSL certificate from file '${path}' : No such file or directory.`);
  }
  if (st.isDirectory()) {
    const out: CertEntry[] = [];
    for (const f of readdirSync(path).sort()) {
      if (EXTRA_EXT.test(f) || f.startsWith('.')) continue;
      const full = join(path, f);
      try {
        if (!statSync(full).isFile()) continue;
      } catch {
        continue;
      }
      out.push(loadPemFile(full, delExt));
    }
    return out;
  }
  return [loadPemFile(path, delExt)];
}

export function loadPemFile(path: string, delExt = false): CertEntry {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    throw new Error(`unable to load certificate from file '${path}'.`);
  }
  const b = blocks(text);
  if (!b.certs.length) throw new Error(`unable to load certificate from file '${path}'.`);
  let key = b.key;
  if (!key) {
    let base = path;
    if (delExt) {
      const dot = path.lastIndexOf('.');
      if (dot > path.lastIndexOf('/') + 1) base = path.slice(0, dot);
    }
    try {
      key = blocks(readFileSync(`${base}.key`, 'latin1')).key;
    } catch {
      /* reported below */
    }
    if (!key) throw new Error(`No Private Key found in '${base}.key'.`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(b.certs[0]);
  } catch {
    throw new Error(`unable to load certificate from file '${path}'.`);
  }
  return { file: path, cert: b.certs.join(''), key, dh: b.dh, leaf, names: certNames(leaf), excluded: [] };
}

/** crt-list line options that take one argument; the others are flags. */
const CRTLIST_ARG = new Set(['alpn', 'npn', 'ca-file', 'ca-verify-file', 'ciphers', 'ciphersuites', 'crl-file', 'curves', 'ecdhe', 'ssl-min-ver', 'ssl-max-ver', 'verify']);

/** Splits a crt-list line into words (quotes and backslash escapes as in the config). */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    if (c === '#' && !inWord) break;
    cur += c;
    inWord = true;
  }
  if (inWord) out.push(cur);
  return out;
}

/**
 * A crt-list file: `<crt> [[<ssl options>]] [[!]<sni filter> ...]` per line.
 * Relative certificate paths take `crtBase`.
 */
export function loadCrtList(path: string, crtBase: string | undefined, delExt = false): CertEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    throw new Error(`'crt-list' : cannot open file '${path}' : No such file or directory`);
  }
  const out: CertEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    // the bracketed options may hold spaces: take them out first
    let opts: Map<string, string[]> | undefined;
    let rest = line;
    const lb = line.indexOf('[');
    const rb = lb >= 0 ? line.indexOf(']', lb) : -1;
    if (lb >= 0 && rb > lb) {
      opts = new Map();
      const ow = words(line.slice(lb + 1, rb));
      for (let i = 0; i < ow.length; i++) {
        if (CRTLIST_ARG.has(ow[i])) {
          opts.set(ow[i], [ow[i + 1] ?? '']);
          i++;
        } else opts.set(ow[i], []);
      }
      rest = line.slice(0, lb) + ' ' + line.slice(rb + 1);
    }
    const w = words(rest);
    if (!w.length) continue;
    const file = withBase(w[0], crtBase);
    const filters = w.slice(1);
    for (const e of loadCrt(file, delExt)) {
      const pos = filters.filter((f) => !f.startsWith('!')).map((f) => f.toLowerCase());
      if (pos.length) e.names = pos;
      e.excluded = filters.filter((f) => f.startsWith('!')).map((f) => f.slice(1).toLowerCase());
      e.opts = opts;
      out.push(e);
    }
  }
  return out;
}
