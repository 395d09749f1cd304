/**
 * The rest of the `global` keywords, with the argument checks HAProxy 2.6.12
 * makes at parse time (messages taken from the real binary), the keywords the
 * Debian build does not have (51Degrees, DeviceAtlas, WURFL, ssl-engine,
 * QUIC, zlib), HAProxy's "did you mean" for unknown global keywords, Lua
 * file loading, and setenv/presetenv/unsetenv/resetenv, which change the
 * environment that later `"${VAR}"` expansions see.
 */
import { statSync, readFileSync } from 'node:fs';
import { ERR_ALERT } from '../../../parser/diagnostics.js';
import { bestMatch, registerKeywords, type KwContext, type KeywordRow, type ParseOptions } from '../../registry.js';
import { tooManyArgs } from '../proxy/section.js';
import { keep } from '../generic.js';
import { genericUnknown } from '../../../parser/reader.js';

/**
 * Global keywords the 2.6.12 binary registers (its -dKall dump lists them
 * sorted). For "did you mean" their registration order matters, as the
 * first closest one wins: the SSL and Lua modules register first (they come
 * first in the link), thread.c late; the rest keeps the dump's order.
 */
const REGISTERED = `ca-base crt-base issuers-chain-path maxsslconn ssl-default-bind-options ssl-default-server-options ssl-dh-param-file
ssl-mode-async ssl-load-extra-files ssl-load-extra-del-ext ssl-skip-self-issued-ca ssl-default-bind-ciphers
ssl-default-server-ciphers ssl-default-bind-curves ssl-default-bind-ciphersuites ssl-default-server-ciphersuites
ssl-propquery ssl-provider ssl-provider-path tune.ssl.cachesize tune.ssl.capture-buffer-size
tune.ssl.capture-cipherlist-size tune.ssl.default-dh-param tune.ssl.force-private-cache tune.ssl.hard-maxrecord
tune.ssl.keylog tune.ssl.lifetime tune.ssl.maxrecord tune.ssl.ssl-ctx-cache-size lua-load lua-load-per-thread
lua-prepend-path tune.lua.forced-yield tune.lua.maxmem tune.lua.service-timeout tune.lua.session-timeout
tune.lua.task-timeout close-spread-time default-path grace h1-accept-payload-with-any-method h1-case-adjust
h1-case-adjust-file hard-stop-after httpclient.resolvers.id httpclient.resolvers.prefer httpclient.ssl.ca-file
httpclient.ssl.verify mworker-max-reloads no-memory-trimming pp2-never-send-local profiling.tasks set-var set-var-fmt
stats tune.fail-alloc tune.fd.edge-triggered tune.h2.header-table-size tune.h2.initial-window-size
tune.h2.max-concurrent-streams tune.h2.max-frame-size tune.idle-pool.shared tune.listener.multi-queue
tune.peers.max-updates-at-once tune.pool-high-fd-ratio tune.pool-low-fd-ratio tune.sched.low-latency
tune.vars.check-max-size tune.vars.global-max-size tune.vars.proc-max-size tune.vars.reqres-max-size
tune.vars.sess-max-size tune.vars.txn-max-size nbthread thread-group thread-groups`.split(/\s+/);

/** HAProxy 2.6's common_kw_list: keywords parsed by strcmp(), used as suggestions. */
const COMMON = `global daemon master-worker noepoll nokqueue noevports nopoll busy-polling set-dumpable
insecure-fork-wanted insecure-setuid-wanted nosplice nogetaddrinfo noreuseport quiet zero-warning
tune.runqueue-depth tune.maxpollevents tune.maxaccept tune.recv_enough tune.buffers.limit tune.buffers.reserve
tune.bufsize tune.maxrewrite tune.idletimer tune.rcvbuf.client tune.rcvbuf.server tune.sndbuf.client
tune.sndbuf.server tune.pipesize tune.http.cookielen tune.http.logurilen tune.http.maxhdr tune.comp.maxlevel
tune.pattern.cache-size uid gid external-check user group nbproc maxconn ssl-server-verify maxconnrate maxsessrate
maxsslrate maxcomprate maxpipes maxzlibmem maxcompcpuusage ulimit-n chroot description node pidfile unix-bind log
log-send-hostname server-state-base server-state-file log-tag spread-checks max-spread-checks cpu-map setenv
presetenv unsetenv resetenv strict-limits localpeer numa-cpu-mapping defaults listen frontend backend peers
resolvers cluster-secret`.split(/\s+/);

