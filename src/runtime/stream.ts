/**
 * A client connection's life in tcp mode, in HAProxy's fixed phases:
 * accept → (PROXY header) → tcp-request rules → choose backend → choose
 * server → connect/retry/redispatch → forward both ways → log.
 * HTTP frontends leave this path after the tcp-request phase for the HTTP
 * engine, which reuses the backend and connect layers.
 */
import type net from 'node:net';
import type { LbRequest } from './api.js';
import { Connector, type ConnectFailure, type ConnectOwner } from './connect.js';
import { release } from './backend.js';
import type { RtProxy, RtServer } from './model.js';
import { StreamTimer, type TimerMode, type TimerOwner } from './timer.js';
import type { Listener } from './listener.js';
import { chooseBackend } from './switching.js';
import { StreamContext } from './sample-context.js';
import { logTcpStream, type StreamLog } from './log/logger.js';
import { silentDrop, TcpResponseRules, TcpRules } from './rules/index.js';
import { stickEstablished, stickOn } from './stick/index.js';
import { directReader, directWrite, pauseReads, resumeReads } from './io/direct.js';

/** HAProxy's termination state: who ended the stream, and in which phase. */
export interface Termination {
  /** C client, S server, P proxy, R resource, I internal, D down, L local, K killed, c/s timeouts, - normal */
  cause: string;
  /** R request, Q queue, C connect, H headers, D data, L last data, T tarpit, - none */
  phase: string;
}

const EARLY_LIMIT = 16384;

export class TcpStream implements TimerOwner, ConnectOwner {
  readonly timer: StreamTimer;
  be: RtProxy | null = null;
  server: RtServer | null = null;
  srv: net.Socket | null = null;
  connector: Connector | null = null;
  readonly acceptedAt = Date.now();
  /** log timestamps, set by the runtime when the frontend logs */
  slog: StreamLog | null = null;
  bytesIn = 0;
  bytesOut = 0;
  term: Termination = { cause: '-', phase: '-' };
  private early: Buffer[] = [];
  private earlyLen = 0;
  private cliEnded = false;
  private srvEnded = false;
  private cliClosed = false;
  private srvClosed = false;
  private finished = false;
  private halfClosed = false;
  /** looks a backend up by name (dynamic use_backend); set by the runtime */
  runtimeBackend: (name: string) => RtProxy | undefined = () => undefined;

  runtimeProxy: (name: string) => RtProxy | undefined = () => undefined;
  private ctx: StreamContext | null = null;
  sampleContext(): StreamContext {
    return (this.ctx ??= new StreamContext(this));
  }
  reqBytes(): Buffer | undefined {
    if (!this.early.length) return undefined;
    if (this.early.length > 1) this.early = [Buffer.concat(this.early)];
    return this.early[0];
  }
  reqComplete(): boolean {
    return this.cliEnded || this.earlyLen >= EARLY_LIMIT || this.inspectOver;
  }
  /** tcp-request inspect-delay has expired */
  inspectOver = false;

  constructor(
    readonly cli: net.Socket,
    readonly fe: RtProxy,
    readonly listener: Listener,
    /** addresses as the client sees them (after a PROXY header) */
    readonly addrs: { src: string; srcPort: number; dst: string; dstPort: number; family: 4 | 6 },
    /** bytes read from the client before this stream took over (PROXY header remainder) */
    first?: Buffer,
  ) {
    this.timer = new StreamTimer(this);
    if (first && first.length) {
      this.early.push(first);
      this.earlyLen = first.length;
    }
  }

  start(): void {
    const cli = this.cli;
    cli.on('data', this.onEarlyData);
    cli.on('end', this.onCliEnd);
    cli.on('error', this.onCliError);
    cli.on('close', this.onCliClose);
    cli.resume();
    // tcp-request content rules (inspect-delay), switching, use-server: the rules engine
    // calls selectBackend() then connectServer()
    this.rules = new TcpRules(this);
    this.rules.start();
  }

  /** tcp-request content rules of the frontend then the backend (src/runtime/rules/tcp.ts) */
  rules: TcpRules | null = null;

  /** use_backend / default_backend; null when there is none (the connection is then closed) */
  selectBackend(): RtProxy | null {
    const be = chooseBackend(this.fe, this);
    if (!be) {
      // no backend in tcp mode: HAProxy closes the connection
      this.term = { cause: 'P', phase: 'R' };
      this.closeClient();
      return null;
    }
    this.be = be;
    be.beconn++;
    be.totalConns++;
    return be;
  }

