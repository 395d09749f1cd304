/**
 * Records HAProxy 2.6's actual balancing sequences into test/fixtures/lb/.
 * Run by hand (it is not a test): `npx tsc -p . && node dist/test/lb/record.js [case-name ...]`.
 *
 * For each case it starts one tiny responder per server (each answers with
 * its own name), runs the real haproxy with the case's backend, sends the
 * case's requests one after another (or holds connections open for the
 * connection-count algorithms), applies runtime changes through the stats
 * socket, and writes what server answered each step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES, type LbCase, type StepSpec } from './cases.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'lb');

interface Responder {
  name: string;
  server: net.Server;
  port: number;
  sockets: Set<net.Socket>;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** an HTTP responder answering its name (mode http), or a tcp one writing it (mode tcp) */
function startResponder(name: string, mode: 'http' | 'tcp'): Promise<Responder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    if (mode === 'tcp') {
      sock.write(`${name}\n`);
      sock.on('data', () => {});
      sock.on('end', () => sock.end());
      return;
    }
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const need = m ? Number(m[1]) : 0;
      if (buf.length < end + 4 + need) return;
      sock.end(`HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\nconnection: close\r\n\r\n${name}`);
      buf = Buffer.alloc(0);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ name, server, port: (server.address() as net.AddressInfo).port, sockets });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** polls the stats socket: a probe on the frontend would itself be balanced in tcp mode */
async function waitReady(sock: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const ok = await cli(sock, 'show info').then(
      (r) => r.includes('Name: HAProxy'),
      () => false,
    );
    if (ok) return;
    await sleep(50);
  }
  throw new Error('haproxy did not start');
}

function cli(sock: string, cmd: string): Promise<string> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const s = net.connect(sock);
      let out = '';
      s.on('connect', () => s.write(cmd + '\n'));
      s.on('data', (d) => (out += d.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    }),
    3000,
    `cli ${cmd}`,
  );
}

interface ReqSpec {
  method?: string;
  uri?: string;
  headers?: [string, string][];
  body?: string;
  src?: string;
  /** raw bytes (hex) to send in tcp mode (rdp-cookie) */
  rawHex?: string;
}

/** one request through haproxy; returns the answering server's name or "<status>" */
function httpRequest(port: number, r: ReqSpec): Promise<string> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress: r.src });
      const chunks: Buffer[] = [];
      s.on('connect', () => {
        let head = `${r.method ?? 'GET'} ${r.uri ?? '/'} HTTP/1.1\r\n`;
        // an absolute URI's authority must match Host (HAProxy answers 400 otherwise)
        const auth = /^[a-z]+:\/\/([^/?#]*)/i.exec(r.uri ?? '')?.[1];
        if (!(r.headers ?? []).some(([k]) => k.toLowerCase() === 'host')) head += `host: ${auth ?? 'lb.test'}\r\n`;
        for (const [k, v] of r.headers ?? []) head += `${k}: ${v}\r\n`;
        if (r.body !== undefined) head += `content-length: ${Buffer.byteLength(r.body, 'latin1')}\r\n`;
        head += 'connection: close\r\n\r\n';
        s.write(Buffer.from(head + (r.body ?? ''), 'latin1'));
      });
      s.on('data', (d) => chunks.push(d));
      s.on('end', () => {
        const all = Buffer.concat(chunks).toString('latin1');
        const i = all.indexOf('\r\n\r\n');
        const status = /^HTTP\/1\.1 (\d+)/.exec(all)?.[1] ?? '?';
        resolve(status === '200' ? all.slice(i + 4) : `<${status}>`);
        s.destroy();
      });
      s.on('error', reject);
    }),
    5000,
    'http request',
  );
}

/** a tcp connection that reads the server's name line; kept open when `hold` */
function tcpConnect(port: number, r: ReqSpec, hold: boolean): Promise<{ name: string; sock: net.Socket }> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress: r.src });
      let got = '';
      s.on('connect', () => {
        if (r.rawHex) s.write(Buffer.from(r.rawHex, 'hex'));
      });
      s.on('data', (d) => {
        got += d.toString('latin1');
        const nl = got.indexOf('\n');
        if (nl >= 0) {
          if (!hold) s.end();
          resolve({ name: got.slice(0, nl), sock: s });
        }
      });
      s.on('end', () => {
        if (got.indexOf('\n') < 0) resolve({ name: '<closed>', sock: s });
      });
      s.on('error', reject);
    }),
    5000,
    'tcp connect',
  );
}

