/**
 * Log targets as HAProxy 2.6 runs them: a `log` line becomes a LogTarget
 * (address, max length, header format, sampling, facility, level range), and
 * a message becomes one datagram (or one line on stdout/stderr) made of the
 * syslog header of the target's format, the message cut to `len`, and '\n'.
 *
 * Header formats, byte for byte (see captures/logs/variant_*):
 *   (default) <PRI>Mmm dd hh:mm:ss [host ]tag[pid]: msg   (host only with log-send-hostname)
 *   local     <PRI>Mmm dd hh:mm:ss tag[pid]: msg
 *   rfc3164   <PRI>Mmm dd hh:mm:ss host tag[pid]: msg     (host "localhost" when none is set)
 *   rfc5424   <PRI>1 ISO-TIME host|- tag pid - SD msg
 *   priority  <PRI>msg      short <LEVEL>msg      timed <LEVEL>ISO-TIME msg
 *   iso       ISO-TIME msg  raw   msg
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns';
import { writeSync } from 'node:fs';
import net from 'node:net';
import { str2sa } from '../../parser/values.js';

export const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit',
  'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
export const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

export const LOG_EMERG = 0;
export const LOG_ALERT = 1;
export const LOG_ERR = 3;
export const LOG_WARNING = 4;
export const LOG_NOTICE = 5;
export const LOG_INFO = 6;

/** 'unspec' is HAProxy's LOG_FORMAT_UNSPEC: local, or rfc3164 once a hostname is set */
export type HeaderFormat = 'unspec' | 'local' | 'rfc3164' | 'rfc5424' | 'priority' | 'short' | 'timed' | 'iso' | 'raw';

/** Where a target's bytes go. */
export type TargetKind =
  | { kind: 'udp'; host: string; port: number; family: 4 | 6 }
  | { kind: 'fd'; fd: number }
  | { kind: 'unix'; path: string }
  | { kind: 'ring'; name: string };

/** What every message of one process shares in its header. */
export interface HeaderMeta {
  /** log-tag of the proxy, else of the global section, else "haproxy" */
  tag: string;
  /** log-send-hostname, or '' */
  host: string;
  pid: string;
}

export class LogTarget {
  /** maximum datagram size before the final '\n' (`len`, default 1024) */
  maxlen = 1024;
  format: HeaderFormat = 'unspec';
  facility = 16;
  /** messages above this level are not sent */
  level = 7;
  /** messages are sent with at least this level number */
  minLevel = 0;
  /** `sample` ranges (1-based, inclusive) over a period of `smpSize` messages */
  smpRanges: [number, number][] | null = null;
  smpSize = 0;
  private smpIdx = 0;
  /** resolved destination, undefined while a name is being resolved */
  private addr?: string;
  private waiting?: Buffer[];

  constructor(
    readonly to: TargetKind,
    /** the line as written, for messages */
    readonly text: string,
  ) {}

  /** true when this message is in the sampled ranges (advances the sampling state) */
  sampled(): boolean {
    const rg = this.smpRanges;
    if (!rg) return true;
    const pos = (this.smpIdx % this.smpSize) + 1;
    this.smpIdx = (this.smpIdx + 1) % this.smpSize;
    for (const [lo, hi] of rg) if (pos >= lo && pos <= hi) return true;
    return false;
  }

  /** Sends `msg` (no trailing newline) at `level`; `sd` is the RFC5424 structured data ("-" when none). */
  send(level: number, msg: string, meta: HeaderMeta, sd = '-'): void {
    if (level > this.level) return;
    if (!this.sampled()) return;
    const lvl = Math.max(level, this.minLevel);
    const to = this.to;
    if (to.kind === 'unix' || to.kind === 'ring') return; // not available in Node (a -c note says so)
    let line = buildHeader(this.format, this.facility, lvl, meta, sd) + msg;
    if (line.length > this.maxlen) line = line.slice(0, this.maxlen);
    const buf = Buffer.from(line + '\n', 'latin1');
    if (to.kind === 'fd') {
      try {
        writeSync(to.fd, buf);
      } catch {
        /* HAProxy drops what cannot be written at once */
      }
      return;
    }
    this.sendUdp(buf, to);
  }

