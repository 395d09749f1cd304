/**
 * One diagnostic type for every pass (lexing, parsing, resolving, checking).
 *
 * HAProxy prints each message as `[LEVEL]   (PID) : config : <text>`, and the
 * text itself carries the position in one of a few shapes that differ between
 * its parsers ("parsing [f:l] : ...", "parsing [f:l]: ...", "[f:l] : ...",
 * "Parsing [f:l]: ..."). We keep the structured position (file, line, column)
 * for programs, and the shape so the rendered line is HAProxy's own.
 */

export type Severity = 'alert' | 'warning' | 'notice' | 'diag';

/** How the position is written in front of the message, as HAProxy's various parsers do. */
export type PosStyle =
  | 'parsing' // parsing [f:l] : msg
  | 'parsing-tight' // parsing [f:l]: msg
  | 'Parsing-tight' // Parsing [f:l]: msg
  | 'bracket' // [f:l] : msg
  | 'none'; // msg (file/line may still be known to programs)

export interface Diagnostic {
  severity: Severity;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  style: PosStyle;
  /** Not part of HAProxy's output: set on diagnostics that only tshaproxy gives. */
  origin?: 'tshaproxy';
  /** counted but not printed: the configuration said `quiet` before it (HAProxy's MODE_QUIET) */
  muted?: boolean;
}

/** Error flags, with the meaning HAProxy gives them. */
export const ERR_NONE = 0;
export const ERR_WARN = 1;
export const ERR_ALERT = 2;
export const ERR_FATAL = 4;
export const ERR_ABORT = 8;

export function renderText(d: Diagnostic): string {
  if (d.file === undefined || d.style === 'none') return d.message;
  const pos = `[${d.file}:${d.line ?? 0}]`;
  switch (d.style) {
    case 'parsing':
      return `parsing ${pos} : ${d.message}`;
    case 'parsing-tight':
      return `parsing ${pos}: ${d.message}`;
    case 'Parsing-tight':
      return `Parsing ${pos}: ${d.message}`;
    case 'bracket':
      return `${pos} : ${d.message}`;
  }
}

const LABEL: Record<Severity, string> = {
  alert: '[ALERT]   ',
  warning: '[WARNING] ',
  notice: '[NOTICE]  ',
  diag: '[DIAG]    ',
};

/** Renders a diagnostic the way HAProxy prints it on stderr. */
export function renderLine(d: Diagnostic, pid: number | string, context = 'config'): string {
  const text = renderText(d);
  const ctx = context ? `${context} : ` : '';
  // messages are printed verbatim: continuation lines carry their own "   | " when HAProxy's do,
  // and a message ending in a newline leaves an empty line after it
  return `${LABEL[d.severity]} (${pid}) : ${ctx}${text}`;
}

/**
 * Collects diagnostics for a pass and keeps the error flags that decide the exit code.
 * `at(file, line)` gives a small helper bound to a position.
 */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  flags = 0;
  /** set by the global `quiet` keyword: what follows is not printed */
  muted = false;

  add(d: Diagnostic): void {
    if (this.muted) d.muted = true;
    this.list.push(d);
    if (d.severity === 'alert') this.flags |= ERR_ALERT;
    if (d.severity === 'warning') this.flags |= ERR_WARN;
  }

  alert(message: string, file?: string, line?: number, style: PosStyle = 'parsing', column?: number): void {
    this.add({ severity: 'alert', message, file, line, column, style });
  }

  warning(message: string, file?: string, line?: number, style: PosStyle = 'parsing', column?: number): void {
    this.add({ severity: 'warning', message, file, line, column, style });
  }

  notice(message: string, file?: string, line?: number, style: PosStyle = 'parsing'): void {
    this.add({ severity: 'notice', message, file, line, style });
  }

  /** A warning that only tshaproxy gives (legacy keyword accepted, keyword not honoured yet...). */
  own(severity: Severity, message: string, file?: string, line?: number, style: PosStyle = 'parsing'): void {
    this.add({ severity, message, file, line, style, origin: 'tshaproxy' });
  }

  get alerts(): Diagnostic[] {
    return this.list.filter((d) => d.severity === 'alert');
  }
  get warnings(): Diagnostic[] {
    return this.list.filter((d) => d.severity === 'warning');
  }
}
