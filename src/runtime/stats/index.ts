/**
 * Statistics and the runtime API (HAProxy 2.6's stats socket, show stat,
 * show info, the stats page). Where things are:
 *
 * - counters.ts: the counters (frontend, backend, server, listener, global)
 *   and the calls the streams make (statsAccept; the log hooks in hooks.ts);
 * - fields.ts: the `show stat` rows field by field, CSV and typed output;
 *   info.ts: `show info`; json.ts: the JSON forms;
 * - cli.ts + keywords.ts: `stats socket` listeners and the commands;
 * - admin.ts: maintenance, drain, weights, frontend pause (CLI and page);
 * - applet.ts + html.ts + uri-auth.ts: the HTTP stats page (`stats enable`,
 *   `stats uri`, auth, admin form, `;csv`).
 *
 * startStats() is called by the runtime once its listeners are open.
 */
import type { Config } from '../../config/model.js';
import { CliServer } from './cli.js';
import { StatsContext, type StatsHost } from './context.js';
import { STATS } from './counters.js';
import { setupUriAuth } from './uri-auth.js';
import { setAppletContext } from './applet.js';

export { STATS, statsAccept, statsRejected, statsDenied } from './counters.js';
export { statsStreamLog } from './hooks.js';
export type { StatsHost } from './context.js';

export interface StatsHandle {
  readonly ctx: StatsContext;
  close(): void;
}

/** true when the configuration has a stats socket or a stats page: the counters are then kept */
export function statsWanted(config: Config): boolean {
  if (config.global.statsSockets.length) return true;
  for (const p of config.proxies) {
    if (p.directives.some((d) => d.keyword.startsWith('stats '))) return true;
    if (p.defaultsProxy?.directives.some((d) => d.keyword.startsWith('stats '))) return true;
  }
  return false;
}

/** turns the counters on (before the first connection) */
export function enableStats(config: Config): void {
  if (statsWanted(config)) STATS.on = true;
}

/** Opens the stats sockets and prepares the stats pages; rejects with a BindError like the listeners. */
export async function startStats(host: StatsHost): Promise<StatsHandle | null> {
  if (!statsWanted(host.model.config)) return null;
  STATS.on = true;
  const ctx = new StatsContext(host);
  setupUriAuth(ctx);
  setAppletContext(ctx);
  const cli = new CliServer(ctx);
  if (cli.count) {
    try {
      await cli.open();
    } catch (e) {
      cli.close();
      throw e;
    }
  }
  return {
    ctx,
    close: () => cli.close(),
  };
}
