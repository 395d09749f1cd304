/**
 * The tcp-request rule sets, as HAProxy 2.6 runs them:
 *  - `tcp-request connection` at accept, before anything is read (a PROXY
 *    header included): accept, reject (the connection is reset), expect-proxy;
 *  - `tcp-request session` once the connection is set up (after a PROXY header);
 *  - `tcp-request content` (tcp_inspect_request), frontend then backend:
 *    rules are re-run each time data arrives while `tcp-request
 *    inspect-delay` runs. A condition that cannot be decided yet ('wait':
 *    its fetch lacks bytes that may still come) holds the stream; one that
 *    decides goes on at once. When the delay expires, the client shuts, or
 *    the buffer fills, the rules decide with what is there. With no delay
 *    the rules decide on the first pass.
 * Then use-server, then the connection.
 */
import { StreamContext } from '../sample-context.js';
import type { RtProxy, RtServer } from '../model.js';
import type { StreamTimer } from '../timer.js';
import { TCNT, TCON, TRES, TSES } from './actions/index.js';
import { effectsOf, inspectDelay, listsFor, runLists, type RunOptions } from './engine.js';
import { useServer } from './server.js';
import { stickOn, stickServer } from '../stick/index.js';
import type { Addrs, CompiledRule, RuleHost, Tracer } from './types.js';

/** What the tcp stream offers the rules engine. */
export interface TcpRuleStream extends RuleHost {
  readonly fe: RtProxy;
  be: RtProxy | null;
  readonly timer: StreamTimer;
  /** set when the inspect-delay expired (reqComplete() reads it) */
  inspectOver: boolean;
  /** no more request bytes will come before the rules decide */
  reqComplete(): boolean;
  /** use_backend / default_backend; null when the stream was closed for lack of one */
  selectBackend(): RtProxy | null;
  /** starts the server connection (`direct`: a server forced by use-server) */
  connectServer(direct?: RtServer): void;
  /** closes the client connection because of a rule (`reset`: RST); `timeout`: the client timed out instead */
  rejectClient(reset: boolean, timeout?: boolean): void;
  ruleTrace?: Tracer;
}

/** The verdict of `tcp-request connection` rules for a new connection. */
export type ConnectionVerdict = 'accept' | 'reject' | 'expect-proxy';

/**
 * tcp-request connection rules of frontend `fe` for a connection from
 * `addrs` (the real addresses: no PROXY header has been read yet).
 */
export function connectionRules(fe: RtProxy, addrs: Addrs, trace?: Tracer): ConnectionVerdict {
  const lists = listsFor(fe.conf, TCON);
  if (!lists.length) return 'accept';
  const host = transientHost(fe, addrs);
  const v = runLists(lists, host, fe, TCON, { trace });
  if (v.kind === 'reject') return 'reject';
  return effectsOf(host).expectProxy ? 'expect-proxy' : 'accept';
}

/** tcp-request session rules; false when the session is rejected. */
export function sessionRules(host: RuleHost & { ruleTrace?: Tracer }): boolean {
  const lists = listsFor(host.fe.conf, TSES);
  if (!lists.length) return true;
  const v = runLists(lists, host, host.fe, TSES, { trace: host.ruleTrace });
  return v.kind !== 'reject';
}

/** A host for rules that run before any stream exists (tcp-request connection). */
function transientHost(fe: RtProxy, addrs: Addrs): RuleHost {
  let ctx: StreamContext | undefined;
  // one object is both the rule host and the sample source (stick counters hang on it)
  const h = { fe, be: null, server: null, addrs, runtimeProxy: () => undefined, sampleContext: () => (ctx ??= new StreamContext(h)) };
  return h;
}

/**
 * tcp-request content for a tcp stream, then switching and use-server.
 * The stream calls start() once, recheck() when data arrives, the client
 * shuts or the inspect timer expires.
 */
export class TcpRules {
  /** rules are holding the stream for more data */
  waiting = false;
  private phase: 'fe' | 'be' = 'fe';
  private px!: RtProxy;
  private lists: CompiledRule[][] = [];
  private delay = 0;
  /** when the inspect-delay expires (set at the first undecided pass) */
  private deadline = 0;

  constructor(private readonly st: TcpRuleStream) {}

  start(): void {
    this.phase = 'fe';
    this.enter(this.st.fe);
  }

  /** the inspect-delay of the rules being run (ms) */
  get delayMs(): number {
    return this.delay;
  }

  /** new bytes, a shutdown, or the end of the inspect-delay */
  recheck(): void {
    if (this.waiting) this.run();
  }

  /**
   * The stream's 'inspect' timer fired: the inspect-delay is over, or the
   * client's read timeout (`timeout client`, refreshed by each read) came
   * first, and HAProxy then closes the connection without going further.
   */
  onTimer(): void {
    if (!this.waiting) return;
    if (Date.now() >= this.deadline) {
      this.st.inspectOver = true;
      return this.run();
    }
    this.waiting = false;
    this.st.rejectClient(false, true);
  }

