/**
 * HAProxy's http-reply (http_htx.c) for deny, tarpit, return, auth and
 * http-error: which message a rule sends and how it is built.
 *  - an "error message" reply (deny with only deny_status, return
 *    default-errorfiles, auth) takes the proxy's errorfile for the status
 *    (backend first, then frontend: http_error_message), else the built-in;
 *  - an explicit reply is "HTTP/1.1 <status> <reason>", the `hdr` lines
 *    (log-format; empty values skipped), content-length, then content-type
 *    when there is a payload.
 * Replies are HttpMessage + body, written for the client by the HTTP
 * session's serializer (lowercase names, connection header logic).
 */
import { readFileSync } from 'node:fs';
import type { Config, Proxy } from '../../config/model.js';
import { sectionsOf } from '../../config/model.js';
import { builtinReply, parseErrorfile, type Reply } from '../http/errors.js';
import { HttpMessage, MF_BODYLESS, MF_CLEN, MF_RESP, MF_VER_11, MF_XFER_LEN, reasonPhrase } from '../http/h1/message.js';
import type { SampleContext } from '../../acl/context.js';
import { ruleFormat } from './format.js';
import type { ParseCtx, ReplySpec, RuleFormat } from './types.js';
import { aclsOf, configFor } from './state.js';

/* ---- errorfiles ------------------------------------------------------------------ */

const fileCache = new Map<string, Reply | null>();

function loadErrorfile(path: string): Reply | null {
  if (fileCache.has(path)) return fileCache.get(path)!;
  let r: Reply | null = null;
  try {
    const p = parseErrorfile(readFileSync(path), { file: path });
    if (!('error' in p)) r = p;
  } catch {
    r = null;
  }
  fileCache.set(path, r);
  return r;
}

const locCache = new Map<string, Reply>();

/** errorloc302/303: a redirect HAProxy builds as text and parses like an errorfile */
function errorloc(code: 302 | 303, url: string): Reply {
  const key = code + url;
  let r = locCache.get(key);
  if (!r) {
    const text = `HTTP/1.1 ${code} ${code === 302 ? 'Found' : 'See Other'}\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: ${url}\r\n\r\n`;
    const p = parseErrorfile(Buffer.from(text, 'latin1'));
    r = 'error' in p ? builtinReply(500) : p;
    locCache.set(key, r);
  }
  return r;
}

/** The defaults section a proxy inherited from (named or not). */
export function inheritedDefaults(p: Proxy, config: Config | undefined): Proxy | undefined {
  if (!config || p.from === undefined) return undefined;
  let found: Proxy | undefined;
  for (const d of config.defaults) {
    if (d.name !== p.from) continue;
    if (d.file === p.file && d.line > p.line) continue;
    found = d;
  }
  return found;
}

/** an error reply as configured: a message, or a spec rendered per stream (http-error with log-format parts) */
type ErrReply = Reply | ReplySpec | null;

interface ErrEntry {
  line: number;
  get: () => ErrReply | undefined;
}

function httpErrorsFile(config: Config | undefined, name: string, status: number): Reply | null | undefined {
  if (!config) return undefined;
  const sec = sectionsOf(config, 'http-errors').find((s) => s.name === name);
  const e = sec?.errorfiles.get(status);
  return e ? loadErrorfile(e.file) : undefined;
}

const proxyErrCache = new WeakMap<Proxy, Map<number, ErrReply | undefined>>();

/**
 * The reply `p` configured for `status` (errorfile, errorloc, errorfiles,
 * http-error), the last one written winning, defaults first; undefined
 * when none. null means an empty errorfile (send nothing, close).
 */
