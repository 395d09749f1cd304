/**
 * `server`, `default-server`, `server-template` and `dispatch`, as HAProxy
 * 2.6's parse_server() reads them: names, addresses (with +N/-N port offsets
 * and host names resolved at startup), every server keyword of the 2.6 binary
 * with its argument count, and the post-parse checks (duplicate names,
 * `track`). Messages carry HAProxy's "[file:line] : 'server be/s' : " prefix.
 */
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { parseTime, str2sa, atoiC } from '../../../parser/values.js';
import { bestMatch, registerKeywords, type KwContext } from '../../registry.js';
import { dataText } from '../../tables.js';
import { SmallMap, type Config, type Proxy, type ServerConf } from '../../model.js';
import { addResolution } from '../../check.js';
import { registerProxyCheck, Stage } from '../../postchecks.js';
import { invalidChar } from '../../sections.js';
import { ignoredWithoutCap, isBackend, proxyTypeStr, tooManyArgs } from '../proxy/section.js';
import { flushLateChecks, lateRegister, MUX_PROTOS } from '../bind/bind.js';
import { globalSetting, loadCaFile, withBase } from '../bind/files.js';
import './ssl.js';

/** The server being parsed and how to report for it. */
interface SrvParse {
  ctx: KwContext;
  srv: ServerConf;
  proxy: Proxy;
  isDefault: boolean;
  /** "'server be/s' : " once the server exists, '' for default-server */
  prefix: string;
  /** no address was read: an unknown keyword may be a misplaced one (HAProxy's hint) */
  hint: boolean;
}

interface SrvOpt {
  name: string;
  /** arguments consumed; -1 = the keyword's parser decides (source) */
  skip: number;
  missing?: string;
  check?: (v: string, s: SrvParse, i: number) => string | undefined | { pre: string; err: string };
}

const MISSING: Record<string, string> = {
  addr: `'addr' expects <ipv4|ipv6> as argument.`,
  'agent-send': `'agent-send' expects a string as argument.`,
  'agent-inter': `'agent-inter' expects a delay as argument.`,
  'agent-addr': `'agent-addr' expects an address as argument.`,
  'agent-port': `'agent-port' expects a port number as argument.`,
  alpn: `'alpn' : missing the comma-delimited ALPN protocol suite`,
  'ca-file': `'ca-file' : missing CAfile path`,
  'check-alpn': `'check-alpn' : missing the comma-delimited ALPN protocol suite`,
  'check-proto': `'check-proto' : missing value`,
  'check-sni': `'check-sni' : missing SNI`,
  ciphers: `'ciphers' : missing cipher suite`,
  ciphersuites: `'ciphersuites' : missing cipher suite`,
  cookie: `'cookie' expects <value> as argument.`,
  'crl-file': `'crl-file' : missing CRLfile path`,
  crt: `'crt' : missing certificate file path`,
  'error-limit': `'error-limit' expects an integer argument.`,
  fall: `'fall' expects an integer argument.`,
  rise: `'rise' expects an integer argument.`,
  id: `'id' : expects an integer argument`,
  inter: `'inter' expects a delay as argument.`,
  fastinter: `'fastinter' expects a delay as argument.`,
  downinter: `'downinter' expects a delay as argument.`,
  'log-proto': `'log-proto' expects one of 'legacy' or 'octet-count' but got ''`,
  'max-reuse': `'max-reuse' expects <value> as argument.`,
  'pool-low-conn': `'pool-low-conn' expects <value> as argument.`,
  'pool-max-conn': `'pool-max-conn' expects <value> as argument.`,
  'pool-purge-delay': `'pool-purge-delay' expects <value> as argument.`,
  namespace: `'namespace' : expects <name> as argument`,
  npn: `'npn' : missing the comma-delimited NPN protocol suite`,
  observe: `'observe' expects <mode> as argument.`,
  'on-error': `'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got ''`,
  'on-marked-down': `'on-marked-down' expects 'shutdown-sessions' but got ''`,
  'on-marked-up': `'on-marked-up' expects 'shutdown-backup-sessions' but got ''`,
  port: `'port' expects a port number as argument.`,
  proto: `'proto' : missing value`,
  redir: `'redir' expects <prefix> as argument.`,
  'resolve-prefer': `'resolve-prefer' expects either ipv4 or ipv6 as argument.`,
  'resolve-net': `'resolve-net' expects a list of networks.`,
  'proxy-v2-options': `'' : proxy v2 option not implemented`,
  slowstart: `unexpected character '`,
  sni: `'sni' : missing sni expression`,
  source: `'source' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument.`,
  'ssl-max-ver': `'ssl-max-ver' : missing the ssl/tls version`,
  'ssl-min-ver': `'ssl-min-ver' : missing the ssl/tls version`,
  socks4: `'socks4' expects <addr>:<port> as argument.`,
  'tcp-ut': `'tcp-ut' : missing TCP User Timeout value`,
  track: `'track' expects [<proxy>/]<server> as argument.`,
  verify: `'verify' : missing verify method`,
  verifyhost: `'verifyhost' : missing hostname to verify against`,
  ws: `'ws' has to be 'auto', 'h1' or 'h2'`,
};

