/**
 * The scenario format. A scenario declares backend servers, an inline
 * haproxy.cfg whose `{{name}}` placeholders become ports (a server's name: its
 * port; any other name: a port the proxy must listen on; `{{tmp}}`: the run's
 * temp dir; `{{cert}}`: a self-signed cert+key PEM), and client steps with
 * expectations. Actions return an Observation; the runner checks it against
 * the step's expectations and compares it between subjects.
 */
import { buildRequest, RawConn, type ParsedResponse } from './client.js';
import { encodeWsFrame, type BackendServer, type ServerSpec } from './servers.js';
import { setTimeout as sleepAbortable } from 'node:timers/promises';
import { sleep } from './procs.js';

/** What a step saw. Byte strings are latin1 so any byte survives JSON and comparison. */
export interface Observation {
  version?: string;
  status?: number;
  reason?: string;
  headers?: [string, string][];
  body?: string;
  /** Which backend server answered (`x-server` header, or `server=NAME` in TCP/TLS data); null: none said. */
  server?: string | null;
  /** The request as the HTTP backend received it (parsed from its echo). */
  received?: { line: string; headers: [string, string][]; body: string };
  /** The proxy closed the connection after the exchange. */
  closed?: boolean;
  /** Raw bytes received (TCP/TLS/WebSocket steps). */
  data?: string;
  /** `reset`, `refused`, `timeout`, `closed` (closed before a complete response)... */
  error?: string;
  elapsedMs?: number;
  /** Free text for control steps. */
  note?: string;
}

export interface RunContext {
  /** Placeholder name -> port. */
  ports: Record<string, number>;
  servers: Record<string, BackendServer>;
  /** Named client connections kept between steps. */
  conns: Map<string, RawConn>;
  tmp: string;
  /** Aborted when the run is aborted or over: long waits should listen to it. */
  signal: AbortSignal;
}

export type Action = (ctx: RunContext) => Promise<Observation>;

export type Match = string | RegExp;

export interface Expect {
  status?: number;
  reason?: string;
  /** Response headers by case-insensitive name: value (all values joined by `, `), regexp, or null (absent). */
  headers?: Record<string, Match | null>;
  body?: Match | Buffer;
  server?: string | null;
  received?: { line?: Match; headers?: Record<string, Match | null>; body?: Match };
  closed?: boolean;
  data?: Match;
  /** null: no error. */
  error?: string | null;
  /** Bounds in ms (see about()). Between two subjects, timings are compared with half the range as tolerance. */
  elapsedMs?: { min?: number; max?: number };
  /** Extra check; returns a failure text or undefined. */
  check?: (o: Observation) => string | undefined;
}

export interface Step {
  /** A sentence: what happens and what is expected. */
  name: string;
  act: Action;
  expect?: Expect;
  /** Whole-step bound (default 5000 ms). */
  timeoutMs?: number;
  /** Fields not compared between subjects (`headers.date`, `received`, `elapsedMs`...). */
  ignore?: string[];
}

export interface Scenario {
  /** Unique, starts with a short id: `seed-000 comet: ...`. */
  name: string;
  /** Why tshaproxy cannot pass it yet; pending scenarios run only on HAProxy in `npm test`. */
  pending?: string;
  servers: ServerSpec[];
  config: string;
  steps: Step[];
  /** Bound for the proxy to listen (default 5000 ms). */
  startTimeoutMs?: number;
}

/** `{ min: ms - tol, max: ms + tol }`. */
export const about = (ms: number, tol: number) => ({ min: ms - tol, max: ms + tol });

const latin1 = (b: Buffer) => b.toString('latin1');

function serverOf(headers: [string, string][] | undefined, data?: string): string | null {
  const h = headers?.find(([k]) => k.toLowerCase() === 'x-server');
  if (h) return h[1];
  const m = data ? /(?:^|\n)server=(\S+)/.exec(data) : null;
  return m ? m[1]! : null;
}

function receivedOf(res: ParsedResponse): Observation['received'] | undefined {
  if (!serverOf(res.headers)) return undefined;
  const text = latin1(res.body);
  const he = text.indexOf('\r\n\r\n');
  if (he < 0) return undefined;
  const lines = text.slice(0, he).split('\r\n');
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers.push([l.slice(0, c), l.slice(c + 1).trim()]);
  }
  return { line: lines[0] ?? '', headers, body: text.slice(he + 4) };
}