export interface RecordedStep {
  /** a request, and the server that answered */
  req?: ReqSpec;
  /** a held connection opened (leastconn/first), and its server */
  open?: string;
  /** a held connection closed */
  close?: string;
  /** a stats socket command, and what it changes for the model */
  cli?: string;
  apply?: { server: string; up?: boolean; weight?: number };
  server?: string;
}

async function runCase(c: LbCase, haproxyBin: string): Promise<RecordedStep[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lb-record-'));
  const responders: Responder[] = [];
  let hap: ChildProcess | undefined;
  const held = new Map<string, net.Socket>();
  try {
    for (const s of c.servers) {
      const r = await startResponder(s.name, c.mode);
      // a dead server: keep its port number but stop listening
      if (s.dead) await new Promise((res) => r.server.close(res));
      responders.push(r);
    }
    const fport = await freePort();
    const sock = join(dir, 'admin.sock');
    const serverLines = c.servers.map((s, i) => `    server ${s.name} 127.0.0.1:${responders[i].port}${serverOpts(s)}`);
    const cfg = [
      'global',
      `    stats socket ${sock} level admin`,
      'defaults',
      `    mode ${c.mode}`,
      '    timeout connect 2s',
      '    timeout client 10s',
      '    timeout server 10s',
      'frontend fe',
      `    bind 127.0.0.1:${fport}`,
      ...(c.frontendLines ?? []).map((l) => `    ${l}`),
      '    default_backend be',
      'backend be',
      ...c.backendLines.map((l) => `    ${l}`),
      ...serverLines,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'h.cfg'), cfg);
    hap = spawn(haproxyBin, ['-db', '-f', join(dir, 'h.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    hap.stderr!.on('data', (d) => (stderr += d.toString()));
    await waitReady(sock).catch((e) => {
      throw new Error(`${e.message}\n${stderr}`);
    });
    const out: RecordedStep[] = [];
    for (const st of c.steps) {
      out.push(await runStep(st, fport, sock, c, held, responders));
    }
    return out;
  } finally {
    for (const s of held.values()) s.destroy();
    if (hap && hap.exitCode === null) {
      hap.kill('SIGTERM');
      await withTimeout(new Promise((r) => hap!.once('exit', r)), 3000, 'haproxy exit').catch(() => hap!.kill('SIGKILL'));
    }
    for (const r of responders) {
      for (const s of r.sockets) s.destroy();
      r.server.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function serverOpts(s: LbCase['servers'][number]): string {
  let o = '';
  if (s.weight !== undefined) o += ` weight ${s.weight}`;
  if (s.id !== undefined) o += ` id ${s.id}`;
  if (s.maxconn !== undefined) o += ` maxconn ${s.maxconn}`;
  if (s.backup) o += ' backup';
  if (s.disabled) o += ' disabled';
  return o;
}

async function runStep(
  st: StepSpec,
  port: number,
  sock: string,
  c: LbCase,
  held: Map<string, net.Socket>,
  responders: Responder[],
): Promise<RecordedStep> {
  if (st.cli) {
    const r = await cli(sock, st.cli);
    if (r.trim()) throw new Error(`cli "${st.cli}" answered: ${r}`);
    return { cli: st.cli, apply: st.apply };
  }
  if (st.open) {
    const { name, sock: s } = await tcpConnect(port, st.req ?? {}, true);
    held.set(st.open, s);
    return { open: st.open, req: st.req, server: name };
  }
  if (st.close) {
    const s = held.get(st.close)!;
    held.delete(st.close);
    const before = responders.reduce((n, r) => n + r.sockets.size, 0);
    s.end();
    // wait until the server side is gone too, then let haproxy free the stream
    for (let i = 0; i < 100 && responders.reduce((n, r) => n + r.sockets.size, 0) >= before; i++) await sleep(10);
    await sleep(30);
    return { close: st.close };
  }
  const req = st.req ?? {};
  if (c.mode === 'tcp') {
    const { name } = await tcpConnect(port, req, false);
    await sleep(5);
    return { req, server: name };
  }
  return { req, server: await httpRequest(port, req) };
}

/** the keys whose hashes HAProxy's converters reveal (header values: latin1 bytes allowed) */
export const HASH_KEYS = [
  'a',
  'hello',
  '/index.html',
  'abcdefghijklmnopqrstuvwxyz0123456789',
  'user42',
  '127.0.0.1',
  'Key With Spaces',
  'caf\xe9',
  '\xff\xfe\x80\x81',
  '0',
  'The quick brown fox jumps over the lazy dog',
  '~!@#$%^&*()_+{}|:<>?',
];

/** records sdbm/djb2/wt6/crc32/crc32c (raw and with avalanche) of HASH_KEYS through haproxy's converters */
async function recordHashValues(bin: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lb-hash-'));
  const port = await freePort();
  const sock = join(dir, 'admin.sock');
  const fmt = ['sdbm', 'sdbm(1)', 'djb2', 'djb2(1)', 'wt6', 'wt6(1)', 'crc32', 'crc32(1)', 'crc32c'].map((c) => `%[req.hdr(x),${c}]`).join(' ');
  const cfg = [
    'global',
    `    stats socket ${sock} level admin`,
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 5s',
    '    timeout server 5s',
    'frontend fe',
    `    bind 127.0.0.1:${port}`,
    `    http-request return status 200 content-type text/plain lf-string "${fmt}"`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'h.cfg'), cfg);
  const hap = spawn(bin, ['-db', '-f', join(dir, 'h.cfg')], { stdio: 'ignore' });
  try {
    await waitReady(sock);
    const values: Record<string, Record<string, number>> = {};
    for (const k of HASH_KEYS) {
      const out = await httpRequest(port, { uri: '/', headers: [['x', k]] });
      const nums = out.trim().split(' ').map(Number);
      const names = ['sdbm', 'sdbm_avalanche', 'djb2', 'djb2_avalanche', 'wt6', 'wt6_avalanche', 'crc32', 'crc32_avalanche', 'crc32c'];
      values[Buffer.from(k, 'latin1').toString('hex')] = Object.fromEntries(names.map((n, i) => [n, nums[i]]));
    }
    const file = {
      description: 'hash values from HAProxy 2.6 converters (sdbm, djb2, wt6, crc32 with and without the avalanche argument, crc32c); keys are hex bytes',
      values,
    };
    writeFileSync(join(FIXTURES, 'hash-values.json'), JSON.stringify(file, null, 1) + '\n');
    console.log(`hash-values: ${HASH_KEYS.length} keys`);
  } finally {
    hap.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const only = process.argv.slice(2);
  mkdirSync(FIXTURES, { recursive: true });
  const bin = process.env.HAPROXY ?? 'haproxy';
  if (!only.length || only.includes('hash-values')) await recordHashValues(bin);
  for (const c of CASES) {
    if (only.length && !only.includes(c.name)) continue;
    const steps = await runCase(c, bin);
    const fixture = {
      name: c.name,
      description: c.description,
      recordedWith: 'HAProxy 2.6.12 (Debian 2.6.12-1+deb12u4)',
      mode: c.mode,
      config: [
        'backend be',
        ...c.backendLines.map((l) => `    ${l}`),
        ...c.servers.map((s) => `    server ${s.name} 127.0.0.1:<port>${serverOpts(s)}`),
      ].join('\n'),
      frontendLines: c.frontendLines,
      backendLines: c.backendLines,
      servers: c.servers,
      steps,
    };
    writeFileSync(join(FIXTURES, `${c.name}.json`), JSON.stringify(fixture, null, 1) + '\n');
    const seq = steps.filter((s) => s.server).map((s) => s.server);
    console.log(`${c.name}: ${seq.join(' ')}`);
  }
}

// a recorder, not a test: never run it from the test runner
if (!process.env.NODE_TEST_CONTEXT) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
