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
 * Shared reads (`directReader(sock, fn, true)`): the handle reads into one
 * buffer common to every such socket (libuv's user buffer) instead of a
 * 64 KiB allocation per read, which costs about 1 µs with its ArrayBuffer and
 * its later free. The bytes a shared reader gets are valid only during its
 * call: whatever it keeps must be copied (`own`). Writes are safe: the
 * write functions below never let libuv keep a pointer into the shared
 * buffer (they write it with a plain write(2) and copy what the kernel did not
 * take). Bytes written that way are counted by `bytesOut`.
 *
 * Write batching: a small write (a head, a short reply) on a socket with
 * nothing queued waits until the I/O callbacks of the current loop turn are
 * done, then every socket's batch goes out (one write or writev each, from a
 * setImmediate). A peer process is then woken once for a burst of requests
 * instead of once per request: on the 2-core bench machine that is the
 * kernel's costliest step after the TCP send itself (the wakeup of a sleeping
 * wrk or nginx) and keep-alive goes about 7% faster for 7% less CPU per
 * request. HAProxy batches the same way (all events of a poll, then the
 * tasks). Order is kept: any other write, shutdown, close or reset on the
 * handle (Node's own `socket.write`, `end`, `destroy`, `resetAndDestroy`)
 * sends the batch first, as do the direct writes that cannot wait (shared
 * bytes, large buffers). A batched write returns true; if its flush finds
 * the kernel queue full, the next write returns false and 'drain' follows,
 * so backpressure lags by one write of at most BATCH_MAX bytes.
 * `TSHAPROXY_WRITE_BATCH=0` turns it off.
 *
 * It relies on `process.binding('stream_wrap')` (WriteWrap and the shared
 * stream state array) as found in Node 18 to 22. When that is missing or has
 * another shape, or for TLS sockets, every function falls back to the public
 * stream API. `TSHAPROXY_DIRECT_IO=0` turns it off (A/B measurements).
 */
import { writeSync, writevSync } from 'node:fs';
import type * as net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { enterTurn, leaveTurn } from './clock.js';

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
  useUserBuffer?(b: Uint8Array): void;
  readonly fd?: number;
  readonly writeQueueSize?: number;
  [kState]?: DirectState;
}

/** the handle methods that send a pending batch first (Node's writes, shutdown, close and reset) */
const GUARDED = ['writeBuffer', 'writev', 'writeLatin1String', 'writeUtf8String', 'writeAsciiString', 'writeUcs2String', 'shutdown', 'close', 'reset'] as const;
type HandleFn = (this: Handle, ...args: unknown[]) => unknown;

interface DirectState {
  sock: net.Socket;
  handle: Handle;
  /** who gets the bytes read; null: Node's own path */
  reader: ((b: Buffer) => void) | null;
  /** Node's onread (onStreamRead) */
  orig: (this: Handle, ab: ArrayBuffer) => unknown;
  /** direct writes still queued in libuv */
  pending: number;
  /** the handle reads into SHARED (libuv user buffer) */
  user: boolean;
  /** the reader takes shared bytes (else it gets copies) */
  sharedOk: boolean;
  /** bytes written with write(2) on the fd, which the handle's counter does not see */
  rawOut: number;
  /** small writes waiting for the end of the loop turn's I/O callbacks (Buffers and latin1 strings): the first, then the others */
  first: Buffer | string | null;
  more: (Buffer | string)[] | null;
  batchBytes: number;
  /** a write returned false: 'drain' is due when the queue empties */
  needDrain: boolean;
  /** the handle's methods as Node defines them (the prototype's are guarded, see guardProto) */
  proto: Handle;
}

const kState = Symbol('tshaproxy.direct');
/** the same state on the net.Socket (its `_handle` is a getter, and null once destroyed) */
const kSock = Symbol('tshaproxy.direct.sock');
type Sock = net.Socket & { [kSock]?: DirectState };
function cached(sock: net.Socket): DirectState | undefined {
  return (sock as Sock)[kSock];
}

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

const BATCH = process.env.TSHAPROXY_WRITE_BATCH !== '0';
/** larger writes go out at once (they carry data, not requests to wake a peer for) */
const BATCH_MAX = 16 * 1024;
/** sockets with a batch, flushed by one setImmediate per loop turn */
const dirty: DirectState[] = [];
let flushing = false;

/** is direct I/O available in this process */
export const directIo = B !== null;