function errorCode(e: unknown): string {
  const x = e as { code?: string; timeout?: boolean; closed?: boolean; message?: string };
  if (x.code === 'ECONNREFUSED') return 'refused';
  if (x.code === 'ECONNRESET') return 'reset';
  if (x.timeout) return 'timeout';
  if (x.closed) return x.message === 'reset' ? 'reset' : 'closed';
  return x.code ?? x.message ?? String(e);
}

async function getConn(ctx: RunContext, port: string, conn: string | undefined, tlsOpt?: { servername?: string }): Promise<RawConn> {
  const existing = conn ? ctx.conns.get(conn) : undefined;
  if (existing && !existing.ended) return existing;
  const p = ctx.ports[port];
  if (p === undefined) throw new Error(`no port named ${port}`);
  const c = await RawConn.connect({ port: p, tls: tlsOpt });
  if (conn) ctx.conns.set(conn, c);
  return c;
}

function finish(ctx: RunContext, c: RawConn, conn: string | undefined): void {
  if (!conn) c.destroy();
  else if (c.ended) {
    c.destroy();
    ctx.conns.delete(conn);
  }
}

export interface RawOpts {
  /** Placeholder of the port to connect to (default `fe`). */
  port?: string;
  /** Named connection: reused by later steps with the same name (and kept open until then). */
  conn?: string;
  /** Bytes to send; an array is sent piece by piece with `gapMs` between pieces. */
  send: string | Buffer | (string | Buffer)[];
  gapMs?: number;
  /** Method of the request (HEAD responses have no body). */
  method?: string;
  /** How long to wait for the response (default 3000 ms). */
  responseTimeoutMs?: number;
  /** How long to wait after the response to see whether the proxy closes (default 100 ms). */
  closeWaitMs?: number;
  /** Half-close after sending. */
  halfClose?: boolean;
}

/** Sends raw bytes and reads one HTTP response. */
export function raw(o: RawOpts): Action {
  return async (ctx) => {
    const t0 = Date.now();
    let c: RawConn;
    try {
      c = await getConn(ctx, o.port ?? 'fe', o.conn);
    } catch (e) {
      return { error: errorCode(e), elapsedMs: Date.now() - t0 };
    }
    const parts = Array.isArray(o.send) ? o.send : [o.send];
    for (let i = 0; i < parts.length; i++) {
      if (i && o.gapMs) await sleep(o.gapMs);
      c.write(parts[i]!);
    }
    if (o.halfClose) c.endWrite();
    const obs: Observation = {};
    try {
      const res = await c.readResponse(o.responseTimeoutMs ?? 3000, o.method ?? methodOf(parts[0]!));
      obs.elapsedMs = Date.now() - t0;
      Object.assign(obs, { version: res.version, status: res.status, reason: res.reason, headers: res.headers, body: latin1(res.body) });
      obs.server = serverOf(res.headers);
      const rcv = receivedOf(res);
      if (rcv) obs.received = rcv;
      obs.closed = await c.waitClosed(o.closeWaitMs ?? 100);
      if (obs.closed && c.buf.length) obs.data = latin1(c.take());
    } catch (e) {
      obs.elapsedMs = Date.now() - t0;
      obs.error = errorCode(e);
      obs.closed = c.ended;
      const partial = (e as { partial?: Buffer }).partial;
      if (partial?.length) obs.data = latin1(partial);
    }
    finish(ctx, c, o.conn);
    return obs;
  };
}

function methodOf(b: string | Buffer): string {
  const s = typeof b === 'string' ? b : b.subarray(0, 16).toString('latin1');
  return s.split(' ')[0] ?? 'GET';
}

export interface HttpOpts extends Omit<RawOpts, 'send'> {
  method?: string;
  path?: string;
  version?: string;
  /** Default: `host: localhost` only. A `host` header given here replaces it. */
  headers?: [string, string][] | Record<string, string>;
  body?: string | Buffer;
}

/** Sends a well-formed HTTP request and reads the response. */
export function http(o: HttpOpts = {}): Action {
  const given: [string, string][] = Array.isArray(o.headers) ? o.headers : Object.entries(o.headers ?? {});
  const headers: [string, string][] = given.some(([k]) => k.toLowerCase() === 'host') ? given : [['host', 'localhost'], ...given];
  return raw({ ...o, send: buildRequest({ method: o.method, path: o.path, version: o.version, headers, body: o.body }) });
}

