/**
 * Body framing decoder: Content-Length, chunked (with extensions and
 * trailers) and close-delimited bodies, fed with whatever the socket gives.
 * Payload bytes are handed out as (buf, start, end) ranges of the input
 * buffers, never copied; chunk sizes, extensions and CRLFs are consumed.
 *
 *   const n = dec.decode(buf, start, end, sink)
 *     n >= 0   bytes of buf consumed; when dec.done the message ended and
 *              buf[start + n ..] belongs to the next message (pipelining)
 *     n === -1 framing error: dec.errorStatus (400 request / 502 response)
 *
 * HAProxy re-chunks what it forwards: every batch of payload it read in one
 * go becomes one chunk, extensions are dropped, trailers are re-emitted
 * (lowercase names). The serializer's chunk helpers do the emitting side.
 */
import { CHARS, C_SPHT, HEX } from './chars.js';
import type { HttpMessage } from './message.js';
import { HeaderList, MF_BODYLESS, MF_CHNK, MF_CLEN, MF_TUNNEL, MF_XFER_LEN } from './message.js';
import { H1Parser } from './parser.js';

export interface BodySink {
  /** payload bytes buf[start..end) (a view of the input, valid until the caller reuses it) */
  onData(buf: Buffer, start: number, end: number): void;
}

export const BODY_NONE = 0; // no payload (bodyless, CONNECT request...)
export const BODY_CLEN = 1;
export const BODY_CHUNKED = 2;
export const BODY_CLOSE = 3; // until the peer closes (responses without length)
export const BODY_TUNNEL = 4; // raw bytes both ways after CONNECT 2xx / 101

// chunked sub-states
const CK_SIZE = 0; // reading hex digits
const CK_SIZE_SP = 1; // blanks after the digits
const CK_EXT = 2; // chunk extension, skipped
const CK_SIZE_LF = 3; // CR seen, LF expected
const CK_DATA = 4;
const CK_DATA_CR = 5; // CRLF after the data
const CK_DATA_LF = 6;
const CK_TRAILERS = 7;

export interface BodyDecoderOptions {
  response?: boolean;
  maxHeaders?: number;
  bufsize?: number;
  maxrewrite?: number;
}

export class BodyDecoder {
  mode = BODY_NONE;
  /** the message is complete */
  done = false;
  /** payload bytes delivered so far */
  bodyBytes = 0;
  /** bytes left in the current Content-Length body or chunk */
  remaining = 0;
  /** trailers of a chunked message, once done (null when there were none) */
  trailers: HeaderList | null = null;
  errorStatus = 0;
  errorReason = '';

  private ck = CK_SIZE;
  private digits = 0; // significant hex digits of the size being read
  private sizeSeen = false;
  private tparser: H1Parser | null = null;
  private readonly response: boolean;

  constructor(private readonly opts: BodyDecoderOptions = {}) {
    this.response = !!opts.response;
  }

  /** prepares for the body of `msg` (just parsed) */
  start(msg: HttpMessage): this {
    const f = msg.flags;
    this.done = false;
    this.bodyBytes = 0;
    this.trailers = null;
    this.errorStatus = 0;
    this.errorReason = '';
    this.ck = CK_SIZE;
    this.digits = 0;
    this.sizeSeen = false;
    this.remaining = 0;
    if (f & MF_TUNNEL) {
      // the message itself ends with its head; what follows is tunnel data
      this.mode = BODY_TUNNEL;
      this.done = true;
    } else if (f & MF_BODYLESS) {
      this.mode = BODY_NONE;
      this.done = true;
    } else if (f & MF_CHNK) {
      this.mode = BODY_CHUNKED;
    } else if (f & MF_CLEN) {
      this.mode = BODY_CLEN;
      this.remaining = msg.contentLength;
      if (this.remaining <= 0) this.done = true;
    } else if (!(f & MF_XFER_LEN)) {
      this.mode = BODY_CLOSE;
    } else {
      this.mode = BODY_NONE;
      this.done = true;
    }
    return this;
  }

  /** the peer closed: completes a close-delimited body, otherwise the message was truncated */
  eof(): boolean {
    if (this.mode === BODY_CLOSE || this.mode === BODY_TUNNEL) {
      this.done = true;
      return true;
    }
    return this.done;
  }

