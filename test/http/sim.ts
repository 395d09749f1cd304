/**
 * A reference transaction loop built only from the H1 layer's API, used to
 * replay a recorded exchange (fixture case) and predict what HAProxy sends
 * to each side. It models what the harness does: the client's writes
 * arrive as separate reads, the raw backend answers each burst of request
 * bytes with its next response once quiet, HAProxy parses a whole read
 * before forwarding it.
 *
 * It is a test model, not the engine: connection timers and the stream
 * layer are the lead's; the model only covers what the fixtures exercise.
 */
import {
  BackConn,
  BodyBatch,
  BodyDecoder,
  FrontConn,
  H1Parser,
  NEED_MORE,
  PARSE_ERROR,
  MF_CONN_UPG,
  MF_INTERIM,
  MF_TUNNEL,
  METH_CONNECT,
  type CaseMap,
  type HttpMode,
  type HttpMessage,
} from '../../src/runtime/http/h1/index.js';
import { builtinReply, rawError, renderReply, type Reply } from '../../src/runtime/http/errors.js';
import { DEFAULT_RESPONSE, type CaseSpec } from './harness.js';

export interface SimConfig {
  /** HTTP mode of the frontend and the backend (option httpclose / http-server-close) */
  feMode?: HttpMode;
  beMode?: HttpMode;
  pretendKeepalive?: boolean;
  /** http-request deny by exact path: path -> deny_status */
  deny?: Record<string, number>;
  /** errorfile replies by status (default: the built-in ones) */
  errorfiles?: Record<number, Reply>;
  acceptInvalidRequest?: boolean;
  acceptInvalidResponse?: boolean;
  maxHeaders?: number;
  bufsize?: number;
  maxrewrite?: number;
  caseMap?: CaseMap;
  /** option h1-case-adjust-bogus-server on the backend */
  adjustRequests?: boolean;
  /** option h1-case-adjust-bogus-client on the frontend */
  adjustResponses?: boolean;
}

export interface SimResult {
  client: string;
  clientClosed: boolean;
  server: string[];
}

const L = (b: Buffer) => b.toString('latin1');

