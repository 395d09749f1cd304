/**
 * Runs `tshaproxy -c --strict` over every configuration of the shared corpus
 * (../shared/corpus, beside the project) and compares with HAProxy 2.6.12's
 * verdicts in manifest.jsonl: the exit code, and the file:line of each ALERT.
 *
 * Each config is checked in this process, from its own folder, with the
 * environment reduced to PATH, as the corpus README says the verdicts were
 * made. `node dist/test/corpus/conformance.js [--write] [filter]` prints the
 * figures; --write refreshes test/corpus/disagreements.tsv.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConfig } from '../../src/config/check.js';
import type { ParseOptions } from '../../src/config/registry.js';
import { renderLine, renderText, type Diagnostic } from '../../src/parser/diagnostics.js';

const here = dirname(fileURLToPath(import.meta.url));
export const projectRoot = resolve(here, '..', '..', '..');
export const corpusDir = resolve(projectRoot, '..', 'shared', 'corpus');

export interface Entry {
  file: string;
  cwd: string;
  exit: number | 'timeout';
  alerts: string[];
  warnings?: string[];
  args?: string[];
  output: string;
}

export interface Outcome {
  file: string;
  haproxyExit: number;
  ourExit: number;
  /** HAProxy's alert positions (corpus-relative file:line) */
  theirs: string[];
  ours: string[];
  missing: string[];
  ourAlerts: string[];
  /** HAProxy's alert lines (whole text, PID aside) that tshaproxy prints identically */
  textsSame: number;
  texts: number;
  /** alert positions tshaproxy reports that HAProxy does not */
  extra: string[];
  /** HAProxy's warnings printed identically, out of `warnings`; `ourWarnings` counts ours */
  warningsSame: number;
  warnings: number;
  ourWarnings: number;
  /** HAProxy's warnings tshaproxy does not print, and ours HAProxy does not */
  missingWarnings: string[];
  extraWarnings: string[];
}

