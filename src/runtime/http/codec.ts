/**
 * The seam between the HTTP transaction (session.ts) and the HTTP/1 message
 * layer (h1/): parse a head, follow a body's framing, write a head back.
 * The session only calls these functions, so the message layer can change
 * underneath without touching connection handling.
 *
 * INTERIM: this file holds a small parser of its own until the h1/ parser
 * lands; then these functions delegate to it.
 */
import {
  HttpMessage,
  MF_BODYLESS,
  MF_CHNK,
  MF_CLEN,
  MF_CONN_CLO,
  MF_CONN_KAL,
  MF_CONN_UPG,
  MF_TE_CHUNKED,
  MF_TUNNEL,
  MF_VER_11,
  MF_XFER_ENC,
  MF_XFER_LEN,
  MF_INTERIM,
  METH_CONNECT,
  METH_HEAD,
  methodId,
} from './h1/message.js';

export type HeadResult = { kind: 'more' } | { kind: 'ok'; msg: HttpMessage; used: number } | { kind: 'error'; status: number };

export interface ParseLimits {
  /** tune.bufsize - tune.maxrewrite: the largest head accepted */
  maxHead: number;
  maxHeaders: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

function headEnd(buf: Buffer): number {
  // accepts bare LF line ends too, as HAProxy does
  const a = buf.indexOf(CRLFCRLF);
  const b = buf.indexOf('\n\n');
  if (a < 0) return b < 0 ? -1 : b + 2;
  if (b < 0) return a + 4;
  return Math.min(a + 4, b + 2);
}

function parseHeaders(lines: string[], msg: HttpMessage, limits: ParseLimits): boolean {
  let last = -1;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (!l) continue;
    if (l[0] === ' ' || l[0] === '\t') {
      // obs-fold: unfolded into the previous value
      if (last < 0) return false;
      msg.headers.values[last] += ' ' + l.trim();
      continue;
    }
    const c = l.indexOf(':');
    if (c <= 0) return false;
    const name = l.slice(0, c);
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return false;
    msg.headers.add(name, l.slice(c + 1).trim());
    last = msg.headers.length - 1;
    if (msg.headers.length > limits.maxHeaders) return false;
  }
  return true;
}

function framing(msg: HttpMessage): boolean {
  const h = msg.headers;
  for (let i = 0; i < h.length; i++) {
    const n = h.names[i];
    if (n === 'connection') {
      for (const t of h.values[i].toLowerCase().split(',')) {
        const v = t.trim();
        if (v === 'close') msg.flags |= MF_CONN_CLO;
        else if (v === 'keep-alive') msg.flags |= MF_CONN_KAL;
        else if (v === 'upgrade') msg.flags |= MF_CONN_UPG;
      }
    } else if (n === 'transfer-encoding') {
      msg.flags |= MF_XFER_ENC;
      const toks = h.values[i].toLowerCase().split(',').map((s) => s.trim());
      if (toks.includes('chunked')) msg.flags |= MF_TE_CHUNKED;
      if (toks[toks.length - 1] === 'chunked') msg.flags |= MF_CHNK;
      else msg.flags &= ~MF_CHNK;
    } else if (n === 'content-length') {
      for (const part of h.values[i].split(',')) {
        const v = part.trim();
        if (!/^\d+$/.test(v)) return false;
        const len = Number(v);
        if (msg.flags & MF_CLEN && len !== msg.contentLength) return false;
        msg.flags |= MF_CLEN;
        msg.contentLength = len;
      }
    }
  }
  if (msg.flags & MF_XFER_ENC) {
    // Transfer-Encoding wins: Content-Length is dropped (and the connection closed later)
    if (msg.flags & MF_CLEN) {
      h.del('content-length');
      msg.flags &= ~MF_CLEN;
      msg.contentLength = -1;
    }
    if (!(msg.flags & MF_CHNK) && !msg.isResponse) return false;
  }
  if (msg.flags & (MF_CHNK | MF_CLEN)) msg.flags |= MF_XFER_LEN;
  return true;
}

export function parseRequestHead(buf: Buffer, limits: ParseLimits): HeadResult {
  const end = headEnd(buf);
  if (end < 0) return buf.length > limits.maxHead ? { kind: 'error', status: 400 } : { kind: 'more' };
  if (end > limits.maxHead) return { kind: 'error', status: 400 };
  const lines = buf.toString("latin1", 0, end).split(/\r?\n/);
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) (HTTP\/\d\.\d)$/.exec(lines[0]);
  if (!m) return { kind: 'error', status: 400 };
  const msg = new HttpMessage(false);
  msg.method = m[1];
  msg.meth = methodId(m[1]);
  msg.uri = m[2];
  msg.version = m[3];
  if (m[3] >= 'HTTP/1.1') msg.flags |= MF_VER_11;
  if (!parseHeaders(lines, msg, limits) || !framing(msg)) return { kind: 'error', status: 400 };
  if (!(msg.flags & MF_XFER_LEN)) msg.flags |= MF_BODYLESS | MF_XFER_LEN;
  if (msg.flags & MF_CLEN && msg.contentLength === 0) msg.flags |= MF_BODYLESS;
  msg.headLength = end;
  return { kind: 'ok', msg, used: end };
}

