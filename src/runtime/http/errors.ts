/**
 * HAProxy 2.6's built-in error replies and errorfile handling.
 *
 * Two forms exist, byte-distinct (captures in reference/captures/errors):
 *  - raw: what the H1 multiplexer writes itself when it rejects a request
 *    before any stream exists (parse errors 400, request timeout 408, 413,
 *    422, 500, 501). These are HAProxy's http_err_msgs verbatim: mixed-case
 *    names, "Connection: close" only in 400 and 408. `rawError(status)`.
 *  - replies: everything the stream generates (deny, tarpit, 5xx...). The
 *    same texts parsed into HTX and written back by the H1 mux: lowercase
 *    names, Connection removed, then "connection: close" appended when the
 *    client connection closes (HTTP/1.0 client, "Connection: close", or a
 *    request body not fully received). `builtinError(status, {close})`.
 *
 * Errorfiles are parsed the way HAProxy loads them (http_str_to_htx):
 * `parseErrorfile()` returns the message to send through
 * FrontConn.responseHead(), so it gets the same rewriting.
 */
import { H1Parser } from './h1/parser.js';
import { FrontConn, WANT_CLO } from './h1/serializer.js';
import type { HttpMessage } from './h1/message.js';
import { MF_BODYLESS, MF_CHNK, MF_CLEN, MF_VER_11, MF_XFER_LEN } from './h1/message.js';

/** status codes HAProxy 2.6 has a built-in message for (deny_status accepts only these) */
export const ERROR_STATUSES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504] as const;

const TEXT: Record<number, [string, string]> = {
  200: ['OK', 'Service ready.'],
  400: ['Bad request', 'Your browser sent an invalid request.'],
  401: ['Unauthorized', 'You need a valid user and password to access this content.'],
  403: ['Forbidden', 'Request forbidden by administrative rules.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'A request was made of a resource using a request method not supported by that resource'],
  407: ['Unauthorized', 'You need a valid user and password to access this content.'],
  408: ['Request Time-out', "Your browser didn't send a complete request in time."],
  410: ['Gone', 'The resource is no longer available and will not be available again.'],
  413: ['Payload Too Large', 'The request entity exceeds the maximum allowed.'],
  421: ['Misdirected Request', 'Request sent to a non-authoritative server.'],
  422: ['Unprocessable Content', 'The server cannot process the contained instructions.'],
  425: ['Too Early', 'Your browser sent early data.'],
  429: ['Too Many Requests', 'You have sent too many requests in a given amount of time.'],
  500: ['Internal Server Error', 'An internal server error occurred.'],
  501: ['Not Implemented', '.The server does not support the functionality required to fulfill the request.'],
  502: ['Bad Gateway', 'The server returned an invalid or incomplete response.'],
  503: ['Service Unavailable', 'No server is available to handle this request.'],
  504: ['Gateway Time-out', "The server didn't respond in time."],
};

/** http_err_msgs[]: the raw text of a built-in message */
function rawText(status: number): string {
  const [reason, line] = TEXT[status];
  const body = `<html><body><h1>${status} ${reason}</h1>\n${line}\n</body></html>\n`;
  const close = status === 400 || status === 408 ? 'Connection: close\r\n' : '';
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    `Content-length: ${body.length}\r\n` +
    'Cache-Control: no-cache\r\n' +
    close +
    'Content-Type: text/html\r\n' +
    '\r\n' +
    body
  );
}

/** HAProxy's http_get_status_idx(): unknown codes fall back to 500 */
export function errorIndexStatus(status: number): number {
  return TEXT[status] ? status : 500;
}

export function hasBuiltinError(status: number): boolean {
  return TEXT[status] !== undefined;
}

const rawCache = new Map<number, Buffer>();

/** the multiplexer-level message, verbatim (mixed-case names) */
export function rawError(status: number): Buffer {
  const s = errorIndexStatus(status);
  let b = rawCache.get(s);
  if (!b) {
    b = Buffer.from(rawText(s), 'latin1');
    rawCache.set(s, b);
  }
  return b;
}

/**
 * A reply ready to be written through FrontConn.responseHead(): head +
 * payload. `message` is null for an empty errorfile: HAProxy then sends
 * nothing and closes the connection.
 */
export interface Reply {
  message: HttpMessage | null;
  body: Buffer;
}

const replyCache = new Map<number, Reply>();

/** the built-in message of `status` as a parsed reply (what the stream sends) */
export function builtinReply(status: number): Reply {
  const s = errorIndexStatus(status);
  let r = replyCache.get(s);
  if (!r) {
    const p = parseErrorfile(Buffer.from(rawText(s), 'latin1'));
    if ('error' in p) throw new Error(`built-in ${s}: ${p.error}`);
    r = p;
    replyCache.set(s, r);
  }
  return r;
}

