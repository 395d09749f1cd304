/**
 * HTTP/1.x message layer of the HTTP engine: parse heads (H1Parser), decode
 * bodies without copying (BodyDecoder), hold and edit messages (HttpMessage,
 * HeaderList), and write them back as HAProxy 2.6 does (FrontConn, BackConn,
 * BodyBatch, chunkHead/lastChunk).
 *
 * Typical transaction on the client side:
 *
 *   const p = new H1Parser({ acceptInvalid, maxHeaders, bufsize, maxrewrite });
 *   const n = p.parse(buf, pos, end);             // NEED_MORE / PARSE_ERROR / consumed
 *   if (n === PARSE_ERROR) write rawError(p.errorStatus), close
 *   front.requestIn(p.message)                    // decides keep-alive vs close
 *   ... rules edit p.message (headers, uri, method) ...
 *   back.requestHead(p.message, opts)             // bytes for the server
 *   dec.start(p.message).decode(buf, pos + n, end, batch)
 *   batch.take(back.out.mode, dec.done, dec.trailers)   // buffers for the server
 */
export * from './message.js';
export { H1Parser, NEED_MORE, PARSE_ERROR, normalizeScheme, cleanConnection, parseContentLength } from './parser.js';
export type { H1ParserOptions } from './parser.js';
export { BodyDecoder, BODY_NONE, BODY_CLEN, BODY_CHUNKED, BODY_CLOSE, BODY_TUNNEL } from './body.js';
export type { BodySink, BodyDecoderOptions } from './body.js';
export {
  FrontConn,
  BackConn,
  BodyBatch,
  chunkHead,
  lastChunk,
  WANT_KAL,
  WANT_TUN,
  WANT_CLO,
} from './serializer.js';
export type { HttpMode, CaseMap, HeadWriteOptions, ResponseWriteOptions, OutFraming } from './serializer.js';
