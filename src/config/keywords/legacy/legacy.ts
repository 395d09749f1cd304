/**
 * Keywords of HAProxy 1.4 to 2.4 that 2.6 no longer accepts
 * (data/legacy-keywords.tsv holds them with 2.6's exact message).
 *
 * --strict: the exact alert HAProxy 2.6 gives.
 * Default mode: a keyword with a modern meaning is accepted with a warning
 * naming its replacement, and the model holds the modern meaning
 * (`contimeout 5000` is `timeout connect 5000`, `block if X` is
 * `http-request deny if X`, `reqrep` is a legacy header-rewrite rule...).
 * Keywords with no modern meaning (`appsession`) stay errors.
 */
import { ERR_ALERT, ERR_FATAL, type PosStyle } from '../../../parser/diagnostics.js';
import { parseTime } from '../../../parser/values.js';
import { table } from '../../tables.js';
import { family, findKeyword, registerKeywords, type KwContext, type SectionKind } from '../../registry.js';
import { parseCondition } from '../rules/condition.js';

interface Legacy {
  keyword: string;
  kind: string;
  message: string;
  style: PosStyle;
}

function legacyRows(): Legacy[] {
  return table('legacy-keywords.tsv').map((r) => {
    const full = r['haproxy_2.6_message'];
    const m = /^\[ALERT\] config : parsing \[[^\]]*\](\s?): (.*)$/.exec(full);
    return {
      keyword: r.keyword,
      kind: r.kind,
      message: m ? m[2] : full,
      style: m && m[1] === '' ? 'parsing-tight' : 'parsing',
    };
  });
}

const PROXY: SectionKind[] = ['defaults', 'frontend', 'backend', 'listen'];

/** What a legacy keyword becomes in default mode: returns flags, or undefined to keep the 2.6 error. */
type Modern = (ctx: KwContext, l: Legacy) => number | undefined;

function timeoutOf(name: 'connect' | 'client' | 'server'): Modern {
  return (ctx, l) => {
    const arg = ctx.args[0] === 'timeout' ? ctx.args[2] : ctx.args[1];
    const t = arg === undefined ? undefined : parseTime(arg);
    if (!t || !t.ok) return undefined;
    ctx.proxy!.timeouts.set(name, t.ms);
    ctx.note(`'${l.keyword}' is a legacy keyword (removed in HAProxy 2.1); taken as 'timeout ${name} ${arg}'.`);
    return 0;
  };
}

function rule(ruleset: string, action: string, modern: string): Modern {
  return (ctx, l) => {
    const words = ctx.args.slice(1);
    const ifAt = words.findIndex((w) => w === 'if' || w === 'unless');
    const args = ifAt >= 0 ? words.slice(0, ifAt) : words;
    let cond;
    if (ifAt >= 0) {
      const c = parseCondition(ctx, words.slice(ifAt));
      if ('error' in c) return ctx.alert(`error detected while parsing a '${ctx.args[0]}' condition : ${c.error}.`);
      cond = c.cond;
    }
    ctx.proxy!.rules.push({ ruleset, action, args, cond, file: ctx.file, line: ctx.line, column: ctx.columns[0] });
    ctx.note(`'${l.keyword}' is a legacy keyword (removed in HAProxy 2.1); use '${modern}' instead. Kept with its 1.x meaning.`);
    return 0;
  };
}

