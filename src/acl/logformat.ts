/**
 * Log-format strings evaluated at runtime (log-format, http-request
 * set-header values, use_backend %[...], unique-id-format...): literal text,
 * %[sample expression], and %<var> variables (%ci %cp %fi %fp %b %s %ST %r
 * %H ...) with their {+Q,+X,...} options. Absent values print "-", as in
 * HAProxy. Facts that only the stream's end knows (timers, byte counts,
 * termination state) come from LogVars.
 */
import { hostname } from 'node:os';
import type { SampleContext } from './context.js';
import { compileExpr, processExpr, type CompiledExpr } from './expr.js';
import type { CompileEnv } from './registry.js';
import { OPT_FINAL, Sample, T, setAddr, sampleToString } from './types.js';

/** What a log line needs beyond the sample context; all optional. */
export interface LogVars {
  /** accept date (ms since epoch) */
  acceptDate?: number;
  /** request date (ms since epoch), %tr */
  requestDate?: number;
  /** timers in ms, -1 when the step did not happen */
  Th?: number;
  Ti?: number;
  TR?: number;
  Tw?: number;
  Tc?: number;
  Tr?: number;
  Td?: number;
  Ta?: number;
  Tt?: number;
  Tu?: number;
  Tq?: number;
  /** bytes read from server to client (%B) and from client (%U) */
  bytesOut?: number;
  bytesIn?: number;
  /** termination state, 2 or 4 chars (%ts, %tsc) */
  termState?: string;
  /** connection counts %ac %fc %bc %sc %rc, queues %sq %bq */
  actconn?: number;
  feconn?: number;
  beconn?: number;
  srvConn?: number;
  retries?: number;
  redispatched?: boolean;
  srvQueue?: number;
  backendQueue?: number;
  /** captured request / response headers as logged ("{a|b}") */
  capturedReq?: string;
  capturedRes?: string;
  /** request line as captured for the log */
  requestLine?: string;
  /** status to log (may differ from the response's) */
  status?: number;
  /** server address/port, backend source address/port */
  srvIp?: string;
  srvPort?: number;
  beSrcIp?: string;
  beSrcPort?: number;
  /** captured cookies %CC %CS */
  cookieReq?: string;
  cookieRes?: string;
  /** frontend uses TLS (%ft adds '~') */
  ssl?: boolean;
  sslCipher?: string;
  sslVersion?: string;
  pid?: number;
  /** log counter (%lc) */
  logCounter?: number;
}

