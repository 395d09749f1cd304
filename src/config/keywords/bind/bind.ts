/**
 * `bind` lines of frontends and listens, and the global `stats socket`
 * (a bind of the CLI frontend): addresses as HAProxy 2.6's str2listener()
 * reads them, every bind option of the 2.6 binary with its argument count,
 * and the checks HAProxy runs while parsing (certificate files, users...).
 */
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { str2sa } from '../../../parser/values.js';
import { bestMatch, registerKeywords, type KwContext } from '../../registry.js';
import { dataText } from '../../tables.js';
import type { Address, BindConf, Config } from '../../model.js';
import { registerPostCheck } from '../../postchecks.js';
import { bindHook, ignoredWithoutCap, isFrontend } from '../proxy/section.js';
import { globalSetting, groupExists, loadCaFile, loadCertificate, loadCrtList, userExists, withBase } from './files.js';

/** A bind option: how many arguments it takes and what it checks. */
interface BindOpt {
  name: string;
  skip: number;
  /** message when the argument is missing */
  missing?: string;
  /** validates the value; returns HAProxy's error text */
  check?: (v: string, b: BindParse) => string | undefined;
}

/** What an option check can reach. */
export interface BindParse {
  ctx: KwContext;
  conf: BindConf;
  /** position-less alerts printed before the option's own message */
  pre: string[];
}

const MISSING: Record<string, string> = {
  'accept-netscaler-cip': 'missing value',
  alpn: 'missing the comma-delimited ALPN protocol suite',
  backlog: 'missing value',
  curves: 'missing curve suite',
  ecdhe: 'missing named curve',
  'ca-file': 'missing CAfile path',
  'ca-ignore-err': 'missing error IDs list',
  'ca-sign-file': 'missing CAfile path',
  'ca-sign-pass': 'missing CAkey password',
  'ca-verify-file': 'missing CAfile path',
  ciphers: 'missing cipher suite',
  ciphersuites: 'missing cipher suite',
  'crl-file': 'missing CRLfile path',
  crt: 'missing certificate location',
  'crt-ignore-err': 'missing error IDs list',
  'crt-list': 'missing certificate location',
  'expose-fd': 'missing fd type',
  gid: 'missing value',
  group: 'missing group name',
  id: 'expects an integer argument',
  interface: 'missing interface name',
  level: 'missing level',
  'severity-output': 'missing severity format',
  maxconn: 'missing value',
  mss: 'missing MSS value',
  name: 'missing name',
  namespace: 'missing namespace id',
  nice: 'missing value',
  npn: 'missing the comma-delimited NPN protocol suite',
  proto: 'missing value',
  shards: 'missing value',
  'ssl-max-ver': 'missing the ssl/tls version',
  'ssl-min-ver': 'missing the ssl/tls version',
  'tcp-ut': 'missing TCP User Timeout value',
  'tls-ticket-keys': 'missing TLS ticket keys file path',
  uid: 'missing value',
  user: 'missing user name',
  verify: 'missing verify method',
};

