/**
 * Error snapshots: the last invalid request each frontend received and the
 * last invalid response each backend received, kept for `show errors` on the
 * stats socket (HAProxy's proxy_capture_error / cli_io_handler_show_errors).
 *
 * Layout observed on HAProxy 2.6.12 (and in its proxy.c): a header with the
 * total number of events ever captured, then per proxy in declaration order
 * its request snapshot then its response snapshot, each after a " \n" line,
 * its bytes dumped by dump_text_line (70 characters per output line, "+"
 * after the offset on a continued line, \t \n \r \e \\ and \xHH escapes).
 *
 * The "H1 ..." lines print the H1 multiplexer's internal state. tshaproxy has
 * no such internals: it prints the values HAProxy 2.6 shows for the same kind
 * of error (a first request or response rejected in its start line or in its
 * header block), and the parser state HAProxy would be in at the error
 * position. They are indicative, as HAProxy's own documentation says of them.
 */
import type { RtProxy, RtServer } from '../model.js';

export interface ErrorSnapshot {
  when: number;
  /** the proxy that captured it: the frontend for a request, the backend for a response */
  px: RtProxy;
  /** the other end: the backend for a request (the frontend itself until one is chosen), the frontend for a response */
  oe: RtProxy;
  srv: RtServer | null;
  evId: number;
  src: string;
  srcPort: number;
  bytes: Buffer;
  errPos: number;
  /** HAProxy's h1m state number at the error */
  state: number;
  /** the error lies after the start line */
  inHeaders: boolean;
  response: boolean;
  /** accepted anyway (option accept-invalid-http-request|response) */
  tolerated: boolean;
}

/** error_snapshot_id: events captured since start */
let evCount = 0;
const snaps = new Map<RtProxy, { req: ErrorSnapshot | null; res: ErrorSnapshot | null }>();

/**
 * HAProxy's parser state at `pos` of a rejected head, from where the byte
 * lies: in the start line, the field it falls in (counted by the spaces
 * before it); in a header line, the name before the colon, else the value;
 * at the end, the last line feed.
 */
export function stateAt(b: Uint8Array, pos: number, response: boolean): { state: number; inHeaders: boolean } {
  let lf = -1;
  for (let i = 0; i < pos && i < b.length; i++) if (b[i] === 10) {
    lf = i;
    break;
  }
  if (lf < 0) {
    let sp = 0;
    for (let i = 0; i < pos && i < b.length; i++) if (b[i] === 32) sp++;
    const field = sp === 0 ? 0 : sp === 1 ? 1 : 2;
    return { state: (response ? 10 : 2) + 2 * field, inHeaders: false };
  }
  // the header line holding pos
  let sol = pos;
  while (sol > 0 && b[sol - 1] !== 10) sol--;
  if (sol >= b.length || b[sol] === 13 || sol === pos) return { state: sol === pos && b[sol] !== 13 ? 17 : 25, inHeaders: true };
  for (let i = sol; i < pos; i++) if (b[i] === 58) return { state: 22, inHeaders: true };
  return { state: 17, inHeaders: true };
}

/** records an invalid message (the bytes are copied; `bytes` may be a shared read buffer) */
export function captureError(s: Omit<ErrorSnapshot, 'evId' | 'when' | 'bytes'> & { bytes: Uint8Array; bufsize: number }): void {
  const n = Math.min(s.bytes.length, s.bufsize);
  const snap: ErrorSnapshot = {
    when: Date.now(),
    px: s.px,
    oe: s.oe,
    srv: s.srv,
    evId: evCount++,
    src: s.src,
    srcPort: s.srcPort,
    bytes: Buffer.from(s.bytes.subarray(0, n)),
    errPos: s.errPos,
    state: s.state,
    inHeaders: s.inHeaders,
    response: s.response,
    tolerated: s.tolerated,
  };
  let e = snaps.get(s.px);
  if (!e) snaps.set(s.px, (e = { req: null, res: null }));
  if (s.response) e.res = snap;
  else e.req = snap;
}

const STATE_NAMES = [
  'MSG_RQBEFORE', 'MSG_RQBEFORE_CR', 'MSG_RQMETH', 'MSG_RQMETH_SP', 'MSG_RQURI', 'MSG_RQURI_SP', 'MSG_RQVER', 'MSG_RQLINE_END',
  'MSG_RPBEFORE', 'MSG_RPBEFORE_CR', 'MSG_RPVER', 'MSG_RPVER_SP', 'MSG_RPCODE', 'MSG_RPCODE_SP', 'MSG_RPREASON', 'MSG_RPLINE_END',
  'MSG_HDR_FIRST', 'MSG_HDR_NAME', 'MSG_HDR_COL', 'MSG_HDR_L1_SP', 'MSG_HDR_L1_LF', 'MSG_HDR_L1_LWS', 'MSG_HDR_VAL', 'MSG_HDR_L2_LF',
  'MSG_HDR_L2_LWS', 'MSG_LAST_LF', 'MSG_CHUNK_SIZE', 'MSG_DATA', 'MSG_CHUNK_CRLF', 'MSG_TRAILERS', 'MSG_DONE', 'MSG_TUNNEL',
];

