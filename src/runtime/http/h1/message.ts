/**
 * An HTTP message as the engine holds it between parsing and forwarding, on
 * the model of HAProxy's HTX: a start line, an ordered list of headers and
 * the body framing found by the parser. Header names are stored lowercase
 * (HTX does the same, which is why HAProxy 2.6 emits lowercase names); values
 * are trimmed and obs-folds are already unfolded.
 *
 * Rules read and modify it through HeaderList and the set* helpers; the
 * serializer turns it back into bytes.
 */
import { eqi, lower } from './chars.js';

// message flags (subset of HAProxy's H1_MF_*)
export const MF_RESP = 0x0001; // response
export const MF_VER_11 = 0x0002; // version >= 1.1
export const MF_CLEN = 0x0004; // valid Content-Length seen
export const MF_CHNK = 0x0008; // chunked is the last transfer coding
export const MF_XFER_ENC = 0x0010; // a Transfer-Encoding header was seen
export const MF_XFER_LEN = 0x0020; // the body length is known (CL, chunked or none)
export const MF_CONN_CLO = 0x0040; // "close" token in Connection
export const MF_CONN_KAL = 0x0080; // "keep-alive" token in Connection
export const MF_CONN_UPG = 0x0100; // "upgrade" token in Connection
export const MF_UPG_WEBSOCKET = 0x0200; // Upgrade: websocket
export const MF_TE_CHUNKED = 0x0400; // chunked seen in Transfer-Encoding
export const MF_TE_OTHER = 0x0800; // another transfer coding seen
export const MF_BODYLESS = 0x1000; // no payload at all (GET without length, 204, HEAD response...)
export const MF_TUNNEL = 0x2000; // the bytes after the head are a tunnel (CONNECT 2xx, 101)
export const MF_INTERIM = 0x4000; // 1xx interim response (100, 102..199): another response follows
export const MF_HAS_AUTHORITY = 0x8000; // absolute-form or authority-form request target

// methods (HAProxy's enum http_meth_t order)
export const METH_OPTIONS = 0;
export const METH_GET = 1;
export const METH_HEAD = 2;
export const METH_POST = 3;
export const METH_PUT = 4;
export const METH_DELETE = 5;
export const METH_TRACE = 6;
export const METH_CONNECT = 7;
export const METH_OTHER = 8;

/** HAProxy's find_http_meth(): case-sensitive match of the known methods */
export function methodId(m: string): number {
  switch (m) {
    case 'GET':
      return METH_GET;
    case 'HEAD':
      return METH_HEAD;
    case 'POST':
      return METH_POST;
    case 'PUT':
      return METH_PUT;
    case 'DELETE':
      return METH_DELETE;
    case 'OPTIONS':
      return METH_OPTIONS;
    case 'CONNECT':
      return METH_CONNECT;
    case 'TRACE':
      return METH_TRACE;
    default:
      return METH_OTHER;
  }
}

/**
 * Ordered header fields. Names are kept lowercase; lookups take lowercase
 * names (or any case: they are lowercased once per call). Iterate with
 * `for (let i = 0; i < h.length; i++) h.names[i], h.values[i]`.
 */
export class HeaderList {
  names: string[] = [];
  values: string[] = [];

  get length(): number {
    return this.names.length;
  }

  /** index of the first header named `name` at or after `from`, or -1 */
  indexOf(name: string, from = 0): number {
    const n = lower(name);
    const names = this.names;
    for (let i = from; i < names.length; i++) if (names[i] === n) return i;
    return -1;
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /** full value of the first occurrence (hdr_full / fhdr semantics) */
  get(name: string): string | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  /** full values of every occurrence, in order */
  getAll(name: string): string[] {
    const n = lower(name);
    const out: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i] === n) out.push(this.values[i]);
    return out;
  }

  /** appends a header (http-request add-header) */
  add(name: string, value: string): void {
    this.names.push(lower(name));
    this.values.push(value);
  }

  /** removes every occurrence then appends one (http-request set-header) */
  set(name: string, value: string): void {
    this.del(name);
    this.add(name, value);
  }

  /** removes every occurrence; returns how many were removed */
  del(name: string): number {
    const n = lower(name);
    let w = 0;
    const names = this.names;
    const values = this.values;
    for (let r = 0; r < names.length; r++) {
      if (names[r] === n) continue;
      names[w] = names[r];
      values[w] = values[r];
      w++;
    }
    const removed = names.length - w;
    names.length = w;
    values.length = w;
    return removed;
  }

  removeAt(i: number): void {
    this.names.splice(i, 1);
    this.values.splice(i, 1);
  }

  insertAt(i: number, name: string, value: string): void {
    this.names.splice(i, 0, lower(name));
    this.values.splice(i, 0, value);
  }

  setValueAt(i: number, value: string): void {
    this.values[i] = value;
  }

  /** renames header `i` (keeps its position) */
  setNameAt(i: number, name: string): void {
    this.names[i] = lower(name);
  }

  clear(): void {
    this.names.length = 0;
    this.values.length = 0;
  }

  clone(): HeaderList {
    const h = new HeaderList();
    h.names = this.names.slice();
    h.values = this.values.slice();
    return h;
  }
}

