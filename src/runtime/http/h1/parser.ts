/**
 * Incremental HTTP/1 head parser (start line + header block) that accepts
 * and rejects exactly what HAProxy 2.6.12 does, checked against recordings
 * of the real one (test/fixtures/http/).
 *
 * Usage: `const r = p.parse(buf, start, end)`
 *   r > 0             head complete: `p.message` holds it, `r` bytes of `buf`
 *                     (from `start`) were consumed; the body starts there
 *   r === NEED_MORE   every byte was taken (kept internally), call again
 *                     with the next bytes
 *   r === PARSE_ERROR `p.errorStatus` is what to answer (400, 413, 422 for
 *                     requests; 502 for responses), `p.errorPos` the offset
 * After a result other than NEED_MORE the next parse() starts a new message.
 *
 * The scanner is a byte state machine over the Buffer that only records
 * offsets; strings are cut once the head is complete (one latin1 decode of
 * the head, substrings for the fields).
 */
import { CHARS, C_CRLF, C_DIG, C_LWS, C_SPHT, C_TOK, C_VER, eqi, lower } from './chars.js';
import {
  HttpMessage,
  isDefaultPort,
  hostPort,
  methodId,
  schemeEnd,
  uriAuthority,
  METH_CONNECT,
  METH_DELETE,
  METH_GET,
  METH_HEAD,
  MF_BODYLESS,
  MF_CHNK,
  MF_CLEN,
  MF_CONN_CLO,
  MF_CONN_KAL,
  MF_CONN_UPG,
  MF_HAS_AUTHORITY,
  MF_INTERIM,
  MF_RESP,
  MF_TE_CHUNKED,
  MF_TE_OTHER,
  MF_TUNNEL,
  MF_UPG_WEBSOCKET,
  MF_VER_11,
  MF_XFER_ENC,
  MF_XFER_LEN,
} from './message.js';

export const NEED_MORE = 0;
export const PARSE_ERROR = -1;

export interface H1ParserOptions {
  /** parse responses instead of requests */
  response?: boolean;
  /** option accept-invalid-http-request (frontend) / accept-invalid-http-response (backend) */
  acceptInvalid?: boolean;
  /** tune.http.maxhdr (101): at most maxHeaders-1 header fields */
  maxHeaders?: number;
  /** tune.bufsize (16384) */
  bufsize?: number;
  /** tune.maxrewrite (1024) */
  maxrewrite?: number;
  /** parse a header block only (chunked trailers) */
  headersOnly?: boolean;
  /** header syntax only, no message-level checks (errorfiles, as http_str_to_htx) */
  lenient?: boolean;
}

// scanner states
const RQBEFORE = 0;
const RQBEFORE_CR = 1;
const RQMETH = 2;
const RQMETH_SP = 3;
const RQURI = 4;
const RQURI_SP = 5;
const RQVER = 6;
const RQLINE_END = 7;
const RPBEFORE = 8;
const RPBEFORE_CR = 9;
const RPVER = 10;
const RPVER_SP = 11;
const RPCODE = 12;
const RPCODE_SP = 13;
const RPREASON = 14;
const RPLINE_END = 15;
const HDR_FIRST = 16;
const HDR_NAME = 17;
const HDR_L1_SP = 18;
const HDR_L1_LF = 19;
const HDR_L1_LWS = 20;
const HDR_VAL = 21;
const HDR_L2_LF = 22;
const HDR_L2_LWS = 23;
const LAST_LF = 24;

// per-header record flags
const HF_UPPER = 1; // name has uppercase letters
const HF_FOLDED = 2; // value spans an obs-fold: CR/LF become spaces
const HF_SKIP = 4; // dropped (duplicate Content-Length / Host, emptied Connection)
const HF_OVERRIDE = 8; // value replaced (cleaned Content-Length / Connection)
const REC = 5; // ints per header record: sol, col, sov, eol, flags

/** Buffer's own latin1 decoder (the fastest way to a one-byte string) */
type Latin1 = { latin1Slice(start: number, end: number): string };

// special() verdicts
const SP_KEEP = 0;
const SP_SKIP = 1;
const SP_OVERRIDE = 2;
// fast() gives up: the state machine handles the head
const FALLBACK = -2;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
// bytes decoded up front to look for the end of the head in a string
const FAST_WINDOW = 2048;
/** fast() reached the end of its string before the empty line */
const NO_END = -3;
/** header lines whose received names a parser remembers (seenRaw) */
const SEEN_MAX = 64;

/** whether s has `w` at `at` (a loop: startsWith with a position costs more for header names) */
function sameAt(s: string, at: number, w: string): boolean {
  for (let i = 0; i < w.length; i++) if (s.charCodeAt(at + i) !== w.charCodeAt(i)) return false;
  return true;
}

/** a flat copy of a short string (not a view into a larger one) */
function flat(v: string): string {
  return (' ' + v).slice(1);
}

/** names with parser semantics, by length and first letter (lowercased) */
function isSpecial(len: number, c0: number): boolean {
  return (
    (len === 17 && (c0 === 116 || c0 === 115)) || // transfer-encoding, sec-websocket-key
    (len === 14 && c0 === 99) || // content-length
    (len === 10 && c0 === 99) || // connection
    (len === 7 && c0 === 117) || // upgrade
    (len === 4 && c0 === 104) // host
  );
}

// common header names, to get their lowercase form without allocating
const COMMON = [
  'host', 'user-agent', 'accept', 'accept-language', 'accept-encoding', 'accept-charset', 'connection', 'cookie',
  'content-length', 'content-type', 'transfer-encoding', 'upgrade', 'referer', 'origin', 'cache-control', 'pragma',
  'authorization', 'if-modified-since', 'if-none-match', 'range', 'te', 'expect', 'x-forwarded-for',
  'x-forwarded-proto', 'x-requested-with', 'upgrade-insecure-requests', 'dnt', 'sec-fetch-dest', 'sec-fetch-mode',
  'sec-fetch-site', 'sec-fetch-user', 'sec-websocket-key', 'sec-websocket-version', 'date', 'server', 'location',
  'set-cookie', 'etag', 'last-modified', 'expires', 'vary', 'content-encoding', 'keep-alive', 'via', 'x-real-ip',
];
const COMMON_BY_LEN: string[][] = [];
for (const n of COMMON) (COMMON_BY_LEN[n.length] ??= []).push(n);

/** the common name equal to s[a..b) ignoring case (so made of token chars), else undefined */
function commonName(s: string, a: number, b: number): string | undefined {
  const len = b - a;
  const cands = COMMON_BY_LEN[len];
  if (cands === undefined) return undefined;
  for (let k = 0; k < cands.length; k++) {
    const cand = cands[k];
    let i = 0;
    for (; i < len; i++) {
      let c = s.charCodeAt(a + i);
      if (c <= 90 && c >= 65) c += 32;
      if (c !== cand.charCodeAt(i)) break;
    }
    if (i === len) return cand;
  }
  return undefined;
}