interface Part {
  kind: 'text' | 'expr' | 'var';
  text?: string;
  expr?: CompiledExpr;
  name?: string;
  quote?: boolean;
  hex?: boolean;
  escape?: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');
const p3 = (n: number) => String(n).padStart(3, '0');

/** "%d/%b/%Y:%H:%M:%S" local time, with ".mmm" when ms is given */
export function logDate(ms: number, withMs: boolean, gmt = false): string {
  const d = new Date(ms);
  const g = gmt
    ? [d.getUTCDate(), d.getUTCMonth(), d.getUTCFullYear(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getDate(), d.getMonth(), d.getFullYear(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${p2(g[0])}/${MONTHS[g[1]]}/${g[2]}:${p2(g[3])}:${p2(g[4])}:${p2(g[5])}${withMs ? '.' + p3(d.getMilliseconds()) : ''}`;
}

let host: string | undefined;

function addrText(a: string | undefined): string | undefined {
  if (!a) return undefined;
  const smp = new Sample();
  return setAddr(smp, a) ? sampleToString(smp) : a;
}

function requestLine(ctx: SampleContext, v: LogVars): string | undefined {
  if (v.requestLine !== undefined) return v.requestLine;
  if (ctx.reqLine !== undefined) return ctx.reqLine;
  const r = ctx.req;
  return r ? `${r.method} ${r.uri} ${r.version}` : undefined;
}

const num = (n: number | undefined) => (n === undefined ? undefined : String(n));

/** The value of a %<name> variable; undefined prints '-'. */
function variable(name: string, ctx: SampleContext, v: LogVars): string | undefined {
  const now = ctx.now ? ctx.now() : Date.now();
  switch (name) {
    case 'ci':
      return addrText(ctx.src);
    case 'cp':
      return num(ctx.srcPort);
    case 'fi':
      return addrText(ctx.dst);
    case 'fp':
      return num(ctx.dstPort);
    case 'f':
      return ctx.frontend.name;
    case 'ft':
      return ctx.frontend.name + (v.ssl ? '~' : '');
    case 'b':
      return (ctx.backend ?? ctx.frontend).name;
    case 's':
      return ctx.server?.name ?? '<NOSRV>';
    case 'bi':
      return addrText(v.beSrcIp ?? ctx.bcSrc);
    case 'bp':
      return num(v.beSrcPort ?? ctx.bcSrcPort);
    case 'si':
      return addrText(v.srvIp ?? ctx.bcDst);
    case 'sp':
      return num(v.srvPort ?? ctx.bcDstPort);
    case 'ST':
      return num(v.status ?? ctx.res?.status);
    case 'r':
      return requestLine(ctx, v) ?? '<BADREQ>';
    case 'HM':
    case 'HU':
    case 'HP':
    case 'HQ':
    case 'HV': {
      const line = requestLine(ctx, v);
      if (line === undefined) return undefined;
      const [m, u = '', ver = ''] = line.split(' ');
      if (name === 'HM') return m;
      if (name === 'HV') return ver;
      const q = u.indexOf('?');
      if (name === 'HU') return u;
      if (name === 'HP') return q < 0 ? u : u.slice(0, q);
      return q < 0 ? '' : u.slice(q);
    }
    case 'H':
      return (host ??= hostname());
    case 'pid':
      return String(v.pid ?? process.pid);
    case 't':
      return logDate(v.acceptDate ?? now, true);
    case 'tr':
      return logDate(v.requestDate ?? v.acceptDate ?? now, true);
    case 'T':
      return logDate(v.acceptDate ?? now, false, true) + ' +0000';
    case 'Ts':
      return String(Math.floor((v.acceptDate ?? now) / 1000));
    case 'ms':
      return p3((v.acceptDate ?? now) % 1000);
    case 'B':
      return num(v.bytesOut ?? 0);
    case 'U':
      return num(v.bytesIn ?? 0);
    case 'Th':
    case 'Ti':
    case 'TR':
    case 'Tw':
    case 'Tc':
    case 'Tr':
    case 'Td':
    case 'Ta':
    case 'Tt':
    case 'Tu':
    case 'Tq':
      return num(v[name]);
    case 'ts':
      return (v.termState ?? '--').slice(0, 2);
    case 'tsc':
      return v.termState ?? '----';
    case 'ac':
      return num(v.actconn ?? 0);
    case 'fc':
      return num(v.feconn ?? ctx.frontend.conn ?? 0);
    case 'bc':
      return num(v.beconn ?? (ctx.backend ?? ctx.frontend).conn ?? 0);
    case 'sc':
      return num(v.srvConn ?? ctx.server?.cur ?? 0);
    case 'rc':
      return (v.redispatched ? '+' : '') + String(v.retries ?? 0);
    case 'sq':
      return num(v.srvQueue ?? 0);
    case 'bq':
      return num(v.backendQueue ?? 0);
    case 'hr':
      return v.capturedReq;
    case 'hs':
      return v.capturedRes;
    case 'CC':
      return v.cookieReq;
    case 'CS':
      return v.cookieRes;
    case 'ID':
      return ctx.uniqueId;
    case 'sslc':
      return v.sslCipher;
    case 'sslv':
      return v.sslVersion;
    case 'lc':
      return num(v.logCounter ?? 0);
    case 'rt':
      return num(v.logCounter ?? 0);
  }
  return undefined;
}

/** Variable names, longest first (HAProxy reads letters; this keeps %Tt apart from %T). */
const VAR_NAMES = [
  'sslc', 'sslv', 'pid', 'tsc', 'tr', 'ci', 'cp', 'fi', 'fp', 'ft', 'bi', 'bp', 'si', 'sp', 'ST', 'HM', 'HU', 'HP', 'HQ', 'HV', 'Ts', 'ms',
  'Th', 'Ti', 'TR', 'Tw', 'Tc', 'Tr', 'Td', 'Ta', 'Tt', 'Tu', 'Tq', 'ts', 'ac', 'fc', 'bc', 'sc', 'rc', 'sq', 'bq', 'hr', 'hs', 'CC',
  'CS', 'ID', 'lc', 'rt', 'f', 'b', 's', 'r', 'H', 't', 'T', 'B', 'U',
];

export class LogFormat {
  constructor(
    readonly parts: Part[],
    readonly text: string,
  ) {}

  /**
   * The string for this stream now. Absent values print '-' in log lines;
   * `absent: ''` gives what HAProxy puts in lf-string bodies and headers.
   */
  render(ctx: SampleContext, vars: LogVars = {}, absent = '-'): string {
    let out = '';
    for (const p of this.parts) {
      if (p.kind === 'text') {
        out += p.text;
        continue;
      }
      let s: string | undefined;
      if (p.kind === 'expr') {
        const smp = new Sample().reset(OPT_FINAL);
        if (processExpr(p.expr!, ctx, smp)) {
          if (p.hex && smp.t === T.BIN) s = (smp.v as Buffer).toString('hex').toUpperCase();
          else s = sampleToString(smp);
        }
      } else s = variable(p.name!, ctx, vars);
      if (s === undefined) {
        out += p.quote ? '""' : absent;
        continue;
      }
      if (p.escape) s = s.replace(/["\\\]]/g, (c) => '\\' + c);
      out += p.quote ? `"${s}"` : s;
    }
    return out;
  }
}

/**
 * Compiles a log-format string. Unknown variables and bad expressions are
 * reported in env.warnings and print "-" (the configuration check has
 * already refused what HAProxy refuses).
 */
export function compileLogFormat(fmt: string, env: CompileEnv): LogFormat {
  const parts: Part[] = [];
  let text = '';
  const flush = () => {
    if (text) parts.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i];
    if (c === '\\' && i + 1 < fmt.length) {
      text += fmt[i + 1];
      i += 2;
      continue;
    }
    if (c === ' ') {
      // consecutive spaces separate fields once
      if (!text.endsWith(' ') || text === '') text += ' ';
      while (fmt[i] === ' ') i++;
      continue;
    }
    if (c !== '%') {
      text += c;
      i++;
      continue;
    }
    if (fmt[i + 1] === '%') {
      text += '%';
      i += 2;
      continue;
    }
    let k = i + 1;
    const opts = { quote: false, hex: false, escape: false };
    if (fmt[k] === '{') {
      const close = fmt.indexOf('}', k);
      if (close < 0) {
        text += fmt.slice(i);
        break;
      }
      for (const o of fmt.slice(k + 1, close).split(',')) {
        const on = o[0] !== '-';
        const name = o.replace(/^[+-]/, '');
        if (name === 'Q') opts.quote = on;
        else if (name === 'X') opts.hex = on;
        else if (name === 'E') opts.escape = on;
      }
      k = close + 1;
    }
    if (fmt[k] === '[') {
      const end = findClose(fmt, k + 1);
      const src = fmt.slice(k + 1, end);
      flush();
      try {
        parts.push({ kind: 'expr', expr: compileExpr(src, env), ...opts });
      } catch (e) {
        env.warnings.push(`log-format: ${(e as Error).message} in '%[${src}]'`);
        parts.push({ kind: 'text', text: '-' });
      }
      i = end + 1;
      continue;
    }
    const name = VAR_NAMES.find((n) => fmt.startsWith(n, k) && !/[A-Za-z]/.test(fmt[k + n.length] ?? ''));
    let e = k;
    while (e < fmt.length && /[A-Za-z]/.test(fmt[e])) e++;
    flush();
    if (!name) {
      env.warnings.push(`log-format: unknown variable '%${fmt.slice(k, e)}'`);
      parts.push({ kind: 'text', text: '-' });
      i = e;
      continue;
    }
    parts.push({ kind: 'var', name, ...opts });
    i = k + name.length;
  }
  flush();
  return new LogFormat(parts, fmt);
}

/** The ']' closing an expression, skipping quoted arguments and nested brackets. */
function findClose(s: string, k: number): number {
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
    else if (c === '[') depth++;
    else if (c === ']') {
      if (!depth) return k;
      depth--;
    }
  }
  return s.length;
}
