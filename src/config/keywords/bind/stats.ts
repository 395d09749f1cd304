/**
 * The global `stats` keywords: `stats socket` (a bind line of the CLI
 * frontend, so it counts as a listener), `stats timeout`, `stats maxconn`,
 * `stats bind-process`, with HAProxy 2.6's messages.
 */
import { ERR_ALERT, ERR_FATAL } from '../../../parser/diagnostics.js';
import { parseTime } from '../../../parser/values.js';
import { family, registerKeywords, type KwContext } from '../../registry.js';
import type { BindConf, Directive } from '../../model.js';
import { parseBindOptions, parseListenAddresses } from './bind.js';

/** Stats sockets as parsed binds, beside config.global.statsSockets (their directives). */
export const statsSocketBinds = new WeakMap<Directive, BindConf>();

function directive(ctx: KwContext): Directive {
  return { keyword: 'stats socket', args: ctx.args.slice(2), file: ctx.file, line: ctx.line, column: ctx.columns[0] };
}

function statsSocket(ctx: KwContext): number {
  const a = ctx.args;
  const head = `'${a[0]} ${a[1]}'`;
  if (!a[2]) return ctx.alert(`${head} in global section expects an address or a path to a UNIX socket`);
  const r = parseListenAddresses(ctx, a[2]);
  if (!r.ok) {
    ctx.diags.alert(`parsing [${ctx.file}:${ctx.line}] : ${head} : ${r.error}\n`, ctx.file, ctx.line, 'parsing', ctx.columns[0]);
    return ERR_ALERT | ERR_FATAL;
  }
  const conf: BindConf = { file: ctx.file, line: ctx.line, column: ctx.columns[0], addresses: r.addrs, options: new Map(), name: a[2] };
  const d = directive(ctx);
  const err = parseBindOptions(ctx, conf, 3, {
    error: (t) => ctx.alert(`${head} : '${t}'`),
    warn: (t) => ctx.warn(`${head} : ${t}`),
    unknown: (kw, best) => ctx.alert(`${head} : unknown keyword '${kw}'.${best ? ` Did you mean '${best}' maybe ?` : ''}`.replace(/\.( Did)/, '.$1')),
  });
  if (err & ERR_FATAL) return err;
  ctx.config.global.statsSockets.push(d);
  statsSocketBinds.set(d, conf);
  return err;
}

function statsTimeout(ctx: KwContext): number {
  const v = ctx.args[2] ?? '';
  const t = parseTime(v);
  if (!t.ok) {
    if (t.reason === 'invalid') return ctx.alert(`'stats timeout' : unexpected character '${v === '' ? '' : t.at[0]}`.concat(v === '' ? '' : "'"));
    return ctx.alert(`'stats timeout' : timer ${t.reason} in argument '${v}' to 'stats timeout' (maximum value is 2147483647 ms or ~24.8 days)`);
  }
  if (t.ms === 0) return ctx.alert(`'stats timeout' expects a positive value`);
  keepGlobal(ctx);
  return 0;
}

/** keeps `stats timeout|maxconn` for the runtime (src/runtime/stats/cli.ts) */
function keepGlobal(ctx: KwContext): void {
  ctx.config.global.directives.push({ keyword: `stats ${ctx.args[1]}`, args: ctx.args.slice(2), file: ctx.file, line: ctx.line, column: ctx.columns[0] });
}

function statsMaxconn(ctx: KwContext): number {
  const v = parseInt(ctx.args[2] ?? '', 10);
  if (!(v > 0)) return ctx.alert(`'stats maxconn' expects a positive value`);
  keepGlobal(ctx);
  return 0;
}

const fam = family('stats:global');
fam.set('socket', { name: 'socket', parse: statsSocket, support: 'no' });
fam.set('timeout', { name: 'timeout', parse: statsTimeout, support: 'no' });
fam.set('maxconn', { name: 'maxconn', parse: statsMaxconn, support: 'no' });
fam.set('bind-process', { name: 'bind-process', parse: () => 0, support: 'no' });

registerKeywords([
  {
    name: 'stats',
    sections: ['global'],
    support: 'no',
    parse(ctx) {
      const sub = fam.get(ctx.args[1] ?? '');
      if (sub) return sub.parse(ctx);
      return ctx.alert(`'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '${ctx.args[1] ?? ''}')`);
    },
  },
]);
