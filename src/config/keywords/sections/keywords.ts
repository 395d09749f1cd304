/**
 * Keywords of the sections that are not proxies, with the checks HAProxy
 * 2.6.12 makes while parsing them (messages taken from the real binary):
 * userlist, peers, resolvers, mailers, cache, http-errors, ring, program,
 * log-forward, fcgi-app. Also each section's own "unknown keyword" wording
 * (none of them suggests a keyword) and lookup helpers for other modules.
 */
import { statSync } from 'node:fs';
import { ERR_ABORT, ERR_ALERT, ERR_FATAL, ERR_WARN } from '../../../parser/diagnostics.js';
import { parseAddress, parseSize, parseTime } from '../../../parser/values.js';
import type { Config, NamedSection } from '../../model.js';
import { registerKeywords, type KwContext, type SectionKind } from '../../registry.js';
import { genericUnknown } from '../../../parser/reader.js';
import { registerPostCheck } from '../../postchecks.js';
import { keep } from '../generic.js';
import { checkHostAddress, parseLogTarget } from '../global/log.js';
import { unknownGlobal } from '../global/keywords.js';

/** Finds a named section (peers, resolvers, cache, http-errors, ring, userlist...) by kind and name. */
export function findSection(config: Config, kind: SectionKind, name: string): NamedSection | undefined {
  return config.sections.find((s) => s.kind === kind && s.name === name);
}

/**
 * The "unknown keyword" alert of every section, as HAProxy words it there.
 * Installed by the section headers as the reader's unknownKeyword hook.
 */
export function unknownInSection(ctx: KwContext): number {
  const kw = ctx.args[0];
  switch (ctx.section) {
    case 'global':
      return unknownGlobal(ctx);
    case 'userlist':
      return ctx.alert(`unknown keyword '${kw}' in 'users' section`, 'parsing-tight');
    case 'fcgi-app':
      return ctx.alert(`unknown keyword '${kw}' in 'fcgi-app' section`, 'parsing-tight');
    case 'ring':
      return ctx.alert(`unknown statement '${kw}'.`);
    case 'log-forward':
      ctx.alert(`unknown keyword '${kw}' in log-forward section.`);
      return ERR_ALERT | ERR_ABORT;
    case 'peers':
    case 'resolvers':
    case 'mailers':
    case 'cache':
    case 'http-errors':
    case 'program':
      return ctx.alert(`unknown keyword '${kw}' in '${ctx.section}' section`);
    default:
      return genericUnknown(ctx, ctx.section);
  }
}

/* ---- helpers ------------------------------------------------------------- */

function ok(ctx: KwContext, words = 1): number {
  keep(ctx, words);
  return 0;
}

/** Per-section state kept between keyword lines (sizes, seen names...). */
const sectionState = new WeakMap<NamedSection, Record<string, unknown>>();
function st(ctx: KwContext): Record<string, unknown> {
  const s = ctx.named;
  if (!s) return {};
  let r = sectionState.get(s);
  if (!r) sectionState.set(s, (r = {}));
  return r;
}

/** Checks done when a section ends (the reader calls state.close). */
export function closeSection(sec: NamedSection | undefined, diags: KwContext['diags']): number {
  if (!sec) return 0;
  if (sec.kind === 'cache') {
    const s = sectionState.get(sec) ?? {};
    if (!s.size) {
      diags.alert(`Size not specified for cache '${sec.name}'`, undefined, undefined, 'none');
      return ERR_ALERT | ERR_FATAL;
    }
  }
  return 0;
}

const ERRORFILE_CODES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

/* ---- rows ---------------------------------------------------------------- */

