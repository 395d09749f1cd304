/**
 * `use-server` rules (HAProxy's process_server_rules): once the backend is
 * known, the first rule whose condition holds names the server, used when
 * it is up, or down with `option persist` / a matching `force-persist`;
 * otherwise the next rules are tried. Dynamic names (`%[...]`) are
 * rendered per stream; an unknown name ends the search.
 */
import type { RtProxy, RtServer } from '../model.js';
import { aclsOf } from './state.js';
import { ruleFormat } from './format.js';
import type { RuleHost, Tracer } from './types.js';
import { persistRules } from '../persist/index.js';

export function useServer(be: RtProxy, host: RuleHost, trace?: Tracer, forcePersist = false): RtServer | undefined {
  const rules = be.conf.useServers;
  if (!rules.length) return undefined;
  const acls = aclsOf(be.conf);
  const ctx = host.sampleContext();
  for (const r of rules) {
    const ok = r.cond ? acls.cond(r.cond).eval(ctx, true) === true : true;
    trace?.({
      ruleset: 'use-server',
      proxy: be.name,
      file: r.file,
      line: r.line,
      label: `use-server ${r.server}${r.cond ? (r.cond.text.startsWith(r.cond.polarity + ' ') ? ` ${r.cond.text}` : ` ${r.cond.polarity} ${r.cond.text}`) : ''}`,
      cond: r.cond ? ok : 'none',
      verdict: ok ? 'stop' : undefined,
    });
    if (!ok) continue;
    const name = r.dynamic ? ruleFormat(r.server, acls.env).render(ctx) : r.server;
    const srv = be.servers.find((s) => s.name === name);
    if (!srv) return undefined;
    if (srv.up || be.option('persist') || forcePersist || persistRules(be, { runtimeBackend: () => undefined, sampleContext: () => ctx } as never).force) return srv;
  }
  return undefined;
}
