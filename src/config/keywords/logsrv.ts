/**
 * The one `log` target parser, as HAProxy 2.6's parse_logsrv() reads a `log`
 * line in `global`, proxies, `log-forward` and `peers`:
 * `log <target> [len <n>] [format <fmt>] [sample <ranges>:<size>] <facility>
 * [<level> [<minlevel>]]`, `log global` and `no log`. The options come in
 * that fixed order; the target address is checked last (str2sa_range with
 * resolution, raw fd, datagram by default). Messages are HAProxy's, without
 * the "log : " prefix its callers add.
 */
import { atoiC, str2sa, type SaOptions } from '../../parser/values.js';

export const LOG_FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit',
  'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
export const LOG_FORMATS = ['local', 'rfc3164', 'rfc5424', 'priority', 'short', 'timed', 'iso', 'raw'];

export interface LogTarget {
  /** 'global': `log global` (or `no log`, which clears the list) */
  kind: 'global' | 'target';
  /** as written (`stdout`/`stderr` included) */
  address?: string;
  facility?: string;
  level?: string;
  minLevel?: string;
  format?: string;
  len?: number;
  /** the `sample` argument as written */
  sample?: string;
}

export type LogParse = { ok: true; target: LogTarget } | { ok: false; error: string };

const LOG_ADDR: SaOptions = { resolve: true, portOk: true, rawFd: true, dgram: true, stream: true, defaultDgram: true };

/** read_uint(): the digits at `p` (stops at the first other character); [value, next index] */
function readUint(s: string, p: number, end: number): [number, number] {
  let v = 0;
  while (p < end) {
    const c = s.charCodeAt(p);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    p++;
  }
  return [v, p];
}

/** The `sample <ranges>:<size>` argument; returns HAProxy's error text or undefined. */
function checkSample(v: string): string | undefined {
  const colon = v.indexOf(':');
  if (colon < 0) return 'Missing sample size';
  // HAProxy cuts the argument at the colon, so its messages quote only the ranges
  const ranges = v.slice(0, colon);
  const size = v.slice(colon + 1);
  const seen: [number, number][] = [];
  let maxHigh = 0;
  let p = 0;
  while (p !== ranges.length) {
    let end = ranges.indexOf(',', p);
    if (end < 0) end = ranges.length;
    const bad = `wrong sample range '${ranges.slice(p)}'`;
    let [low, q] = readUint(ranges, p, end);
    let high = low;
    if (!low || (q !== end && ranges[q] !== '-')) return bad;
    if (q !== end) {
      [high, q] = readUint(ranges, q + 1, end);
      if (!high || high <= low || q !== end) return bad;
    }
    for (const [l, h] of seen) if (low <= h && high >= l) return 'ranges are overlapping';
    seen.push([low, high]);
    if (high > maxHigh) maxHigh = high;
    p = end < ranges.length ? end + 1 : end;
  }
  if (!seen.length) return 'no sampling ranges given';
  const [n, q] = readUint(size, 0, size.length);
  if (!n || q !== size.length) return `wrong sample size '${size}' for sample range '${ranges}'`;
  if (n < maxHigh) return `sample size ${n} should be greater or equal to ${maxHigh} the maximum of the high ranges limits`;
  return undefined;
}

/**
 * Parses a `log` line (args[0] is `log`). `where` is 'global' in the global
 * section, where `log global` makes no sense; `kwm` is the line's `no` /
 * `default` modifier.
 */
export function parseLogTarget(
  args: string[],
  where: 'global' | 'proxy',
  kwm: 'std' | 'no' | 'default' = 'std',
  getenv?: (name: string) => string | undefined,
): LogParse {
  const fail = (error: string): LogParse => ({ ok: false, error });
  const a1 = args[1] ?? '';
  const a2 = args[2] ?? '';
  if (kwm === 'no') {
    if (a1) return fail(`'no log' does not expect arguments`);
    return { ok: true, target: { kind: 'global' } };
  }
  if (a1 && !a2 && a1 === 'global') {
    if (where === 'global') return fail(`'global' is not supported for a global syslog server`);
    return { ok: true, target: { kind: 'global' } };
  }
  if (!a1 || !a2) return fail(`expects <address> and <facility> ${where === 'global' ? '' : 'or global'} as arguments`);
  const t: LogTarget = { kind: 'target', address: a1 };
  let i = 2;
  if (args[i] === 'len') {
    const v = args[i + 1] ?? '';
    const n = atoiC(v);
    if (n < 80 || n > 65535) return fail(`invalid log length '${v}', must be between 80 and 65535`);
    t.len = n;
    i += 2;
  }
  if (args[i] === 'format') {
    const v = args[i + 1] ?? '';
    if (!LOG_FORMATS.includes(v)) return fail(`unknown log format '${v}'`);
    t.format = v;
    i += 2;
  }
  if (args[i] === 'sample') {
    const v = args[i + 1] ?? '';
    const e = checkSample(v);
    if (e) return fail(e);
    t.sample = v;
    i += 2;
  }
  const fac = args[i] ?? '';
  if (!LOG_FACILITIES.includes(fac)) return fail(`unknown log facility '${fac}'`);
  t.facility = fac;
  i++;
  if (args[i]) {
    if (!LOG_LEVELS.includes(args[i])) return fail(`unknown optional log level '${args[i]}'`);
    t.level = args[i++];
  }
  if (args[i]) {
    if (!LOG_LEVELS.includes(args[i])) return fail(`unknown optional minimum log level '${args[i]}'`);
    t.minLevel = args[i++];
  }
  if (args[i]) return fail(`cannot handle unexpected argument '${args[i]}'`);
  if (a1.startsWith('ring@')) return { ok: true, target: t };
  const addr = a1 === 'stdout' ? 'fd@1' : a1 === 'stderr' ? 'fd@2' : a1;
  const r = str2sa(addr, getenv ? { ...LOG_ADDR, getenv } : LOG_ADDR);
  if (!r.ok) return fail(r.error);
  return { ok: true, target: t };
}