/** does the comma-separated value contain `token` (case-insensitive)? */
function hasToken(v: string, token: string): boolean {
  let found = false;
  forEachToken(v, (w) => {
    if (eqi(w, token)) found = true;
  });
  return found;
}

// bytes of HTX bookkeeping HAProxy adds to a head; with `bufsize - maxrewrite - 48`
// they reproduce the largest heads 2.6.12 accepts (observed, see limits fixtures)
const HTX_SL_OVERHEAD = 28;
const HTX_BLK = 8;
const HTX_EOH = 9;
const HTX_ROOM_OVERHEAD = 48;
// an incomplete head fails once this much is buffered below bufsize (observed)
const IBUF_OVERHEAD = 64;

/** Result of HAProxy's h1_parse_cont_len_header() on one header value */
interface ClResult {
  ok: boolean;
  value: string; // cleaned value (last element)
  num: number;
}

export class H1Parser {
  readonly response: boolean;
  readonly headersOnly: boolean;
  readonly lenient: boolean;
  acceptInvalid: boolean;
  maxHeaders: number;
  bufsize: number;
  maxrewrite: number;

  /** the parsed head once parse() returned > 0 */
  message!: HttpMessage;
  /** status to answer after PARSE_ERROR: 400/413/422 for requests, 502 for responses */
  errorStatus = 0;
  /** offset of the faulty byte in the head (for logs / show errors) */
  errorPos = -1;
  /** why the message was rejected, for debugging */
  errorReason = '';

  // --- response context (set by the caller before parsing a response)
  /** the request method (HEAD and CONNECT change the response framing) */
  requestMethod = METH_GET;
  /** the request carried "Connection: upgrade" (a 101 is accepted only then) */
  requestUpgrade = false;

  // --- scanner state, valid while a head is incomplete
  private st = 0;
  private pos = 0;
  private msgStart = 0;
  private sol = 0;
  private col = 0;
  private sov = 0;
  private eol = 0;
  private hflags = 0;
  private s0 = 0; // method / version
  private s1 = 0;
  private s2 = 0; // uri / code
  private s3 = 0;
  private s4 = 0; // version / reason
  private s5 = 0;
  private status = 0;
  private nh = 0; // header lines recorded
  private kept = 0; // header fields kept (HAProxy's hdr_count, checked against maxHeaders)
  private rec: Int32Array;
  private ov: string[] = [];
  private mflags = 0;
  private clNum = -1;
  private clValue = '';
  private hostIdx = -1;
  private hostVal = '';
  private wsKey = false;
  private spValue = '';
  private captured = -1; // first tolerated error offset (accept-invalid)
  private fail = 0; // pending semantic error status, reported at the end of the line
  // accumulated bytes of an incomplete head
  private acc: Buffer | null = null;
  private accLen = 0;
  private fresh = true;
  /** the names of the last head's lines as received, and lowercased: the next head usually repeats them */
  private readonly seenRaw: string[] = [];
  private readonly seenName: string[] = [];

  constructor(opts: H1ParserOptions = {}) {
    this.response = !!opts.response;
    this.headersOnly = !!opts.headersOnly;
    this.lenient = !!opts.lenient;
    this.acceptInvalid = !!opts.acceptInvalid;
    this.maxHeaders = opts.maxHeaders ?? 101;
    this.bufsize = opts.bufsize ?? 16384;
    this.maxrewrite = opts.maxrewrite ?? 1024;
    this.rec = new Int32Array(REC * Math.max(16, Math.min(this.maxHeaders + 1, 128)));
  }

  /** forgets any partial head; the next parse() starts a new message */
  reset(): void {
    this.fresh = true;
    this.acc = null;
    this.accLen = 0;
  }

  /** bytes of an incomplete head currently held */
  get pending(): number {
    return this.fresh ? 0 : this.accLen;
  }

  private begin(): void {
    this.fresh = false;
    this.st = this.headersOnly ? HDR_FIRST : this.response ? RPBEFORE : RQBEFORE;
    this.pos = 0;
    this.msgStart = 0;
    this.nh = 0;
    this.kept = 0;
    this.mflags = this.response ? MF_RESP : 0;
    this.clNum = -1;
    this.clValue = '';
    this.hostIdx = -1;
    this.hostVal = '';
    this.wsKey = false;
    this.captured = -1;
    this.fail = 0;
    this.status = 0;
    this.errorStatus = 0;
    this.errorPos = -1;
    this.errorReason = '';
    this.errBuf = null;
    this.s0 = this.s1 = this.s2 = this.s3 = this.s4 = this.s5 = 0;
    if (this.ov.length) this.ov.length = 0;
  }

  parse(buf: Buffer, start = 0, end = buf.length): number {
    if (this.fresh) this.begin();
    if (this.acc === null) {
      // fastest path: a whole CRLF head in this buffer, cut from one string
      if (!this.headersOnly && end - start > 16) {
        const c0 = buf[start];
        if (c0 !== 13 && c0 !== 10) {
          const lim = end - start > FAST_WINDOW ? start + FAST_WINDOW : end;
          // the fast path finds the empty line itself; a head longer than the window is searched for first
          let r = this.fast((buf as unknown as Latin1).latin1Slice(start, lim), start);
          if (r === NO_END && lim < end) {
            const eoh = buf.indexOf(CRLFCRLF, start) - start;
            if (eoh >= 0 && eoh + 4 <= end - start && eoh < this.bufsize) {
              this.begin();
              r = this.fast((buf as unknown as Latin1).latin1Slice(start, start + eoh + 4), start);
            }
          }
          if (r >= 0) {
            this.fresh = true;
            return r - start;
          }
          this.begin();
        }
      }
      // the whole head may still be in this buffer
      this.pos += start;
      this.msgStart += start;
      const r = this.scan(buf, end);
      if (r > 0) {
        this.fresh = true;
        // an error tolerated by accept-invalid-*: the message is kept for a snapshot too
        if (this.errorPos >= 0) this.errorIn(buf, this.msgStart, end);
        return r - start;
      }
      if (r < 0) {
        this.fresh = true;
        this.errorIn(buf, this.msgStart, end);
        return PARSE_ERROR;
      }
      // incomplete: keep a private copy, offsets become relative to it
      if (this.overflows(end - this.msgStart)) {
        this.errorIn(buf, this.msgStart, end);
        this.errorPos = end;
        return this.fullError();
      }
      this.keep(buf, this.msgStart, end);
      return NEED_MORE;
    }
    // continue an incomplete head: append and resume the scanner
    const before = this.accLen;
    this.append(buf, start, end);
    const r = this.scan(this.acc!, this.accLen);
    if (r > 0) {
      this.fresh = true;
      if (this.errorPos >= 0) this.errorIn(this.acc!, this.msgStart, this.accLen);
      this.acc = null;
      return r - before;
    }
    if (r < 0) {
      this.fresh = true;
      this.errorIn(this.acc!, this.msgStart, this.accLen);
      this.acc = null;
      return PARSE_ERROR;
    }
    if (this.overflows(this.accLen - this.msgStart)) {
      this.errorIn(this.acc!, this.msgStart, this.accLen);
      return this.fullError();
    }
    return NEED_MORE;
  }