export const GLOBAL_SUGGESTIONS: readonly string[] = [...REGISTERED, ...COMMON];

/** HAProxy's alert for an unknown global keyword. */
export function unknownGlobal(ctx: KwContext): number {
  // the section state outlives the global section: other sections keep their own wording
  if (ctx.section !== 'global') return genericUnknown(ctx, ctx.section);
  const best = bestMatch(ctx.args[0], GLOBAL_SUGGESTIONS);
  return ctx.alert(`unknown keyword '${ctx.args[0]}' in 'global' section${best ? `; did you mean '${best}' maybe ?` : ''}`);
}

/** Keywords of the manual that the Debian 2.6.12 binary was not built with. */
const NOT_BUILT = [
  '51degrees-cache-size', '51degrees-data-file', '51degrees-property-name-list', '51degrees-property-separator',
  'deviceatlas-json-file', 'deviceatlas-log-level', 'deviceatlas-properties-cookie', 'deviceatlas-separator',
  'wurfl-cache-size', 'wurfl-data-file', 'wurfl-information-list', 'wurfl-information-list-separator',
  'ssl-engine', 'tune.zlib.memlevel', 'tune.zlib.windowsize',
  'tune.quic.frontend.conn-tx-buffers.limit', 'tune.quic.frontend.max-idle-timeout', 'tune.quic.frontend.max-streams-bidi',
  'tune.quic.retry-threshold', 'tune.quic.socket-owner', 'tune.quic.conn-buf-limit', 'tune.quic.frontend.max-window-size',
];

/** "'x' already specified. Continuing." (ERR_ALERT only); returns true when already seen. */
function already(ctx: KwContext, msg?: string): boolean {
  const g = ctx.config.global;
  if (g.seen.has(ctx.args[0])) {
    ctx.diags.alert(msg ?? `'${ctx.args[0]}' already specified. Continuing.`, ctx.file, ctx.line, 'parsing');
    return true;
  }
  return false;
}
function mark(ctx: KwContext): void {
  ctx.config.global.seen.set(ctx.args[0], ctx.pos());
}

type Spec = {
  /** max arguments (alertif_too_many_args), undefined = unchecked */
  max?: number;
  /** message when the first argument is missing */
  missing?: string;
  /** style of the missing message */
  tight?: boolean;
  /** "already specified" when repeated */
  once?: boolean | string;
  /** trailing newline in HAProxy's message (memprintf'ed errors) */
  nl?: boolean;
  /** extra check on a present value: returns an error text or undefined */
  check?: (v: string, ctx: KwContext) => string | undefined;
  /** the value is the only thing remembered: repeated means 'already' only if set to a non-zero value */
  onceIfNonZero?: boolean;
};

const INT = (kw: string) => `'${kw}' expects an integer argument.`;

function onOff(kw: string, values = ['on', 'off']) {
  return (v: string) => (values.includes(v) ? undefined : `'${kw}' expects either ${values.length === 2 ? `'on' or 'off'` : `'on', 'auto', or 'off'`} but got '${v}'.`);
}