  /** connects to a server of the backend; `direct` is forced (use-server) */
  connectServer(direct?: RtServer): void {
    this.connector = new Connector(this.be!, this);
    this.timer.arm('data', this.dataTimeout(), true);
    this.connector.start(direct);
  }

  /** a rule closed the connection (reject, silent-drop), or the client timed out during the inspection */
  rejectClient(reset: boolean, timeout = false): void {
    this.term = { cause: timeout ? 'c' : 'P', phase: 'R' };
    if (reset) {
      this.timer.clear();
      silentDrop(this.cli, this.fe.timeouts.client);
      return;
    }
    this.closeClient();
  }

  // --- ConnectOwner -------------------------------------------------------

  lbRequest(): LbRequest {
    return { src: this.addrs.src };
  }

  clientAddrs() {
    return this.addrs;
  }

  established(sock: net.Socket, srv: RtServer): void {
    this.srv = sock;
    this.server = srv;
    if (stickOn) stickEstablished(this, srv);
    const cli = this.cli;
    cli.removeListener('data', this.onEarlyData);
    // tcp-response content rules (rules engine) hold the server's first bytes
    this.resRules = TcpResponseRules.for(this);
    if (this.resRules) sock.on('data', this.onSrvInspect);
    else if (!directReader(sock, this.onSrvData, true)) sock.on('data', this.onSrvData);
    sock.on('end', this.resRules ? this.onSrvInspectEnd : this.onSrvEnd);
    sock.on('error', this.onSrvError);
    sock.on('close', this.onSrvClose);
    sock.on('drain', this.onSrvDrain);
    cli.on('drain', this.onCliDrain);
    if (!directReader(cli, this.onCliData, true)) cli.on('data', this.onCliData);
    for (const b of this.early) this.onCliData(b);
    this.early = [];
    if (!this.cliClosed) resumeReads(cli);
    if (this.cliEnded) sock.end();
    this.timer.arm(this.fe.timeouts.tunnel || this.be!.timeouts.tunnel ? 'tunnel' : 'data', this.dataTimeout(), true);
  }

  failed(why: ConnectFailure, _srv: RtServer | null): void {
    this.term =
      why === 'queue-timeout'
        ? { cause: 's', phase: 'Q' }
        : why === 'conn-timeout'
          ? { cause: 's', phase: 'C' }
          : { cause: 'S', phase: 'C' };
    this.connector = null;
    this.closeClient();
  }

  // --- data ---------------------------------------------------------------

  private readonly onEarlyData = (chunk: Buffer): void => {
    this.timer.touch();
    this.early.push(chunk);
    this.earlyLen += chunk.length;
    if (this.earlyLen >= EARLY_LIMIT) pauseReads(this.cli);
    if (this.rules?.waiting) this.rules.recheck();
  };

  private readonly onCliData = (chunk: Buffer): void => {
    this.timer.touch();
    this.bytesIn += chunk.length;
    if (!directWrite(this.srv!, chunk)) pauseReads(this.cli);
  };

  // --- tcp-response content (src/runtime/rules/tcp.ts) ---------------------

  private resRules: TcpResponseRules | null = null;
  resBytes(): Buffer | undefined {
    return this.resRules?.resBytes();
  }
  resComplete(): boolean {
    return this.resRules ? this.resRules.resComplete() : true;
  }
  private readonly onSrvInspect = (chunk: Buffer): void => {
    this.timer.touch();
    this.resRules?.data(chunk);
  };
  private readonly onSrvInspectEnd = (): void => {
    this.resRules?.shut();
  };

  /** the response rules let the server's bytes go */
  releaseResponse(held: Buffer[], ended: boolean): void {
    const sock = this.srv;
    this.resRules = null;
    if (!sock) return;
    sock.removeListener('data', this.onSrvInspect);
    sock.removeListener('end', this.onSrvInspectEnd);
    if (!directReader(sock, this.onSrvData, true)) sock.on('data', this.onSrvData);
    sock.on('end', this.onSrvEnd);
    for (const b of held) this.onSrvData(b);
    if (ended) this.onSrvEnd();
  }

  /** the response rules refused the response: both sides close */
  rejectResponse(reset: boolean): void {
    this.term = { cause: 'P', phase: 'D' };
    this.resRules = null;
    this.srv?.destroy();
    if (reset) {
      this.timer.clear();
      silentDrop(this.cli, this.fe.timeouts.client);
      return;
    }
    this.closeClient();
  }

  private readonly onSrvData = (chunk: Buffer): void => {
    this.timer.touch();
    this.bytesOut += chunk.length;
    if (!directWrite(this.cli, chunk)) pauseReads(this.srv!);
  };

