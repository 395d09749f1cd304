/**
 * Holds N idle client connections open to a port (for the memory scenario), from
 * its own process so the bench's process stays small. Opens them `parallel` at a
 * time, prints one JSON line {connected, failed, closed} when all are tried, and
 * again on each "status" line on stdin; "quit" or the end of stdin closes them all
 * and exits. Bounded: exits by itself after `maxSeconds`.
 *   node holder.js PORT N [parallel] [maxSeconds]
 */
import { connect, type Socket } from 'node:net';

const [port, n, parallel = 200, maxSeconds = 120] = process.argv.slice(2).map(Number);
const sockets: Socket[] = [];
let connected = 0;
let failed = 0;
let started = 0;
let closed = 0;

setTimeout(() => process.exit(3), maxSeconds * 1000);

function report(): void {
  process.stdout.write(JSON.stringify({ connected, failed, closed }) + '\n');
}

function openOne(): void {
  if (started >= n) return;
  started++;
  const s = connect({ port, host: '127.0.0.1' });
  let settled = false;
  s.once('connect', () => {
    settled = true;
    connected++;
    sockets.push(s);
    s.once('close', () => closed++);
    next();
  });
  s.on('error', () => {
    if (!settled) {
      settled = true;
      failed++;
      next();
    }
  });
}

function next(): void {
  if (connected + failed === n) report();
  else openOne();
}

for (let i = 0; i < Math.min(parallel, n); i++) openOne();
if (n === 0) report();

const release = () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
};
let pending = '';
process.stdin.on('data', (b: Buffer) => {
  pending += b.toString('utf8');
  let i;
  while ((i = pending.indexOf('\n')) >= 0) {
    const cmd = pending.slice(0, i).trim();
    pending = pending.slice(i + 1);
    if (cmd === 'status') report();
    else release();
  }
});
process.stdin.on('end', release);
process.on('SIGTERM', release);
