/**
 * The 1.x header rules kept by tshaproxy's default mode (HAProxy 2.1
 * removed them; config/keywords/legacy/legacy.ts stores them as
 * `legacy-*` http-request/http-response rules), with their 1.x meaning:
 *  - reqadd/rspadd "Name: value": a header line appended;
 *  - reqdel/rspdel <re>: header lines ("name: value") matching removed;
 *  - reqrep/rsprep <re> <repl>: the start line and each header line
 *    matching rewritten (first match replaced, \1..\9 expanded);
 *  - reqdeny/rspdeny, reqallow, reqtarpit, reqpass <re>: the verdict when
 *    the start line or a header line matches.
 * The `i` forms match case-insensitively. `block` is plain http-request deny.
 */
import type { HttpMessage } from '../../http/h1/message.js';
import type { ActionDef, RuleHost, RunCtx, Verdict } from '../types.js';
import { CONTINUE, STOP } from '../types.js';
import { compileRegex, expReplace, msgOf } from './headers.js';
import { HREQ, HRES, defineActions } from './registry.js';

function startLine(m: HttpMessage): string {
  return m.isResponse ? `${m.version} ${m.statusText} ${m.reason}` : `${m.method} ${m.uri} ${m.version}`;
}

function setStartLine(m: HttpMessage, line: string): void {
  const a = line.indexOf(' ');
  const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
  if (a < 0) return;
  if (m.isResponse) {
    const st = Number(line.slice(a + 1, b < 0 ? undefined : b));
    if (st >= 100 && st <= 999) m.setStatus(st, b < 0 ? '' : line.slice(b + 1));
  } else {
    m.setMethod(line.slice(0, a));
    m.uri = b < 0 ? line.slice(a + 1) : line.slice(a + 1, b);
  }
}

/** "x-forwarded-for" -> "X-Forwarded-For": names are stored lowercase, 1.x regexes were written for the usual case */
function titleCase(n: string): string {
  return n.replace(/(^|-)([a-z])/g, (_x, d: string, c: string) => d + c.toUpperCase());
}

/** The header line as a 1.x regex sees it: the usual capitalisation when it matches that way, else lowercase. */
function headerLine(re: RegExp, name: string, value: string): string | undefined {
  const t = `${titleCase(name)}: ${value}`;
  if (re.test(t)) return t;
  const l = `${name}: ${value}`;
  return re.test(l) ? l : undefined;
}

/** true when the start line or a header line matches */
function anyLine(m: HttpMessage, re: RegExp): boolean {
  if (re.test(startLine(m))) return true;
  const h = m.headers;
  for (let i = 0; i < h.length; i++) if (headerLine(re, h.names[i], h.values[i]) !== undefined) return true;
  return false;
}

type Re = { re: RegExp };

function lineMatch(name: string, icase: boolean, rs: string, verdict: (rt: RunCtx) => Verdict): ActionDef<Re> {
  return {
    name,
    rulesets: [rs],
    parse: (args) => ({ re: compileRegex(args[0] ?? '', icase) }),
    run(c, host: RuleHost, rt) {
      const m = msgOf(host, rt);
      return m && anyLine(m, c.re) ? verdict(rt) : CONTINUE;
    },
  };
}

function add(name: string, rs: string): ActionDef<{ name: string; value: string }> {
  return {
    name,
    rulesets: [rs],
    parse(args) {
      const line = args.join(' ');
      const colon = line.indexOf(':');
      return colon < 0 ? { name: line.trim().toLowerCase(), value: '' } : { name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() };
    },
    run(c, host, rt) {
      msgOf(host, rt)?.headers.add(c.name, c.value);
      return CONTINUE;
    },
  };
}

function del(name: string, icase: boolean, rs: string): ActionDef<Re> {
  return {
    name,
    rulesets: [rs],
    parse: (args) => ({ re: compileRegex(args[0] ?? '', icase) }),
    run(c, host, rt) {
      const h = msgOf(host, rt)?.headers;
      if (!h) return CONTINUE;
      for (let i = h.length - 1; i >= 0; i--) if (headerLine(c.re, h.names[i], h.values[i]) !== undefined) h.removeAt(i);
      return CONTINUE;
    },
  };
}

function rep(name: string, icase: boolean, rs: string): ActionDef<{ re: RegExp; repl: string }> {
  return {
    name,
    rulesets: [rs],
    parse: (args) => ({ re: compileRegex(args[0] ?? '', icase), repl: args[1] ?? '' }),
    run(c, host, rt) {
      const m = msgOf(host, rt);
      if (!m) return CONTINUE;
      const sub = (line: string) => {
        const mm = c.re.exec(line);
        return mm ? line.slice(0, mm.index) + expReplace(c.repl, mm) + line.slice(mm.index + mm[0].length) : undefined;
      };
      const sl = sub(startLine(m));
      if (sl !== undefined) setStartLine(m, sl);
      const h = m.headers;
      for (let i = h.length - 1; i >= 0; i--) {
        const line = headerLine(c.re, h.names[i], h.values[i]);
        const out = line === undefined ? undefined : sub(line);
        if (out === undefined) continue;
        const colon = out.indexOf(':');
        if (colon <= 0) {
          h.removeAt(i);
          continue;
        }
        h.setNameAt(i, out.slice(0, colon).trim());
        h.setValueAt(i, out.slice(colon + 1).trim());
      }
      return CONTINUE;
    },
  };
}

const deny403 = (): Verdict => ({ kind: 'deny', status: 403, reply: { status: 403, errmsg: true, hdrs: [] } });
const deny502 = (): Verdict => ({ kind: 'deny', status: 502, reply: { status: 502, errmsg: true, hdrs: [] } });
const tarpit = (): Verdict => ({ kind: 'tarpit', status: 500, reply: { status: 500, errmsg: true, hdrs: [] } });

defineActions([
  add('legacy-reqadd', HREQ),
  add('legacy-rspadd', HRES),
  del('legacy-reqdel', false, HREQ),
  del('legacy-reqidel', true, HREQ),
  del('legacy-rspdel', false, HRES),
  del('legacy-rspidel', true, HRES),
  rep('legacy-reqrep', false, HREQ),
  rep('legacy-reqirep', true, HREQ),
  rep('legacy-rsprep', false, HRES),
  rep('legacy-rspirep', true, HRES),
  lineMatch('legacy-reqdeny', false, HREQ, deny403),
  lineMatch('legacy-reqideny', true, HREQ, deny403),
  lineMatch('legacy-rspdeny', false, HRES, deny502),
  lineMatch('legacy-rspideny', true, HRES, deny502),
  lineMatch('legacy-reqallow', false, HREQ, () => STOP),
  lineMatch('legacy-reqiallow', true, HREQ, () => STOP),
  lineMatch('legacy-reqtarpit', false, HREQ, tarpit),
  lineMatch('legacy-reqitarpit', true, HREQ, tarpit),
  lineMatch('legacy-reqpass', false, HREQ, () => CONTINUE),
  lineMatch('legacy-reqipass', true, HREQ, () => CONTINUE),
]);
