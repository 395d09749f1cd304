/**
 * What the ACL engine asks of a stream. The stream (src/runtime) implements
 * SampleContext; every member is optional unless marked otherwise so that a
 * stream can grow into it. Absent data is "not found" for the fetch, except
 * the request/response buffers: while `reqFinal` is false, a fetch that
 * needs more bytes answers "may change" and a condition evaluated with
 * final=false returns 'wait' (HAProxy's MISS, tcp-request inspect-delay).
 *
 * Addresses are text as Node reports them ('127.0.0.1', '::1',
 * '::ffff:127.0.0.1'). Strings are binary strings (latin1: one char per byte).
 */
import type { SmpValue } from './types.js';

/** A list of header fields in order. Names are returned lowercase (as HTX stores them). */
export interface HeaderList {
  readonly count: number;
  name(i: number): string;
  value(i: number): string;
}

/** A server as the fetches see it (srv_is_up, srv_conn, connslots...). */
export interface ServerView {
  readonly name: string;
  readonly id: number;
  /** usable (not in maintenance, checks say up) */
  readonly up: boolean;
  /** current connections */
  readonly cur: number;
  /** 0 = unlimited */
  readonly maxconn: number;
  /** streams waiting in this server's queue */
  readonly queued?: number;
  readonly weight?: number;
  /** user-set (initial/configured) weight */
  readonly uweight?: number;
  readonly iweight?: number;
  /** sessions per second over the last second */
  readonly sessRate?: number;
  readonly backup?: boolean;
  /** maximum queue size (maxqueue), 0 = unlimited */
  readonly maxqueue?: number;
}

/** A frontend or backend as the fetches see it. */
export interface ProxyView {
  readonly name: string;
  readonly id: number;
  readonly mode?: 'tcp' | 'http';
  /** backend side: its servers in configuration order */
  readonly servers?: readonly ServerView[];
  /** frontend: current connections (fe_conn); backend: current connections (be_conn) */
  readonly conn?: number;
  /** streams queued in the backend (queue) */
  readonly queued?: number;
  /** sessions per second over the last second (fe_sess_rate, be_sess_rate) */
  readonly sessRate?: number;
  /** HTTP requests per second (fe_req_rate) */
  readonly reqRate?: number;
  /** backend: fullconn/maxconn used by be_conn_free; frontend: maxconn */
  readonly maxconn?: number;
  /** backend: `option allbackups` (nbsrv counts every usable backup when no active server is up) */
  readonly allBackups?: boolean;
  /** frontend: the name of the default backend (fe_defbe) */
  readonly defaultBackend?: string;
  /** timeouts in ms (be_server_timeout, fe_client_timeout, be_tunnel_timeout) */
  readonly timeouts?: { client?: number; server?: number; tunnel?: number };
}

/** The request head (HTTP mode, or once parsed). */
export interface HttpRequestView {
  readonly method: string;
  /** the request-target as received */
  readonly uri: string;
  /** "HTTP/1.1", "HTTP/2.0" */
  readonly version: string;
  readonly headers: HeaderList;
  /** body received so far (http-buffer-request), if any */
  readonly body?: Buffer;
  /** true when the whole body is in `body` */
  readonly bodyComplete?: boolean;
  /** declared body length (content-length), or -1 for chunked/unknown */
  readonly bodyLength?: number;
}

export interface HttpResponseView {
  readonly status: number;
  readonly reason?: string;
  readonly version: string;
  readonly headers: HeaderList;
  readonly body?: Buffer;
  readonly bodyComplete?: boolean;
}

/** Variable scopes of set-var / var(). */
export type VarScope = 'proc' | 'sess' | 'txn' | 'req' | 'res' | 'check';

/** TLS facts of a connection (ssl_fc_*, ssl_bc_*): whatever the TLS layer knows. */
export interface TlsView {
  readonly sni?: string;
  readonly alpn?: string;
  readonly protocol?: string;
  readonly cipher?: string;
  readonly resumed?: boolean;
  readonly sessionId?: Buffer;
  readonly algKeysize?: number;
  readonly useKeysize?: number;
  readonly hasCrt?: boolean;
  readonly verify?: number;
  readonly errCode?: number;
  readonly errStr?: string;
  /** peer certificate (ssl_c_*) and own certificate (ssl_f_*) */
  readonly peerCert?: import('node:crypto').X509Certificate;
  readonly ownCert?: import('node:crypto').X509Certificate;
}

/** Stick-table counters (sc_*, src_*, table_*): answered by the stick-table layer (src/runtime/stick). */
export interface StickView {
  /**
   * A counter fetch: `ctr` 0..2 for sc_* / scN_* (the stream's tracked
   * counter), undefined for src_* (the client address's entry in `table`).
   * `name` is the keyword's counter part ("http_req_rate", "get_gpc0",
   * "inc_gpc1", "tracked", ...), `idx` the array index (gpc, gpt forms),
   * `table` the table argument. undefined: no sample.
   */
  fetch(ctx: SampleContext, ctr: number | undefined, name: string, idx: number | undefined, table: string | undefined): number | boolean | undefined;
  /**
   * A table_* converter (name without "table_"; "present" for in_table):
   * `key` is the input sample, cast to the table's key type.
   */
  conv(ctx: SampleContext, table: string, key: import('./types.js').Sample, name: string, idx?: number, dflt?: number): number | boolean | undefined;
  /** table_cnt / table_avl */
  tableSize(table: string): { used: number; size: number } | undefined;
}