  private readonly onSrvDrain = (): void => {
    if (!this.cliEnded) resumeReads(this.cli);
  };

  private readonly onCliDrain = (): void => {
    if (this.srv && !this.srvEnded) resumeReads(this.srv);
  };

  // --- ends and errors ----------------------------------------------------

  private readonly onCliEnd = (): void => {
    this.cliEnded = true;
    if (this.srv) {
      this.srv.end();
      this.shutdownSeen();
    } else if (!this.earlyLen) {
      // client aborted before the server connection: HAProxy gives up (CC)
      this.term = { cause: 'C', phase: 'C' };
      this.abortConnect();
      this.closeClient();
    } else if (this.rules?.waiting) this.rules.recheck();
  };

  private readonly onSrvEnd = (): void => {
    this.srvEnded = true;
    this.cli.end();
    this.shutdownSeen();
  };

  private shutdownSeen(): void {
    if (this.cliEnded && this.srvEnded) return; // both closes are under way
    if (!this.halfClosed) {
      this.halfClosed = true;
      this.timer.arm('data', this.dataTimeout(), true);
    }
  }

  private readonly onCliError = (): void => {
    if (this.term.cause === '-') this.term = { cause: 'C', phase: this.srv ? 'D' : 'C' };
  };

  private readonly onSrvError = (): void => {
    if (this.term.cause === '-') this.term = { cause: 'S', phase: 'D' };
  };

  private readonly onCliClose = (): void => {
    this.cliClosed = true;
    if (!this.srv) {
      this.abortConnect();
      if (this.term.cause === '-') this.term = { cause: 'C', phase: 'C' };
    } else if (!this.srvClosed) {
      // the client is gone: nothing more can be delivered to it
      if (this.cliEnded && !this.srvEnded) {
        this.srv.end();
      } else {
        this.srv.destroy();
      }
    }
    this.maybeFinish();
  };

  private readonly onSrvClose = (): void => {
    this.srvClosed = true;
    if (!this.cliClosed) {
      // flush what we have for the client, then close it fully, as HAProxy does
      this.cli.destroySoon();
    }
    this.maybeFinish();
  };

  onTimeout(mode: TimerMode): void {
    if (mode === 'inspect') {
      // tcp-request inspect-delay expired (the rules decide with what is there), or the client timed out
      this.rules?.onTimer();
      return;
    }
    if (mode === 'connect' || mode === 'turnaround' || mode === 'queue') {
      this.connector?.onTimeout(mode);
      return;
    }
    // inactivity in data/tunnel mode: the side whose timeout is shorter is blamed
    const t = this.sideTimeouts();
    const clientFirst = t.client && (!t.server || t.client <= t.server);
    if (this.term.cause === '-') this.term = { cause: clientFirst ? 'c' : 's', phase: 'D' };
    this.cli.destroySoon();
    this.srv?.destroySoon();
    if (!this.srv) {
      this.abortConnect();
    }
  }

  private sideTimeouts(): { client: number; server: number } {
    const fe = this.fe.timeouts;
    const be = (this.be ?? this.fe).timeouts;
    const client = this.halfClosed && fe.clientFin ? fe.clientFin : fe.client;
    const server = this.halfClosed && be.serverFin ? be.serverFin : be.server;
    return { client, server };
  }

  private dataTimeout(): number {
    const tunnel = (this.be ?? this.fe).timeouts.tunnel;
    if (this.srv && tunnel && !this.halfClosed) return tunnel;
    const t = this.sideTimeouts();
    if (!this.srv) return t.client; // before the server answers, only the client side can idle
    if (t.client && t.server) return Math.min(t.client, t.server);
    return t.client || t.server;
  }

  private abortConnect(): void {
    if (this.connector) {
      this.connector.abort();
      this.connector = null;
    }
  }

  private closeClient(): void {
    this.timer.clear();
    if (!this.cliClosed) this.cli.destroySoon();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.finished) return;
    if (!this.cliClosed) return;
    if (this.srv && !this.srvClosed) return;
    this.finished = true;
    this.timer.clear();
    this.resRules?.cancel();
    this.abortConnect();
    if (this.slog) logTcpStream(this, this.slog);
    if (this.server) {
      release(this.server);
      this.server = null;
    }
    if (this.be) this.be.beconn--;
    this.listener.streamEnded(this);
  }

  /** hard stop: close both sides now */
  kill(): void {
    if (this.term.cause === '-') this.term = { cause: 'K', phase: this.srv ? 'D' : 'C' };
    this.cli.destroy();
    this.srv?.destroy();
  }
}
