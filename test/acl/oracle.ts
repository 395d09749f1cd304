/**
 * Asks the real HAProxy 2.6 what sample expressions and conditions give on
 * a request: one frontend whose rules answer, per case, the lf-string of
 * the expression or "1"/"0" for the condition. Cases are selected by an
 * x-case header. Used to check the engine against HAProxy's own answers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ReqSpec {
  method?: string;
  uri?: string;
  version?: string;
  /** header lines in order; a host header is added when absent */
  headers?: [string, string][];
}

export interface OracleCase {
  /** a sample expression (answer: its lf-string) or a condition after 'if' (answer: '1' / '0') */
  expr?: string;
  cond?: string;
  req?: ReqSpec;
}

export function haproxyAvailable(): boolean {
  try {
    return spawnSync('haproxy', ['-v'], { timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** The request's header list as the engine should see it (x-case first, host added). */
export function requestHeaders(c: OracleCase, i: number): [string, string][] {
  const h: [string, string][] = [['x-case', `c${i}`]];
  const given = c.req?.headers ?? [];
  if (!given.some(([n]) => n.toLowerCase() === 'host')) h.push(['host', 'example.com']);
  return [...h, ...given];
}

function rawRequest(c: OracleCase, i: number): string {
  const r = c.req ?? {};
  let s = `${r.method ?? 'GET'} ${r.uri ?? '/'} ${r.version ?? 'HTTP/1.1'}\r\n`;
  for (const [n, v] of requestHeaders(c, i)) s += `${n}: ${v}\r\n`;
  return s + 'connection: close\r\n\r\n';
}

function ask(port: number, req: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('haproxy did not answer in 5 s'));
    }, 5000);
    sock.on('connect', () => sock.write(req, 'latin1'));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString('latin1');
      const k = all.indexOf('\r\n\r\n');
      resolve(k < 0 ? all : all.slice(k + 4));
    });
  });
}

/**
 * Runs HAProxy with one rule per case and returns its answer for each.
 * `extra` lines go in the frontend (ACL definitions...).
 */
export async function askHaproxy(cases: OracleCase[], extra: string[] = []): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-oracle-'));
  const port = await freePort();
  const lines = [
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 5s',
    '    timeout server 5s',
    'frontend fe',
    `    bind 127.0.0.1:${port}`,
    ...extra.map((l) => '    ' + l),
  ];
  // conditions set a variable on every request (a '||' in them would escape any selector AND'ed to them)
  cases.forEach((c, i) => {
    if (c.cond !== undefined) lines.push(`    http-request set-var(txn.c${i}) str(1) if ${c.cond}`);
  });
  cases.forEach((c, i) => {
    const sel = `{ req.hdr(x-case) -m str c${i} }`;
    const what = c.expr !== undefined ? c.expr : `var(txn.c${i})`;
    lines.push(`    http-request return status 200 content-type text/plain lf-string "%[${what}]" if ${sel}`);
  });
  lines.push('    http-request return status 200 content-type text/plain string "none"');
  const cfg = join(dir, 'h.cfg');
  writeFileSync(cfg, lines.join('\n') + '\n');
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  try {
    // wait until it listens (bounded)
    const t0 = Date.now();
    while (true) {
      const ok = await new Promise<boolean>((res) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('connect', () => {
          s.destroy();
          res(true);
        });
        s.on('error', () => res(false));
      });
      if (ok) break;
      if (Date.now() - t0 > 5000 || child.exitCode !== null) throw new Error(`haproxy did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const out: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const a = await ask(port, rawRequest(cases[i], i));
      out.push(cases[i].cond !== undefined ? (a === '1' ? '1' : '0') : a);
    }
    return out;
  } finally {
    child.kill('SIGKILL');
  }
}