  /** where the rejected message lies (for error snapshots): valid until the next parse() */
  private errBuf: Buffer | null = null;
  private errStart = 0;
  private errEnd = 0;

  private errorIn(buf: Buffer, start: number, end: number): void {
    this.errBuf = buf;
    this.errStart = start;
    this.errEnd = end;
  }

  /**
   * After PARSE_ERROR: the bytes of the rejected message received so far
   * (what HAProxy's input buffer holds) and the error offset in them. Copy
   * the bytes at once: they may lie in the shared read buffer.
   */
  rejected(): { bytes: Buffer; pos: number } | null {
    const b = this.errBuf;
    if (b === null) return null;
    const pos = Math.max(0, Math.min(this.errorPos - this.errStart, this.errEnd - this.errStart));
    return { bytes: b.subarray(this.errStart, this.errEnd), pos };
  }

  private overflows(n: number): boolean {
    return n >= this.bufsize - IBUF_OVERHEAD;
  }

  private fullError(): number {
    this.fresh = true;
    this.acc = null;
    return this.error(this.errorPos >= 0 ? this.errorPos : this.accLen, 'head larger than the buffer');
  }

  private keep(buf: Buffer, from: number, end: number): void {
    // rebase: positions so far are absolute in `buf`; make them relative to `from`
    const shift = from;
    const cap = Math.max(1024, Math.min(this.bufsize, (end - from) * 2));
    const acc = Buffer.allocUnsafe(cap);
    buf.copy(acc, 0, from, end);
    this.acc = acc;
    this.accLen = end - from;
    this.pos -= shift;
    this.msgStart -= shift;
    this.sol -= shift;
    this.col -= shift;
    this.sov -= shift;
    this.eol -= shift;
    this.s0 -= shift;
    this.s1 -= shift;
    this.s2 -= shift;
    this.s3 -= shift;
    this.s4 -= shift;
    this.s5 -= shift;
    const rec = this.rec;
    for (let i = 0; i < this.nh; i++) {
      const o = i * REC;
      rec[o] -= shift;
      rec[o + 1] -= shift;
      rec[o + 2] -= shift;
      rec[o + 3] -= shift;
    }
    if (this.captured >= 0) this.captured -= shift;
  }

  private append(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    let acc = this.acc!;
    if (this.accLen + n > acc.length) {
      // never keep more than a buffer's worth: beyond that the head is rejected anyway
      const want = Math.min(Math.max(acc.length * 2, this.accLen + n), this.bufsize + n);
      const grown = Buffer.allocUnsafe(want);
      acc.copy(grown, 0, 0, this.accLen);
      acc = this.acc = grown;
    }
    buf.copy(acc, this.accLen, start, end);
    this.accLen += n;
  }

  private error(pos: number, reason: string, status = 0): number {
    this.errorStatus = status || (this.response ? 502 : 400);
    this.errorPos = pos;
    this.errorReason = reason;
    return PARSE_ERROR;
  }

