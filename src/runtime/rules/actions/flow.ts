/**
 * Actions that decide what happens to the stream: allow/accept, deny,
 * tarpit, reject, silent-drop, close, return, auth, expect-proxy, and the
 * accepted-but-not-applied ones (they continue, with a note).
 */

import { cloneReply, buildReply, errorReply, parseReplySpec } from '../reply.js';
import type { ActionDef, ReplySpec, RuleHost, RunCtx, Verdict } from '../types.js';
import { CONTINUE, REJECT, STOP } from '../types.js';
import { HAFT, HREQ, HRES, TCNT, TCON, TRES, TSES, defineActions } from './registry.js';

const SILENT: Verdict = { kind: 'reject', silent: true };

/** http_error_message() for the stream: backend errorfiles, then frontend, then built-in. */
export function errorOf(host: RuleHost): (status: number) => ReturnType<typeof errorReply> {
  return (status) => errorReply(status, host.be?.conf, host.fe.conf, host.sampleContext());
}

const deny: ActionDef<ReplySpec> = {
  name: 'deny',
  rulesets: [HREQ, HRES],
  parse: (args, ctx) => parseReplySpec(args, 'deny', ctx.ruleset === HRES ? 502 : 403, ctx),
  run: (spec) => ({ kind: 'deny', status: spec.status, reply: spec }),
};

const tarpit: ActionDef<ReplySpec> = {
  name: 'tarpit',
  rulesets: [HREQ],
  parse: (args, ctx) => parseReplySpec(args, 'tarpit', 500, ctx),
  run: (spec) => ({ kind: 'tarpit', status: spec.status, reply: spec }),
};

const ret: ActionDef<ReplySpec> = {
  name: 'return',
  rulesets: [HREQ, HRES],
  parse: (args, ctx) => parseReplySpec(args, 'return', 200, ctx),
  run(spec, host) {
    const r = buildReply(spec, host.sampleContext(), errorOf(host));
    if (!r) return { kind: 'error', status: 500 };
    return { kind: 'reply', reply: r, status: spec.status, why: 'return' };
  },
};

/**
 * http-request auth [realm <r>]: the proxy's 401 (407 for proxy requests
 * with option http-use-proxy-header) with its XXX-Authenticate header
 * replaced by `Basic realm="<r>"` (default realm: the proxy's name).
 */
const auth: ActionDef<{ realm?: string }> = {
  name: 'auth',
  rulesets: [HREQ],
  parse: (args) => ({ realm: args[0] === 'realm' ? args[1] : undefined }),
  run(c, host, rt: RunCtx) {
    const req = host.req;
    const proxyReq = !!req && host.fe.option('http-use-proxy-header') && req.uri[0] !== '/' && req.uri[0] !== '*';
    const status = proxyReq ? 407 : 401;
    const hdr = proxyReq ? 'proxy-authenticate' : 'www-authenticate';
    const base = errorOf(host)(status);
    if (!base || !base.message) return { kind: 'reply', reply: base ?? { message: null, body: Buffer.alloc(0) }, status, why: 'auth' };
    const r = cloneReply(base);
    r.message!.headers.del(hdr);
    r.message!.headers.add(hdr, `Basic realm="${c.realm ?? rt.px.name}"`);
    return { kind: 'reply', reply: r, status, why: 'auth' };
  },
};

const allow: ActionDef<void> = { name: 'allow', rulesets: [HREQ, HRES, HAFT], parse: () => undefined, run: () => STOP };
const accept: ActionDef<void> = { name: 'accept', rulesets: [TCON, TSES, TCNT, TRES], parse: () => undefined, run: () => STOP };
const reject: ActionDef<void> = { name: 'reject', rulesets: [TCON, TSES, TCNT, TRES, HREQ], parse: () => undefined, run: () => REJECT };
const silentDrop: ActionDef<void> = {
  name: 'silent-drop',
  rulesets: [TCON, TSES, TCNT, TRES, HREQ, HRES],
  parse: () => undefined,
  run: () => SILENT,
};
/** tcp-response content close: the server connection is closed, the client's goes on closing */
const close: ActionDef<void> = { name: 'close', rulesets: [TRES], parse: () => undefined, run: () => REJECT };

/** tcp-request connection expect-proxy layer4: a PROXY header is read before anything else */
const expectProxy: ActionDef<void> = {
  name: 'expect-proxy',
  rulesets: [TCON],
  parse: () => undefined,
  run(_c, _h, rt) {
    rt.fx.expectProxy = true;
    return CONTINUE;
  },
};

/** Accepted, evaluated in order, but without effect in tshaproxy (noted by -c and route). */
function noop(name: string, rulesets: string[], why: string): ActionDef<void> {
  return { name, rulesets, parse: () => undefined, run: () => CONTINUE, noop: why };
}



defineActions([
  deny,
  tarpit,
  ret,
  auth,
  allow,
  accept,
  reject,
  silentDrop,
  close,
  expectProxy,
  noop('expect-netscaler-cip', [TCON, TSES, TCNT], 'NetScaler client IP insertion is not implemented'),
  noop('strict-mode', [HREQ, HRES, HAFT], 'strict-mode has no effect (rewrite errors are not reported)'),
  noop('disable-l7-retry', [HREQ], 'l7 retries are not implemented'),
  noop('wait-for-handshake', [HREQ], 'no TLS early data: nothing to wait for'),
  noop('wait-for-body', [HREQ, HRES], 'bodies are not buffered for rules'),
  noop('use-service', [HREQ, TCNT], 'services (prometheus-exporter, lua) are not implemented'),
  noop('switch-mode', [TCNT], 'switch-mode http is not implemented'),
  noop('send-spoe-group', [HREQ, HRES, TCNT, TRES], 'SPOE is not implemented'),
  noop('ot-group', [HREQ, HRES, HAFT, TCNT, TRES], 'OpenTracing is not implemented'),
  noop('do-resolve', [HREQ, TCNT], 'do-resolve is not implemented'),
  noop('cache-use', [HREQ], 'the cache is not implemented'),
  noop('cache-store', [HRES], 'the cache is not implemented'),
  noop('set-map', [HREQ, HRES], 'runtime map updates are not implemented'),
  noop('del-map', [HREQ, HRES], 'runtime map updates are not implemented'),
  noop('add-acl', [HREQ, HRES], 'runtime ACL updates are not implemented'),
  noop('del-acl', [HREQ, HRES], 'runtime ACL updates are not implemented'),
]);