const SPECS: Record<string, Spec> = {
  'tune.runqueue-depth': { max: 1, once: true, onceIfNonZero: true, missing: INT('tune.runqueue-depth') },
  'tune.maxpollevents': { max: 1, once: true, onceIfNonZero: true, missing: INT('tune.maxpollevents') },
  'tune.maxaccept': { max: 1, once: true, onceIfNonZero: true, missing: INT('tune.maxaccept') },
  'tune.recv_enough': { max: 1, missing: INT('tune.recv_enough') },
  'tune.buffers.limit': { max: 1, missing: INT('tune.buffers.limit') },
  'tune.buffers.reserve': { max: 1, missing: INT('tune.buffers.reserve') },
  'tune.bufsize': {
    max: 1,
    missing: INT('tune.bufsize'),
    check: (v) => ((parseInt(v, 10) || 0) <= 0 ? `'tune.bufsize' expects a positive integer argument.` : undefined),
  },
  'tune.maxrewrite': {
    max: 1,
    missing: INT('tune.maxrewrite'),
    check: (v) => ((parseInt(v, 10) || 0) < 0 ? `'tune.maxrewrite' expects a positive integer argument.` : undefined),
  },
  'tune.idletimer': { max: 1, missing: `'tune.idletimer' expects a timer value between 0 and 65535 ms.` },
  'tune.rcvbuf.client': { max: 1, once: true, onceIfNonZero: true, missing: INT('tune.rcvbuf.client') },
  'tune.rcvbuf.server': { max: 1, once: true, onceIfNonZero: true, missing: INT('tune.rcvbuf.server') },
  'tune.sndbuf.client': { max: 1, once: true, onceIfNonZero: true, missing: INT('tune.sndbuf.client') },
  'tune.sndbuf.server': { max: 1, once: true, onceIfNonZero: true, missing: INT('tune.sndbuf.server') },
  'tune.pipesize': { max: 1, missing: INT('tune.pipesize') },
  'tune.http.cookielen': { max: 1, missing: INT('tune.http.cookielen') },
  'tune.http.logurilen': { max: 1, missing: INT('tune.http.logurilen') },
  'tune.http.maxhdr': {
    max: 1,
    missing: INT('tune.http.maxhdr'),
    check: (v) => {
      const n = parseInt(v, 10) || 0;
      return n < 1 || n > 32767 ? `'tune.http.maxhdr' expects a numeric value between 1 and 32767` : undefined;
    },
  },
  'tune.comp.maxlevel': {
    max: 1,
    missing: `'tune.comp.maxlevel' expects a numeric value between 1 and 9`,
    check: (v) => {
      const n = parseInt(v, 10) || 0;
      return n < 1 || n > 9 ? `'tune.comp.maxlevel' expects a numeric value between 1 and 9` : undefined;
    },
  },
  'tune.pattern.cache-size': {
    missing: `'tune.pattern.cache-size' expects a positive numeric value`,
    check: (v) => ((parseInt(v, 10) || 0) < 0 ? `'tune.pattern.cache-size' expects a positive numeric value` : undefined),
  },
  'cluster-secret': { max: 1, missing: `expects an ASCII string argument.` },
  maxconnrate: { max: 1, once: true, onceIfNonZero: true, missing: INT('maxconnrate') },
  maxsessrate: { max: 1, once: true, onceIfNonZero: true, missing: INT('maxsessrate') },
  maxsslrate: { max: 1, once: true, onceIfNonZero: true, missing: INT('maxsslrate') },
  maxcomprate: { max: 1, missing: `'maxcomprate' expects an integer argument in kb/s.` },
  maxpipes: { max: 1, once: true, onceIfNonZero: true, missing: INT('maxpipes') },
  maxzlibmem: { max: 1, missing: INT('maxzlibmem') },
  maxsslconn: { max: 1, missing: INT('maxsslconn') },
  maxcompcpuusage: {
    max: 1,
    missing: `'maxcompcpuusage' expects an integer argument between 0 and 100.`,
    check: (v) => (100 - (parseInt(v, 10) || 0) > 100 ? `'maxcompcpuusage' expects an integer argument between 0 and 100.` : undefined),
  },
  'fd-hard-limit': { max: 1, once: true, onceIfNonZero: true, missing: INT('fd-hard-limit') },
  'ulimit-n': { max: 1, once: true, onceIfNonZero: true, missing: INT('ulimit-n') },
  'ssl-server-verify': {
    max: 1,
    missing: INT('ssl-server-verify'),
    check: (v) => (v === 'none' || v === 'required' ? undefined : `'ssl-server-verify' expects 'none' or 'required' as argument.`),
  },
  'spread-checks': {
    max: 1,
    once: 'spread-checks already specified. Continuing.',
    onceIfNonZero: true,
    tight: true,
    missing: `'spread-checks' expects an integer argument (0..50).`,
    check: (v) => {
      const n = parseInt(v, 10) || 0;
      return n < 0 || n > 50 ? `'spread-checks' needs a positive value in range 0..50.` : undefined;
    },
  },
  'max-spread-checks': { max: 1, tight: true, missing: `'max-spread-checks' expects an integer argument (0..50).` },
  'server-state-base': { once: true, missing: `'server-state-base' expects one argument: a directory path.` },
  'server-state-file': { once: true, missing: `'server-state-file' expect one argument: a file path.` },
  localpeer: { max: 1, missing: `'localpeer' expects a name as an argument.` },
  grace: { missing: `'grace' expects <time> as argument.`, nl: true },
  'hard-stop-after': { missing: `'hard-stop-after' expects <time> as argument.`, nl: true },
  'close-spread-time': { missing: `'close-spread-time' expects <time> as argument.`, nl: true },
  'h1-case-adjust': { missing: `'h1-case-adjust' expects <from> and <to> as argument.` },
  'h1-case-adjust-file': { missing: `'h1-case-adjust-file' expects <file> as argument.` },
  'httpclient.resolvers.prefer': {
    missing: `'httpclient.resolvers.prefer' expects 'ipv4' or 'ipv6' as argument.`,
    check: (v) => (v === 'ipv4' || v === 'ipv6' ? undefined : `'httpclient.resolvers.prefer' expects 'ipv4' or 'ipv6' as argument.`),
  },
  'httpclient.ssl.verify': {
    missing: `'httpclient.ssl.verify' expects 'none' or 'required' as argument.`,
    check: (v) => (v === 'none' || v === 'required' ? undefined : `'httpclient.ssl.verify' expects 'none' or 'required' as argument.`),
  },
  'profiling.tasks': { missing: `'profiling.tasks' expects either 'on', 'auto', or 'off' but got ''.`, check: onOff('profiling.tasks', ['on', 'auto', 'off']) },
  'tune.idle-pool.shared': { missing: `'tune.idle-pool.shared' expects either 'on' or 'off' but got ''.`, check: onOff('tune.idle-pool.shared') },
  'tune.sched.low-latency': { missing: `'tune.sched.low-latency' expects either 'on' or 'off' but got ''.`, check: onOff('tune.sched.low-latency') },
  'tune.ssl.keylog': { missing: `'tune.ssl.keylog' expects either 'on' or 'off' but got ''.`, check: onOff('tune.ssl.keylog') },
  'tune.lua.maxmem': { missing: `'tune.lua.maxmem' expects an integer argument (Lua memory size in MB).` },
  'tune.lua.service-timeout': { missing: `tune.lua.service-timeout: invalid timeout` },
  'tune.lua.session-timeout': { missing: `tune.lua.session-timeout: invalid timeout` },
  'tune.lua.task-timeout': { missing: `tune.lua.task-timeout: invalid timeout` },
  'tune.peers.max-updates-at-once': { missing: `'tune.peers.max-updates-at-once' expects an integer argument greater than 0.` },
  'tune.pool-high-fd-ratio': { missing: `'tune.pool-high-fd-ratio' expects an integer argument between 0 and 100.` },
  'tune.pool-low-fd-ratio': { missing: `'tune.pool-low-fd-ratio' expects an integer argument between 0 and 100.` },
  'tune.h2.header-table-size': { missing: `'tune.h2.header-table-size' expects a numeric value between 4096 and 65536.` },
  'tune.ssl.cachesize': { missing: INT('tune.ssl.cachesize') },
  'tune.ssl.capture-buffer-size': { missing: INT('tune.ssl.capture-buffer-size') },
  'tune.ssl.default-dh-param': { missing: INT('tune.ssl.default-dh-param') },
  'tune.ssl.hard-maxrecord': { missing: INT('tune.ssl.hard-maxrecord') },
  'tune.ssl.maxrecord': { missing: INT('tune.ssl.maxrecord') },
  'tune.ssl.ssl-ctx-cache-size': { missing: INT('tune.ssl.ssl-ctx-cache-size') },
  'tune.ssl.lifetime': { missing: `'tune.ssl.lifetime' expects ssl sessions <lifetime> in seconds as argument.` },
  'ssl-default-bind-ciphers': { missing: `global statement 'ssl-default-bind-ciphers' expects a cipher suite as an argument.` },
  'ssl-default-bind-ciphersuites': { missing: `global statement 'ssl-default-bind-ciphersuites' expects a cipher suite as an argument.` },
  'ssl-default-bind-curves': { missing: `global statement 'ssl-default-bind-curves' expects a curves suite as an arguments.` },
  'ssl-default-bind-options': { missing: `global statement 'ssl-default-bind-options' expects an option as an argument.` },
  'ssl-default-server-ciphers': { missing: `global statement 'ssl-default-server-ciphers' expects a cipher suite as an argument.` },
  'ssl-default-server-ciphersuites': { missing: `global statement 'ssl-default-server-ciphersuites' expects a cipher suite as an argument.` },
  'ssl-default-server-options': { missing: `global statement 'ssl-default-server-options' expects an option as an argument.` },
  'ssl-propquery': { missing: `global statement 'ssl-propquery' expects a property string as an argument.` },
  'ssl-provider': { missing: `global statement 'ssl-provider' expects a valid engine provider name as an argument.` },
  'ssl-provider-path': { missing: `global statement 'ssl-provider-path' expects a directory path as an argument.` },
  'log-tag': { max: 1, missing: `'log-tag' expects a tag for use in syslog.` },
};

