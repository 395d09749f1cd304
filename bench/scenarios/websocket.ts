/**
 * WebSocket messages/s through each proxy that can carry WebSocket: tshaproxy and
 * HAProxy in `mode http` (the 101 turns the stream into a tunnel under `timeout
 * tunnel`), node-http-proxy (`ws: true`), the net pipe (not in --quick) and the
 * direct path. The origin is a Node echo server on raw sockets
 * (bench/children/ws-echo.ts, where nginx would be), the load a Node client doing
 * request/response echoes on 50 connections (bench/children/ws-client.ts, where wrk
 * would be). One message = one echo round trip; the req/s column holds messages/s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { proxyConfig } from '../lib/configs.js';
import { cpuSeconds, freePort, probeHttp, rssMiB, spawnChild, waitPort, type Child } from '../lib/proc.js';
import { median, rotation, type Context, type Row, type Scenario } from '../lib/scenario.js';
import { label, root, startSubject, subjectsFor, type Running, type SubjectName } from '../lib/subjects.js';
import type { WsClientResult } from '../lib/ws.js';

export const WS_CONNECTIONS = 50;
export const WS_MESSAGE_BYTES = 32;
const TITLE = `WebSocket echo, ${WS_MESSAGE_BYTES}-byte messages on ${WS_CONNECTIONS} connections (req/s = messages/s)`;
/** A run whose lost connections exceed this share of them does not count. */
const MAX_LOST_SHARE = 0.05;

const childrenDir = join(root, 'dist', 'bench', 'children');

/** The echo origin, pinned like nginx; resolves once it answers a plain GET. */
async function startEcho(ctx: Context): Promise<{ port: number; child: Child }> {
  const port = await freePort();
  const child = spawnChild([process.execPath, join(childrenDir, 'ws-echo.js'), String(port)], { core: ctx.pin.load, nofile: ctx.nofile });
  const why = (await waitPort(port, child)) ?? (await probeHttp(port));
  if (why) {
    await child.stop();
    throw new Error(`websocket echo origin did not start: ${why}`);
  }
  return { port, child };
}

/** Parses the client's JSON line; null when there is none. */
export function parseClientLine(out: string): WsClientResult | null {
  const line = out
    .split('\n')
    .map((l) => l.trim())
    .reverse()
    .find((l) => l.startsWith('{') && l.includes('"messages"'));
  if (!line) return null;
  try {
    const r = JSON.parse(line) as WsClientResult;
    return typeof r.messages === 'number' && typeof r.mps === 'number' ? r : null;
  } catch {
    return null;
  }
}

/** Why a client run does not count, or null when it does. */
export function runProblem(r: WsClientResult, conns: number): string | null {
  if (r.handshakeFailed > 0 || r.connected < conns) return `${r.connected} of ${conns} handshakes done${r.reason ? `: ${r.reason}` : ''}`;
  if (r.messages === 0) return `no message echoed${r.reason ? `: ${r.reason}` : ''}`;
  if (r.errors > conns * MAX_LOST_SHARE) return `${r.errors} connections lost during the run${r.reason ? `: ${r.reason}` : ''}`;
  return null;
}

/** One client run against a port (bounded: killed 20 s after its own limit). */
function runClient(port: number, durationS: number, core: string | null): Promise<WsClientResult> {
  const maxS = durationS + 15;
  const argv = [join(childrenDir, 'ws-client.js'), String(port), String(WS_CONNECTIONS), String(durationS), String(WS_MESSAGE_BYTES), String(maxS)];
  const [cmd, args] = core !== null ? ['taskset', ['-c', core, process.execPath, ...argv]] : [process.execPath, argv];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    p.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const t = setTimeout(() => p.kill('SIGKILL'), (maxS + 5) * 1000);
    p.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.on('close', (code, signal) => {
      clearTimeout(t);
      const r = parseClientLine(out);
      if (r) resolve(r);
      else reject(new Error(`ws client exited ${code ?? signal}: ${out.trim().split('\n').slice(-3).join(' | ').slice(0, 200)}`));
    });
  });
}

