/**
 * The rules in an HTTP transaction, in HAProxy 2.6's analyser order:
 *   frontend: tcp-request content, http-request, `redirect` rules;
 *   use_backend; backend (when it differs): the same three; use-server;
 *   response: http-response of the backend then of the frontend;
 *   every response (the server's and HAProxy's own): http-after-response
 *   of the backend then of the frontend, just before the head is written.
 * A verdict that answers (deny, tarpit, return, redirect, auth) builds the
 * reply here and hands its bytes to the session.
 */
import { FrontConn } from '../http/h1/serializer.js';
import type { HttpMessage } from '../http/h1/message.js';
import { METH_HEAD } from '../http/h1/message.js';
import { builtinReply, type Reply } from '../http/errors.js';
import type { RtProxy } from '../model.js';
import { HAFT, HREQ, HRES, REDIR, TCNT } from './actions/index.js';
import { listsFor, peekEffects, resetEffects, runLists, type RunOptions } from './engine.js';
import { buildReply, cloneReply, errorReply } from './reply.js';
import type { CompiledRule, RuleHost, Tracer, Verdict } from './types.js';
import { STATS, statsDenied } from '../stats/counters.js';
import { statsRequest } from '../stats/applet.js';
import { stickOn, stickHttpError, stickHttpRequest, stickHttpResponse, stickReply } from '../stick/index.js';

/** What the HTTP session offers the rules engine. */
export interface HttpRuleSession extends RuleHost {
  readonly fe: RtProxy;
  be: RtProxy | null;
  req: HttpMessage | null;
  res: HttpMessage | null;
  readonly cli: { write(b: Buffer): boolean; readonly destroyed: boolean };
  /** sends HAProxy's own response and ends the transaction; `abortServer` drops the server connection */
  proxyReply(bytes: Buffer, status: number, close: boolean, abortServer?: boolean): void;
  /** closes the client connection without a response (`reset`: RST) */
  closeNow(reset: boolean): void;
  /** true when the whole request (head and body) has been received */
  requestDone(): boolean;
  /** arms the tarpit: `done` runs when `timeout tarpit` expires */
  holdTarpit(ms: number, done: () => void): void;
  /** a tracer (route tool, tests) */
  ruleTrace?: Tracer;
  /** termination state for the log (cause, phase) */
  term?: { cause: string; phase: string };
}

const PR = { cause: 'P', phase: 'R' };
const LR = { cause: 'L', phase: 'R' };
const PH = { cause: 'P', phase: 'H' };
const LH = { cause: 'L', phase: 'H' };

const emptyReply: Reply = { message: null, body: Buffer.alloc(0) };

const FINAL: RunOptions = { final: true };

function opts(s: HttpRuleSession): RunOptions {
  return s.ruleTrace ? { final: true, trace: s.ruleTrace } : FINAL;
}

/** A proxy's rule lists for HTTP, with and without its defaults' rules (built once per proxy). */
export interface HttpRuleLists {
  tcnt: CompiledRule[][];
  tcntOwn: CompiledRule[][];
  hreq: CompiledRule[][];
  redirOwn: CompiledRule[][];
  hres: CompiledRule[][];
  hresOwn: CompiledRule[][];
  haft: CompiledRule[][];
  haftOwn: CompiledRule[][];
}

export function httpRulesOf(px: RtProxy): HttpRuleLists {
  let r = px.httpRules;
  if (r) return r;
  const c = px.conf;
  r = {
    tcnt: listsFor(c, TCNT),
    tcntOwn: listsFor(c, TCNT, false),
    hreq: listsFor(c, HREQ),
    redirOwn: listsFor(c, REDIR, false),
    hres: listsFor(c, HRES),
    hresOwn: listsFor(c, HRES, false),
    haft: listsFor(c, HAFT),
    haftOwn: listsFor(c, HAFT, false),
  };
  px.httpRules = r;
  return r;
}

/**
 * tcp-request content, http-request and `redirect` rules of `px` (the
 * frontend, or the backend once chosen). Returns true when processing goes
 * on; false when the rules answered or closed (the session must stop).
 */
