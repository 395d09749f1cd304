/**
 * Other converters: ipmask, variables (set-var, unset-var), proxies
 * (nbsrv, srv_queue), stick tables (table_*, in_table), JSON and JWT
 * queries, debug.
 */
import { argInt, defConv } from '../registry.js';
import { T, parseIPv4, parseIPv6, v6tov4, Sample } from '../types.js';
import { parseVarName, findProxy } from '../fetches/util.js';
import { readVar, writeVar, usableServers } from '../fetches/internal.js';

/* ipmask(mask4[,mask6]) */
function mask4Arg(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 32 ? 0xffffffff : n <= 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  }
  return parseIPv4(s);
}
function mask6Arg(s: string | undefined): Buffer | undefined {
  if (s === undefined || s === '') return undefined;
  if (/^\d+$/.test(s)) {
    const n = Math.min(128, Number(s));
    const b = Buffer.alloc(16);
    for (let k = 0; k < 16; k++) {
      const bits = Math.max(0, Math.min(8, n - k * 8));
      b[k] = (0xff << (8 - bits)) & 0xff;
    }
    return b;
  }
  return parseIPv6(s);
}
defConv(
  'ipmask',
  (smp, _c, a) => {
    if (smp.t === T.IPV6) {
      const v4 = v6tov4(smp.v);
      if (v4 !== undefined) {
        smp.t = T.IPV4;
        smp.v = v4;
      }
    }
    if (smp.t === T.IPV4) {
      smp.v = ((smp.v as number) & a[0]) >>> 0;
      return true;
    }
    if (!a[1]) return false;
    const b = Buffer.from(smp.v as Buffer);
    for (let k = 0; k < 16; k++) b[k] &= (a[1] as Buffer)[k];
    smp.v = b;
    return true;
  },
  (a) => [mask4Arg(a[0]) ?? 0xffffffff, mask6Arg(a[1])],
);

/* variables */
defConv(
  'set-var',
  (smp, ctx, a) => {
    if (a[0]) writeVar(ctx, a[0][0], a[0][1], smp.t, smp.t === T.BIN ? Buffer.from(smp.v) : smp.v);
    return true;
  },
  (a) => [parseVarName(a[0] ?? '')],
);
defConv(
  'unset-var',
  (_smp, ctx, a) => {
    if (a[0]) ctx.unsetVar?.(a[0][0], a[0][1]);
    return true;
  },
  (a) => [parseVarName(a[0] ?? '')],
);

/* proxies named by the input string */
defConv('nbsrv', (smp, ctx) => {
  const p = findProxy(ctx, smp.v);
  if (!p) return false;
  return smp.setInt(usableServers(p.servers ?? [], !!p.allBackups));
});
defConv('srv_queue', (smp, ctx) => {
  const s = smp.v as string;
  const slash = s.lastIndexOf('/');
  const p = findProxy(ctx, slash >= 0 ? s.slice(0, slash) : undefined);
  const name = slash >= 0 ? s.slice(slash + 1) : s;
  const srv = p?.servers?.find((x) => x.name === name);
  return srv ? smp.setInt(srv.queued ?? 0) : false;
});

/* stick tables: the input sample is the key, cast to the table's type (src/runtime/stick/view.ts) */
const TABLE_COUNTERS = [
  'bytes_in_rate', 'bytes_out_rate', 'conn_cnt', 'conn_cur', 'conn_rate', 'expire', 'gpc', 'gpc0', 'gpc0_rate', 'gpc1', 'gpc1_rate',
  'gpc_rate', 'gpt', 'gpt0', 'http_err_cnt', 'http_err_rate', 'http_fail_cnt', 'http_fail_rate', 'http_req_cnt', 'http_req_rate',
  'idle', 'kbytes_in', 'kbytes_out', 'server_id', 'sess_cnt', 'sess_rate', 'trackers',
];
function tableResult(smp: Sample, v: number | boolean | undefined): boolean {
  if (v === undefined) return false;
  return typeof v === 'boolean' ? smp.setBool(v) : smp.setInt(v);
}
for (const c of TABLE_COUNTERS) {
  const withIdx = c === 'gpc' || c === 'gpt' || c === 'gpc_rate';
  const withDefault = c === 'expire' || c === 'idle';
  defConv(
    `table_${c}`,
    (smp, ctx, a) => {
      const st = ctx.stick;
      if (!st) return false;
      return tableResult(smp, st.conv(ctx, a[1], smp, c, a[0], a[2]));
    },
    (a) =>
      withIdx
        ? [argInt(a[0]), a[1] ?? '', undefined]
        : [undefined, a[0] ?? '', withDefault && a[1] !== undefined && a[1] !== '' ? argInt(a[1]) : undefined],
  );
}
defConv(
  'in_table',
  (smp, ctx, a) => {
    const st = ctx.stick;
    if (!st) return false;
    return tableResult(smp, st.conv(ctx, a[0], smp, 'present'));
  },
  (a) => [a[0] ?? ''],
);

defConv('debug', () => true);

/* ---- JSON ----------------------------------------------------------------------------- */

/** The value at a JSONPath like "$.a.b[0]" or "$['a']". */
function jsonPath(doc: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  let cur: any = doc;
  let k = 1;
  while (k < path.length) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (path[k] === '.') {
      let e = k + 1;
      while (e < path.length && path[e] !== '.' && path[e] !== '[') e++;
      cur = Array.isArray(cur) ? undefined : cur[path.slice(k + 1, e)];
      k = e;
    } else if (path[k] === '[') {
      const e = path.indexOf(']', k);
      if (e < 0) return undefined;
      const inner = path.slice(k + 1, e);
      const q = /^'(.*)'$|^"(.*)"$/.exec(inner);
      if (q) cur = Array.isArray(cur) ? undefined : cur[q[1] ?? q[2]];
      else if (/^\d+$/.test(inner)) cur = Array.isArray(cur) ? cur[Number(inner)] : undefined;
      else return undefined;
      k = e + 1;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** printf("%g") */
export function fmtG(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 6) {
    let s = x.toExponential(5);
    let [m, e] = s.split('e');
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  let s = x.toPrecision(6);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

function jsonQuery(smp: Sample, text: string, path: string, asInt: boolean): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return false;
  }
  const v = jsonPath(doc, path);
  if (typeof v === 'number') {
    if (asInt) {
      const n = Math.trunc(v);
      if (Math.abs(n) > 2 ** 53 - 1) return false;
      return smp.setInt(n);
    }
    return smp.setStr(fmtG(v));
  }
  if (typeof v === 'boolean') return smp.setBool(v);
  if (typeof v === 'string') return smp.setStr(Buffer.from(v, 'utf8').toString('latin1'));
  return false;
}
defConv(
  'json_query',
  (smp, _c, a) => jsonQuery(smp, Buffer.from(smp.v as string, 'latin1').toString('utf8'), a[0], a[1]),
  (a) => [a[0] ?? '', a[1] === 'int'],
);
for (const [name, part] of [
  ['jwt_header_query', 0],
  ['jwt_payload_query', 1],
] as const) {
  defConv(
    name,
    (smp, _c, a) => {
      const s = typeof smp.v === 'string' ? smp.v : (smp.v as Buffer).toString('latin1');
      const items = s.split('.');
      if (items.length <= part) return false;
      const dec = Buffer.from(items[part], 'base64url');
      if (!a[0]) return smp.setStr(dec.toString('latin1'));
      return jsonQuery(smp, dec.toString('utf8'), a[0], a[1]);
    },
    (a) => [a[0] ?? '', a[1] === 'int'],
  );
}

export { readVar };
