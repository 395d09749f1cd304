/**
 * Runs a scenario against a subject (tshaproxy, HAProxy, or any program
 * started from a config path), on fresh ports, and compares two subjects'
 * runs step by step. Every process and socket is stopped in `finally`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfSignedCert } from './certs.js';
import { checkExpect, compareObservations, normalizePorts, type FieldDiff } from './expect.js';
import type { ChildProcess } from 'node:child_process';
import { freePorts, startChild, waitListening, which, withTimeout, wrapChild, type Child } from './procs.js';
import type { Observation, RunContext, Scenario } from './scenario.js';
import { createServer, type BackendServer } from './servers.js';

/** The project root (this file runs from dist/test/harness/). */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Something that serves a haproxy.cfg: started from the config path, stopped
 * by the runner. `start` may return a plain ChildProcess (it is then killed
 * with SIGTERM, SIGKILL after 2 s) or a Child from startChild.
 */
export interface Subject {
  name: string;
  start(cfgPath: string, opts: { cwd: string }): Child | ChildProcess;
}

export function tshaproxySubject(): Subject {
  const bin = join(projectRoot, 'bin', 'tshaproxy');
  return { name: 'tshaproxy', start: (cfg, o) => startChild(process.execPath, [bin, '-db', '-f', cfg], { cwd: o.cwd, maxLifetimeS: 300 }) };
}

/** HAProxy from $HAPROXY_BIN or PATH (or /usr/sbin); undefined when there is none or HAPROXY_BIN=none. */
export function haproxySubject(): (Subject & { bin: string }) | undefined {
  if (process.env.HAPROXY_BIN === 'none') return undefined;
  const bin = process.env.HAPROXY_BIN || which('haproxy') || (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : undefined);
  if (!bin) return undefined;
  return { name: 'haproxy', bin, start: (cfg, o) => startChild(bin, ['-db', '-f', cfg], { cwd: o.cwd, maxLifetimeS: 300 }) };
}

export interface StepRun {
  name: string;
  obs: Observation;
  failures: string[];
}

export interface ScenarioRun {
  scenario: string;
  subject: string;
  steps: StepRun[];
  /** The proxy did not start, or the servers could not. */
  setupError?: string;
  /** The proxy's stdout/stderr. */
  output: string;
  ports: Record<string, number>;
}

export const failed = (r: ScenarioRun) => !!r.setupError || r.steps.some((s) => s.failures.length > 0);

const PLACEHOLDER = /\{\{([A-Za-z_][\w.-]*)\}\}/g;

