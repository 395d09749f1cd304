/**
 * wrk as the load generator: one thread, bounded duration, results read from a Lua
 * `done` hook (exact counts and latency percentiles), with wrk's own text report as
 * the fallback parse.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  requests: number;
  bytes: number;
  durationUs: number;
  /** requests per second */
  rps: number;
  /** MiB read per second (headers + bodies, as wrk counts) */
  mibps: number;
  p50Ms: number;
  p99Ms: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

export interface WrkRun {
  url: string;
  connections: number;
  durationS: number;
  headers?: string[];
  /** core to pin wrk to (taskset), or null */
  core: string | null;
  /** where to put the Lua script */
  dir: string;
}

const MARK = 'BENCH-DONE ';

/** The Lua hook: only `done`, so wrk keeps its fast path (no per-request Lua). */
export const doneScript = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("${MARK}%d %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.bytes, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
`;

function finish(requests: number, bytes: number, durationUs: number, p50Us: number, p99Us: number, errors: WrkResult['errors']): WrkResult {
  const s = durationUs / 1e6;
  return {
    requests,
    bytes,
    durationUs,
    rps: s > 0 ? requests / s : 0,
    mibps: s > 0 ? bytes / s / 1048576 : 0,
    p50Ms: p50Us / 1000,
    p99Ms: p99Us / 1000,
    errors,
  };
}

/** Reads the line our `done` hook printed; null when absent. */
export function parseDoneLine(out: string): WrkResult | null {
  const i = out.lastIndexOf(MARK);
  if (i < 0) return null;
  const f = out.slice(i + MARK.length).split('\n')[0].trim().split(/\s+/).map(Number);
  if (f.length < 10 || f.some((x) => !Number.isFinite(x))) return null;
  const [requests, bytes, dur, p50, p99, connect, read, write, status, timeout] = f;
  return finish(requests, bytes, dur, p50, p99, { connect, read, write, status, timeout });
}

const timeUnits: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
const sizeUnits: Record<string, number> = { B: 1, KB: 1024, MB: 1048576, GB: 1073741824, TB: 1099511627776 };

function ms(v: string, unit: string): number {
  return Number(v) * (timeUnits[unit] ?? NaN);
}

/**
 * Parses wrk's own text report (`--latency` adds the percentile table). Counts are
 * rounded there, so this is the fallback when the Lua hook line is missing.
 */
export function parseWrkText(out: string): WrkResult | null {
  const req = /(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+)([KMGT]?B) read/.exec(out);
  if (!req) return null;
  const requests = Number(req[1]);
  const durationUs = ms(req[2], req[3]) * 1000;
  const bytes = Number(req[4]) * (sizeUnits[req[5]] ?? 1);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(out);
    return m ? ms(m[1], m[2]) * 1000 : NaN;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = {
    connect: sock ? Number(sock[1]) : 0,
    read: sock ? Number(sock[2]) : 0,
    write: sock ? Number(sock[3]) : 0,
    timeout: sock ? Number(sock[4]) : 0,
    status: non2xx ? Number(non2xx[1]) : 0,
  };
  const r = finish(requests, bytes, durationUs, pct('50'), pct('99'), errors);
  // wrk's own rate line is computed on the exact duration: prefer it
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (rate) r.rps = Number(rate[1]);
  return r;
}

export function totalErrors(r: WrkResult): number {
  const e = r.errors;
  return e.connect + e.read + e.write + e.status + e.timeout;
}

/** Runs wrk (bounded: killed `durationS + 20` s after start); rejects with wrk's output on failure. */
export function runWrk(o: WrkRun): Promise<WrkResult> {
  const script = join(o.dir, 'done.lua');
  writeFileSync(script, doneScript);
  const args = ['-t1', `-c${o.connections}`, `-d${Math.max(1, Math.round(o.durationS))}s`, '--latency', '--timeout', '5s', '-s', script];
  for (const h of o.headers ?? []) args.push('-H', h);
  args.push(o.url);
  const [cmd, argv] = o.core !== null ? ['taskset', ['-c', o.core, 'wrk', ...args]] : ['wrk', args];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    p.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const t = setTimeout(() => p.kill('SIGKILL'), (o.durationS + 20) * 1000);
    p.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.on('close', (code) => {
      clearTimeout(t);
      const r = parseDoneLine(out) ?? parseWrkText(out);
      if (r && code === 0) resolve(r);
      else reject(new Error(`wrk exited ${code}: ${out.trim().split('\n').slice(-3).join(' | ').slice(0, 200)}`));
    });
  });
}
