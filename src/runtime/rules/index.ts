/**
 * The rules engine (tcp-request, tcp-response, http-request, http-response,
 * http-after-response, redirect, use-server). What the runtime calls:
 *  - connectionRules(fe, addrs) at accept, sessionRules(stream) before start;
 *  - TcpRules (tcp streams): tcp-request content with inspect-delay,
 *    switching, use-server, then connectServer();
 *  - httpRequestRules(session, px) for the frontend then the backend,
 *    httpResponseRules(session), renderReply()/errorBytes() for HAProxy's
 *    own responses (http-after-response applied);
 *  - useServer(be, host): the server forced by use-server rules.
 * engine.ts holds the shared verdict loop; actions/ the action table.
 */
export { connectionRules, sessionRules, silentDrop, TcpRules, TcpResponseRules, type TcpRuleStream, type TcpResponseStream, type ConnectionVerdict } from './tcp.js';
export { httpRequestRules, httpResponseRules, afterResponseRules, hasAfterResponse, renderReply, sendReply, errorBytes, type HttpRuleSession } from './http.js';
export { useServer } from './server.js';
export { attachConfig, configFor, aclsOf, listsFor, runLists, rulesOf, hasRules, inspectDelay, effectsOf, ruleLabel } from './engine.js';
export { checkUser, userGroups } from './userlist.js';
export { crypt, cryptCheck } from './crypt.js';
export { findActionDef, allActionDefs } from './actions/index.js';
export type { Verdict, RuleHost, RuleEffects, TraceEvent, Tracer, ActionDef, CompiledRule, ReplySpec } from './types.js';