export class HttpMessage {
  /** MF_* flags found by the parser (framing, connection tokens, version) */
  flags = 0;
  // request start line
  method = '';
  meth = METH_OTHER;
  uri = '';
  // response start line: `status` is the number, `statusText` the digits as received
  status = 0;
  statusText = '';
  reason = '';
  /** version as received ("HTTP/1.1"); HTTP/0.9 requests read "HTTP/1.0" once accepted */
  version = '';
  headers = new HeaderList();
  /** Content-Length value when MF_CLEN (may exceed 2^53: then only approximate) */
  contentLength = -1;
  /** chunked trailers, filled by the body decoder */
  trailers: HeaderList | null = null;
  /** bytes of the head on the wire (start line through the empty line) */
  headLength = 0;

  constructor(readonly isResponse = false) {
    if (isResponse) this.flags = MF_RESP;
  }

  get isVer11(): boolean {
    return (this.flags & MF_VER_11) !== 0;
  }

  /** true when a body follows the head according to the framing (CL > 0, chunked or close-delimited) */
  get hasBody(): boolean {
    if (this.flags & (MF_BODYLESS | MF_TUNNEL)) return false;
    if (this.flags & MF_CHNK) return true;
    if (this.flags & MF_CLEN) return this.contentLength > 0;
    return !(this.flags & MF_XFER_LEN);
  }

  // ---------------------------------------------------------------- request line

  setMethod(m: string): void {
    this.method = m;
    this.meth = methodId(m);
  }

  /** http-request set-uri: also refreshes Host from an absolute URI (http_update_host) */
  setUri(uri: string): void {
    this.uri = uri;
    if (!uri.length || uri.charCodeAt(0) === 47 /* / */ || uri.charCodeAt(0) === 42 /* * */) {
      this.flags &= ~MF_HAS_AUTHORITY;
      return;
    }
    this.flags |= MF_HAS_AUTHORITY;
    const auth = this.meth === METH_CONNECT ? uri : uriAuthority(uri, true);
    if (!auth) return;
    const h = this.headers;
    for (let i = 0; i < h.length; i++) if (h.names[i] === 'host') h.values[i] = auth;
  }

  /** the path part of the URI (origin-form URI or what follows the authority), with the query */
  get pathWithQuery(): string {
    const p = uriPathStart(this.uri);
    return p < 0 ? '' : this.uri.slice(p);
  }

  /** "path" sample: the path without the query string */
  get path(): string {
    const p = uriPathStart(this.uri);
    if (p < 0) return '';
    const q = this.uri.indexOf('?', p);
    return q < 0 ? this.uri.slice(p) : this.uri.slice(p, q);
  }

  /** "query" sample: what follows the first '?', or undefined */
  get query(): string | undefined {
    const q = this.uri.indexOf('?');
    return q < 0 ? undefined : this.uri.slice(q + 1);
  }

  /** http-request set-path: keeps the scheme/authority and the query string */
  setPath(path: string, withQuery = false): void {
    const uri = this.uri;
    let p = uriPathStart(uri);
    if (p < 0) p = 0;
    let end = uri.length;
    if (!withQuery) {
      const q = uri.indexOf('?', p);
      if (q >= 0) end = q;
    }
    this.uri = uri.slice(0, p) + path + uri.slice(end);
  }

