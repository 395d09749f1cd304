/**
 * The `log` keyword (proxies; the global section imports parseLogTarget) and
 * the log-format family: log-format, log-format-sd, error-log-format,
 * log-tag. parseLogTarget follows HAProxy's parse_logsrv() order: arguments
 * count, len/format/sample options, facility, levels, extra arguments, and
 * only then the address.
 */
import { readFileSync } from 'node:fs';
import { ERR_ALERT, ERR_FATAL } from '../../../parser/diagnostics.js';
import { parseAddress } from '../../../parser/values.js';
import type { Directive } from '../../model.js';
import { noteLogFormat } from './options.js';
import { PROXY_SECTIONS, registerKeywords, type KwContext } from '../../registry.js';

export const LOG_FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit',
  'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
export const LOG_FORMATS = ['local', 'rfc3164', 'rfc5424', 'priority', 'short', 'timed', 'iso', 'raw'];

export interface LogTarget {
  kind: 'global' | 'target';
  address?: string;
  facility?: string;
  level?: string;
  minLevel?: string;
  format?: string;
  len?: number;
  sample?: string;
}

export type LogParse = { ok: true; target: LogTarget } | { ok: false; error: string };

let hostsCache: Set<string> | undefined;
/** Names HAProxy's resolver would find without DNS: those of /etc/hosts (read once). */
function knownHost(name: string): boolean {
  if (!hostsCache) {
    hostsCache = new Set(['localhost']);
    try {
      for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
        const words = line.replace(/#.*/, '').trim().split(/\s+/);
        for (const w of words.slice(1)) if (w) hostsCache.add(w.toLowerCase());
      }
    } catch {
      /* no hosts file: only localhost */
    }
  }
  return hostsCache.has(name.toLowerCase());
}

/** Checks a log target address as str2sa_range() does for `log` (no port ranges, no offsets). */
export function checkLogAddress(text: string): string | undefined {
  if (text === 'stdout' || text === 'stderr') return undefined;
  if (/^ring@/.test(text)) return undefined;
  const proto = /^([a-z0-9]+)@/.exec(text);
  if (proto && !['ipv4', 'ipv6', 'unix', 'udp', 'udp4', 'udp6', 'fd', 'abns', 'uxdg', 'uxst', 'tcp', 'tcp4', 'tcp6'].includes(proto[1])) {
    return `invalid address: '${text}' in '${text}'`;
  }
  const rest = proto ? text.slice(proto[0].length) : text;
  if (proto && ['unix', 'abns', 'fd', 'uxdg', 'uxst'].includes(proto[1])) return undefined;
  if (!proto && rest.startsWith('/')) return undefined;
  // port syntax first: HAProxy reports port problems as they are met
  let host = rest;
  let port: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close > 0) {
      host = rest.slice(1, close);
      if (rest[close + 1] === ':') port = rest.slice(close + 2);
    }
  } else if (proto?.[1] === 'ipv6' || proto?.[1] === 'udp6' || proto?.[1] === 'tcp6' || (rest.match(/:/g)?.length ?? 0) > 1) {
    const colon = rest.lastIndexOf(':');
    host = rest.slice(0, colon);
    port = rest.slice(colon + 1);
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      host = rest.slice(0, colon);
      port = rest.slice(colon + 1);
    }
  }
  if (port !== undefined && port !== '') {
    if (/^[+-]\d+$/.test(port)) return `port offset not permitted here in '${text}'`;
    if (/^\d+-\d+$/.test(port)) return `port range not permitted here in '${text}'`;
    const bad = /[^0-9]/.exec(port);
    if (bad) return `invalid character '${bad[0]}' in port number '${port}' in '${text}'`;
    if (+port > 65535) return `invalid port '${port}'`;
  }
  if (host === '' || host === '*') return undefined;
  const r = parseAddress(host.includes(':') ? `[${host}]` : host, { hostnames: false, portOptional: true });
  if (r.ok) return undefined;
  if (!host.includes(':') && knownHost(host)) return undefined;
  return `invalid address: '${host}' in '${text}'`;
}