const MODERN: Record<string, Modern> = {
  contimeout: timeoutOf('connect'),
  clitimeout: timeoutOf('client'),
  srvtimeout: timeoutOf('server'),
  'timeout contimeout': timeoutOf('connect'),
  'timeout clitimeout': timeoutOf('client'),
  'timeout srvtimeout': timeoutOf('server'),
  redispatch(ctx, l) {
    ctx.proxy!.options.set('redispatch', { enabled: true, args: [], pos: ctx.pos() });
    ctx.note(`'${l.keyword}' is a legacy keyword (removed in HAProxy 2.1); taken as 'option redispatch'.`);
    return 0;
  },
  block: rule('http-request', 'deny', 'http-request deny'),
  reqadd: rule('http-request', 'legacy-reqadd', 'http-request add-header'),
  reqdel: rule('http-request', 'legacy-reqdel', 'http-request del-header'),
  reqidel: rule('http-request', 'legacy-reqidel', 'http-request del-header'),
  reqrep: rule('http-request', 'legacy-reqrep', 'http-request replace-header'),
  reqirep: rule('http-request', 'legacy-reqirep', 'http-request replace-header'),
  reqdeny: rule('http-request', 'legacy-reqdeny', 'http-request deny'),
  reqideny: rule('http-request', 'legacy-reqideny', 'http-request deny'),
  reqallow: rule('http-request', 'legacy-reqallow', 'http-request allow'),
  reqiallow: rule('http-request', 'legacy-reqiallow', 'http-request allow'),
  reqtarpit: rule('http-request', 'legacy-reqtarpit', 'http-request tarpit'),
  reqitarpit: rule('http-request', 'legacy-reqitarpit', 'http-request tarpit'),
  reqpass: rule('http-request', 'legacy-reqpass', 'nothing (it had no effect)'),
  reqipass: rule('http-request', 'legacy-reqipass', 'nothing (it had no effect)'),
  rspadd: rule('http-response', 'legacy-rspadd', 'http-response add-header'),
  rspdel: rule('http-response', 'legacy-rspdel', 'http-response del-header'),
  rspidel: rule('http-response', 'legacy-rspidel', 'http-response del-header'),
  rsprep: rule('http-response', 'legacy-rsprep', 'http-response replace-header'),
  rspirep: rule('http-response', 'legacy-rspirep', 'http-response replace-header'),
  rspdeny: rule('http-response', 'legacy-rspdeny', 'http-response deny'),
  rspideny: rule('http-response', 'legacy-rspideny', 'http-response deny'),
  'monitor-net'(ctx, l) {
    const net = ctx.args[1];
    if (!net) return undefined;
    ctx.proxy!.rules.push({
      ruleset: 'http-request', action: 'return', args: ['status', '200'],
      cond: { polarity: 'if', terms: [[{ negate: false, anonymous: ['src', net] }]], text: `{ src ${net} }`, file: ctx.file, line: ctx.line, column: ctx.columns[0] },
      file: ctx.file, line: ctx.line, column: ctx.columns[0],
    });
    ctx.note(`'${l.keyword}' is a legacy keyword; taken as 'http-request return status 200 if { src ${net} }'.`);
    return 0;
  },
  grace(ctx, l) {
    ctx.note(`'${l.keyword}' in a proxy was removed in HAProxy 2.5 (use the global 'grace'); ignored.`);
    return 0;
  },
  'option forceclose'(ctx, l) {
    ctx.proxy!.options.set('httpclose', { enabled: true, args: [], pos: ctx.pos() });
    ctx.note(`'${l.keyword}' was removed in HAProxy 2.0; taken as 'option httpclose'.`);
    return 0;
  },
  'option http-tunnel'(ctx, l) {
    ctx.note(`'${l.keyword}' was removed in HAProxy 2.1 and is not needed any more; ignored.`);
    return 0;
  },
  'tune.chksize'(ctx, l) {
    ctx.note(`'${l.keyword}' was removed (tune.bufsize is used instead); ignored.`);
    return 0;
  },
};

function legacyParse(l: Legacy) {
  return (ctx: KwContext): number => {
    if (!ctx.opts.strict && ctx.kwm === 'std') {
      const modern = MODERN[l.keyword];
      if (modern && (ctx.proxy || l.kind === 'global')) {
        const r = modern(ctx, l);
        if (r !== undefined) return r;
      }
    }
    ctx.diags.alert(l.message, ctx.file, ctx.line, l.style);
    return ERR_ALERT | ERR_FATAL;
  };
}

for (const l of legacyRows()) {
  // rows that 2.6 answers with its generic unknown-keyword message stay unknown
  if (l.message.startsWith('unknown keyword') || l.message.startsWith('unknown option')) continue;
  const words = l.keyword.split(' ');
  if (words.length === 1) {
    if (l.keyword === 'nbproc') continue; // global/section.ts
    registerKeywords([{ name: l.keyword, sections: l.kind === 'global' ? ['global'] : PROXY, parse: legacyParse(l), legacy: true }]);
  } else {
    family(`${words[0]}:proxy`).set(words[1], { name: words[1], parse: legacyParse(l) as (ctx: unknown) => number, legacy: true });
  }
}

export const _f = findKeyword;