export function loadManifest(): Entry[] {
  return readFileSync(join(corpusDir, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const POS = /\[([^\]\s]+):(\d+)\]/;

export function alertPositions(alerts: string[]): string[] {
  const out = new Set<string>();
  for (const a of alerts) {
    const m = POS.exec(a.split('\n')[0]);
    if (m) out.add(`${m[1]}:${m[2]}`);
  }
  return [...out];
}

function optsFor(e: Entry): ParseOptions {
  const args = e.args ?? [];
  const L = args.indexOf('-L');
  const env: Record<string, string | undefined> = { PATH: process.env.PATH };
  return {
    strict: true,
    version: '2.6.12',
    getenv: (n) => env[n],
    localPeer: L >= 0 ? args[L + 1] : 'vm',
    ignoreResolveErrors: args.includes('-dr'),
    masterWorker: args.includes('-W'),
    supportWarnings: false,
  };
}

export async function runOne(e: Entry): Promise<Outcome> {
  const cwd0 = process.cwd();
  const dir = join(corpusDir, e.cwd);
  const rel = e.file.slice(e.cwd.length + (e.cwd ? 1 : 0));
  process.chdir(dir);
  const opts = optsFor(e);
  const envSave = { ...process.env };
  let res;
  try {
    res = await checkConfig([rel], opts);
  } finally {
    process.chdir(cwd0);
    for (const k of Object.keys(process.env)) if (!(k in envSave)) delete process.env[k];
    Object.assign(process.env, envSave);
  }
  const prefix = e.cwd ? `${e.cwd}/` : '';
  const printed = res.diags.alerts.filter((d) => !d.muted);
  const ourAlerts = printed.map((d) => {
    const t = renderText(d);
    return t.replace(/\[([^\]\s:]+):(\d+)\]/, (_m, f, l) => `[${prefix}${f}:${l}]`);
  });
  const theirs = alertPositions(e.alerts);
  const ours = alertPositions(ourAlerts);
  const oursSet = new Set(ours);
  // exact texts: HAProxy's lines against ours rendered the same way (each of ours used once); the
  // manifest names files from the corpus root, and HAProxy's trailing empty lines are not in it
  const render = (d: Diagnostic) =>
    renderLine(d, 'PID').replace(/\n+$/, '').split(rel).join(`${prefix}${rel}`).split(`${prefix}${prefix}`).join(prefix);
  const same = (theirsList: string[], oursList: string[], unmatched?: string[]) => {
    let n = 0;
    for (const a0 of theirsList) {
      const a = a0.replace(/\n+$/, '');
      // the manifest keeps the first line of a message whose text breaks a line (continuation aside)
      let i = oursList.indexOf(a);
      if (i < 0 && !a.includes('\n')) i = oursList.findIndex((l) => l.split('\n')[0] === a && !l.includes('\n   |'));
      if (i >= 0) {
        n++;
        oursList.splice(i, 1);
      } else unmatched?.push(a);
    }
    return n;
  };
  const textsSame = same(e.alerts, printed.map(render));
  const theirWarnings = e.warnings ?? [];
  const ourWarnings = res.diags.warnings.filter((d) => !d.muted).map(render);
  const missingWarnings: string[] = [];
  const extraWarnings = [...ourWarnings];
  const warningsSame = same(theirWarnings, extraWarnings, missingWarnings);
  return {
    file: e.file,
    haproxyExit: e.exit as number,
    ourExit: res.exit,
    theirs,
    ours,
    missing: theirs.filter((p) => !oursSet.has(p)),
    ourAlerts,
    textsSame,
    texts: e.alerts.length,
    warningsSame,
    warnings: theirWarnings.length,
    ourWarnings: ourWarnings.length,
    missingWarnings,
    extraWarnings,
    extra: ours.filter((p) => !theirs.includes(p)),
  };
}

export interface Summary {
  total: number;
  exitAgree: number;
  positions: number;
  positionsFound: number;
  texts: number;
  textsSame: number;
  extra: number;
  warnings: number;
  warningsSame: number;
  ourWarnings: number;
  outcomes: Outcome[];
}

export async function runCorpus(filter?: string): Promise<Summary> {
  const entries = loadManifest().filter((e) => e.exit !== 'timeout' && (!filter || e.file.includes(filter)));
  const outcomes: Outcome[] = [];
  for (const e of entries) outcomes.push(await runOne(e));
  let exitAgree = 0;
  let positions = 0;
  let found = 0;
  let texts = 0;
  let textsSame = 0;
  let extra = 0;
  let warnings = 0;
  let warningsSame = 0;
  let ourWarnings = 0;
  for (const o of outcomes) {
    extra += o.extra.length;
    warnings += o.warnings;
    warningsSame += o.warningsSame;
    ourWarnings += o.ourWarnings;
    if (o.haproxyExit === o.ourExit) exitAgree++;
    positions += o.theirs.length;
    found += o.theirs.length - o.missing.length;
    texts += o.texts;
    textsSame += o.textsSame;
  }
  return { total: outcomes.length, exitAgree, positions, positionsFound: found, texts, textsSame, extra, warnings, warningsSame, ourWarnings, outcomes };
}

export const disagreementsFile = join(projectRoot, 'test', 'corpus', 'disagreements.tsv');

/** file → reason, from the tracked list */
export function loadReasons(): Map<string, string> {
  const m = new Map<string, string>();
  if (!existsSync(disagreementsFile)) return m;
  for (const line of readFileSync(disagreementsFile, 'utf8').split('\n')) {
    if (!line || line.startsWith('#') || line.startsWith('file\t')) continue;
    const [file, , , reason] = line.split('\t');
    m.set(file, reason ?? '');
  }
  return m;
}

export function isDisagreement(o: Outcome): boolean {
  return o.haproxyExit !== o.ourExit || o.missing.length > 0;
}

async function cli(): Promise<void> {
  const write = process.argv.includes('--write');
  const verbose = process.argv.includes('-v');
  const filter = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const t0 = Date.now();
  const s = await runCorpus(filter);
  const reasons = loadReasons();
  const rows: string[] = [];
  for (const o of s.outcomes) {
    if (!isDisagreement(o)) continue;
    const what = o.haproxyExit !== o.ourExit ? `exit ${o.haproxyExit} vs ${o.ourExit}` : 'exit agrees';
    const miss = o.missing.length ? `missing alerts at ${o.missing.join(' ')}` : '';
    rows.push(`${o.file}\t${what}\t${miss}\t${reasons.get(o.file) ?? 'TODO'}`);
    if (verbose) {
      console.log(`--- ${o.file}: ${what} ${miss}`);
      for (const a of o.ourAlerts) console.log(`  ours: ${a.split('\n')[0]}`);
      const e = loadManifest().find((x) => x.file === o.file)!;
      for (const a of e.alerts) console.log(`  haproxy: ${a.split('\n')[0]}`);
    }
  }
  if (verbose) for (const o of s.outcomes) if (o.extra.length) console.log(`extra alerts in ${o.file}: ${o.extra.join(' ')}`);
  if (verbose)
    for (const o of s.outcomes) {
      for (const w of o.missingWarnings) console.log(`missing warning in ${o.file}: ${w.split('\n')[0]}`);
      for (const w of o.extraWarnings) console.log(`extra warning in ${o.file}: ${w.split('\n')[0]}`);
    }
  console.log(
    `configs: ${s.total}  exit agrees: ${s.exitAgree} (${((100 * s.exitAgree) / s.total).toFixed(2)}%)  ` +
      `alert positions: ${s.positionsFound}/${s.positions} (${((100 * s.positionsFound) / Math.max(1, s.positions)).toFixed(2)}%)  ` +
      `disagreements: ${rows.length}  alert texts identical: ${s.textsSame}/${s.texts}  extra alert positions: ${s.extra}  warnings identical: ${s.warningsSame}/${s.warnings} (ours: ${s.ourWarnings})  time: ${Date.now() - t0} ms`,
  );
  if (write && !filter) {
    writeFileSync(
      disagreementsFile,
      '# Where tshaproxy -c --strict disagrees with HAProxy 2.6.12 on the shared corpus, and why.\n' +
        '# Regenerate with: npm run corpus -- --write (reasons are kept by file name).\n' +
        'file\texit\talerts\treason\n' +
        rows.join('\n') +
        '\n',
    );
  }
}

if (process.argv[1] && basename(process.argv[1]) === 'conformance.js' && !process.env.NODE_TEST_CONTEXT) void cli();
