/**
 * Choosing the backend: `use_backend` rules in order, then `default_backend`;
 * a `listen` section is its own backend. Conditions are evaluated by the ACL
 * engine through `conditions.ts`; dynamic names (`%[...]`) are resolved per
 * request there too.
 */
import type { RtProxy } from './model.js';
import { evalCondition, evalDynamicName, type RuleSubject } from './conditions.js';

export function chooseBackend(fe: RtProxy, subject: RuleSubject): RtProxy | null {
  for (const r of fe.switching) {
    if (r.cond && evalCondition(r.cond, subject, fe) !== true) continue;
    if (r.backend) return r.backend;
    if (r.dynamic !== undefined) {
      const name = evalDynamicName(r.dynamic, subject, fe);
      const be = name !== undefined ? subject.runtimeBackend(name) : undefined;
      if (be) return be;
      continue;
    }
  }
  if (fe.isBackend) return fe;
  return fe.defaultBackend ?? null;
}
