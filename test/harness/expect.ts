/** Checking an observation against expectations, and comparing two subjects' observations field by field. */
import type { Expect, Match, Observation, Step } from './scenario.js';

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v instanceof RegExp ? String(v) : JSON.stringify(v));

function matches(actual: string | undefined, want: Match | Buffer): boolean {
  if (actual === undefined) return false;
  if (want instanceof RegExp) return want.test(actual);
  if (Buffer.isBuffer(want)) return actual === want.toString('latin1');
  return actual === want;
}

function headerValue(headers: [string, string][] | undefined, name: string): string | undefined {
  const vals = (headers ?? []).filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  return vals.length ? vals.join(', ') : undefined;
}

function checkHeaders(where: string, headers: [string, string][] | undefined, want: Record<string, Match | null>, out: string[]): void {
  for (const [name, w] of Object.entries(want)) {
    const got = headerValue(headers, name);
    if (w === null) {
      if (got !== undefined) out.push(`${where} ${name}: expected absent, got ${show(got)}`);
    } else if (!matches(got, w)) out.push(`${where} ${name}: expected ${show(w)}, got ${got === undefined ? 'absent' : show(got)}`);
  }
}

/** Failure texts; empty when the observation meets every expectation. */
export function checkExpect(o: Observation, e: Expect | undefined): string[] {
  const out: string[] = [];
  if (!e) return out;
  if (e.status !== undefined && o.status !== e.status) out.push(`status: expected ${e.status}, got ${o.status ?? 'none'}${o.error ? ` (${o.error})` : ''}`);
  if (e.reason !== undefined && o.reason !== e.reason) out.push(`reason: expected ${show(e.reason)}, got ${show(o.reason)}`);
  if (e.headers) checkHeaders('header', o.headers, e.headers, out);
  if (e.body !== undefined && !matches(o.body, e.body)) out.push(`body: expected ${show(Buffer.isBuffer(e.body) ? e.body.toString('latin1') : e.body)}, got ${show(o.body)}`);
  if (e.server !== undefined && o.server !== e.server) out.push(`server: expected ${show(e.server)}, got ${show(o.server ?? null)}${o.error ? ` (${o.error})` : ''}`);
  if (e.received) {
    if (!o.received) out.push('received: the backend did not echo a request');
    else {
      if (e.received.line !== undefined && !matches(o.received.line, e.received.line)) out.push(`received line: expected ${show(e.received.line)}, got ${show(o.received.line)}`);
      if (e.received.headers) checkHeaders('received header', o.received.headers, e.received.headers, out);
      if (e.received.body !== undefined && !matches(o.received.body, e.received.body)) out.push(`received body: expected ${show(e.received.body)}, got ${show(o.received.body)}`);
    }
  }
  if (e.closed !== undefined && o.closed !== e.closed) out.push(`closed: expected ${e.closed}, got ${o.closed}`);
  if (e.data !== undefined && !matches(o.data, e.data)) out.push(`data: expected ${show(e.data)}, got ${show(o.data)}`);
  if (e.error !== undefined && (o.error ?? null) !== e.error) out.push(`error: expected ${show(e.error)}, got ${show(o.error ?? null)}`);
  if (e.elapsedMs) {
    const t = o.elapsedMs;
    if (t === undefined || (e.elapsedMs.min !== undefined && t < e.elapsedMs.min) || (e.elapsedMs.max !== undefined && t > e.elapsedMs.max))
      out.push(`elapsed: expected ${e.elapsedMs.min ?? 0}..${e.elapsedMs.max ?? '∞'} ms, got ${t} ms`);
  }
  if (e.check) {
    const f = e.check(o);
    if (f) out.push(f);
  }
  return out;
}

/** Replaces this run's port numbers by their placeholders so that two runs on different ports compare equal. */
export function normalizePorts(o: Observation, ports: Record<string, number>): Observation {
  const pairs = Object.entries(ports).sort((a, b) => String(b[1]).length - String(a[1]).length);
  if (!pairs.length) return o;
  const re = new RegExp(`(?<!\\d)(${pairs.map(([, p]) => p).join('|')})(?!\\d)`, 'g');
  const byPort = new Map(pairs.map(([n, p]) => [String(p), `{{${n}}}`]));
  const fix = (s: string) => s.replace(re, (m) => byPort.get(m) ?? m);
  const fixH = (h: [string, string][]) => h.map(([k, v]) => [k, fix(v)] as [string, string]);
  const n: Observation = { ...o };
  if (n.headers) n.headers = fixH(n.headers);
  if (n.body !== undefined) n.body = fix(n.body);
  if (n.data !== undefined) n.data = fix(n.data);
  if (n.received) n.received = { line: fix(n.received.line), headers: fixH(n.received.headers), body: fix(n.received.body) };
  return n;
}

