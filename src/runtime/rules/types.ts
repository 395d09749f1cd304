/**
 * The rules engine's contracts. Every rule set (tcp-request connection /
 * session / content, tcp-response content, http-request, http-response,
 * http-after-response, the `redirect` keyword) is a list of compiled rules
 * run by one verdict loop (engine.ts); each action is a row of a table
 * (actions/*.ts) with a `parse` run once per rule and a `run` per stream.
 */
import type { SampleContext } from '../../acl/context.js';
import type { ProxyAcls } from '../../acl/compile.js';
import type { Config, Proxy, RuleConf } from '../../config/model.js';
import type { HttpMessage } from '../http/h1/message.js';
import type { Reply } from '../http/errors.js';
import type { RtProxy } from '../model.js';

/** What a rule's action tells the loop. */
export type Verdict =
  /** go on with the next rule */
  | { kind: 'continue' }
  /** allow / accept: this rule list is over, processing goes on */
  | { kind: 'stop' }
  /** deny (http: an error reply with `status`; tcp: reject) */
  | { kind: 'deny'; status: number; reply?: ReplySpec }
  /** http-request tarpit: hold the request `timeout tarpit`, then reply `status` */
  | { kind: 'tarpit'; status: number; reply?: ReplySpec }
  /** a response built by the action (return, redirect, auth): send it, the transaction ends */
  | { kind: 'reply'; reply: Reply; status: number; why: 'return' | 'redirect' | 'auth' }
  /** close the connection without a word (tcp reject, silent-drop) */
  | { kind: 'reject'; silent?: boolean }
  /** a condition needs more data (tcp-request content with inspect-delay) */
  | { kind: 'wait' }
  /** an internal error (500) or a bad request/response (400/502) */
  | { kind: 'error'; status: number }
  /** the action finished the processing successfully (e.g. expect-proxy handled) */
  | { kind: 'done' };

export const CONTINUE: Verdict = { kind: 'continue' };
export const STOP: Verdict = { kind: 'stop' };
export const WAIT: Verdict = { kind: 'wait' };
export const REJECT: Verdict = { kind: 'reject' };
export const DONE: Verdict = { kind: 'done' };

/** A reply an action describes; built against the stream when it fires (http-reply of HAProxy). */
export interface ReplySpec {
  status: number;
  /** use the proxy's error message for `status` (errorfile or built-in) */
  errmsg?: boolean;
  /** an explicit errorfile/errorfiles message */
  message?: Reply;
  contentType?: string;
  /** static body (string/file) */
  body?: Buffer;
  /** log-format body (lf-string/lf-file) */
  bodyFmt?: RuleFormat;
  hdrs: { name: string; value: RuleFormat }[];
}

/** A log-format string as rules use it (set-header values, lf-string...). */
export interface RuleFormat {
  readonly text: string;
  render(ctx: SampleContext): string;
}

/** Addresses of the stream as rules see and change them (set-src, set-dst...). */
export interface Addrs {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  family: 4 | 6;
}

/**
 * What a rule runs against: implemented by the tcp stream, the HTTP session
 * and the `route` simulator. Only `fe`, `addrs` and `sampleContext` are
 * required; the rest exists where it makes sense.
 */
export interface RuleHost {
  readonly fe: RtProxy;
  readonly be: RtProxy | null;
  readonly addrs: Addrs;
  sampleContext(): SampleContext;
  readonly req?: HttpMessage | null;
  readonly res?: HttpMessage | null;
  /** finds a backend by name (dynamic names) */
  runtimeBackend?(name: string): RtProxy | undefined;
  /** http-request set-timeout: this stream's server or tunnel timeout (ms) from now on */
  overrideTimeout?(which: 'server' | 'tunnel', ms: number): void;
}

/** Facts actions leave for the stream (log level, captures, timeouts...), one per stream. */
export interface RuleEffects {
  logLevel?: string;
  /** `capture ... len N` / `id N` values, by slot */
  reqCaptures: (string | undefined)[];
  resCaptures: (string | undefined)[];
  /** set-timeout server|tunnel (ms) */
  timeouts: { server?: number; tunnel?: number };
  /** tcp-request connection expect-proxy layer4 fired */
  expectProxy?: boolean;
  /** early-hint headers to send as 103 responses before the response; null ends one 103 */
  earlyHints: ([string, string] | null)[];
  /** set-priority-class/offset */
  prioClass?: number;
  prioOffset?: number;
  /** set-mark / set-tos / set-nice values (kept, not applied) */
  misc: Map<string, string>;
  /** mark the connection to be closed after this transaction (http-response close?) */
  wantClose?: boolean;
}

export function newEffects(): RuleEffects {
  return { reqCaptures: [], resCaptures: [], timeouts: {}, earlyHints: [], misc: new Map() };
}

/** What an action's parser gets, once per rule. */
export interface ParseCtx {
  /** the proxy (or named defaults section) the rule is written in */
  readonly proxy: Proxy;
  readonly config?: Config;
  /** the ACL engine of that proxy (its compile environment serves expressions) */
  readonly acls: ProxyAcls;
  readonly ruleset: string;
  /** the action word as written after the rule set ('set-var(txn.x)') */
  readonly word: string;
  /** text between parentheses of the action word */
  readonly paren?: string;
  readonly rule: RuleConf;
  /** notes for `-c` / route output (e.g. parsed but not applied) */
  note(text: string): void;
}

/** An action: a row of the table. `run` is called only when the rule's condition holds. */
export interface ActionDef<C = any> {
  /** the action name as HAProxy registers it ('set-header', 'track-sc', 'set-var'...) */
  readonly name: string;
  /** rule sets it exists in */
  readonly rulesets: readonly string[];
  /** compiles the arguments (they were validated by the configuration check) */
  parse(args: string[], ctx: ParseCtx): C;
  run(c: C, host: RuleHost, rt: RunCtx): Verdict;
  /** called once the whole list is compiled, with the rule that follows (early-hint grouping) */
  link?(c: C, next: CompiledRule | undefined): void;
  /** true when the action is accepted but does nothing yet (reported by -c and route) */
  readonly noop?: string;
}

/** Per-run context handed to actions. */
export interface RunCtx {
  /** the proxy whose rules run (its errorfiles, its name for `auth` realms) */
  readonly px: RtProxy;
  readonly ruleset: string;
  readonly fx: RuleEffects;
  /** the condition may still change (inspect-delay running): actions that can yield may ask to wait */
  readonly final: boolean;
  /** the userlists of the configuration */
  readonly cfg: RulesConfig;
}

/** Configuration-wide facts the actions need (userlists, error sections). */
export interface RulesConfig {
  readonly config?: Config;
}

/** A rule ready to run. */
export interface CompiledRule {
  readonly conf: RuleConf;
  readonly action: ActionDef;
  readonly compiled: unknown;
  /** the proxy conf the rule (and its ACLs) belong to: a proxy or a named defaults section */
  readonly owner: Proxy;
  readonly acls: ProxyAcls;
  /** short text for traces: "http-request deny if { path /x }" */
  readonly label: string;
  /** a note when the action is only partly honoured */
  readonly note?: string;
}

/** One rule evaluated, for the route tool and tests. */
export interface TraceEvent {
  ruleset: string;
  proxy: string;
  file: string;
  line: number;
  label: string;
  /** condition outcome: true/false/'wait', or 'none' when the rule has no condition */
  cond: boolean | 'wait' | 'none';
  /** verdict kind when the action ran */
  verdict?: Verdict['kind'];
  note?: string;
}

export type Tracer = (e: TraceEvent) => void;
