/**
 * Getting a server connection for a stream: assign (balance or queue),
 * connect under `timeout connect`, retry with HAProxy's turn-around or
 * redispatch, then hand the established socket to the stream. Shared by the
 * tcp stream and the HTTP transaction; it uses the stream's single timer.
 */
import net from 'node:net';
import { nowMs } from './io/clock.js';
import type { LbRequest } from './api.js';
import { assignServer, release, retryPlan, unqueue } from './backend.js';
import type { Pending, RtProxy, RtServer } from './model.js';
import type { StreamTimer } from './timer.js';
import { encodeProxyV1, encodeProxyV2 } from './proxy-protocol.js';
import type { StreamLog } from './log/logger.js';
import type { SampleOwner } from './tls/server.js';

/** Why no server connection could be made: feeds the termination code and the error page. */
export type ConnectFailure =
  | 'no-server' // no usable server: 503 / SC
  | 'queue-full' // server queue full: 503
  | 'queue-timeout' // sQ
  | 'conn-error' // SC after retries
  | 'conn-timeout'; // sC after retries

export interface ConnectOwner {
  readonly timer: StreamTimer;
  lbRequest(): LbRequest;
  /** addresses of the client connection, for send-proxy and servers without port */
  clientAddrs(): { src: string; srcPort: number; dst: string; dstPort: number; family: 4 | 6 };
  established(sock: net.Socket, srv: RtServer): void;
  /** an idle connection to `srv` the owner kept (HTTP keep-alive), handed back for reuse */
  reuse?(srv: RtServer): net.Socket | null;
  failed(why: ConnectFailure, srv: RtServer | null): void;
  /** the stream's log timestamps (only when its frontend logs) */
  readonly slog?: StreamLog | null;
}

export class Connector implements Pending {
  target: RtServer | null = null;
  waiting = false;
  server: RtServer | null = null;
  sock: net.Socket | null = null;
  /** retries done so far */
  retries = 0;
  /** the server was forced (persistence, use-server): no redispatch unless allowed */
  direct: RtServer | undefined;
  /** force-persist matched: a failed server is retried, never redispatched */
  forcePersist = false;
  /** when the queue wait started, for logs (Tw) */
  queuedAt = 0;
  done = false;
  private lastError: 'conn-error' | 'conn-timeout' = 'conn-error';

  constructor(
    readonly be: RtProxy,
    private readonly owner: ConnectOwner,
  ) {}

  start(direct?: RtServer, forcePersist = false): void {
    this.direct = direct;
    this.forcePersist = forcePersist;
    this.assign();
  }

  private assign(avoid?: RtServer): void {
    const a = assignServer(this.be, this.owner.lbRequest(), this, this.direct, avoid);
    switch (a.kind) {
      case 'server':
        this.server = a.server;
        if (this.owner.slog) this.owner.slog.tQueue = nowMs();
        this.connect();
        return;
      case 'queued':
        this.queuedAt = nowMs();
        this.owner.timer.arm('queue', this.be.timeouts.queue);
        return;
      case 'none':
        return this.fail('no-server');
      case 'full':
        return this.fail('queue-full');
    }
  }

  requeue(): void {
    // the persistence that sent it to its server no longer holds (HAProxy clears SF_DIRECT)
    this.direct = undefined;
    this.target = null;
    this.assign();
  }

  dequeued(srv: RtServer): void {
    this.server = srv;
    if (this.owner.slog) this.owner.slog.tQueue = nowMs();
    this.connect();
  }