  private sendUdp(buf: Buffer, to: { host: string; port: number; family: 4 | 6 }): void {
    if (this.addr === undefined) {
      if (net.isIP(to.host)) this.addr = to.host;
      else {
        // a name: resolved once, datagrams wait meanwhile
        if (this.waiting) {
          if (this.waiting.length < 256) this.waiting.push(buf);
          return;
        }
        this.waiting = [buf];
        // an IPv4 address first, as HAProxy's resolution at parse time prefers it
        const done = (err: Error | null, address: string, fam: number) => {
          const q = this.waiting ?? [];
          this.waiting = undefined;
          if (err) return;
          this.addr = address;
          for (const b of q) udpSocket(fam === 6 ? 6 : 4).send(b, to.port, address, noop);
        };
        lookup(to.host, { family: to.family === 6 ? 6 : 4 }, (err, address, fam) => {
          if (err && to.family !== 6) lookup(to.host, { family: 6 }, done);
          else done(err, address, fam);
        });
        return;
      }
    }
    udpSocket(net.isIPv6(this.addr) ? 6 : 4).send(buf, to.port, this.addr, noop);
  }
}

function noop(): void {}

// one unconnected socket per family for every target, as HAProxy's logfdinet
const sockets: (dgram.Socket | undefined)[] = [];

function udpSocket(f: 4 | 6): dgram.Socket {
  let s = sockets[f];
  if (!s) {
    s = dgram.createSocket(f === 6 ? 'udp6' : 'udp4');
    s.on('error', noop);
    s.unref();
    sockets[f] = s;
  }
  return s;
}

/** Closes the shared sockets (tests, process end). */
export function closeLogSockets(): void {
  for (const f of [4, 6]) {
    sockets[f]?.close();
    sockets[f] = undefined;
  }
}

// ---------------------------------------------------------------------------
// headers

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => (n < 10 ? '0' + n : String(n));

let legacySec = -1;
let legacyText = '';

/** "Mmm dd hh:mm:ss " in local time, rebuilt once a second */
function legacyTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== legacySec) {
    const d = new Date(sec * 1000);
    const day = d.getDate();
    legacyText = `${MONTHS[d.getMonth()]} ${day < 10 ? ' ' + day : day} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} `;
    legacySec = sec;
  }
  return legacyText;
}

/** "2026-11-21T15:47:41.706234+00:00": local time with microseconds and the UTC offset */
export function isoTime(msFrac: number): string {
  const usTotal = Math.round(msFrac * 1000);
  const us = usTotal % 1000000;
  const d = new Date((usTotal - us) / 1000);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return (
    `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}` +
    `.${String(us).padStart(6, '0')}${sign}${p2(Math.floor(a / 60))}:${p2(a % 60)}`
  );
}

let clock: (() => number) | null = null;

/** Replaces the header clock (ms since the epoch, with a fraction) for tests; null restores it. */
export function setLogClock(fn: (() => number) | null): void {
  clock = fn;
  legacySec = -1;
}

/** wall clock in ms with a sub-millisecond fraction */
function preciseNow(): number {
  return clock ? clock() : performance.timeOrigin + performance.now();
}