  /**
   * Runs the state machine from the saved state over b[..end). Returns the
   * offset just after the head (>0), 0 when more bytes are needed, -1 on error.
   */
  private scan(b: Buffer, end: number): number {
    let st = this.st;
    let p = this.pos;
    let sol = this.sol;
    let col = this.col;
    let sov = this.sov;
    let eol = this.eol;
    let hflags = this.hflags;
    const strict = !this.acceptInvalid;

    for (;;) {
      if (p >= end) {
        this.st = st;
        this.pos = p;
        this.sol = sol;
        this.col = col;
        this.sov = sov;
        this.eol = eol;
        this.hflags = hflags;
        return 0;
      }
      let c = b[p];
      switch (st) {
        // ------------------------------------------------------------ request line
        case RQBEFORE:
          if (CHARS[c] & C_TOK) {
            this.msgStart = p;
            this.s0 = p;
            st = RQMETH;
            continue;
          }
          if (c === 13) {
            p++;
            st = RQBEFORE_CR;
            continue;
          }
          if (c === 10) {
            p++;
            continue;
          }
          return this.error(p, 'invalid byte before the request');
        case RQBEFORE_CR:
          if (c !== 10) return this.error(p, 'CR without LF before the request');
          p++;
          st = RQBEFORE;
          continue;
        case RQMETH:
          while (CHARS[c] & C_TOK) {
            if (++p >= end) break;
            c = b[p];
          }
          if (p >= end) continue;
          if (CHARS[c] & C_SPHT) {
            this.s1 = p;
            p++;
            st = RQMETH_SP;
            continue;
          }
          if (CHARS[c] & C_CRLF) {
            // HTTP/0.9 request without URI
            this.s1 = p;
            this.s2 = this.s3 = p;
            this.s4 = this.s5 = p;
            sol = p;
            if (c === 13) p++;
            st = RQLINE_END;
            continue;
          }
          return this.error(p, 'invalid method');
        case RQMETH_SP:
          if (!(CHARS[c] & C_LWS)) {
            this.s2 = p;
            st = RQURI;
            continue;
          }
          if (CHARS[c] & C_SPHT) {
            p++;
            continue;
          }
          this.s2 = this.s3 = p;
          this.s4 = this.s5 = p;
          sol = p;
          if (c === 13) p++;
          st = RQLINE_END;
          continue;
        case RQURI: {
          // HAProxy 2.6.12 skips 4-byte groups with a borrow-sensitive test that
          // lets 0x7f through; reproduce it so the same URIs pass
          while (p <= end - 4) {
            const w = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
            let x = (w - 0x24242424) >>> 0;
            if (x & 0x80808080) break;
            x = (x - 0x5b5b5b5b) >>> 0;
            if (!(x & 0x80808080)) break;
            p += 4;
          }
          if (p >= end) continue;
          c = b[p];
          let next = -1;
          for (;;) {
            if (c >= 33 && c <= 126) {
              if (c === 35 /* # */) {
                if (strict) return this.error(p, "'#' in the URI");
                if (this.captured < 0) this.captured = p;
              }
              if (++p >= end) break;
              c = b[p];
              continue;
            }
            if (CHARS[c] & C_SPHT) {
              this.s3 = p;
              p++;
              next = RQURI_SP;
              break;
            }
            if (c >= 128) {
              if (strict) return this.error(p, 'non-ASCII byte in the URI');
              if (this.captured < 0) this.captured = p;
              p++;
              next = RQURI; // back to the fast loop, as HAProxy does
              break;
            }
            if (CHARS[c] & C_CRLF) {
              // HTTP/0.9 request
              this.s3 = p;
              this.s4 = this.s5 = p;
              sol = p;
              if (c === 13) p++;
              next = RQLINE_END;
              break;
            }
            return this.error(p, 'control byte in the URI');
          }
          if (next >= 0) st = next;
          continue;
        }
        case RQURI_SP:
          if (!(CHARS[c] & C_LWS)) {
            this.s4 = p;
            st = RQVER;
            continue;
          }
          if (CHARS[c] & C_SPHT) {
            p++;
            continue;
          }
          this.s4 = this.s5 = p;
          sol = p;
          if (c === 13) p++;
          st = RQLINE_END;
          continue;
        case RQVER:
          while (CHARS[c] & C_VER) {
            if (++p >= end) break;
            c = b[p];
          }
          if (p >= end) continue;
          if (CHARS[c] & C_CRLF) {
            this.s5 = p;
            sol = p;
            if (c === 13) p++;
            st = RQLINE_END;
            continue;
          }
          return this.error(p, 'invalid version');
        case RQLINE_END:
          if (c !== 10) return this.error(p, 'CR without LF after the request line');
          p++;
          if (this.s5 === this.s4) {
            // HTTP/0.9: the head is the request line alone
            return this.finish(b, p);
          }
          st = HDR_FIRST;
          continue;

        // ------------------------------------------------------------ status line
        case RPBEFORE:
          if (CHARS[c] & C_TOK) {
            this.msgStart = p;
            this.s0 = p;
            st = RPVER;
            continue;
          }
          if (c === 13) {
            p++;
            st = RPBEFORE_CR;
            continue;
          }
          if (c === 10) {
            p++;
            continue;
          }
          return this.error(p, 'invalid byte before the response');
        case RPBEFORE_CR:
          if (c !== 10) return this.error(p, 'CR without LF before the response');
          p++;
          st = RPBEFORE;
          continue;
        case RPVER:
          while (CHARS[c] & C_VER) {
            if (++p >= end) break;
            c = b[p];
          }
          if (p >= end) continue;
          if (CHARS[c] & C_SPHT) {
            this.s1 = p;
            p++;
            st = RPVER_SP;
            continue;
          }
          return this.error(p, 'invalid version');
        case RPVER_SP:
          if (!(CHARS[c] & C_LWS)) {
            this.s2 = p;
            this.status = 0;
            st = RPCODE;
            continue;
          }
          if (CHARS[c] & C_SPHT) {
            p++;
            continue;
          }
          return this.error(p, 'missing status code');
        case RPCODE:
          while (CHARS[c] & C_DIG) {
            this.status = (this.status * 10 + (c - 48)) % 0x100000000;
            if (++p >= end) break;
            c = b[p];
          }
          if (p >= end) continue;
          if (!(CHARS[c] & C_LWS)) return this.error(p, 'invalid status code');
          this.s3 = p;
          if (CHARS[c] & C_SPHT) {
            p++;
            st = RPCODE_SP;
            continue;
          }
          this.s4 = this.s5 = p;
          sol = p;
          if (c === 13) p++;
          st = RPLINE_END;
          continue;
        case RPCODE_SP:
          if (!(CHARS[c] & C_LWS)) {
            this.s4 = p;
            st = RPREASON;
            continue;
          }
          if (CHARS[c] & C_SPHT) {
            p++;
            continue;
          }
          this.s4 = this.s5 = p;
          sol = p;
          if (c === 13) p++;
          st = RPLINE_END;
          continue;
        case RPREASON:
          while (!(CHARS[c] & C_CRLF)) {
            if (++p >= end) break;
            c = b[p];
          }
          if (p >= end) continue;
          this.s5 = p;
          sol = p;
          if (c === 13) p++;
          st = RPLINE_END;
          continue;
        case RPLINE_END:
          if (c !== 10) return this.error(p, 'CR without LF after the status line');
          p++;
          st = HDR_FIRST;
          continue;

        // ------------------------------------------------------------ headers
        case HDR_FIRST:
          sol = p;
          hflags = 0;
          if (!(CHARS[c] & C_CRLF)) {
            st = HDR_NAME;
            continue;
          }
          if (c === 13) p++;
          st = LAST_LF;
          continue;
        case HDR_NAME:
          for (;;) {
            if (CHARS[c] & C_TOK) {
              if (c >= 65 && c <= 90) hflags |= HF_UPPER;
            } else if (c === 58 /* : */) {
              break;
            } else {
              if (strict || c === 10) return this.error(p, 'invalid byte in a header name');
              if (this.captured < 0) this.captured = p;
            }
            if (++p >= end) break;
            c = b[p];
          }
          if (p >= end) continue;
          col = p;
          if (col <= sol) return this.error(p, 'empty header name');
          p++;
          st = HDR_L1_SP;
          continue;
        case HDR_L1_SP:
          while (CHARS[c] & C_SPHT) {
            if (++p >= end) break;
            c = b[p];
          }
          if (p >= end) continue;
          sov = p;
          if (!(CHARS[c] & C_CRLF)) {
            st = HDR_VAL;
            continue;
          }
          if (c === 13) p++;
          st = HDR_L1_LF;
          continue;
        case HDR_L1_LF:
          if (c !== 10) return this.error(p, 'CR without LF in a header');
          p++;
          st = HDR_L1_LWS;
          continue;
        case HDR_L1_LWS:
          if (CHARS[c] & C_SPHT) {
            // obs-fold before any value: the value starts after the fold
            st = HDR_L1_SP;
            continue;
          }
          eol = sov;
          if (this.complete(b, sol, col, sov, eol, hflags) < 0) return PARSE_ERROR;
          sol = p;
          hflags = 0;
          if (!(CHARS[c] & C_CRLF)) {
            st = HDR_NAME;
            continue;
          }
          if (c === 13) p++;
          st = LAST_LF;
          continue;
        case HDR_VAL:
          while (!(CHARS[c] & C_CRLF)) {
            if (++p >= end) break;
            c = b[p];
          }
          if (p >= end) continue;
          eol = p;
          if (c === 13) p++;
          st = HDR_L2_LF;
          continue;
        case HDR_L2_LF:
          if (c !== 10) return this.error(p, 'CR without LF in a header');
          p++;
          st = HDR_L2_LWS;
          continue;
        case HDR_L2_LWS:
          if (CHARS[c] & C_SPHT) {
            hflags |= HF_FOLDED;
            st = HDR_VAL;
            continue;
          }
          if (this.complete(b, sol, col, sov, eol, hflags) < 0) return PARSE_ERROR;
          sol = p;
          hflags = 0;
          if (!(CHARS[c] & C_CRLF)) {
            st = HDR_NAME;
            continue;
          }
          if (c === 13) p++;
          st = LAST_LF;
          continue;
        case LAST_LF:
          if (c !== 10) return this.error(p, 'CR without LF at the end of the head');
          p++;
          if (this.kept >= this.maxHeaders) return this.error(p, 'too many headers');
          return this.finish(b, p);
        default:
          return this.error(p, 'bad state');
      }
    }
  }

