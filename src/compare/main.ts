/**
 * `tshaproxy compare`: sends each request of a request file through tshaproxy
 * and through HAProxy (a running one, or one started from the same config)
 * against the config's real backends, and prints where the answers differ.
 * Both proxies run at once: their bind addresses are rewritten to free
 * 127.0.0.1 ports (see rewrite.ts). Exit 0: no difference; 1: differences;
 * 2: could not run.
 */
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResponse, type ParsedResponse } from './http.js';
import { freePorts, startChild, waitListening, which, type Child } from './procs.js';
import { parseRequestFile, requestBytes, type RequestSpec } from './requests.js';
import { rewriteBinds, type FrontendBinds } from './rewrite.js';

interface Target {
  name: string;
  host: string;
  port: number;
}

interface Answer {
  res?: ParsedResponse;
  error?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** One request on a fresh connection; bounded by `timeoutMs`. */
export function exchange(t: Target, bytes: Buffer, method: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    const sock = net.connect({ host: t.host, port: t.port });
    const finish = (a: Answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(a);
    };
    const tryParse = (atEnd: boolean) => {
      try {
        const p = parseResponse(buf, atEnd, method);
        if (p) finish({ res: p.res });
        else if (atEnd) finish({ error: buf.length ? 'connection closed in the middle of a response' : 'connection closed without a response' });
      } catch (e) {
        finish({ error: (e as Error).message });
      }
    };
    const timer = setTimeout(() => finish({ error: `no complete response within ${timeoutMs} ms` }), timeoutMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      tryParse(false);
    });
    sock.on('end', () => tryParse(true));
    sock.on('error', (e: NodeJS.ErrnoException) => finish({ error: e.code === 'ECONNRESET' ? 'connection reset' : (e.code ?? e.message) }));
  });
}

export interface CompareOptions {
  serverHeader?: string;
  ignoreHeaders: string[];
  ignoreBody: boolean;
}

export interface Difference {
  what: string;
  a: string;
  b: string;
}

const headerMap = (h: [string, string][], ignore: Set<string>) => {
  const m = new Map<string, string[]>();
  for (const [k, v] of h) {
    const n = k.toLowerCase();
    if (ignore.has(n)) continue;
    m.set(n, [...(m.get(n) ?? []), v]);
  }
  return m;
};

/** The differences between two answers to the same request. */
export function compareAnswers(a: Answer, b: Answer, o: CompareOptions): Difference[] {
  const out: Difference[] = [];
  if (!a.res || !b.res) {
    const da = a.res ? `${a.res.status} ${a.res.reason}` : `(${a.error})`;
    const db = b.res ? `${b.res.status} ${b.res.reason}` : `(${b.error})`;
    if (da !== db) out.push({ what: 'response', a: da, b: db });
    return out;
  }
  const ra = a.res;
  const rb = b.res;
  if (ra.status !== rb.status || ra.reason !== rb.reason) out.push({ what: 'status', a: `${ra.status} ${ra.reason}`, b: `${rb.status} ${rb.reason}` });
  if (o.serverHeader) {
    const s = o.serverHeader.toLowerCase();
    const sa = ra.headers.find(([k]) => k.toLowerCase() === s)?.[1] ?? '(none)';
    const sb = rb.headers.find(([k]) => k.toLowerCase() === s)?.[1] ?? '(none)';
    if (sa !== sb) out.push({ what: 'server', a: sa, b: sb });
  }
  const ignore = new Set(o.ignoreHeaders.map((h) => h.toLowerCase()));
  if (o.serverHeader) ignore.add(o.serverHeader.toLowerCase());
  const ha = headerMap(ra.headers, ignore);
  const hb = headerMap(rb.headers, ignore);
  for (const n of new Set([...ha.keys(), ...hb.keys()])) {
    const va = ha.get(n);
    const vb = hb.get(n);
    if (JSON.stringify(va) !== JSON.stringify(vb)) out.push({ what: `header ${n}`, a: va ? va.join(' | ') : '(absent)', b: vb ? vb.join(' | ') : '(absent)' });
  }
  if (!o.ignoreBody && !ra.body.equals(rb.body)) out.push({ what: 'body', a: `${ra.body.length} bytes`, b: `${rb.body.length} bytes (differs)` });
  return out;
}

function parseAddr(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(s.trim());
  if (!m) return undefined;
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const USAGE_EPILOG = `
Request file: one block per request, blocks separated by blank lines:
  GET http://www.example.com/path      (METHOD URL [HTTP/1.x]; Host taken from an absolute URL)
  Accept: text/html                    (header lines)
  | body line                          (body lines, joined with LF; content-length added)
Lines starting with # are comments.`;

interface Started {
  child: Child;
  frontend: FrontendBinds;
}

/** Writes the rewritten copies of the config files and starts `cmd` on them. */
async function startProxy(label: string, cmd: string[], files: string[], frontendName: string | undefined, tmp: string): Promise<Started> {
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const nBinds = texts.reduce((n, t) => n + (t.match(/^\s*bind\s/gm)?.length ?? 0), 0);
  const ports = await freePorts(Math.max(1, nBinds));
  let i = 0;
  const dir = mkdtempSync(join(tmp, `${label}-`));
  const copies: string[] = [];
  const all: FrontendBinds[] = [];
  texts.forEach((t, k) => {
    const r = rewriteBinds(t, () => ports[i++]!);
    const p = join(dir, `${k}-${basename(files[k]!)}`);
    writeFileSync(p, r.text);
    copies.push(p);
    all.push(...r.frontends);
  });
  const fe = frontendName ? all.find((f) => f.name === frontendName) : all[0];
  if (!fe) throw new Error(frontendName ? `no frontend or listen section named ${frontendName} with a bind line` : 'no frontend or listen section with a bind line');
  if (fe.ssl) throw new Error(`frontend ${fe.name} binds with ssl: compare sends plain HTTP; choose another with --frontend`);
  const child = startChild(cmd[0]!, [...cmd.slice(1), '-db', ...copies.flatMap((c) => ['-f', c])], { cwd: process.cwd() });
  try {
    await waitListening(fe.ports, 10_000, child);
  } catch (e) {
    await child.stop();
    throw new Error(`${label} did not start: ${(e as Error).message}\n${child.output().trim()}`);
  }
  return { child, frontend: fe };
}

const cell = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s.padEnd(n));