export interface BuiltinErrorOptions {
  /** the client connection closes after the reply: appends "connection: close" */
  close?: boolean;
  /** an HTTP/1.0 client asked for keep-alive: appends "connection: keep-alive" */
  keepAlive?: boolean;
}

const builtCache = new Map<string, Buffer>();

/**
 * Precomputed bytes of a stream-level built-in reply, e.g. 403 from
 * `http-request deny` once the request was fully received: lowercase names,
 * plus "connection: close" when the client connection closes (400 and 408
 * always close: their text carries "Connection: close").
 */
export function builtinError(status: number, opts: BuiltinErrorOptions = {}): Buffer {
  const s = errorIndexStatus(status);
  const key = `${s}${opts.close ? 'c' : opts.keepAlive ? 'k' : ''}`;
  let b = builtCache.get(key);
  if (!b) {
    const front = new FrontConn();
    const req = new H1Parser();
    req.parse(
      Buffer.from(
        opts.close
          ? 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n'
          : opts.keepAlive
            ? 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
            : 'GET / HTTP/1.1\r\n\r\n',
        'latin1',
      ),
    );
    front.requestIn(req.message);
    b = renderReply(front, builtinReply(s), true);
    builtCache.set(key, b);
  }
  return b;
}

/**
 * Writes a reply for the client through the client side's connection logic
 * (what HAProxy does for every generated response). Returns the bytes and
 * updates `front` (front.close tells whether to close afterwards).
 */
export function renderReply(front: FrontConn, reply: Reply, requestDone: boolean, stopping = false): Buffer {
  if (!reply.message) {
    front.want = WANT_CLO;
    return Buffer.alloc(0);
  }
  const head = front.responseHead(reply.message, { proxyResponse: true, requestDone, stopping });
  if (!reply.body.length || front.out.skipBody) return Buffer.from(head, 'latin1');
  return Buffer.concat([Buffer.from(head, 'latin1'), reply.body]);
}

/** a loaded errorfile; files larger than tune.bufsize are truncated, with HAProxy's warning */
export interface ErrorfileResult extends Reply {
  /** HAProxy's warning text, when the file was truncated */
  warning?: string;
}

/**
 * Parses an errorfile (or a built-in text) as HAProxy's http_str_to_htx()
 * does. Errors carry HAProxy's message, e.g. "chunk-encoded payload not
 * supported" (the config check prints "errorfile : '<file>': <error>").
 * An empty file gives an empty reply (HAProxy then sends nothing and closes).
 */
export function parseErrorfile(
  raw: Buffer,
  opts: { bufsize?: number; maxHeaders?: number; file?: string } = {},
): ErrorfileResult | { error: string } {
  const bufsize = opts.bufsize ?? 16384;
  let warning: string | undefined;
  if (raw.length > bufsize) {
    warning = `custom error message file '${opts.file ?? ''}' larger than ${bufsize} bytes. Truncating.`;
    raw = raw.subarray(0, bufsize);
  }
  if (!raw.length) return { message: null, body: Buffer.alloc(0), warning };
  // errorfiles are read with the header parser only (no message-level checks)
  const p = new H1Parser({ response: true, maxHeaders: opts.maxHeaders, bufsize, lenient: true });
  const r = p.parse(raw, 0, raw.length);
  if (r <= 0) {
    const pos = r === 0 ? -2 : p.errorPos;
    return { error: `unable to parse headers (error offset: ${pos})` };
  }
  const msg = p.message;
  if (msg.version.length !== 8) return { error: `invalid http version (${msg.version})` };
  const st = msg.status;
  if (st < 200 && (st === 100 || st >= 102)) return { error: `invalid http status code for an error message (${st})` };
  let f = msg.flags & ~MF_XFER_LEN;
  if (st === 204 || st === 304) {
    f &= ~(MF_CLEN | MF_CHNK);
    f |= MF_XFER_LEN | MF_BODYLESS;
  } else if (f & (MF_CLEN | MF_CHNK)) f |= MF_XFER_LEN;
  if (f & MF_XFER_LEN && f & MF_CHNK) return { error: 'chunk-encoded payload not supported' };
  const body = raw.subarray(r);
  const bodyless = (f & MF_XFER_LEN) !== 0 && (!(f & MF_CLEN) || msg.contentLength === 0) && !(f & MF_CHNK);
  if (bodyless && body.length) return { error: 'message payload not expected' };
  if (f & MF_CLEN && msg.contentLength !== body.length)
    return { error: `payload size does not match the announced content-length (${body.length} != ${msg.contentLength})` };
  if (bodyless) f |= MF_BODYLESS;
  else f &= ~MF_BODYLESS;
  msg.flags = f | (msg.flags & MF_VER_11);
  return { message: msg, body: Buffer.from(body), warning };
}
