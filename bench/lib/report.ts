/** The results table (text or markdown), the ratios to HAProxy and node-http-proxy, and the goals. */
import type { Goal, Metric, Row, Scenario } from './scenario.js';

export interface Comparison {
  scenario: string;
  vs: Goal['vs'];
  metric: Metric;
  /** tshaproxy's figure divided by the other's; null when either is missing */
  ratio: number | null;
  goal: Goal | null;
  met: boolean | null;
}

export function primaryValue(r: Row): number | undefined {
  if (r.status !== 'ok') return undefined;
  switch (r.primary) {
    case 'rps':
      return r.rps;
    case 'mibps':
      return r.mibps;
    case 'rssGrowth':
      return r.rssGrowthMiB;
    case 'ms':
      return r.ms;
  }
}

/** tshaproxy against each reference present in the scenario, with the goal when one is set. */
export function compare(rows: Row[], scenarios: Scenario[]): Comparison[] {
  const out: Comparison[] = [];
  for (const sc of scenarios) {
    const mine = rows.filter((r) => r.scenario === sc.name);
    const tsh = mine.find((r) => r.subject === 'tshaproxy');
    if (!tsh || tsh.status === 'not yet') continue;
    for (const vs of ['haproxy', 'node-http-proxy'] as const) {
      const ref = mine.find((r) => r.subject === vs);
      const goal = sc.goals.find((g) => g.vs === vs) ?? null;
      if (!ref && !goal) continue;
      const a = primaryValue(tsh);
      const b = ref ? primaryValue(ref) : undefined;
      const ratio = a !== undefined && b !== undefined && b > 0 ? a / b : null;
      const met = ratio === null || !goal ? null : goal.op === '>=' ? ratio >= goal.ratio : ratio <= goal.ratio;
      out.push({ scenario: sc.name, vs, metric: sc.primary, ratio, goal, met });
    }
  }
  return out;
}

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const fix = (x: number | undefined, d: number) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(d));
const vsName = (vs: Goal['vs']) => (vs === 'haproxy' ? 'HAProxy' : 'node-http-proxy');

export function ratioText(c: Comparison | undefined): string {
  if (!c) return '';
  if (c.ratio === null) return 'n/a';
  // a ratio that misses its goal must not print as the goal itself (0.295 -> "0.30x")
  const near = c.goal && c.met === false && c.ratio.toFixed(2) === c.goal.ratio.toFixed(2);
  const r = `${c.ratio.toFixed(near ? 3 : 2)}x`;
  return c.metric === 'ms' ? `${r} the time` : c.metric === 'rssGrowth' ? `${r} the growth` : r;
}

export function goalText(cs: Comparison[]): string {
  return cs
    .filter((c) => c.goal)
    .map((c) => `${c.goal!.op}${c.goal!.ratio}x ${vsName(c.vs)}: ${c.met === null ? 'n/a' : c.met ? 'ok' : 'MISSED'}`)
    .join('; ');
}

export const HEADERS = ['scenario', 'subject', 'req/s', 'MiB/s', 'p50 ms', 'p99 ms', 'RSS MiB', 'time ms', 'vs HAProxy', 'vs node-http-proxy', 'goal', 'note'];

/** One string per cell, header order; the scenario cell only on a group's first row when `groupTitles`. */
export function cells(rows: Row[], scenarios: Scenario[], groupTitles: boolean): string[][] {
  const comps = compare(rows, scenarios);
  const out: string[][] = [];
  for (const sc of scenarios) {
    const mine = rows.filter((r) => r.scenario === sc.name);
    mine.forEach((r, i) => {
      const title = !groupTitles || i === 0 ? r.title : '';
      if (r.status !== 'ok') {
        out.push([title, r.label, r.status, '', '', '', '', '', '', '', r.subject === 'tshaproxy' ? goalText(comps.filter((c) => c.scenario === sc.name)) : '', r.reason ?? '']);
        return;
      }
      const mineC = r.subject === 'tshaproxy' ? comps.filter((c) => c.scenario === sc.name) : [];
      const notes: string[] = [];
      if (r.reused) notes.push(`same load as ${r.reused}: figures reused`);
      if (r.errors) notes.push(`${int(r.errors)} errors in ${int(r.requests ?? 0)} requests`);
      if (r.conns !== undefined) notes.push(`${int(r.conns)} connections held, ${fix(r.perConnKiB, 1)} KiB each${r.connectMs !== undefined ? `; all connected in ${int(r.connectMs)} ms` : ''}`);
      if (r.cpuPct !== undefined && Number.isFinite(r.cpuPct)) notes.push(`proxy CPU ${fix(r.cpuPct, 0)}% of a core`);
      if (r.primary === 'ms' && r.runs.length) notes.push(`runs: ${r.runs.map((x) => x.toFixed(0)).join(', ')}`);
      const traffic = r.primary === 'rps' || r.primary === 'mibps';
      out.push([
        title,
        r.label,
        traffic && r.rps !== undefined ? int(r.rps) : '',
        traffic ? fix(r.mibps, 1) : '',
        fix(r.p50Ms, 2),
        fix(r.p99Ms, 2),
        r.rssGrowthMiB !== undefined ? `+${fix(r.rssGrowthMiB, 1)} (of ${fix(r.rssMiB, 1)})` : fix(r.rssMiB, 1),
        r.ms !== undefined ? int(r.ms) : '',
        ratioText(mineC.find((c) => c.vs === 'haproxy')),
        ratioText(mineC.find((c) => c.vs === 'node-http-proxy')),
        goalText(mineC),
        notes.join('; '),
      ]);
    });
  }
  return out;
}

