/** The bench's pieces that need no load: wrk output parsing, profile summary, table, options, WebSocket frames. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDoneLine, parseWrkText, doneScript } from '../../bench/lib/wrk.js';
import { summariseProfile, type CpuProfile } from '../../bench/lib/profile.js';
import { median, rotation, type Row, type Scenario } from '../../bench/lib/scenario.js';
import { compare, markdownTable, summaryMarkdown, textTable } from '../../bench/lib/report.js';
import { parseArgs, selectScenarios } from '../../bench/run.js';
import { idleCount } from '../../bench/scenarios/idle.js';
import { nginxConfig } from '../../bench/lib/origin.js';
import { generateBigConfig, proxyConfig, rulesConfig } from '../../bench/lib/configs.js';
import { acceptKey, encodeFrame, FrameDecoder, headerValue, LatencyHistogram, OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT, type WsClientResult } from '../../bench/lib/ws.js';
import { parseClientLine, runProblem } from '../../bench/scenarios/websocket.js';

const WRK_TEXT = `Running 1s test @ http://127.0.0.1:38689/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.47ms    2.51ms  22.22ms   89.35%
    Req/Sec     1.96k   290.15     2.44k    70.00%
  Latency Distribution
     50%    1.60ms
     75%    2.60ms
     90%    5.17ms
     99%   13.87ms
  1949 requests in 1.00s, 650.94KB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   1946.93
Transfer/sec:    650.24KB
`;

describe('wrk output', () => {
  it('the text report gives requests, rate, bytes, p50/p99 and the error counts', () => {
    const r = parseWrkText(WRK_TEXT)!;
    assert.equal(r.requests, 1949);
    assert.equal(r.rps, 1946.93);
    assert.equal(r.p50Ms, 1.6);
    assert.equal(r.p99Ms, 13.87);
    assert.equal(Math.round(r.bytes), Math.round(650.94 * 1024));
    assert.deepEqual(r.errors, { connect: 0, read: 3, write: 0, timeout: 1, status: 5 });
  });

  it('microsecond and second latencies convert to milliseconds', () => {
    const r = parseWrkText(WRK_TEXT.replace('1.60ms', '850.00us').replace('13.87ms', '1.20s'))!;
    assert.equal(r.p50Ms, 0.85);
    assert.equal(r.p99Ms, 1200);
  });

  it('the done-hook line wins and gives exact figures', () => {
    const out = `${WRK_TEXT}BENCH-DONE 20000 3000000 2000000 450 3100 0 1 0 2 0\n`;
    const r = parseDoneLine(out)!;
    assert.equal(r.requests, 20000);
    assert.equal(r.rps, 10000);
    assert.equal(r.p50Ms, 0.45);
    assert.equal(r.p99Ms, 3.1);
    assert.equal(r.mibps, 3000000 / 2 / 1048576);
    assert.deepEqual(r.errors, { connect: 0, read: 1, write: 0, status: 2, timeout: 0 });
  });

  it('output without the hook line or the summary parses to null', () => {
    assert.equal(parseDoneLine(WRK_TEXT), null);
    assert.equal(parseWrkText('unable to connect to 127.0.0.1:1 Connection refused'), null);
  });

  it('the Lua hook only defines done (wrk keeps its fast path)', () => {
    assert.match(doneScript, /^done = function\(summary, latency, requests\)/);
    assert.doesNotMatch(doneScript, /request\s*=|response\s*=/);
  });
});

describe('CPU profile summary', () => {
  // root -> main -> parse (hot), main -> write; one idle stretch
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 5, 6] },
      { id: 2, callFrame: { functionName: 'main', url: 'file:///app/a.js', lineNumber: 0 }, children: [3, 4] },
      { id: 3, callFrame: { functionName: 'parse', url: 'file:///app/a.js', lineNumber: 9 } },
      { id: 4, callFrame: { functionName: 'write', url: 'file:///app/b.js', lineNumber: 4 } },
      { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 6, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      // a second path to parse: merged with id 3
      { id: 7, callFrame: { functionName: 'parse', url: 'file:///app/a.js', lineNumber: 9 } },
    ],
    startTime: 0,
    endTime: 10000,
    samples: [3, 3, 4, 5, 7, 6, 2],
    // sample i lasts timeDeltas[i+1]; the last one until endTime
    timeDeltas: [0, 1000, 2000, 1000, 3000, 1000, 1000],
  };

  it('self time per function sums the samples of every node of that function', () => {
    const s = summariseProfile(profile);
    assert.equal(s.totalMs, 10);
    assert.equal(s.idleMs, 3);
    assert.equal(s.busyMs, 7);
    const by = Object.fromEntries(s.top.map((e) => [`${e.functionName}:${e.line}`, e.selfMs]));
    assert.deepEqual(by, { 'parse:10': 4, 'main:1': 1, 'write:5': 1, '(garbage collector):0': 1 });
    assert.equal(s.top[0].functionName, 'parse');
    assert.equal(Math.round(s.top[0].percent), 57);
  });

  it('the top list is cut to the asked length', () => {
    assert.equal(summariseProfile(profile, 2).top.length, 2);
  });
});

describe('table and goals', () => {
  const sc: Scenario = { name: 'keepalive', title: 'HTTP keep-alive', primary: 'rps', quick: true, traffic: true, goals: [{ vs: 'haproxy', op: '>=', ratio: 0.5 }, { vs: 'node-http-proxy', op: '>=', ratio: 3 }], run: async () => [] };
  const row = (subject: Row['subject'], rps: number): Row => ({ scenario: 'keepalive', title: 'HTTP keep-alive', subject, label: subject, status: 'ok', primary: 'rps', runs: [rps], rps, mibps: 1, p50Ms: 0.5, p99Ms: 2 });
  const rows = [row('tshaproxy', 30000), row('haproxy', 50000), row('node-http-proxy', 12000)];

  it('ratios are tshaproxy over each reference, judged against the goals', () => {
    const c = compare(rows, [sc]);
    assert.deepEqual(c.map((x) => [x.vs, x.ratio, x.met]), [['haproxy', 0.6, true], ['node-http-proxy', 2.5, false]]);
  });

  it('a subject that did not run gives n/a, not a ratio', () => {
    const na: Row = { ...row('tshaproxy', 0), status: 'n/a', reason: 'exited (1) before listening' };
    const c = compare([na, rows[1]], [sc]);
    assert.equal(c[0].ratio, null);
    assert.match(markdownTable([na, rows[1]], [sc]), /\| tshaproxy \| n\/a \|.*exited \(1\) before listening \|/);
  });

  it('the markdown and text tables carry the figures and the goal verdicts', () => {
    const md = markdownTable(rows, [sc]);
    assert.match(md, /^\| scenario \| subject \| req\/s \|/);
    assert.match(md, /\| 30,000 \|/);
    assert.match(md, /0\.60x/);
    assert.match(md, />=3x node-http-proxy: MISSED/);
    assert.match(textTable(rows, [sc]), /HTTP keep-alive\n/);
  });

  it('the README summary has one line per scenario with units and the ratio', () => {
    const md = summaryMarkdown(rows, [sc]).split('\n');
    assert.equal(md.length, 3);
    assert.equal(md[2], '| HTTP keep-alive | 30,000 req/s | 50,000 req/s | 12,000 req/s | 0.60x | >=0.5x HAProxy: ok; >=3x node-http-proxy: MISSED |');
  });
});

describe('options and helpers', () => {
  it('--quick --only --subjects --json parse; unknown names are refused', () => {
    const o = parseArgs(['--quick', '--only', 'keepalive,check', '--subjects=haproxy,tshaproxy', '--json', 'x.json']);
    assert.equal(o.quick, true);
    assert.deepEqual(o.only, ['keepalive', 'check']);
    assert.deepEqual(o.subjects, ['haproxy', 'tshaproxy']);
    assert.equal(o.json, 'x.json');
    assert.deepEqual(selectScenarios(o).map((s) => s.name), ['keepalive', 'check']);
    assert.throws(() => parseArgs(['--subjects', 'squid']), /unknown subject/);
    assert.throws(() => selectScenarios(parseArgs(['--only', 'nope'])), /unknown scenario/);
  });

  it('--quick leaves out the scenarios marked slow; --prof picks one traffic scenario', () => {
    const q = selectScenarios(parseArgs(['--quick'])).map((s) => s.name);
    assert.ok(q.includes('keepalive') && q.includes('idle') && !q.includes('rules'));
    assert.deepEqual(selectScenarios(parseArgs(['--prof'])).map((s) => s.name), ['keepalive']);
    assert.deepEqual(selectScenarios(parseArgs(['--prof', '--only', 'check,tcp-keepalive'])).map((s) => s.name), ['tcp-keepalive']);
  });

  it('median, rotation, and the idle count the fd limit allows', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.deepEqual(rotation(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
    assert.equal(idleCount(65536), 10000);
    assert.equal(idleCount(20000), 9900);
  });

  it('the generated configs: one worker nginx, nbthread 1 proxies, the rules and map sizes', () => {
    assert.match(nginxConfig('/t', 8080, 20000), /worker_processes 1;[\s\S]*daemon off;[\s\S]*listen 127\.0\.0\.1:8080/);
    const p = proxyConfig({ mode: 'tcp', port: 1, originPort: 2, maxconn: 10 });
    assert.match(p, /nbthread 1[\s\S]*mode tcp[\s\S]*server s1 127\.0\.0\.1:2/);
    const r = rulesConfig({ port: 1, originPort: 2, maxconn: 10, mapFile: '/t/m.map' });
    assert.equal(r.cfg.match(/use_backend be_\d+ if \{ hdr\(host\) -i /g)!.length, 1000);
    assert.equal(r.map.trim().split('\n').length, 10000);
    assert.ok(r.map.includes(`${r.host} `));
    assert.ok(generateBigConfig().split('\n').length > 50000);
  });
});

describe('WebSocket frames (echo origin and client of the websocket scenario)', () => {
  type F = [boolean, number, string];
  const decodeAll = (d: FrameDecoder, chunks: Buffer[]): F[] => {
    const got: F[] = [];
    for (const c of chunks) d.push(c, (fin, op, payload) => got.push([fin, op, payload.toString('latin1')]));
    return got;
  };

  it('the RFC 6455 examples encode byte for byte, masked and unmasked', () => {
    assert.deepEqual([...encodeFrame(OP_TEXT, Buffer.from('Hello'))], [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    assert.deepEqual([...encodeFrame(OP_TEXT, Buffer.from('Hello'), mask)], [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    assert.deepEqual([...encodeFrame(OP_TEXT, Buffer.from('Hel'), null, false).subarray(0, 2)], [0x01, 0x03]);
  });

  it('payload lengths of 126 and more use the 16-bit and 64-bit forms', () => {
    assert.deepEqual([...encodeFrame(OP_BINARY, Buffer.alloc(256)).subarray(0, 4)], [0x82, 0x7e, 0x01, 0x00]);
    assert.deepEqual([...encodeFrame(OP_BINARY, Buffer.alloc(65536)).subarray(0, 10)], [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert.equal(encodeFrame(OP_BINARY, Buffer.alloc(125), Buffer.alloc(4)).length, 2 + 4 + 125);
    assert.equal(encodeFrame(OP_BINARY, Buffer.alloc(65535), Buffer.alloc(4)).length, 4 + 4 + 65535);
  });

  it('the decoder unmasks and gives the frames back whole, however the bytes are split', () => {
    const mask = Buffer.from([1, 2, 3, 4]);
    const big = 'x'.repeat(70000);
    const frames = [
      encodeFrame(OP_TEXT, Buffer.from('Hello'), mask),
      encodeFrame(OP_BINARY, Buffer.from('a'.repeat(300)), null, false),
      encodeFrame(OP_PING, Buffer.alloc(0), mask),
      encodeFrame(OP_BINARY, Buffer.from(big), mask),
      encodeFrame(OP_CLOSE, Buffer.from([0x03, 0xe8])),
    ];
    const want: F[] = [[true, OP_TEXT, 'Hello'], [false, OP_BINARY, 'a'.repeat(300)], [true, OP_PING, ''], [true, OP_BINARY, big], [true, OP_CLOSE, '\x03\xe8']];
    const all = Buffer.concat(frames);
    assert.deepEqual(decodeAll(new FrameDecoder(), [all]), want);
    const bytes = new FrameDecoder();
    const small = Buffer.concat(frames.slice(0, 3));
    assert.deepEqual(decodeAll(bytes, [...small].map((b) => Buffer.from([b]))), want.slice(0, 3));
    assert.equal(bytes.buffered, 0);
    const cuts = new FrameDecoder();
    const chunks = [all.subarray(0, 3), all.subarray(3, 9), all.subarray(9, 5000), all.subarray(5000, all.length - 1), all.subarray(all.length - 1)];
    assert.deepEqual(decodeAll(cuts, chunks), want);
  });

  it('a masked frame is decoded without changing the bytes it came in', () => {
    const wire = encodeFrame(OP_TEXT, Buffer.from('Hello'), Buffer.from([9, 8, 7, 6]));
    const copy = Buffer.from(wire);
    decodeAll(new FrameDecoder(), [wire]);
    assert.deepEqual(wire, copy);
  });

  it('RSV bits, long control frames and oversized payloads are refused', () => {
    assert.throws(() => decodeAll(new FrameDecoder(), [Buffer.from([0xc1, 0x00])]), /RSV/);
    assert.throws(() => decodeAll(new FrameDecoder(), [encodeFrame(OP_PING, Buffer.alloc(126))]), /control frame/);
    assert.throws(() => decodeAll(new FrameDecoder(), [encodeFrame(OP_CLOSE, Buffer.alloc(2), null, false)]), /control frame/);
    assert.throws(() => decodeAll(new FrameDecoder(1000), [encodeFrame(OP_BINARY, Buffer.alloc(1001)).subarray(0, 4)]), /limit/);
  });

  it('the handshake accept key and header lookup follow RFC 6455', () => {
    assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const head = 'GET / HTTP/1.1\r\nHost: x\r\nupgrade:  WebSocket \r\nSec-WebSocket-Key: abc==\r\n\r\n';
    assert.equal(headerValue(head, 'Upgrade'), 'WebSocket');
    assert.equal(headerValue(head, 'sec-websocket-key'), 'abc==');
    assert.equal(headerValue(head, 'origin'), null);
  });

  it('latency percentiles come from 1 us buckets, slow ones from the overflow list', () => {
    const h = new LatencyHistogram(1000);
    for (let i = 1; i <= 98; i++) h.record(i);
    h.record(5000);
    h.record(7000);
    assert.equal(h.count, 100);
    assert.equal(h.percentile(50), 50);
    assert.equal(h.percentile(99), 5000);
    assert.equal(h.percentile(100), 7000);
    assert.ok(Number.isNaN(new LatencyHistogram(10).percentile(50)));
  });

  it('the client line parses, and runs with failed handshakes or lost connections do not count', () => {
    const ok: WsClientResult = { connected: 50, handshakeFailed: 0, messages: 50000, durationS: 1, mps: 50000, p50Ms: 0.8, p99Ms: 4, errors: 0 };
    assert.deepEqual(parseClientLine(`noise\n${JSON.stringify(ok)}\n`), ok);
    assert.equal(parseClientLine('ws client: boom'), null);
    assert.equal(runProblem(ok, 50), null);
    assert.match(runProblem({ ...ok, connected: 49, handshakeFailed: 1, reason: 'handshake answered "HTTP/1.1 400 Bad Request"' }, 50)!, /49 of 50 handshakes done: handshake answered/);
    assert.match(runProblem({ ...ok, errors: 3 }, 50)!, /3 connections lost/);
    assert.match(runProblem({ ...ok, messages: 0, mps: 0 }, 50)!, /no message echoed/);
  });

  it('the websocket proxies get a timeout tunnel; the others keep the default config', () => {
    assert.match(proxyConfig({ mode: 'http', port: 1, originPort: 2, maxconn: 10, tunnel: '1h' }), /timeout server 60s\n {4}timeout tunnel 1h\n\nfrontend fe/);
    assert.doesNotMatch(proxyConfig({ mode: 'http', port: 1, originPort: 2, maxconn: 10 }), /tunnel/);
  });
});
