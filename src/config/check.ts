/**
 * The passes that run before any socket opens, in HAProxy's order:
 * parse every file → check validity (names resolve, contexts fit, proxies are
 * complete) → resolve server addresses → count listeners. `tshaproxy -c`
 * runs exactly these; the runtime starts from the frozen model they return.
 */
import { lookup } from 'node:dns/promises';
import { Diagnostics, ERR_ABORT, ERR_ALERT, ERR_FATAL, ERR_WARN } from '../parser/diagnostics.js';
import { readConfig, expandConfigPaths } from '../parser/reader.js';
import { newProxy, proxiesNamed, sectionsOf, type Config, type Proxy } from './model.js';
import type { ParseOptions } from './registry.js';
import { isBackend, isFrontend, proxyTypeStr } from './keywords/proxy/section.js';
import './keywords/index.js';
import { serverStateWarnings } from './keywords/global/serverstate.js';

export interface CheckResult {
  config: Config;
  diags: Diagnostics;
  /** 0 valid, 1 invalid, 2 valid but nothing listens */
  exit: 0 | 1 | 2;
  /** the closing lines HAProxy prints on stdout */
  stdout: string[];
}

import { postChecks, proxyChecks, registerPostCheck, registerProxyCheck, Stage, type PostCheck } from './postchecks.js';
export { registerPostCheck, type PostCheck };

/** Hostnames to resolve before start: filled by the server module. */
export interface PendingResolution {
  host: string;
  /** message prefix, e.g. `'server be/s1'` */
  what: string;
  file: string;
  line: number;
  /** true when the address came from an environment variable that was empty */
  emptyFromEnv?: string;
  family?: 'ipv4' | 'ipv6';
  done?: (address: string) => void;
}
export const resolutions = new WeakMap<Config, PendingResolution[]>();
export function addResolution(config: Config, r: PendingResolution): void {
  let l = resolutions.get(config);
  if (!l) resolutions.set(config, (l = []));
  l.push(r);
}

function missingTimeouts(p: Proxy, diags: Diagnostics): number {
  if (p.mode !== 'tcp' && p.mode !== 'http') return 0;
  if (p.disabled) return 0;
  const fe = isFrontend(p) && p.kind !== 'defaults';
  const be = isBackend(p) && p.kind !== 'defaults';
  const t = p.timeouts;
  // a backend without servers is not checked; in tcp mode 'timeout tunnel' stands for 'timeout server'
  const beMiss = p.servers.length > 0 && (!t.get('connect') || (!t.get('server') && (p.mode === 'http' || !t.get('tunnel'))));
  const miss = (fe && !t.get('client')) || (be && beMiss);
  if (!miss) return 0;
  diags.warning(
    `missing timeouts for ${proxyTypeStr(p)} '${p.name}'.\n` +
      '   | While not properly invalid, you will certainly encounter various problems\n' +
      '   | with such a configuration. To fix this, please ensure that all following\n' +
      "   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.",
    undefined,
    undefined,
    'none',
  );
  return ERR_WARN;
}

/** HAProxy's text for a backend whose mode the proxy cannot switch to ("tcp"/"http"). */
function incompatible(p: Proxy, target: Proxy, how: string): string {
  return `${p.mode} ${proxyTypeStr(p)} '${p.name}' (${p.file}:${p.line}) tries to use incompatible ${target.mode} ${proxyTypeStr(target)} '${target.name}' (${target.file}:${target.line}) ${how} (see 'mode').`;
}

/** default_backend and static use_backend names must name another backend whose mode fits. */
function switchingTargets(p: Proxy, config: Config, diags: Diagnostics, which: 'default' | 'use'): number {
  let err = 0;
  const fail = (m: string) => {
    diags.alert(m, undefined, undefined, 'none');
    err |= ERR_ALERT | ERR_FATAL;
  };
  const names =
    which === 'default'
      ? p.defaultBackend && isFrontend(p) && !p.defaultBackend.name.includes('%[') ? [p.defaultBackend.name] : []
      : p.useBackends.filter((r) => !r.dynamic).map((r) => r.backend);
  const kw = which === 'default' ? 'default_backend' : 'use_backend';
  for (const name of names) {
    const target = proxiesNamed(config, name).find(isBackend);
    if (!target) fail(`Proxy '${p.name}': unable to find required ${kw}: '${name}'.`);
    else if (target === p) fail(`Proxy '${p.name}': loop detected for ${kw}: '${name}'.`);
    // a tcp proxy may hand over to an http backend (an upgrade), not the other way
    else if (target.mode !== p.mode && !(p.mode === 'tcp' && target.mode === 'http')) {
      fail(incompatible(p, target, which === 'default' ? 'as its default backend' : "in a 'use_backend' rule"));
    }
  }
  return err;
}
registerProxyCheck(Stage.switching - 0.2, (p, config, diags) => switchingTargets(p, config, diags, 'default'));
registerProxyCheck(Stage.switching, (p, config, diags) => switchingTargets(p, config, diags, 'use'));

registerProxyCheck(Stage.noBind, (p, _config, diags) => {
  if ((p.mode !== 'tcp' && p.mode !== 'http') || !isFrontend(p) || p.binds.length) return 0;
  diags.warning(`${proxyTypeStr(p)} '${p.name}' has no 'bind' directive. Please declare it as a backend if this was intended.`, undefined, undefined, 'none');
  return ERR_WARN;
});
registerProxyCheck(Stage.timeouts, (p, _config, diags) => missingTimeouts(p, diags));

