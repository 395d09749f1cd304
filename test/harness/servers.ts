/**
 * Backend servers for scenarios. Each reports who it is: HTTP responders add
 * `x-server: NAME` and echo the request they received as their body; TCP and
 * TLS servers greet with `server=NAME` lines. Others misbehave on purpose:
 * stall, close early, reset, or are down (a reserved port nobody listens on).
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { selfSignedCert } from './certs.js';
import { withTimeout } from './procs.js';

export interface ReceivedRequest {
  /** Request line, e.g. `GET / HTTP/1.1`. */
  line: string;
  method: string;
  path: string;
  version: string;
  headers: [string, string][];
  /** The head exactly as received (request line + headers + CRLF CRLF). */
  head: Buffer;
  /** The body, de-chunked. */
  body: Buffer;
}

export interface HttpReply {
  status?: number;
  reason?: string;
  headers?: [string, string][];
  /** Default: the received request, echoed. */
  body?: string | Buffer;
  /** Close the connection after this reply. */
  close?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
}

export type ServerSpec =
  | { kind: 'http'; name: string; reply?: HttpReply | ((req: ReceivedRequest) => HttpReply); websocket?: boolean }
  | { kind: 'tcp'; name: string; banner?: boolean }
  | { kind: 'tls'; name: string }
  | { kind: 'stall'; name: string }
  | { kind: 'close'; name: string; afterRequest?: boolean }
  | { kind: 'reset'; name: string; afterRequest?: boolean }
  | { kind: 'down'; name: string };

/** An HTTP/1.1 responder: `x-server: NAME`, the received request echoed as body (or `reply`). */
export const httpServer = (name: string, opts: { reply?: HttpReply | ((req: ReceivedRequest) => HttpReply); websocket?: boolean } = {}): ServerSpec => ({ kind: 'http', name, ...opts });
/** A WebSocket echo server that also answers plain HTTP like httpServer. */
export const wsServer = (name: string): ServerSpec => ({ kind: 'http', name, websocket: true });
/** Raw TCP: greets with `server=NAME\n` if `banner`, echoes, and on the client's FIN writes `server=NAME eof after N bytes\n` then closes. */
export const tcpServer = (name: string, opts: { banner?: boolean } = {}): ServerSpec => ({ kind: 'tcp', name, banner: opts.banner ?? true });
/** TLS (self-signed): greets with `server=NAME sni=SERVERNAME\n` once the handshake is done, then echoes. */
export const tlsServer = (name: string): ServerSpec => ({ kind: 'tls', name });
/** Accepts and never answers. */
export const stallServer = (name: string): ServerSpec => ({ kind: 'stall', name });
/** Accepts and closes (after the first bytes if `afterRequest`). */
export const closeServer = (name: string, afterRequest = true): ServerSpec => ({ kind: 'close', name, afterRequest });
/** Accepts and resets the connection (RST) (after the first bytes if `afterRequest`). */
export const resetServer = (name: string, afterRequest = true): ServerSpec => ({ kind: 'reset', name, afterRequest });
/** A port nothing listens on. */
export const downServer = (name: string): ServerSpec => ({ kind: 'down', name });