/** the arguments of a flag option, shared by every server (never mutated) */
const NO_ARGS: string[] = Object.freeze([]) as unknown as string[];

/** Frozen one-value argument arrays, shared by every server that writes the same short value. */
const oneArgs = new Map<string, string[]>();
function oneArg(v: string): string[] {
  if (v.length > 16) return [v];
  let r = oneArgs.get(v);
  if (!r) {
    if (oneArgs.size > 4096) return [v];
    oneArgs.set(v, (r = Object.freeze([v]) as unknown as string[]));
  }
  return r;
}

/** keywords default-server refuses */
const NOT_IN_DEFAULT = new Set(['id', 'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'track']);

function delayCheck(label: string) {
  return (v: string, s: SrvParse) => {
    const t = parseTime(v);
    if (t.ok) {
      if (t.ms === 0) return `invalid value 0 for argument '${label}' of server ${s.srv.name}.`;
      return undefined;
    }
    if (t.reason === 'invalid') return `unexpected character '${t.at[0] ?? ''}' in 'agent-inter' argument of server ${s.srv.name}.`;
    return `timer ${t.reason} in argument <${v}> to <${label}> of server ${s.srv.name}, maximum value is 2147483647 ms (~24.8 days).`;
  };
}

function addrOpt(kw: string, o: { portMand?: boolean; portOfs?: boolean; portRange?: boolean; portOk?: boolean; resolve?: boolean }) {
  return (v: string, s: SrvParse) => {
    const r = str2sa(v, { portOk: o.portOk ?? true, portMand: o.portMand, portOfs: o.portOfs, portRange: o.portRange, resolve: o.resolve, stream: true, getenv: s.ctx.opts.getenv });
    if (r.ok) return undefined;
    return `'${kw} ${v}' : ${r.error.replace(/\n+$/, '')}`;
  };
}

const CHECKS: Record<string, SrvOpt['check']> = {
  weight(v, s) {
    const w = atoiC(v);
    if (w < 0 || w > 256) return `weight of server ${s.srv.name} is not within 0 and 256 (${w}).`;
    s.srv.weight = w;
    return undefined;
  },
  id(v, s) {
    if (!/^\s*[-+]?\d/.test(v)) return `'id' : expects an integer argument`;
    const id = atoiC(v);
    if (id <= 0) return `'id' : custom id has to be > 0`;
    const dup = s.proxy.servers.find((o) => o !== s.srv && o.id === id);
    if (dup) return `'id' : custom id ${id} already used at ${dup.file}:${dup.line} ('server ${dup.name}')`;
    s.srv.id = id;
    return undefined;
  },
  cookie(v, s) {
    s.srv.cookie = v;
    return undefined;
  },
  track(v, s) {
    const slash = v.indexOf('/');
    s.srv.track =
      slash >= 0
        ? { backend: v.slice(0, slash), server: v.slice(slash + 1), pos: s.ctx.pos() }
        : { server: v, pos: s.ctx.pos() };
    return undefined;
  },
  addr(v, s) {
    const r = str2sa(v, { portOk: true, resolve: true, stream: true, getenv: s.ctx.opts.getenv });
    if (r.ok) return undefined;
    return `'addr' : ${r.error.replace(/\n+$/, '')}`;
  },
  socks4: addrOpt('socks4', { portMand: true, resolve: true }),
  'ca-file'(v, s) {
    const path = withBase(v, globalSetting(s.ctx.config, 'ca-base'));
    const e = loadCaFile(path);
    return e ? { pre: e, err: `'ca-file' : unable to load ${path}` } : undefined;
  },
  'crl-file'(v, s) {
    const path = withBase(v, globalSetting(s.ctx.config, 'ca-base'));
    const e = loadCaFile(path);
    return e ? { pre: e, err: `'crl-file' : unable to load ${path}` } : undefined;
  },
  'init-addr'(v) {
    for (const m of v.split(',')) {
      if (m === 'libc' || m === 'last' || m === 'none') continue;
      if (/^[0-9.:a-fA-F]+$/.test(m) && m !== '') continue;
      return `'init-addr' : unknown init-addr method '${m}', supported methods are 'libc', 'last', 'none'.`;
    }
    return undefined;
  },
  verify(v) {
    if (v === 'none' || v === 'required') return undefined;
    return `'verify' : unknown verify method '${v}', only 'none' and 'required' are supported`;
  },
  proto(v) {
    return MUX_PROTOS.includes(v) ? undefined : `'proto' :  unknown MUX protocol '${v}'`;
  },
  ws(v) {
    return v === 'auto' || v === 'h1' || v === 'h2' ? undefined : `'ws' has to be 'auto', 'h1' or 'h2'`;
  },
  'log-proto'(v) {
    return v === 'legacy' || v === 'octet-count' ? undefined : `'log-proto' expects one of 'legacy' or 'octet-count' but got '${v}'`;
  },
  'on-marked-down'(v) {
    return v === 'shutdown-sessions' ? undefined : `'on-marked-down' expects 'shutdown-sessions' but got '${v}'`;
  },
  'on-marked-up'(v) {
    return v === 'shutdown-backup-sessions' ? undefined : `'on-marked-up' expects 'shutdown-backup-sessions' but got '${v}'`;
  },
  'on-error'(v) {
    return ['fastinter', 'fail-check', 'sudden-death', 'mark-down'].includes(v)
      ? undefined
      : `'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '${v}'`;
  },
  'resolve-prefer'(v) {
    return v === 'ipv4' || v === 'ipv6' ? undefined : `'resolve-prefer' expects either ipv4 or ipv6 as argument.`;
  },
  inter: delayCheck('inter'),
  'agent-inter': delayCheck('agent-inter'),
  fastinter: delayCheck('fastinter'),
  downinter: delayCheck('downinter'),
};

/** Every server keyword of the 2.6 binary, in the order of its keyword dump. */
export const SERVER_OPTIONS: SrvOpt[] = (() => {
  const out: SrvOpt[] = [];
  const text = dataText('binary-dK-all.txt');
  for (const line of text.split('\n')) {
    const m = /^\tserver <name> <addr> (\S+)(?: (\+|\+-)(\d+))?$/.exec(line);
    if (!m) continue;
    const skip = m[2] === '+-' ? -1 : m[3] ? +m[3] : 0;
    out.push({ name: m[1], skip, missing: MISSING[m[1]], check: CHECKS[m[1]] });
  }
  return out;
})();
const BY_NAME = new Map(SERVER_OPTIONS.map((o) => [o.name, o]));

function newServer(ctx: KwContext, name: string): ServerConf {
  return {
    file: ctx.file,
    line: ctx.line,
    column: ctx.columns[0],
    name,
    address: null,
    addrText: '',
    options: new SmallMap(),
    weight: 1,
    maxconn: 0,
    minconn: 0,
    maxqueue: 0,
    backup: false,
    disabled: false,
    check: false,
  };
}

/** Copies a default-server into a new server (srv_settings_cpy, the parts kept in the model). */
function inherit(srv: ServerConf, def: ServerConf | undefined): void {
  if (!def) return;
  srv.options = new SmallMap(def.options);
  srv.weight = def.weight;
  srv.maxconn = def.maxconn;
  srv.minconn = def.minconn;
  srv.maxqueue = def.maxqueue;
  srv.backup = def.backup;
  srv.disabled = def.disabled;
  srv.check = def.check;
  srv.cookie = def.cookie;
}

/** The `source` keyword and its `usesrc` / `interface` companions; returns the next index or an error. */
function parseSource(s: SrvParse, i: number): { next: number } | { err: string; tail?: string; raw?: boolean } {
  const a = s.ctx.args;
  const v = a[i + 1];
  if (!v) return { err: MISSING.source };
  const r = str2sa(v, { portOk: true, portRange: true, stream: true, resolve: true, getenv: s.ctx.opts.getenv });
  if (!r.ok) {
    const e = r.error.replace(/\n+$/, '');
    if (!r.error.endsWith('\n')) return { err: `'source ${v}' : ${e}` };
    return { err: `\n  'source ${v}' : ${e}\n  \n` };
  }
  let j = i + 2;
  while (j < a.length && a[j] !== '') {
    if (a[j] === 'usesrc') {
      const u = a[j + 1];
      if (!u) {
        return { err: `'usesrc' expects <addr>[:<port>], 'client', 'clientip', or 'hdr_ip(name,#)' as argument.`, tail: 'usesrc', raw: true };
      }
      if (u !== 'client' && u !== 'clientip' && !/^hdr_ip\(/.test(u)) {
        const ur = str2sa(u, { portOk: true, stream: true, resolve: true, getenv: s.ctx.opts.getenv });
        if (!ur.ok) return { err: `'usesrc ${u}' : ${ur.error}`, tail: 'usesrc', raw: true };
      }
      j += 2;
    } else if (a[j] === 'interface') {
      if (!a[j + 1]) return { err: `'interface' expects an interface name as argument.` };
      j += 2;
    } else break;
  }
  return { next: j };
}

/** Reports an option error of server `s` (HAProxy's display_parser_err). */
function report(s: SrvParse, text: string): number {
  s.ctx.diags.alert(`${s.prefix}${text}.`, s.ctx.file, s.ctx.line, 'bracket', s.ctx.columns[0]);
  return ERR_ALERT | ERR_FATAL;
}

/** An agent check needs a port (srv_parse_finalize); HAProxy disables it with an alert. */
function agentPortCheck(s: SrvParse): number {
  const o = s.srv.options;
  if (s.isDefault || !o.has('agent-check') || o.has('agent-port')) return 0;
  return report(s, `server ${s.srv.name} does not have agent port. Agent check has been disabled`);
}

/** Parses the keywords of a server line from index `i`. */
function parseServerKeywords(s: SrvParse, i: number): number {
  const a = s.ctx.args;
  while (i < a.length && a[i] !== '') {
    const kw = a[i];
    const opt = BY_NAME.get(kw);
    if (!opt) {
      const best = bestMatch(kw, SERVER_OPTIONS.map((o) => o.name));
      const hint = s.hint ? ' Hint: no address was expected for this server.' : '';
      s.ctx.diags.alert(
        `${s.prefix}unknown keyword '${kw}'${best ? `; did you mean '${best}' maybe ?` : '.'}${hint}`,
        s.ctx.file,
        s.ctx.line,
        'bracket',
      );
      return ERR_ALERT | ERR_FATAL;
    }
    if (s.isDefault && NOT_IN_DEFAULT.has(kw)) {
      s.ctx.diags.alert(`'${kw}' option is not accepted in default-server sections`, s.ctx.file, s.ctx.line, 'bracket');
      return ERR_ALERT | ERR_FATAL;
    }
    if (kw === 'source') {
      const r = parseSource(s, i);
      if ('err' in r) {
        let f: number;
        if (r.raw) {
          s.ctx.diags.alert(`${s.prefix}${r.err}`, s.ctx.file, s.ctx.line, 'bracket');
          f = ERR_ALERT | ERR_FATAL;
        } else f = report(s, r.err);
        if (r.tail) s.ctx.diags.alert(`error encountered while processing '${r.tail}'.`, undefined, undefined, 'none');
        return f;
      }
      s.srv.options.set('source', a.slice(i + 1, r.next));
      i = r.next;
      continue;
    }
    if (kw === 'usesrc') {
      return report(s, `'usesrc' only allowed after a 'source' statement.`);
    }
    const v = a[i + 1];
    if (opt.skip > 0 && (v === undefined || v === '') && opt.missing) return report(s, opt.missing);
    if (opt.check && opt.skip > 0) {
      const e = opt.check(v ?? '', s, i);
      if (e) {
        if (typeof e === 'string') return report(s, e);
        s.ctx.diags.alert(`${s.prefix}${e.pre}`, s.ctx.file, s.ctx.line, 'bracket');
        s.ctx.diags.alert(`${e.err}.`, undefined, undefined, 'none');
        return ERR_ALERT | ERR_FATAL;
      }
    }
    switch (kw) {
      case 'check':
        s.srv.check = true;
        break;
      case 'agent-check':
        s.srv.options.delete('no-agent-check');
        break;
      case 'no-agent-check':
        s.srv.options.delete('agent-check');
        break;
      case 'no-check':
        s.srv.check = false;
        break;
      case 'backup':
        s.srv.backup = true;
        break;
      case 'no-backup':
        s.srv.backup = false;
        break;
      case 'disabled':
        s.srv.disabled = true;
        break;
      case 'enabled':
        s.srv.disabled = false;
        break;
      case 'maxconn':
        s.srv.maxconn = atoiC(v ?? '');
        break;
      case 'minconn':
        s.srv.minconn = atoiC(v ?? '');
        break;
      case 'maxqueue':
        s.srv.maxqueue = atoiC(v ?? '');
        break;
    }
    // the table's own name string as key, and shared arrays for short single values
    // ('weight 5'): the same few objects for 40,000 servers instead of some for each
    s.srv.options.set(opt.name, opt.skip === 1 ? oneArg(a[i + 1] ?? '') : opt.skip > 0 ? a.slice(i + 1, i + 1 + opt.skip) : NO_ARGS);
    i += 1 + Math.max(0, opt.skip);
  }
  return 0;
}

export interface ServerLineOptions {
  /** 'server', 'default-server' or 'server-template' */
  keyword: 'server' | 'default-server' | 'server-template';
  /** the proxy (or pseudo-proxy of a peers/ring section) receiving the server */
  proxy: Proxy;
  /** peers sections: a server line without address is a local peer, accepted as is */
  inPeers?: boolean;
  /** resolve host names at startup (proxies do); default true */
  resolve?: boolean;
  /**
   * peers and ring sections: host names are resolved while parsing (from
   * /etc/hosts here); one that does not resolve is an "invalid address".
   */
  resolveNow?: boolean;
  /** false for a peers `server` line naming the local peer: no address to read (default true) */
  parseAddr?: boolean;
  /** told of the server as soon as it exists (HAProxy keeps a server whose options failed) */
  created?: (srv: ServerConf) => void;
}

/**
 * Parses one server-like line (HAProxy's parse_server() after the section
 * checks). Exported for the peers and ring sections.
 */
export function parseServerLine(ctx: KwContext, o: ServerLineOptions): number {
  flushLateChecks();
  const a = ctx.args;
  const p = o.proxy;
  const isDefault = o.keyword === 'default-server';
  const isTemplate = o.keyword === 'server-template';
  const bracket = (m: string) => {
    ctx.diags.alert(m, ctx.file, ctx.line, 'bracket', ctx.columns[0]);
    return ERR_ALERT | ERR_FATAL;
  };
  const noAddr = o.parseAddr === false;
  if (o.inPeers && !isDefault && !a[2] && !noAddr) return 0;
  let err = 0;
  let i = 1;
  let name = '';
  let tmpl: ServerConf['template'];
  if (!isDefault) {
    if (!a[2] && !noAddr) return bracket(`'${a[0]}' expects <name> and <addr>[:<port>] as arguments.`);
    if (isTemplate && !a[3]) return bracket(`'${a[0]}' expects <prefix> <nb | range> <addr>[:<port>] as arguments.`);
    name = a[1];
    const bad = invalidChar(name);
    if (bad) err |= bracket(`character '${bad}' is not permitted in ${a[0]} ${isTemplate ? 'prefix' : 'name'} '${name}'.`);
    i = 2;
    if (isTemplate) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(a[2]);
      const lo = m ? (m[2] !== undefined ? +m[1] : 1) : 0;
      const hi = m ? (m[2] !== undefined ? +m[2] : +m[1]) : 0;
      if (!m || lo <= 0 || hi <= 0 || lo > hi) return err | bracket(`Wrong ${a[0]} number or range arg '${a[2]}'.`);
      tmpl = { prefix: name, count: hi - lo + 1, first: lo };
      i = 3;
    }
  }
  const srv = newServer(ctx, isDefault ? 'default-server' : name);
  inherit(srv, p.defaultServer);
  if (tmpl) srv.template = tmpl;
  const s: SrvParse = { ctx, srv, proxy: p, isDefault, prefix: isDefault ? '' : `'server ${p.name}/${name}' : `, hint: isDefault || noAddr };
  if (noAddr) {
    // a peers 'server' line naming the local peer: its address is the 'bind' line's
    o.created?.(srv);
    err |= parseServerKeywords(s, 2);
    if (!(err & ERR_FATAL)) err |= agentPortCheck(s);
    if (!(err & ERR_FATAL)) p.servers.push(srv);
    return err;
  }
  if (!isDefault) {
    const text = a[i];
    srv.addrText = text;
    const r = str2sa(text, {
      fqdn: !o.resolveNow,
      resolve: !!o.resolveNow,
      portOk: true,
      portOfs: true,
      stream: true,
      needProto: true,
      getenv: ctx.opts.getenv,
    });
    if (!r.ok) {
      ctx.diags.alert(`${s.prefix}${r.error}`, ctx.file, ctx.line, 'bracket', ctx.columns[0]);
      return err | ERR_ALERT | ERR_FATAL;
    }
    srv.address = r.addr;
    o.created?.(srv);
    i++;
    const kerr = parseServerKeywords(s, i) | agentPortCheck(s);
    err |= kerr;
    if (kerr & ERR_FATAL) return err;
    if (r.fqdn !== undefined && o.resolve !== false) {
      // default init-addr is "last,libc", or "last,libc,none" with resolvers
      const ia = srv.options.get('init-addr')?.[0];
      const methods = ia ? ia.split(',') : srv.options.has('resolvers') ? ['last', 'libc', 'none'] : ['last', 'libc'];
      // libc resolution first; a later 'none' or IP makes a failure a warning (not modelled yet)
      const li = methods.indexOf('libc');
      const after = li >= 0 ? methods.slice(li + 1) : [];
      if (li >= 0 && !after.some((m) => m === 'none' || /^[0-9.:a-fA-F]+$/.test(m))) {
        const names = tmpl ? Array.from({ length: tmpl.count }, (_, k) => `${name}${tmpl!.first + k}`) : [name];
        for (const n of names) {
          addResolution(ctx.config, { host: r.fqdn, what: `'server ${p.name}/${n}'`, file: ctx.file, line: ctx.line });
        }
      }
    }
    p.servers.push(srv);
    return err;
  }
  err |= parseServerKeywords(s, 1);
  if (!(err & ERR_FATAL)) p.defaultServer = srv;
  return err;
}

/** `server` / `default-server` / `server-template` in a proxy section. */
function proxyServer(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  const kw = ctx.args[0] as ServerLineOptions['keyword'];
  if (kw !== 'default-server' && p.kind === 'defaults') {
    ctx.diags.alert(`'${kw}' not allowed in 'defaults' section.`, ctx.file, ctx.line, 'bracket', ctx.columns[0]);
    return ERR_ALERT | ERR_FATAL;
  }
  if (!isBackend(p)) {
    ctx.diags.alert(
      `parsing [${ctx.file}:${ctx.line}] : '${kw}' not allowed because ${proxyTypeStr(p)} '${p.name}' has no backend capability.`,
      ctx.file,
      ctx.line,
      'bracket',
      ctx.columns[0],
    );
    return ERR_ALERT | ERR_FATAL;
  }
  return parseServerLine(ctx, { keyword: kw, proxy: p, resolve: true });
}

/** `dispatch <addr>:<port>`: the address is checked as a server's, then kept as a directive. */
export function dispatch(ctx: KwContext): number {
  const p = ctx.proxy;
  if (!p) return 0;
  if (p.kind === 'defaults') return ctx.alert(`'dispatch' not allowed in 'defaults' section.`);
  let err = 0;
  if (ignoredWithoutCap(ctx, 'be')) err |= ERR_WARN;
  const r = str2sa(ctx.args[1] ?? '', {
    resolve: true,
    portOk: true,
    portMand: true,
    stream: true,
    needProto: true,
    getenv: ctx.opts.getenv,
  });
  if (!r.ok) return err | ctx.alert(`'dispatch' : ${r.error.replace(/\n+$/, '')}`);
  err |= tooManyArgs(ctx, 1);
  p.directives.push({ keyword: 'dispatch', args: ctx.args.slice(1), file: ctx.file, line: ctx.line, column: ctx.columns[0] });
  return err;
}

registerKeywords([
  { name: 'server', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: proxyServer, support: 'no' },
  { name: 'default-server', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: proxyServer, support: 'no' },
  { name: 'server-template', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: proxyServer, support: 'no' },
  { name: 'dispatch', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: dispatch, support: 'no' },
]);

/** A tcp proxy ignores server cookies (check_config_validity's server loop); templates are one server per number. */
registerProxyCheck(Stage.servers, (p, _config, diags) => {
  if (p.mode === 'http') return 0;
  let err = 0;
  for (const s of p.servers) {
    if (s.cookie === undefined) continue;
    const names = s.template ? Array.from({ length: s.template.count }, (_, k) => `${s.template!.prefix}${s.template!.first + k}`) : [s.name];
    for (const n of names) {
      diags.warning(`${proxyTypeStr(p)} '${p.name}' : ignoring cookie for server '${n}' as HTTP mode is disabled.`, undefined, undefined, 'none');
      err |= ERR_WARN;
    }
  }
  return err;
});

/** Post-parse: duplicate server names, then `track` targets (check_config_validity). */
function serverChecks(config: Config, diags: import('../../../parser/diagnostics.js').Diagnostics): number {
  if (diags.list.some((d) => d.severity === 'alert')) return 0;
  let err = 0;
  for (const p of config.proxies) {
    if (!isBackend(p)) continue;
    const seen = new Map<string, ServerConf>();
    for (const s of p.servers) {
      if (s.template) continue;
      const prev = seen.get(s.name);
      if (prev) {
        diags.alert(
          `${proxyTypeStr(p)} '${p.name}', another server named '${s.name}' was already defined at line ${prev.line}, please use distinct names.`,
          s.file,
          s.line,
          'parsing',
        );
        err |= ERR_ALERT | ERR_FATAL;
      } else seen.set(s.name, s);
    }
  }
  for (const p of config.proxies) {
    if (!isBackend(p)) continue;
    for (const s of p.servers) {
      const res = s.options.get('resolvers')?.[0];
      // HAProxy creates a 'default' resolvers section from /etc/resolv.conf
      if (res !== undefined && res !== 'default' && !config.sections.some((x) => x.kind === 'resolvers' && x.name === res)) {
        diags.alert(`${proxyTypeStr(p)} '${p.name}', server '${s.name}': unable to find required resolvers '${res}'`, undefined, undefined, 'none');
        err |= ERR_ALERT | ERR_FATAL;
      }
    }
  }
  for (const p of config.proxies) {
    if (!isBackend(p)) continue;
    for (const s of p.servers) {
      if (!s.track) continue;
      const at = (m: string) => {
        diags.alert(`'server ${p.name}/${s.name}' : ${m}`, s.file, s.line, 'bracket');
        err |= ERR_ALERT | ERR_FATAL;
      };
      let px: Proxy | undefined = p;
      if (s.track.backend !== undefined) {
        px = config.proxies.find((x) => x.name === s.track!.backend && isBackend(x));
        if (!px) {
          at(`unable to find required proxy '${s.track.backend}' for tracking.`);
          continue;
        }
      }
      const same = px.servers.filter((x) => x.name === s.track!.server && !x.template);
      if (same.length > 1) {
        at(`Refusing to use duplicated server '${s.track.server}' found in proxy: ${px.name}!`);
        diags.alert(`unable to find required server '${s.track.server}' for tracking.`, undefined, undefined, 'none');
        continue;
      }
      const target = same[0];
      if (!target) {
        at(`unable to find required server '${s.track.server}' for tracking.`);
        continue;
      }
      if (!target.check && !target.options.has('agent-check') && !target.track) {
        at(`unable to use ${px.name}/${target.name} for tracking as it does not have any check nor agent enabled.`);
        continue;
      }
      let loop: ServerConf | undefined = target;
      const visited = new Set<ServerConf>();
      let looped: ServerConf | undefined;
      while (loop && !visited.has(loop)) {
        visited.add(loop);
        if (loop === s) {
          looped = loop;
          break;
        }
        const t: { backend?: string; server: string } | undefined = loop.track;
        if (!t) break;
        const lp: Proxy | undefined = t.backend !== undefined ? config.proxies.find((x) => x.name === t.backend) : px;
        loop = lp?.servers.find((x) => x.name === t.server);
      }
      if (s === target || looped) {
        at(`unable to track ${px.name}/${target.name} as it belongs to a tracking chain looping back to ${px.name}/${s === target ? target.name : s.name}.`);
      }
    }
  }
  return err;
}
lateRegister(serverChecks);
