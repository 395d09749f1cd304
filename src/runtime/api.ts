/**
 * The contracts between the runtime's parts. Each part (listeners and streams,
 * balancing, process control, HTTP engine, ACL engine) is written against
 * these, so they can grow apart without reaching into each other.
 */
import type { Config } from '../config/model.js';

/** What the process layer (src/runtime/process) asks of one running proxy instance. */
export interface Runtime {
  /**
   * Opens every listener of the configuration. Resolves once all listen; rejects
   * with a BindError when one cannot (HAProxy prints an ALERT and exits 1).
   */
  start(): Promise<void>;
  /** SIGTTOU: stop listening (close the listening sockets) but keep live connections. */
  pause(): Promise<void>;
  /** SIGTTIN: listen again after pause(). */
  resume(): Promise<void>;
  /** SIGUSR1: close listeners, let live connections finish, resolve when none remain. */
  softStop(): Promise<void>;
  /** SIGTERM/SIGINT: close every connection now. */
  hardStop(): void;
  /** live client connections across all frontends */
  currentConnections(): number;
}

export interface RuntimeOptions {
  /** -N: default maxconn per frontend */
  defaultMaxconn?: number;
  /** the process's own log (pino) */
  logger?: RuntimeLogger;
}

export interface RuntimeLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export class BindError extends Error {
  constructor(
    /** HAProxy's ALERT text, e.g. "Starting frontend fe: cannot bind socket (Address already in use) [127.0.0.1:8080]" */
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export type CreateRuntime = (config: Config, opts: RuntimeOptions) => Runtime;

// ---------------------------------------------------------------------------
// Balancing (src/runtime/lb). One module per algorithm, registered as a row.

/** A server as the balancing algorithms see it. The backend layer owns the objects. */
export interface LbServer {
  readonly name: string;
  /** 1-based position in the backend (HAProxy's puid when no `id` is set) */
  readonly id: number;
  /** configured weight (0..256) */
  readonly weight: number;
  /** effective weight now (slowstart, `set weight`); what the algorithms use */
  eweight: number;
  readonly backup: boolean;
  /** usable: not disabled, not in maintenance, health check (if any) says up */
  up: boolean;
  /** established + connecting connections */
  cur: number;
  /** 0 = unlimited */
  maxconn: number;
  /** streams waiting in this server's queue */
  queued: number;
}

/** What an algorithm may look at to choose (hash keys come from here). */
export interface LbRequest {
  /** client source address (text form, as seen after PROXY protocol/set-src) */
  src: string;
  /** the request's path + query for `uri`, undefined in tcp mode */
  uri?: string;
  /** request header lookup for `hdr(name)` (first value, or undefined) */
  header?(name: string): string | undefined;
  /** the query string parameter / POST body lookup for `url_param` */
  urlParam?(name: string): string | undefined;
  /** RDP cookie (`mstshash`) for `rdp-cookie` */
  rdpCookie?(name: string): string | undefined;
}

export interface LbAlgorithm {
  /**
   * Picks a server among the usable ones, or null when none can take the stream
   * now. `avoid` is the server a retry/redispatch wants to leave.
   */
  pick(req: LbRequest, avoid?: LbServer): LbServer | null;
  /** the backend's server set or a server's state/weight changed */
  update(): void;
  /** a stream took (+1) or released (-1) a connection slot on `s` (leastconn, first) */
  taken?(s: LbServer): void;
  released?(s: LbServer): void;
}
