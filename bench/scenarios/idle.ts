/**
 * Memory: RSS growth of the proxy while it holds ~10,000 idle client connections
 * (mode tcp, so each also has its server connection). A fresh proxy per run; the
 * clients are held by a separate node process (bench/children/holder.ts), bounded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fdCount, rssMiB, sleep } from '../lib/proc.js';
import { median, rotation, type Context, type Row, type Scenario } from '../lib/scenario.js';
import { label, root, startSubject, type SubjectName } from '../lib/subjects.js';

export const WANTED = 10000;

/**
 * How many can be held: in tcp mode the proxy needs two fds per client, so a low
 * `ulimit -n` that cannot be raised (containers) caps the count below 10,000.
 */
export function idleCount(nofile: number, wanted = WANTED): number {
  const fit = Math.floor((nofile - 200) / 2 / 100) * 100;
  return Math.max(100, Math.min(wanted, fit));
}

interface HolderState {
  connected: number;
  failed: number;
  closed: number;
}

/** Starts the holder and resolves with its first report (all connects tried), bounded. */
function hold(port: number, n: number, core: string | null, timeoutMs: number) {
  const script = join(root, 'dist', 'bench', 'children', 'holder.js');
  const argv = [script, String(port), String(n), '200', '120'];
  const p = core !== null ? spawn('taskset', ['-c', core, process.execPath, ...argv], { stdio: ['pipe', 'pipe', 'ignore'] }) : spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'ignore'] });
  p.stdin.on('error', () => {});
  let buf = '';
  const waiters: ((s: HolderState | null) => void)[] = [];
  p.stdout.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(JSON.parse(line) as HolderState);
    }
  });
  p.on('exit', () => {
    for (const w of waiters.splice(0)) w(null);
  });
  const next = (ms: number) =>
    new Promise<HolderState | null>((resolve) => {
      const t = setTimeout(() => resolve(null), ms);
      waiters.push((s) => {
        clearTimeout(t);
        resolve(s);
      });
    });
  const first = next(timeoutMs);
  return {
    first,
    status(): Promise<HolderState | null> {
      const r = next(3000);
      p.stdin.write('status\n');
      return r;
    },
    release(): Promise<void> {
      return new Promise((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) return resolve();
        const t = setTimeout(() => p.kill('SIGKILL'), 5000);
        p.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        p.stdin.end('quit\n');
      });
    },
  };
}

async function oneRun(name: SubjectName, ctx: Context, n: number, dir: string): Promise<{ growth: number; held: number; rss: number; connectMs: number } | string> {
  const s = await startSubject(name, { mode: 'tcp', originPort: ctx.origin!.port, dir, core: ctx.pin.proxy, maxconn: n + 50 });
  if (s.failure) return s.failure;
  try {
    await sleep(300);
    const before = rssMiB(s.pid!);
    const fdBefore = fdCount(s.pid!);
    const t0 = Date.now();
    const h = hold(s.port, n, ctx.pin.load, 60000);
    try {
      const st = await h.first;
      if (!st) return `client holder did not report within 60 s`;
      const connectMs = Date.now() - t0;
      // wait (bounded) for the proxy's side: one client fd + one server fd per connection
      const end = Date.now() + 15000;
      while (Date.now() < end && fdCount(s.pid!) < fdBefore + 2 * st.connected * 0.99) await sleep(100);
      await sleep(500);
      const after = rssMiB(s.pid!);
      const now = await h.status();
      const held = now ? now.connected - now.closed : 0;
      if (s.child?.exited) return `exited (${s.child.exited.code ?? s.child.exited.signal}) while holding connections`;
      if (held < n * 0.9) return `only ${held} of ${n} connections stayed open (${now?.failed ?? '?'} failed, ${now?.closed ?? '?'} closed)`;
      return { growth: after - before, held, rss: after, connectMs };
    } finally {
      await h.release();
    }
  } finally {
    await s.stop();
  }
}

export const idle: Scenario = {
  name: 'idle',
  title: 'RSS growth holding 10,000 idle connections (mode tcp)',
  primary: 'rssGrowth',
  goals: [{ vs: 'haproxy', op: '<=', ratio: 3 }],
  quick: true,
  traffic: false,
  async run(ctx) {
    const n = idleCount(ctx.nofile);
    const title = `RSS growth holding ${n.toLocaleString('en-US')} idle connections (mode tcp${n < WANTED ? `; ulimit -n ${ctx.nofile} caps it below 10,000` : ''})`;
    const names = (['tshaproxy', 'haproxy', 'net-pipe'] as SubjectName[]).filter((s) => ctx.subjects.has(s));
    const rows = new Map<SubjectName, Row>(names.map((s) => [s, { scenario: 'idle', title, subject: s, label: label(s, 'tcp'), status: 'ok', primary: 'rssGrowth', runs: [] }]));
    const rss = new Map<SubjectName, number[]>(names.map((s) => [s, []]));
    const held = new Map<SubjectName, number[]>(names.map((s) => [s, []]));
    const connectMs = new Map<SubjectName, number[]>(names.map((s) => [s, []]));
    if (!ctx.origin) {
      for (const r of rows.values()) Object.assign(r, { status: 'n/a', reason: 'no origin' });
      return [...rows.values()];
    }
    const dir = mkdtempSync(join(ctx.dir, 'idle-'));
    for (let i = 0; i < ctx.runs; i++) {
      for (const s of rotation(names, i)) {
        const row = rows.get(s)!;
        if (row.status !== 'ok') continue;
        const r = await oneRun(s, ctx, n, dir);
        if (typeof r === 'string') {
          Object.assign(row, { status: 'n/a', reason: r });
          ctx.log(`idle: ${row.label} n/a: ${r}`);
          continue;
        }
        row.runs.push(r.growth);
        rss.get(s)!.push(r.rss);
        held.get(s)!.push(r.held);
        connectMs.get(s)!.push(r.connectMs);
        ctx.log(`idle run ${i + 1}/${ctx.runs} ${row.label}: +${r.growth.toFixed(1)} MiB for ${r.held} connections (RSS ${r.rss.toFixed(1)} MiB; all connected in ${r.connectMs} ms)`);
      }
    }
    for (const [s, row] of rows) {
      if (row.status !== 'ok') continue;
      row.rssGrowthMiB = median(row.runs);
      row.rssMiB = median(rss.get(s)!);
      row.conns = Math.round(median(held.get(s)!));
      row.perConnKiB = (row.rssGrowthMiB * 1024) / row.conns;
      row.connectMs = median(connectMs.get(s)!);
    }
    return [...rows.values()];
  },
};
