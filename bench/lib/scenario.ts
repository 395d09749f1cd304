/**
 * What a scenario is, what one row of results holds, and the generic wrk-driven
 * traffic scenario (start every subject, warm up, then alternate subjects run by
 * run so drift hits all alike, medians at the end).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { proxyConfig, type Mode } from './configs.js';
import { benchCertificate } from './tls.js';
import type { Origin } from './origin.js';
import { rssMiB, type Pinning } from './proc.js';
import { runWrk, totalErrors, type WrkResult } from './wrk.js';
import { label, startSubject, subjectsFor, type Running, type SubjectName } from './subjects.js';

/** The figure a scenario is judged on. rps and mibps: higher is better; the others: lower. */
export type Metric = 'rps' | 'mibps' | 'rssGrowth' | 'ms';

export interface Goal {
  vs: 'haproxy' | 'node-http-proxy';
  op: '>=' | '<=';
  ratio: number;
}

export interface Row {
  scenario: string;
  title: string;
  subject: SubjectName;
  label: string;
  status: 'ok' | 'n/a' | 'not yet';
  reason?: string;
  primary: Metric;
  /** the primary metric of each run, in run order */
  runs: number[];
  rps?: number;
  mibps?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** RSS of the proxy process after the runs (median), MiB */
  rssMiB?: number;
  /** CPU the proxy process used during the runs, percent of one core (median) */
  cpuPct?: number;
  rssGrowthMiB?: number;
  perConnKiB?: number;
  /** idle connections actually held (memory scenario) */
  conns?: number;
  /** time for the client holder to get all of them connected (memory scenario), ms */
  connectMs?: number;
  ms?: number;
  /** wrk's error count summed over runs (socket errors + non-2xx) */
  errors?: number;
  requests?: number;
  /** the figures are those of this scenario's identical load (direct path) */
  reused?: string;
}