  /** the next wake-up: the inspect-delay's end, or the client timeout when it comes first */
  private armTimer(): void {
    const left = Math.max(1, this.deadline - Date.now());
    const client = this.st.fe.timeouts.client;
    this.st.timer.arm('inspect', client > 0 && client < left ? client : left, false);
  }

  private enter(px: RtProxy): void {
    const st = this.st;
    // defaults rules run for the frontend, and for the backend when its defaults differ
    const withDef = px === st.fe || px.conf.from !== st.fe.conf.from;
    this.lists = listsFor(px.conf, TCNT, withDef);
    this.px = px;
    if (!this.lists.length) return this.next();
    this.delay = inspectDelay(px.conf, 'tcp-request');
    this.deadline = 0;
    st.inspectOver = false;
    this.run();
  }

  private run(): void {
    const st = this.st;
    const final = !this.delay || st.reqComplete();
    const opts: RunOptions = { final, trace: st.ruleTrace };
    const v = runLists(this.lists, st, this.px, TCNT, opts);
    if (v.kind === 'wait') {
      if (!this.waiting) {
        this.waiting = true;
        this.deadline = Date.now() + this.delay;
      }
      this.armTimer();
      return;
    }
    this.waiting = false;
    if (v.kind === 'reject') return st.rejectClient(!!v.silent);
    this.next();
  }

  private next(): void {
    const st = this.st;
    if (this.phase === 'fe') {
      this.phase = 'be';
      const be = st.selectBackend();
      if (!be) return;
      if (be !== st.fe) return this.enter(be);
    }
    const direct = useServer(st.be!, st, st.ruleTrace);
    st.connectServer(stickOn ? stickServer(st, st.be!, direct) : direct);
  }
}

/**
 * silent-drop: HAProxy closes the connection without the client noticing
 * (no FIN, no RST reaches it). Node cannot do that, so the connection is
 * kept open and silent: anything the client sends later gets an RST, as
 * the real kernel would answer for a socket that no longer exists; after
 * `holdMs` it is reset anyway.
 */
export function silentDrop(sock: import('node:net').Socket, holdMs: number): void {
  const reset = () => {
    clearTimeout(t);
    if (!sock.destroyed) sock.resetAndDestroy();
  };
  const t = setTimeout(reset, holdMs > 0 ? holdMs : 30000);
  t.unref?.();
  sock.on('data', reset);
  sock.on('end', reset);
  sock.resume();
}

/** What the tcp stream offers the tcp-response content rules. */
export interface TcpResponseStream extends RuleHost {
  readonly fe: RtProxy;
  readonly be: RtProxy | null;
  ruleTrace?: Tracer;
  /** the rules let the response go: forward what was held, then carry on */
  releaseResponse(held: Buffer[], ended: boolean): void;
  /** the rules refused the response: both connections close */
  rejectResponse(reset: boolean): void;
}

const RES_LIMIT = 16384;

/**
 * tcp-response content (tcp_inspect_response): the server's first bytes
 * are held while the backend's rules cannot decide, at most `tcp-response
 * inspect-delay`; accept (or the end of the rules) forwards them, reject
 * and close end the stream.
 */
export class TcpResponseRules {
  private held: Buffer[] = [];
  private len = 0;
  private ended = false;
  private over = false;
  private timer: NodeJS.Timeout | null = null;
  private done = false;

  private constructor(
    private readonly st: TcpResponseStream,
    private readonly be: RtProxy,
    private readonly lists: CompiledRule[][],
    private readonly delay: number,
  ) {}

  /** null when the backend has no tcp-response content rules */
  static for(st: TcpResponseStream): TcpResponseRules | null {
    const be = st.be;
    if (!be) return null;
    const lists = listsFor(be.conf, TRES);
    if (!lists.length) return null;
    return new TcpResponseRules(st, be, lists, inspectDelay(be.conf, 'tcp-response'));
  }

  resBytes(): Buffer | undefined {
    if (!this.held.length) return undefined;
    if (this.held.length > 1) this.held = [Buffer.concat(this.held)];
    return this.held[0];
  }

  resComplete(): boolean {
    return this.ended || this.over || this.len >= RES_LIMIT || !this.delay;
  }

  data(chunk: Buffer): void {
    if (this.done) return;
    this.held.push(chunk);
    this.len += chunk.length;
    this.run();
  }

  /** the server shut its side */
  shut(): void {
    if (this.done) return;
    this.ended = true;
    this.run();
  }

  private run(): void {
    const v = runLists(this.lists, this.st, this.be, TRES, { final: this.resComplete(), trace: this.st.ruleTrace });
    if (v.kind === 'wait') {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.over = true;
          this.run();
        }, this.delay);
        this.timer.unref?.();
      }
      return;
    }
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    if (v.kind === 'reject') return this.st.rejectResponse(!!v.silent);
    const held = this.held;
    this.held = [];
    this.st.releaseResponse(held, this.ended);
  }

  cancel(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
