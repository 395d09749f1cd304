/**
 * The runtime model: what the checked configuration becomes before any socket
 * opens. Proxies and servers here carry live state (connection counts,
 * queues); everything read from the configuration is computed once here so
 * the per-connection code reads plain fields.
 */
import type { Address, Config, Proxy, ServerConf } from '../config/model.js';
import type { LbAlgorithm, LbServer } from './api.js';

export interface Timeouts {
  client: number;
  server: number;
  connect: number;
  queue: number;
  tunnel: number;
  clientFin: number;
  serverFin: number;
  httpRequest: number;
  httpKeepAlive: number;
  tarpit: number;
}

/** A stream waiting for a server slot (the stream implements it). */
export interface Pending {
  /** the server chose for it, or null when any server of the backend will do */
  target: RtServer | null;
  /** called when a slot is granted on `srv` */
  dequeued(srv: RtServer): void;
  /** still waiting (false once granted or aborted) */
  waiting: boolean;
  /** force-persist: never taken off its server's queue */
  forcePersist?: boolean;
  /** taken off a server's queue (the server went down, option redispatch): balance again */
  requeue?(): void;
}

export class RtServer implements LbServer {
  readonly name: string;
  readonly id: number;
  readonly weight: number;
  eweight: number;
  readonly backup: boolean;
  up: boolean;
  cur = 0;
  maxconn: number;
  readonly minconn: number;
  readonly maxqueue: number;
  queued = 0;
  /** streams waiting for this very server (persistence, use-server) */
  readonly queue: Pending[] = [];
  /** where to connect: host already resolved to an address, or a unix path */
  host = '';
  port = 0;
  /** bumped when `set server addr` moves the server: idle connections of an older one are not reused */
  addrGen = 0;
  /** no port given: the client's destination port is used, plus `portOffset` */
  usesClientPort = false;
  portOffset = 0;
  unixPath?: string;
  /** 0 none, 1 send-proxy, 2 send-proxy-v2 */
  sendProxy: 0 | 1 | 2 = 0;
  source?: { host: string; port?: number };
  /** totals for stats */
  total = 0;
  failedConns = 0;
  /** TLS toward the server (`ssl`), set by buildModel; null for plain traffic */
  tls: import('./tls/server.js').ServerTls | null = null;
  /** the `track` target, once resolved */
  tracks?: RtServer;
  readonly disabled: boolean;
  /** HAProxy's admin flags (FMAINT 1, IMAINT 2, CMAINT 4, FDRAIN 8): `disabled`, then the CLI and stats page (src/runtime/stats/admin.ts) */
  admin: number;
  /** user weight (`set weight`), HAProxy's uweight: eweight follows it unless the server drains */
  uweight: number;

  constructor(
    readonly backend: RtProxy,
    readonly conf: ServerConf,
    name: string,
    id: number,
  ) {
    this.name = name;
    this.id = id;
    this.weight = conf.weight;
    this.eweight = conf.weight;
    this.backup = conf.backup;
    this.disabled = conf.disabled;
    this.admin = conf.disabled ? 5 : 0;
    this.uweight = conf.weight;
    this.up = !conf.disabled;
    this.maxconn = conf.maxconn;
    this.minconn = conf.minconn;
    this.maxqueue = conf.maxqueue;
    const o = conf.options;
    if (o.has('send-proxy-v2') || o.has('send-proxy-v2-ssl') || o.has('send-proxy-v2-ssl-cn')) this.sendProxy = 2;
    else if (o.has('send-proxy')) this.sendProxy = 1;
  }

  /** HAProxy's srv_dynamic_maxconn: minconn..maxconn scaled by the backend's load against fullconn. */
  dynamicMaxconn(): number {
    if (!this.maxconn) return 0;
    if (!this.minconn || this.minconn >= this.maxconn) return this.maxconn;
    const full = this.backend.fullconn;
    const v = Math.floor((this.maxconn * this.backend.beconn) / (full || 1));
    return Math.max(this.minconn, Math.min(this.maxconn, v));
  }

  /** true when a new connection may start now */
  hasSlot(): boolean {
    const m = this.dynamicMaxconn();
    return !m || this.cur < m;
  }
}

export interface SwitchRule {
  /** static target, or undefined when the name is computed per request */
  backend?: RtProxy;
  dynamic?: string;
  cond?: import('../config/model.js').CondConf;
}

