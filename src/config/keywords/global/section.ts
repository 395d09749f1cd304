/**
 * The `global` section header and the process-wide keywords the runtime uses
 * (daemon, maxconn, nbthread, pidfile, user/group, chroot, master-worker,
 * stats socket). Other global keywords are kept by the generic rows.
 */
import { execFileSync } from 'node:child_process';
import { ERR_ALERT, ERR_FATAL } from '../../../parser/diagnostics.js';
import { parseInteger } from '../../../parser/values.js';
import { registerKeywords, type KwContext } from '../../registry.js';
import { registerSection } from '../../sections.js';
import { keep } from '../generic.js';
import { tooManyArgs } from '../proxy/section.js';
import { unknownGlobal } from './keywords.js';

registerSection({
  name: 'global',
  kind: 'global',
  open(ctx, state) {
    state.proxy = undefined;
    state.named = undefined;
    state.unknown = undefined;
    state.unknownKeyword = unknownGlobal;
    return tooManyArgs(ctx, 0);
  },
});

/** HAProxy's "'x' already specified. Continuing." for keywords that may appear once. */
function once(ctx: KwContext): boolean {
  const g = ctx.config.global;
  if (g.seen.has(ctx.args[0])) {
    ctx.diags.alert(`'${ctx.args[0]}' already specified. Continuing.`, ctx.file, ctx.line, 'parsing');
    return false;
  }
  g.seen.set(ctx.args[0], ctx.pos());
  return true;
}

function lookupId(db: 'passwd' | 'group', name: string): number | undefined {
  try {
    const out = execFileSync('getent', [db, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const f = out.split(':');
    return parseInt(f[2], 10);
  } catch {
    return undefined;
  }
}

function intKeyword(field: 'maxconn' | 'nbthread') {
  return (ctx: KwContext): number => {
    const t = tooManyArgs(ctx, 1);
    if (t) return t;
    const g = ctx.config.global;
    if (field === 'maxconn' && g.maxconn) {
      ctx.diags.alert(`'${ctx.args[0]}' already specified. Continuing.`, ctx.file, ctx.line, 'parsing');
      return ERR_ALERT;
    }
    if (field === 'nbthread') {
      if (!/^\d+$/.test(ctx.args[1] ?? '')) {
        return ctx.alert(`'nbthread' passed a missing or unparsable integer value in '${ctx.args[1] ?? ''}'`);
      }
    } else if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects an integer argument.`);
    keep(ctx);
    const v = parseInteger(ctx.args[1]);
    g[field] = v ?? (parseInt(ctx.args[1], 10) || 0);
    return 0;
  };
}

registerKeywords([
  {
    name: 'daemon',
    sections: ['global'],
    parse(ctx) {
      const t = tooManyArgs(ctx, 0);
      if (t) return t;
      keep(ctx);
      ctx.config.global.daemon = true;
      return 0;
    },
  },
  {
    name: 'master-worker',
    sections: ['global'],
    parse(ctx) {
      const t = tooManyArgs(ctx, 1);
      if (t) return t;
      if (ctx.args[1] !== undefined && ctx.args[1] !== 'no-exit-on-failure') {
        return ctx.alert(`'${ctx.args[0]}' only supports 'no-exit-on-failure' option.`);
      }
      keep(ctx);
      ctx.config.global.masterWorker = true;
      return 0;
    },
  },
  { name: 'maxconn', sections: ['global'], parse: intKeyword('maxconn') },
  { name: 'nbthread', sections: ['global'], parse: intKeyword('nbthread') },
  {
    name: 'pidfile',
    sections: ['global'],
    parse(ctx) {
      const t = tooManyArgs(ctx, 1);
      if (t) return t;
      if (!once(ctx)) return ERR_ALERT;
      if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects a file name as an argument.`);
      keep(ctx);
      ctx.config.global.pidfile = ctx.args[1];
      return 0;
    },
  },
  {
    name: 'user',
    sections: ['global'],
    parse(ctx) {
      const t = tooManyArgs(ctx, 1);
      if (t) return t;
      if (ctx.config.global.uid) {
        ctx.diags.alert(`user/uid already specified. Continuing.`, ctx.file, ctx.line, 'parsing');
        return ERR_ALERT;
      }
      keep(ctx);
      const uid = lookupId('passwd', ctx.args[1] ?? '');
      if (uid === undefined) return ctx.alert(`cannot find user id for '${ctx.args[1] ?? ''}' (0:Success)`);
      ctx.config.global.user = ctx.args[1];
      ctx.config.global.uid = uid;
      return 0;
    },
  },
  {
    name: 'group',
    sections: ['global'],
    parse(ctx) {
      const t = tooManyArgs(ctx, 1);
      if (t) return t;
      if (ctx.config.global.gid) {
        ctx.diags.alert(`gid/group was already specified. Continuing.`, ctx.file, ctx.line, 'parsing');
        return ERR_ALERT;
      }
      keep(ctx);
      const gid = lookupId('group', ctx.args[1] ?? '');
      if (gid === undefined) return ctx.alert(`cannot find group id for '${ctx.args[1] ?? ''}' (0:Success)`);
      ctx.config.global.group = ctx.args[1];
      ctx.config.global.gid = gid;
      return 0;
    },
  },
  {
    name: 'chroot',
    sections: ['global'],
    parse(ctx) {
      const t = tooManyArgs(ctx, 1);
      if (t) return t;
      if (!once(ctx)) return ERR_ALERT;
      if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects a directory as an argument.`);
      keep(ctx);
      ctx.config.global.chroot = ctx.args[1];
      return 0;
    },
  },
  {
    name: 'quiet',
    sections: ['global'],
    parse(ctx) {
      const t = tooManyArgs(ctx, 0);
      if (t) return t;
      keep(ctx);
      // HAProxy's MODE_QUIET: from here on nothing is printed (the exit code still counts)
      ctx.diags.muted = true;
      return 0;
    },
  },
  {
    name: 'nbproc',
    sections: ['global'],
    parse(ctx) {
      if (!ctx.opts.strict && (ctx.args[1] === '1' || ctx.args[1] === undefined)) {
        ctx.note(`'nbproc' was removed in HAProxy 2.5; 'nbproc 1' has no effect and is ignored.`);
        return 0;
      }
      return ctx.alert(
        'nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.',
      );
    },
  },
]);

export const _flags = ERR_ALERT | ERR_FATAL;
