/**
 * Every keyword documented for HAProxy 2.6 (data/keywords.tsv) is known from
 * the start, in the sections the manual allows it. Until a module implements
 * a keyword, its generic row keeps it as a directive and says, in -c output,
 * that tshaproxy's runtime does not honour it. Keywords made of two words
 * (`option x`, `timeout x`, `stats x`...) go through a family lookup so that
 * the module which implements `option httplog` registers just that row.
 */
import { ERR_ALERT, ERR_FATAL } from '../../parser/diagnostics.js';
import { table } from '../tables.js';
import {
  bestMatch,
  family,
  findKeyword,
  registerKeywords,
  type KwContext,
  type KeywordRow,
  type SectionKind,
  type SubRow,
} from '../registry.js';
import type { Directive, Proxy } from '../model.js';
import { ignoredWithoutCap } from './proxy/section.js';

/** Stores a keyword as written, in the section being filled. */
export function keep(ctx: KwContext, words = 1): Directive {
  const d: Directive = {
    keyword: ctx.args.slice(0, words).join(' '),
    args: ctx.args.slice(words),
    file: ctx.file,
    line: ctx.line,
    column: ctx.columns[0],
  };
  if (ctx.proxy) ctx.proxy.directives.push(d);
  else if (ctx.named) ctx.named.directives.push(d);
  else if (ctx.section === 'global') ctx.config.global.directives.push(d);
  return d;
}

/**
 * The directive `kw` in force for proxy `p`: its own last one, else its
 * defaults section's (walking up named defaults). `inherits` says whether a
 * proxy takes that setting from its defaults (HAProxy copies some only to
 * proxies with a frontend or a backend side).
 */
export function directiveInForce(p: Proxy, kw: string, inherits: (p: Proxy) => boolean = () => true): Directive | undefined {
  for (let q: Proxy | undefined = p; q; q = inherits(q) ? q.defaultsProxy : undefined) {
    const l = q.directives;
    for (let i = l.length - 1; i >= 0; i--) if (l[i].keyword === kw) return l[i];
  }
  return undefined;
}

const PROXY_KINDS: SectionKind[] = ['defaults', 'frontend', 'backend', 'listen'];

/** Generic parser for one- or two-word keywords: checks the proxy capability, keeps the directive. */
function genericParser(words: number, sections: SectionKind[]) {
  return (ctx: KwContext): number => {
    if (ctx.proxy) {
      const inFe = sections.includes('frontend');
      const inBe = sections.includes('backend');
      if (ctx.proxy.kind === 'defaults' && !sections.includes('defaults')) {
        return ctx.alert(`'${ctx.args.slice(0, words).join(' ')}' not allowed in 'defaults' section.`);
      }
      if (ctx.proxy.kind === 'frontend' && !inFe && ignoredWithoutCap(ctx, 'be')) return 0;
      if (ctx.proxy.kind === 'backend' && !inBe && ignoredWithoutCap(ctx, 'fe')) return 0;
    }
    keep(ctx, words);
    return 0;
  };
}

/** First words that introduce a family of two-word keywords in proxy/global sections. */
export const FAMILY_HEADS = new Set([
  'option', 'timeout', 'stats', 'capture', 'tcp-request', 'tcp-response', 'http-check', 'tcp-check',
  'email-alert', 'stick', 'monitor', 'persist', 'rate-limit', 'external-check', 'declare',
]);

/** The row of a family head: dispatches on the second word. */
export function familyHead(head: string, sections: SectionKind[], onUnknown: (ctx: KwContext, fam: Map<string, SubRow>) => number): KeywordRow {
  return {
    name: head,
    sections,
    parse(ctx) {
      const fam = family(`${head}:${ctx.section === 'global' ? 'global' : PROXY_KINDS.includes(ctx.section) ? 'proxy' : ctx.section}`);
      const sub = fam.get(ctx.args[1] ?? '');
      if (sub) return sub.parse(ctx);
      return onUnknown(ctx, fam);
    },
  };
}

let installed = false;
/** Registers the generic rows; called after every module has registered its own. */
export function installGenericRows(): void {
  if (installed) return;
  installed = true;
  for (const r of table('keywords.tsv')) {
    if (r.sections === '(section header)') continue;
    const sections = r.sections.split(',') as SectionKind[];
    const words = r.keyword.split(' ');
    if (words.length === 1) {
      const missing = sections.filter((s) => !findKeyword(r.keyword, s));
      if (missing.length) registerKeywords([{ name: r.keyword, sections: missing, parse: genericParser(1, sections), support: 'no' }]);
      continue;
    }
    // two-word keyword: register the sub-row unless a module did
    const [head, sub] = words;
    const bySection = new Map<string, SectionKind[]>();
    for (const s of sections) {
      const scope = s === 'global' ? 'global' : PROXY_KINDS.includes(s) ? 'proxy' : s;
      bySection.set(scope, [...(bySection.get(scope) ?? []), s]);
    }
    for (const [scope, secs] of bySection) {
      const fam = family(`${head}:${scope}`);
      if (!fam.has(sub)) fam.set(sub, { name: sub, parse: genericParser(2, scope === 'proxy' ? secs : secs), support: 'no' });
      const headSections = scope === 'proxy' ? PROXY_KINDS : secs;
      const missing = headSections.filter((s) => !findKeyword(head, s));
      if (missing.length) {
        registerKeywords([
          familyHead(head, missing, (ctx, f) => {
            const best = bestMatch(ctx.args[1] ?? '', f.keys());
            return ctx.alert(
              `unknown keyword '${ctx.args[0]} ${ctx.args[1] ?? ''}' in '${ctx.section}' section${best ? `; did you mean '${head} ${best}' maybe ?` : ''}`,
            );
          }),
        ]);
      }
    }
  }
}

export const _unused = ERR_ALERT | ERR_FATAL;