export interface TcpOpts {
  port?: string;
  conn?: string;
  send?: string | Buffer;
  /** Send FIN after `send`. */
  halfClose?: boolean;
  /** What to wait for: the peer closing (default), or a number of bytes, or a string in the data. */
  until?: 'close' | { bytes: number } | { text: string };
  waitMs?: number;
  tls?: { servername?: string };
  closeWaitMs?: number;
}

/** Raw TCP (or TLS) exchange: connects, optionally sends and half-closes, reads until the condition. */
export function tcp(o: TcpOpts = {}): Action {
  return async (ctx) => {
    const t0 = Date.now();
    let c: RawConn;
    try {
      c = await getConn(ctx, o.port ?? 'fe', o.conn, o.tls);
    } catch (e) {
      return { error: errorCode(e), elapsedMs: Date.now() - t0 };
    }
    if (o.send !== undefined) c.write(o.send);
    if (o.halfClose) c.endWrite();
    const until = o.until ?? 'close';
    const pred =
      until === 'close'
        ? () => c.ended
        : 'bytes' in until
          ? () => c.buf.length >= until.bytes
          : () => c.buf.includes(until.text);
    const ok = await c.waitFor(pred, o.waitMs ?? 3000);
    const obs: Observation = { elapsedMs: Date.now() - t0 };
    const data = latin1(c.take());
    obs.data = data;
    obs.server = serverOf(undefined, data);
    if (!ok && !c.ended) obs.error = 'timeout';
    if (c.error) obs.error = c.error;
    obs.closed = until === 'close' ? c.ended : await c.waitClosed(o.closeWaitMs ?? 100);
    finish(ctx, c, o.conn);
    return obs;
  };
}

/** TLS client with SNI: reads the TLS server's greeting line. */
export function tlsHello(o: { port?: string; servername?: string }): Action {
  return tcp({ port: o.port, tls: { servername: o.servername }, until: { text: '\n' } });
}

/** WebSocket: upgrade request, then one text message echoed back. */
export function ws(o: { port?: string; path?: string; host?: string; message: string; headers?: [string, string][] }): Action {
  return async (ctx) => {
    const t0 = Date.now();
    let c: RawConn;
    try {
      c = await getConn(ctx, o.port ?? 'fe', undefined);
    } catch (e) {
      return { error: errorCode(e) };
    }
    const obs: Observation = {};
    try {
      c.write(
        buildRequest({
          path: o.path ?? '/',
          headers: [
            ['host', o.host ?? 'localhost'],
            ['upgrade', 'websocket'],
            ['connection', 'Upgrade'],
            ['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='],
            ['sec-websocket-version', '13'],
            ...(o.headers ?? []),
          ],
        }),
      );
      const res = await c.readResponse(3000);
      Object.assign(obs, { version: res.version, status: res.status, reason: res.reason, headers: res.headers, server: serverOf(res.headers) });
      if (res.status === 101) {
        c.write(encodeWsFrame(Buffer.from(o.message)));
        const want = 2 + Buffer.byteLength(o.message);
        await c.waitFor(() => c.buf.length >= want, 3000);
        const frame = c.take();
        obs.data = latin1(frame.subarray(2));
      } else {
        obs.body = latin1(res.body);
        const rcv = receivedOf(res);
        if (rcv) obs.received = rcv;
      }
      obs.elapsedMs = Date.now() - t0;
      obs.closed = c.ended;
    } catch (e) {
      obs.error = errorCode(e);
    }
    c.destroy();
    return obs;
  };
}

/** Stops a backend server (its listener closes, its connections are cut). */
export const stopServer = (name: string): Action => async (ctx) => {
  await ctx.servers[name]!.stop();
  return { note: `stopped ${name}` };
};

/** Starts a stopped backend server again on its port. */
export const startServer = (name: string): Action => async (ctx) => {
  await ctx.servers[name]!.start();
  return { note: `started ${name}` };
};

export const pause = (ms: number): Action => async (ctx) => {
  await sleepAbortable(ms, undefined, { signal: ctx.signal }).catch(() => undefined);
  return { note: `slept ${ms} ms` };
};

/** Closes a named connection kept by earlier steps. */
export const closeConn = (conn: string): Action => async (ctx) => {
  ctx.conns.get(conn)?.destroy();
  ctx.conns.delete(conn);
  return { note: `closed ${conn}` };
};
