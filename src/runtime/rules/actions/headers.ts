/**
 * Header actions, on the request (http-request) or the response
 * (http-response, http-after-response): add-header, set-header,
 * del-header [-m str|beg|end|sub|reg], replace-header, replace-value,
 * early-hint. Semantics observed on HAProxy 2.6:
 *  - set-header renders its value first, then removes every occurrence and
 *    appends one; an empty value is kept ("x: ");
 *  - replace-header matches the regex against the whole value and replaces
 *    the whole value with the expanded replacement (\1..\9, \xHH);
 *  - replace-value does the same per comma-separated value; a replaced value
 *    loses the blanks around it ("a, b" -> "A,B").
 */
import type { HttpMessage } from '../../http/h1/message.js';
import { ruleFormat } from '../format.js';
import type { ActionDef, RuleFormat, RuleHost, RunCtx } from '../types.js';
import { CONTINUE } from '../types.js';
import { HAFT, HREQ, HRES, defineActions } from './registry.js';

/** The message a header action works on in this rule set. */
export function msgOf(host: RuleHost, rt: RunCtx): HttpMessage | null | undefined {
  return rt.ruleset === HREQ ? host.req : host.res;
}

/** HAProxy's exp_replace(): expands \0-\9 (match groups) and \xHH in `repl`. */
export function expReplace(repl: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c !== '\\' || i + 1 >= repl.length) {
      out += c;
      continue;
    }
    const n = repl[++i];
    if (n >= '0' && n <= '9') {
      out += m[n.charCodeAt(0) - 48] ?? '';
    } else if (n === 'x' && i + 2 < repl.length) {
      const hex = (ch: string) => {
        let v = ch.toUpperCase().charCodeAt(0) - 48;
        if (v > 9) v -= 7;
        return v & 0xf;
      };
      out += String.fromCharCode((hex(repl[i + 1]) << 4) | hex(repl[i + 2]));
      i += 2;
    } else out += n;
  }
  return out;
}

const regexCache = new Map<string, RegExp>();

/** A regex as HAProxy's (PCRE/POSIX extended) syntax reads it; `icase` for the legacy req*i forms. */
export function compileRegex(src: string, icase = false): RegExp {
  const key = (icase ? 'i:' : ':') + src;
  let re = regexCache.get(key);
  if (!re) {
    try {
      re = new RegExp(src, icase ? 'i' : '');
    } catch {
      re = /(?!)/;
    }
    regexCache.set(key, re);
  }
  return re;
}

interface NameValue {
  name: string;
  value: RuleFormat;
}

const addHeader: ActionDef<NameValue> = {
  name: 'add-header',
  rulesets: [HREQ, HRES, HAFT],
  parse: (args, ctx) => ({ name: args[0].toLowerCase(), value: ruleFormat(args[1] ?? '', ctx.acls.env) }),
  run(c, host, rt) {
    const m = msgOf(host, rt);
    if (m) m.headers.add(c.name, c.value.render(host.sampleContext()));
    return CONTINUE;
  },
};

const setHeader: ActionDef<NameValue> = {
  name: 'set-header',
  rulesets: [HREQ, HRES, HAFT],
  parse: addHeader.parse,
  run(c, host, rt) {
    const m = msgOf(host, rt);
    if (!m) return CONTINUE;
    const v = c.value.render(host.sampleContext());
    m.headers.del(c.name);
    m.headers.add(c.name, v);
    return CONTINUE;
  },
};

interface DelHeader {
  name: string;
  match: 'str' | 'beg' | 'end' | 'sub' | 'reg';
  re?: RegExp;
}

const delHeader: ActionDef<DelHeader> = {
  name: 'del-header',
  rulesets: [HREQ, HRES, HAFT],
  parse(args) {
    const match = (args[1] === '-m' ? args[2] : 'str') as DelHeader['match'];
    const name = match === 'reg' ? args[0] : args[0].toLowerCase();
    return { name, match, re: match === 'reg' ? compileRegex(args[0]) : undefined };
  },
  run(c, host, rt) {
    const m = msgOf(host, rt);
    if (!m) return CONTINUE;
    const h = m.headers;
    if (c.match === 'str') {
      h.del(c.name);
      return CONTINUE;
    }
    for (let i = h.length - 1; i >= 0; i--) {
      const n = h.names[i];
      let hit: boolean;
      switch (c.match) {
        case 'beg':
          hit = n.startsWith(c.name);
          break;
        case 'end':
          hit = n.endsWith(c.name);
          break;
        case 'sub':
          hit = n.includes(c.name);
          break;
        default:
          hit = c.re!.test(n);
      }
      if (hit) h.removeAt(i);
    }
    return CONTINUE;
  },
};

