/** Developer fetches (internal.*): only what has a meaning outside HAProxy's HTX internals. */
import { defFetch } from '../registry.js';

defFetch('internal.strm.is_htx', (smp, ctx) => smp.setBool(ctx.req !== undefined && ctx.reqBuf === undefined));
