/**
 * The headers HAProxy adds for the server about the client connection:
 * `option forwardfor` and `option originalto`, merged from the frontend and
 * the backend as HAProxy 2.6 does (on if either has it, the backend's header
 * name first, skipped when the address is in either side's `except`
 * network; `if-none` keeps a header the client already sent). Shared by the
 * HTTP session and `tshaproxy route`.
 */
import type { RtProxy } from '../model.js';
import type { HttpMessage } from './h1/message.js';

interface FwdOpts {
  header?: string;
  ifNone: boolean;
  except?: string;
}

function parseFwd(args: string[]): FwdOpts {
  const r: FwdOpts = { ifNone: false };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === 'header') r.header = args[++i];
    else if (args[i] === 'if-none') r.ifNone = true;
    else if (args[i] === 'except') r.except = args[++i];
  }
  return r;
}

function sides(fe: RtProxy, be: RtProxy | null, name: string): { fe?: FwdOpts; be?: FwdOpts } | null {
  const f = fe.conf.options.get(name);
  const b = be && be !== fe ? be.conf.options.get(name) : undefined;
  if (!f?.enabled && !b?.enabled) return null;
  return { fe: f?.enabled ? parseFwd(f.args) : undefined, be: b?.enabled ? parseFwd(b.args) : undefined };
}

export function addForwardHeaders(req: HttpMessage, fe: RtProxy, be: RtProxy | null, addrs: { src: string; dst: string }): void {
  const ff = sides(fe, be, 'forwardfor');
  if (ff) {
    const name = ff.be?.header ?? ff.fe?.header ?? 'x-forwarded-for';
    const ifNone = (ff.fe?.ifNone ?? false) || (ff.be?.ifNone ?? false);
    const src = addrs.src;
    const excluded = (ff.fe?.except && inNet(src, ff.fe.except)) || (ff.be?.except && inNet(src, ff.be.except));
    if (!excluded && !(ifNone && req.headers.has(name))) req.headers.add(name, src);
  }
  const ot = sides(fe, be, 'originalto');
  // HAProxy 2.6 adds X-Original-To for IPv4 destinations only
  if (ot && /^\d+\.\d+\.\d+\.\d+$/.test(addrs.dst)) {
    const dst = addrs.dst;
    const excluded = (ot.fe?.except && inNet(dst, ot.fe.except)) || (ot.be?.except && inNet(dst, ot.be.except));
    if (!excluded) req.headers.add(ot.be?.header ?? ot.fe?.header ?? 'x-original-to', dst);
  }
}

/** true when the IPv4 `addr` is in `net` (a.b.c.d, a.b.c.d/len or a.b.c.d/mask); other forms compare as text */
export function inNet(addr: string, net: string): boolean {
  const [base, bits] = net.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => ((n << 8) + (Number(o) & 255)) >>> 0, 0);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr) || !/^\d+\.\d+\.\d+\.\d+$/.test(base)) return addr === base;
  let mask: number;
  if (bits !== undefined && bits.includes('.')) mask = toInt(bits);
  else {
    const b = bits === undefined ? 32 : Number(bits);
    mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
  }
  return (toInt(addr) & mask) >>> 0 === (toInt(base) & mask) >>> 0;
}

/** the path of a request-target (absolute URIs included), without the query */
export function pathOf(uri: string): string {
  let p = uri;
  const s = p.indexOf('://');
  if (s > 0) {
    const slash = p.indexOf('/', s + 3);
    p = slash < 0 ? '/' : p.slice(slash);
  }
  const q = p.indexOf('?');
  return q < 0 ? p : p.slice(0, q);
}