export function parseResponseHead(buf: Buffer, reqMeth: number, limits: ParseLimits): HeadResult {
  const end = headEnd(buf);
  if (end < 0) return buf.length > limits.maxHead ? { kind: 'error', status: 502 } : { kind: 'more' };
  const lines = buf.toString("latin1", 0, end).split(/\r?\n/);
  const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!m) return { kind: 'error', status: 502 };
  const msg = new HttpMessage(true);
  msg.version = m[1];
  msg.status = Number(m[2]);
  msg.statusText = m[2];
  msg.reason = m[3] ?? '';
  if (m[1] >= 'HTTP/1.1') msg.flags |= MF_VER_11;
  if (!parseHeaders(lines, msg, limits) || !framing(msg)) return { kind: 'error', status: 502 };
  const st = msg.status;
  if (st === 101 || (reqMeth === METH_CONNECT && st >= 200 && st < 300)) msg.flags |= MF_TUNNEL;
  else if (st >= 100 && st < 200) msg.flags |= MF_INTERIM | MF_BODYLESS;
  else if (reqMeth === METH_HEAD || st === 204 || st === 304) msg.flags |= MF_BODYLESS;
  msg.headLength = end;
  return { kind: 'ok', msg, used: end };
}

/** Follows a body's framing over the bytes that come after the head. */
export class BodyReader {
  /** bytes left in a Content-Length body or in the current chunk */
  private left: number;
  private state: 'len' | 'size' | 'data' | 'data-crlf' | 'trailers' | 'done' | 'close';
  private line = '';
  readonly chunked: boolean;

  constructor(msg: HttpMessage) {
    this.chunked = (msg.flags & MF_CHNK) !== 0 && !(msg.flags & MF_BODYLESS);
    if (msg.flags & (MF_BODYLESS | MF_TUNNEL)) {
      this.state = 'done';
      this.left = 0;
    } else if (this.chunked) {
      this.state = 'size';
      this.left = 0;
    } else if (msg.flags & MF_CLEN) {
      this.left = msg.contentLength;
      this.state = this.left > 0 ? 'len' : 'done';
    } else {
      // a response without length: ends when the server closes
      this.state = 'close';
      this.left = 0;
    }
  }

  get done(): boolean {
    return this.state === 'done';
  }

  get closeDelimited(): boolean {
    return this.state === 'close';
  }

  /**
   * Consumes body bytes from `buf`; returns how many belong to the body (they
   * are forwarded as they are), or -1 on a framing error. Bytes after the
   * end of the body are left to the caller (pipelining).
   */
  feed(buf: Buffer): number {
    if (this.state === 'close') return buf.length;
    if (this.state === 'done') return 0;
    if (this.state === 'len') {
      const n = Math.min(this.left, buf.length);
      this.left -= n;
      if (!this.left) this.state = 'done';
      return n;
    }
    let i = 0;
    while (i < buf.length && this.state !== 'done') {
      switch (this.state) {
        case 'size':
        case 'trailers':
        case 'data-crlf': {
          const nl = buf.indexOf(10, i);
          if (nl < 0) {
            this.line += buf.toString("latin1", i, buf.length);
            if (this.line.length > 8192) return -1;
            return buf.length;
          }
          const line = (this.line + buf.toString("latin1", i, nl)).replace(/\r$/, '');
          this.line = '';
          i = nl + 1;
          if (this.state === 'data-crlf') {
            if (line !== '') return -1;
            this.state = 'size';
          } else if (this.state === 'size') {
            const m = /^([0-9a-fA-F]{1,15})[ \t]*(;.*)?$/.exec(line);
            if (!m) return -1;
            this.left = parseInt(m[1], 16);
            this.state = this.left ? 'data' : 'trailers';
          } else if (line === '') this.state = 'done';
          break;
        }
        case 'data': {
          const n = Math.min(this.left, buf.length - i);
          this.left -= n;
          i += n;
          if (!this.left) this.state = 'data-crlf';
          break;
        }
      }
    }
    return i;
  }
}

/** Writes a request head as HAProxy forwards it: lowercase names, CRLF. */
export function serializeRequestHead(msg: HttpMessage): Buffer {
  let s = `${msg.method} ${msg.uri} ${msg.version}\r\n`;
  const h = msg.headers;
  for (let i = 0; i < h.length; i++) s += `${h.names[i]}: ${h.values[i]}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}

export function serializeResponseHead(msg: HttpMessage): Buffer {
  let s = `${msg.version} ${msg.statusText || msg.status}${msg.reason !== undefined ? ' ' + msg.reason : ''}\r\n`;
  const h = msg.headers;
  for (let i = 0; i < h.length; i++) s += `${h.names[i]}: ${h.values[i]}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}

export { MF_CONN_CLO, MF_CONN_KAL, MF_CONN_UPG, MF_VER_11, MF_TUNNEL, MF_INTERIM, MF_BODYLESS, MF_XFER_ENC, MF_CLEN, MF_CHNK };