  /** a header line is complete: trim, record, and run the per-header checks */
  private complete(b: Buffer, sol: number, col: number, sov: number, eol: number, hflags: number): number {
    if (this.kept >= this.maxHeaders) return this.error(sol, 'too many headers');
    while (sov < eol && CHARS[b[sov]] & C_LWS) sov++;
    while (eol - 1 > sov && CHARS[b[eol - 1]] & C_LWS) eol--;
    const idx = this.nh;
    let rec = this.rec;
    if ((idx + 1) * REC > rec.length) {
      const g = new Int32Array(rec.length * 2);
      g.set(rec);
      rec = this.rec = g;
    }
    const o = idx * REC;
    rec[o] = sol;
    rec[o + 1] = col;
    rec[o + 2] = sov;
    rec[o + 3] = eol;
    rec[o + 4] = hflags;
    this.nh++;
    // names that need semantic processing, recognised by length and first letter
    if (isSpecial(col - sol, b[sol] | 0x20)) {
      let value = b.toString('latin1', sov, eol);
      if (hflags & HF_FOLDED) value = unfold(value);
      const r = this.special(lower(b.toString('latin1', sol, col)), value, idx);
      if (r < 0) return this.error(sov, this.errorReason);
      if (r === SP_SKIP) {
        rec[o + 4] |= HF_SKIP;
        return 0;
      } else if (r === SP_OVERRIDE) {
        rec[o + 4] |= HF_OVERRIDE;
        this.ov[idx] = this.spValue;
      }
    }
    this.kept++;
    return 0;
  }

  /**
   * Semantics of the headers HAProxy's parser interprets (name lowercase):
   * SP_KEEP, SP_SKIP (dropped), SP_OVERRIDE (value replaced by this.spValue)
   * or -1 (error, reason in errorReason).
   */
  private special(name: string, value: string, idx: number): number {
    switch (name) {
      case 'transfer-encoding': {
        const r = this.parseTransferEncoding(value);
        if (r < 0) {
          // for responses, accept-invalid-http-response hides the non-fatal errors
          if (r === -2 || !this.response || !this.acceptInvalid) {
            this.errorReason = 'invalid transfer-encoding';
            return -1;
          }
          if (this.captured < 0) this.captured = 0;
        }
        return SP_KEEP;
      }
      case 'content-length': {
        const r = parseContentLength(value, this.clNum);
        if (!r.ok) {
          this.errorReason = 'invalid content-length';
          return -1;
        }
        if (this.mflags & MF_CLEN) return SP_SKIP; // same value again: dropped
        this.mflags |= MF_CLEN;
        this.clNum = r.num;
        this.clValue = r.value;
        if (r.value === value) return SP_KEEP;
        this.spValue = r.value;
        return SP_OVERRIDE;
      }
      case 'connection': {
        if (!this.headersOnly && !this.lenient) {
          // the usual single tokens, without the general cleaner
          if (value.length === 10 && eqi(value, 'keep-alive')) {
            this.mflags |= MF_CONN_KAL;
            return SP_SKIP;
          }
          if (value.length === 5 && eqi(value, 'close')) {
            this.mflags |= MF_CONN_CLO;
            return SP_SKIP;
          }
        }
        const r = cleanConnection(value);
        this.mflags |= r.flags;
        // trailers and errorfiles keep their Connection header as written
        if (this.headersOnly || this.lenient) return SP_KEEP;
        if (!r.value.length) return SP_SKIP;
        if (r.value === value) return SP_KEEP;
        this.spValue = r.value;
        return SP_OVERRIDE;
      }
      case 'upgrade':
        this.mflags &= ~MF_UPG_WEBSOCKET;
        if (hasToken(value, 'websocket')) this.mflags |= MF_UPG_WEBSOCKET;
        return SP_KEEP;
      case 'host':
        if (this.response || this.headersOnly) return SP_KEEP;
        if (this.hostIdx < 0) {
          this.hostIdx = idx;
          this.hostVal = value;
          return SP_KEEP;
        }
        if (!eqi(value, this.hostVal)) {
          this.errorReason = 'different Host headers';
          return -1;
        }
        return SP_SKIP;
      case 'sec-websocket-key':
        if (!this.response && value.length === 24) this.wsKey = true;
        return SP_KEEP;
    }
    return SP_KEEP;
  }

  /** HAProxy 2.6.12's h1_parse_xfer_enc_header(): -1 error, -2 fatal error, 1 ok */
  private parseTransferEncoding(v: string): number {
    // 2.6.12 accepts an empty value (a request then fails for lack of chunked)
    let f = this.mflags | MF_XFER_ENC;
    let ret = 1;
    const n = v.length;
    let i = 0;
    while (i < n) {
      const c = v.charCodeAt(i);
      if (CHARS[c] & C_LWS) {
        i++;
        continue;
      }
      const e = valueEnd(v, i);
      let we = e;
      while (we > i && CHARS[v.charCodeAt(we - 1)] & C_LWS) we--;
      f &= ~MF_CHNK;
      if (we - i === 7 && eqi(v.slice(i, we), 'chunked')) {
        if (f & MF_TE_CHUNKED) ret = -1; // chunked applied twice
        f |= MF_TE_CHUNKED | MF_CHNK;
      } else {
        if ((f & (MF_RESP | MF_TE_CHUNKED)) === MF_TE_CHUNKED) {
          this.mflags = f;
          return -2; // a request coding after chunked
        }
        f |= MF_TE_OTHER;
      }
      i = e + 1;
    }
    this.mflags = f;
    return ret;
  }

  /** end of the header block at `end` (slow path): builds the message from the offsets, then checks it */
  private finish(b: Buffer, end: number): number {
    const resp = this.response;
    const msg = new HttpMessage(resp);
    const start = this.msgStart;
    const head = b.toString('latin1', start, end);
    msg.headLength = end - start;
    const rec = this.rec;
    const nh = this.nh;
    const names = msg.headers.names;
    const values = msg.headers.values;
    for (let i = 0; i < nh; i++) {
      const o = i * REC;
      const hf = rec[o + 4];
      if (hf & HF_SKIP) continue;
      let name = head.slice(rec[o] - start, rec[o + 1] - start);
      if (hf & HF_UPPER || this.captured >= 0) name = lower(name);
      let value: string;
      if (hf & HF_OVERRIDE) value = this.ov[i];
      else {
        value = head.slice(rec[o + 2] - start, rec[o + 3] - start);
        if (hf & HF_FOLDED) value = unfold(value);
      }
      names.push(name);
      values.push(value);
    }
    if (!this.headersOnly) {
      if (!resp) {
        msg.method = head.slice(this.s0 - start, this.s1 - start);
        msg.meth = methodId(msg.method);
        msg.uri = head.slice(this.s2 - start, this.s3 - start);
        msg.version = head.slice(this.s4 - start, this.s5 - start);
      } else {
        msg.version = head.slice(this.s0 - start, this.s1 - start);
        msg.statusText = head.slice(this.s2 - start, this.s3 - start);
        msg.reason = head.slice(this.s4 - start, this.s5 - start);
        msg.status = this.status;
      }
    }
    return this.check(msg, end);
  }

