/**
 * The bridge between the runtime and the ACL engine (src/acl): evaluates a
 * rule's `if`/`unless` condition and `%[...]` strings against a stream.
 * Until the ACL engine is wired in, a condition is unknown (undefined) and
 * the rule does not apply; `-c` says so for every conditional rule.
 */
import type { CondConf } from '../config/model.js';
import type { RtProxy } from './model.js';

/** What a rule can look at: implemented by the tcp stream and the HTTP transaction. */
export interface RuleSubject {
  runtimeBackend(name: string): RtProxy | undefined;
}

export function evalCondition(_cond: CondConf, _s: RuleSubject, _px: RtProxy): boolean | 'wait' | undefined {
  return undefined;
}

export function evalDynamicName(_fmt: string, _s: RuleSubject, _px: RtProxy): string | undefined {
  return undefined;
}
