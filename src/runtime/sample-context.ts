/**
 * The SampleContext the ACL engine reads, built over a tcp stream or an
 * HTTP session: addresses, proxies, servers, the raw request bytes (tcp) or
 * the parsed request/response (http). Created once per stream, read lazily.
 */
import type { HttpRequestView, HttpResponseView, ProxyView, SampleContext, ServerView, StickView, TlsView, VarScope } from '../acl/context.js';
import { tlsView } from './tls/view.js';
import { VarStore, procVars } from '../acl/context.js';
import { configFor } from './rules/state.js';
import { checkUser, userGroups } from './rules/userlist.js';
import type { SmpValue } from '../acl/types.js';
import { HeaderView } from './conditions.js';
import type { HttpMessage } from './http/h1/message.js';
import { proxyView, type RtProxy, type RtServer } from './model.js';
import { stickOn, stickViewFor } from './stick/index.js';

export interface ContextSource {
  readonly addrs: { src: string; srcPort: number; dst: string; dstPort: number };
  readonly fe: RtProxy;
  readonly be: RtProxy | null;
  readonly server: RtServer | null;
  runtimeProxy(name: string): RtProxy | undefined;
  /** tcp: request bytes seen so far */
  reqBytes?(): Buffer | undefined;
  reqComplete?(): boolean;
  /** tcp: response bytes held for tcp-response content rules */
  resBytes?(): Buffer | undefined;
  resComplete?(): boolean;
  readonly req?: HttpMessage | null;
  readonly res?: HttpMessage | null;
  readonly listener?: { readonly id: number; readonly name?: string };
  /** the client and server sockets (TLS ones answer ssl_fc_* / ssl_bc_*) */
  readonly cli?: unknown;
  readonly srv?: unknown;
  /** server / tunnel timeouts a set-timeout rule gave the stream (cur_server_timeout, cur_tunnel_timeout) */
  curTimeout?(which: 'server' | 'tunnel'): number | undefined;
}

function reqView(m: HttpMessage): HttpRequestView {
  return { method: m.method, uri: m.uri, version: m.version, headers: new HeaderView(m.headers), bodyLength: m.contentLength };
}

function resView(m: HttpMessage): HttpResponseView {
  return { status: m.status, reason: m.reason, version: m.version, headers: new HeaderView(m.headers) };
}

export class StreamContext implements SampleContext {
  private vars = new VarStore();
  private reqMsg: HttpMessage | null = null;
  private reqV: HttpRequestView | undefined;
  private resMsg: HttpMessage | null = null;
  private resV: HttpResponseView | undefined;

  constructor(private readonly s: ContextSource) {}

  get src() {
    return this.s.addrs.src;
  }
  get srcPort() {
    return this.s.addrs.srcPort;
  }
  get dst() {
    return this.s.addrs.dst;
  }
  get dstPort() {
    return this.s.addrs.dstPort;
  }
  get frontend(): ProxyView {
    return proxyView(this.s.fe);
  }
  get backend(): ProxyView | undefined {
    const be = this.s.be ?? (this.s.fe.isBackend ? this.s.fe : null);
    return be ? proxyView(be) : undefined;
  }
  get server(): ServerView | undefined {
    return this.s.server ?? undefined;
  }
  get listener() {
    return this.s.listener;
  }
  get curServerTimeout(): number | undefined {
    return this.s.curTimeout?.('server');
  }
  get curTunnelTimeout(): number | undefined {
    return this.s.curTimeout?.('tunnel');
  }
  get tls(): TlsView | undefined {
    return tlsView(this.s.cli);
  }
  get bcTls(): TlsView | undefined {
    return tlsView(this.s.srv);
  }
  proxy(name: string): ProxyView | undefined {
    const p = this.s.runtimeProxy(name);
    return p ? proxyView(p) : undefined;
  }
  get reqBuf(): Buffer | undefined {
    return this.s.reqBytes?.();
  }
  get reqFinal(): boolean {
    return this.s.reqComplete ? this.s.reqComplete() : true;
  }
  get resBuf(): Buffer | undefined {
    return this.s.resBytes?.();
  }
  get resFinal(): boolean {
    return this.s.resComplete ? this.s.resComplete() : true;
  }
  get req(): HttpRequestView | undefined {
    const m = this.s.req;
    if (!m) return undefined;
    if (m !== this.reqMsg) {
      this.reqMsg = m;
      this.reqV = reqView(m);
    }
    return this.reqV;
  }
  get res(): HttpResponseView | undefined {
    const m = this.s.res;
    if (!m) return undefined;
    if (m !== this.resMsg) {
      this.resMsg = m;
      this.resV = resView(m);
    }
    return this.resV;
  }
  getVar(scope: VarScope, name: string): SmpValue | undefined {
    return (scope === 'proc' ? procVars : this.vars).get(scope, name);
  }
  setVar(scope: VarScope, name: string, value: SmpValue): void {
    (scope === 'proc' ? procVars : this.vars).set(scope, name, value);
  }
  unsetVar(scope: VarScope, name: string): void {
    (scope === 'proc' ? procVars : this.vars).unset(scope, name);
  }
  /** userlist checks for http_auth / http_auth_group (rules engine) */
  checkAuth(userlist: string, user: string, pass: string): boolean {
    return checkUser(configFor(this.s.fe.conf), userlist, user, pass);
  }
  userGroups(userlist: string, user: string): readonly string[] | undefined {
    return userGroups(configFor(this.s.fe.conf), userlist, user);
  }
  /** stick tables (sc_*, src_*, table_*): only when the configuration has some */
  get stick(): StickView | undefined {
    return stickOn ? stickViewFor(this, this.s) : undefined;
  }
  /** a new transaction: txn/req/res variables go */
  newTransaction(): void {
    this.vars.clear('txn');
    this.vars.clear('req');
    this.vars.clear('res');
  }
}
