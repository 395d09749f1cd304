/**
 * The `log` keyword of proxies (the target parser is logsrv.ts, shared with
 * the global section, log-forward and peers) and the log-format family:
 * log-format, log-format-sd, error-log-format, log-tag.
 */
import { ERR_ALERT, ERR_FATAL } from '../../../parser/diagnostics.js';
import type { Directive } from '../../model.js';
import { parseLogTarget } from '../logsrv.js';
import { noteLogFormat } from './options.js';
import { PROXY_SECTIONS, registerKeywords, type KwContext } from '../../registry.js';

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
