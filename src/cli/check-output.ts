/**
 * Prints a check result the way `haproxy -c` does: diagnostics on stderr in
 * HAProxy's format (the version notices come just before the first warning
 * or alert), closing lines on stdout. Quiet mode prints nothing, as HAProxy's.
 */
import { renderLine, type Diagnostic } from '../parser/diagnostics.js';
import { HAPROXY_VERSION } from '../version.js';
import type { CheckResult } from '../config/check.js';

export interface OutputOptions {
  quiet: boolean;
  pid: number;
  exe: string;
}

export function renderCheck(res: CheckResult, o: OutputOptions): { stderr: string; stdout: string } {
  const err: string[] = [];
  let announced = false;
  const show = (d: Diagnostic) => {
    // -q (or `quiet` in the global section, from its line on) silences every message, alerts included
    if (o.quiet || d.muted) return;
    if (d.severity === 'diag') return;
    if (!announced && (d.severity === 'warning' || d.severity === 'alert')) {
      announced = true;
      if (!o.quiet) {
        err.push(renderLine({ severity: 'notice', message: `haproxy version is ${HAPROXY_VERSION}`, style: 'none' }, o.pid, ''));
        err.push(renderLine({ severity: 'notice', message: `path to executable is ${o.exe}`, style: 'none' }, o.pid, ''));
      }
    }
    err.push(renderLine(d, o.pid));
  };
  for (const d of res.diags.list) show(d);
  const out = o.quiet ? [] : res.stdout;
  return {
    stderr: err.length ? err.join('\n') + '\n' : '',
    stdout: out.length ? out.join('\n') + '\n' : '',
  };
}
