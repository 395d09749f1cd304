/**
 * Loads the reference tables of data/ (HAProxy 2.6.12's keywords, fetches,
 * converters, matchers, actions, legacy keywords). Parsed once, on first use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

function findDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'data', 'keywords.tsv'))) return join(dir, 'data');
    dir = dirname(dir);
  }
  throw new Error('tshaproxy: data/ folder not found beside the installation');
}

export const DATA_DIR = findDataDir();

export type Row = Record<string, string>;

const texts = new Map<string, string>();

/** The text of a file of data/, read once per process ('' when it is missing). */
export function dataText(name: string): string {
  let t = texts.get(name);
  if (t === undefined) {
    try {
      t = readFileSync(join(DATA_DIR, name), 'utf8');
    } catch {
      t = '';
    }
    texts.set(name, t);
  }
  return t;
}

const cache = new Map<string, Row[]>();

export function table(name: string): Row[] {
  let rows = cache.get(name);
  if (rows) return rows;
  const text = readFileSync(join(DATA_DIR, name), 'utf8');
  const lines = text.split('\n').filter((l) => l.length && !l.startsWith('#'));
  const head = lines[0].split('\t');
  rows = lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const r: Row = {};
    head.forEach((h, i) => (r[h] = cells[i] ?? ''));
    return r;
  });
  cache.set(name, rows);
  return rows;
}
