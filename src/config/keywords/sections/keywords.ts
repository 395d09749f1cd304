/**
 * Keywords of the sections that are not proxies, with the checks HAProxy
 * 2.6.12 makes while parsing them (messages taken from the real binary):
 * userlist, peers, resolvers, mailers, cache, http-errors, ring, program,
 * log-forward, fcgi-app. Also each section's own "unknown keyword" wording
 * (none of them suggests a keyword) and lookup helpers for other modules.
 */
import { parsePeersTableLine } from '../proxy/stick.js';
import { statSync } from 'node:fs';
import { ERR_ABORT, ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { atoi, parseAddress, parseTime, str2sa } from '../../../parser/values.js';
import {
  asSection,
  newProxy,
  sectionsOf,
  type Config,
  type GroupConf,
  type NamedSection,
  type PeerConf,
  type PeersSection,
  type Proxy,
  type RingSection,
  type SectionTypes,
  type ServerConf,
  type UserConf,
} from '../../model.js';
import { invalidChar } from '../../sections.js';
import { parseServerLine } from '../server/server.js';
import { registerKeywords, type KwContext, type SectionKind } from '../../registry.js';
import { genericUnknown } from '../../../parser/reader.js';
import { registerPostCheck } from '../../postchecks.js';
import { keep } from '../generic.js';
import { checkHostAddress } from '../global/log.js';
import { parseLogTarget } from '../logsrv.js';
import { unknownGlobal } from '../global/keywords.js';

/** Finds a named section (peers, resolvers, cache, http-errors, ring, userlist...) by kind and name. */
export function findSection(config: Config, kind: SectionKind, name: string): NamedSection | undefined {
  return config.sections.find((s) => s.kind === kind && s.name === name);
}

/**
 * The "unknown keyword" alert of every section, as HAProxy words it there.
 * Installed by the section headers as the reader's unknownKeyword hook.
 */
export function unknownInSection(ctx: KwContext): number {
  const kw = ctx.args[0];
  switch (ctx.section) {
    case 'global':
      return unknownGlobal(ctx);
    case 'userlist':
      return ctx.alert(`unknown keyword '${kw}' in 'users' section`, 'parsing-tight');
    case 'fcgi-app':
      return ctx.alert(`unknown keyword '${kw}' in 'fcgi-app' section`, 'parsing-tight');
    case 'ring':
      return ctx.alert(`unknown statement '${kw}'.`);
    case 'log-forward':
      ctx.alert(`unknown keyword '${kw}' in log-forward section.`);
      return ERR_ALERT | ERR_ABORT;
    case 'peers':
    case 'resolvers':
    case 'mailers':
    case 'cache':
    case 'http-errors':
    case 'program':
      return ctx.alert(`unknown keyword '${kw}' in '${ctx.section}' section`);
    default:
      return genericUnknown(ctx, ctx.section);
  }
}

/* ---- helpers ------------------------------------------------------------- */

function ok(ctx: KwContext, words = 1): number {
  keep(ctx, words);
  return 0;
}

/** The section being filled, as its typed interface. */
function sec<K extends keyof SectionTypes>(ctx: KwContext, kind: K): SectionTypes[K] | undefined {
  return asSection(ctx.named, kind);
}

/** Checks done when a section ends (the reader calls state.close). */
export function closeSection(s: NamedSection | undefined, diags: KwContext['diags']): number {
  const cache = asSection(s, 'cache');
  if (cache && !cache.totalMaxSize) {
    diags.alert(`Size not specified for cache '${cache.name}'`, undefined, undefined, 'none');
    return ERR_ALERT | ERR_FATAL;
  }
  return 0;
}

/** `<digits>...` read as C's atoi/strtol would (undefined when there are no digits). */
function leadingInt(v: string | undefined): number | undefined {
  const m = /^\s*[-+]?\d+/.exec(v ?? '');
  return m ? parseInt(m[0], 10) : undefined;
}

/** A time with HAProxy's units, in ms (undefined when it does not parse). */
function timeMs(v: string | undefined, unit = 'ms'): number | undefined {
  if (!v) return undefined;
  const t = parseTime(v, unit);
  return t.ok ? t.ms : undefined;
}

/** The `<kw> <sub> <time>` check shared by `timeout` of resolvers and rings; undefined when fine. */
function timeArg(ctx: KwContext): number | undefined {
  const a = ctx.args;
  if (!a[2]) return ctx.alert(`'${a[0]} ${a[1]}' expects <time> as argument.`);
  const t = parseTime(a[2]);
  if (t.ok) return undefined;
  if (t.reason === 'overflow') {
    return ctx.alert(`timer overflow in argument <${a[2]}> to <${a[0]} ${a[1]}>, maximum value is 2147483647 ms (~24.8 days).`, 'parsing-tight');
  }
  return ctx.alert(`unexpected character '${t.at[0]}' in argument to <${a[0]} ${a[1]}>.`, 'parsing-tight');
}

/** The numeric cache settings: kept as written, typed when the value reads as a number. */
function cacheField(ctx: KwContext, field: 'maxAge' | 'maxObjectSize' | 'maxSecondaryEntries'): number {
  const c = sec(ctx, 'cache');
  const n = leadingInt(ctx.args[1]);
  if (c && n !== undefined) c[field] = n;
  return ok(ctx);
}

/** The proxy HAProxy builds for a ring's servers (named after the ring); its servers are the ring's. */
const ringProxies = new WeakMap<RingSection, Proxy>();
function ringProxy(ctx: KwContext, r: RingSection): Proxy {
  let p = ringProxies.get(r);
  if (!p) {
    p = newProxy('backend', r.name, ctx.pos());
    p.servers = r.servers;
    ringProxies.set(r, p);
  }
  return p;
}

/** What cfg_parse_peers keeps between the lines of a peers section. */
interface PeersState {
  /** the peers frontend: its name is the local peer's, "(null)" until one is seen */
  proxy: Proxy;
  /** where the frontend was last set up (local peer, bind and log lines) */
  feLine: number;
  feFile: string;
  peerLine: boolean;
  bindLine: boolean;
}
const peersStates = new WeakMap<PeersSection, PeersState>();
function peersState(ctx: KwContext): PeersState | undefined {
  const p = sec(ctx, 'peers');
  if (!p) return undefined;
  let st = peersStates.get(p);
  if (!st) {
    st = { proxy: newProxy('backend', '(null)', ctx.pos()), feLine: ctx.line, feFile: ctx.file, peerLine: false, bindLine: false };
    peersStates.set(p, st);
  }
  return st;
}

/** `peer <name> <addr> [options]` and `server <name> [<addr>] [options]` in a peers section. */
function peerLine(ctx: KwContext): number {
  const ps = peersState(ctx);
  const sect = sec(ctx, 'peers');
  if (!ps || !sect) return 0;
  const a = ctx.args;
  const isPeer = a[0] === 'peer';
  const localPeer = (a[1] ?? '') === ctx.opts.localPeer;
  if (isPeer) {
    if (ps.bindLine) return ctx.alert(`mixing "peer" and "bind" line is forbidden`);
    ps.peerLine = true;
  }
  const local = sect.peers.find((x) => x.local);
  let peer: PeerConf;
  if (local && !local.name && localPeer) {
    // the local peer announced by a 'bind' line gets its name here
    peer = local;
    peer.name = a[1];
  } else {
    if (localPeer && local) {
      return ctx.alert(`'${a[0]} ${a[1]}' : local peer name already referenced at ${ps.feFile}:${ps.feLine}. ${local.name}`);
    }
    peer = { name: a[1] ?? '', local: localPeer, ...ctx.pos() };
  }
  if (peer.local) {
    if (ps.proxy.name === '(null)') ps.proxy.name = peer.name;
    ps.feLine = ctx.line;
    ps.feFile = ctx.file;
  }
  // a 'server' line naming the local peer gives no address (the 'bind' line has it); a server
  // whose options fail still exists for what follows, as in HAProxy
  let srv: ServerConf | undefined;
  let err = parseServerLine(ctx, {
    keyword: 'server',
    proxy: ps.proxy,
    inPeers: true,
    resolveNow: true,
    parseAddr: isPeer || !localPeer,
    created: (x) => (srv = x),
  });
  if (srv) {
    const s2: ServerConf = srv;
    peer.server = s2;
    if (s2.options.has('init-addr') || s2.options.has('resolvers') || s2.check || s2.options.has('agent-check')) {
      err |= ctx.warn(`'${a[0]} ${a[1]}' : init_addr, resolvers, check and agent are ignored for peers.`);
    }
  }
  if (err & ERR_FATAL) return err;
  if (!sect.peers.includes(peer) && (srv || peer.local)) sect.peers.push(peer);
  keep(ctx);
  return err;
}

const ERRORFILE_CODES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

/* ---- rows ---------------------------------------------------------------- */

registerKeywords([
  /* userlist (cfg_parse_users) */
  {
    name: 'group',
    sections: ['userlist'],
    support: 'no',
    parse(ctx) {
      const a = ctx.args;
      if (!a[1]) return ctx.alert(`'${a[0]}' expects <name> as arguments.`);
      const bad = invalidChar(a[1]);
      if (bad) return ctx.alert(`character '${bad}' is not permitted in '${a[0]}' name '${a[1]}'.`, 'parsing-tight');
      const u = sec(ctx, 'userlist');
      if (!u) return 0;
      if (u.groups.some((g) => g.name === a[1])) {
        ctx.warn(`ignoring duplicated group '${a[1]}' in userlist '${u.name}'.`, 'parsing-tight');
        return ERR_WARN | ERR_ALERT;
      }
      const g: GroupConf = { name: a[1], users: [], ...ctx.pos() };
      u.groups.push(g);
      for (let i = 2; i < a.length; i += 2) {
        if (a[i] !== 'users') return ctx.alert(`'${a[0]}' only supports 'users' option.`, 'parsing-tight');
        g.users = (a[i + 1] ?? '').split(',').filter(Boolean);
      }
      return ok(ctx);
    },
  },
  {
    name: 'user',
    sections: ['userlist'],
    support: 'no',
    parse(ctx) {
      const a = ctx.args;
      if (!a[1]) return ctx.alert(`'${a[0]}' expects <name> as arguments.`);
      const u = sec(ctx, 'userlist');
      if (!u) return 0;
      if (u.users.some((x) => x.name === a[1])) {
        ctx.warn(`ignoring duplicated user '${a[1]}' in userlist '${u.name}'.`, 'parsing-tight');
        return ERR_WARN | ERR_ALERT;
      }
      const user: UserConf = { name: a[1], groups: [], ...ctx.pos() };
      u.users.push(user);
      for (let i = 2; i < a.length; i += 2) {
        const v = a[i + 1] ?? '';
        if (a[i] === 'password') {
          user.password = v;
          user.insecurePassword = undefined;
        } else if (a[i] === 'insecure-password') {
          user.insecurePassword = v;
          user.password = undefined;
        } else if (a[i] === 'groups') user.groups = v.split(',').filter(Boolean);
        else return ctx.alert(`'${a[0]}' only supports 'password', 'insecure-password' and 'groups' options.`, 'parsing-tight');
      }
      return ok(ctx);
    },
  },

  /* mailers */
  {
    name: 'mailer',
    sections: ['mailers'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1] || !ctx.args[2]) return ctx.alert(`'${ctx.args[0]}' expects <name> and <addr>[:<port>] as arguments.`);
      const what = `'${ctx.args[0]} ${ctx.args[1]}'`;
      const a = parseAddress(ctx.args[2], { hostnames: true, needPort: true });
      if (!a.ok && a.error.startsWith('missing port')) return ctx.alert(`${what} : ${a.error}`);
      const r = checkHostAddress(ctx.args[2]);
      if (!r.ok) return ctx.alert(`${what} : ${r.error}\n`);
      sec(ctx, 'mailers')?.mailers.push({ name: ctx.args[1], addrText: ctx.args[2], ...ctx.pos() });
      return ok(ctx);
    },
  },

  /* http-errors */
  {
    name: 'errorfile',
    sections: ['http-errors'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1] || !ctx.args[2]) return ctx.alert(`errorfile: expects <status_code> and <file> as arguments.`);
      const code = parseInt(ctx.args[1], 10);
      if (!ERRORFILE_CODES.includes(code)) return ctx.alert(`errorfile : status code '${ctx.args[1]}' not handled.`);
      let good = false;
      try {
        good = !statSync(ctx.args[2]).isDirectory();
      } catch {
        good = false;
      }
      if (!good) return ctx.alert(`errorfile : error opening file '${ctx.args[2]}'.`);
      sec(ctx, 'http-errors')?.errorfiles.set(code, { file: ctx.args[2], pos: ctx.pos() });
      return ok(ctx);
    },
  },

  /* cache */
  {
    name: 'total-max-size',
    sections: ['cache'],
    support: 'no',
    parse(ctx) {
      const v = ctx.args[1] ?? '';
      const n = /^\d+/.test(v) ? parseInt(v, 10) : NaN;
      if (!v || Number.isNaN(n)) {
        ctx.warn(`total-max-size wrong value '${v}'`, 'parsing-tight');
        return ERR_WARN | ERR_ABORT;
      }
      if (n > 4095) {
        ctx.warn(`"total-max-size" (${n}) must not be greater than 4095`, 'parsing-tight');
        return ERR_WARN | ERR_ABORT;
      }
      const c = sec(ctx, 'cache');
      if (c) c.totalMaxSize = n;
      return ok(ctx);
    },
  },
  // the other cache settings are kept as written, and typed when their value reads
  { name: 'max-age', sections: ['cache'], support: 'no', parse: (ctx) => cacheField(ctx, 'maxAge') },
  { name: 'max-object-size', sections: ['cache'], support: 'no', parse: (ctx) => cacheField(ctx, 'maxObjectSize') },
  {
    name: 'process-vary',
    sections: ['cache'],
    support: 'no',
    parse(ctx) {
      const c = sec(ctx, 'cache');
      if (c && (ctx.args[1] === 'on' || ctx.args[1] === 'off')) c.processVary = ctx.args[1] === 'on';
      return ok(ctx);
    },
  },
  { name: 'max-secondary-entries', sections: ['cache'], support: 'no', parse: (ctx) => cacheField(ctx, 'maxSecondaryEntries') },

  /* ring */
  {
    name: 'size',
    sections: ['ring'],
    support: 'no',
    parse(ctx) {
      // HAProxy 2.6 reads the size with atol(): no unit suffix, so '1M' is 1 byte
      const v = ctx.args[1] ?? '';
      const n = atoi(v);
      if (!n) return ctx.alert(`invalid size '${v}' for new sink buffer.`);
      const r = sec(ctx, 'ring');
      const cur = r?.size ?? 16384;
      // a negative size becomes a huge size_t the ring cannot be resized to
      if (n < 0) return ctx.alert(`fail to set sink buffer size '${cur}' for ring '${ctx.named?.name}'.`);
      if (n < cur) {
        // only a warning's text, but HAProxy flags it fatal
        return ctx.warn(`ignoring new size '${n}' that is smaller than current size '${cur}' for ring '${ctx.named?.name}'.`) | ERR_ALERT | ERR_FATAL;
      }
      if (r) r.size = n;
      return ok(ctx);
    },
  },
  {
    name: 'format',
    sections: ['ring'],
    support: 'no',
    parse(ctx) {
      const v = ctx.args[1] ?? '';
      if (!['iso', 'local', 'raw', 'rfc3164', 'rfc5424', 'short', 'priority', 'timed'].includes(v)) {
        return ctx.alert(`unknown format '${v}'.`);
      }
      const r = sec(ctx, 'ring');
      if (r) r.format = v;
      return ok(ctx);
    },
  },
  {
    name: 'timeout',
    sections: ['mailers'],
    support: 'no',
    parse(ctx) {
      if (ctx.args[1] !== 'mail') {
        return ctx.alert(`'${ctx.args[0]}' expects 'mail' and <time> as arguments got '${ctx.args[1] ?? ''}'.`);
      }
      const v = ctx.args[2];
      if (!v) return ctx.alert(`'${ctx.args[0]} ${ctx.args[1]}' expects <time> as argument.`);
      const t = parseTime(v);
      if (!t.ok) {
        if (t.reason === 'invalid') return ctx.alert(`unexpected character '${t.at[0]}' in argument to <${ctx.args[0]}>.`);
        return ctx.alert(`timer ${t.reason} in argument <${v}> to <${ctx.args[0]} ${ctx.args[1]}>, ${t.reason === 'overflow' ? 'maximum value is 2147483647 ms (~24.8 days)' : 'minimum non-null value is 1 ms'}.`);
      }
      const m = sec(ctx, 'mailers');
      if (m) m.timeoutMail = t.ms;
      return ok(ctx, 2);
    },
  },

  /* resolvers (resolvers.c, cfg_parse_resolvers) */
  {
    name: 'nameserver',
    sections: ['resolvers'],
    support: 'no',
    parse(ctx) {
      const a = ctx.args;
      if (!a[2]) return ctx.alert(`'${a[0]}' expects <name> and <addr>[:<port>] as arguments.`);
      const bad = invalidChar(a[1]);
      if (bad) return ctx.alert(`character '${bad}' is not permitted in server name '${a[1]}'.`);
      const r = sec(ctx, 'resolvers');
      let err = 0;
      for (const ns of r?.nameservers ?? []) {
        if (ns.name !== a[1]) continue;
        ctx.alert(`nameserver '${a[1]}' has same name as another nameserver (declared at ${ns.file}:${ns.line}).`, 'Parsing-tight');
        err |= ERR_ALERT | ERR_FATAL;
      }
      const sa = str2sa(a[2], { resolve: true, portOk: true, portMand: true, dgram: true, stream: true, defaultDgram: true, getenv: ctx.opts.getenv });
      if (!sa.ok) return err | ctx.alert(`'${a[0]} ${a[1]}' : ${sa.error}`);
      r?.nameservers.push({ name: a[1], addrText: a[2], address: sa.addr, ...ctx.pos() });
      return err | ok(ctx);
    },
  },
  {
    name: 'hold',
    sections: ['resolvers'],
    support: 'no',
    parse(ctx) {
      const a = ctx.args;
      if (!a[2]) {
        ctx.alert(`'${a[0]}' expects an <event> and a <time> as arguments.`);
        ctx.diags.alert(`<event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'`, undefined, undefined, 'none');
        return ERR_ALERT | ERR_FATAL;
      }
      const t = parseTime(a[2]);
      if (!t.ok) {
        if (t.reason === 'overflow') return ctx.alert(`timer overflow in argument <${a[1]}> to <${a[0]}>, maximum value is 2147483647 ms (~24.8 days).`, 'parsing-tight');
        return ctx.alert(`unexpected character '${t.at[0]}' in argument to <${a[0]}>.`, 'parsing-tight');
      }
      if (!['nx', 'other', 'refused', 'timeout', 'valid', 'obsolete'].includes(a[1])) {
        return ctx.alert(`'${a[0]}' unknown <event>: '${a[1]}', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.`);
      }
      sec(ctx, 'resolvers')?.hold.set(a[1], t.ms);
      return ok(ctx);
    },
  },
  {
    name: 'timeout',
    sections: ['resolvers'],
    support: 'no',
    parse(ctx) {
      const a = ctx.args;
      if (!a[1]) return ctx.alert(`'${a[0]}' expects 'retry' or 'resolve' and <time> as arguments.`);
      if (a[1] !== 'retry' && a[1] !== 'resolve') {
        return ctx.alert(`'${a[0]}' expects 'retry' or 'resolve' and <time> as arguments got '${a[1]}'.`);
      }
      const e = timeArg(ctx);
      if (e !== undefined) return e;
      sec(ctx, 'resolvers')?.timeouts.set(a[1], timeMs(a[2]) ?? 0);
      return ok(ctx, 2);
    },
  },
  {
    name: 'resolve_retries',
    sections: ['resolvers'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects <nb> as argument.`);
      const r = sec(ctx, 'resolvers');
      if (r) r.resolveRetries = leadingInt(ctx.args[1]) ?? 0;
      return ok(ctx);
    },
  },
  {
    name: 'accepted_payload_size',
    sections: ['resolvers'],
    support: 'no',
    parse(ctx) {
      const a = ctx.args;
      if (!a[1]) return ctx.alert(`'${a[0]}' expects <nb> as argument.`);
      const n = leadingInt(a[1]) ?? 0;
      if (n < 12 || n > 65535) return ctx.alert(`'${a[0]}' must be between 12 and 65535 inclusive (was ${a[1]}).`);
      const r = sec(ctx, 'resolvers');
      if (r) r.acceptedPayloadSize = n;
      return ok(ctx);
    },
  },
  {
    name: 'parse-resolv-conf',
    sections: ['resolvers'],
    support: 'no',
    parse(ctx) {
      const r = sec(ctx, 'resolvers');
      if (r) r.parseResolvConf = true;
      return ok(ctx);
    },
  },

  /* ring (sink.c, cfg_parse_ring) */
  {
    name: 'maxlen',
    sections: ['ring'],
    support: 'no',
    parse(ctx) {
      const n = leadingInt(ctx.args[1]) ?? 0;
      if (!n) return ctx.alert(`invalid size '${ctx.args[1] ?? ''}' for new sink buffer.`);
      const r = sec(ctx, 'ring');
      if (r) r.maxlen = n;
      return ok(ctx);
    },
  },
  {
    name: 'description',
    sections: ['ring'],
    support: 'no',
    parse(ctx) {
      const r = sec(ctx, 'ring');
      if (r && ctx.args[1]) r.description = ctx.args.slice(1).join(' ');
      return ok(ctx);
    },
  },
  {
    name: 'timeout',
    sections: ['ring'],
    support: 'no',
    parse(ctx) {
      const a = ctx.args;
      // HAProxy 2.6 reads 'connect' and 'server' and passes over any other word
      if (a[1] !== 'connect' && a[1] !== 'server') return ok(ctx, 2);
      const e = timeArg(ctx);
      if (e !== undefined) return e;
      sec(ctx, 'ring')?.timeouts.set(a[1], timeMs(a[2]) ?? 0);
      return ok(ctx, 2);
    },
  },
  {
    name: 'server',
    sections: ['ring'],
    support: 'no',
    parse(ctx) {
      const r = sec(ctx, 'ring');
      if (!r) return 0;
      return parseServerLine(ctx, { keyword: 'server', proxy: ringProxy(ctx, r), resolveNow: true });
    },
  },

  /* peers (peers.c, cfg_parse_peers) */
  { name: 'peer', sections: ['peers'], support: 'no', parse: peerLine },
  { name: 'server', sections: ['peers'], support: 'no', parse: peerLine },
  {
    name: 'default-server',
    sections: ['peers'],
    support: 'no',
    parse(ctx) {
      const ps = peersState(ctx);
      if (!ps) return 0;
      return parseServerLine(ctx, { keyword: 'default-server', proxy: ps.proxy, inPeers: true, resolveNow: true });
    },
  },
  {
    name: 'bind',
    sections: ['peers'],
    support: 'no',
    parse(ctx) {
      const ps = peersState(ctx);
      if (!ps) return ok(ctx);
      if (ps.peerLine) return ctx.alert(`mixing "peer" and "bind" line is forbidden`);
      ps.bindLine = true;
      ps.feLine = ctx.line;
      const p = sec(ctx, 'peers')!;
      p.bind = keep(ctx);
      // the local peer exists from here on; its name comes with its 'server' line
      if (!p.peers.some((x) => x.local)) p.peers.push({ name: '', local: true, ...ctx.pos() });
      return 0;
    },
  },
  {
    name: 'table',
    sections: ['peers'],
    support: 'no',
    // validated as HAProxy's parse_stick_table() does (src/config/keywords/proxy/stick.ts)
    parse: (ctx) => parsePeersTableLine(ctx, () => sec(ctx, 'peers')?.tables.push(keep(ctx))),
  },
  {
    name: 'shards',
    sections: ['peers'],
    support: 'no',
    parse(ctx) {
      const p = sec(ctx, 'peers');
      const n = leadingInt(ctx.args[1]);
      if (p && n !== undefined && n > 0) p.shards = n;
      return ok(ctx);
    },
  },
  {
    name: 'disabled',
    sections: ['peers'],
    support: 'no',
    parse(ctx) {
      const p = sec(ctx, 'peers');
      if (p) p.disabled = true;
      return ok(ctx);
    },
  },
  {
    name: 'enabled',
    sections: ['peers'],
    support: 'no',
    parse(ctx) {
      const p = sec(ctx, 'peers');
      if (p) p.disabled = false;
      return ok(ctx);
    },
  },
  {
    name: 'log',
    sections: ['peers'],
    support: 'no',
    parse(ctx) {
      const ps = peersState(ctx);
      if (ps) ps.feLine = ctx.line;
      const r = parseLogTarget(ctx.args, 'proxy', ctx.kwm, ctx.opts.getenv);
      if (!r.ok) return ctx.alert(`${ctx.args[0]} : ${r.error}`);
      return ok(ctx);
    },
  },

  /* log-forward */
  {
    name: 'log',
    sections: ['log-forward'],
    support: 'no',
    parse(ctx) {
      const r = parseLogTarget(ctx.args, 'proxy', ctx.kwm, ctx.opts.getenv);
      if (!r.ok) return ctx.alert(`${ctx.args[0]} : ${r.error}`);
      return ok(ctx);
    },
  },
]);

/**
 * Post-parse (userlist_postinit): the groups each user names and the users
 * each group names must exist. HAProxy walks its lists newest first and stops
 * at the first error.
 */
function userlistGroups(config: Config, diags: KwContext['diags']): number {
  for (const u of sectionsOf(config, 'userlist').reverse()) {
    const groups = new Set(u.groups.map((g) => g.name));
    const users = new Set(u.users.map((x) => x.name));
    for (const user of [...u.users].reverse()) {
      const g = user.groups.find((x) => !groups.has(x));
      if (g !== undefined) {
        diags.alert(`userlist '${u.name}': no such group '${g}' specified in user '${user.name}'`, undefined, undefined, 'none');
        return ERR_ALERT | ERR_FATAL;
      }
    }
    for (const group of [...u.groups].reverse()) {
      const x = group.users.find((n) => !users.has(n));
      if (x !== undefined) {
        diags.alert(`userlist '${u.name}': no such user '${x}' specified in group '${group.name}'`, undefined, undefined, 'none');
        return ERR_ALERT | ERR_FATAL;
      }
    }
  }
  return 0;
}
try {
  registerPostCheck(userlistGroups);
} catch {
  queueMicrotask(() => registerPostCheck(userlistGroups));
}
