/**
 * Summary of a V8 .cpuprofile (what `node --cpu-prof` writes): self time per
 * function (name, file, line), the top N, so the next optimisation starts from data.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber?: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  functionName: string;
  url: string;
  /** 1-based, as editors show it (0 when unknown) */
  line: number;
  selfMs: number;
  /** share of the busy (non-idle) time */
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  top: SelfTime[];
}

/** V8's pseudo-frames that are not code of ours: kept apart from the ranking or out of it. */
const IDLE = '(idle)';
const ROOT = '(root)';

/**
 * Sample i lasts until sample i+1 (as DevTools reads it), so it owns timeDeltas[i+1];
 * the last one runs to endTime. Self time is summed per call frame, merging the
 * many nodes that share one function (one per distinct call path).
 */
export function summariseProfile(p: CpuProfile, topN = 20): ProfileSummary {
  const byId = new Map<number, CallFrame>();
  for (const n of p.nodes) byId.set(n.id, n.callFrame);
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  const self = new Map<string, SelfTime>();
  let t = p.startTime;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    const next = i + 1 < samples.length ? t + (deltas[i + 1] ?? 0) : p.endTime;
    const us = Math.max(0, next - t);
    const cf = byId.get(samples[i]);
    if (!cf) continue;
    total += us;
    if (cf.functionName === IDLE) {
      idle += us;
      continue;
    }
    if (cf.functionName === ROOT) continue;
    const name = cf.functionName || '(anonymous)';
    const line = cf.url ? cf.lineNumber + 1 : 0;
    const key = `${name}\u0000${cf.url}\u0000${line}`;
    let e = self.get(key);
    if (!e) self.set(key, (e = { functionName: name, url: cf.url, line, selfMs: 0, percent: 0 }));
    e.selfMs += us / 1000;
  }
  const busyMs = (total - idle) / 1000;
  const top = [...self.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, topN);
  for (const e of top) e.percent = busyMs > 0 ? (100 * e.selfMs) / busyMs : 0;
  return { totalMs: total / 1000, idleMs: idle / 1000, busyMs, top };
}

/** Shortens file:// URLs under `root` to relative paths for the printout. */
export function shortUrl(url: string, root: string): string {
  const u = url.replace(/^file:\/\//, '');
  if (u.startsWith(root + '/')) return u.slice(root.length + 1);
  if (u.startsWith('node:')) return u;
  const nm = u.lastIndexOf('/node_modules/');
  return nm >= 0 ? u.slice(nm + 1) : u;
}

export function formatProfile(s: ProfileSummary, root: string): string {
  const lines = [
    `CPU profile: ${s.totalMs.toFixed(0)} ms sampled, ${s.idleMs.toFixed(0)} ms idle, ${s.busyMs.toFixed(0)} ms busy; top ${s.top.length} by self time:`,
    '',
    '| # | self ms | % busy | function | where |',
    '| --- | --- | --- | --- | --- |',
  ];
  s.top.forEach((e, i) => {
    const where = e.url ? `${shortUrl(e.url, root)}:${e.line}` : '(native/VM)';
    lines.push(`| ${i + 1} | ${e.selfMs.toFixed(1)} | ${e.percent.toFixed(1)} | ${e.functionName} | ${where} |`);
  });
  return lines.join('\n');
}

/** The newest .cpuprofile written into `dir`, parsed; null when none. */
export function readProfileDir(dir: string): { file: string; profile: CpuProfile } | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  if (!files.length) return null;
  const file = join(dir, files[files.length - 1]);
  return { file, profile: JSON.parse(readFileSync(file, 'utf8')) as CpuProfile };
}
