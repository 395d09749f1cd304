/**
 * Persistence: which server a request must go to because of what the client
 * carries. Cookie persistence (`cookie` in a backend) lives in cookie.ts;
 * `force-persist` / `ignore-persist` rules are evaluated here.
 */
import type { HttpMessage } from '../http/h1/message.js';
import { evalCondition, type RuleSubject } from '../conditions.js';
import type { RtProxy, RtServer } from '../model.js';
import { cookieConfig, persistRequest, persistResponse, type PersistFlags, type PersistTxn } from './cookie.js';

export { cookieConfig, persistRequest, persistResponse, b64tos30, s30tob64 } from './cookie.js';
export type { ClientCookieState, CookieConfig, PersistFlags, PersistTxn, ServerCookieState } from './cookie.js';

/**
 * `force-persist` / `ignore-persist` of the backend: the first rule whose
 * condition matches decides (HAProxy evaluates them once the backend is known).
 */
export function persistRules(be: RtProxy, subject: RuleSubject): { force: boolean; ignore: boolean } {
  for (const r of be.conf.rules) {
    if (r.ruleset !== 'force-persist' && r.ruleset !== 'ignore-persist') continue;
    if (r.cond && evalCondition(r.cond, subject, be) !== true) continue;
    return { force: r.ruleset === 'force-persist', ignore: r.ruleset === 'ignore-persist' };
  }
  return { force: false, ignore: false };
}

/**
 * The request side for an HTTP transaction: null when the backend has no
 * `cookie`. `assigned` is a server already forced by `use-server`.
 */
export function persistHttpRequest(be: RtProxy, req: HttpMessage, subject?: RuleSubject, assigned?: RtServer): PersistTxn | null {
  if (!cookieConfig(be)) return null;
  const flags: PersistFlags = subject ? persistRules(be, subject) : {};
  flags.assigned = !!assigned;
  return persistRequest(be, req, flags);
}

/** The response side: call with the server that answered, before the response head is written. */
export function persistHttpResponse(txn: PersistTxn | null, srv: RtServer | null, res: HttpMessage): void {
  if (txn) persistResponse(txn, srv, res);
}
