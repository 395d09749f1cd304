/**
 * `npm run bench`: tshaproxy beside HAProxy 2.6, node-http-proxy, a bare Node net
 * pipe and the direct path, behind one nginx origin, loaded by wrk; prints one
 * table of medians with the ratios and goals.
 *
 *   npm run bench [-- --quick] [--only a,b] [--subjects a,b] [--json FILE]
 *                 [--markdown] [--runs N] [--duration S] [--prof] [--list]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, markdownTable, summaryMarkdown, textTable } from './lib/report.js';
import { childNofile, choosePinning, have, versionOf } from './lib/proc.js';
import { NGINX, startOrigin, type Origin } from './lib/origin.js';
import { formatProfile, readProfileDir, summariseProfile, type ProfileSummary } from './lib/profile.js';
import type { Context, Row, Scenario } from './lib/scenario.js';
import { root, SUBJECTS, type SubjectName } from './lib/subjects.js';
import { scenarios } from './scenarios/index.js';
import { ensureTools } from './lib/tools.js';

export { generateBigConfig } from './lib/configs.js';

export interface Options {
  quick: boolean;
  only: string[] | null;
  subjects: SubjectName[] | null;
  json: string | null;
  markdown: boolean;
  prof: boolean;
  runs: number | null;
  duration: number | null;
  list: boolean;
  help: boolean;
  keep: boolean;
  /** render a previous --json file instead of running */
  from: string | null;
}

const USAGE = `usage: npm run bench -- [options]
  --quick            short runs (3 x 1 s per subject, no warm-up, no net pipe
                     unless --subjects names it; whole suite < 2 min)
  --only a,b         scenarios to run (see --list)
  --subjects a,b     proxies to run: ${SUBJECTS.join(', ')}
  --runs N           runs per subject (default 5, --quick 3; at least 3 advised)
  --duration S       seconds per wrk run (default 3, --quick 1)
  --json FILE        write the results (rows, ratios, goals, machine) as JSON
  --markdown         print the tables as markdown: a one-line-per-scenario summary
                     (the README's Performance table) and the details
  --prof             CPU profile of tshaproxy under the keep-alive scenario (or the
                     first --only traffic scenario): top 20 functions by self time
  --from FILE        print the table of an earlier --json FILE (no run); with
                     --markdown for the README
  --keep             keep the temp dir (configs, nginx logs, profiles)
  --list             list the scenarios`;

export function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, only: null, subjects: null, json: null, markdown: false, prof: false, runs: null, duration: null, list: false, help: false, keep: false, from: null };
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const take = () => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--quick':
        o.quick = true;
        break;
      case '--markdown':
        o.markdown = true;
        break;
      case '--prof':
        o.prof = true;
        break;
      case '--list':
        o.list = true;
        break;
      case '--keep':
        o.keep = true;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '--json':
        o.json = take();
        break;
      case '--from':
        o.from = take();
        break;
      case '--only':
        o.only = take().split(',').map((s) => s.trim()).filter(Boolean);
        break;
      case '--subjects': {
        const names = take().split(',').map((s) => s.trim()).filter(Boolean);
        const bad = names.filter((n) => !(SUBJECTS as readonly string[]).includes(n));
        if (bad.length) throw new Error(`unknown subject(s) ${bad.join(', ')}; known: ${SUBJECTS.join(', ')}`);
        o.subjects = names as SubjectName[];
        break;
      }
      case '--runs':
        o.runs = Number(take());
        if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs needs a positive integer');
        break;
      case '--duration':
        o.duration = Number(take());
        if (!Number.isInteger(o.duration) || o.duration < 1) throw new Error('--duration needs whole seconds >= 1');
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