export interface Context {
  quick: boolean;
  runs: number;
  durationS: number;
  warmupS: number;
  /** temp dir of this bench run */
  dir: string;
  pin: Pinning;
  origin: Origin | null;
  /** fd limit the children get */
  nofile: number;
  /** subjects asked for (--subjects) */
  subjects: Set<SubjectName>;
  /** rows of the scenarios run so far in this bench */
  results: Row[];
  /** --prof: dir for tshaproxy's CPU profile */
  profDir?: string;
  log(msg: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  mode?: Mode;
  primary: Metric;
  goals: Goal[];
  /** part of --quick */
  quick: boolean;
  /** profile-able with --prof (wrk-driven) */
  traffic: boolean;
  run(ctx: Context): Promise<Row[]>;
}

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Run i starts at subject i (mod n): every subject gets every position once in n runs. */
export function rotation<T>(xs: T[], i: number): T[] {
  if (!xs.length) return xs;
  const k = i % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

export function stubScenario(name: string, title: string, primary: Metric, goals: Goal[], why: string): Scenario {
  return {
    name,
    title,
    primary,
    goals,
    quick: false,
    traffic: false,
    async run(ctx) {
      ctx.log(`${name}: not yet (${why})`);
      return [{ scenario: name, title, subject: 'tshaproxy', label: 'tshaproxy', status: 'not yet', reason: why, primary, runs: [] }];
    },
  };
}

export interface TrafficSpec {
  name: string;
  title: string;
  mode: Mode;
  path: string;
  headers?: string[];
  connections: number;
  primary: 'rps' | 'mibps';
  goals: Goal[];
  quick?: boolean;
  subjects?: SubjectName[];
  /**
   * A scenario whose direct-to-nginx load is the same as this one's (same path,
   * headers, connections): its direct row is reused instead of measured again.
   */
  sameDirectAs?: string;
  /** a config for tshaproxy/haproxy other than the one-backend default */
  config?: (ctx: Context, port: number) => string;
  /** clients speak TLS to the proxy (bench/lib/tls.ts makes the certificate); the origin stays plain */
  tls?: boolean;
}

/** A run whose errors exceed this share of its requests does not count. */
const MAX_ERROR_SHARE = 0.05;

export function trafficScenario(spec: TrafficSpec): Scenario {
  return {
    name: spec.name,
    title: spec.title,
    mode: spec.mode,
    primary: spec.primary,
    goals: spec.goals,
    quick: spec.quick ?? true,
    traffic: true,
    run: (ctx) => runTraffic(spec, ctx),
  };
}

async function runTraffic(spec: TrafficSpec, ctx: Context): Promise<Row[]> {
  const origin = ctx.origin;
  let names = (spec.subjects ?? subjectsFor(spec.mode)).filter((s) => ctx.subjects.has(s));
  const rows = new Map<SubjectName, Row>();
  const reuse = spec.sameDirectAs ? ctx.results.find((r) => r.scenario === spec.sameDirectAs && r.subject === 'direct' && r.status === 'ok') : undefined;
  if (reuse && names.includes('direct')) names = names.filter((n) => n !== 'direct');
  for (const n of names) {
    rows.set(n, { scenario: spec.name, title: spec.title, subject: n, label: label(n, spec.mode), status: 'ok', primary: spec.primary, runs: [], errors: 0, requests: 0 });
  }
  if (!origin) {
    for (const r of rows.values()) Object.assign(r, { status: 'n/a', reason: 'no origin' });
    return [...rows.values()];
  }
  const dir = mkdtempSync(join(ctx.dir, `${spec.name}-`));
  let config = spec.config ? (port: number) => spec.config!(ctx, port) : undefined;
  if (spec.tls) {
    const crt = benchCertificate(dir);
    if (typeof crt !== 'string') {
      for (const r of rows.values()) Object.assign(r, { status: 'n/a', reason: crt.why });
      ctx.log(`${spec.name}: n/a: ${crt.why}`);
      return [...rows.values()];
    }
    config ??= (port) => proxyConfig({ mode: spec.mode, port, originPort: origin.port, maxconn: 5000, crt });
  }
  ctx.log(`${spec.name}: starting ${names.join(', ')}`);
  const running: Running[] = await Promise.all(
    names.map((n) =>
      startSubject(n, {
        mode: spec.mode,
        originPort: origin.port,
        dir,
        core: ctx.pin.proxy,
        maxconn: 5000,
        config,
        tls: spec.tls,
        profDir: n === 'tshaproxy' ? ctx.profDir : undefined,
      }),
    ),
  );
  const per = new Map<SubjectName, { wrk: WrkResult[]; rss: number[] }>();
  try {
    const alive = () => running.filter((s) => !s.failure);
    for (const s of running) {
      per.set(s.name, { wrk: [], rss: [] });
      if (s.failure) {
        Object.assign(rows.get(s.name)!, { status: 'n/a', reason: s.failure });
        ctx.log(`${spec.name}: ${s.label} n/a: ${s.failure}`);
      }
    }
    const wrkFor = (s: Running, durationS: number) =>
      runWrk({ url: `${spec.tls ? 'https' : 'http'}://127.0.0.1:${s.port}${spec.path}`, connections: spec.connections, durationS, headers: spec.headers, core: ctx.pin.load, dir });
    // warm-up (JIT, pools, caches), not counted
    if (ctx.warmupS > 0) {
      for (const s of alive()) await wrkFor(s, ctx.warmupS).catch(() => undefined);
    }
    for (let i = 0; i < ctx.runs; i++) {
      for (const s of rotation(alive(), i)) {
        const row = rows.get(s.name)!;
        const fail = (why: string) => {
          s.failure = why;
          Object.assign(row, { status: 'n/a', reason: why });
          ctx.log(`${spec.name}: ${s.label} n/a: ${why}`);
        };
        if (s.child?.exited) {
          fail(`exited (${s.child.exited.code ?? s.child.exited.signal}) during the runs`);
          continue;
        }
        let r: WrkResult;
        try {
          r = await wrkFor(s, ctx.durationS);
        } catch (e) {
          fail((e as Error).message);
          continue;
        }
        const errs = totalErrors(r);
        row.errors! += errs;
        row.requests! += r.requests;
        if (r.requests === 0 || errs > r.requests * MAX_ERROR_SHARE) {
          fail(`run ${i + 1}: ${r.requests} requests, ${errs} errors ${JSON.stringify(r.errors)}`);
          continue;
        }
        const p = per.get(s.name)!;
        p.wrk.push(r);
        if (s.pid !== null) p.rss.push(rssMiB(s.pid));
        row.runs.push(spec.primary === 'rps' ? r.rps : r.mibps);
        ctx.log(`${spec.name} run ${i + 1}/${ctx.runs} ${s.label}: ${r.rps.toFixed(0)} req/s, ${r.mibps.toFixed(1)} MiB/s, p99 ${r.p99Ms.toFixed(2)} ms${errs ? `, ${errs} errors` : ''}`);
      }
    }
  } finally {
    await Promise.all(running.map((s) => s.stop()));
  }
  for (const [n, p] of per) {
    const row = rows.get(n)!;
    if (row.status !== 'ok') continue;
    row.rps = median(p.wrk.map((r) => r.rps));
    row.mibps = median(p.wrk.map((r) => r.mibps));
    row.p50Ms = median(p.wrk.map((r) => r.p50Ms));
    row.p99Ms = median(p.wrk.map((r) => r.p99Ms));
    if (p.rss.length) row.rssMiB = median(p.rss);
  }
  if (reuse && ctx.subjects.has('direct')) rows.set('direct', { ...reuse, scenario: spec.name, title: spec.title, reused: spec.sameDirectAs });
  return [...rows.values()];
}
