/**
 * Log-format strings in rule arguments (set-header values, lf-string bodies,
 * redirect locations, dynamic names). Observed on HAProxy 2.6: the text is
 * kept byte for byte (spaces are not merged, backslashes stay: replace-*
 * gives them to the regex replacement), `%%` is a '%', an absent sample
 * prints nothing. `%var` variables are rendered by the ACL engine's
 * log-format code.
 */
import type { SampleContext } from '../../acl/context.js';
import { compileExpr, processExpr, type CompiledExpr } from '../../acl/expr.js';
import { compileLogFormat, type LogFormat } from '../../acl/logformat.js';
import type { CompileEnv } from '../../acl/registry.js';
import { OPT_FINAL, Sample, T, sampleToString } from '../../acl/types.js';
import type { RuleFormat } from './types.js';

interface Part {
  text?: string;
  expr?: CompiledExpr;
  varFmt?: LogFormat;
  quote?: boolean;
  hex?: boolean;
}

const smp = new Sample();

class Format implements RuleFormat {
  constructor(
    readonly text: string,
    private readonly parts: Part[],
    /** the whole format is one literal */
    private readonly literal: string | undefined,
  ) {}

  render(ctx: SampleContext): string {
    if (this.literal !== undefined) return this.literal;
    let out = '';
    for (const p of this.parts) {
      if (p.text !== undefined) {
        out += p.text;
        continue;
      }
      if (p.varFmt) {
        out += p.varFmt.render(ctx, {}, '-');
        continue;
      }
      let s: string | undefined;
      smp.reset(OPT_FINAL);
      if (processExpr(p.expr!, ctx, smp)) {
        s = p.hex && smp.t === T.BIN ? (smp.v as Buffer).toString('hex').toUpperCase() : sampleToString(smp);
      }
      if (s === undefined) {
        if (p.quote) out += '""';
        continue;
      }
      out += p.quote ? `"${s}"` : s;
    }
    return out;
  }
}

/** The index of the ']' closing an expression that starts at `k`. */
function closeAt(s: string, k: number): number {
  let depth = 0;
  let q: string | undefined;
  for (; k < s.length; k++) {
    const c = s[k];
    if (q) {
      if (c === '\\') k++;
      else if (c === q) q = undefined;
      continue;
    }
    if (c === '"' || c === "'") q = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ']') {
      if (!depth) return k;
      depth--;
    }
  }
  return s.length;
}

const cache = new WeakMap<CompileEnv, Map<string, Format>>();

/**
 * Compiles a format once per compile environment. Bad expressions (the
 * configuration check refuses them first) render as nothing and are noted
 * in env.warnings.
 */
export function ruleFormat(fmt: string, env: CompileEnv): RuleFormat {
  let m = cache.get(env);
  if (!m) cache.set(env, (m = new Map()));
  let f = m.get(fmt);
  if (f) return f;
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i];
    if (c !== '%') {
      const next = fmt.indexOf('%', i);
      const end = next < 0 ? fmt.length : next;
      text += fmt.slice(i, end);
      i = end;
      continue;
    }
    if (fmt[i + 1] === '%') {
      text += '%';
      i += 2;
      continue;
    }
    let k = i + 1;
    let quote = false;
    let hex = false;
    let opts = '';
    if (fmt[k] === '{') {
      const close = fmt.indexOf('}', k);
      if (close < 0) {
        text += fmt.slice(i);
        break;
      }
      opts = fmt.slice(k, close + 1);
      for (const o of fmt.slice(k + 1, close).split(',')) {
        const on = o[0] !== '-';
        const name = o.replace(/^[+-]/, '');
        if (name === 'Q') quote = on;
        else if (name === 'X') hex = on;
      }
      k = close + 1;
    }
    if (text) parts.push({ text });
    text = '';
    if (fmt[k] === '[') {
      const end = closeAt(fmt, k + 1);
      const src = fmt.slice(k + 1, end);
      try {
        parts.push({ expr: compileExpr(src, env), quote, hex });
      } catch (e) {
        env.warnings.push(`'${fmt}': ${(e as Error).message}`);
      }
      i = end + 1;
      continue;
    }
    let e = k;
    while (e < fmt.length && /[A-Za-z]/.test(fmt[e])) e++;
    parts.push({ varFmt: compileLogFormat(`%${opts}${fmt.slice(k, e)}`, env) });
    i = e;
  }
  if (text) parts.push({ text });
  const literal = parts.length === 0 ? '' : parts.length === 1 && parts[0].text !== undefined ? parts[0].text : undefined;
  f = new Format(fmt, parts, literal);
  m.set(fmt, f);
  return f;
}

/** A literal format (no % sequences) known at compile time, or undefined. */
export function literalOf(f: RuleFormat): string | undefined {
  return f instanceof Format ? (f as unknown as { literal: string | undefined }).literal : undefined;
}
