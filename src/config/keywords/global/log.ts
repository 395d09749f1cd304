/**
 * The `log` target parser HAProxy 2.6 shares between `global`, proxies and
 * `log-forward` (parse_logsrv): `log <target> [len <n>] [format <fmt>]
 * [sample <ranges>:<size>] <facility> [<level> [<minlevel>]]`, `log global`
 * and `no log`. Messages are prefixed with "log : " by the callers, as
 * HAProxy does. Also the global-only `log-send-hostname`.
 */
import { parseAddress, resolvesLocally } from '../../../parser/values.js';
import { registerKeywords, type KwContext } from '../../registry.js';
import { keep } from '../generic.js';

export const LOG_FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit',
  'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
export const LOG_FORMATS = ['local', 'rfc3164', 'rfc5424', 'priority', 'short', 'timed', 'iso', 'raw'];

export interface LogTargetResult {
  ok: boolean;
  /** HAProxy's error text, without the "log : " prefix */
  error?: string;
  /** `log global` */
  global?: boolean;
}

/**
 * Checks the words of a `log` line (args[0] is "log"). `where` is 'global' in
 * the global section (where `log global` is refused), otherwise 'proxy'.
 */
export function parseLogTarget(args: string[], where: 'global' | 'proxy', kwm: 'std' | 'no' | 'default' = 'std'): LogTargetResult {
  if (kwm === 'no') return { ok: true };
  if (args[1] === 'global') {
    if (where === 'global') return { ok: false, error: `'global' is not supported for a global syslog server` };
    return { ok: true, global: true };
  }
  if (args[1] === undefined || args[2] === undefined) return { ok: false, error: 'expects <address> and <facility>  as arguments' };
  const target = args[1];
  let cur = 2;
  // optional settings
  for (;;) {
    const w = args[cur];
    if (w === 'len') {
      const v = args[cur + 1] ?? '';
      const n = /^\d+/.test(v) ? parseInt(v, 10) : 0;
      if (n < 80 || n > 65535) return { ok: false, error: `invalid log length '${v}', must be between 80 and 65535` };
      cur += 2;
    } else if (w === 'format') {
      const v = args[cur + 1] ?? '';
      if (!LOG_FORMATS.includes(v)) return { ok: false, error: `unknown log format '${v}'` };
      cur += 2;
    } else if (w === 'sample') {
      const v = args[cur + 1] ?? '';
      const colon = v.lastIndexOf(':');
      if (colon < 0) return { ok: false, error: `missing sample size` };
      cur += 2;
    } else break;
  }
  const fac = args[cur];
  if (fac === undefined) return { ok: false, error: 'expects <address> and <facility>  as arguments' };
  if (!LOG_FACILITIES.includes(fac)) return { ok: false, error: `unknown log facility '${fac}'` };
  const lvl = args[cur + 1];
  if (lvl !== undefined) {
    if (!LOG_LEVELS.includes(lvl)) return { ok: false, error: `unknown optional log level '${lvl}'` };
    const min = args[cur + 2];
    if (min !== undefined) {
      if (!LOG_LEVELS.includes(min)) return { ok: false, error: `unknown optional minimum log level '${min}'` };
      if (args[cur + 3] !== undefined) return { ok: false, error: `cannot handle unexpected argument '${args[cur + 3]}'` };
    }
  }
  // the target itself
  if (target === 'stdout' || target === 'stderr') return { ok: true };
  if (target.startsWith('ring@')) return { ok: true };
  if (target.startsWith('/')) return { ok: true };
  return checkHostAddress(target);
}

/** An address HAProxy resolves at parse time (log targets, mailers): host names must be known locally. */
export function checkHostAddress(target: string): LogTargetResult {
  const a = parseAddress(target, { portOptional: true, hostnames: true });
  if (!a.ok) {
    if (a.error.startsWith('unknown address family')) return { ok: false, error: `invalid address: '${target}' in '${target}'` };
    return { ok: false, error: a.error };
  }
  if (a.addr.family === 'host' && !resolvesLocally(a.addr.host)) {
    return { ok: false, error: `invalid address: '${a.addr.host}' in '${target}'` };
  }
  return { ok: true };
}

function globalLog(ctx: KwContext): number {
  const r = parseLogTarget(ctx.args, 'global', ctx.kwm);
  if (!r.ok) return ctx.alert(`${ctx.args[0]} : ${r.error}`);
  keep(ctx);
  return 0;
}

registerKeywords([
  { name: 'log', sections: ['global'], parse: globalLog, support: 'no' },
  {
    name: 'log-send-hostname',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      const g = ctx.config.global;
      if (g.seen.has('log-send-hostname')) {
        ctx.diags.alert(`'${ctx.args[0]}' already specified. Continuing.`, ctx.file, ctx.line, 'parsing');
        return 0;
      }
      g.seen.set('log-send-hostname', ctx.pos());
      keep(ctx);
      return 0;
    },
  },
]);