interface Replace {
  name: string;
  re: RegExp;
  repl: RuleFormat;
}

/** Splits a header value into its comma-separated elements, quotes respected. */
export function splitValues(v: string): { pre: string; value: string; post: string }[] {
  const out: { pre: string; value: string; post: string }[] = [];
  let i = 0;
  const n = v.length;
  while (true) {
    let s = i;
    while (s < n && (v[s] === ' ' || v[s] === '\t')) s++;
    let e = s;
    let q = false;
    while (e < n) {
      const c = v[e];
      if (q) {
        if (c === '\\') e++;
        else if (c === '"') q = false;
      } else if (c === '"') q = true;
      else if (c === ',') break;
      e++;
    }
    let ve = Math.min(e, n);
    while (ve > s && (v[ve - 1] === ' ' || v[ve - 1] === '\t')) ve--;
    out.push({ pre: v.slice(i, s), value: v.slice(s, ve), post: v.slice(ve, Math.min(e, n)) });
    if (e >= n) break;
    i = e + 1;
  }
  return out;
}

function replaceRun(full: boolean) {
  return (c: Replace, host: RuleHost, rt: RunCtx) => {
    const m = msgOf(host, rt);
    if (!m) return CONTINUE;
    const h = m.headers;
    let repl: string | undefined;
    for (let i = 0; i < h.length; i++) {
      if (h.names[i] !== c.name) continue;
      const v = h.values[i];
      if (full) {
        const mm = c.re.exec(v);
        if (!mm) continue;
        repl ??= c.repl.render(host.sampleContext());
        h.setValueAt(i, expReplace(repl, mm));
        continue;
      }
      let changed = false;
      const parts = splitValues(v);
      for (const p of parts) {
        const mm = c.re.exec(p.value);
        if (!mm) continue;
        repl ??= c.repl.render(host.sampleContext());
        p.value = expReplace(repl, mm);
        p.pre = '';
        p.post = '';
        changed = true;
      }
      if (changed) h.setValueAt(i, parts.map((p) => p.pre + p.value + p.post).join(','));
    }
    return CONTINUE;
  };
}

const replaceHeader: ActionDef<Replace> = {
  name: 'replace-header',
  rulesets: [HREQ, HRES, HAFT],
  parse: (args, ctx) => ({ name: args[0].toLowerCase(), re: compileRegex(args[1]), repl: ruleFormat(args[2] ?? '', ctx.acls.env) }),
  run: replaceRun(true),
};

const replaceValue: ActionDef<Replace> = {
  name: 'replace-value',
  rulesets: [HREQ, HRES, HAFT],
  parse: replaceHeader.parse,
  run: replaceRun(false),
};

/**
 * early-hint: a header of a 103 sent before the response. As in HAProxy,
 * consecutive early-hint rules share one 103, which is sent after the
 * last of them (the next rule is another action, or has a condition);
 * HTTP/1.0 clients get none.
 */
const earlyHint: ActionDef<NameValue & { last?: boolean }> = {
  name: 'early-hint',
  rulesets: [HREQ],
  parse: (args, ctx) => addHeader.parse(args, ctx),
  link(c, next) {
    c.last = !next || next.action.name !== 'early-hint' || !!next.conf.cond;
  },
  run(c, host, rt) {
    if (!host.req?.isVer11) return CONTINUE;
    const hints = rt.fx.earlyHints;
    hints.push([c.name, c.value.render(host.sampleContext())]);
    if (c.last) hints.push(null);
    return CONTINUE;
  },
};

defineActions([addHeader, setHeader, delHeader, replaceHeader, replaceValue, earlyHint]);