export interface FieldDiff {
  /** `status`, `headers.NAME`, `headers:order`, `received.headers.NAME`, `body`, `elapsedMs`... */
  field: string;
  a: unknown;
  b: unknown;
}

function diffHeaders(prefix: string, a: [string, string][] | undefined, b: [string, string][] | undefined, ignore: Set<string>, out: FieldDiff[]): void {
  if (!a && !b) return;
  if (!a || !b) {
    out.push({ field: prefix, a, b });
    return;
  }
  const names = new Set([...a, ...b].map(([k]) => k.toLowerCase()));
  let named = false;
  for (const n of names) {
    if (ignore.has(`${prefix}.${n}`)) continue;
    const va = a.filter(([k]) => k.toLowerCase() === n);
    const vb = b.filter(([k]) => k.toLowerCase() === n);
    if (JSON.stringify(va) !== JSON.stringify(vb)) {
      named = true;
      out.push({ field: `${prefix}.${n}`, a: va.length ? va.map(([k, v]) => `${k}: ${v}`).join(' | ') : 'absent', b: vb.length ? vb.map(([k, v]) => `${k}: ${v}`).join(' | ') : 'absent' });
    }
  }
  const keep = (h: [string, string][]) => h.filter(([k]) => !ignore.has(`${prefix}.${k.toLowerCase()}`)).map(([k]) => k.toLowerCase());
  if (!named && JSON.stringify(keep(a)) !== JSON.stringify(keep(b))) out.push({ field: `${prefix}:order`, a: keep(a).join(', '), b: keep(b).join(', ') });
}

/** Field-level differences between two observations of the same step (ports already normalized). */
export function compareObservations(a: Observation, b: Observation, step: Pick<Step, 'expect' | 'ignore'>): FieldDiff[] {
  const ignore = new Set((step.ignore ?? []).map((s) => s.toLowerCase()));
  const out: FieldDiff[] = [];
  const simple: (keyof Observation)[] = ['version', 'status', 'reason', 'body', 'server', 'closed', 'data', 'error', 'note'];
  // An echoing backend's body is the request it received: compared as `received` instead, and its length follows it.
  const echo = !!(a.received && b.received);
  if (echo) ignore.add('headers.content-length');
  for (const k of simple) {
    if (ignore.has(k.toLowerCase()) || (echo && k === 'body')) continue;
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push({ field: k, a: a[k], b: b[k] });
  }
  if (!ignore.has('headers')) diffHeaders('headers', a.headers, b.headers, ignore, out);
  if (!ignore.has('received')) {
    if (!a.received || !b.received) {
      if (a.received || b.received) out.push({ field: 'received', a: a.received ?? 'none', b: b.received ?? 'none' });
    } else {
      if (a.received.line !== b.received.line && !ignore.has('received.line')) out.push({ field: 'received.line', a: a.received.line, b: b.received.line });
      if (!ignore.has('received.headers')) diffHeaders('received.headers', a.received.headers, b.received.headers, ignore, out);
      if (a.received.body !== b.received.body && !ignore.has('received.body')) out.push({ field: 'received.body', a: a.received.body, b: b.received.body });
    }
  }
  // Timings count only where the step states them: equal within half the stated range (at least 50 ms).
  const range = step.expect?.elapsedMs;
  if (range && !ignore.has('elapsedms') && a.elapsedMs !== undefined && b.elapsedMs !== undefined) {
    const tol = range.min !== undefined && range.max !== undefined ? Math.max(50, (range.max - range.min) / 2) : 100;
    if (Math.abs(a.elapsedMs - b.elapsedMs) > tol) out.push({ field: 'elapsedMs', a: a.elapsedMs, b: b.elapsedMs });
  }
  return out;
}