export function buildHeader(format: HeaderFormat, facility: number, level: number, meta: HeaderMeta, sd: string): string {
  let f = format;
  if (f === 'unspec') f = meta.host ? 'rfc3164' : 'local';
  switch (f) {
    case 'local':
    case 'rfc3164': {
      let h = `<${facility * 8 + level}>${legacyTime(clock ? clock() : Date.now())}`;
      if (f === 'rfc3164') h += (meta.host || 'localhost') + ' ';
      if (meta.tag) h += `${meta.tag}${meta.pid ? `[${meta.pid}]` : ''}: `;
      return h;
    }
    case 'rfc5424':
      return `<${facility * 8 + level}>1 ${isoTime(preciseNow())} ${meta.host || '-'} ${meta.tag || '-'} ${meta.pid || '-'} - ${sd || '-'} `;
    case 'priority':
      return `<${facility * 8 + level}>`;
    case 'short':
      return `<${level}>`;
    case 'timed':
      return `<${level}>${isoTime(preciseNow())} `;
    case 'iso':
      return `${isoTime(preciseNow())} `;
    default:
      return '';
  }
}

// ---------------------------------------------------------------------------
// parsing a `log` line (already validated by the configuration check)

export interface TargetProblem {
  /** why the target cannot be honoured (for the -c note) */
  note: string;
}

/**
 * Builds a target from the words after `log` (`<address> [len N] [format F]
 * [sample R:S] <facility> [level [minlevel]]`). Returns a problem instead
 * for targets Node cannot reach (unix datagram sockets, rings).
 */
export function parseTarget(args: string[], getenv?: (n: string) => string | undefined): LogTarget | TargetProblem {
  const a0 = args[0] ?? '';
  let i = 1;
  let maxlen = 1024;
  let format: HeaderFormat = 'unspec';
  let ranges: [number, number][] | null = null;
  let smpSize = 0;
  if (args[i] === 'len') {
    maxlen = Number(args[i + 1]) || 1024;
    i += 2;
  }
  if (args[i] === 'format') {
    format = args[i + 1] as HeaderFormat;
    i += 2;
  }
  if (args[i] === 'sample') {
    const v = args[i + 1] ?? '';
    const [rs, size] = v.split(':');
    ranges = rs.split(',').map((r) => {
      const [lo, hi] = r.split('-');
      return [Number(lo), Number(hi ?? lo)] as [number, number];
    });
    smpSize = Number(size);
    i += 2;
  }
  const facility = Math.max(0, FACILITIES.indexOf(args[i++] ?? 'local0'));
  const level = args[i] ? LEVELS.indexOf(args[i++]) : 7;
  const minLevel = args[i] ? LEVELS.indexOf(args[i++]) : 0;
  let to: TargetKind;
  if (a0.startsWith('ring@')) return { note: `log target '${a0}': ring buffers are not available in tshaproxy; nothing is sent there.` };
  const text = a0 === 'stdout' ? 'fd@1' : a0 === 'stderr' ? 'fd@2' : a0;
  const r = str2sa(text, { resolve: true, portOk: true, rawFd: true, dgram: true, stream: true, defaultDgram: true, getenv });
  if (!r.ok) return { note: `log target '${a0}': ${r.error.trim()}` };
  const addr = r.addr;
  if (addr.family === 'fd') {
    to = { kind: 'fd', fd: Number(addr.host.replace(/^fd@/, '')) };
  } else if (addr.family === 'unix' || addr.family === 'abns') {
    return {
      note: `log target '${a0}': Node.js has no unix datagram sockets, so logs to '${addr.host}' are not sent (use a UDP address or stdout/stderr).`,
    };
  } else if (addr.family !== 'udp') {
    return { note: `log target '${a0}': stream log targets need a ring, which tshaproxy does not have; nothing is sent there.` };
  } else {
    const host = addr.host.replace(/^\[(.*)\]$/, '$1');
    to = { kind: 'udp', host, port: addr.port || 514, family: net.isIPv6(host) ? 6 : 4 };
  }
  const t = new LogTarget(to, args.join(' '));
  t.maxlen = maxlen;
  t.format = format;
  t.facility = facility;
  t.level = level < 0 ? 7 : level;
  t.minLevel = minLevel < 0 ? 0 : minLevel;
  if (ranges && smpSize > 0) {
    t.smpRanges = ranges;
    t.smpSize = smpSize;
  }
  return t;
}
