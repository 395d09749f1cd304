/**
 * Conditions `if|unless <acl terms>` as rules write them: named ACLs (they
 * must be declared before the rule, as in HAProxy), `!`, implicit AND,
 * `||`/`or`, and anonymous ACLs between braces. The words of an anonymous
 * ACL are validated by the ACL engine (src/acl) through `aclHook`.
 */
import { aclsNamed, type CondConf, type CondTerm } from '../../model.js';
import type { KwContext } from '../../registry.js';

export interface AclHook {
  /** the predefined ACL names (TRUE, FALSE, HTTP...) */
  predefined: Set<string>;
  /** validates `criterion [flags] [values]`; returns an error text or undefined */
  validate?: (ctx: KwContext, words: string[]) => string | undefined;
  /** true when `word` alone is a usable ACL keyword (a fetch with a boolean meaning) */
  isKeyword?: (word: string) => boolean;
  /** told of each condition parsed for a proxy (HAProxy's build_acl_cond records what it reads) */
  parsed?: (ctx: KwContext, cond: CondConf) => void;
}

export const aclHook: AclHook = {
  predefined: new Set([
    'FALSE', 'HTTP', 'HTTP_1.0', 'HTTP_1.1', 'HTTP_2.0', 'HTTP_CONTENT', 'HTTP_URL_ABS', 'HTTP_URL_SLASH', 'HTTP_URL_STAR',
    'LOCALHOST', 'METH_CONNECT', 'METH_DELETE', 'METH_GET', 'METH_HEAD', 'METH_OPTIONS', 'METH_POST', 'METH_PUT',
    'METH_TRACE', 'RDP_COOKIE', 'REQ_CONTENT', 'TRUE', 'WAIT_END',
  ]),
};

export type CondResult = { cond: CondConf } | { error: string };

/** Parses `words` (starting with if/unless); `words` may be empty (no condition). */
export function parseCondition(ctx: KwContext, words: string[]): CondResult {
  const polarity = words[0] === 'unless' ? 'unless' : 'if';
  const terms: CondTerm[][] = [[]];
  const proxy = ctx.proxy;
  let i = 1;
  let negate = false;
  while (i < words.length) {
    const w = words[i];
    if (w === '!') {
      negate = !negate;
      i++;
      continue;
    }
    if (w === '||' || w === 'or') {
      // HAProxy accepts empty sides of '||'
      if (terms[terms.length - 1].length) terms.push([]);
      i++;
      continue;
    }
    if (w.startsWith('!') && w.replace(/^!+/, '') === '{') {
      // `!{ ... }`: each '!' negates
      for (let k = 0; k < w.length - 1; k++) negate = !negate;
      words = [...words.slice(0, i), '{', ...words.slice(i + 1)];
      continue;
    }
    if (w === '{') {
      const close = words.indexOf('}', i + 1);
      if (close < 0) return { error: "missing closing '}' in condition" };
      const inner = words.slice(i + 1, close);
      if (!inner.length && !aclHook.validate) return { error: 'missing ACL keyword in condition' };
      const e = aclHook.validate?.(ctx, inner);
      if (e) return { error: e };
      terms[terms.length - 1].push({ negate, anonymous: inner });
      negate = false;
      i = close + 1;
      continue;
    }
    let name = w;
    if (name.startsWith('!')) {
      negate = !negate;
      name = name.slice(1);
    }
    if (!(proxy && aclsNamed(proxy, name).length) && !aclHook.predefined.has(name)) {
      if (aclHook.isKeyword?.(name)) {
        terms[terms.length - 1].push({ negate, anonymous: [name] });
        negate = false;
        i++;
        continue;
      }
      return { error: `no such ACL : '${name}'` };
    }
    terms[terms.length - 1].push({ negate, name });
    negate = false;
    i++;
  }
  if (terms[terms.length - 1].length === 0 && terms.length > 1) terms.pop();
  // the condition starts at its if/unless word, a tail of the line's words
  const at = ctx.args.length - words.length;
  const column = ctx.args[at] === words[0] ? ctx.columns[at] : ctx.columns[0];
  const cond: CondConf = { polarity, terms, text: words.join(' '), file: ctx.file, line: ctx.line, column };
  aclHook.parsed?.(ctx, cond);
  return { cond };
}
