/**
 * Direct socket I/O for the hot path: reads and writes on a plain TCP
 * socket's libuv handle, without Node's Readable/Writable layer. That layer
 * costs about 1 µs per read and per write (stream state, a nextTick per read
 * and per write, event emission); a keep-alive HTTP exchange makes two reads
 * and two writes (measured: a bare pipe does 22% more requests/s this way).
 *
 * The net.Socket stays the owner of the connection: connect, end, destroy,
 * EOF, errors and 'close' go through it as before. Only two things change on
 * a socket put in direct mode:
 *  - data reads go to the function given to `directReader` (when it is null,
 *    they take Node's path again: 'data' events, e.g. for the idle pool);
 *  - `directWrite*` hand bytes to the handle (libuv keeps them in order with
 *    any write made through `socket.write`). `false` means the bytes wait in
 *    the kernel queue: the caller stops its source until 'drain', which this
 *    module emits when they are gone.
 * Pausing must go through `pauseReads`/`resumeReads` (they act on the handle).
 *
 * It relies on `process.binding('stream_wrap')` (WriteWrap and the shared
 * stream state array) as found in Node 18 to 22. When that is missing or has
 * another shape, or for TLS sockets, every function falls back to the public
 * stream API. `TSHAPROXY_DIRECT_IO=0` turns it off (A/B measurements).
 */
import type * as net from 'node:net';
import { getSystemErrorName } from 'node:util';

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
}

interface WriteReq {
  handle: Handle;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  bytes: number;
  buffer: unknown;
  st?: DirectState;
}

interface Handle {
  reading: boolean;
  onread: (this: Handle, ab: ArrayBuffer) => unknown;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: WriteReq, b: Uint8Array): number;
  writeLatin1String(req: WriteReq, s: string): number;
  writev(req: WriteReq, chunks: unknown[], allBuffers: boolean): number;
  [kState]?: DirectState;
}

interface DirectState {
  sock: net.Socket;
  handle: Handle;
  /** who gets the bytes read; null: Node's own path */
  reader: ((b: Buffer) => void) | null;
  /** Node's onread (onStreamRead) */
  orig: (this: Handle, ab: ArrayBuffer) => unknown;
  /** direct writes still queued in libuv */
  pending: number;
}

const kState = Symbol('tshaproxy.direct');

function loadBinding(): StreamWrapBinding | null {
  if (process.env.TSHAPROXY_DIRECT_IO === '0') return null;
  try {
    const b = (process as unknown as { binding(n: string): StreamWrapBinding }).binding('stream_wrap');
    if (typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array)) return null;
    for (const k of ['kReadBytesOrError', 'kArrayBufferOffset', 'kBytesWritten', 'kLastWriteWasAsync'] as const)
      if (typeof b[k] !== 'number' || b[k] < 0 || b[k] >= b.streamBaseState.length) return null;
    return b;
  } catch {
    return null;
  }
}

const B = loadBinding();
const SB = B ? B.streamBaseState : new Int32Array(4);
const K_NREAD = B ? B.kReadBytesOrError : 0;
const K_OFFSET = B ? B.kArrayBufferOffset : 0;
const K_ASYNC = B ? B.kLastWriteWasAsync : 0;

/** is direct I/O available in this process */
export const directIo = B !== null;

/** the handle's onread while in direct mode (`this` is the handle) */
function onDirectRead(this: Handle, ab: ArrayBuffer): unknown {
  const st = this[kState]!;
  const n = SB[K_NREAD];
  if (n > 0 && st.reader !== null) {
    if (st.sock.destroyed) return;
    st.reader(Buffer.from(ab, SB[K_OFFSET], n));
    return;
  }
  // EOF, read errors, or no direct reader: Node's path ('end', 'error', 'data')
  return st.orig.call(this, ab);
}

function stateOf(sock: net.Socket): DirectState | null {
  const h = (sock as unknown as { _handle: Handle | null })._handle;
  if (!h) return null;
  const st = h[kState];
  if (st) return st;
  if (B === null || (sock as { encrypted?: boolean }).encrypted || typeof h.readStart !== 'function' || typeof h.writeBuffer !== 'function')
    return null;
  const s: DirectState = { sock, handle: h, reader: null, orig: h.onread, pending: 0 };
  h[kState] = s;
  h.onread = onDirectRead;
  return s;
}

/**
 * Sends the socket's reads to `reader` (null: back to Node's 'data' events).
 * Returns false when the socket cannot be read directly (TLS, no binding,
 * bytes already buffered by the Readable): the caller listens to 'data'.
 */