export function simulate(spec: CaseSpec, cfg: SimConfig = {}): SimResult {
  const pieces = (Array.isArray(spec.send) ? spec.send : [spec.send]).map((s) => Buffer.from(s, 'latin1'));
  const gap = spec.gap ?? 100;
  const multi = pieces.length > 1;
  const srvQuiet = spec.srvQuiet ?? (multi ? gap + 150 : 40);
  const responses = spec.responses ?? [DEFAULT_RESPONSE];
  const lim = { maxHeaders: cfg.maxHeaders, bufsize: cfg.bufsize, maxrewrite: cfg.maxrewrite };

  let client = '';
  let closed = false;
  const server: string[] = [];
  let srv = -1; // current server connection
  let srvFresh = false; // bytes sent to the server since its last response
  let nextResp = 0;
  let responded = false; // a response was sent to the client on this connection

  const front = new FrontConn(cfg.feMode);
  const reqP = new H1Parser({ acceptInvalid: cfg.acceptInvalidRequest, ...lim });
  let back: BackConn | null = null;
  let req: HttpMessage | null = null;
  let reqDec: BodyDecoder | null = null;
  let phase: 'head' | 'body' | 'wait' | 'tunnel' = 'head';
  let inq: Buffer = Buffer.alloc(0);
  let firstRead = true;
  const reply = (st: number) => cfg.errorfiles?.[st] ?? builtinReply(st);

  let newConn = false; // open a server connection on the next write
  const toServer = (s: string | Buffer[]) => {
    const t = typeof s === 'string' ? s : s.map(L).join('');
    if (!t.length) return;
    if (newConn) {
      server.push('');
      srv = server.length - 1;
      newConn = false;
    }
    server[srv] += t;
    srvFresh = true;
  };

  /** handles client bytes; returns after forwarding what can be forwarded */
  const clientData = (data: Buffer) => {
    inq = inq.length ? Buffer.concat([inq, data]) : data;
    for (;;) {
      if (closed) return;
      if (phase === 'tunnel') {
        if (inq.length) toServer(L(inq));
        inq = Buffer.alloc(0);
        return;
      }
      if (phase === 'wait') return;
      if (phase === 'head') {
        if (!inq.length) return;
        const r = reqP.parse(inq, 0, inq.length);
        if (r === NEED_MORE) {
          inq = Buffer.alloc(0);
          return;
        }
        if (r === PARSE_ERROR) {
          client += L(rawError(reqP.errorStatus));
          closed = true;
          return;
        }
        req = reqP.message;
        front.requestIn(req);
        const denied = cfg.deny?.[req.path];
        if (denied !== undefined) {
          // http-request deny: the body in the same read counts as received
          const d = new BodyDecoder({ ...lim }).start(req);
          const n = d.decode(inq, r, inq.length, { onData() {} });
          client += L(renderReply(front, reply(denied), d.done));
          responded = true;
          inq = inq.subarray(r + Math.max(n, 0));
          if (front.close || !d.done) {
            closed = true;
            return;
          }
          front.reset();
          firstRead = false;
          continue;
        }
        if (!back || back.close) {
          back = new BackConn(cfg.feMode, cfg.beMode, cfg.pretendKeepalive);
          newConn = true;
        } else back.reset();
        const head = back.requestHead(req, { caseMap: cfg.adjustRequests ? cfg.caseMap : null });
        reqDec = new BodyDecoder({ ...lim }).start(req);
        const batch = new BodyBatch();
        const n = reqDec.decode(inq, r, inq.length, batch);
        if (n < 0) {
          // the whole first read is parsed before anything is forwarded
          if (firstRead) client += L(rawError(reqDec.errorStatus));
          else client += L(renderReply(front, builtinReply(reqDec.errorStatus), false));
          closed = true;
          return;
        }
        toServer(head);
        toServer(batch.take(back.out.mode, reqDec.done, reqDec.trailers, cfg.adjustRequests ? cfg.caseMap : null));
        inq = inq.subarray(r + n);
        phase = reqDec.done || req.meth === METH_CONNECT ? 'wait' : 'body';
        return;
      }
      // body
      const batch = new BodyBatch();
      const n = reqDec!.decode(inq, 0, inq.length, batch);
      if (n < 0) {
        client += L(renderReply(front, builtinReply(reqDec!.errorStatus), false));
        closed = true;
        return;
      }
      toServer(batch.take(back!.out.mode, reqDec!.done, reqDec!.trailers, cfg.adjustRequests ? cfg.caseMap : null));
      inq = inq.subarray(n);
      if (reqDec!.done) phase = 'wait';
      return;
    }
  };

  /** the backend sends its next response (as several reads if asked) */
  const serverResponds = () => {
    if (nextResp >= responses.length || closed) return;
    const i = nextResp++;
    srvFresh = false;
    const rpieces = (spec.responsePieces?.[i] ?? [responses[i]]).map((s) => Buffer.from(s, 'latin1'));
    const last = nextResp >= responses.length;
    if (phase === 'tunnel') {
      for (const p of rpieces) client += L(p);
      return;
    }
    const resP = new H1Parser({ response: true, acceptInvalid: cfg.acceptInvalidResponse, ...lim });
    resP.requestMethod = req ? req.meth : 0;
    resP.requestUpgrade = req ? (req.flags & MF_CONN_UPG) !== 0 : false;
    let res: HttpMessage | null = null;
    let dec: BodyDecoder | null = null;
    let started = false;
    let done = false;
    const caseMap = cfg.adjustResponses ? cfg.caseMap : null;
    const badGateway = () => {
      back = null;
      if (started) {
        closed = true;
        return;
      }
      client += L(renderReply(front, reply(502), phase !== 'body'));
      responded = true;
      if (front.close) closed = true;
      else nextTransaction();
    };
    for (const piece of rpieces) {
      let q = piece;
      while (!done) {
        if (!res) {
          if (!q.length) break;
          const r = resP.parse(q, 0, q.length);
          if (r === NEED_MORE) {
            q = Buffer.alloc(0);
            break;
          }
          if (r === PARSE_ERROR) {
            badGateway();
            return;
          }
          const m = resP.message;
          if (m.flags & MF_INTERIM) {
            client += front.responseHead(m, { caseMap });
            q = q.subarray(r);
            continue;
          }
          back!.responseIn(m);
          const head = front.responseHead(m, { caseMap });
          dec = new BodyDecoder({ response: true, ...lim }).start(m);
          const batch = new BodyBatch();
          const n = dec.decode(q, r, q.length, batch);
          if (n < 0) {
            badGateway();
            return;
          }
          res = m;
          started = true;
          responded = true;
          client += head;
          if (!front.out.skipBody) client += batch.take(front.out.mode, dec.done, dec.trailers, caseMap).map(L).join('');
          q = q.subarray(r + n);
          if (dec.done) done = true;
          continue;
        }
        const batch = new BodyBatch();
        const n = dec!.decode(q, 0, q.length, batch);
        if (n < 0) {
          badGateway();
          return;
        }
        if (!front.out.skipBody) client += batch.take(front.out.mode, dec!.done, dec!.trailers, caseMap).map(L).join('');
        q = q.subarray(n);
        if (dec!.done) done = true;
        break;
      }
      if (done) break;
    }
    if (!done) {
      if (spec.serverClose && last) {
        if (!res) {
          badGateway();
          return;
        }
        if (dec!.eof()) {
          closed = true; // close-delimited: the client side closes too
          return;
        }
        closed = true; // truncated
      }
      return;
    }
    // response complete
    if (res!.flags & MF_TUNNEL || front.tunnel) {
      // bytes the client sent meanwhile go through the tunnel now
      phase = 'tunnel';
      clientData(Buffer.alloc(0));
      if (srvFresh) serverResponds();
      return;
    }
    if (front.close) {
      closed = true;
      return;
    }
    if (back && back.close) back = null;
    nextTransaction();
  };

  /** the transaction ended with the connection kept: handle what the client already sent */
  const nextTransaction = () => {
    if (phase !== 'wait') return;
    phase = 'head';
    front.reset();
    firstRead = false;
    clientData(Buffer.alloc(0));
    if (srvFresh) serverResponds();
  };

  for (let i = 0; i < pieces.length && !closed; i++) {
    clientData(pieces[i]);
    firstRead = false;
    if (srvFresh && (i === pieces.length - 1 || srvQuiet < gap)) serverResponds();
  }
  // the request never completed: HAProxy answers 408 when http-request expires
  // (even on a connection that sent nothing), the client sees it within its wait
  if (!closed && !responded && phase === 'head' && !client.length) {
    client += L(rawError(408));
    closed = true;
  }
  return { client, clientClosed: closed, server };
}