export function httpRequestRules(s: HttpRuleSession, px: RtProxy): boolean {
  const isFe = px === s.fe;
  if (isFe) {
    // a new transaction: txn/req/res variables and the previous one's rule effects go
    (s.sampleContext() as { newTransaction?: () => void }).newTransaction?.();
    resetEffects(s);
  }
  // tcp-request content: in HTTP mode the request head is there, decisions are final
  const rl = px.httpRules ?? httpRulesOf(px);
  const tcp = isFe || px.conf.from !== s.fe.conf.from ? rl.tcnt : rl.tcntOwn;
  if (tcp.length) {
    const v = runLists(tcp, s, px, TCNT, opts(s));
    if (v.kind === 'reject') {
      s.closeNow(!!v.silent);
      return false;
    }
  }
  // the request counts on tracked stick counters (HAProxy: after the frontend's tcp-request content)
  if (stickOn) stickHttpRequest(s, !isFe);
  const lists = rl.hreq;
  if (lists.length) {
    const v = runLists(lists, s, px, HREQ, opts(s));
    flushEarlyHints(s);
    if (!handleRequestVerdict(s, px, v)) return false;
  }
  // the stats page answers here, after http-request rules and before redirects (src/runtime/stats)
  if (STATS.on && statsRequest(s, px)) return false;
  const redirects = rl.redirOwn;
  if (redirects.length) {
    const v = runLists(redirects, s, px, REDIR, opts(s));
    if (v.kind === 'reply') {
      sendReply(s, v.reply, v.status, false, LR);
      return false;
    }
  }
  return true;
}

/** true to go on */
function handleRequestVerdict(s: HttpRuleSession, px: RtProxy, v: Verdict): boolean {
  if (stickOn && (v.kind === 'deny' || v.kind === 'tarpit' || (v.kind === 'reply' && v.why === 'auth'))) stickHttpError(s);
  switch (v.kind) {
    case 'continue':
    case 'stop':
    case 'done':
    case 'wait':
      return true;
    case 'deny': {
      statsDenied(s, false);
      const r = v.reply ? buildReply(v.reply, s.sampleContext(), (st) => errorReply(st, s.be?.conf, s.fe.conf, s.sampleContext())) : errorReply(v.status, s.be?.conf, s.fe.conf, s.sampleContext());
      sendReply(s, r, v.status, false, PR);
      return false;
    }
    case 'tarpit': {
      statsDenied(s, false);
      // the tarpit timeout of the proxy whose rule fired (HAProxy: s->be at that point)
      const ms = px.timeouts.tarpit;
      const spec = v.reply;
      s.holdTarpit(ms, () => {
        const r = spec ? buildReply(spec, s.sampleContext(), (st) => errorReply(st, s.be?.conf, s.fe.conf, s.sampleContext())) : errorReply(v.status, s.be?.conf, s.fe.conf, s.sampleContext());
        sendReply(s, r, v.status, false, { cause: 'P', phase: 'T' });
      });
      return false;
    }
    case 'reply':
      sendReply(s, v.reply, v.status, false, LR);
      return false;
    case 'reject':
      s.closeNow(!!v.silent);
      return false;
    case 'error':
      sendReply(s, errorReply(v.status, s.be?.conf, s.fe.conf, s.sampleContext()), v.status, false, PR);
      return false;
  }
}

/** 103 Early Hints collected by early-hint rules, sent before anything else */
function flushEarlyHints(s: HttpRuleSession): void {
  const hints = peekEffects(s)?.earlyHints;
  if (!hints || !hints.length) return;
  let out = '';
  let open = false;
  for (const h of hints) {
    if (!h) {
      if (open) out += '\r\n';
      open = false;
      continue;
    }
    if (!open) out += 'HTTP/1.1 103 Early Hints\r\n';
    open = true;
    out += `${h[0]}: ${h[1]}\r\n`;
  }
  if (open) out += '\r\n';
  hints.length = 0;
  if (out && !s.cli.destroyed) s.cli.write(Buffer.from(out, 'latin1'));
}

/**
 * http-response rules (backend, then frontend). Returns true when the
 * response goes on to the client; false when the rules answered instead.
 */
