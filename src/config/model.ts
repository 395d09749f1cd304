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
  /** every `crt` / `crt-list` of the line in order (options keeps only the last of each) */
  certs?: { kind: 'crt' | 'crt-list'; path: string }[];
}

/**
 * A Map for the few options of one server line: keys and values side by
 * side in one array, a fraction of a Map's memory. A 40,000-server
 * configuration keeps 40,000 of them, and the garbage collector copies them.
 */
export class SmallMap<K, V> implements Map<K, V> {
  private kv: unknown[] = [];

  constructor(from?: Iterable<readonly [K, V]>) {
    if (from instanceof SmallMap) this.kv = from.kv.slice();
    else if (from) for (const [k, v] of from) this.set(k, v);
  }
  private at(key: K): number {
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === key) return i;
    return -1;
  }
  get size(): number {
    return this.kv.length >> 1;
  }
  get(key: K): V | undefined {
    const i = this.at(key);
    return i < 0 ? undefined : (this.kv[i + 1] as V);
  }
  has(key: K): boolean {
    return this.at(key) >= 0;
  }
  set(key: K, value: V): this {
    const i = this.at(key);
    // concat gives an array of the exact size (push would reserve room for 16 more)
    if (i < 0) this.kv = this.kv.concat([key, value]);
    else this.kv[i + 1] = value;
    return this;
  }
  delete(key: K): boolean {
    const i = this.at(key);
    if (i < 0) return false;
    this.kv.splice(i, 2);
    return true;
  }
  clear(): void {
    this.kv = [];
  }
  forEach(cb: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }
  // small arrays' iterators: cheaper than generators for a handful of entries
  entries(): MapIterator<[K, V]> {
    const kv = this.kv;
    const out: [K, V][] = [];
    for (let i = 0; i < kv.length; i += 2) out.push([kv[i] as K, kv[i + 1] as V]);
    return out[Symbol.iterator]() as MapIterator<[K, V]>;
  }
  keys(): MapIterator<K> {
    const kv = this.kv;
    const out: K[] = [];
    for (let i = 0; i < kv.length; i += 2) out.push(kv[i] as K);
    return out[Symbol.iterator]() as MapIterator<K>;
  }
  values(): MapIterator<V> {
    const kv = this.kv;
    const out: V[] = [];
    for (let i = 1; i < kv.length; i += 2) out.push(kv[i] as V);
    return out[Symbol.iterator]() as MapIterator<V>;
  }
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
  get [Symbol.toStringTag](): string {
    return 'Map';
  }
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
  /** the action word as written when it differs from `action` ('set-var(txn.x)', 'track-sc1') */
  word?: string;
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
  /** that defaults section itself (its directives apply where the proxy has none) */
  defaultsProxy?: Proxy;
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
  /** `monitor fail` conditions, in order */
  monitorFail?: CondConf[];
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
  /** the `log` lines in force (`no log` clears them) */
  logs: Directive[];
  /** every global keyword as written */
  directives: Directive[];
  seen: Map<string, Pos>;
}

/**
 * A section that is not a proxy. Its keywords are kept as `directives`
 * (keyword, arguments, position); the kinds the runtime needs have typed
 * fields besides (see the interfaces below and `sectionsOf`).
 */
export interface NamedSection extends Pos {
  kind: string;
  name: string;
  directives: Directive[];
}

/** `userlist`: users (with their password) and groups. */
export interface UserlistSection extends NamedSection {
  kind: 'userlist';
  users: UserConf[];
  groups: GroupConf[];
}

export interface UserConf extends Pos {
  name: string;
  /** `password <hash>` (crypt(3) form), as written */
  password?: string;
  /** `insecure-password <text>` */
  insecurePassword?: string;
  /** the groups named by `groups a,b` on the user line */
  groups: string[];
}

export interface GroupConf extends Pos {
  name: string;
  /** the users named by `users a,b` on the group line */
  users: string[];
}

/** `http-errors`: one error file per status code. */
export interface HttpErrorsSection extends NamedSection {
  kind: 'http-errors';
  errorfiles: Map<number, { file: string; pos: Pos }>;
}

/** `resolvers`: DNS servers and timers (milliseconds). */
export interface ResolversSection extends NamedSection {
  kind: 'resolvers';
  nameservers: NameserverConf[];
  /** `parse-resolv-conf`: nameservers also come from /etc/resolv.conf */
  parseResolvConf: boolean;
  /** `hold <status> <time>`: status (nx, other, refused, timeout, valid, obsolete) → ms */
  hold: Map<string, number>;
  /** `timeout resolve|retry <time>` → ms */
  timeouts: Map<string, number>;
  resolveRetries?: number;
  acceptedPayloadSize?: number;
}

export interface NameserverConf extends Pos {
  name: string;
  /** as written */
  addrText: string;
  address: Address | null;
}

/** `peers`: the peers (one of them local) and the tables they share. */
export interface PeersSection extends NamedSection {
  kind: 'peers';
  peers: PeerConf[];
  /** `table <name> type ...` lines, as written */
  tables: Directive[];
  /** the `bind` line of a local peer declared with `bind` + `server <local name>` */
  bind?: Directive;
  shards?: number;
  disabled: boolean;
}