  private connect(): void {
    const srv = this.server!;
    const owner = this.owner;
    if (owner.slog) owner.slog.server = srv;
    // an idle connection to this very server, kept from an earlier request, goes first
    const idle = owner.reuse?.(srv);
    if (idle) {
      this.done = true;
      if (owner.slog) owner.slog.tConnect = nowMs();
      owner.established(idle, srv);
      return;
    }
    let sock: net.Socket;
    const opts: net.NetConnectOpts = srv.unixPath
      ? { path: srv.unixPath, allowHalfOpen: true }
      : {
          host: srv.host,
          port: srv.usesClientPort ? owner.clientAddrs().dstPort + srv.portOffset : srv.port,
          allowHalfOpen: true,
          noDelay: true,
          localAddress: srv.source?.host,
          localPort: srv.source?.port,
        };
    try {
      sock = net.connect(opts);
    } catch {
      // synchronous failure (bad address): not retryable in HAProxy either
      release(srv);
      this.server = null;
      return this.fail('conn-error');
    }
    if (srv.sendProxy) {
      const a = owner.clientAddrs();
      const src = { address: a.src, port: a.srcPort };
      const dst = { address: a.dst, port: a.dstPort };
      sock.write(srv.sendProxy === 1 ? encodeProxyV1(src, dst) : encodeProxyV2({ src, dst }));
    }
    // `ssl` servers: TLS over the raw socket (after any PROXY header), established once the handshake is done
    if (srv.tls) sock = srv.tls.wrap(sock, owner as ConnectOwner & SampleOwner);
    this.sock = sock;
    owner.timer.arm('connect', this.be.timeouts.connect);
    sock.on('error', this.onError);
    sock.once(srv.tls ? 'secureConnect' : 'connect', this.onConnect);
  }

  private readonly onConnect = (): void => {
    const sock = this.sock!;
    sock.removeListener('error', this.onError);
    this.done = true;
    if (this.owner.slog) this.owner.slog.tConnect = nowMs();
    this.owner.established(sock, this.server!);
  };

  private readonly onError = (): void => {
    this.lastError = 'conn-error';
    this.attemptFailed();
  };

  /** the stream's timer expired in one of our modes */
  onTimeout(mode: 'connect' | 'turnaround' | 'queue'): void {
    if (mode === 'queue') {
      unqueue(this.be, this);
      return this.fail('queue-timeout');
    }
    if (mode === 'turnaround') return this.retrySame();
    this.lastError = 'conn-timeout';
    this.attemptFailed();
  }

  private attemptFailed(): void {
    const srv = this.server!;
    if (this.sock) {
      this.sock.removeAllListeners();
      this.sock.on('error', noop);
      this.sock.destroy();
      this.sock = null;
    }
    srv.failedConns++;
    if (this.retries >= this.be.retries) {
      release(srv);
      this.server = null;
      return this.fail(this.lastError);
    }
    this.retries++;
    const plan = retryPlan(this.be, srv, this.retries, !!this.direct, this.forcePersist);
    const sl = this.owner.slog;
    if (sl) {
      sl.retries = this.retries;
      if (plan.redispatch) sl.redispatched = true;
    }
    if (plan.redispatch) {
      release(srv);
      this.server = null;
      this.direct = undefined;
      if (plan.delay) {
        this.pendingAvoid = srv;
        this.owner.timer.arm('turnaround', plan.delay);
        return;
      }
      return this.assign(srv);
    }
    if (this.lastError === 'conn-error') {
      this.owner.timer.arm('turnaround', plan.delay);
      return;
    }
    this.connect();
  }

  private pendingAvoid: RtServer | undefined;

  private retrySame(): void {
    if (this.server) return this.connect();
    const avoid = this.pendingAvoid;
    this.pendingAvoid = undefined;
    this.assign(avoid);
  }

  private fail(why: ConnectFailure): void {
    this.done = true;
    this.owner.failed(why, this.server);
  }

  /** The stream goes away before a connection was made. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    if (this.waiting) unqueue(this.be, this);
    if (this.sock) {
      this.sock.removeAllListeners();
      this.sock.on('error', noop);
      this.sock.destroy();
      this.sock = null;
    }
    if (this.server) {
      release(this.server);
      this.server = null;
    }
  }
}

function noop(): void {}