export interface SampleContext {
  /* ---- L4: the client connection (after PROXY protocol, set-src...) */
  readonly src?: string;
  readonly srcPort?: number;
  readonly dst?: string;
  readonly dstPort?: number;
  /** the real TCP connection's addresses (fc_src...), when different from src/dst */
  readonly fcSrc?: string;
  readonly fcSrcPort?: number;
  readonly fcDst?: string;
  readonly fcDstPort?: number;
  /** the server-side connection, once established (bc_*) */
  readonly bcSrc?: string;
  readonly bcSrcPort?: number;
  readonly bcDst?: string;
  readonly bcDstPort?: number;
  /** a PROXY header was received on this connection */
  readonly fcRcvdProxy?: boolean;
  /** PROXY v2 TLVs: authority (0x02), unique id (0x05) */
  readonly ppAuthority?: string;
  readonly ppUniqueId?: string;
  /** TCP info of the client connection, in microseconds (fc_rtt) */
  readonly fcRttUs?: number;
  readonly fcRttVarUs?: number;
  /** connection error code / text (fc_err) */
  readonly fcErr?: number;
  readonly fcErrStr?: string;
  readonly bcErr?: number;
  readonly bcErrStr?: string;
  /** HTTP major version on each side (fc_http_major) */
  readonly fcHttpMajor?: number;
  readonly bcHttpMajor?: number;

  /** the listener (so_id, so_name) */
  readonly listener?: { readonly id: number; readonly name?: string };
  /** the frontend that accepted the connection (required) */
  readonly frontend: ProxyView;
  /** the backend once known (HAProxy uses the frontend itself before switching in a listen) */
  readonly backend?: ProxyView;
  /** the server once assigned */
  readonly server?: ServerView;
  /** any proxy by name, for fetches that name one (nbsrv(be), srv_is_up(be/srv)) */
  proxy?(name: string): ProxyView | undefined;
  /** current server timeout / tunnel timeout (may have been changed by set-timeout) */
  readonly curServerTimeout?: number;
  readonly curTunnelTimeout?: number;

  /* ---- L6: raw contents (tcp mode, or before HTTP parsing) */
  /** bytes of the request seen so far */
  readonly reqBuf?: Buffer;
  /** no more request bytes will come before the rules decide (inspect-delay over, buffer full, shutdown) */
  readonly reqFinal?: boolean;
  readonly resBuf?: Buffer;
  readonly resFinal?: boolean;

  /* ---- L7 */
  /** the request head, once parsed (HTTP mode); undefined in tcp mode: L7 fetches then parse reqBuf */
  readonly req?: HttpRequestView;
  readonly res?: HttpResponseView;
  /** first request of the connection (http_first_req) */
  readonly firstReq?: boolean;
  /** captured header values (capture request header / declare capture), by index */
  readonly reqCaptures?: readonly (string | undefined)[];
  readonly resCaptures?: readonly (string | undefined)[];
  /** the request line as captured for logs (capture.req.method/uri/ver use it) */
  readonly reqLine?: string;
  readonly uniqueId?: string;
  /** userlist check for http_auth / http_auth_group (the runtime knows the userlists) */
  checkAuth?(userlist: string, user: string, pass: string): boolean;
  /** groups of `user` in `userlist` */
  userGroups?(userlist: string, user: string): readonly string[] | undefined;
  /** cache facts (res.cache_hit, res.cache_name) */
  readonly cacheHit?: boolean;
  readonly cacheName?: string;
  /** compression (res.comp, res.comp_algo) */
  readonly compAlgo?: string;

  /* ---- internal */
  getVar?(scope: VarScope, name: string): SmpValue | undefined;
  setVar?(scope: VarScope, name: string, value: SmpValue): void;
  unsetVar?(scope: VarScope, name: string): void;
  /** process environment (defaults to process.env) */
  env?(name: string): string | undefined;
  /** wall clock in ms since the epoch (defaults to Date.now()) */
  now?(): number;
  /** microseconds of the current second (date_us) */
  nowUs?(): number;
  /** the process is stopping (soft-stop) */
  readonly stopping?: boolean;
  /** the last rule evaluated: file and line (last_rule_file, last_rule_line) */
  readonly lastRule?: { file: string; line: number };
  /** priority of the stream in the queue */
  readonly prioClass?: number;
  readonly prioOffset?: number;
  readonly tls?: TlsView;
  readonly bcTls?: TlsView;
  readonly stick?: StickView;
}

/** A plain variable store the stream can use for the scopes it keeps. */
export class VarStore {
  private readonly scopes = new Map<string, Map<string, SmpValue>>();
  get(scope: VarScope, name: string): SmpValue | undefined {
    return this.scopes.get(scope)?.get(name);
  }
  set(scope: VarScope, name: string, value: SmpValue): void {
    let m = this.scopes.get(scope);
    if (!m) this.scopes.set(scope, (m = new Map()));
    m.set(name, { t: value.t, v: value.v });
  }
  unset(scope: VarScope, name: string): void {
    this.scopes.get(scope)?.delete(name);
  }
  clear(scope: VarScope): void {
    if (this.scopes.size) this.scopes.delete(scope);
  }
}

/** The process-wide `proc.` scope. */
export const procVars = new VarStore();

/** Header list over an array of [name, value] pairs (names lowercased on the way in). */
export class ArrayHeaders implements HeaderList {
  readonly names: string[];
  readonly values: string[];
  constructor(pairs: readonly (readonly [string, string])[]) {
    this.names = pairs.map((p) => p[0].toLowerCase());
    this.values = pairs.map((p) => p[1]);
  }
  get count(): number {
    return this.names.length;
  }
  name(i: number): string {
    return this.names[i];
  }
  value(i: number): string {
    return this.values[i];
  }
}