/** Sections HAProxy drops with a warning: peers without the local peer, mailers nobody uses. */
function incompleteSections(config: Config, diags: Diagnostics, opts: ParseOptions): number {
  let err = 0;
  for (const p of sectionsOf(config, 'peers')) {
    if (p.peers.some((x) => x.local)) continue;
    diags.warning(`Removing incomplete section 'peers ${p.name}' (no peer named '${opts.localPeer}').`, undefined, undefined, 'none');
    err |= ERR_WARN;
  }
  const used = new Set<string>();
  for (const p of [...config.defaults, ...config.proxies]) {
    for (const d of p.directives) if (d.keyword === 'email-alert mailers' && d.args[0]) used.add(d.args[0]);
  }
  for (const m of sectionsOf(config, 'mailers')) {
    if (used.has(m.name)) continue;
    diags.warning(`Removing incomplete section 'mailers ${m.name}'.`, undefined, undefined, 'none');
    err |= ERR_WARN;
  }
  return err;
}

/** HAProxy's check_config_validity(), the parts tshaproxy knows so far. */
export function checkValidity(config: Config, diags: Diagnostics, opts: ParseOptions): number {
  let err = 0;
  if (config.sections.some((s) => s.kind === 'program') && !config.global.masterWorker && !opts.masterWorker) {
    diags.alert("Can't use a 'program' section without master worker mode.", undefined, undefined, 'none');
    err |= ERR_ALERT | ERR_FATAL;
  }
  for (const c of postChecks) err |= c(config, diags, opts);
  // HAProxy's per-proxy loop: each enabled proxy goes through every check before the next one
  for (const p of config.proxies) {
    if (p.disabled) continue;
    for (const s of proxyChecks) err |= s.check(p, config, diags, opts);
  }
  // a ring that forwards to servers has a backend of its own, checked like the others
  for (const r of sectionsOf(config, 'ring')) {
    if (!r.servers.length) continue;
    const be = newProxy('backend', r.name, r);
    be.timeouts = r.timeouts;
    be.servers = r.servers;
    err |= missingTimeouts(be, diags);
  }
  err |= incompleteSections(config, diags, opts);
  return err;
}

/** Counts what will listen: binds of enabled frontends, stats sockets, peers. */
export function countListeners(config: Config): number {
  let n = config.global.statsSockets.length;
  // HAProxy counts a backend's bind lines too (it warns that they are ignored, yet they listen)
  for (const p of config.proxies) if (!p.disabled) n += p.binds.length;
  for (const s of config.sections) {
    if (s.kind === 'log-forward') n += s.directives.filter((d) => d.keyword === 'bind' || d.keyword === 'dgram-bind').length;
  }
  // the local peer of a peers section listens (its 'peer' line address, or the section's 'bind')
  for (const p of sectionsOf(config, 'peers')) {
    const local = p.peers.find((x) => x.local);
    if (!p.disabled && local && (local.server?.address || p.bind)) n++;
  }
  return n;
}

async function resolveAll(config: Config, diags: Diagnostics, opts: ParseOptions): Promise<number> {
  const list = resolutions.get(config) ?? [];
  let failed = 0;
  // lookups run together; their alerts are reported in file order, as HAProxy's sequential ones are
  const found: (string | undefined)[] = new Array(list.length);
  await Promise.all(
    list.map(async (r, i) => {
      if (r.emptyFromEnv !== undefined) {
        found[i] = `${r.what} : '${r.emptyFromEnv}' resolves to an empty address (environment variable missing?)`;
        failed++;
        return;
      }
      try {
        const res = await Promise.race([
          lookup(r.host, { family: r.family === 'ipv6' ? 6 : r.family === 'ipv4' ? 4 : 0 }),
          new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 5000).unref()),
        ]);
        r.done?.(res.address);
      } catch {
        if (!opts.ignoreResolveErrors) {
          found[i] = `${r.what} : could not resolve address '${r.host}'.`;
          failed++;
        }
      }
    }),
  );
  list.forEach((r, i) => {
    if (found[i]) diags.alert(found[i]!, r.file, r.line, 'bracket');
  });
  if (failed) {
    diags.alert('Failed to initialize server(s) addr.', undefined, undefined, 'none');
    return ERR_ALERT | ERR_FATAL;
  }
  return 0;
}

/** Every pass of `-c`, in order. Never throws for a configuration's content. */
export async function checkConfig(paths: string[], opts: ParseOptions): Promise<CheckResult> {
  const pre = new Diagnostics();
  const files = expandConfigPaths(paths, pre);
  const read = readConfig(files, opts);
  const diags = read.diags;
  diags.list.unshift(...pre.list);
  const stdout: string[] = [];
  if (read.flags & ERR_ABORT) return { config: read.config, diags, exit: 1, stdout };
  let err = read.flags | pre.flags;
  // as HAProxy: a configuration with fatal parse errors is not checked any further
  if (!(err & (ERR_ABORT | ERR_FATAL))) err |= checkValidity(read.config, diags, opts);
  if (err & (ERR_ABORT | ERR_FATAL)) {
    diags.alert('Fatal errors found in configuration.', undefined, undefined, 'none');
    return { config: read.config, diags, exit: 1, stdout };
  }
  // HAProxy reads the server state files before it resolves server addresses
  serverStateWarnings(read.config, diags);
  const r = await resolveAll(read.config, diags, opts);
  if (r & ERR_FATAL) return { config: read.config, diags, exit: 1, stdout };
  const warned = diags.list.some((d) => d.severity === 'warning');
  if (countListeners(read.config) === 0) {
    if (warned) stdout.push('Warnings were found.');
    stdout.push('Configuration file has no error but will not start (no listener) => exit(2).');
    return { config: read.config, diags, exit: 2, stdout };
  }
  if (warned) stdout.push('Warnings were found.');
  stdout.push('Configuration file is valid');
  return { config: read.config, diags, exit: 0, stdout };
}