/** the read buffer of every socket in shared-read mode (64 KiB: what libuv asks for per read) */
const SHARED = Buffer.allocUnsafeSlow(64 * 1024);
const SHARED_AB = SHARED.buffer;

/** whether `b` lies in the shared read buffer (valid only during the read callback that got it) */
export function isShared(b: Uint8Array): boolean {
  return b.buffer === SHARED_AB;
}

/** `b`, copied when it lies in the shared read buffer: for bytes kept after the read callback */
export function own(b: Buffer): Buffer {
  return b.buffer === SHARED_AB ? Buffer.from(b) : b;
}

/**
 * Views of the shared buffer's first n bytes, made once per length: a read of
 * a length seen before (keep-alive traffic repeats them) allocates nothing.
 * Safe because a shared view is valid only during its read callback anyway,
 * and whatever is kept is copied by own(). Up to 4 KiB reads: at most 4,096
 * small views.
 */
const VIEW_MAX = 4096;
const views: (Buffer | undefined)[] = [];

function sharedView(n: number): Buffer {
  if (n > VIEW_MAX) return Buffer.from(SHARED_AB, 0, n);
  let v = views[n];
  if (v === undefined) views[n] = v = Buffer.from(SHARED_AB, 0, n);
  return v;
}

/** the handle's onread while in direct mode (`this` is the handle) */
function onDirectRead(this: Handle, ab: ArrayBuffer | undefined): unknown {
  const st = this[kState]!;
  const n = SB[K_NREAD];
  if (n > 0) {
    if (st.user) {
      if (st.sock.destroyed) return;
      const chunk = sharedView(n);
      if (st.reader !== null) {
        enterTurn();
        try {
          st.reader(st.sharedOk ? chunk : Buffer.from(chunk));
        } finally {
          leaveTurn();
        }
        return;
      }
      // Node's path takes a copy ('data' events may keep it)
      const copy = Buffer.from(chunk);
      SB[K_OFFSET] = copy.byteOffset;
      return st.orig.call(this, copy.buffer as ArrayBuffer);
    }
    if (st.reader !== null) {
      if (st.sock.destroyed) return;
      enterTurn();
      try {
        st.reader(Buffer.from(ab!, SB[K_OFFSET], n));
      } finally {
        leaveTurn();
      }
      return;
    }
  }
  // EOF, read errors, or no direct reader: Node's path ('end', 'error', 'data')
  return st.orig.call(this, ab!);
}

function stateOf(sock: net.Socket): DirectState | null {
  const h = (sock as unknown as { _handle: Handle | null })._handle;
  if (!h) return null;
  const st = h[kState];
  if (st) return st;
  if (B === null || (sock as { encrypted?: boolean }).encrypted || typeof h.readStart !== 'function' || typeof h.writeBuffer !== 'function')
    return null;
  const proto = BATCH ? guardProto(Object.getPrototypeOf(h) as object) : (Object.getPrototypeOf(h) as Handle);
  const s: DirectState = {
    sock,
    handle: h,
    reader: null,
    orig: h.onread,
    pending: 0,
    user: false,
    sharedOk: false,
    rawOut: 0,
    first: null,
    more: null,
    batchBytes: 0,
    needDrain: false,
    proto,
  };
  h[kState] = s;
  (sock as Sock)[kSock] = s;
  h.onread = onDirectRead;
  return s;
}

/** per handle prototype (TCP, Pipe): its methods before guardProto */
const originals = new Map<object, Handle>();

/**
 * Puts the batch guard on a handle prototype's write, shutdown and close
 * methods, once per prototype (on the prototype rather than on each handle:
 * own properties would cost every connection's handle memory). A handle
 * with no batch, or not in direct mode, goes straight to Node's method.
 * Returns the methods as they were.
 */
function guardProto(proto: object): Handle {
  let base = originals.get(proto);
  if (base !== undefined) return base;
  const p = proto as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  for (const m of GUARDED) {
    const f = p[m];
    if (typeof f !== 'function') continue;
    o[m] = f;
    const orig = f as HandleFn;
    p[m] = function (this: Handle, ...args: unknown[]): unknown {
      const st = this[kState];
      if (st !== undefined && st.first !== null) flushBatch(st);
      return orig.apply(this, args);
    };
  }
  base = o as unknown as Handle;
  originals.set(proto, base);
  return base;
}