registerKeywords([
  /* userlist */
  {
    name: 'group',
    sections: ['userlist'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects <name> as arguments.`);
      const s = st(ctx);
      const groups = (s.groups ??= new Set<string>()) as Set<string>;
      if (groups.has(ctx.args[1])) {
        return ctx.warn(`ignoring duplicated group '${ctx.args[1]}' in userlist '${ctx.named?.name}'.`, 'parsing-tight');
      }
      groups.add(ctx.args[1]);
      return ok(ctx);
    },
  },
  {
    name: 'user',
    sections: ['userlist'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1]) return ctx.alert(`'${ctx.args[0]}' expects <name> as arguments.`);
      const s = st(ctx);
      const users = (s.users ??= new Map<string, string[]>()) as Map<string, string[]>;
      if (users.has(ctx.args[1])) {
        return ctx.warn(`ignoring duplicated user '${ctx.args[1]}' in userlist '${ctx.named?.name}'.`, 'parsing-tight');
      }
      const gi = ctx.args.indexOf('groups', 2);
      users.set(ctx.args[1], gi > 0 && ctx.args[gi + 1] ? ctx.args[gi + 1].split(',').filter(Boolean) : []);
      return ok(ctx);
    },
  },

  /* mailers */
  {
    name: 'mailer',
    sections: ['mailers'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1] || !ctx.args[2]) return ctx.alert(`'${ctx.args[0]}' expects <name> and <addr>[:<port>] as arguments.`);
      const what = `'${ctx.args[0]} ${ctx.args[1]}'`;
      const a = parseAddress(ctx.args[2], { hostnames: true, needPort: true });
      if (!a.ok && a.error.startsWith('missing port')) return ctx.alert(`${what} : ${a.error}`);
      const r = checkHostAddress(ctx.args[2]);
      if (!r.ok) return ctx.alert(`${what} : ${r.error}\n`);
      return ok(ctx);
    },
  },

  /* http-errors */
  {
    name: 'errorfile',
    sections: ['http-errors'],
    support: 'no',
    parse(ctx) {
      if (!ctx.args[1] || !ctx.args[2]) return ctx.alert(`errorfile: expects <status_code> and <file> as arguments.`);
      const code = parseInt(ctx.args[1], 10);
      if (!ERRORFILE_CODES.includes(code)) return ctx.alert(`errorfile : status code '${ctx.args[1]}' not handled.`);
      let good = false;
      try {
        good = !statSync(ctx.args[2]).isDirectory();
      } catch {
        good = false;
      }
      if (!good) return ctx.alert(`errorfile : error opening file '${ctx.args[2]}'.`);
      return ok(ctx);
    },
  },

  /* cache */
  {
    name: 'total-max-size',
    sections: ['cache'],
    support: 'no',
    parse(ctx) {
      const v = ctx.args[1] ?? '';
      const n = /^\d+/.test(v) ? parseInt(v, 10) : NaN;
      if (!v || Number.isNaN(n)) {
        ctx.warn(`total-max-size wrong value '${v}'`, 'parsing-tight');
        return ERR_WARN | ERR_ABORT;
      }
      if (n > 4095) {
        ctx.warn(`"total-max-size" (${n}) must not be greater than 4095`, 'parsing-tight');
        return ERR_WARN | ERR_ABORT;
      }
      st(ctx).size = n;
      return ok(ctx);
    },
  },
  { name: 'max-age', sections: ['cache'], support: 'no', parse: (ctx) => ok(ctx) },
  { name: 'max-object-size', sections: ['cache'], support: 'no', parse: (ctx) => ok(ctx) },
  { name: 'process-vary', sections: ['cache'], support: 'no', parse: (ctx) => ok(ctx) },
  { name: 'max-secondary-entries', sections: ['cache'], support: 'no', parse: (ctx) => ok(ctx) },

  /* ring */
  {
    name: 'size',
    sections: ['ring'],
    support: 'no',
    parse(ctx) {
      const v = ctx.args[1] ?? '';
      const n = parseSize(v);
      if (n === undefined || n === 0) return ctx.alert(`invalid size '${v}' for new sink buffer.`);
      const s = st(ctx);
      const cur = (s.size as number | undefined) ?? 16384;
      if (n < cur) {
        return ctx.warn(`ignoring new size '${n}' that is smaller than current size '${cur}' for ring '${ctx.named?.name}'.`);
      }
      s.size = n;
      return ok(ctx);
    },
  },
  {
    name: 'format',
    sections: ['ring'],
    support: 'no',
    parse(ctx) {
      const v = ctx.args[1] ?? '';
      if (!['iso', 'local', 'raw', 'rfc3164', 'rfc5424', 'short', 'priority', 'timed'].includes(v)) {
        return ctx.alert(`unknown format '${v}'.`);
      }
      return ok(ctx);
    },
  },
  {
    name: 'timeout',
    sections: ['mailers'],
    support: 'no',
    parse(ctx) {
      if (ctx.args[1] !== 'mail') {
        return ctx.alert(`'${ctx.args[0]}' expects 'mail' and <time> as arguments got '${ctx.args[1] ?? ''}'.`);
      }
      const v = ctx.args[2];
      if (!v) return ctx.alert(`'${ctx.args[0]} ${ctx.args[1]}' expects <time> as argument.`);
      const t = parseTime(v);
      if (!t.ok) {
        if (t.reason === 'invalid') return ctx.alert(`unexpected character '${t.at[0]}' in argument to <${ctx.args[0]}>.`);
        return ctx.alert(`timer ${t.reason} in argument <${v}> to <${ctx.args[0]} ${ctx.args[1]}>, ${t.reason === 'overflow' ? 'maximum value is 2147483647 ms (~24.8 days)' : 'minimum non-null value is 1 ms'}.`);
      }
      return ok(ctx, 2);
    },
  },

  /* log-forward */
  {
    name: 'log',
    sections: ['log-forward'],
    support: 'no',
    parse(ctx) {
      const r = parseLogTarget(ctx.args, 'proxy', ctx.kwm);
      if (!r.ok) return ctx.alert(`${ctx.args[0]} : ${r.error}`);
      return ok(ctx);
    },
  },
]);

/** Post-parse: every group a userlist user names must exist in that userlist. */
function userlistGroups(config: Config, diags: KwContext['diags']): number {
  let err = 0;
  for (const sec of config.sections) {
    if (sec.kind !== 'userlist') continue;
    const s = sectionState.get(sec) ?? {};
    const groups = (s.groups as Set<string> | undefined) ?? new Set<string>();
    for (const [user, gs] of (s.users as Map<string, string[]> | undefined) ?? new Map<string, string[]>()) {
      for (const g of gs) {
        if (!groups.has(g)) {
          diags.alert(`userlist '${sec.name}': no such group '${g}' specified in user '${user}'`, undefined, undefined, 'none');
          err |= ERR_ALERT | ERR_FATAL;
        }
      }
    }
  }
  return err;
}
try {
  registerPostCheck(userlistGroups);
} catch {
  queueMicrotask(() => registerPostCheck(userlistGroups));
}