export interface BackendServer {
  spec: ServerSpec;
  port: number;
  /** Connections accepted since start (health checks included). */
  accepted: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Parses one request from `buf`; undefined while incomplete. */
export function parseRequest(buf: Buffer): { req: ReceivedRequest; used: number } | undefined {
  const he = buf.indexOf(HEAD_END);
  if (he < 0) return undefined;
  const head = buf.subarray(0, he + 4);
  const lines = head.toString('latin1').split('\r\n');
  const line = lines[0] ?? '';
  const [method = '', path = '', version = ''] = line.split(' ');
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    if (!l) continue;
    const c = l.indexOf(':');
    if (c > 0) headers.push([l.slice(0, c), l.slice(c + 1).trim()]);
  }
  const get = (n: string) => headers.find(([k]) => k.toLowerCase() === n)?.[1];
  let pos = he + 4;
  let body: Buffer = Buffer.alloc(0);
  if (/chunked/i.test(get('transfer-encoding') ?? '')) {
    const parts: Buffer[] = [];
    for (;;) {
      const le = buf.indexOf('\r\n', pos);
      if (le < 0) return undefined;
      const size = parseInt(buf.subarray(pos, le).toString('latin1'), 16);
      if (Number.isNaN(size)) return undefined;
      if (size === 0) {
        const te = buf.indexOf(HEAD_END, le - 2);
        if (te < 0) return undefined;
        pos = te + 4;
        break;
      }
      if (buf.length < le + 2 + size + 2) return undefined;
      parts.push(buf.subarray(le + 2, le + 2 + size));
      pos = le + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else {
    const cl = parseInt(get('content-length') ?? '0', 10) || 0;
    if (buf.length < pos + cl) return undefined;
    body = buf.subarray(pos, pos + cl);
    pos += cl;
  }
  return { req: { line, method, path, version, headers, head, body }, used: pos };
}

function wsAccept(key: string): string {
  return createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

/** Echoes WebSocket frames: unmasks the client's frames and sends them back unmasked. */
function wsEcho(sock: net.Socket, initial: Buffer): void {
  let buf = initial;
  const pump = () => {
    for (;;) {
      if (buf.length < 2) return;
      const b0 = buf[0]!;
      const b1 = buf[1]!;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const mask = masked ? buf.subarray(off, off + 4) : undefined;
      if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      buf = buf.subarray(off + len);
      const opcode = b0 & 0x0f;
      sock.write(encodeWsFrame(payload, opcode, false));
      if (opcode === 8) {
        sock.end();
        return;
      }
    }
  };
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    pump();
  });
  pump();
}

/** One final WebSocket frame (client frames must be masked). */
export function encodeWsFrame(payload: Buffer, opcode = 1, mask = true): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  head[0] = 0x80 | opcode;
  head[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  key.copy(head, 2 + ext);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([head, body]);
}

function httpHandler(spec: Extract<ServerSpec, { kind: 'http' }>, sock: net.Socket): void {
  let buf: Buffer = Buffer.alloc(0);
  let busy = false;
  const next = async () => {
    if (busy) return;
    busy = true;
    try {
      for (;;) {
        const parsed = parseRequest(buf);
        if (!parsed) return;
        buf = buf.subarray(parsed.used);
        const { req } = parsed;
        const hdr = (n: string) => req.headers.find(([k]) => k.toLowerCase() === n)?.[1] ?? '';
        if (spec.websocket && /websocket/i.test(hdr('upgrade'))) {
          sock.removeAllListeners('data');
          sock.write(
            'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
              `sec-websocket-accept: ${wsAccept(hdr('sec-websocket-key'))}\r\nx-server: ${spec.name}\r\n\r\n`,
          );
          wsEcho(sock, buf);
          return;
        }
        const r = typeof spec.reply === 'function' ? spec.reply(req) : (spec.reply ?? {});
        if (r.delayMs) await new Promise((res) => setTimeout(res, r.delayMs));
        const body = r.body === undefined ? Buffer.concat([req.head, req.body]) : Buffer.from(r.body);
        const close = r.close || /close/i.test(hdr('connection')) || (req.version === 'HTTP/1.0' && !/keep-alive/i.test(hdr('connection')));
        const status = r.status ?? 200;
        let head = `HTTP/1.1 ${status} ${r.reason ?? (status === 200 ? 'OK' : 'Status')}\r\nx-server: ${spec.name}\r\n`;
        for (const [k, v] of r.headers ?? []) head += `${k}: ${v}\r\n`;
        if (!(r.headers ?? []).some(([k]) => k.toLowerCase() === 'content-length')) head += `content-length: ${body.length}\r\n`;
        if (close) head += 'connection: close\r\n';
        if (sock.destroyed) return;
        sock.write(Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), req.method === 'HEAD' ? Buffer.alloc(0) : body]));
        if (close) {
          sock.end();
          return;
        }
      }
    } finally {
      busy = false;
    }
  };
  sock.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    void next();
  });
}

function onConnection(spec: ServerSpec, sock: net.Socket): void {
  sock.on('error', () => undefined);
  switch (spec.kind) {
    case 'http':
      httpHandler(spec, sock);
      break;
    case 'tcp': {
      let n = 0;
      if (spec.banner) sock.write(`server=${spec.name}\n`);
      sock.on('data', (d: Buffer) => {
        n += d.length;
        sock.write(d);
      });
      sock.on('end', () => sock.end(`server=${spec.name} eof after ${n} bytes\n`));
      break;
    }
    case 'tls': {
      const t = sock as tls.TLSSocket;
      t.write(`server=${spec.name} sni=${t.servername || '-'}\n`);
      t.on('data', (d: Buffer) => t.write(d));
      t.on('end', () => t.end());
      break;
    }
    case 'stall':
      sock.on('data', () => undefined);
      break;
    case 'close':
      if (spec.afterRequest) sock.once('data', () => sock.end());
      else sock.end();
      break;
    case 'reset':
      if (spec.afterRequest) sock.once('data', () => sock.resetAndDestroy());
      else sock.resetAndDestroy();
      break;
    case 'down':
      break;
  }
}

export function createServer(spec: ServerSpec, port: number): BackendServer {
  let server: net.Server | undefined;
  const socks = new Set<net.Socket>();
  const self: BackendServer = {
    spec,
    port,
    accepted: 0,
    async start() {
      if (spec.kind === 'down' || server) return;
      const handler = (s: net.Socket) => {
        self.accepted++;
        socks.add(s);
        s.once('close', () => socks.delete(s));
        onConnection(spec, s);
      };
      const srv =
        spec.kind === 'tls'
          ? tls.createServer({ ...selfSignedCert(), allowHalfOpen: true }, handler)
          : net.createServer({ allowHalfOpen: true }, handler);
      if (spec.kind === 'tls') srv.on('tlsClientError', () => undefined);
      server = srv;
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(port, '127.0.0.1', () => resolve());
        }),
        5000,
        `server ${spec.name} listen`,
      );
    },
    async stop() {
      const srv = server;
      server = undefined;
      if (!srv) return;
      for (const s of socks) s.destroy();
      await withTimeout(new Promise<void>((r) => srv.close(() => r())), 2000, `server ${spec.name} close`).catch(() => undefined);
    },
  };
  return self;
}