  /** http-request set-query: `query` without the leading '?'; empty removes nothing but the text */
  setQuery(query: string): void {
    const uri = this.uri;
    const q = uri.indexOf('?');
    if (q >= 0) this.uri = uri.slice(0, q + 1) + query;
    else if (query.length) this.uri = uri + '?' + query;
  }

  // ---------------------------------------------------------------- status line

  /** http-response set-status: the reason defaults to HAProxy's standard text when not given */
  setStatus(status: number, reason?: string): void {
    this.status = status;
    this.statusText = String(status);
    this.reason = reason ?? reasonPhrase(status);
  }
}

/**
 * Offset where the path starts in a request URI: 0 for origin-form, after
 * the authority for absolute-form, -1 when there is none ("*", authority-form
 * or an absolute URI without path).
 */
export function uriPathStart(uri: string): number {
  if (!uri.length) return -1;
  const c = uri.charCodeAt(0);
  if (c === 47) return 0;
  if (c === 42) return -1;
  const s = uri.indexOf('://');
  if (s < 0) return -1;
  const p = uri.indexOf('/', s + 3);
  return p;
}

/**
 * The authority of an absolute URI (between "scheme://" and the next '/'),
 * without user info when `noUserinfo`; '' when the URI has none. Like
 * HAProxy 2.6, '?' does not end the authority.
 */
export function uriAuthority(uri: string, noUserinfo: boolean): string {
  const s = schemeEnd(uri);
  if (s < 0) return '';
  let end = uri.indexOf('/', s);
  if (end < 0) end = uri.length;
  let start = s;
  if (noUserinfo) {
    const at = uri.lastIndexOf('@', end - 1);
    if (at >= start) start = at + 1;
  }
  return uri.slice(start, end);
}

/** offset just after "scheme://" (RFC 3986 scheme), or -1 */
export function schemeEnd(uri: string): number {
  const n = uri.length;
  if (!n) return -1;
  let c = uri.charCodeAt(0);
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return -1;
  let i = 1;
  while (i < n) {
    c = uri.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) i++;
    else break;
  }
  if (uri.charCodeAt(i) !== 58 || uri.charCodeAt(i + 1) !== 47 || uri.charCodeAt(i + 2) !== 47) return -1;
  return i + 3;
}

/**
 * HAProxy's http_get_host_port(): the digits after the last ':' of a host
 * value. Returns undefined when there is no port, '' for a bare ':'.
 */
export function hostPort(host: string): string | undefined {
  let i = host.length;
  while (i > 0) {
    const c = host.charCodeAt(i - 1);
    if (c >= 48 && c <= 57) i--;
    else break;
  }
  if (i === 0 || host.charCodeAt(i - 1) !== 58) return undefined;
  return host.slice(i);
}

/** http_is_default_port(): empty ports are default; without scheme 80 and 443 both are */
export function isDefaultPort(scheme: string | undefined, port: string): boolean {
  if (!port.length) return true;
  if (scheme === undefined) return port === '443' || port === '80';
  return (port === '443' && eqi(scheme, 'https://')) || (port === '80' && eqi(scheme, 'http://'));
}

/** HAProxy's http_get_reason(): the standard reason phrase of a status */
export function reasonPhrase(status: number): string {
  const r = REASONS[status];
  if (r) return r;
  if (status >= 100 && status < 200) return 'Informational';
  if (status >= 200 && status < 300) return 'Success';
  if (status >= 300 && status < 400) return 'Redirection';
  if (status >= 400 && status < 500) return 'Client Error';
  if (status >= 500 && status < 600) return 'Server Error';
  return 'Other';
}

const REASONS: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  210: 'Content Different',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  310: 'Too many Redirects',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Time-out',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Requested range unsatisfiable',
  417: 'Expectation failed',
  418: "I'm a teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  423: 'Locked',
  424: 'Method failure',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  449: 'Retry With',
  450: 'Blocked by Windows Parental Controls',
  451: 'Unavailable For Legal Reasons',
  456: 'Unrecoverable Error',
  499: 'client has closed connection',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway or Proxy Error',
  503: 'Service Unavailable',
  504: 'Gateway Time-out',
  505: 'HTTP Version not supported',
  506: 'Variant also negotiate',
  507: 'Insufficient storage',
  508: 'Loop detected',
  509: 'Bandwidth Limit Exceeded',
  510: 'Not extended',
  511: 'Network authentication required',
  520: 'Web server is returning an unknown error',
};
