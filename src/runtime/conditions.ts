/**
 * The bridge between the runtime and the ACL engine (src/acl): a rule's
 * `if`/`unless` condition and `%[...]` strings, evaluated against the
 * SampleContext a stream or HTTP transaction offers.
 */
import { ProxyAcls, compileLogFormat, type HeaderList as AclHeaders, type LogFormat, type SampleContext } from '../acl/index.js';
import type { CondConf } from '../config/model.js';
import type { HeaderList } from './http/h1/message.js';
import type { RtProxy } from './model.js';

/** What a rule can look at: implemented by the tcp stream and the HTTP transaction. */
export interface RuleSubject {
  runtimeBackend(name: string): RtProxy | undefined;
  sampleContext(): SampleContext;
}

const aclsOf = new WeakMap<RtProxy, ProxyAcls>();

export function proxyAcls(px: RtProxy): ProxyAcls {
  let a = aclsOf.get(px);
  if (!a) aclsOf.set(px, (a = new ProxyAcls(px.conf)));
  return a;
}

/** true/false, or 'wait' when more request bytes could change the answer (`final` false). */
export function evalCondition(cond: CondConf, s: RuleSubject, px: RtProxy, final = true): boolean | 'wait' {
  return proxyAcls(px).cond(cond).eval(s.sampleContext(), final);
}

export function evalConditionRes(cond: CondConf, s: RuleSubject, px: RtProxy, final = true): boolean | 'wait' {
  return proxyAcls(px).cond(cond).evalRes(s.sampleContext(), final);
}

const formats = new WeakMap<RtProxy, Map<string, LogFormat>>();

export function logFormat(px: RtProxy, fmt: string): LogFormat {
  let m = formats.get(px);
  if (!m) formats.set(px, (m = new Map()));
  let f = m.get(fmt);
  if (!f) m.set(fmt, (f = compileLogFormat(fmt, proxyAcls(px).env)));
  return f;
}

export function evalDynamicName(fmt: string, s: RuleSubject, px: RtProxy): string | undefined {
  const v = logFormat(px, fmt).render(s.sampleContext(), {}, '');
  return v || undefined;
}

/** The ACL engine's view of an HTTP header list (lowercase names, in order). */
export class HeaderView implements AclHeaders {
  constructor(private readonly h: HeaderList) {}
  get count(): number {
    return this.h.length;
  }
  name(i: number): string {
    return this.h.names[i];
  }
  value(i: number): string {
    return this.h.values[i];
  }
}