function specParser(name: string, spec: Spec) {
  return (ctx: KwContext): number => {
    if (spec.max !== undefined) {
      const t = tooManyArgs(ctx, spec.max);
      if (t) return t;
    }
    if (spec.once && already(ctx, typeof spec.once === 'string' ? spec.once : undefined)) return ERR_ALERT;
    const v = ctx.args[1];
    if (!v) {
      return ctx.alert(`${spec.missing ?? `'${name}' expects an argument.`}${spec.nl ? '\n' : ''}`, spec.tight ? 'parsing-tight' : 'parsing');
    }
    if (spec.check) {
      const e = spec.check(v, ctx);
      if (e) return ctx.alert(e, spec.tight ? 'parsing-tight' : 'parsing');
    }
    if (spec.once && (!spec.onceIfNonZero || (parseInt(v, 10) || 0) !== 0)) mark(ctx);
    keep(ctx);
    return 0;
  };
}

/* ---- environment ------------------------------------------------------- */

const ENV_OVERLAY = Symbol('tshaproxy.envOverlay');
type Overlay = Map<string, string | null>;

/** setenv() and friends: the reader's getenv sees the changes from the next line on. */
function overlay(opts: ParseOptions): Overlay {
  const o = opts as ParseOptions & { [ENV_OVERLAY]?: Overlay };
  let m = o[ENV_OVERLAY];
  if (!m) {
    const base = opts.getenv.bind(opts);
    const map: Overlay = new Map();
    m = map;
    o[ENV_OVERLAY] = map;
    opts.getenv = (n: string) => (map.has(n) ? (map.get(n) ?? undefined) : base(n));
  }
  return m;
}

