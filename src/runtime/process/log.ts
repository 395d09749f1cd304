/**
 * The process's own messages (start, stop, reload, bind errors), through pino.
 *
 * Two kinds of records:
 * - HAProxy's own stderr lines (ALERT/WARNING/NOTICE): tests and people compare
 *   them with haproxy's, so they are always written as HAProxy writes them,
 *   `[WARNING]  (PID) : text`, whatever the output is;
 * - tshaproxy-only records (debug chatter): human-readable on a terminal, one
 *   JSON object a line otherwise.
 * TSHAPROXY_LOG_FORMAT=json turns every record into JSON (HAProxy's lines too),
 * =text every record into text. TSHAPROXY_LOG_LEVEL=debug (or -d) shows the
 * tshaproxy-only records, which are hidden by default since haproxy prints
 * nothing of the kind.
 */
import { pino, type Logger } from 'pino';
import { HAPROXY_VERSION } from '../../version.js';
import type { RuntimeLogger } from '../api.js';

export type HaLevel = 'alert' | 'warning' | 'notice';

const LABEL: Record<HaLevel, string> = {
  alert: '[ALERT]   ',
  warning: '[WARNING] ',
  notice: '[NOTICE]  ',
};
const PINO_LEVEL: Record<HaLevel, 'error' | 'warn' | 'info'> = { alert: 'error', warning: 'warn', notice: 'info' };

export type LogFormat = 'auto' | 'text' | 'json';

export interface ProcLogOptions {
  /** -q / global `quiet`: HAProxy prints nothing at all */
  quiet: boolean;
  /** shown in the "path to executable" notice */
  exe: string;
  /** show tshaproxy-only records (-d) */
  debug?: boolean;
  format?: LogFormat;
  /** true when the version notices were already printed by this process (config check output) */
  announced?: boolean;
  /** master process: HAProxy's master stays in its starting mode, so notices precede its first warning of each load */
  master?: boolean;
}

interface Rec {
  level: number;
  pid: number;
  msg: string;
  ha?: HaLevel;
  [k: string]: unknown;
}

const TEXT_LEVEL: Record<number, string> = { 10: '[TRACE]   ', 20: '[DEBUG]   ', 30: '[INFO]    ', 40: '[WARNING] ', 50: '[ERROR]   ', 60: '[FATAL]   ' };

export class ProcLog {
  readonly pino: Logger;
  /** HAProxy's MODE_STARTING: the version notices come before the first warning or alert */
  starting = true;
  private announced: boolean;
  private sink: (line: string) => void = (l) => writeStderr(l);
  private readonly format: LogFormat;
  private readonly humanExtras: boolean;

  constructor(readonly o: ProcLogOptions) {
    const env = process.env.TSHAPROXY_LOG_FORMAT;
    this.format = o.format ?? (env === 'json' || env === 'text' ? env : 'auto');
    this.humanExtras = this.format === 'text' || (this.format === 'auto' && !!process.stderr.isTTY);
    this.announced = !!o.announced;
    const level = process.env.TSHAPROXY_LOG_LEVEL ?? (o.debug ? 'debug' : 'info');
    this.pino = pino(
      { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
      { write: (s: string) => this.write(s) },
    );
  }

  /** where finished lines go (the daemon's child sends them to its parent until it is ready) */
  setSink(fn: (line: string) => void): void {
    this.sink = fn;
  }

  /** startup is over: a worker or single process no longer prints the version notices (HAProxy clears MODE_STARTING) */
  started(): void {
    if (!this.o.master) this.starting = false;
  }

  /** the master reloads: HAProxy re-executes itself, so the notices come again before the next warning */
  newLoad(announced = false): void {
    this.starting = true;
    this.announced = announced;
  }

  alert(msg: string, fields?: Record<string, unknown>): void {
    this.ha('alert', msg, fields);
  }

  warning(msg: string, fields?: Record<string, unknown>): void {
    this.ha('warning', msg, fields);
  }

  notice(msg: string, fields?: Record<string, unknown>): void {
    this.ha('notice', msg, fields);
  }

  /** tshaproxy-only message, hidden unless debugging */
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.pino.debug(fields ?? {}, msg);
  }

  /** what createRuntime() gets: the runtime's warnings are HAProxy's lines too */
  runtimeLogger(): RuntimeLogger {
    return {
      info: (m) => this.notice(m),
      warn: (m) => this.warning(m),
      error: (m) => this.alert(m),
    };
  }

  private ha(level: HaLevel, msg: string, fields?: Record<string, unknown>): void {
    if (this.o.quiet) return;
    if (level !== 'notice' && this.starting && !this.announced) {
      this.announced = true;
      this.pino.info({ ha: 'notice' }, `haproxy version is ${HAPROXY_VERSION}`);
      this.pino.info({ ha: 'notice' }, `path to executable is ${this.o.exe}`);
    }
    this.pino[PINO_LEVEL[level]]({ ...fields, ha: level }, msg);
  }

  private write(s: string): void {
    if (this.format === 'json') return this.sink(s.endsWith('\n') ? s : s + '\n');
    let r: Rec;
    try {
      r = JSON.parse(s) as Rec;
    } catch {
      return this.sink(s);
    }
    if (r.ha) return this.sink(`${LABEL[r.ha]} (${r.pid}) : ${r.msg}\n`);
    if (!this.humanExtras) return this.sink(s.endsWith('\n') ? s : s + '\n');
    const extra = Object.entries(r)
      .filter(([k]) => !['level', 'time', 'pid', 'msg', 'ha', 'hostname'].includes(k))
      .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join('');
    this.sink(`${TEXT_LEVEL[r.level] ?? '[INFO]    '} (${r.pid}) : ${r.msg}${extra}\n`);
  }
}

function writeStderr(line: string): void {
  try {
    process.stderr.write(line);
  } catch {
    /* stderr gone (closed terminal): messages are best effort */
  }
}
