/**
 * The scenario client: raw bytes over a socket (so malformed requests can be
 * sent), and a minimal HTTP/1.x response parser. Every wait is bounded.
 */
import net from 'node:net';
import tls from 'node:tls';

import { buildRequest, parseResponse, type ParsedResponse } from '../../src/compare/http.js';

export { buildRequest, parseResponse, type ParsedResponse };

export interface ConnectOpts {
  port: number;
  host?: string;
  /** TLS with this SNI (certificates are not verified). */
  tls?: { servername?: string };
  timeoutMs?: number;
}

/** A client connection that buffers what it receives and notes how it ended. */
export class RawConn {
  buf: Buffer = Buffer.alloc(0);
  /** The peer closed (FIN or error). */
  ended = false;
  /** `reset` for ECONNRESET, else the error code. */
  error?: string;
  private waiters = new Set<() => void>();

  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake();
    });
    sock.on('end', () => {
      this.ended = true;
      this.wake();
    });
    sock.on('close', () => {
      this.ended = true;
      this.wake();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      this.error = e.code === 'ECONNRESET' ? 'reset' : (e.code ?? e.message);
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  static connect(o: ConnectOpts): Promise<RawConn> {
    const timeoutMs = o.timeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      const host = o.host ?? '127.0.0.1';
      const sock = o.tls
        ? tls.connect({ port: o.port, host, servername: o.tls.servername, rejectUnauthorized: false })
        : net.connect({ port: o.port, host, allowHalfOpen: true });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect to ${o.port}: timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once(o.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new RawConn(sock));
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(Object.assign(new Error(`connect to ${o.port}: ${e.code ?? e.message}`), { code: e.code }));
      });
    });
  }

  write(b: string | Buffer): void {
    if (!this.sock.destroyed) this.sock.write(typeof b === 'string' ? Buffer.from(b, 'latin1') : b);
  }

  /** Half-close: send FIN, keep reading. */
  endWrite(): void {
    if (!this.sock.destroyed) this.sock.end();
  }

  destroy(): void {
    this.sock.destroy();
  }

  /** Resolves true once `pred()` holds, false at the deadline or once the peer is gone without it. */
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    if (this.ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      const check = () => {
        if (pred()) done(true);
        else if (this.ended) done(false);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Takes `n` bytes (or what is there) off the buffer. */
  take(n = this.buf.length): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Reads one response; rejects on timeout or if the connection ends first (the error says so). */
  async readResponse(timeoutMs: number, method = 'GET'): Promise<ParsedResponse> {
    let got: { res: ParsedResponse; used: number } | undefined;
    let perr: Error | undefined;
    const ok = await this.waitFor(() => {
      try {
        got = parseResponse(this.buf, this.ended, method);
      } catch (e) {
        perr = e as Error;
        return true;
      }
      return got !== undefined;
    }, timeoutMs);
    if (perr) throw perr;
    if (!ok || !got) {
      if (this.ended) throw Object.assign(new Error(this.error ?? 'closed'), { closed: true, partial: this.buf });
      throw Object.assign(new Error(`no complete response within ${timeoutMs} ms`), { timeout: true, partial: this.buf });
    }
    this.take(got.used);
    return got.res;
  }

  /** Waits up to `ms` for the peer to close; true if it did. */
  async waitClosed(ms: number): Promise<boolean> {
    return this.waitFor(() => this.ended, ms).then(() => this.ended);
  }
}