/* ---- Lua ----------------------------------------------------------------- */

function luaFile(ctx: KwContext, missingMsg: string): number {
  const f = ctx.args[1];
  if (!f) return ctx.alert(missingMsg);
  let st;
  try {
    st = statSync(f);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' ? 'Permission denied' : code === 'ENOTDIR' ? 'Not a directory' : 'No such file or directory';
    return ctx.alert(`error in Lua file '${f}': cannot open ${f}: ${why}`);
  }
  if (st.isDirectory()) return ctx.alert(`error in Lua file '${f}': cannot read ${f}: Is a directory`);
  try {
    readFileSync(f);
  } catch {
    return ctx.alert(`error in Lua file '${f}': cannot open ${f}: Permission denied`);
  }
  keep(ctx);
  if (!ctx.opts.strict) ctx.note(`'${ctx.args[0]} ${f}': tshaproxy does not run Lua; the script is not loaded.`);
  return 0;
}

/* ---- rows ---------------------------------------------------------------- */

const rows: KeywordRow[] = [];
for (const [name, spec] of Object.entries(SPECS)) rows.push({ name, sections: ['global'], parse: specParser(name, spec), support: 'no' });
for (const name of NOT_BUILT) rows.push({ name, sections: ['global'], parse: unknownGlobal });

