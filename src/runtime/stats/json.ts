/** `show info json` and `show stat json` (and `;json` on the stats page), as HAProxy 2.6 writes them. */
import type { DumpFilter, StatsContext } from './context.js';
import { FIELD_NAMES, MODULE_NAMES, N_FIELDS, N_STATIC, TYPE_BE, TYPE_FE, TYPE_SO, fieldTags, type StatRow } from './fields.js';
import type { InfoField } from './info.js';

const ORIGIN: Record<string, string> = { M: 'Metric', S: 'Status', K: 'Key', C: 'Config', P: 'Product' };
const NATURE: Record<string, string> = {
  G: 'Gauge',
  L: 'Limit',
  m: 'Min',
  M: 'Max',
  R: 'Rate',
  C: 'Counter',
  D: 'Duration',
  A: 'Age',
  T: 'Time',
  N: 'Name',
  O: 'Output',
  a: 'Avg',
};
const SCOPE: Record<string, string> = { P: 'Process', S: 'Service', s: 'System', C: 'Cluster' };

function tags(t: string): string {
  return `"tags":{"origin":"${ORIGIN[t[0]] ?? 'Unknown'}","nature":"${NATURE[t[1]] ?? 'Unknown'}","scope":"${SCOPE[t[2]] ?? 'Unknown'}"}`;
}

function value(type: string, v: string | number): string {
  return type === 'str' ? `"value":{"type":"str","value":"${v}"}` : `"value":{"type":"${type}","value":${v}}`;
}

export function jsonInfo(fields: InfoField[]): string {
  const parts = fields.map(([i, name, t, v]) => {
    const [tg, type] = t.split(':');
    return `{"field":{"pos":${i},"name":"${name}"},"processNum":1,${tags(tg)},${value(type, v)}}`;
  });
  return `[${parts.join(',')}]`;
}

function jsonRow(r: StatRow): string {
  const obj = r.type === TYPE_FE ? 'Frontend' : r.type === TYPE_BE ? 'Backend' : r.type === TYPE_SO ? 'Listener' : 'Server';
  const parts: string[] = [];
  for (let i = 0; i < N_FIELDS; i++) {
    const v = r.vals[i];
    if (v === undefined) continue;
    const name = i < N_STATIC ? FIELD_NAMES[i] : MODULE_NAMES[i - N_STATIC];
    const [tg, type] = fieldTags(i, r.type).split(':');
    parts.push(`{"objType":"${obj}","proxyId":${r.iid},"id":${r.sid},"field":{"pos":${i},"name":"${name}"},"processNum":1,${tags(tg)},${value(type, v)}}`);
  }
  return `[${parts.join(',')}]`;
}

export function jsonStat(ctx: StatsContext, filter: DumpFilter): string {
  const rows: string[] = [];
  ctx.rows(filter, (_px, r) => {
    if (r) rows.push(jsonRow(r));
  });
  return `[${rows.join(',')}]`;
}
