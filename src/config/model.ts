/**
 * The typed configuration model. Every node keeps where it was written.
 * Keyword modules fill it; the checks and the runtime read it. After the
 * check pass the model is frozen (see freeze in check.ts).
 *
 * Keywords whose meaning the runtime does not use yet are still kept, as
 * `directives` (keyword, arguments, position), so nothing a user wrote is lost.
 */

export interface Pos {
  file: string;
  line: number;
  column?: number;
}

export interface Directive extends Pos {
  keyword: string;
  args: string[];
}

export type ProxyMode = 'tcp' | 'http' | 'health' | 'log';

export type ProxyKind = 'defaults' | 'frontend' | 'backend' | 'listen';

export interface Address {
  /** as written, after environment expansion */
  text: string;
  family: 'ipv4' | 'ipv6' | 'unix' | 'abns' | 'fd' | 'sockpair' | 'host' | 'udp' | 'quic';
  host: string;
  /** first port, or undefined when none was given */
  port?: number;
  portEnd?: number;
  /** '+N' / '-N' port offsets on server addresses */
  portOffset?: number;
  /** true for `ipv4@` / `ipv6@` / `*` forms that name no host */
  wildcard?: boolean;
}

export interface BindConf extends Pos {
  addresses: Address[];
  /** bind options: name → arguments (empty array for flags) */
  options: Map<string, string[]>;
  name?: string;
}

export interface ServerConf extends Pos {
  name: string;
  address: Address | null;
  addrText: string;
  options: Map<string, string[]>;
  weight: number;
  maxconn: number;
  minconn: number;
  maxqueue: number;
  backup: boolean;
  disabled: boolean;
  check: boolean;
  cookie?: string;
  track?: { backend?: string; server: string; pos: Pos };
  id?: number;
  /** for server-template */
  template?: { prefix: string; count: number; first: number };
}

export interface RuleConf extends Pos {
  /** rule set: "http-request", "tcp-request content", ... */
  ruleset: string;
  action: string;
  args: string[];
  cond?: CondConf;
}

/** A condition `if|unless <terms>` as written; the ACL engine compiles it. */
export interface CondConf extends Pos {
  polarity: 'if' | 'unless';
  /** OR of AND-terms; each term is an ACL name (maybe negated) or an anonymous ACL */
  terms: CondTerm[][];
  text: string;
}

export interface CondTerm {
  negate: boolean;
  /** a named ACL */
  name?: string;
  /** an anonymous ACL between braces: its words */
  anonymous?: string[];
}

export interface AclConf extends Pos {
  name: string;
  /** the criterion (sample expression or ACL keyword) and its flags/values, as written */
  words: string[];
}

export interface SwitchingRule extends Pos {
  backend: string;
  /** true when the name holds %[...] and is resolved per request */
  dynamic: boolean;
  cond?: CondConf;
}

export interface ServerRule extends Pos {
  server: string;
  dynamic: boolean;
  cond?: CondConf;
}

export interface BalanceConf extends Pos {
  algo: string;
  args: string[];
}

export interface CookieConf extends Pos {
  name: string;
  mode: 'rewrite' | 'insert' | 'prefix' | 'passive';
  options: string[];
}

export interface Proxy extends Pos {
  kind: ProxyKind;
  name: string;
  /** the defaults section this proxy took its settings from */
  from?: string;
  mode: ProxyMode;
  modeSet: boolean;
  disabled: boolean;
  id?: number;
  /** option name → enabled (true), disabled by `no option` (false); with position */
  options: Map<string, { enabled: boolean; args: string[]; pos: Pos }>;
  /** timeout name → milliseconds */
  timeouts: Map<string, number>;
  binds: BindConf[];
  servers: ServerConf[];
  defaultServer?: ServerConf;
  balance?: BalanceConf;
  hashType?: string[];
  cookie?: CookieConf;
  maxconn?: number;
  fullconn?: number;
  retries?: number;
  acls: AclConf[];
  rules: RuleConf[];
  defaultBackend?: { name: string; pos: Pos };
  useBackends: SwitchingRule[];
  useServers: ServerRule[];
  errorfiles: Map<number, { kind: 'file' | 'loc302' | 'loc303' | 'errors'; value: string; pos: Pos }>;
  logs: Directive[];
  /** keywords kept as written for modules that have no typed field */
  directives: Directive[];
}

export interface GlobalConf {
  daemon: boolean;
  masterWorker: boolean;
  maxconn?: number;
  nbthread?: number;
  pidfile?: string;
  user?: string;
  group?: string;
  uid?: number;
  gid?: number;
  chroot?: string;
  statsSockets: Directive[];
  /** every global keyword as written */
  directives: Directive[];
  seen: Map<string, Pos>;
}

export interface NamedSection extends Pos {
  kind: string;
  name: string;
  directives: Directive[];
}

export interface Config {
  files: string[];
  global: GlobalConf;
  /** every defaults section, named or not, in file order */
  defaults: Proxy[];
  /** frontends, backends and listens in file order */
  proxies: Proxy[];
  /** other sections: userlist, peers, resolvers, mailers, cache, http-errors, ring, program, log-forward, fcgi-app */
  sections: NamedSection[];
}

export function newGlobal(): GlobalConf {
  return { daemon: false, masterWorker: false, statsSockets: [], directives: [], seen: new Map() };
}

export function newProxy(kind: ProxyKind, name: string, pos: Pos): Proxy {
  return {
    ...pos,
    kind,
    name,
    mode: 'tcp',
    modeSet: false,
    disabled: false,
    options: new Map(),
    timeouts: new Map(),
    binds: [],
    servers: [],
    acls: [],
    rules: [],
    useBackends: [],
    useServers: [],
    errorfiles: new Map(),
    logs: [],
    directives: [],
  };
}

/** A proxy starts as a copy of its defaults section (HAProxy's init_new_proxy + proxy_preset_defaults). */
export function inheritProxy(kind: ProxyKind, name: string, pos: Pos, def: Proxy | undefined): Proxy {
  const p = newProxy(kind, name, pos);
  if (!def) return p;
  p.from = def.name;
  p.mode = def.mode;
  p.modeSet = def.modeSet;
  p.options = new Map(def.options);
  p.timeouts = new Map(def.timeouts);
  p.defaultServer = def.defaultServer;
  p.balance = def.balance;
  p.hashType = def.hashType;
  p.maxconn = def.maxconn;
  p.fullconn = def.fullconn;
  p.retries = def.retries;
  p.cookie = def.cookie;
  p.errorfiles = new Map(def.errorfiles);
  p.logs = [...def.logs];
  if (def.defaultBackend && kind !== 'backend') p.defaultBackend = def.defaultBackend;
  // kept inherited directives: the modules that own them re-read them from the defaults
  return p;
}

export function newConfig(): Config {
  return { files: [], global: newGlobal(), defaults: [], proxies: [], sections: [] };
}