export interface PeerConf extends Pos {
  name: string;
  /** true for the peer named like the local host (-L, or the host name) */
  local: boolean;
  /** the address and server options (undefined for a local peer written without address) */
  server?: ServerConf;
}

/** `cache`: a small HTTP object cache. */
export interface CacheSection extends NamedSection {
  kind: 'cache';
  /** `total-max-size`, in megabytes */
  totalMaxSize?: number;
  /** `max-object-size`, in bytes */
  maxObjectSize?: number;
  /** `max-age`, in seconds */
  maxAge?: number;
  processVary?: boolean;
  maxSecondaryEntries?: number;
}

/** `ring`: a buffer of log lines, optionally forwarded to servers. */
export interface RingSection extends NamedSection {
  kind: 'ring';
  /** bytes */
  size?: number;
  format?: string;
  maxlen?: number;
  description?: string;
  /** `timeout connect|server <time>` → ms */
  timeouts: Map<string, number>;
  servers: ServerConf[];
}

/** `mailers`: SMTP servers for email alerts. */
export interface MailersSection extends NamedSection {
  kind: 'mailers';
  mailers: MailerConf[];
  /** `timeout mail <time>`, in ms */
  timeoutMail?: number;
}

export interface MailerConf extends Pos {
  name: string;
  addrText: string;
}

/** The typed interface of each section kind that has one. */
export interface SectionTypes {
  userlist: UserlistSection;
  'http-errors': HttpErrorsSection;
  resolvers: ResolversSection;
  peers: PeersSection;
  cache: CacheSection;
  ring: RingSection;
  mailers: MailersSection;
}

/** A new section of `kind`, with the typed fields of its kind. */
export function newSection(kind: string, name: string, pos: Pos): NamedSection {
  const base = { kind, name, file: pos.file, line: pos.line, column: pos.column, directives: [] as Directive[] };
  switch (kind) {
    case 'userlist':
      return { ...base, kind, users: [], groups: [] } as UserlistSection;
    case 'http-errors':
      return { ...base, kind, errorfiles: new Map() } as HttpErrorsSection;
    case 'resolvers':
      return { ...base, kind, nameservers: [], parseResolvConf: false, hold: new Map(), timeouts: new Map() } as ResolversSection;
    case 'peers':
      return { ...base, kind, peers: [], tables: [], disabled: false } as PeersSection;
    case 'cache':
      return { ...base, kind } as CacheSection;
    case 'ring':
      return { ...base, kind, timeouts: new Map(), servers: [] } as RingSection;
    case 'mailers':
      return { ...base, kind, mailers: [] } as MailersSection;
    default:
      return base;
  }
}

/** The sections of one kind, typed. */
export function sectionsOf<K extends keyof SectionTypes>(config: Config, kind: K): SectionTypes[K][] {
  return config.sections.filter((s) => s.kind === kind) as SectionTypes[K][];
}

/** A section as its typed interface when it is of that kind. */
export function asSection<K extends keyof SectionTypes>(s: NamedSection | undefined, kind: K): SectionTypes[K] | undefined {
  return s && s.kind === kind ? (s as SectionTypes[K]) : undefined;
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
  return { daemon: false, masterWorker: false, statsSockets: [], logs: [], directives: [], seen: new Map() };
}

export function newProxy(kind: ProxyKind, name: string, pos: Pos): Proxy {
  // fields spelt out (no spread): every proxy gets the same hidden class, and it is much faster
  return {
    file: pos.file,
    line: pos.line,
    column: pos.column,
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
  p.defaultsProxy = def;
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

/** Name index of config.proxies, kept up to date as proxies are appended. */
const proxyIndex = new WeakMap<Config, { n: number; byName: Map<string, Proxy[]> }>();

/** Every frontend, backend and listen called `name`, in file order. */
export function proxiesNamed(config: Config, name: string): readonly Proxy[] {
  let ix = proxyIndex.get(config);
  const list = config.proxies;
  if (!ix || ix.n > list.length) proxyIndex.set(config, (ix = { n: 0, byName: new Map() }));
  for (; ix.n < list.length; ix.n++) {
    const p = list[ix.n];
    const l = ix.byName.get(p.name);
    if (l) l.push(p);
    else ix.byName.set(p.name, [p]);
  }
  return ix.byName.get(name) ?? [];
}

/** Name index of a proxy's ACLs, kept up to date as ACLs are appended. */
const aclIndex = new WeakMap<Proxy, { n: number; byName: Map<string, AclConf[]> }>();

/** The ACL lines of `p` that define `name` (an ACL may be defined on several lines). */
export function aclsNamed(p: Proxy, name: string): readonly AclConf[] {
  let ix = aclIndex.get(p);
  const list = p.acls;
  if (!ix || ix.n > list.length) aclIndex.set(p, (ix = { n: 0, byName: new Map() }));
  for (; ix.n < list.length; ix.n++) {
    const a = list[ix.n];
    const l = ix.byName.get(a.name);
    if (l) l.push(a);
    else ix.byName.set(a.name, [a]);
  }
  return ix.byName.get(name) ?? [];
}

export function newConfig(): Config {
  return { files: [], global: newGlobal(), defaults: [], proxies: [], sections: [] };
}