export const websocket: Scenario = {
  name: 'websocket',
  title: TITLE,
  mode: 'http',
  primary: 'rps',
  // the issue sets no goal: the ratios are shown without a verdict
  goals: [],
  quick: false,
  traffic: true,
  async run(ctx) {
    const names = subjectsFor('http').filter((s) => ctx.subjects.has(s));
    const rows = new Map<SubjectName, Row>();
    for (const n of names) {
      const lbl = n === 'direct' ? 'direct to ws-echo' : label(n, 'http');
      rows.set(n, { scenario: 'websocket', title: TITLE, subject: n, label: lbl, status: 'ok', primary: 'rps', runs: [], errors: 0, requests: 0 });
    }
    const dir = mkdtempSync(join(ctx.dir, 'websocket-'));
    const echo = await startEcho(ctx);
    ctx.log(`websocket: echo origin on 127.0.0.1:${echo.port} (pinned: ${ctx.pin.load ?? 'no'}); starting ${names.join(', ')}`);
    let running: Running[] = [];
    const per = new Map<SubjectName, { res: WsClientResult[]; rss: number[]; cpu: number[] }>();
    try {
      running = await Promise.all(
        names.map((n) =>
          startSubject(n, {
            mode: 'http',
            originPort: echo.port,
            dir,
            core: ctx.pin.proxy,
            maxconn: 5000,
            config: (port) => proxyConfig({ mode: 'http', port, originPort: echo.port, maxconn: 5000, tunnel: '1h' }),
            profDir: n === 'tshaproxy' ? ctx.profDir : undefined,
          }),
        ),
      );
      for (const s of running) {
        per.set(s.name, { res: [], rss: [], cpu: [] });
        if (s.failure) {
          Object.assign(rows.get(s.name)!, { status: 'n/a', reason: s.failure });
          ctx.log(`websocket: ${rows.get(s.name)!.label} n/a: ${s.failure}`);
        }
      }
      const alive = () => running.filter((s) => !s.failure);
      if (ctx.warmupS > 0) {
        for (const s of alive()) await runClient(s.port, ctx.warmupS, ctx.pin.load).catch(() => undefined);
      }
      for (let i = 0; i < ctx.runs; i++) {
        for (const s of rotation(alive(), i)) {
          const row = rows.get(s.name)!;
          const fail = (why: string) => {
            s.failure = why;
            Object.assign(row, { status: 'n/a', reason: why });
            ctx.log(`websocket: ${row.label} n/a: ${why}`);
          };
          if (s.child?.exited) {
            fail(`exited (${s.child.exited.code ?? s.child.exited.signal}) during the runs`);
            continue;
          }
          if (echo.child.exited) throw new Error(`the echo origin exited (${echo.child.exited.code ?? echo.child.exited.signal})`);
          let r: WsClientResult;
          // the proxy's CPU share tells a busy proxy from one waiting on the client's core
          const cpu0 = s.pid !== null ? cpuSeconds(s.pid) : NaN;
          try {
            r = await runClient(s.port, ctx.durationS, ctx.pin.load);
          } catch (e) {
            fail((e as Error).message);
            continue;
          }
          row.errors! += r.errors;
          row.requests! += r.messages;
          const bad = runProblem(r, WS_CONNECTIONS);
          if (bad) {
            fail(`run ${i + 1}: ${bad}`);
            continue;
          }
          const p = per.get(s.name)!;
          p.res.push(r);
          const cpu = s.pid !== null ? ((cpuSeconds(s.pid) - cpu0) / r.durationS) * 100 : NaN;
          if (s.pid !== null) p.rss.push(rssMiB(s.pid));
          p.cpu.push(cpu);
          row.runs.push(r.mps);
          ctx.log(`websocket run ${i + 1}/${ctx.runs} ${row.label}: ${r.mps.toFixed(0)} messages/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${Number.isFinite(cpu) ? `, proxy CPU ${cpu.toFixed(0)}%` : ''}${r.errors ? `, ${r.errors} connections lost` : ''}`);
        }
      }
    } finally {
      await Promise.all(running.map((s) => s.stop()));
      await echo.child.stop();
    }
    for (const [n, p] of per) {
      const row = rows.get(n)!;
      if (row.status !== 'ok') continue;
      row.rps = median(p.res.map((r) => r.mps));
      row.p50Ms = median(p.res.map((r) => r.p50Ms));
      row.p99Ms = median(p.res.map((r) => r.p99Ms));
      if (p.rss.length) row.rssMiB = median(p.rss);
      const cpu = median(p.cpu);
      if (Number.isFinite(cpu)) row.cpuPct = cpu;
    }
    return [...rows.values()];
  },
};
