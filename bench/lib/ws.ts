/**
 * The bits of RFC 6455 the WebSocket bench needs (echo origin and client alike):
 * the handshake key, one-frame encoding (masked or not) and an incremental frame
 * decoder, plus a latency histogram. Not a WebSocket library: no extensions, no
 * UTF-8 checks, no message reassembly.
 */
import { createHash } from 'node:crypto';

export const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** Header length of a frame carrying `len` payload bytes. */
function headerLength(len: number, masked: boolean): number {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * One final (unless `fin` is false) frame. With `mask` (4 bytes; a client must mask)
 * the payload is XORed into the new buffer; the caller's payload is left as it is.
 */
export function encodeFrame(opcode: number, payload: Buffer, mask: Buffer | null = null, fin = true): Buffer {
  const len = payload.length;
  const hlen = headerLength(len, mask !== null);
  const out = Buffer.allocUnsafe(hlen + len);
  out[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
  const m = mask !== null ? 0x80 : 0;
  let p = 2;
  if (len < 126) {
    out[1] = m | len;
  } else if (len < 65536) {
    out[1] = m | 126;
    out.writeUInt16BE(len, 2);
    p = 4;
  } else {
    out[1] = m | 127;
    out.writeUInt32BE(Math.floor(len / 0x100000000), 2);
    out.writeUInt32BE(len >>> 0, 6);
    p = 10;
  }
  if (mask === null) {
    payload.copy(out, p);
    return out;
  }
  out[p] = mask[0];
  out[p + 1] = mask[1];
  out[p + 2] = mask[2];
  out[p + 3] = mask[3];
  p += 4;
  for (let i = 0; i < len; i++) out[p + i] = payload[i] ^ mask[i & 3];
  return out;
}

export type FrameHandler = (fin: boolean, opcode: number, payload: Buffer) => void;

/**
 * Incremental decoder: feed it what the socket gives, it calls back once per
 * complete frame with the payload unmasked. A partial frame is kept for the next
 * chunk. Throws on what no peer of ours sends (RSV bits, long control frames,
 * payloads over `maxPayload`).
 */
export class FrameDecoder {
  private pending: Buffer | null = null;

  constructor(private readonly maxPayload = 16 * 1024 * 1024) {}

  /** bytes held back waiting for the rest of a frame */
  get buffered(): number {
    return this.pending ? this.pending.length : 0;
  }

  push(chunk: Buffer, onFrame: FrameHandler): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let pos = 0;
    const end = buf.length;
    while (end - pos >= 2) {
      const b0 = buf[pos];
      const b1 = buf[pos + 1];
      if (b0 & 0x70) throw new Error('websocket: RSV bits set without an extension');
      const opcode = b0 & 0x0f;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let hlen = 2;
      if (len === 126) {
        if (end - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        hlen = 4;
      } else if (len === 127) {
        if (end - pos < 10) break;
        const hi = buf.readUInt32BE(pos + 2);
        if (hi > 0x1fffff) throw new Error('websocket: payload length over 2^53');
        len = hi * 0x100000000 + buf.readUInt32BE(pos + 6);
        hlen = 10;
      }
      if (opcode >= 0x8 && (len > 125 || !(b0 & 0x80))) throw new Error('websocket: control frame fragmented or over 125 bytes');
      if (len > this.maxPayload) throw new Error(`websocket: ${len}-byte payload over the ${this.maxPayload}-byte limit`);
      if (masked) hlen += 4;
      if (end - pos < hlen + len) break;
      const start = pos + hlen;
      let payload: Buffer;
      if (masked) {
        // a copy: the caller's chunk stays as received
        payload = Buffer.allocUnsafe(len);
        const k = start - 4;
        const m0 = buf[k], m1 = buf[k + 1], m2 = buf[k + 2], m3 = buf[k + 3];
        let i = 0;
        for (; i + 4 <= len; i += 4) {
          payload[i] = buf[start + i] ^ m0;
          payload[i + 1] = buf[start + i + 1] ^ m1;
          payload[i + 2] = buf[start + i + 2] ^ m2;
          payload[i + 3] = buf[start + i + 3] ^ m3;
        }
        for (; i < len; i++) payload[i] = buf[start + i] ^ buf[k + (i & 3)];
      } else {
        payload = buf.subarray(start, start + len);
      }
      pos = start + len;
      onFrame((b0 & 0x80) !== 0, opcode, payload);
    }
    // copy the tail so a big chunk is not kept alive by a few bytes of it
    if (pos < end) this.pending = Buffer.from(buf.subarray(pos));
  }
}

/** Finds the end of an HTTP head (index just past CRLFCRLF), or -1. */
export function headEnd(buf: Buffer): number {
  const i = buf.indexOf('\r\n\r\n', 0, 'latin1');
  return i < 0 ? -1 : i + 4;
}

/** A header's value from a raw HTTP head (first occurrence, case-insensitive name), or null. */
export function headerValue(head: string, name: string): string | null {
  const want = name.toLowerCase();
  for (const line of head.split('\r\n').slice(1)) {
    const c = line.indexOf(':');
    if (c > 0 && line.slice(0, c).trim().toLowerCase() === want) return line.slice(c + 1).trim();
  }
  return null;
}

/**
 * Round-trip latencies in microseconds: 1 us buckets up to 200 ms, the rare slower
 * ones kept aside. No per-sample allocation, exact enough for p50/p99.
 */
export class LatencyHistogram {
  private readonly buckets: Uint32Array;
  private readonly slow: number[] = [];
  count = 0;

  constructor(private readonly limitUs = 200_000) {
    this.buckets = new Uint32Array(limitUs);
  }

  record(us: number): void {
    this.count++;
    const b = us < 0 ? 0 : Math.floor(us);
    if (b < this.limitUs) this.buckets[b]++;
    else this.slow.push(us);
  }

  /** the p-th percentile (0..100) in microseconds; NaN when empty */
  percentile(p: number): number {
    if (!this.count) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.limitUs; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return i;
    }
    const slow = [...this.slow].sort((a, b) => a - b);
    return slow[rank - seen - 1];
  }
}

/** The JSON line bench/children/ws-client.ts prints. */
export interface WsClientResult {
  connected: number;
  handshakeFailed: number;
  /** echoes received (and checked) between the start and the end of the run */
  messages: number;
  durationS: number;
  /** messages per second: one message = one echo round trip */
  mps: number;
  p50Ms: number;
  p99Ms: number;
  /** connections lost or messages altered during the run */
  errors: number;
  reason?: string;
}