export async function compareMain(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const program = new Command();
  program
    .name('tshaproxy compare')
    .description('send the requests of FILE through tshaproxy and HAProxy, both on the same config and backends, and print the differences')
    .option('-f <file>', 'configuration file (repeatable)', collect, [])
    .option('--requests <file>', 'request file (see below)')
    .option('--haproxy <addr>', 'address of a running HAProxy frontend (host:port); default: start haproxy on the config')
    .option('--frontend <name>', 'the frontend or listen section to send to (default: the first one with a bind line)')
    .option('--server-header <name>', 'response header that names the server that answered')
    .option('--ignore-header <name>', 'response header not compared (repeatable; default: date)', collect, [])
    .option('--ignore-body', 'do not compare bodies')
    .option('--timeout <ms>', 'bound for each response', '10000')
    .option('--haproxy-bin <path>', 'haproxy executable to start (default: haproxy on PATH)')
    .option('--tshaproxy-cmd <cmd>', 'command to run instead of bin/tshaproxy (words split on spaces; for testing compare itself)')
    .addHelpText('after', USAGE_EPILOG)
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    return (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const o = program.opts();
  const err = (s: string) => {
    process.stderr.write(`tshaproxy compare: ${s}\n`);
    return 2;
  };
  const files: string[] = o.f;
  if (!files.length) return err('no configuration file (use -f)');
  if (!o.requests) return err('no request file (use --requests FILE)');
  for (const f of files) {
    try {
      if (statSync(f).isDirectory()) return err(`${f}: a directory; give the files with -f each`);
    } catch {
      return err(`${f}: cannot read`);
    }
  }
  let requests: RequestSpec[];
  try {
    requests = parseRequestFile(readFileSync(o.requests, 'utf8'));
  } catch (e) {
    return err(`${o.requests}: ${(e as Error).message}`);
  }
  if (!requests.length) return err(`${o.requests}: no request`);
  let hapAddr: { host: string; port: number } | undefined;
  if (o.haproxy) {
    hapAddr = parseAddr(o.haproxy);
    if (!hapAddr) return err(`--haproxy ${o.haproxy}: expected host:port`);
  }
  const timeoutMs = Number(o.timeout) || 10_000;
  const tshCmd: string[] = o.tshaproxyCmd ? String(o.tshaproxyCmd).split(' ').filter(Boolean) : [process.execPath, join(projectRoot, 'bin', 'tshaproxy')];
  const tmp = mkdtempSync(join(tmpdir(), 'tshaproxy-compare-'));
  const started: Child[] = [];
  try {
    let a: Target;
    let b: Target;
    try {
      const ts = await startProxy('tshaproxy', tshCmd, files, o.frontend, tmp);
      started.push(ts.child);
      a = { name: 'tshaproxy', host: '127.0.0.1', port: ts.frontend.ports[0]! };
      if (hapAddr) b = { name: 'haproxy', ...hapAddr };
      else {
        const bin = o.haproxyBin ?? which('haproxy') ?? '/usr/sbin/haproxy';
        const hp = await startProxy('haproxy', [bin], files, o.frontend, tmp);
        started.push(hp.child);
        b = { name: 'haproxy', host: '127.0.0.1', port: hp.frontend.ports[0]! };
      }
      out(`frontend ${ts.frontend.name} (${ts.frontend.original[0]}): tshaproxy on 127.0.0.1:${a.port}, haproxy on ${b.host}:${b.port}\n`);
    } catch (e) {
      return err((e as Error).message);
    }
    const opts: CompareOptions = { serverHeader: o.serverHeader, ignoreHeaders: o.ignoreHeader.length ? o.ignoreHeader : ['date'], ignoreBody: !!o.ignoreBody };
    let differing = 0;
    for (const [i, r] of requests.entries()) {
      const bytes = requestBytes(r);
      const ansA = await exchange(a, bytes, r.method, timeoutMs);
      const ansB = await exchange(b, bytes, r.method, timeoutMs);
      const diffs = compareAnswers(ansA, ansB, opts);
      const title = `#${i + 1} ${r.method} ${r.url} (line ${r.line})`;
      if (!diffs.length) {
        const res = ansA.res;
        const srv = res && opts.serverHeader ? res.headers.find(([k]) => k.toLowerCase() === opts.serverHeader!.toLowerCase())?.[1] : undefined;
        out(`${title}: same: ${res ? `${res.status} ${res.reason}` : ansA.error}${srv ? `, server ${srv}` : ''}\n`);
        continue;
      }
      differing++;
      out(`${title}: DIFFERS\n    ${cell('', 22)} ${cell('tshaproxy', 40)} haproxy\n`);
      for (const d of diffs) out(`    ${cell(d.what, 22)} ${cell(d.a, 40)} ${d.b}\n`);
    }
    out(`${requests.length} requests: ${requests.length - differing} same, ${differing} different\n`);
    return differing ? 1 : 0;
  } finally {
    await Promise.all(started.map((c) => c.stop()));
    rmSync(tmp, { recursive: true, force: true });
  }
}