/** Drops columns that are empty in every row (e.g. "time ms" when -c did not run). */
function squeeze(headers: string[], body: string[][]): [string[], string[][]] {
  const keep = headers.map((_, j) => j < 2 || body.some((r) => r[j] !== ''));
  return [headers.filter((_, j) => keep[j]), body.map((r) => r.filter((_, j) => keep[j]))];
}

export function markdownTable(rows: Row[], scenarios: Scenario[]): string {
  const [h, body] = squeeze(HEADERS, cells(rows, scenarios, false));
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${h.join(' | ')} |`, `| ${h.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function textTable(rows: Row[], scenarios: Scenario[]): string {
  const [hAll, bodyAll] = squeeze(HEADERS, cells(rows, scenarios, true));
  // the scenario goes on its own line above its rows, so the columns stay narrow
  const h = hAll.slice(1);
  const body = bodyAll.map((r) => r.slice(1));
  const w = h.map((x, j) => Math.max(x.length, ...body.map((r) => r[j].length)));
  const numeric = (name: string) => ['req/s', 'MiB/s', 'p50 ms', 'p99 ms', 'RSS MiB', 'time ms'].includes(name);
  const line = (r: string[]) => r.map((c, j) => (numeric(h[j]) ? c.padStart(w[j]) : c.padEnd(w[j]))).join('  ').trimEnd();
  const out = [line(h), w.map((n) => '-'.repeat(n)).join('  ')];
  bodyAll.forEach((r, i) => {
    if (r[0]) out.push(`${i ? '\n' : ''}${r[0]}`);
    out.push(line(body[i]));
  });
  return out.join('\n');
}

/** The primary figure with its unit, for the summary. */
export function primaryText(r: Row | undefined): string {
  if (!r) return '';
  if (r.status !== 'ok') return r.status;
  const v = primaryValue(r);
  if (v === undefined) return '';
  switch (r.primary) {
    case 'rps':
      return `${int(v)} req/s`;
    case 'mibps':
      return `${fix(v, 1)} MiB/s`;
    case 'rssGrowth':
      return `+${fix(v, 1)} MiB (${fix(r.perConnKiB, 1)} KiB/conn)`;
    case 'ms':
      return `${int(v)} ms`;
  }
}

/**
 * The README's Performance table: one line per scenario, each subject's primary
 * figure, tshaproxy's ratio to HAProxy and the goal verdicts.
 */
export function summaryMarkdown(rows: Row[], scenarios: Scenario[]): string {
  const comps = compare(rows, scenarios);
  const cols: [Row['subject'], string][] = [
    ['tshaproxy', 'tshaproxy'],
    ['haproxy', 'HAProxy 2.6'],
    ['node-http-proxy', 'node-http-proxy'],
    ['net-pipe', 'Node net pipe'],
    ['direct', 'direct'],
  ];
  const present = cols.filter(([s]) => rows.some((r) => r.subject === s));
  const out = [
    `| scenario | ${present.map(([, h]) => h).join(' | ')} | tshaproxy / HAProxy | goal |`,
    `| --- | ${present.map(() => '---').join(' | ')} | --- | --- |`,
  ];
  for (const sc of scenarios) {
    const mine = rows.filter((r) => r.scenario === sc.name);
    if (!mine.length) continue;
    const c = comps.filter((x) => x.scenario === sc.name);
    const cellsFor = present.map(([s]) => primaryText(mine.find((r) => r.subject === s)));
    out.push(`| ${mine[0].title} | ${cellsFor.join(' | ')} | ${ratioText(c.find((x) => x.vs === 'haproxy'))} | ${goalText(c)} |`);
  }
  return out.join('\n');
}