const SSL_VERSIONS = ['SSLv3', 'TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
export const MUX_PROTOS = ['h2', 'h1', 'fcgi', 'none'];

function caCheck(kw: string) {
  return (v: string, b: BindParse) => {
    const path = withBase(v, globalSetting(b.ctx.config, 'ca-base'));
    const e = loadCaFile(path);
    if (!e) return undefined;
    b.pre.push(e);
    return `'${kw}' : unable to load ${path}`;
  };
}

const CHECKS: Record<string, (v: string, b: BindParse) => string | undefined> = {
  crt(v, b) {
    return loadCertificate(withBase(v, globalSetting(b.ctx.config, 'crt-base')), b.ctx.config);
  },
  'crt-list'(v, b) {
    return loadCrtList(v, b.ctx.config);
  },
  'ca-file': caCheck('ca-file'),
  'ca-verify-file': caCheck('ca-verify-file'),
  'crl-file': caCheck('crl-file'),
  verify(v) {
    if (v === 'none' || v === 'optional' || v === 'required') return undefined;
    return `'verify' : unknown verify method '${v}', only 'none', 'optional', and 'required' are supported`;
  },
  mode(v) {
    if (/^[0-7]+$/.test(v)) return undefined;
    return `'mode' : missing or invalid mode '${v}' (octal integer expected)`;
  },
  level(v) {
    if (v === 'user' || v === 'operator' || v === 'admin') return undefined;
    return `'level' only supports 'user', 'operator', and 'admin' (got '${v}')`;
  },
  'expose-fd'(v) {
    if (v === 'listeners') return undefined;
    return `'expose-fd' only supports 'listeners' (got '${v}')`;
  },
  user(v) {
    return userExists(v) ? undefined : `'user' : unknown user name '${v}'`;
  },
  group(v) {
    return groupExists(v) ? undefined : `'group' : unknown group name '${v}'`;
  },
  process(v) {
    // a thread set may follow the process number ('1/3'): only the process part is checked here
    const e = processNumberError(v.split('/')[0], 1);
    return e === undefined ? undefined : `'process' : ${e}`;
  },
  thread(v) {
    const set = v.slice(v.indexOf('/') + 1);
    const e = processNumberError(set, 64);
    return e === undefined ? undefined : `'${set}' : ${e}`;
  },
  proto(v) {
    return MUX_PROTOS.includes(v) ? undefined : `'proto' :  unknown MUX protocol '${v}'`;
  },
  id(v) {
    if (!/^-?\d+$/.test(v)) return `'id' : expects an integer argument`;
    if (+v <= 0) return `'id' : custom id has to be > 0`;
    return undefined;
  },
};

/**
 * HAProxy's parse_process_number(): `all`, `odd`, `even`, a number or a range
 * within 1..max. Returns its error text (the range one ends in a newline, as
 * HAProxy's does), or undefined.
 */
export function processNumberError(arg: string, max: number): string | undefined {
  if (arg === 'all' || arg === 'odd' || arg === 'even') return undefined;
  if (!/^\d*(-\d*)?$/.test(arg)) return `'${arg}' is not a valid number/range.`;
  const dash = arg.indexOf('-');
  let low = parseInt(dash >= 0 ? arg.slice(0, dash) : arg, 10) || 0;
  let high = dash < 0 ? low : arg.slice(dash + 1) === '' ? max : parseInt(arg.slice(dash + 1), 10) || 0;
  if (high < low) [low, high] = [high, low];
  if (low < 1 || low > max || high > max) return `'${arg}' is not a valid number/range. It supports numbers from 1 to ${max}.\n`;
  return undefined;
}

/** Every bind keyword of the 2.6 binary, in the order of its keyword dump. */
export const BIND_OPTIONS: BindOpt[] = (() => {
  const out: BindOpt[] = [];
  const text = dataText('binary-dK-all.txt');
  for (const line of text.split('\n')) {
    const m = /^\tbind <addr> (?:ssl )?(\S+)(?: \+(\d+))?$/.exec(line);
    if (!m) continue;
    const name = m[1];
    const skip = m[2] ? +m[2] : 0;
    out.push({ name, skip, missing: MISSING[name], check: CHECKS[name] });
  }
  // `ssl` itself is a bind keyword of the binary (listed as a scope in the dump)
  if (!out.some((o) => o.name === 'ssl')) out.push({ name: 'ssl', skip: 0 });
  return out;
})();
const BY_NAME = new Map(BIND_OPTIONS.map((o) => [o.name, o]));

let suggestions: string[] | undefined;
/**
 * Bind keywords in the order HAProxy's bind_find_best_kw() meets them (the
 * first closest one wins): the SSL list registers before the others.
 */
function bindSuggestions(): string[] {
  if (!suggestions) {
    const ssl = new Set<string>(['ssl']);
    for (const line of dataText('binary-dK-all.txt').split('\n')) {
      const m = /^\tbind <addr> ssl (\S+)/.exec(line);
      if (m) ssl.add(m[1]);
    }
    const names = BIND_OPTIONS.map((o) => o.name);
    suggestions = [...names.filter((n) => ssl.has(n)).sort(), ...names.filter((n) => !ssl.has(n))];
  }
  return suggestions;
}

/** How a caller reports option problems (bind lines and stats sockets differ). */
interface Reporter {
  /** an option's error text */
  error(text: string): void;
  warn(text: string): void;
  unknown(kw: string, best: string | undefined): void;
}

/**
 * Parses the options of a bind line from args[first]; returns ERR_* flags.
 * Stops at the first fatal error, as HAProxy does.
 */
export function parseBindOptions(ctx: KwContext, conf: BindConf, first: number, rep: Reporter): number {
  const args = ctx.args;
  let i = first;
  let err = 0;
  while (i < args.length && args[i] !== '') {
    const kw = args[i];
    const opt = BY_NAME.get(kw);
    if (!opt) {
      rep.unknown(kw, bestMatch(kw, bindSuggestions()));
      return err | ERR_ALERT | ERR_FATAL;
    }
    const vals = args.slice(i + 1, i + 1 + opt.skip);
    if (opt.skip && (vals[0] === undefined || vals[0] === '') && opt.missing) {
      rep.error(`'${kw}' : ${opt.missing}`);
      return ERR_ALERT | ERR_FATAL;
    }
    if (opt.skip && (vals[0] === undefined || vals[0] === '')) {
      // options whose parser reads an empty value without a "missing" message
      if (kw === 'mode') {
        rep.error(`'mode' : missing or invalid mode '' (octal integer expected)`);
        return ERR_ALERT | ERR_FATAL;
      }
      if (kw === 'process' || kw === 'thread') {
        rep.error(
          kw === 'process'
            ? `'process' : '' is not a valid number/range. It supports numbers from 1 to 1.\n`
            : `'' : '' is not a valid number/range. It supports numbers from 1 to 64.\n`,
        );
        return ERR_ALERT | ERR_FATAL;
      }
    }
    if (opt.check && vals[0] !== undefined) {
      const b: BindParse = { ctx, conf, pre: [] };
      const e = opt.check(vals[0], b);
      for (const p of b.pre) ctx.diags.alert(p, undefined, undefined, 'none');
      if (e) {
        rep.error(e);
        return err | ERR_ALERT | ERR_FATAL;
      }
    }
    if (kw === 'process' && vals[0]) {
      const slash = vals[0].indexOf('/');
      const hint = slash >= 0 ? ` Please use 'thread ${vals[0].slice(slash + 1)}' instead.` : '';
      rep.warn(`'process ${vals[0]}' on 'bind' lines is deprecated and will be removed in 2.7.${hint}`);
      err |= ERR_WARN;
    }
    if (kw === 'crt' || kw === 'crt-list') (conf.certs ??= []).push({ kind: kw, path: vals[0] });
    conf.options.set(kw, vals);
    i += 1 + opt.skip;
  }
  return err;
}

/** str2listener(): comma-separated addresses of a bind line. */
export function parseListenAddresses(ctx: KwContext, text: string): { ok: true; addrs: Address[] } | { ok: false; error: string } {
  const addrs: Address[] = [];
  for (const part of text.split(',')) {
    if (part === '') continue;
    const r = str2sa(part, {
      resolve: true,
      portOk: true,
      portMand: true,
      portRange: true,
      socketFd: true,
      stream: true,
      needProto: true,
      getenv: ctx.opts.getenv,
    });
    if (!r.ok) return { ok: false, error: r.error.replace(/\n+$/, '') };
    addrs.push(r.addr);
  }
  return { ok: true, addrs };
}

function newBind(ctx: KwContext, arg: string): BindConf {
  return { file: ctx.file, line: ctx.line, column: ctx.columns[0], addresses: [], options: new Map(), name: arg };
}

/** `bind <addr>[,...] [options]` in a proxy section. */
export function parseBind(ctx: KwContext): number {
  flushLateChecks();
  const p = ctx.proxy;
  if (!p) return 0;
  let err = 0;
  if (p.kind === 'defaults') return ctx.alert(`'bind' not allowed in 'defaults' section.`);
  if (ignoredWithoutCap(ctx, 'fe')) err |= ERR_WARN;
  const arg = ctx.args[1] ?? '';
  if (!arg) {
    return err | ctx.alert(`'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.`);
  }
  const r = parseListenAddresses(ctx, arg);
  if (!r.ok) return err | ctx.alert(`'bind' : ${r.error}`);
  const conf = newBind(ctx, arg);
  conf.addresses = r.addrs;
  p.binds.push(conf);
  const label = `'bind ${arg}' in section '${ctx.section}'`;
  err |= parseBindOptions(ctx, conf, 2, {
    error: (t) => ctx.alert(`${label} : ${t.replace(/\n+$/, '')}`),
    warn: (t) => ctx.warn(`${label} : ${t}`),
    unknown: (kw, best) =>
      ctx.alert(`${label}: unknown keyword '${kw}'${best ? `; did you mean '${best}' maybe ?` : '.'}`),
  });
  return err;
}

bindHook.parse = parseBind;

/**
 * check.ts imports every keyword module before its own body runs, so its
 * registry of post-checks is not initialised while modules load: a check is
 * registered when its keyword is first parsed (parsing starts later).
 */
const pendingChecks: Parameters<typeof registerPostCheck>[0][] = [];
export function lateRegister(c: Parameters<typeof registerPostCheck>[0]): void {
  pendingChecks.push(c);
}
/** Registers the checks queued by lateRegister; called from keyword parsers. */
export function flushLateChecks(): void {
  while (pendingChecks.length) registerPostCheck(pendingChecks.shift()!);
}

registerKeywords([{ name: 'bind', sections: ['defaults', 'frontend', 'backend', 'listen'], parse: parseBind, support: 'no' }]);

/** Post-parse: SSL binds need a certificate (HAProxy's ssl_sock_prepare_bind_conf). */
lateRegister((config: Config, diags) => {
  let err = 0;
  // HAProxy runs its checks only on a configuration that parsed without fatal errors
  if (diags.list.some((d) => d.severity === 'alert')) return 0;
  for (const p of config.proxies) {
    if (p.disabled || !isFrontend(p)) continue;
    for (const b of p.binds) {
      if (!b.options.has('ssl')) continue;
      if (b.options.has('crt') || b.options.has('crt-list') || b.options.has('generate-certificates')) continue;
      diags.alert(
        `Proxy '${p.name}': no SSL certificate specified for bind '${b.name}' at [${b.file}:${b.line}] (use 'crt').`,
        undefined,
        undefined,
        'none',
      );
      err |= ERR_ALERT | ERR_FATAL;
    }
  }
  return err;
});
