/**
 * Configuration-wide state the rules need at run time, attached to the
 * frozen configuration objects (no field is added to them): which Config a
 * proxy belongs to (userlists, http-errors, defaults sections) and one ACL
 * engine per proxy or defaults section.
 */
import { ProxyAcls } from '../../acl/compile.js';
import type { Config, Proxy } from '../../config/model.js';

const configOf = new WeakMap<Proxy, Config>();
const aclsByConf = new WeakMap<Proxy, ProxyAcls>();

/** Makes the configuration known to every proxy and defaults section of it. */
export function attachConfig(config: Config): void {
  for (const p of config.proxies) configOf.set(p, config);
  for (const d of config.defaults) configOf.set(d, config);
}

export function configFor(p: Proxy): Config | undefined {
  return configOf.get(p);
}

/** The ACL engine of a proxy or defaults section (one per configuration object). */
export function aclsOf(p: Proxy): ProxyAcls {
  let a = aclsByConf.get(p);
  if (!a) aclsByConf.set(p, (a = new ProxyAcls(p, { config: configOf.get(p) })));
  return a;
}