export function proxyErrorReply(p: Proxy, status: number): ErrReply | undefined {
  let m = proxyErrCache.get(p);
  if (!m) proxyErrCache.set(p, (m = new Map()));
  if (m.has(status)) return m.get(status);
  const config = configFor(p);
  const entries: ErrEntry[] = [];
  const ef = p.errorfiles.get(status);
  if (ef) {
    entries.push({
      line: ef.pos.line,
      get: () =>
        ef.kind === 'file' ? loadErrorfile(ef.value) : ef.kind === 'errors' ? httpErrorsFile(config, ef.value, status) : errorloc(ef.kind === 'loc303' ? 303 : 302, ef.value),
    });
  }
  const scan = (src: Proxy) => {
    for (const d of src.directives) {
      if (d.keyword === 'errorfiles') {
        const codes = d.args.slice(1).map(Number);
        if (codes.length && !codes.includes(status)) continue;
        entries.push({ line: d.line, get: () => httpErrorsFile(config, d.args[0], status) });
      } else if (d.keyword === 'http-error' && Number(d.args[1]) === status) {
        entries.push({ line: d.line, get: () => httpErrorDirective(src, d.args, status) });
      }
    }
  };
  const def = inheritedDefaults(p, config);
  if (def) scan(def);
  scan(p);
  entries.sort((a, b) => a.line - b.line);
  let r: ErrReply | undefined;
  for (const e of entries) {
    const v = e.get();
    if (v !== undefined) r = v;
  }
  m.set(status, r);
  return r;
}

/** `http-error status N ...`: a message, or a spec when parts are log-format strings */
function httpErrorDirective(src: Proxy, args: string[], status: number): ErrReply | undefined {
  const spec = parseReplySpec(args.slice(2), 'http-error', status, { proxy: src, config: configFor(src), acls: aclsOf(src) });
  if (spec.errmsg) return undefined;
  if (spec.message) return spec.message;
  if (spec.bodyFmt || spec.hdrs.length) return spec;
  return buildStatic(spec);
}

function isSpec(r: ErrReply): r is ReplySpec {
  return r !== null && 'hdrs' in r;
}

/**
 * http_error_message(): the stream's error reply for `status` (backend,
 * then frontend, then built-in). `ctx` renders http-error log-format parts.
 */
export function errorReply(status: number, be: Proxy | undefined, fe: Proxy, ctx?: SampleContext): Reply | null {
  let r: ErrReply | undefined;
  if (be) r = proxyErrorReply(be, status);
  if (r === undefined && fe !== be) r = proxyErrorReply(fe, status);
  if (r === undefined) return builtinReply(status);
  if (isSpec(r)) return ctx ? buildReply(r, ctx, (st) => builtinReply(st)) : builtinReply(status);
  return r;
}

/* ---- reply specs (deny / tarpit / return options) --------------------------------- */

const ONE_ARG = new Set(['deny_status', 'status', 'content-type', 'errorfile', 'errorfiles', 'file', 'lf-file', 'string', 'lf-string']);

/**
 * Reads the reply options of a deny/tarpit/return/http-error rule (already
 * validated by the configuration check). `dflt` is the status when none is
 * given (403 deny, 500 tarpit, 200 return).
 */
export function parseReplySpec(
  args: string[],
  kind: 'deny' | 'tarpit' | 'return' | 'http-error',
  dflt: number,
  ctx: Pick<ParseCtx, 'proxy' | 'config'> & { acls?: ParseCtx['acls'] },
): ReplySpec {
  const spec: ReplySpec = { status: dflt, hdrs: [] };
  const env = ctx.acls?.env ?? { warnings: [], proxy: ctx.proxy, config: ctx.config };
  let explicit = false;
  let errorfiles: string | undefined;
  let errorfile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const o = args[i];
    if (o === 'if' || o === 'unless') break;
    const v = args[i + 1];
    switch (o) {
      case 'deny_status':
      case 'status':
        spec.status = Number(v);
        break;
      case 'content-type':
        spec.contentType = v;
        explicit = true;
        break;
      case 'default-errorfiles':
        spec.errmsg = true;
        break;
      case 'errorfile':
        errorfile = v;
        break;
      case 'errorfiles':
        errorfiles = v;
        break;
      case 'file':
        try {
          spec.body = readFileSync(v);
        } catch {
          spec.body = Buffer.alloc(0);
        }
        explicit = true;
        break;
      case 'lf-file': {
        let t = '';
        try {
          t = readFileSync(v, 'latin1');
        } catch {
          /* checked at parse time */
        }
        spec.bodyFmt = ruleFormat(t, env);
        explicit = true;
        break;
      }
      case 'string':
        spec.body = Buffer.from(v ?? '', 'latin1');
        explicit = true;
        break;
      case 'lf-string':
        spec.bodyFmt = ruleFormat(v ?? '', env);
        explicit = true;
        break;
      case 'hdr': {
        const name = args[i + 1] ?? '';
        const lname = name.toLowerCase();
        i += 2;
        // HAProxy ignores these with a warning at parse time
        if (lname === 'content-length' || lname === 'transfer-encoding' || lname === 'content-type') continue;
        spec.hdrs.push({ name: lname, value: ruleFormat(args[i] ?? '', env) });
        explicit = true;
        continue;
      }
      default:
        continue;
    }
    if (ONE_ARG.has(o)) i++;
  }
  if (errorfile !== undefined) {
    spec.message = loadErrorfile(errorfile) ?? undefined;
    if (!spec.message) spec.errmsg = true;
  } else if (errorfiles !== undefined) {
    const r = httpErrorsFile(ctx.config, errorfiles, spec.status);
    if (r) spec.message = r;
    else spec.errmsg = true;
  } else if (!explicit && (kind === 'deny' || kind === 'tarpit')) {
    spec.errmsg = true;
  }
  if (spec.message || spec.errmsg) {
    spec.hdrs = [];
    spec.body = undefined;
    spec.bodyFmt = undefined;
  }
  return spec;
}