export function directReader(sock: net.Socket, reader: ((b: Buffer) => void) | null): boolean {
  if (reader !== null && sock.readableLength > 0) return false;
  const st = stateOf(sock);
  if (!st) return false;
  st.reader = reader;
  // Node's Readable must stay flowing so that EOF gives 'end' at once
  if (reader !== null) {
    if (!sock.readableFlowing) sock.resume();
  } else if (!st.handle.reading && !sock.destroyed && !sock.connecting) {
    // handed back to Node (the pool's 'data' watch): its resume() would not restart a handle stopped here
    st.handle.reading = true;
    st.handle.readStart();
  }
  return true;
}

/** stops reading (the handle itself in direct mode) */
export function pauseReads(sock: net.Socket): void {
  const st = (sock as unknown as { _handle: Handle | null })._handle?.[kState];
  if (st === undefined || st.reader === null) {
    sock.pause();
    return;
  }
  const h = st.handle;
  if (h.reading && !sock.destroyed) {
    h.reading = false;
    h.readStop();
  }
}

/** reads again after pauseReads */
export function resumeReads(sock: net.Socket): void {
  const st = (sock as unknown as { _handle: Handle | null })._handle?.[kState];
  if (st === undefined || st.reader === null) {
    sock.resume();
    return;
  }
  const h = st.handle;
  if (!h.reading && !sock.destroyed && !sock.connecting) {
    h.reading = true;
    const err = h.readStart();
    if (err) sock.destroy(errnoError(err, 'read'));
  }
}

function onDirectWriteDone(this: WriteReq, status: number): void {
  const st = this.st!;
  this.buffer = null;
  st.pending--;
  const sock = st.sock;
  if (sock.destroyed) return;
  if (status < 0) {
    sock.destroy(errnoError(status, 'write'));
    return;
  }
  if (st.pending === 0) sock.emit('drain');
}

function errnoError(err: number, syscall: string): Error {
  let code: string;
  try {
    code = getSystemErrorName(err);
  } catch {
    code = String(err);
  }
  const e = new Error(`${syscall} ${code}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = err;
  e.syscall = syscall;
  return e;
}

/** the socket can take a direct write now (else Node's Writable keeps the order) */
function writerOf(sock: net.Socket): DirectState | null {
  const h = (sock as unknown as { _handle: Handle | null })._handle;
  if (!h) return null;
  const st = h[kState] ?? stateOf(sock);
  if (!st || sock.connecting || sock.destroyed || sock.writableLength > 0 || sock.writableCorked > 0 || sock.writableEnded) return null;
  return st;
}

function newReq(st: DirectState): WriteReq {
  const req = new B!.WriteWrap();
  req.handle = st.handle;
  req.oncomplete = onDirectWriteDone;
  req.async = false;
  req.bytes = 0;
  req.buffer = null;
  return req;
}

function dispatched(st: DirectState, req: WriteReq, err: number, keep: unknown): boolean {
  if (err !== 0) {
    st.sock.destroy(errnoError(err, 'write'));
    return false;
  }
  if (SB[K_ASYNC] !== 0) {
    // libuv writes the rest when the socket is writable; the bytes must stay alive until then
    req.st = st;
    req.async = true;
    req.buffer = keep;
    st.pending++;
    return false;
  }
  return true;
}

/** writes a Buffer; false: wait for 'drain' before sending more */
export function directWrite(sock: net.Socket, b: Buffer): boolean {
  const st = writerOf(sock);
  if (st === null) return sock.write(b);
  const req = newReq(st);
  return dispatched(st, req, st.handle.writeBuffer(req, b), b);
}

/** writes a string of bytes (latin1); false: wait for 'drain' */
export function directWriteLatin1(sock: net.Socket, s: string): boolean {
  const st = writerOf(sock);
  if (st === null) return sock.write(s, 'latin1');
  const req = newReq(st);
  return dispatched(st, req, st.handle.writeLatin1String(req, s), null);
}

/** writes an optional latin1 head then buffers, in one writev; false: wait for 'drain' */
export function directWritev(sock: net.Socket, head: string | undefined, parts: readonly Buffer[]): boolean {
  const st = writerOf(sock);
  if (st === null) {
    let ok = true;
    sock.cork();
    if (head !== undefined) ok = sock.write(head, 'latin1');
    for (let i = 0; i < parts.length; i++) ok = sock.write(parts[i]);
    sock.uncork();
    return ok;
  }
  const req = newReq(st);
  if (head === undefined) {
    if (parts.length === 1) return dispatched(st, req, st.handle.writeBuffer(req, parts[0]), parts[0]);
    const chunks = parts.slice();
    return dispatched(st, req, st.handle.writev(req, chunks, true), chunks);
  }
  const chunks: unknown[] = [head, 'latin1'];
  for (let i = 0; i < parts.length; i++) chunks.push(parts[i], 'buffer');
  return dispatched(st, req, st.handle.writev(req, chunks, false), chunks);
}