  /**
   * Fast path for a head complete in one buffer with plain CRLF lines: cuts
   * the fields out of one latin1 string with native searches, up to the
   * empty line (NO_END when `s` ends first). Anything unusual (bare CR or
   * LF, obs-fold, several blanks, odd bytes) returns FALLBACK and the byte
   * state machine decides, with HAProxy's exact errors.
   */
  private fast(s: string, start: number): number {
    const resp = this.response;
    const msg = new HttpMessage(resp);
    // start line
    let le = s.indexOf('\r');
    if (le < 0) return NO_END;
    if (s.charCodeAt(le + 1) !== 10 || s.indexOf('\n') !== le + 1) return FALLBACK;
    let i = 0;
    let c = 0;
    if (!resp) {
      while (CHARS[(c = s.charCodeAt(i))] & C_TOK) i++;
      if (c !== 32 || i === 0) return FALLBACK;
      const u = i + 1;
      let j = u;
      let w = 0;
      // URI bytes 0x21..0x7e except '#': anything else is left to the state machine
      while ((c = s.charCodeAt(j)) > 32 && c < 127 && c !== 35) j++;
      if (c !== 32 || j === u) return FALLBACK;
      w = j + 1;
      for (let k = w; k < le; k++) if (!(CHARS[s.charCodeAt(k)] & C_VER)) return FALLBACK;
      if (w === le) return FALLBACK;
      msg.method = s.slice(0, i);
      msg.meth = methodId(msg.method);
      msg.uri = s.slice(u, j);
      msg.version = s.slice(w, le);
      this.s0 = start;
      this.s1 = start + i;
      this.s2 = start + u;
      this.s3 = start + j;
      this.s4 = start + w;
      this.s5 = start + le;
    } else {
      while (CHARS[(c = s.charCodeAt(i))] & C_VER) i++;
      if (c !== 32 || i === 0) return FALLBACK;
      let j = i + 1;
      let st = 0;
      while ((c = s.charCodeAt(j)) >= 48 && c <= 57) {
        // kept modulo 2^32 as HAProxy's unsigned int; a floating-point % per digit costs more than the test
        st = st * 10 + (c - 48);
        if (st >= 0x100000000) st %= 0x100000000;
        j++;
      }
      if (j === i + 1) return FALLBACK;
      msg.version = s.slice(0, i);
      msg.statusText = s.slice(i + 1, j);
      msg.status = st;
      let r0 = le;
      if (j === le) msg.reason = '';
      else {
        if (c !== 32) return FALLBACK;
        r0 = j + 1;
        if (r0 < le && CHARS[s.charCodeAt(r0)] & C_SPHT) return FALLBACK;
        msg.reason = s.slice(r0, le);
      }
      this.s4 = start + r0;
      this.s5 = start + le;
      this.s0 = start;
      this.s1 = start + i;
      this.s2 = start + i + 1;
      this.s3 = start + j;
    }
    // header lines
    const names = msg.headers.names;
    const values = msg.headers.values;
    let pos = le + 2;
    let idx = 0;
    let line = 0;
    const seenRaw = this.seenRaw;
    for (;;) {
      le = s.indexOf('\r', pos);
      if (le < 0) return NO_END;
      if (s.charCodeAt(le + 1) !== 10 || s.indexOf('\n', pos) !== le + 1) return FALLBACK;
      if (le === pos) break; // the empty line
      // name: the one this line had in the previous head (a connection repeats them), else token chars up to ':'
      let k: number;
      let name: string | undefined;
      const prev = seenRaw[line];
      if (prev !== undefined && s.charCodeAt(pos + prev.length) === 58 && sameAt(s, pos, prev)) {
        k = pos + prev.length;
        name = this.seenName[line];
      } else {
        k = s.indexOf(':', pos);
        if (k <= pos || k >= le) return FALLBACK;
        name = commonName(s, pos, k);
        if (name === undefined) {
          let up = false;
          for (let i = pos; i < k; i++) {
            c = s.charCodeAt(i);
            if (!(CHARS[c] & C_TOK)) return FALLBACK;
            if (c <= 90 && c >= 65) up = true;
          }
          name = up ? s.slice(pos, k).toLowerCase() : s.slice(pos, k);
        }
        if (line < SEEN_MAX) {
          // flattened: a slice would keep this whole head alive
          seenRaw[line] = flat(s.slice(pos, k));
          this.seenName[line] = name;
        }
      }
      line++;
      let v0 = k + 1;
      while (v0 < le && CHARS[s.charCodeAt(v0)] & C_SPHT) v0++;
      let v1 = le;
      while (v1 - 1 > v0 && CHARS[s.charCodeAt(v1 - 1)] & C_SPHT) v1--;
      if (this.kept >= this.maxHeaders) return FALLBACK;
      this.nh++;
      let value = s.slice(v0, v1);
      if (isSpecial(k - pos, s.charCodeAt(pos) | 0x20)) {
        const r = this.special(name, value, idx);
        if (r < 0) return FALLBACK;
        if (r === SP_SKIP) {
          pos = le + 2;
          continue;
        }
        if (r === SP_OVERRIDE) value = this.spValue;
      }
      names.push(name);
      values.push(value);
      this.kept++;
      idx++;
      pos = le + 2;
    }
    const len = pos + 2;
    msg.headLength = len;
    if (this.kept >= this.maxHeaders) return FALLBACK;
    this.msgStart = start;
    const r = this.check(msg, start + len);
    if (r < 0) return FALLBACK;
    return r;
  }

