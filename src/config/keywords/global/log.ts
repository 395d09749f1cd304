/**
 * `log` in the global section (the target parser is logsrv.ts, shared with
 * proxies, log-forward and peers), the global-only `log-send-hostname`, and
 * the parse-time address check of mailers.
 */
import { parseAddress, resolvesLocally } from '../../../parser/values.js';
import { parseLogTarget } from '../logsrv.js';
import { registerKeywords, type KwContext } from '../../registry.js';
import { keep } from '../generic.js';
import { noteLogTarget } from '../proxy/log.js';

/** What checkHostAddress says. */
export interface LogTargetResult {
  ok: boolean;
  error?: string;
}

/** An address HAProxy resolves at parse time (mailers): host names must be known locally. */
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
  const r = parseLogTarget(ctx.args, 'global', ctx.kwm, ctx.opts.getenv);
  if (!r.ok) return ctx.alert(`${ctx.args[0]} : ${r.error}`);
  const g = ctx.config.global;
  if (ctx.kwm === 'no') g.logs = [];
  else g.logs.push(keep(ctx));
  noteLogTarget(ctx);
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
