/**
 * Records how HAProxy 2.6 handles PROXY protocol headers, into
 * test/proxy-protocol/fixtures/. Run by hand:
 * `npx tsc -p . && node dist/test/proxy-protocol/record.js`.
 *
 * - accept.json: for each input written in one go to an `accept-proxy`
 *   listener, either the addresses HAProxy then uses (src, dst) or the
 *   message it logs and how the connection ends (RST or FIN).
 * - send.json: the bytes servers receive from `send-proxy`/`send-proxy-v2`
 *   for IPv4, IPv6 and IPv4-mapped clients, and from health checks with
 *   `check-send-proxy`.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACCEPT_INPUTS } from './inputs.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'proxy-protocol', 'fixtures');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitPort(port: number, host = '127.0.0.1'): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect(port, host);
      s.on('connect', () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error('haproxy did not start');
}

interface Outcome {
  name: string;
  hex: string;
  result: 'ok' | 'error';
  src?: string;
  dst?: string;
  message?: string;
  close?: 'rst' | 'fin';
  afterMs?: number;
}

function send(port: number, data: Buffer): Promise<{ body: string; close: 'rst' | 'fin'; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('connect', () => {
      if (data.length) s.write(data);
    });
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', () => {
      clearTimeout(timer);
      resolve({ body: out, close: 'rst', ms: Date.now() - t0 });
    });
    s.on('end', () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ body: out, close: 'fin', ms: Date.now() - t0 });
    });
  });
}

async function recordAccept(bin: string): Promise<Outcome[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-record-'));
  const port = await freePort();
  const logs: string[] = [];
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  udp.on('message', (m) => logs.push(m.toString()));
  const cfg = [
    'global',
    `    log 127.0.0.1:${(udp.address() as net.AddressInfo).port} local0`,
    'defaults',
    '    mode http',
    '    log global',
    '    timeout connect 1s',
    '    timeout client 1500ms',
    '    timeout http-request 500ms',
    '    timeout server 2s',
    'frontend fe',
    `    bind 127.0.0.1:${port} accept-proxy`,
    '    http-request return status 200 content-type text/plain lf-string "src=%[src]:%[src_port] dst=%[dst]:%[dst_port]"',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'h.cfg'), cfg);
  const hap = spawn(bin, ['-db', '-f', join(dir, 'h.cfg')], { stdio: 'ignore' });
  const out: Outcome[] = [];
  try {
    await waitPort(port);
    await sleep(100);
    logs.length = 0;
    for (const inp of ACCEPT_INPUTS) {
      const data = Buffer.from(inp.hex, 'hex');
      const r = await send(port, data);
      await sleep(60);
      const m = /src=(.*) dst=(.*)$/.exec(r.body);
      const line = logs.find((l) => /: [A-Z][^:]*PROXY protocol header/.test(l)) ?? '';
      if (m) out.push({ name: inp.name, hex: inp.hex, result: 'ok', src: m[1], dst: m[2] });
      // accepted, but no request followed: closed by timeout http-request, nothing logged
      else if (!line && r.close === 'fin') out.push({ name: inp.name, hex: inp.hex, result: 'ok' });
      else {
        const message = /\]: \S+ \[[^\]]+\] [^ ]+: (.*)$/.exec(line.trim())?.[1] ?? line.trim();
        out.push({ name: inp.name, hex: inp.hex, result: 'error', message, close: r.close, afterMs: r.ms > 1000 ? Math.round(r.ms / 100) * 100 : undefined });
      }
      logs.length = 0;
    }
  } finally {
    hap.kill('SIGTERM');
    udp.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

interface SendCapture {
  name: string;
  /** what the client connection looked like to HAProxy */
  src: { address: string; port: number } | null;
  dst: { address: string; port: number } | null;
  local?: boolean;
  version: 1 | 2;
  hex: string;
}

