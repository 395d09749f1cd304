/** Layer 4 fetches (7.3.3): addresses, ports, proxies, listeners, servers, timeouts. */
import { networkInterfaces } from 'node:os';
import type { SampleContext } from '../context.js';
import { defFetch } from '../registry.js';
import { setAddr, type Sample } from '../types.js';

function addrFetch(names: string | string[], get: (c: SampleContext) => string | undefined): void {
  defFetch(names, (smp, ctx) => setAddr(smp, get(ctx)));
}
function intFetch(names: string | string[], get: (c: SampleContext) => number | undefined): void {
  defFetch(names, (smp, ctx) => {
    const v = get(ctx);
    return v === undefined ? false : smp.setInt(v);
  });
}
function strFetch(names: string | string[], get: (c: SampleContext) => string | undefined): void {
  defFetch(names, (smp, ctx) => {
    const v = get(ctx);
    return v === undefined ? false : smp.setStr(v);
  });
}

addrFetch('src', (c) => c.src);
addrFetch('dst', (c) => c.dst);
intFetch('src_port', (c) => c.srcPort);
intFetch('dst_port', (c) => c.dstPort);
addrFetch('fc_src', (c) => c.fcSrc ?? c.src);
addrFetch('fc_dst', (c) => c.fcDst ?? c.dst);
intFetch('fc_src_port', (c) => c.fcSrcPort ?? c.srcPort);
intFetch('fc_dst_port', (c) => c.fcDstPort ?? c.dstPort);
addrFetch('bc_src', (c) => c.bcSrc);
addrFetch('bc_dst', (c) => c.bcDst);
intFetch('bc_src_port', (c) => c.bcSrcPort);
intFetch('bc_dst_port', (c) => c.bcDstPort);

let localAddrs: Set<string> | undefined;
function isLocal(smp: Sample, addr: string | undefined): boolean {
  if (!addr) return false;
  if (!localAddrs) {
    localAddrs = new Set();
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) localAddrs.add(i.address);
  }
  const a = addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
  return smp.setBool(localAddrs.has(a));
}
defFetch(['src_is_local', 'fc_src_is_local'], (smp, ctx, _a, kw) => isLocal(smp, kw === 'src_is_local' ? ctx.src : (ctx.fcSrc ?? ctx.src)));
defFetch(['dst_is_local', 'fc_dst_is_local'], (smp, ctx, _a, kw) => isLocal(smp, kw === 'dst_is_local' ? ctx.dst : (ctx.fcDst ?? ctx.dst)));

intFetch('dst_conn', (c) => c.frontend.conn ?? 0);

intFetch('fe_id', (c) => c.frontend.id);
strFetch('fe_name', (c) => c.frontend.name);
strFetch('fe_defbe', (c) => c.frontend.defaultBackend);
intFetch('be_id', (c) => (c.backend ?? c.frontend).id);
strFetch('be_name', (c) => (c.backend ?? c.frontend).name);
intFetch('so_id', (c) => c.listener?.id);
strFetch('so_name', (c) => c.listener?.name);
intFetch('srv_id', (c) => c.server?.id);
strFetch('srv_name', (c) => c.server?.name);

intFetch('fe_client_timeout', (c) => c.frontend.timeouts?.client);
intFetch('be_server_timeout', (c) => (c.backend ?? c.frontend).timeouts?.server);
intFetch('be_tunnel_timeout', (c) => (c.backend ?? c.frontend).timeouts?.tunnel);
intFetch('cur_server_timeout', (c) => c.curServerTimeout ?? (c.backend ?? c.frontend).timeouts?.server);
intFetch('cur_tunnel_timeout', (c) => c.curTunnelTimeout ?? (c.backend ?? c.frontend).timeouts?.tunnel);

defFetch('fc_rcvd_proxy', (smp, ctx) => smp.setBool(!!ctx.fcRcvdProxy));
strFetch('fc_pp_authority', (c) => c.ppAuthority);
strFetch('fc_pp_unique_id', (c) => c.ppUniqueId);
intFetch('fc_err', (c) => c.fcErr ?? 0);
strFetch('fc_err_str', (c) => (c.fcErr ? c.fcErrStr : undefined));
intFetch('bc_err', (c) => c.bcErr ?? 0);
strFetch('bc_err_str', (c) => (c.bcErr ? c.bcErrStr : undefined));
intFetch('fc_http_major', (c) => c.fcHttpMajor);
intFetch('bc_http_major', (c) => c.bcHttpMajor);

/** fc_rtt/fc_rttvar take a unit: "ms" (default) or "us". */
for (const [name, key] of [
  ['fc_rtt', 'fcRttUs'],
  ['fc_rttvar', 'fcRttVarUs'],
] as const) {
  defFetch(
    name,
    (smp, ctx, a) => {
      const us = ctx[key];
      if (us === undefined) return false;
      return smp.setInt(a[0] === 'us' ? us : Math.floor(us / 1000));
    },
    (a) => [a[0] || 'ms'],
  );
}