export function placeholders(config: string): string[] {
  return [...new Set([...config.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

export interface RunOptions {
  /** Aborting stops the proxy and servers at once. */
  signal?: AbortSignal;
}

export async function runScenario(sc: Scenario, subject: Subject, opts: RunOptions = {}): Promise<ScenarioRun> {
  const serverNames = new Set(sc.servers.map((s) => s.name));
  const names = placeholders(sc.config).filter((n) => n !== 'tmp' && n !== 'cert');
  const frontends = names.filter((n) => !serverNames.has(n));
  const portNames = [...serverNames, ...frontends];
  const nums = await freePorts(portNames.length);
  const ports: Record<string, number> = Object.fromEntries(portNames.map((n, i) => [n, nums[i]!]));
  const tmp = mkdtempSync(join(tmpdir(), 'tshaproxy-scn-'));
  const run: ScenarioRun = { scenario: sc.name, subject: subject.name, steps: [], output: '', ports };
  const servers: Record<string, BackendServer> = {};
  // Ends whatever a step still waits on (pauses) when the run is aborted or over.
  const stepsDone = new AbortController();
  const ctx: RunContext = { ports, servers, conns: new Map(), tmp, signal: stepsDone.signal };
  let child: Child | undefined;
  let abortStep: (e: Error) => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => (abortStep = reject));
  aborted.catch(() => undefined);
  const onAbort = () => {
    abortStep(new Error('aborted'));
    stepsDone.abort();
    void child?.stop(200);
    for (const s of Object.values(servers)) void s.stop();
    for (const c of ctx.conns.values()) c.destroy();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const cfg = sc.config.replace(PLACEHOLDER, (m, n: string) =>
      n === 'tmp' ? tmp : n === 'cert' ? selfSignedCert().pemPath : ports[n] !== undefined ? String(ports[n]) : m,
    );
    const cfgPath = join(tmp, 'haproxy.cfg');
    writeFileSync(cfgPath, cfg);
    try {
      for (const spec of sc.servers) {
        servers[spec.name] = createServer(spec, ports[spec.name]!);
        await servers[spec.name]!.start();
      }
      const started = subject.start(cfgPath, { cwd: tmp });
      child = 'stop' in started ? started : wrapChild(started);
      await waitListening(frontends.map((n) => ports[n]!), sc.startTimeoutMs ?? 5000, child);
    } catch (e) {
      run.setupError = (e as Error).message;
    }
    for (const step of sc.steps) {
      if (opts.signal?.aborted || run.steps.some((s) => s.obs.error === 'aborted')) {
        run.steps.push({ name: step.name, obs: { error: 'aborted' }, failures: ['aborted'] });
        continue;
      }
      if (run.setupError) {
        run.steps.push({ name: step.name, obs: { error: 'setup failed' }, failures: [`setup failed: ${run.setupError}`] });
        continue;
      }
      let obs: Observation;
      try {
        obs = await withTimeout(Promise.race([step.act(ctx), aborted]), step.timeoutMs ?? 5000, `step "${step.name}"`);
      } catch (e) {
        obs = { error: (e as Error).message };
      }
      obs = normalizePorts(obs, ports);
      const failures = checkExpect(obs, step.expect);
      if (obs.error && /^timeout after|^no port|^aborted/.test(obs.error)) failures.push(obs.error);
      run.steps.push({ name: step.name, obs, failures });
    }
  } finally {
    stepsDone.abort();
    opts.signal?.removeEventListener('abort', onAbort);
    for (const c of ctx.conns.values()) c.destroy();
    if (child) {
      await child.stop();
      run.output = child.output();
    }
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    rmSync(tmp, { recursive: true, force: true });
  }
  if (run.setupError && run.output) {
    const lines = run.output.trim().split('\n');
    const telling = lines.filter((l) => /ALERT|Error|error/.test(l));
    run.setupError += `\n${(telling.length ? telling : lines).slice(0, 8).join('\n')}`;
  }
  return run;
}

// ---- allowed differences -------------------------------------------------

export interface Allowed {
  scenario: string;
  step: string;
  field: string;
  reason: string;
}

/** Reads `scenario<TAB>step<TAB>field<TAB>reason` rows ('#' comments; `*` matches anything, `headers.*` a prefix). */
export function loadAllowList(path: string): Allowed[] {
  if (!existsSync(path)) return [];
  const out: Allowed[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [scenario = '', step = '', field = '', reason = ''] = line.split('\t');
    if (!reason.trim()) throw new Error(`${path}: a row without a reason: ${line}`);
    out.push({ scenario, step, field, reason });
  }
  return out;
}

function glob(pattern: string, value: string): boolean {
  if (pattern === '*' || pattern === value) return true;
  return pattern.endsWith('*') && value.startsWith(pattern.slice(0, -1));
}

export function allowedReason(list: Allowed[], scenario: string, step: string, field: string): string | undefined {
  const id = scenario.split(/[ :]/)[0]!;
  return list.find((a) => (glob(a.scenario, scenario) || a.scenario === id) && glob(a.step, step) && glob(a.field, field))?.reason;
}

export interface StepDiff {
  step: string;
  diffs: (FieldDiff & { allowed?: string })[];
  a: Observation;
  b: Observation;
}

/** Differences between two runs of one scenario, step by step (steps without any are left out). */
export function diffRuns(sc: Scenario, a: ScenarioRun, b: ScenarioRun, allow: Allowed[] = []): StepDiff[] {
  const out: StepDiff[] = [];
  if (a.setupError || b.setupError) {
    if (!!a.setupError !== !!b.setupError)
      out.push({ step: '(start)', diffs: [{ field: 'start', a: a.setupError ?? 'ok', b: b.setupError ?? 'ok' }], a: {}, b: {} });
    return out;
  }
  sc.steps.forEach((step, i) => {
    const sa = a.steps[i];
    const sb = b.steps[i];
    if (!sa || !sb) return;
    const diffs = compareObservations(sa.obs, sb.obs, step).map((d) => ({ ...d, allowed: allowedReason(allow, sc.name, step.name, d.field) }));
    if (diffs.length) out.push({ step: step.name, diffs, a: sa.obs, b: sb.obs });
  });
  return out;
}

// ---- report -------------------------------------------------------------

const clip = (v: unknown, n = 60) => {
  const s = v === undefined ? '-' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
};

/** A text report: for each step PASS / FAIL (reasons) / DIFFERS (fields side by side). */
export function formatReport(sc: Scenario, runs: ScenarioRun[], diffs?: StepDiff[], verbose = false): string {
  const lines: string[] = [`scenario ${sc.name}${sc.pending ? `  [pending: ${sc.pending}]` : ''}`];
  for (const r of runs) if (r.setupError) lines.push(`  ${r.subject}: SETUP FAILED: ${r.setupError.split('\n').join('\n    ')}`);
  const [a, b] = runs;
  sc.steps.forEach((step, i) => {
    const parts: string[] = [];
    for (const r of runs) {
      const s = r.steps[i];
      if (s && s.failures.length) parts.push(r.setupError ? `FAIL on ${r.subject} (did not start)` : `FAIL on ${r.subject}: ${s.failures.join('; ')}`);
    }
    const d = diffs?.find((x) => x.step === step.name);
    const open = d?.diffs.filter((x) => !x.allowed) ?? [];
    const verdict = parts.length ? 'FAIL   ' : open.length ? `DIFFERS from ${b?.subject ?? 'the other'}` : 'PASS   ';
    lines.push(`  ${verdict} ${step.name}`);
    for (const p of parts) lines.push(`          ${p}`);
    if (d && a && b) {
      lines.push(`          ${'field'.padEnd(28)} ${a.subject.padEnd(60)} ${b.subject}`);
      for (const x of d.diffs) lines.push(`          ${x.field.padEnd(28)} ${clip(x.a).padEnd(60)} ${clip(x.b)}${x.allowed ? `   (allowed: ${x.allowed})` : ''}`);
    }
    if (verbose) for (const r of runs) lines.push(`          ${r.subject}: ${JSON.stringify(r.steps[i]?.obs)}`);
  });
  return lines.join('\n');
}
