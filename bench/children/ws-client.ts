/**
 * The WebSocket bench's load: opens CONNS WebSocket connections to 127.0.0.1:PORT
 * (handshake checked, Sec-WebSocket-Accept included), then on each one sends a
 * SIZE-byte binary message (masked, as a client must), waits for its echo, checks
 * it, and sends the next, for DURATION seconds. Prints one JSON line: messages/s,
 * p50/p99 round trip, errors. Bounded: gives up after MAX_SECONDS whatever happens.
 *   node ws-client.js PORT CONNS DURATION SIZE [MAX_SECONDS]
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { acceptKey, encodeFrame, FrameDecoder, headEnd, headerValue, LatencyHistogram, OP_BINARY, type WsClientResult, OP_CLOSE, OP_PING, OP_PONG } from '../lib/ws.js';

const [port, conns, durationS, size, maxS = durationS + 15] = process.argv.slice(2).map(Number);
const HANDSHAKE_MS = 5000;


const hist = new LatencyHistogram();
let connected = 0;
let handshakeFailed = 0;
let settled = 0;
let errors = 0;
let firstReason: string | undefined;
let running = false;
let stopped = false;
let tStart = 0;
let tStop = 0;
const sockets: Socket[] = [];

// masks come from one random pool, refilled when used up
const maskPool = Buffer.allocUnsafe(4096);
let maskPos = maskPool.length;
function nextMask(): Buffer {
  if (maskPos + 4 > maskPool.length) {
    randomFillSync(maskPool);
    maskPos = 0;
  }
  const m = maskPool.subarray(maskPos, maskPos + 4);
  maskPos += 4;
  return m;
}

function fail(why: string): void {
  errors++;
  firstReason ??= why;
}

function finish(reason?: string): never {
  const elapsed = (tStop || performance.now()) - tStart;
  const messages = hist.count;
  const r: WsClientResult = {
    connected,
    handshakeFailed,
    messages,
    durationS: tStart ? elapsed / 1000 : 0,
    mps: tStart && elapsed > 0 ? messages / (elapsed / 1000) : 0,
    p50Ms: hist.percentile(50) / 1000,
    p99Ms: hist.percentile(99) / 1000,
    errors,
  };
  const why = reason ?? firstReason;
  if (why) r.reason = why;
  process.stdout.write(JSON.stringify(r) + '\n');
  for (const s of sockets) s.destroy();
  process.exit(0);
}

class Conn {
  private readonly sock: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private head: Buffer | null = null;
  private decoder: FrameDecoder | null = null;
  private readonly payload = Buffer.alloc(size, 0x78);
  private seq = 0;
  private sentAt = 0;
  state: 'handshake' | 'open' | 'done' = 'handshake';

  constructor(private readonly id: number) {
    if (size >= 4) this.payload.writeUInt32BE(id, 0);
    this.sock = connect({ port, host: '127.0.0.1', noDelay: true });
    sockets.push(this.sock);
    this.sock.on('connect', () => {
      this.sock.write(
        `GET /echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        'latin1',
      );
    });
    this.sock.on('data', (b: Buffer) => this.onData(b));
    this.sock.on('error', (e) => this.lost(`socket error: ${e.message}`));
    this.sock.on('close', () => this.lost('connection closed by the peer'));
  }

  private handshakeDone(ok: boolean, why?: string): void {
    settled++;
    if (ok) {
      connected++;
      this.state = 'open';
    } else {
      handshakeFailed++;
      firstReason ??= why;
      this.state = 'done';
      this.sock.destroy();
    }
    if (settled === conns) begin();
  }

  private onData(b: Buffer): void {
    if (this.state === 'open') {
      try {
        this.decoder!.push(b, this.onFrame);
      } catch (e) {
        this.lost((e as Error).message);
        this.sock.destroy();
      }
      return;
    }
    if (this.state !== 'handshake') return;
    const buf = this.head ? Buffer.concat([this.head, b]) : b;
    const end = headEnd(buf);
    if (end < 0) {
      this.head = buf;
      return;
    }
    this.head = null;
    const text = buf.toString('latin1', 0, end);
    const status = text.slice(0, text.indexOf('\r\n'));
    if (!/^HTTP\/1\.1 101 /.test(status)) return this.handshakeDone(false, `handshake answered ${JSON.stringify(status)}`);
    if (headerValue(text, 'sec-websocket-accept') !== acceptKey(this.key)) return this.handshakeDone(false, 'handshake: wrong or missing Sec-WebSocket-Accept');
    this.decoder = new FrameDecoder();
    this.handshakeDone(true);
    if (end < buf.length) this.onData(buf.subarray(end));
  }

  /** the next message: connection id, sequence number, filler */
  send(): void {
    this.seq++;
    if (size >= 8) this.payload.writeUInt32BE(this.seq >>> 0, 4);
    this.sentAt = performance.now();
    this.sock.write(encodeFrame(OP_BINARY, this.payload, nextMask()));
  }

  private readonly onFrame = (_fin: boolean, opcode: number, data: Buffer): void => {
    if (this.state !== 'open') return;
    if (opcode === OP_PING) {
      this.sock.write(encodeFrame(OP_PONG, data, nextMask()));
      return;
    }
    if (opcode === OP_PONG) return;
    if (opcode === OP_CLOSE) return this.lost('server sent close');
    if (!running) return;
    const now = performance.now();
    if (!data.equals(this.payload)) {
      this.lost(`message ${this.seq} on connection ${this.id} came back altered`);
      this.sock.destroy();
      return;
    }
    hist.record((now - this.sentAt) * 1000);
    if (!stopped) this.send();
  };

  private lost(why: string): void {
    if (this.state === 'handshake') this.handshakeDone(false, why);
    else if (this.state === 'open') {
      this.state = 'done';
      if (!stopped) fail(why);
    }
  }

  /** a close frame, then our side of the connection ends */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'done';
    this.sock.end(encodeFrame(OP_CLOSE, Buffer.from([0x03, 0xe8]), nextMask()));
  }
}

function begin(): void {
  clearTimeout(handshakeTimer);
  const open = all.filter((c) => c.state === 'open');
  if (!open.length) finish(firstReason ?? 'no connection completed the handshake');
  running = true;
  tStart = performance.now();
  for (const c of open) c.send();
  setTimeout(() => {
    stopped = true;
    tStop = performance.now();
    for (const c of all) c.close();
    // give the closes a moment to go out, then report
    setTimeout(() => finish(), 100);
  }, durationS * 1000);
}

setTimeout(() => finish(`gave up after ${maxS} s`), maxS * 1000);
const handshakeTimer = setTimeout(() => {
  if (settled < conns) finish(`only ${connected} of ${conns} handshakes done after ${HANDSHAKE_MS} ms`);
}, HANDSHAKE_MS);

const all: Conn[] = [];
for (let i = 0; i < conns; i++) all.push(new Conn(i));