export class RtProxy {
  readonly name: string;
  readonly id: number;
  readonly mode: 'tcp' | 'http';
  readonly isFrontend: boolean;
  readonly isBackend: boolean;
  readonly timeouts: Timeouts;
  // frontend side
  maxconn: number;
  feconn = 0;
  defaultBackend?: RtProxy;
  readonly switching: SwitchRule[] = [];
  /** connections accepted but held until a slot frees (frontend maxconn reached) */
  readonly waitingAccept: (() => void)[] = [];
  // backend side
  readonly servers: RtServer[] = [];
  lb!: LbAlgorithm;
  beconn = 0;
  fullconn: number;
  retries: number;
  /** 0: no redispatch; otherwise HAProxy's redispatch interval (default -1: last retry) */
  redispatch: number;
  readonly queue: Pending[] = [];
  totalConns = 0;
  /** the proxy's HTTP rule lists, built once by the rules engine (rules/http.ts httpRulesOf) */
  httpRules: import('./rules/http.js').HttpRuleLists | null = null;

  constructor(
    readonly conf: Proxy,
    id: number,
  ) {
    this.name = conf.name;
    this.id = conf.id ?? id;
    this.mode = conf.mode === 'http' ? 'http' : 'tcp';
    this.isFrontend = conf.kind === 'frontend' || conf.kind === 'listen';
    this.isBackend = conf.kind === 'backend' || conf.kind === 'listen';
    const t = conf.timeouts;
    const g = (k: string) => t.get(k) ?? 0;
    this.timeouts = {
      client: g('client'),
      server: g('server'),
      connect: g('connect'),
      queue: t.get('queue') ?? g('connect'),
      tunnel: g('tunnel'),
      clientFin: g('client-fin'),
      serverFin: g('server-fin'),
      httpRequest: t.get('http-request') ?? g('client'),
      httpKeepAlive: t.get('http-keep-alive') ?? t.get('http-request') ?? g('client'),
      tarpit: t.get('tarpit') ?? g('connect'),
    };
    this.maxconn = conf.maxconn ?? 0;
    this.fullconn = conf.fullconn ?? 0;
    this.retries = conf.retries ?? 3;
    const rd = conf.options.get('redispatch');
    this.redispatch = rd?.enabled ? (rd.args[0] !== undefined ? Number(rd.args[0]) || -1 : -1) : 0;
  }

  /** a keyword kept as a directive: the proxy's own last one, else its defaults section's */
  directive(kw: string): string[] | undefined {
    for (let p: Proxy | undefined = this.conf; p; p = p.defaultsProxy) {
      for (let i = p.directives.length - 1; i >= 0; i--) if (p.directives[i].keyword === kw) return p.directives[i].args;
    }
    return undefined;
  }

  option(name: string): boolean {
    return this.conf.options.get(name)?.enabled === true;
  }

  /** usable servers now, active then backup (for nbsrv) */
  usableServers(): number {
    let n = 0;
    for (const s of this.servers) if (s.up && !s.backup) n++;
    if (n) return n;
    for (const s of this.servers) if (s.up && s.backup) n++;
    return n;
  }
}

export interface RuntimeModel {
  config: Config;
  proxies: RtProxy[];
  byName: Map<string, RtProxy>;
  frontends: RtProxy[];
  backends: Map<string, RtProxy>;
  globalMaxconn: number;
}

/** Expands `server-template` and numbers servers as HAProxy does (1-based, `id` wins). */
export function serverNames(conf: ServerConf): string[] {
  if (!conf.template) return [conf.name];
  const t = conf.template;
  return Array.from({ length: t.count }, (_, k) => `${t.prefix}${t.first + k}`);
}

export function addressOf(a: Address | null): { host: string; port?: number; portOffset?: number; unix?: string } {
  if (!a) return { host: '' };
  if (a.family === 'unix' || a.family === 'abns') return { host: '', unix: a.host };
  return { host: a.host, port: a.port, portOffset: a.portOffset };
}

import type { ProxyView } from '../acl/context.js';

const views = new WeakMap<RtProxy, ProxyView>();

/** The ACL engine's view of a proxy (fe_conn, be_conn, nbsrv, srv_is_up...). */
export function proxyView(px: RtProxy): ProxyView {
  let v = views.get(px);
  if (v) return v;
  v = {
    name: px.name,
    id: px.id,
    mode: px.mode,
    servers: px.servers,
    get conn() {
      return px.isFrontend && !px.isBackend ? px.feconn : px.beconn;
    },
    get queued() {
      return px.queue.length;
    },
    maxconn: px.isBackend ? px.fullconn || px.maxconn : px.maxconn,
    allBackups: px.option('allbackups'),
    defaultBackend: px.defaultBackend?.name,
    timeouts: { client: px.timeouts.client, server: px.timeouts.server, tunnel: px.timeouts.tunnel },
  };
  views.set(px, v);
  return v;
}