  /** end-of-head checks shared by both paths (HAProxy's h1_parse_msg_hdrs and post-parse) */
  private check(msg: HttpMessage, end: number): number {
    const resp = this.response;
    const names = msg.headers.names;
    const values = msg.headers.values;
    let f = this.mflags;
    let htx = this.headersOnly ? HTX_EOH : HTX_SL_OVERHEAD + HTX_EOH + (this.s1 - this.s0) + (this.s3 - this.s2) + (this.s5 - this.s4);
    for (let i = 0; i < names.length; i++) htx += HTX_BLK + names[i].length + values[i].length;

    if (this.headersOnly) {
      if (htx > this.bufsize - this.maxrewrite - HTX_ROOM_OVERHEAD) return this.error(end, 'trailers too large');
      msg.flags = f;
      this.message = msg;
      return end;
    }
    const v = msg.version;
    if (v.length === 8 && (v.charCodeAt(5) > 49 || (v.charCodeAt(5) === 49 && v.charCodeAt(7) >= 49))) f |= MF_VER_11;

    if (!resp) {
      // request target forms (checked at the end of the header block)
      const r = this.checkTarget(msg);
      if (r < 0) return r;
      f |= this.mflags & MF_HAS_AUTHORITY;
    }

    // Transfer-Encoding and Content-Length together: TE wins, CL is dropped
    // and the connection closes after the transaction
    if (f & MF_XFER_ENC) {
      if (f & MF_CLEN) {
        f |= MF_CONN_CLO;
        f &= ~MF_CLEN;
        this.clNum = -1;
        for (let i = names.length - 1; i >= 0; i--) {
          if (names[i] === 'content-length') {
            htx -= HTX_BLK + names[i].length + values[i].length;
            names.splice(i, 1);
            values.splice(i, 1);
          }
        }
      } else if (!(f & MF_VER_11)) {
        f |= MF_CONN_CLO;
      }
      if (!(f & MF_CHNK) && !resp) return this.error(end, 'transfer-encoding without chunked');
    }

    if (!resp) {
      // version syntax (h1_process_req_vsn)
      if (!this.acceptInvalid) {
        if (
          v.length !== 8 ||
          v.charCodeAt(4) !== 47 ||
          !(CHARS[v.charCodeAt(5)] & C_DIG) ||
          v.charCodeAt(6) !== 46 ||
          !(CHARS[v.charCodeAt(7)] & C_DIG) ||
          v.charCodeAt(0) !== 72 || v.charCodeAt(1) !== 84 || v.charCodeAt(2) !== 84 || v.charCodeAt(3) !== 80
        )
          return this.error(this.s4, 'invalid version');
      } else if (!v.length) {
        if (msg.meth !== METH_GET || !msg.uri.length) return this.error(this.s4, 'invalid HTTP/0.9 request');
        msg.version = 'HTTP/1.0';
      }
    }

    // the head must fit the HTX buffer minus the rewrite reserve
    if (!this.lenient && htx > this.bufsize - this.maxrewrite - HTX_ROOM_OVERHEAD) return this.error(end, 'head too large');

    if (!resp) {
      f |= MF_XFER_LEN;
      if (msg.meth === METH_CONNECT) {
        f &= ~(MF_CLEN | MF_CHNK);
        this.clNum = -1;
        f |= MF_BODYLESS;
      } else if (((f & MF_CLEN) && this.clNum === 0) || !(f & (MF_CLEN | MF_CHNK))) {
        f |= MF_BODYLESS;
      }
      // HTTP/1.0 GET/HEAD/DELETE with a payload: 413
      if (
        !(f & MF_VER_11) &&
        (((f & MF_CLEN) && this.clNum !== 0) || (f & MF_CHNK)) &&
        (msg.meth === METH_GET || msg.meth === METH_HEAD || msg.meth === METH_DELETE)
      )
        return this.error(end, 'HTTP/1.0 GET/HEAD/DELETE with a payload', 413);
      if (f & MF_TE_OTHER) return this.error(end, 'unknown transfer-encoding', 422);
      if ((f & (MF_CONN_UPG | MF_UPG_WEBSOCKET)) === (MF_CONN_UPG | MF_UPG_WEBSOCKET) && !this.wsKey)
        return this.error(end, 'websocket upgrade without key');
      msg.flags = f;
      msg.contentLength = f & MF_CLEN ? this.clNum : -1;
      if (f & MF_HAS_AUTHORITY && msg.meth !== METH_CONNECT) normalizeScheme(msg);
    } else {
      const code = msg.status;
      if (f & MF_TE_OTHER && !this.acceptInvalid && !this.lenient) return this.error(end, 'unknown transfer-encoding');
      if ((f & (MF_CONN_UPG | MF_UPG_WEBSOCKET)) && code !== 101) f &= ~(MF_CONN_UPG | MF_UPG_WEBSOCKET);
      if (code === 101 && !this.requestUpgrade && !this.lenient) return this.error(end, '101 without an upgrade request');
      if ((this.requestMethod === METH_CONNECT && code >= 200 && code < 300) || code === 101) {
        f &= ~(MF_CLEN | MF_CHNK);
        f |= MF_XFER_LEN | MF_TUNNEL;
        this.clNum = -1;
      } else if (this.requestMethod === METH_HEAD || (code >= 100 && code < 200) || code === 204 || code === 304) {
        f |= MF_XFER_LEN | MF_BODYLESS;
        if (code >= 100 && code < 200 && (code === 100 || code >= 102)) f |= MF_INTERIM;
      } else {
        if (f & (MF_CLEN | MF_CHNK)) f |= MF_XFER_LEN;
        if ((f & MF_CLEN && this.clNum === 0 && !(f & MF_CHNK)) || (f & (MF_XFER_LEN | MF_CLEN | MF_CHNK)) === MF_XFER_LEN)
          f |= MF_BODYLESS;
      }
      msg.flags = f;
      msg.contentLength = f & MF_CLEN ? this.clNum : -1;
    }
    this.message = msg;
    this.errorPos = this.captured;
    return end;
  }

  /** absolute-form / authority-form checks of HAProxy 2.6.12 */
  private checkTarget(msg: HttpMessage): number {
    const uri = msg.uri;
    const connect = msg.meth === METH_CONNECT;
    if (!uri.length) return this.error(this.s2, 'empty URI');
    const c = uri.charCodeAt(0);
    if (c === 47 /* / */) {
      if (connect) return this.error(this.s2, 'CONNECT with a path');
      return 0;
    }
    if (c === 42 /* * */) return 0;
    this.mflags |= MF_HAS_AUTHORITY;
    const se = schemeEnd(uri);
    if (se < 0) {
      if (!connect) return this.error(this.s2, 'URI without scheme');
      // authority-form: needs a port; Host must match, default ports are dropped from Host
      const at = uri.lastIndexOf('@');
      const auth = at >= 0 ? uri.slice(at + 1) : uri;
      const port = hostPort(auth);
      let bad = 0;
      if (!port) bad = -1;
      else if (this.hostIdx >= 0) {
        const uhost = auth.slice(0, auth.length - port.length - 1);
        const hv = this.hostVal;
        const hport = hostPort(hv);
        const hhost = hport === undefined ? hv : hv.slice(0, hv.length - hport.length - 1);
        if (hport !== undefined && hport.length) {
          if (!eqi(hhost, uhost) || hport !== port) bad = -2;
          else if (isDefaultPort(undefined, port)) this.setHost(msg, hhost);
        } else if (!isDefaultPort(undefined, port) || !eqi(hhost, uhost)) bad = -2;
      }
      if (bad) {
        if (!this.acceptInvalid) return this.error(this.s2, 'invalid CONNECT authority');
        if (this.captured < 0) this.captured = this.s2;
      }
      return 0;
    }
    if (connect) return 0;
    if (this.hostIdx < 0) return 0;
    const auth = uriAuthority(uri, true);
    const host = this.hostVal;
    if (eqi(auth, host)) return 0;
    if (!authorityMatches(uri.slice(0, se), auth, host)) {
      if (!this.acceptInvalid) return this.error(this.s2, 'authority does not match Host');
      if (this.captured < 0) this.captured = this.s2;
    }
    return 0;
  }