function newReplyMessage(status: number): HttpMessage {
  const msg = new HttpMessage(true);
  msg.version = 'HTTP/1.1';
  msg.status = status;
  msg.statusText = String(status);
  msg.reason = reasonPhrase(status);
  msg.flags = MF_RESP | MF_VER_11 | MF_XFER_LEN | MF_CLEN;
  return msg;
}

function finish(msg: HttpMessage, body: Buffer, ctype: string | undefined): Reply {
  msg.headers.add('content-length', String(body.length));
  msg.contentLength = body.length;
  if (body.length && ctype) msg.headers.add('content-type', ctype);
  if (!body.length) msg.flags |= MF_BODYLESS;
  return { message: msg, body };
}

const staticCache = new WeakMap<ReplySpec, Reply>();

function buildStatic(spec: ReplySpec): Reply {
  let r = staticCache.get(spec);
  if (!r) {
    r = finish(newReplyMessage(spec.status), spec.body ?? Buffer.alloc(0), spec.contentType);
    staticCache.set(spec, r);
  }
  return r;
}

/**
 * The reply of a rule now. Error-message replies come from `errorOf`
 * (the stream's http_error_message); the others are built here. The
 * returned reply may be shared: clone it before changing it.
 */
export function buildReply(spec: ReplySpec, ctx: SampleContext, errorOf: (status: number) => Reply | null): Reply | null {
  if (spec.message) return spec.message;
  if (spec.errmsg) return errorOf(spec.status);
  if (!spec.bodyFmt && !spec.hdrs.length) return buildStatic(spec);
  const msg = newReplyMessage(spec.status);
  for (const h of spec.hdrs) {
    const v = h.value.render(ctx);
    if (v.length) msg.headers.add(h.name, v);
  }
  const body = spec.bodyFmt ? Buffer.from(spec.bodyFmt.render(ctx), 'latin1') : (spec.body ?? Buffer.alloc(0));
  return finish(msg, body, spec.contentType);
}

/** A private copy of a reply whose head rules may change (http-after-response). */
export function cloneReply(r: Reply): Reply {
  if (!r.message) return r;
  const m = r.message;
  const c = new HttpMessage(true);
  c.flags = m.flags;
  c.version = m.version;
  c.status = m.status;
  c.statusText = m.statusText;
  c.reason = m.reason;
  c.headers = m.headers.clone();
  c.contentLength = m.contentLength;
  return { message: c, body: r.body };
}

/** A redirect reply (http_apply_redirect_rule): no payload, Location, cache-control for 302/303/307. */
export function redirectReply(code: number, location: string, cookie: string | undefined): Reply {
  const msg = new HttpMessage(true);
  msg.version = 'HTTP/1.1';
  msg.status = code;
  msg.statusText = String(code);
  msg.reason = REDIRECT_REASONS[code] ?? 'Found';
  msg.flags = MF_RESP | MF_VER_11 | MF_XFER_LEN | MF_BODYLESS | MF_CLEN;
  msg.contentLength = 0;
  msg.headers.add('content-length', '0');
  msg.headers.add('location', location);
  if (code === 302 || code === 303 || code === 307) msg.headers.add('cache-control', 'no-cache');
  if (cookie) msg.headers.add('set-cookie', cookie);
  return { message: msg, body: Buffer.alloc(0) };
}

const REDIRECT_REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};

export type { RuleFormat };