/** Which scenarios run: --only, else all (the quick subset with --quick); --prof: one traffic scenario. */
export function selectScenarios(o: Options, all: Scenario[] = scenarios): Scenario[] {
  if (o.only) {
    const bad = o.only.filter((n) => !all.some((s) => s.name === n));
    if (bad.length) throw new Error(`unknown scenario(s) ${bad.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
  }
  let list = o.only ? all.filter((s) => o.only!.includes(s.name)) : o.quick ? all.filter((s) => s.quick) : all;
  if (o.prof) {
    const t = list.find((s) => s.traffic) ?? all.find((s) => s.name === 'keepalive')!;
    list = [t];
  }
  return list;
}

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

export async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (o.list) {
    for (const s of scenarios) process.stdout.write(`${s.name.padEnd(14)} ${s.title}${s.quick ? '' : '  (not in --quick)'}\n`);
    return 0;
  }
  if (o.from) {
    const saved = JSON.parse(readFileSync(o.from, 'utf8')) as { date: string; rows: Row[]; machine?: { pinning?: string } };
    const used = scenarios.filter((s) => saved.rows.some((r) => r.scenario === s.name));
    const table = o.markdown ? `${summaryMarkdown(saved.rows, used)}\n\nDetails:\n\n${markdownTable(saved.rows, used)}` : textTable(saved.rows, used);
    process.stdout.write(`results of ${saved.date}${saved.machine?.pinning ? `; ${saved.machine.pinning}` : ''}\n\n${table}\n`);
    return 0;
  }
  let list: Scenario[];
  try {
    list = selectScenarios(o);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-bench-'));
  const pin = choosePinning();
  const nofile = childNofile();
  const log = (m: string) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${m}\n`);
  ensureTools(log);
  // --quick leaves out the net pipe (a reference, not a goal) to stay under 2 minutes
  const subjects = new Set<SubjectName>(o.prof ? ['tshaproxy'] : (o.subjects ?? SUBJECTS.filter((s) => !o.quick || s !== 'net-pipe')));
  const ctx: Context = {
    quick: o.quick,
    runs: o.prof ? 1 : (o.runs ?? (o.quick ? 3 : 5)),
    durationS: o.duration ?? (o.prof ? (o.quick ? 5 : 15) : o.quick ? 1 : 3),
    warmupS: o.quick || o.prof ? 0 : 2,
    dir,
    pin,
    origin: null,
    nofile,
    subjects,
    results: [],
    profDir: o.prof ? join(dir, 'prof') : undefined,
    log,
  };
  const load0 = loadavg();
  const machine = {
    cores: availableParallelism(),
    node: process.version,
    haproxy: have('haproxy') ? versionOf('haproxy', ['-v'], /version (\S+)/) : 'absent',
    nginx: have(NGINX) ? versionOf(NGINX, ['-v'], /nginx\/(\S+)/) : 'absent',
    wrk: have('wrk') ? versionOf('wrk', ['-v'], /wrk (\S+)/) : 'absent',
    nofile,
    pinning: pin.text,
  };
  log(`${list.map((s) => s.name).join(', ')}; ${ctx.runs} run(s) x ${ctx.durationS} s; ${pin.text}; load average ${load0}`);
  const rows: Row[] = [];
  let origin: Origin | null = null;
  let profile: (ProfileSummary & { file: string }) | null = null;
  try {
    const needOrigin = list.some((s) => s.name !== 'check' && s.name !== 'websocket');
    if (needOrigin) {
      if (!have('wrk')) log('wrk not on PATH: traffic scenarios report n/a');
      try {
        origin = await startOrigin(dir, pin.load, nofile);
        log(`nginx origin on 127.0.0.1:${origin.port} (pinned: ${pin.load ?? 'no'})`);
      } catch (e) {
        log((e as Error).message);
      }
    }
    ctx.origin = have('wrk') ? origin : null;
    for (const sc of list) {
      try {
        rows.push(...(await sc.run(ctx)));
        ctx.results = rows;
      } catch (e) {
        log(`${sc.name} failed: ${(e as Error).stack ?? e}`);
        rows.push({ scenario: sc.name, title: sc.title, subject: 'tshaproxy', label: 'tshaproxy', status: 'n/a', reason: `bench error: ${(e as Error).message}`, primary: sc.primary, runs: [] });
      }
    }
    const served = rows.some((r) => r.subject === 'tshaproxy' && r.status === 'ok');
    if (ctx.profDir && !served) log('no CPU profile: tshaproxy did not serve the scenario');
    if (ctx.profDir && served) {
      try {
        const p = readProfileDir(ctx.profDir);
        if (p) profile = { ...summariseProfile(p.profile, 20), file: p.file };
        else log('no CPU profile was written (did tshaproxy start and exit cleanly on SIGTERM?)');
      } catch (e) {
        log(`no CPU profile: ${(e as Error).message}`);
      }
    }
  } finally {
    await origin?.stop();
  }
  const load1 = loadavg();
  const head = [
    `tshaproxy bench, ${new Date().toISOString()}${o.quick ? ' (--quick)' : ''}: ${ctx.runs} run(s) per subject, ${ctx.durationS} s each, medians; subjects alternate run by run`,
    `machine: ${machine.cores} cores, node ${machine.node}, haproxy ${machine.haproxy} (nbthread 1), nginx ${machine.nginx} (1 worker), wrk ${machine.wrk} (-t1), ulimit -n ${nofile}`,
    `pinning: ${pin.text}`,
    `load average at start ${load0}, at end ${load1} (other work on the machine skews the figures)`,
  ];
  const table = o.markdown ? `Summary (for the README):\n\n${summaryMarkdown(rows, list)}\n\nDetails:\n\n${markdownTable(rows, list)}` : textTable(rows, list);
  process.stdout.write(`${head.join('\n')}\n\n${table}\n`);
  if (profile) process.stdout.write(`\n${formatProfile(profile, root)}\n\nprofile file: ${profile.file}\n`);
  if (o.json) {
    writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), options: o, machine, loadavg: { start: load0, end: load1 }, runs: ctx.runs, durationS: ctx.durationS, rows, comparisons: compare(rows, list), profile }, null, 2) + '\n');
    log(`wrote ${o.json}`);
  }
  // --prof keeps its directory: the .cpuprofile opens in Chrome DevTools
  if (o.keep || profile) log(`temp dir kept: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return 0;
}

if (process.argv[1] && /run\.[jt]s$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
