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
// Balancing (src/runtime/lb). One module per algorithm, registered as a row;
// `createLb(balance, hashType, servers, options)` in src/runtime/lb/index.ts.

/** A server as the balancing algorithms see it. The backend layer owns the objects. */
export interface LbServer {
  readonly name: string;
  /** HAProxy's puid: the `id` keyword, else the next free id in declaration order (1-based) */
  readonly id: number;
  /** configured weight (0..256): sizes the static map (gcd) and the initial consistent-hash points */
  readonly weight: number;
  /**
   * effective weight now, in the same units as `weight` (`set weight`, or
   * slowstart: weight * w / 16 with HAProxy's integer step w in 0..16).
   * 0 makes the server unusable for balancing. Call `lb.update(server)` after a change.
   */
  eweight: number;
  readonly backup: boolean;
  /** usable: not disabled, not in maintenance or drain, health check (if any) says up */
  up: boolean;
  /** streams served now (HAProxy's srv->served: assigned a connection slot) */
  cur: number;
  /** 0 = unlimited */
  maxconn: number;
  /** streams waiting in this server's queue */
  queued: number;
  /** `maxqueue` (leastconn counts queue room as available), 0 = unlimited */
  readonly maxqueue?: number;
  /** srv_dynamic_maxconn (minconn/fullconn); `maxconn` when absent */
  dynamicMaxconn?(): number;
}

/** What an algorithm may look at to choose (hash keys come from here). */
export interface LbRequest {
  /** client source address (text form, as seen after PROXY protocol/set-src); "" or a path for unix sockets */
  src: string;
  /** the request-target as received (start line URI); undefined in tcp mode */
  uri?: string;
  /** request method, for `url_param ... check_post` (POST bodies) */
  method?: string;
  /**
   * first value of a request header, case-insensitive name: the first
   * comma-separated element with blanks trimmed (http_find_header, full=0)
   */
  header?(name: string): string | undefined;
  /** the request body bytes available now (first DATA block), for url_param on POST */
  body?(): Uint8Array | undefined;
  /** the request bytes received so far on a tcp stream, for `rdp-cookie` */
  payload?(): Uint8Array | undefined;
  /** `balance hash <expr>`: the expression's value (converted to binary), undefined when it has none */
  sample?(): Uint8Array | string | undefined;
}

export interface LbAlgorithm {
  /**
   * Picks a server, or null when none can take the stream now. `avoid` is the
   * server a retry/redispatch wants to leave (HAProxy's prev_srv). Round
   * robin, leastconn and first skip saturated servers; the hash algorithms
   * may return a full server, which the caller then queues on (HAProxy's
   * assign_server_and_queue).
   */
  pick(req: LbRequest, avoid?: LbServer): LbServer | null;
  /**
   * A server's `up` or `eweight` changed: call with that server, or with no
   * argument to re-read every server (changes taken in declaration order).
   */
  update(s?: LbServer): void;
  /**
   * false when no server is usable (HAProxy's tot_weight == 0): the stream
   * gets "no server" (503) rather than waiting in the backend queue
   */
  available?(): boolean;
  /** call after `cur` grew on `s` (leastconn and first reposition the server; the key also reads `queued`) */
  taken?(s: LbServer): void;
  /** call after `cur` shrank on `s` */
  released?(s: LbServer): void;
  /**
   * HAProxy's BE_LB_PROP_DYN: weights may change at run time (slowstart,
   * `set weight` to any value). False for static-rr and map-based hashing,
   * where `set weight` only accepts 0% and 100%.
   */
  readonly dynamic?: boolean;
}
