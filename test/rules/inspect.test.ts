/**
 * tcp-request inspect-delay on seed 004's SNI frontend, measured on
 * tshaproxy and on HAProxy 2.6 side by side: plain bytes and complete TLS
 * ClientHellos go on at once (their conditions decide), a partial TLS
 * record waits for the whole delay, a hello completed later goes on when
 * it completes, and a silent client is connected when the delay expires.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { projectRoot } from '../harness/runner.js';
import { Backends, clientHello, freePorts, sleep, startProxy, subjects, withTimeout, type Proc, type Subject } from './lib.js';

const CFG = join(projectRoot, 'test', 'fixtures', 'seeds', '004-pumpio-repaired.cfg');

interface Run {
  subject: Subject;
  port: number;
  backends: Backends;
  proc: Proc;
}

const runs: Run[] = [];
let hello: Buffer;
let otherHello: Buffer;

before(async () => {
  hello = await clientHello('pump2.thisshitistemp.com');
  otherHello = await clientHello('other.example');
  for (const subject of subjects()) {
    const [https, ssl, pump, http, app] = await freePorts(5);
    const backends = new Backends();
    await backends.tcp('servers-ssl', ssl);
    await backends.tcp('pumpio-ssl', pump);
    const env = { HTTPS_PORT: String(https), SSL_PORT: String(ssl), PUMP_PORT: String(pump), HTTP_PORT: String(http), APP_PORT: String(app) };
    // health checks would look like silent clients to the recording backends
    const cfg = readFileSync(CFG, 'utf8').replace(/ check$/gm, '');
    const proc = await startProxy(subject, cfg, [https], { env });
    runs.push({ subject, port: https, backends, proc });
  }
});

after(async () => {
  for (const r of runs) {
    await r.proc.stop();
    await r.backends.close();
  }
});

interface Outcome {
  backend?: string;
  /** ms from the first byte sent (or the connect when nothing is sent) to the server side seeing it */
  waited: number;
}

/** Sends `parts` (gap ms apart) and reports where the first byte arrived and after how long. */
async function measure(r: Run, parts: Buffer[], gap = 0, maxMs = 7500): Promise<Outcome> {
  const sock = net.connect(r.port, '127.0.0.1');
  sock.on('error', () => {});
  try {
    await withTimeout(new Promise((res) => sock.once('connect', res)), 3000, 'connect');
    const t0 = Date.now();
    const first = parts[0]?.subarray(0, 4).toString('latin1');
    for (let i = 0; i < parts.length; i++) {
      if (i) await sleep(gap);
      sock.write(parts[i]);
    }
    const end = t0 + maxMs;
    while (Date.now() < end) {
      const g = first !== undefined ? r.backends.got.find((x) => x.data.startsWith(first) && x.at >= t0) : undefined;
      if (g) return { backend: g.backend, waited: g.at - t0 };
      if (first === undefined) {
        const c = r.backends.conns.find((x) => x.at >= t0);
        if (c) return { backend: c.backend, waited: c.at - t0 };
      }
      await sleep(10);
    }
    return { waited: Date.now() - t0 };
  } finally {
    sock.destroy();
  }
}

const CASES: { name: string; parts: () => Buffer[]; gap?: number; backend: string; min: number; max: number }[] = [
  { name: 'plain text', parts: () => [Buffer.from('GET / HTTP/1.0\r\n\r\n')], backend: 'servers-ssl', min: 0, max: 400 },
  { name: 'a ClientHello for pump2', parts: () => [hello], backend: 'pumpio-ssl', min: 0, max: 400 },
  { name: 'a ClientHello for another name', parts: () => [otherHello], backend: 'servers-ssl', min: 0, max: 400 },
  { name: 'a partial TLS record', parts: () => [Buffer.from([0x16, 0x03, 0x01])], backend: 'servers-ssl', min: 4700, max: 5600 },
  { name: 'a ClientHello sent in two parts 1 s apart', parts: () => [hello.subarray(0, 20), hello.subarray(20)], gap: 1000, backend: 'pumpio-ssl', min: 900, max: 1500 },
  { name: 'nothing (a silent client)', parts: () => [], backend: 'servers-ssl', min: 4700, max: 5600 },
];

