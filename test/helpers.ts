/** What the configuration tests share: HAProxy 2.6's strict options and a check of an inline config. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig } from '../src/config/check.js';
import type { ParseOptions } from '../src/config/registry.js';
import { renderText } from '../src/parser/diagnostics.js';

export function strictOptions(extra: Partial<ParseOptions> = {}): ParseOptions {
  return {
    strict: true,
    version: '2.6.12',
    getenv: (n) => process.env[n],
    localPeer: 'vm',
    ignoreResolveErrors: false,
    masterWorker: false,
    supportWarnings: false,
    ...extra,
  };
}

/** Writes `text` to a fresh temp dir and checks it; lines are rendered with the file name shown as F. */
export async function checkText(text: string, extra: Partial<ParseOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-test-'));
  const file = join(dir, 'h.cfg');
  writeFileSync(file, text);
  const res = await checkConfig([file], strictOptions(extra));
  const lines = res.diags.list.map((d) => renderText(d).split(file).join('F'));
  return { res, lines, dir };
}

/**
 * Writes `text` as h.cfg (and the other `files`) in a fresh temp dir and
 * checks it from that directory, so relative paths and file names in
 * messages are short; `lines` are "severity: rendered text".
 */
export async function checkInDir(text: string, extra: Partial<ParseOptions> = {}, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-test-'));
  for (const [n, t] of Object.entries(files)) writeFileSync(join(dir, n), t);
  writeFileSync(join(dir, 'h.cfg'), text);
  const res = await checkAt(dir, ['h.cfg'], strictOptions(extra));
  return { res, dir, exit: res.exit, lines: res.diags.list.map((d) => `${d.severity}: ${renderText(d)}`) };
}

/** Checks `paths` from directory `dir` (the working directory is restored after). */
export async function checkAt(dir: string, paths: string[], opts: ParseOptions) {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return await checkConfig(paths, opts);
  } finally {
    process.chdir(cwd);
  }
}