/**
 * Parses the words after `log` (args[0] is `log`). Returns HAProxy's error
 * text (without the "log : " prefix the callers add) or the target.
 */
export function parseLogTarget(args: string[], kwm: 'std' | 'no' | 'default' = 'std'): LogParse {
  const fail = (error: string): LogParse => ({ ok: false, error });
  if (kwm === 'no') {
    if (args[1] !== undefined && args[1] !== '') return fail(`'no log' does not expect arguments`);
    return { ok: true, target: { kind: 'global' } };
  }
  if (args[1] === 'global' && (args[2] === undefined || args[2] === '')) return { ok: true, target: { kind: 'global' } };
  if (!args[1] || !args[2]) return fail('expects <address> and <facility> or global as arguments');
  const t: LogTarget = { kind: 'target', address: args[1] };
  let i = 2;
  for (;;) {
    const w = args[i];
    if (w === 'len') {
      const v = args[i + 1] ?? '';
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 80 && n <= 65535)) return fail(`invalid log length '${v}', must be between 80 and 65535`);
      t.len = n;
      i += 2;
    } else if (w === 'format') {
      const v = args[i + 1] ?? '';
      if (!LOG_FORMATS.includes(v)) return fail(`unknown log format '${v}'`);
      t.format = v;
      i += 2;
    } else if (w === 'sample') {
      const v = args[i + 1] ?? '';
      const colon = v.indexOf(':');
      if (colon < 0) return fail('Missing sample size');
      const size = v.slice(colon + 1);
      if (!/^\d+$/.test(size) || +size === 0) return fail(`Invalid sample size '${size}'`);
      t.sample = v;
      i += 2;
    } else break;
  }
  const fac = args[i] ?? '';
  if (!LOG_FACILITIES.includes(fac)) return fail(`unknown log facility '${fac}'`);
  t.facility = fac;
  if (args[i + 1]) {
    if (!LOG_LEVELS.includes(args[i + 1])) return fail(`unknown optional log level '${args[i + 1]}'`);
    t.level = args[i + 1];
    if (args[i + 2]) {
      if (!LOG_LEVELS.includes(args[i + 2])) return fail(`unknown optional minimum log level '${args[i + 2]}'`);
      t.minLevel = args[i + 2];
      if (args[i + 3]) return fail(`cannot handle unexpected argument '${args[i + 3]}'`);
    }
  }
  if (args[1] !== 'global') {
    const e = checkLogAddress(args[1]);
    if (e) return fail(e);
  }
  return { ok: true, target: t };
}

function directive(ctx: KwContext, words = 1): Directive {
  return { keyword: ctx.args.slice(0, words).join(' '), args: ctx.args.slice(words), file: ctx.file, line: ctx.line, column: ctx.columns[0] };
}

/** `log-format`-like keywords: exactly one argument. */
function oneFormat(name: string) {
  return (ctx: KwContext): number => {
    if (!ctx.args[1]) return ctx.alert(`${name} expects an argument.`);
    if (ctx.args[2] !== undefined) return ctx.alert(`${name} expects only one argument, don't forget to escape spaces!`);
    ctx.proxy?.directives.push(directive(ctx));
    return name === 'log-format' ? noteLogFormat(ctx, 'log-format') : 0;
  };
}

registerKeywords([
  {
    name: 'log',
    sections: PROXY_SECTIONS,
    support: 'no',
    parse(ctx) {
      const r = parseLogTarget(ctx.args, ctx.kwm);
      if (!r.ok) return ctx.alert(`log : ${r.error}`);
      const p = ctx.proxy;
      if (!p) return 0;
      if (ctx.kwm === 'no') p.logs = [];
      else p.logs.push(directive(ctx));
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