test('seed 004: each input waits as long on tshaproxy as on HAProxy 2.6 and reaches the same backend', { timeout: 40000 }, async () => {
  // subjects side by side, cases one after the other (their bytes look alike)
  const perSubject = await Promise.all(
    runs.map(async (r) => {
      const out: { subject: Subject; c: (typeof CASES)[number]; o: Outcome }[] = [];
      for (const c of CASES) {
        r.backends.clear();
        out.push({ subject: r.subject, c, o: await measure(r, c.parts(), c.gap ?? 0) });
        await sleep(50);
      }
      return out;
    }),
  );
  const results = perSubject.flat();
  const table: string[] = [];
  for (const { subject, c, o } of results) {
    table.push(`${subject.padEnd(9)} ${c.name.padEnd(42)} -> ${o.backend ?? 'none'} after ${o.waited} ms`);
  }
  console.log(table.join('\n'));
  if (runs.length === 2) {
    // side by side: same backend, and waits within 300 ms of HAProxy's
    for (const c of CASES) {
      const [a, b] = results.filter((x) => x.c === c);
      assert.equal(a.o.backend, b.o.backend, c.name);
      assert.ok(Math.abs(a.o.waited - b.o.waited) < 300, `${c.name}: ${a.o.waited} ms vs ${b.o.waited} ms`);
    }
  }
  for (const { subject, c, o } of results) {
    assert.equal(o.backend, c.backend, `${subject}: ${c.name}`);
    assert.ok(o.waited >= c.min && o.waited <= c.max, `${subject}: ${c.name} waited ${o.waited} ms (expected ${c.min}..${c.max})`);
  }
});

test('a client timeout shorter than the inspect-delay closes a silent client first, reads keep it alive', { timeout: 20000 }, async () => {
  const results: string[] = [];
  await Promise.all(
    subjects().map(async (subject) => {
      const [fe, be] = await freePorts(2);
      const backends = new Backends();
      await backends.tcp('be', be);
      const cfg = [
        'defaults',
        '    mode tcp',
        '    timeout connect 2s',
        '    timeout client 1s',
        '    timeout server 5s',
        'frontend fe',
        `    bind 127.0.0.1:${fe}`,
        '    tcp-request inspect-delay 3s',
        '    tcp-request content accept if { req.len ge 5 }',
        '    default_backend be',
        'backend be',
        `    server s1 127.0.0.1:${be}`,
        '',
      ].join('\n');
      const proc = await startProxy(subject, cfg, [fe]);
      try {
        const one = async (parts: string[]) => {
          const t0 = Date.now();
          const s = net.connect(fe, '127.0.0.1');
          s.on('error', () => {});
          const closed = new Promise<number>((res) => s.on('close', () => res(Date.now() - t0)));
          await new Promise((res) => s.once('connect', res));
          for (const p of parts) {
            s.write(p);
            await sleep(600);
          }
          const ms = await withTimeout(closed, 6000, 'close');
          return ms;
        };
        const silent = await one(['ab']);
        backends.clear();
        const chatty = await one(['ab', 'c', 'd', 'e']);
        const got = backends.got.map((g) => g.data).join('');
        results.push(`${subject}: silent client closed after ${silent} ms; chatty client forwarded ${JSON.stringify(got)}, closed after ${chatty} ms`);
        assert.ok(silent >= 900 && silent < 1500, `${subject}: silent client closed after ${silent} ms`);
        assert.equal(got, 'abcde', subject);
      } finally {
        await proc.stop();
        await backends.close();
      }
    }),
  );
  console.log(results.join('\n'));
});