/** queues a small write for the end of the loop turn */
function enqueue(st: DirectState, x: Buffer | string, len: number): boolean {
  if (st.first === null) {
    st.first = x;
    dirty.push(st);
    if (!flushing) {
      flushing = true;
      setImmediate(flushAll);
    }
  } else if (st.more === null) st.more = [x];
  else st.more.push(x);
  st.batchBytes += len;
  return true;
}

/** whether a write of `len` bytes may wait in the batch */
function batchable(st: DirectState, len: number): boolean {
  return BATCH && st.pending === 0 && st.batchBytes + len <= BATCH_MAX;
}

function flushAll(): void {
  // a flush may queue more (an error handler answering): the loop picks those up too
  for (let i = 0; i < dirty.length; i++) if (dirty[i].first !== null) flushBatch(dirty[i]);
  dirty.length = 0;
  flushing = false;
}

/**
 * sends a socket's batch now, with the handle's own methods. Its writers were
 * told true: if the kernel does not take it all, the next write says false
 * (and gets its 'drain'), but no 'drain' is due for this one.
 */
function flushBatch(st: DirectState): void {
  const nd = st.needDrain;
  flushItems(st);
  st.needDrain = nd;
}

function flushItems(st: DirectState): void {
  const x = st.first!;
  const more = st.more;
  st.first = null;
  st.more = null;
  st.batchBytes = 0;
  const h = st.handle;
  const req = newReq(st);
  if (more === null) {
    const err = typeof x === 'string' ? st.proto.writeLatin1String.call(h, req, x) : st.proto.writeBuffer.call(h, req, x);
    dispatched(st, req, err, x);
    return;
  }
  let allBuffers = typeof x !== 'string';
  for (let i = 0; i < more.length; i++) if (typeof more[i] === 'string') allBuffers = false;
  let chunks: unknown[];
  if (allBuffers) {
    more.unshift(x);
    chunks = more;
  } else {
    chunks = [x, typeof x === 'string' ? 'latin1' : 'buffer'];
    for (let i = 0; i < more.length; i++) chunks.push(more[i], typeof more[i] === 'string' ? 'latin1' : 'buffer');
  }
  dispatched(st, req, st.proto.writev.call(h, req, chunks, allBuffers), chunks);
}

/**
 * Sends the socket's reads to `reader` (null: back to Node's 'data' events).
 * `shared`: the reader takes bytes in the shared read buffer, valid only
 * during its call (see `own`). Returns false when the socket cannot be read
 * directly (TLS, no binding, bytes already buffered by the Readable): the
 * caller listens to 'data'.
 */
export function directReader(sock: net.Socket, reader: ((b: Buffer) => void) | null, shared = false): boolean {
  if (reader !== null && sock.readableLength > 0) return false;
  const st = stateOf(sock);
  if (!st) return false;
  st.reader = reader;
  st.sharedOk = shared;
  if (shared && !st.user && typeof st.handle.useUserBuffer === 'function' && typeof st.handle.fd === 'number' && st.handle.fd >= 0) {
    // from now on libuv reads this socket into SHARED (one buffer for the process, not one per read)
    st.handle.useUserBuffer(SHARED);
    st.user = true;
  }
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

/** bytes written to the socket, those written directly on its fd included */
export function bytesOut(sock: { readonly bytesWritten: number }): number {
  const st = cached(sock as net.Socket);
  return sock.bytesWritten + (st ? st.rawOut + st.batchBytes : 0);
}

/** stops reading (the handle itself in direct mode) */
export function pauseReads(sock: net.Socket): void {
  const st = cached(sock);
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
  const st = cached(sock);
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
  if (st.pending === 0 && st.needDrain) {
    st.needDrain = false;
    sock.emit('drain');
  }
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
  const st = cached(sock) ?? stateOf(sock);
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
    st.needDrain = true;
    return false;
  }
  return true;
}

/** writes a Buffer; false: wait for 'drain' before sending more */
export function directWrite(sock: net.Socket, b: Buffer): boolean {
  if (b.buffer === SHARED_AB) return writeShared(sock, b);
  const st = writerOf(sock);
  if (st === null) return sock.write(b);
  if (batchable(st, b.length)) return enqueue(st, b, b.length);
  if (st.first !== null) flushBatch(st);
  const req = newReq(st);
  return dispatched(st, req, st.proto.writeBuffer.call(st.handle, req, b), b);
}