  private setHost(msg: HttpMessage, v: string): void {
    const h = msg.headers;
    for (let i = 0; i < h.length; i++) if (h.names[i] === 'host') h.values[i] = v;
  }
}

/** h1_validate_mismatch_authority(): equal once default ports are ignored */
function authorityMatches(scheme: string, auth: string, host: string): boolean {
  const up = hostPort(auth);
  const hp = hostPort(host);
  const uhost = up === undefined ? auth : auth.slice(0, auth.length - up.length - 1);
  const hhost = hp === undefined ? host : host.slice(0, host.length - hp.length - 1);
  if (up === undefined && hp === undefined) return false;
  if (up !== undefined && !isDefaultPort(scheme, up)) return false;
  if (hp !== undefined && !isDefaultPort(scheme, hp)) return false;
  return eqi(uhost, hhost);
}

/**
 * Scheme-based normalization (RFC 3986 6.2.3) HAProxy applies to absolute
 * URIs: a default or empty port is removed from the URI, and from Host when
 * Host carries one.
 */
export function normalizeScheme(msg: HttpMessage): void {
  const uri = msg.uri;
  const se = schemeEnd(uri);
  if (se < 0) return;
  const scheme = uri.slice(0, se);
  if (!eqi(scheme, 'http://') && !eqi(scheme, 'https://')) return;
  let aend = uri.indexOf('/', se);
  if (aend < 0) aend = uri.length;
  const at = uri.lastIndexOf('@', aend - 1);
  const hstart = at >= se ? at + 1 : se;
  const auth = uri.slice(hstart, aend);
  const port = hostPort(auth);
  if (port === undefined || !isDefaultPort(scheme, port)) return;
  msg.uri = uri.slice(0, aend - port.length - 1) + uri.slice(aend);
  const h = msg.headers;
  for (let i = 0; i < h.length; i++) {
    if (h.names[i] !== 'host') continue;
    const hv = h.values[i];
    const hp = hostPort(hv);
    if (hp !== undefined && isDefaultPort(scheme, hp)) h.values[i] = hv.slice(0, hv.length - hp.length - 1);
  }
}

/** CR/LF of an obs-fold become spaces (HAProxy rewrites them in place) */
function unfold(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    out += c === 13 || c === 10 ? ' ' : v[i];
  }
  return out;
}

/** end of a comma-separated element starting at `i` (commas inside quotes don't count) */
export function valueEnd(v: string, i: number): number {
  const n = v.length;
  let quoted = false;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (quoted) {
      if (c === 92 /* \ */) i++;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 44) return i;
  }
  return n;
}

/** calls `fn` for each trimmed comma-separated token */
export function forEachToken(v: string, fn: (w: string) => void): void {
  const n = v.length;
  let i = 0;
  while (i < n) {
    if (CHARS[v.charCodeAt(i)] & C_LWS) {
      i++;
      continue;
    }
    const e = valueEnd(v, i);
    let we = e;
    while (we > i && CHARS[v.charCodeAt(we - 1)] & C_LWS) we--;
    fn(v.slice(i, we));
    i = e + 1;
  }
}

/**
 * h1_parse_connection_header() with header cleaning: returns the close /
 * keep-alive / upgrade flags and the value without the close and keep-alive
 * tokens (rebuilt the way HAProxy rewrites it in place).
 */
export function cleanConnection(v: string): { flags: number; value: string } {
  let flags = 0;
  const n = v.length;
  let len = 0; // value is v[0..len) while nothing was removed before a kept token
  let out: string | null = null;
  let p = 0;
  let i = 0;
  while (i < n) {
    if (CHARS[v.charCodeAt(i)] & C_LWS) {
      i++;
      continue;
    }
    const e = valueEnd(v, i);
    let we = e;
    while (we > i && CHARS[v.charCodeAt(we - 1)] & C_LWS) we--;
    const word = v.slice(i, we);
    let drop = false;
    if (eqi(word, 'keep-alive')) {
      flags |= MF_CONN_KAL;
      drop = true;
    } else if (eqi(word, 'close')) {
      flags |= MF_CONN_CLO;
      drop = true;
    } else if (eqi(word, 'upgrade')) flags |= MF_CONN_UPG;
    if (!drop) {
      if (out === null && len === p) len = e;
      else {
        if (out === null) out = v.slice(0, len);
        if (out.length) out += ',';
        out += word;
      }
    }
    p = e;
    i = e + 1;
  }
  return { flags, value: out ?? v.slice(0, len) };
}

const U64_MAX = 18446744073709551615n;

/**
 * h1_parse_cont_len_header() of 2.6.12 (with the empty-value fix): a list of
 * identical digit strings, each within 64 bits, also identical to a
 * previous Content-Length (`prev` >= 0). The cleaned value is the last element.
 */
/** the result of parseContentLength: one object, overwritten by the next call (callers read it at once) */
const CL: ClResult = { ok: false, value: '', num: -1 };
const CL_BAD: ClResult = Object.freeze({ ok: false, value: '', num: -1 });

export function parseContentLength(v: string, prev: number): Readonly<ClResult> {
  const n = v.length;
  // the usual case: a few digits and nothing else
  if (n > 0 && n < 16) {
    let x = 0;
    let i = 0;
    for (; i < n; i++) {
      const d = v.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      x = x * 10 + d;
    }
    if (i === n) {
      if (prev >= 0 && x !== prev) return CL_BAD;
      CL.ok = true;
      CL.value = v;
      CL.num = x;
      return CL;
    }
  }
  const bad = CL_BAD;
  let i = 0;
  let value = '';
  let num = -1;
  for (;;) {
    if (i >= n) return bad; // empty value or empty element
    const c = v.charCodeAt(i);
    if (CHARS[c] & C_LWS) {
      i++;
      continue;
    }
    const d0 = i;
    while (i < n) {
      const d = v.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      i++;
    }
    if (i === d0) return bad;
    const digits = v.slice(d0, i);
    let x: number;
    if (i - d0 < 16) x = +digits;
    else {
      const big = BigInt(digits);
      if (big > U64_MAX) return bad;
      x = Number(big);
    }
    while (i < n && CHARS[v.charCodeAt(i)] & C_LWS) i++;
    if (i < n && v.charCodeAt(i) !== 44) return bad;
    if (prev >= 0 && x !== prev) return bad;
    if (num >= 0 && x !== num) return bad;
    num = x;
    value = digits;
    if (i >= n) break;
    i++; // the comma
  }
  CL.ok = true;
  CL.value = value;
  CL.num = num;
  return CL;
}