function dirKeyword(name: string) {
  return (ctx: KwContext): number => {
    if (ctx.config.global.seen.has(name)) return ctx.alert(`'${name}' already specified.`);
    if (!ctx.args[1]) return ctx.alert(`global statement '${name}' expects a directory path as an argument.`);
    mark(ctx);
    keep(ctx);
    return 0;
  };
}

rows.push(
  { name: 'ca-base', sections: ['global'], parse: dirKeyword('ca-base'), support: 'no' },
  { name: 'crt-base', sections: ['global'], parse: dirKeyword('crt-base'), support: 'no' },
  {
    name: 'issuers-chain-path',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      const d = ctx.args[1];
      let ok = false;
      if (d) {
        try {
          ok = statSync(d).isDirectory();
        } catch {
          ok = false;
        }
      }
      if (!ok) return ctx.alert(`global statement '${ctx.args[0]}' expects a directory path as an argument.\n`);
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'ssl-dh-param-file',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      const f = ctx.args[1];
      if (!f) return ctx.alert(`'${ctx.args[0]}' expects a file path as an argument.`);
      let text = '';
      try {
        text = readFileSync(f, 'latin1');
      } catch {
        text = '';
      }
      if (!/-----BEGIN (X9\.42 )?DH PARAMETERS-----/.test(text)) {
        return ctx.alert(`'${ctx.args[0]}': unable to load DH parameters from file <${f}>.`);
      }
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'lua-load',
    sections: ['global'],
    // no support flag: luaFile() says itself, in default mode, that Lua is not run
    parse: (ctx) => luaFile(ctx, `'lua-load' expects a file name as parameter.`),
  },
  {
    name: 'lua-load-per-thread',
    sections: ['global'],
    // no support flag: luaFile() says itself, in default mode, that Lua is not run
    parse: (ctx) => luaFile(ctx, `'lua-load-per-thread' expects a file as parameter.`),
  },
  {
    name: 'lua-prepend-path',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1]) return ctx.alert(`'lua-prepend-path' expects to receive a <path> as argument`);
      const t = ctx.args[2];
      if (t !== undefined && t !== 'path' && t !== 'cpath') {
        return ctx.alert(`'lua-prepend-path' expects <type> to either be 'path' or 'cpath'`);
      }
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'description',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1]) return ctx.alert(`'description' expects a string argument.`, 'parsing-tight');
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'node',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      const t = tooManyArgs(ctx, 1);
      if (t) return t;
      if (!/^[A-Za-z0-9_.-]+$/.test(ctx.args[1] ?? '')) {
        return ctx.alert(
          `'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_).`,
          'parsing-tight',
        );
      }
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'mworker-max-reloads',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      if (!/^\d+$/.test(ctx.args[1] ?? '')) return ctx.alert(`'mworker-max-reloads' expects an integer argument.`);
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'cpu-map',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1] || !ctx.args[2]) {
        return ctx.alert(
          `cpu-map expects a process number  ('all', 'odd', 'even', a number from 1 to 64 or a range),  followed by a list of CPU ranges with numbers from 0 to 63.`,
        );
      }
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'thread-group',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      const v = ctx.args[1] ?? '';
      if (!/^\d+$/.test(v)) return ctx.alert(`'thread-group' passed a missing or unparsable integer value in '${v}'`);
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'unix-bind',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      for (let i = 1; i < ctx.args.length; i += 2) {
        const o = ctx.args[i];
        if (o === 'prefix') {
          if (!ctx.args[i + 1]) return ctx.alert(`unix_bind '${o}' expects a path as an argument.`);
        } else if (!['mode', 'uid', 'gid', 'user', 'group'].includes(o)) {
          return ctx.alert(`'unix-bind' only supports the 'prefix', 'mode', 'uid', 'gid', 'user' and 'group' options.`);
        }
      }
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'setenv',
    sections: ['global'],
    support: 'no',
    parse: setenvParser,
  },
  {
    name: 'presetenv',
    sections: ['global'],
    support: 'no',
    parse: setenvParser,
  },
  {
    name: 'unsetenv',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1]) return ctx.alert(`'unsetenv' expects at least one variable name.`, 'parsing-tight');
      const m = overlay(ctx.opts);
      for (const n of ctx.args.slice(1)) m.set(n, null);
      keep(ctx);
      return 0;
    },
  },
  {
    name: 'resetenv',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      const keepNames = new Set(ctx.args.slice(1));
      const m = overlay(ctx.opts);
      for (const n of [...Object.keys(process.env), ...m.keys()]) if (!keepNames.has(n)) m.set(n, null);
      keep(ctx);
      return 0;
    },
  },
);