/** log-style date: dd/Mon/yyyy:HH:MM:SS.mmm (local time) */
export function snapDate(t: number): string {
  const d = new Date(t);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()];
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getDate())}/${mon}/${d.getFullYear()}:${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

const HEX = '0123456789ABCDEF';

/** dump_text_line(): one output line from `ptr`; returns the next ptr and whether a line ended */
function dumpLine(b: Buffer, ptr: number, bol: number): { text: string; ptr: number; bol: number } {
  let out = `  ${String(ptr).padStart(5, '0')}${ptr === bol ? ' ' : '+'} `;
  // the output line may hold 80 characters with its prefix and newline
  const room = 80 - out.length;
  let used = 0;
  while (ptr < b.length) {
    const c = b[ptr];
    let piece: string;
    if (c >= 0x20 && c < 0x7f && c !== 0x5c) piece = String.fromCharCode(c);
    else if (c === 9) piece = '\\t';
    else if (c === 10) piece = '\\n';
    else if (c === 13) piece = '\\r';
    else if (c === 27) piece = '\\e';
    else if (c === 0x5c) piece = '\\\\';
    else piece = '\\x' + HEX[c >> 4] + HEX[c & 15];
    if (used + piece.length > room - 1) break;
    out += piece;
    used += piece.length;
    ptr++;
    if (c === 10) return { text: out + '\n', ptr, bol: ptr };
  }
  return { text: out + '\n', ptr, bol };
}

function dump(b: Buffer): string {
  let out = '';
  let ptr = 0;
  let bol = 0;
  while (ptr < b.length) {
    const r = dumpLine(b, ptr, bol);
    if (r.ptr === ptr) break;
    out += r.text;
    ptr = r.ptr;
    bol = r.bol;
  }
  return out;
}

function describe(s: ErrorSnapshot, bufsize: number, uuid: (px: RtProxy) => number): string {
  let out = ` \n[${snapDate(s.when)}]`;
  // a request is rejected before any backend is chosen: HAProxy 2.6 prints none, even for a listen section (observed)
  if (!s.response) out += ` frontend ${s.px.name} (#${uuid(s.px)}): invalid request\n  backend <NONE> (#-1)`;
  else out += ` backend ${s.px.name} (#${uuid(s.px)}): invalid response\n  frontend ${s.oe.name} (#${uuid(s.oe)})`;
  out += `, server ${s.srv ? `${s.srv.name} (#${s.srv.id})` : '<NONE> (#-1)'}, event #${s.evId}, src ${s.src}:${s.srcPort}\n`;
  out += `  buffer starts at 0 (including 0 out), ${bufsize - s.bytes.length} free,\n`;
  out += `  len ${s.bytes.length}, wraps at ${bufsize - 48}, error at position ${s.errPos}\n`;
  const hex8 = (n: number) => '0x' + n.toString(16).padStart(8, '0');
  const cflags = s.response ? 0x80002200 : 0x00000100;
  // a tolerated error is captured once the head is parsed (HAProxy: stream flags without the error bit)
  const sflags = (s.response ? 0x00004010 : 0x00000010) | (s.tolerated ? 0 : 0x800);
  const mflags = (s.response ? 0x1404 : 0x1400) | (s.inHeaders ? 0x10 : 0) | (s.tolerated ? 0x100 : 0);
  out += `  H1 connection flags ${hex8(cflags)}, H1 stream flags ${hex8(sflags)}\n`;
  out += `  H1 msg state ${STATE_NAMES[s.state] ?? 'MSG_DONE'}(${s.state}), H1 msg flags ${hex8(mflags)}\n`;
  out += `  H1 chunk len 0 bytes, H1 body len 0 bytes :\n`;
  out += '  \n';
  return out + dump(s.bytes);
}

/**
 * `show errors [<iid>|<proxy>] [request|response]`: `iid` -1 for all; a
 * snapshot shows when its proxy or its other end has that uuid (`uuid`:
 * the stats context's numbering, HAProxy's).
 */
export function showErrors(
  proxies: readonly RtProxy[],
  iid: number,
  which: 'request' | 'response' | 'both',
  bufsize: number,
  uuid: (px: RtProxy) => number,
): string {
  let out = `Total events captured on [${snapDate(Date.now())}] : ${evCount}\n`;
  for (const px of proxies) {
    const e = snaps.get(px);
    if (!e) continue;
    for (const s of [e.req, e.res]) {
      if (!s) continue;
      if (which === 'request' && s.response) continue;
      if (which === 'response' && !s.response) continue;
      if (iid >= 0 && uuid(px) !== iid && uuid(s.oe) !== iid) continue;
      out += describe(s, bufsize, uuid);
    }
  }
  return out;
}