/** the PROXY header servers receive (headers only: up to the end of the header) */
async function recordSend(bin: string): Promise<SendCapture[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-send-'));
  const captures: { port: number; data: Buffer; peer: string; peerPort: number }[] = [];
  const servers: net.Server[] = [];
  const listen = async () => {
    let myPort = 0;
    const srv = net.createServer((s) => {
      const peer = s.remoteAddress ?? '';
      const peerPort = s.remotePort ?? 0;
      let buf = Buffer.alloc(0);
      s.on('data', (d) => (buf = Buffer.concat([buf, d])));
      s.on('error', () => {});
      setTimeout(() => {
        captures.push({ port: myPort, data: buf, peer, peerPort });
        s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      }, 150);
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    myPort = (srv.address() as net.AddressInfo).port;
    return myPort;
  };
  const v1 = await listen();
  const v2 = await listen();
  const c1 = await listen();
  const c2 = await listen();
  const f6 = await freePort();
  const f4 = await freePort();
  const fl = await freePort();
  const cfg = [
    'defaults',
    '    mode http',
    '    timeout connect 1s',
    '    timeout client 2s',
    '    timeout server 2s',
    'frontend dual',
    `    bind :::${f6} v4v6`,
    '    use_backend b2 if { path_beg /v2 }',
    '    default_backend b1',
    'frontend four',
    `    bind 127.0.0.1:${f4}`,
    '    use_backend b2 if { path_beg /v2 }',
    '    default_backend b1',
    'frontend six',
    `    bind ::1:${fl}`,
    '    use_backend b2 if { path_beg /v2 }',
    '    default_backend b1',
    'backend b1',
    `    server s 127.0.0.1:${v1} send-proxy`,
    'backend b2',
    `    server s 127.0.0.1:${v2} send-proxy-v2`,
    'backend k1',
    `    server s 127.0.0.1:${c1} send-proxy check-send-proxy check inter 300ms`,
    'backend k2',
    `    server s 127.0.0.1:${c2} send-proxy-v2 check-send-proxy check inter 300ms`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'h.cfg'), cfg);
  const hap = spawn(bin, ['-db', '-f', join(dir, 'h.cfg')], { stdio: 'ignore' });
  const out: SendCapture[] = [];
  const get = (host: string, port: number, path: string, family: 4 | 6) =>
    new Promise<{ local: string; localPort: number }>((resolve, reject) => {
      const s = net.connect({ host, port, family });
      s.on('connect', () => {
        s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
        const info = { local: s.localAddress!, localPort: s.localPort! };
        s.on('end', () => {
          s.destroy();
          resolve(info);
        });
      });
      s.on('error', reject);
      s.resume();
    });
  const header = (b: Buffer) => {
    if (b[0] === 0x50) return b.subarray(0, b.indexOf('\r\n') + 2);
    return b.subarray(0, 16 + b.readUInt16BE(14));
  };
  try {
    await waitPort(f4);
    await sleep(800); // let the first health checks run
    for (const [name, host, port, fam, mappedV4] of [
      ['ipv4 client', '127.0.0.1', f4, 4, false],
      ['ipv6 client', '::1', fl, 6, false],
      ['ipv4 client on a v4v6 listener', '127.0.0.1', f6, 4, true],
      ['ipv6 client on a v4v6 listener', '::1', f6, 6, false],
    ] as const) {
      for (const version of [1, 2] as const) {
        const n = captures.length;
        const me = await get(host, port, version === 2 ? '/v2' : '/v1', fam);
        for (let i = 0; i < 40 && captures.length === n; i++) await sleep(20);
        const c = captures[captures.length - 1];
        const prefix = mappedV4 ? '::ffff:' : '';
        out.push({
          name: `${name}, send-proxy${version === 2 ? '-v2' : ''}`,
          src: { address: prefix + me.local, port: me.localPort },
          dst: { address: prefix + host, port },
          version,
          hex: header(c.data).toString('hex'),
        });
      }
    }
    for (const [port, version] of [
      [c1, 1],
      [c2, 2],
    ] as const) {
      const c = captures.find((x) => x.port === port);
      if (!c) throw new Error('no health check captured');
      out.push({
        name: `health check, check-send-proxy with send-proxy${version === 2 ? '-v2' : ''}`,
        // the check's own connection: haproxy's side, then the server
        src: { address: c.peer.replace(/^::ffff:/, ''), port: c.peerPort },
        dst: { address: '127.0.0.1', port },
        local: true,
        version,
        hex: header(c.data).toString('hex'),
      });
    }
  } finally {
    hap.kill('SIGTERM');
    await sleep(200);
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function main() {
  const bin = process.env.HAPROXY ?? 'haproxy';
  mkdirSync(OUT, { recursive: true });
  const accept = await recordAccept(bin);
  writeFileSync(
    join(OUT, 'accept.json'),
    JSON.stringify({ recordedWith: 'HAProxy 2.6.12', listener: 'bind ... accept-proxy, timeout client 1500ms', cases: accept }, null, 1) + '\n',
  );
  for (const a of accept) console.log(`${a.name}: ${a.result} ${a.src ?? ''} ${a.dst ?? ''} ${a.message ?? ''} ${a.close ?? ''} ${a.afterMs ?? ''}`);
  const sent = await recordSend(bin);
  writeFileSync(join(OUT, 'send.json'), JSON.stringify({ recordedWith: 'HAProxy 2.6.12', cases: sent }, null, 1) + '\n');
  for (const s of sent) console.log(`${s.name}: ${Buffer.from(s.hex, 'hex').toString('latin1').replace(/[^\x20-\x7e]/g, '.')}`);
}

// a recorder, not a test: never run it from the test runner
if (!process.env.NODE_TEST_CONTEXT) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