function idParser(field: 'uid' | 'gid') {
  return (ctx: KwContext): number => {
    const t = tooManyArgs(ctx, 1);
    if (t) return t;
    const g = ctx.config.global;
    if (g[field]) {
      ctx.diags.alert(field === 'uid' ? 'user/uid already specified. Continuing.' : 'group/gid already specified. Continuing.', ctx.file, ctx.line, 'parsing');
      return ERR_ALERT;
    }
    const v = ctx.args[1];
    if (!v) return ctx.alert(`'${ctx.args[0]}' expects an integer argument.`);
    if (!/^\d+$/.test(v)) {
      return ctx.warn(
        ` ${field}: string '${v}' is not a number.\nYou might want to use the '${field === 'uid' ? 'user' : 'group'}' parameter to use a system ${field === 'uid' ? 'user' : 'group'} name.`,
      );
    }
    g[field] = parseInt(v, 10);
    keep(ctx);
    return 0;
  };
}
rows.push(
  { name: 'uid', sections: ['global'], parse: idParser('uid'), support: 'no' },
  { name: 'gid', sections: ['global'], parse: idParser('gid'), support: 'no' },
);

function setenvParser(ctx: KwContext): number {
  const t = tooManyArgs(ctx, 3);
  if (t) return t;
  if (!ctx.args[2]) return ctx.alert(`'${ctx.args[0]}' expects a name and a value.`, 'parsing-tight');
  const m = overlay(ctx.opts);
  if (ctx.args[0] === 'setenv' || ctx.opts.getenv(ctx.args[1]) === undefined) m.set(ctx.args[1], ctx.args[2]);
  keep(ctx);
  return 0;
}

registerKeywords(rows);