  decode(buf: Buffer, start: number, end: number, sink: BodySink): number {
    if (this.done && this.mode !== BODY_TUNNEL) return 0;
    switch (this.mode) {
      case BODY_CLEN: {
        let n = end - start;
        if (n > this.remaining) n = this.remaining;
        if (n > 0) {
          sink.onData(buf, start, start + n);
          this.remaining -= n;
          this.bodyBytes += n;
        }
        if (this.remaining === 0) this.done = true;
        return n;
      }
      case BODY_CLOSE:
      case BODY_TUNNEL:
        if (end > start) {
          sink.onData(buf, start, end);
          this.bodyBytes += end - start;
        }
        return end - start;
      case BODY_CHUNKED:
        return this.chunked(buf, start, end, sink);
      default:
        return 0;
    }
  }

  private fail(reason: string): number {
    this.errorStatus = this.response ? 502 : 400;
    this.errorReason = reason;
    return -1;
  }

  private chunked(buf: Buffer, start: number, end: number, sink: BodySink): number {
    let p = start;
    while (p < end) {
      switch (this.ck) {
        case CK_SIZE: {
          const c = buf[p];
          const h = HEX[c];
          if (h >= 0) {
            // a size needing more than 64 bits is an error
            if (this.digits || h) this.digits++;
            if (this.digits > 16) return this.fail('chunk size overflow');
            this.remaining = this.remaining * 16 + h;
            this.sizeSeen = true;
            p++;
            continue;
          }
          if (!this.sizeSeen) return this.fail('missing chunk size');
          this.ck = CK_SIZE_SP;
          continue;
        }
        case CK_SIZE_SP: {
          const c = buf[p];
          if (CHARS[c] & C_SPHT) {
            p++;
            continue;
          }
          if (c === 59 /* ; */) {
            p++;
            this.ck = CK_EXT;
            continue;
          }
          if (c === 13) {
            p++;
            this.ck = CK_SIZE_LF;
            continue;
          }
          if (c === 10) {
            p++;
            this.sizeDone();
            continue;
          }
          return this.fail('invalid byte after the chunk size');
        }
        case CK_EXT: {
          // anything up to the end of line
          const c = buf[p];
          if (c === 13) {
            p++;
            this.ck = CK_SIZE_LF;
            continue;
          }
          if (c === 10) {
            p++;
            this.sizeDone();
            continue;
          }
          p++;
          continue;
        }
        case CK_SIZE_LF:
          if (buf[p] !== 10) return this.fail('CR without LF after the chunk size');
          p++;
          this.sizeDone();
          continue;
        case CK_DATA: {
          let n = end - p;
          if (n > this.remaining) n = this.remaining;
          sink.onData(buf, p, p + n);
          this.bodyBytes += n;
          this.remaining -= n;
          p += n;
          if (this.remaining === 0) this.ck = CK_DATA_CR;
          continue;
        }
        case CK_DATA_CR: {
          const c = buf[p];
          if (c === 13) {
            p++;
            this.ck = CK_DATA_LF;
            continue;
          }
          if (c === 10) {
            p++;
            this.nextChunk();
            continue;
          }
          return this.fail('missing CRLF after chunk data');
        }
        case CK_DATA_LF:
          if (buf[p] !== 10) return this.fail('CR without LF after chunk data');
          p++;
          this.nextChunk();
          continue;
        case CK_TRAILERS: {
          const tp = this.tparser!;
          const r = tp.parse(buf, p, end);
          if (r > 0) {
            p += r;
            const t = tp.message.headers;
            this.trailers = t.length ? t : null;
            this.done = true;
            return p - start;
          }
          if (r < 0) {
            this.errorReason = tp.errorReason;
            this.errorStatus = this.response ? 502 : 400;
            return -1;
          }
          return end - start;
        }
      }
    }
    return p - start;
  }

  private sizeDone(): void {
    if (this.remaining === 0) {
      // last chunk: trailers follow (possibly none), parsed like headers
      this.ck = CK_TRAILERS;
      let tp = this.tparser;
      if (!tp) {
        tp = this.tparser = new H1Parser({
          headersOnly: true,
          response: this.response,
          // HAProxy 2.6.12 parses trailers with an uninitialised tolerance
          // flag; recordings mostly show the strict behaviour
          acceptInvalid: false,
          maxHeaders: this.opts.maxHeaders,
          bufsize: this.opts.bufsize,
          maxrewrite: this.opts.maxrewrite,
        });
      }
      tp.reset();
      return;
    }
    this.ck = CK_DATA;
  }

  private nextChunk(): void {
    this.ck = CK_SIZE;
    this.remaining = 0;
    this.digits = 0;
    this.sizeSeen = false;
  }
}