/**
 * Bytes of the shared read buffer: libuv must never keep a pointer to them
 * (the next read of any socket overwrites them). With nothing queued on the
 * socket they go out with write(2); what the kernel does not take now is
 * copied and queued, as is everything when writes are queued already.
 */
function writeShared(sock: net.Socket, b: Buffer): boolean {
  const st = writerOf(sock);
  if (st === null) return sock.destroyed ? false : sock.write(Buffer.from(b));
  if (st.first !== null) flushBatch(st);
  let n = 0;
  if (st.pending === 0 && !st.handle.writeQueueSize) {
    try {
      n = writeSync(st.handle.fd!, b, 0, b.length);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
        sock.destroy(e as Error);
        return false;
      }
    }
    st.rawOut += n;
    if (n === b.length) return true;
  }
  const rest = Buffer.from(n ? b.subarray(n) : b);
  const req = newReq(st);
  return dispatched(st, req, st.proto.writeBuffer.call(st.handle, req, rest), rest);
}

/** the same for several buffers and an optional latin1 head, in one writev(2) */
function writevShared(sock: net.Socket, head: string | undefined, parts: readonly Buffer[]): boolean {
  const st = writerOf(sock);
  const list: Buffer[] = [];
  if (head !== undefined) list.push(Buffer.from(head, 'latin1'));
  for (let i = 0; i < parts.length; i++) list.push(parts[i]);
  if (st === null) {
    if (sock.destroyed) return false;
    let ok = true;
    sock.cork();
    for (let i = 0; i < list.length; i++) ok = sock.write(own(list[i]));
    sock.uncork();
    return ok;
  }
  if (st.first !== null) flushBatch(st);
  let n = 0;
  if (st.pending === 0 && !st.handle.writeQueueSize) {
    try {
      n = writevSync(st.handle.fd!, list);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
        sock.destroy(e as Error);
        return false;
      }
    }
    st.rawOut += n;
  }
  // what is left, copied into one buffer and queued
  let total = 0;
  for (let i = 0; i < list.length; i++) total += list[i].length;
  if (n === total) return true;
  const rest = Buffer.allocUnsafe(total - n);
  let off = 0;
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    if (n >= p.length) {
      n -= p.length;
      continue;
    }
    off += p.copy(rest, off, n);
    n = 0;
  }
  const req = newReq(st);
  return dispatched(st, req, st.proto.writeBuffer.call(st.handle, req, rest), rest);
}

/** writes a string of bytes (latin1); false: wait for 'drain' */
export function directWriteLatin1(sock: net.Socket, s: string): boolean {
  const st = writerOf(sock);
  if (st === null) return sock.write(s, 'latin1');
  if (batchable(st, s.length)) return enqueue(st, s, s.length);
  if (st.first !== null) flushBatch(st);
  const req = newReq(st);
  return dispatched(st, req, st.proto.writeLatin1String.call(st.handle, req, s), null);
}

/** writes an optional latin1 head then buffers, in one writev; false: wait for 'drain' */
export function directWritev(sock: net.Socket, head: string | undefined, parts: readonly Buffer[]): boolean {
  for (let i = 0; i < parts.length; i++) if (parts[i].buffer === SHARED_AB) return writevShared(sock, head, parts);
  const st = writerOf(sock);
  if (st === null) {
    let ok = true;
    sock.cork();
    if (head !== undefined) ok = sock.write(head, 'latin1');
    for (let i = 0; i < parts.length; i++) ok = sock.write(parts[i]);
    sock.uncork();
    return ok;
  }
  if (BATCH) {
    let len = head === undefined ? 0 : head.length;
    for (let i = 0; i < parts.length; i++) len += parts[i].length;
    if (batchable(st, len)) {
      if (head !== undefined) enqueue(st, head, head.length);
      for (let i = 0; i < parts.length; i++) enqueue(st, parts[i], parts[i].length);
      return true;
    }
    if (st.first !== null) flushBatch(st);
  }
  const req = newReq(st);
  if (head === undefined) {
    if (parts.length === 1) return dispatched(st, req, st.proto.writeBuffer.call(st.handle, req, parts[0]), parts[0]);
    const chunks = parts.slice();
    return dispatched(st, req, st.proto.writev.call(st.handle, req, chunks, true), chunks);
  }
  const chunks: unknown[] = [head, 'latin1'];
  for (let i = 0; i < parts.length; i++) chunks.push(parts[i], 'buffer');
  return dispatched(st, req, st.proto.writev.call(st.handle, req, chunks, false), chunks);
}
