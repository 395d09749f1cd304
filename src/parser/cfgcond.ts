/**
 * Evaluation of `.if` / `.elif` conditions, as HAProxy 2.6 does it:
 * integers, predicates with arguments in parentheses, `!`, `(...)`, `&&`
 * (binds tighter) and `||`. Errors carry the position in the expression.
 */
import { caretLines } from './words.js';

export interface CondEnv {
  getenv(name: string): string | undefined;
  features: ReadonlySet<string>;
  version: string;
}

export class CondError extends Error {
  constructor(message: string, readonly pos: number) {
    super(message);
  }
}

/** Compares two HAProxy version strings ("2.4-dev19", "2.6.12"); missing parts count as zero. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): number[] => {
    // major.minor[.patch][-devN|-preN|-rcN]
    const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(dev|pre|rc)(\d+))?/.exec(v);
    if (!m) return [-1];
    const stage = m[4] === 'dev' ? 1 : m[4] === 'pre' ? 2 : m[4] === 'rc' ? 3 : 4;
    return [+m[1], +(m[2] ?? 0), +(m[3] ?? 0), stage, +(m[5] ?? 0)];
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

const PREDICATES: Record<string, number> = {
  defined: 1,
  feature: 1,
  streq: 2,
  strneq: 2,
  version_atleast: 1,
  version_before: 1,
  openssl_version_atleast: 1,
  openssl_version_before: 1,
  ssllib_name_startswith: 1,
};

/** The TLS library the emulated binary was built with (Debian bookworm's 2.6.12). */
export const SSL_LIB = { name: 'OpenSSL', version: '3.0.11' };

/** Evaluates an expression string; throws CondError with a 0-based position. */
export function evalCondition(expr: string, env: CondEnv): boolean {
  let i = 0;
  const skip = () => {
    while (i < expr.length && (expr[i] === ' ' || expr[i] === '\t')) i++;
  };
  const term = (): boolean => {
    skip();
    if (expr[i] === '!') {
      i++;
      return !term();
    }
    if (expr[i] === '(') {
      i++;
      const v = orExpr();
      skip();
      if (expr[i] !== ')') throw new CondError('expected \')\'', i);
      i++;
      return v;
    }
    const start = i;
    if (/[-0-9]/.test(expr[i] ?? '')) {
      while (i < expr.length && /[-0-9]/.test(expr[i])) i++;
      const n = parseInt(expr.slice(start, i), 10);
      if (Number.isNaN(n)) throw new CondError('unparsable number', start);
      return n !== 0;
    }
    while (i < expr.length && /[A-Za-z0-9_]/.test(expr[i])) i++;
    const name = expr.slice(start, i);
    if (!name) {
      if (i >= expr.length) throw new CondError('unexpected end of expression', i);
      throw new CondError(`unparsable conditional expression '${expr.slice(start)}'`, start);
    }
    if (!(name in PREDICATES)) throw new CondError(`unparsable conditional expression '${expr.slice(start)}'`, start);
    if (expr[i] !== '(') throw new CondError(`missing opening parenthesis for predicate '${name}'`, i);
    i++;
    const args: string[] = [];
    let cur = '';
    let q: string | null = null;
    for (;;) {
      if (i >= expr.length) throw new CondError(`missing closing parenthesis for predicate '${name}'`, start);
      const c = expr[i];
      if (q) {
        if (c === q) q = null;
        else cur += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        q = c;
        i++;
        continue;
      }
      if (c === ',') {
        args.push(cur);
        cur = '';
        i++;
        continue;
      }
      if (c === ')') {
        args.push(cur);
        i++;
        break;
      }
      cur += c;
      i++;
    }
    const want = PREDICATES[name];
    if (args.length < want || (args.length === 1 && args[0] === '' && want > 0)) {
      throw new CondError(`too few arguments for predicate '${name}'`, start);
    }
    if (args.length > want) throw new CondError(`too many arguments for predicate '${name}'`, start);
    switch (name) {
      case 'defined':
        return env.getenv(args[0]) !== undefined;
      case 'feature':
        return env.features.has(args[0]);
      case 'streq':
        return args[0] === args[1];
      case 'strneq':
        return args[0] !== args[1];
      case 'version_atleast':
        return compareVersions(env.version, args[0]) >= 0;
      case 'version_before':
        return compareVersions(env.version, args[0]) < 0;
      case 'openssl_version_atleast':
        return compareVersions(SSL_LIB.version, args[0]) >= 0;
      case 'openssl_version_before':
        return compareVersions(SSL_LIB.version, args[0]) < 0;
      case 'ssllib_name_startswith':
        return SSL_LIB.name.startsWith(args[0]);
    }
    return false;
  };
  const andExpr = (): boolean => {
    let v = term();
    for (;;) {
      skip();
      if (expr.startsWith('&&', i)) {
        i += 2;
        const r = term();
        v = v && r;
      } else return v;
    }
  };
  const orExpr = (): boolean => {
    let v = andExpr();
    for (;;) {
      skip();
      if (expr.startsWith('||', i)) {
        i += 2;
        const r = andExpr();
        v = v || r;
      } else return v;
    }
  };
  skip();
  if (i >= expr.length) return false;
  const v = orExpr();
  skip();
  if (i < expr.length) throw new CondError(`unexpected character '${expr[i]}'`, i);
  return v;
}

export function condErrorText(directive: string, expr: string, e: CondError): string {
  const pad = directive.length + 1;
  const caret = caretLines(`${directive} ${expr}`, e.pos + pad);
  return `${e.message} in '${directive}' at position ${e.pos + 1}:\n${caret}`;
}
