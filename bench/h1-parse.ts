/**
 * Micro-benchmark of the H1 message layer: ns per request for parsing a
 * typical ~400-byte request head, and for parsing + writing it for the
 * server (what the engine does per request).
 *
 *   npx tsc -p . && node dist/bench/h1-parse.js
 */
import { BackConn, FrontConn, H1Parser } from '../src/runtime/http/h1/index.js';

const HEAD = Buffer.from(
  'GET /products/list?category=books&page=2 HTTP/1.1\r\n' +
    'Host: www.example.com\r\n' +
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n' +
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n' +
    'Accept-Language: en-US,en;q=0.5\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\n' +
    'Connection: keep-alive\r\n' +
    'Cookie: session=abc123; theme=dark\r\n' +
    'Upgrade-Insecure-Requests: 1\r\n' +
    '\r\n',
  'latin1',
);

/** best of 5 runs, CPU time of this process (robust when other work shares the cores) */
function bench(name: string, n: number, fn: () => void): number {
  for (let i = 0; i < n / 10; i++) fn(); // warm-up
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, ((c.user + c.system) * 1000) / n);
  }
  console.log(`${name.padEnd(44)} ${best.toFixed(0).padStart(6)} ns/request`);
  return best;
}

const p = new H1Parser();
const front = new FrontConn();
const back = new BackConn();
let sink = 0;
const N = 200_000;

console.log(`request head: ${HEAD.length} bytes`);
bench('parse', N, () => {
  sink += p.parse(HEAD);
});
bench('parse + write for the server (string)', N, () => {
  p.parse(HEAD);
  front.requestIn(p.message);
  back.reset();
  sink += back.requestHead(p.message).length;
});
bench('parse + write for the server (Buffer)', N, () => {
  p.parse(HEAD);
  front.requestIn(p.message);
  back.reset();
  sink += Buffer.from(back.requestHead(p.message), 'latin1').length;
});
if (sink === 42) console.log('');