export function httpResponseRules(s: HttpRuleSession): boolean {
  // 4xx/5xx count on stick counters, then stick store rules (before http-response rules, as in HAProxy)
  if (stickOn) stickHttpResponse(s);
  const be = s.be ?? s.fe;
  for (let k = 0; k < 2; k++) {
    const px = k === 0 ? be : s.fe;
    if (k === 1 && px === be) break;
    // defaults rules run for the backend, and for the frontend when its defaults differ
    const withDef = px === be || px.conf.from !== be.conf.from;
    const rl = px.httpRules ?? httpRulesOf(px);
    const lists = withDef ? rl.hres : rl.hresOwn;
    if (!lists.length) continue;
    const v = runLists(lists, s, px, HRES, opts(s));
    switch (v.kind) {
      case 'continue':
      case 'stop':
      case 'wait':
        continue;
      case 'done':
        return true;
      case 'deny': {
        statsDenied(s, true);
        const r = v.reply ? buildReply(v.reply, s.sampleContext(), (st) => errorReply(st, s.be?.conf, s.fe.conf, s.sampleContext())) : errorReply(v.status, s.be?.conf, s.fe.conf, s.sampleContext());
        sendReply(s, r, v.status, true, PH);
        return false;
      }
      case 'reply':
        sendReply(s, v.reply, v.status, true, LH);
        return false;
      case 'reject':
        s.closeNow(!!v.silent);
        return false;
      case 'tarpit':
      case 'error':
        sendReply(s, errorReply(500, s.be?.conf, s.fe.conf, s.sampleContext()), 500, true, PH);
        return false;
    }
  }
  return true;
}

/** true when http-after-response rules exist for this stream */
export function hasAfterResponse(s: { fe: RtProxy; be: RtProxy | null }): boolean {
  const be = s.be ?? s.fe;
  return (be.httpRules ?? httpRulesOf(be)).haft.length > 0 || (be !== s.fe && (s.fe.httpRules ?? httpRulesOf(s.fe)).haft.length > 0);
}

/**
 * http-after-response rules on `res` (the server's response or HAProxy's
 * own): backend then frontend. False on an error (the caller then sends a
 * plain 500).
 */
export function afterResponseRules(s: HttpRuleSession, res: HttpMessage): boolean {
  const be = s.be ?? s.fe;
  const order = be === s.fe ? [be] : [be, s.fe];
  const saved = s.res;
  s.res = res;
  try {
    for (const px of order) {
      const withDef = px === be || px.conf.from !== be.conf.from;
      const rl = px.httpRules ?? httpRulesOf(px);
      const lists = withDef ? rl.haft : rl.haftOwn;
      if (!lists.length) continue;
      const v = runLists(lists, s, px, HAFT, opts(s));
      if (v.kind === 'continue' || v.kind === 'stop') continue;
      if (v.kind === 'done') break;
      return false;
    }
    return true;
  } finally {
    s.res = saved;
  }
}

/**
 * The bytes of HAProxy's own reply for this request (after-response rules
 * applied), and whether the client connection closes after it.
 */
export function renderReply(s: HttpRuleSession, reply: Reply | null, status: number): { bytes: Buffer; close: boolean } {
  if (!reply || !reply.message) return { bytes: Buffer.alloc(0), close: true };
  let r = reply;
  if (hasAfterResponse(s)) {
    r = cloneReply(reply);
    if (!afterResponseRules(s, r.message!)) {
      // HAProxy falls back to its const 500, without after-response rules
      r = builtinReply(500);
    }
  }
  const front = new FrontConn(s.fe.option('httpclose') || s.fe.option('forceclose') ? 'clo' : 'kal');
  const req = s.req;
  if (req) front.requestIn(req);
  const head = front.responseHead(r.message!, { proxyResponse: true, requestDone: s.requestDone() });
  const skip = front.out.skipBody || (req !== null && req.meth === METH_HEAD) || !r.body.length;
  const h = Buffer.from(head, 'latin1');
  void status;
  return { bytes: skip ? h : Buffer.concat([h, r.body]), close: front.close };
}

/** Builds and sends a reply through the session; `abortServer` for response-side verdicts. */
export function sendReply(s: HttpRuleSession, reply: Reply | null, status: number, abortServer = false, term?: { cause: string; phase: string }): void {
  if (term && s.term) s.term = { ...term };
  const { bytes, close } = renderReply(s, reply ?? emptyReply, status);
  if (stickOn) stickReply(s, bytes);
  s.proxyReply(bytes, status, close || !reply || !reply.message, abortServer);
}

/**
 * The bytes of an error HAProxy answers by itself (503, 502, 504...) when
 * the proxies configure an errorfile for it or have http-after-response
 * rules; undefined when the built-in bytes do (the session's fast path).
 */
export function errorBytes(s: HttpRuleSession, status: number): { bytes: Buffer; close: boolean } | undefined {
  const custom = errorReply(status, s.be?.conf, s.fe.conf, s.sampleContext());
  if (custom === builtinReply(status) && !hasAfterResponse(s)) return undefined;
  return renderReply(s, custom, status);
}
