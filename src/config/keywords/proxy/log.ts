/**
 * The `log` keyword of proxies (the target parser is logsrv.ts, shared with
 * the global section, log-forward and peers) and the log-format family:
 * log-format, log-format-sd, error-log-format, log-tag.
 */
import { ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import type { Config, Directive, Pos, Proxy } from '../../model.js';
import { parseLogTarget } from '../logsrv.js';
import { noteLogFormat } from './options.js';
import { PROXY_SECTIONS, registerKeywords, type KwContext } from '../../registry.js';
import { registerProxyCheck, Stage } from '../../postchecks.js';
import { isFrontend, proxyTypeStr } from './section.js';

export { LOG_FACILITIES, LOG_FORMATS, LOG_LEVELS } from '../logsrv.js';

/**
 * What tshaproxy cannot do with a log target HAProxy accepts (Node has no
 * unix datagram sockets; rings and stream targets need a ring buffer), or
 * undefined when the target works. Shown as a note in -c output.
 */
export function logTargetNote(target: string): string | undefined {
  if (target.startsWith('ring@')) return `log target '${target}': ring buffers are not available in tshaproxy; nothing is sent there.`;
  const t = target.replace(/^(dgram\+)/, '');
  if (/^(unix@|abns@|uxdg@|\/)/.test(t)) {
    return `log target '${target}': Node.js has no unix datagram sockets, so these logs are not sent (use a UDP address, stdout or stderr).`;
  }
  if (/^(stream\+|tcp@|tcp4@|tcp6@|uxst@)/.test(target)) return `log target '${target}': stream targets need a ring, which tshaproxy does not have; nothing is sent there.`;
  return undefined;
}

/** Adds the -c note for a target tshaproxy cannot reach. */
export function noteLogTarget(ctx: KwContext): void {
  if (!ctx.opts.supportWarnings || ctx.kwm === 'no' || !ctx.args[2]) return;
  const n = logTargetNote(ctx.args[1]);
  if (n) ctx.note(n);
}

function directive(ctx: KwContext, words = 1): Directive {
  return { keyword: ctx.args.slice(0, words).join(' '), args: ctx.args.slice(words), file: ctx.file, line: ctx.line, column: ctx.columns[0] };
}

/*
 * HAProxy keeps one log format per proxy (conf.logformat_string): the last of
 * `option httplog|httpslog|tcplog` and `log-format`, else, for a proxy with a
 * frontend side, its defaults section's. It also keeps the position of the
 * last line that set a log-format string (conf.lfs_file/line), which its
 * post-parse warnings quote. These are recorded while parsing.
 */

/** The formats `option httplog`... stand for, or 'custom' for `log-format <text>`. */
export type LogFormatKind = 'httplog' | 'httplog clf' | 'httpslog' | 'tcplog' | 'custom';

const ownFormat = new WeakMap<Proxy, { kind: LogFormatKind; text: string }>();
const ownSdFormat = new WeakMap<Proxy, string>();
const ownLfsPos = new WeakMap<Proxy, Pos>();

/** Records that the current line set a log-format string (HAProxy's lfs_file/lfs_line). */
export function noteLogFormatLine(ctx: KwContext): void {
  if (ctx.proxy) ownLfsPos.set(ctx.proxy, { file: ctx.file, line: ctx.line });
}

/**
 * The `redirect` keyword records a stale position (the last one any rule
 * parser left behind); tshaproxy does not follow it, so the warnings quoting
 * it are left out rather than given a wrong line.
 */
export function noteLogFormatLineUnknown(ctx: KwContext): void {
  if (ctx.proxy) ownLfsPos.set(ctx.proxy, { file: '', line: 0 });
}

/*
 * HAProxy's http_needed and to_log flags, as parsing sets them: a condition
 * or a log-format sample reading HTTP marks the proxy as needing HTTP; from
 * then on every log-format sample parsed for it (and any %ST or %rt) makes its
 * log "HTTP", which a tcp proxy cannot produce.
 */
const httpNeeded = new WeakSet<Proxy>();
const httpLogged = new WeakSet<Proxy>();

/** A condition or sample expression of `p` reads HTTP. */
export function noteHttpNeeded(p: Proxy): void {
  httpNeeded.add(p);
}

/** A log-format string parsed for `p`: whether each %[sample] reads HTTP, in order, and whether it uses %ST or %rt. */
export function noteParsedLogFormat(p: Proxy, samplesReadHttp: boolean[], statusOrCounter: boolean): void {
  for (const http of samplesReadHttp) {
    if (http) httpNeeded.add(p);
    if (httpNeeded.has(p)) httpLogged.add(p);
  }
  if (statusOrCounter) httpLogged.add(p);
}

/** Records the proxy's log format, set by the current line. */
export function setLogFormat(ctx: KwContext, kind: LogFormatKind, text = ''): void {
  if (!ctx.proxy) return;
  ownFormat.set(ctx.proxy, { kind, text });
  noteLogFormatLine(ctx);
}

// only a proxy with a frontend side takes these from its defaults section
function inherited<T>(m: WeakMap<Proxy, T>, p: Proxy): T | undefined {
  for (let q: Proxy | undefined = p; q; q = isFrontend(q) ? q.defaultsProxy : undefined) {
    const v = m.get(q);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** The log format in force for `p`, as HAProxy holds it after parsing. */
export function logFormatOf(p: Proxy): { kind: LogFormatKind; text: string } | undefined {
  return inherited(ownFormat, p);
}

/** The position HAProxy quotes for the log format of `p`. */
export function logFormatLine(p: Proxy): Pos | undefined {
  return inherited(ownLfsPos, p);
}

/** True when `log` lines give the proxy somewhere to send logs (`log global` counts the global ones). */
function hasLogTarget(p: Proxy, config: Config): boolean {
  return p.logs.some((d) => !(d.args[0] === 'global' && d.args.length === 1) || config.global.logs.length > 0);
}

/** proxy_cfg_ensure_no_http(): log lines made of HTTP parts cannot be produced by a tcp proxy. */
registerProxyCheck(Stage.ensureNoHttp + 0.4, (p, _config, diags) => {
  const pos = ownLfsPos.get(p);
  if (p.mode !== 'tcp' || !httpLogged.has(p) || !pos?.file) return 0;
  diags.warning(`parsing [${pos.file}:${pos.line}] : HTTP log/header format not usable with ${proxyTypeStr(p)} '${p.name}' (needs 'mode http').`, undefined, undefined, 'none');
  return ERR_WARN;
});

/** proxy_cfg_ensure_no_http(): an HTTP log format in a tcp proxy falls back to the tcp one. */
registerProxyCheck(Stage.ensureNoHttp + 0.5, (p, _config, diags) => {
  if (p.mode !== 'tcp') return 0;
  const f = logFormatOf(p);
  if (!f || (f.kind !== 'httplog' && f.kind !== 'httplog clf' && f.kind !== 'httpslog')) return 0;
  const pos = logFormatLine(p);
  if (!pos?.file) return 0;
  // the format in force becomes the tcp one (HAProxy keeps the quoted line)
  ownFormat.set(p, { kind: 'tcplog', text: '' });
  const said = f.kind === 'httpslog' ? 'option httpslog' : 'option httplog';
  diags.warning(
    `parsing [${pos.file}:${pos.line}] : '${said}' not usable with ${proxyTypeStr(p)} '${p.name}' (needs 'mode http'). Falling back to 'option tcplog'.`,
    undefined,
    undefined,
    'none',
  );
  return ERR_WARN;
});

/** A frontend with a log format but nowhere to send logs. */
registerProxyCheck(Stage.logAddress, (p, config, diags) => {
  if ((p.mode !== 'tcp' && p.mode !== 'http') || !isFrontend(p) || hasLogTarget(p, config)) return 0;
  const f = logFormatOf(p);
  const sd = inherited(ownSdFormat, p);
  if (!(f && (f.kind !== 'custom' || f.text !== '')) && !sd) return 0;
  diags.warning(`log format ignored for ${proxyTypeStr(p)} '${p.name}' since it has no log address.`, undefined, undefined, 'none');
  return ERR_WARN;
});

/** `log-format`-like keywords: exactly one argument. */
function oneFormat(name: string) {
  return (ctx: KwContext): number => {
    if (!ctx.args[1]) return ctx.alert(`${name} expects an argument.`);
    if (ctx.args[2] !== undefined) return ctx.alert(`${name} expects only one argument, don't forget to escape spaces!`);
    ctx.proxy?.directives.push(directive(ctx));
    if (name === 'log-format') {
      setLogFormat(ctx, 'custom', ctx.args[1]);
      return noteLogFormat(ctx, 'log-format');
    }
    if (name === 'log-format-sd' && ctx.proxy) ownSdFormat.set(ctx.proxy, ctx.args[1]);
    return 0;
  };
}

registerKeywords([
  {
    name: 'log',
    sections: PROXY_SECTIONS,
    support: 'no',
    parse(ctx) {
      const r = parseLogTarget(ctx.args, 'proxy', ctx.kwm, ctx.opts.getenv);
      if (!r.ok) return ctx.alert(`log : ${r.error}`);
      const p = ctx.proxy;
      if (!p) return 0;
      if (ctx.kwm === 'no') p.logs = [];
      else p.logs.push(directive(ctx));
      noteLogTarget(ctx);
      return 0;
    },
  },
  { name: 'log-format', sections: PROXY_SECTIONS, support: 'no', parse: oneFormat('log-format') },
  { name: 'log-format-sd', sections: PROXY_SECTIONS, support: 'no', parse: oneFormat('log-format-sd') },
  { name: 'error-log-format', sections: PROXY_SECTIONS, support: 'no', parse: oneFormat('error-log-format') },
  {
    name: 'log-tag',
    sections: PROXY_SECTIONS,
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1]) return ctx.alert(`'log-tag' expects a tag for use in syslog.`);
      ctx.proxy?.directives.push(directive(ctx));
      return 0;
    },
  },
]);

export const _errFlags = ERR_ALERT | ERR_FATAL;
