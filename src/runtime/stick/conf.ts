/**
 * The `stick-table` line (proxies) and the `table` line (peers sections):
 * what HAProxy 2.6's parse_stick_table() accepts, with its messages. Shared
 * by the configuration check (which reports) and the runtime (which builds
 * the tables from the same parse).
 */
import { parseTime } from '../../parser/values.js';

/** Data types in HAProxy's order (show table prints them in this order). */
export const enum DT {
  SERVER_ID = 0,
  GPT0,
  GPC0,
  GPC0_RATE,
  CONN_CNT,
  CONN_RATE,
  CONN_CUR,
  SESS_CNT,
  SESS_RATE,
  HTTP_REQ_CNT,
  HTTP_REQ_RATE,
  HTTP_ERR_CNT,
  HTTP_ERR_RATE,
  BYTES_IN_CNT,
  BYTES_IN_RATE,
  BYTES_OUT_CNT,
  BYTES_OUT_RATE,
  GPC1,
  GPC1_RATE,
  SERVER_KEY,
  HTTP_FAIL_CNT,
  HTTP_FAIL_RATE,
  GPT,
  GPC,
  GPC_RATE,
  COUNT,
}

/** How a data type is stored: signed/unsigned 32 bits, 64 bits, a rate, a server name. */
export type StdType = 'sint' | 'uint' | 'ull' | 'frqp' | 'dict';

export interface DataTypeDef {
  name: string;
  std: StdType;
  /** takes a period argument (rates) */
  delay?: boolean;
  /** an array: the first argument is its size */
  array?: boolean;
}

export const DATA_TYPES: readonly DataTypeDef[] = [
  { name: 'server_id', std: 'sint' },
  { name: 'gpt0', std: 'uint' },
  { name: 'gpc0', std: 'uint' },
  { name: 'gpc0_rate', std: 'frqp', delay: true },
  { name: 'conn_cnt', std: 'uint' },
  { name: 'conn_rate', std: 'frqp', delay: true },
  { name: 'conn_cur', std: 'uint' },
  { name: 'sess_cnt', std: 'uint' },
  { name: 'sess_rate', std: 'frqp', delay: true },
  { name: 'http_req_cnt', std: 'uint' },
  { name: 'http_req_rate', std: 'frqp', delay: true },
  { name: 'http_err_cnt', std: 'uint' },
  { name: 'http_err_rate', std: 'frqp', delay: true },
  { name: 'bytes_in_cnt', std: 'ull' },
  { name: 'bytes_in_rate', std: 'frqp', delay: true },
  { name: 'bytes_out_cnt', std: 'ull' },
  { name: 'bytes_out_rate', std: 'frqp', delay: true },
  { name: 'gpc1', std: 'uint' },
  { name: 'gpc1_rate', std: 'frqp', delay: true },
  { name: 'server_key', std: 'dict' },
  { name: 'http_fail_cnt', std: 'uint' },
  { name: 'http_fail_rate', std: 'frqp', delay: true },
  { name: 'gpt', std: 'uint', array: true },
  { name: 'gpc', std: 'uint', array: true },
  { name: 'gpc_rate', std: 'frqp', delay: true, array: true },
];

/** The data type named `name` (server_name is the old name of server_key), or -1. */
export function dataTypeOf(name: string): number {
  for (let i = 0; i < DATA_TYPES.length; i++) if (DATA_TYPES[i].name === name) return i;
  return name === 'server_name' ? DT.SERVER_KEY : -1;
}

export const MAX_ARRAY = 100;

export type KeyType = 'ip' | 'ipv6' | 'integer' | 'string' | 'binary';

export interface StoredType {
  /** elements (1 unless an array) */
  nb: number;
  /** period of a rate, in ms */
  period: number;
}

export interface TableConf {
  type: KeyType;
  /** string: characters kept; binary: bytes; fixed types: their size */
  keyLen: number;
  size: number;
  /** ms, 0 when entries never expire by time */
  expire: number;
  nopurge: boolean;
  peers?: string;
  srvkey: 'name' | 'addr';
  /** data type → its storage */
  store: Map<number, StoredType>;
}

/** A message; `tight`: HAProxy writes "parsing [f:l]: " (no space before the colon) */
export interface Msg {
  text: string;
  tight?: boolean;
}

export interface TableParse {
  conf?: TableConf;
  /** HAProxy's messages, without the "parsing [file:line]" prefix */
  alerts: Msg[];
  warnings: Msg[];
}

const KEY_TYPES: Record<string, { size: number; custom: boolean }> = {
  integer: { size: 4, custom: false },
  ip: { size: 4, custom: false },
  ipv6: { size: 16, custom: false },
  string: { size: 32, custom: true },
  binary: { size: 32, custom: true },
};

/** atol(): leading blanks, sign, digits */
function atol(s: string | undefined): number {
  const m = /^\s*([-+]?\d+)/.exec(s ?? '');
  return m ? parseInt(m[1], 10) : 0;
}

/** parse_size_err(): the value, or the first character it cannot take */
function sizeErr(s: string): { v: number } | { bad: string } {
  const m = /^(\d*)(.*)$/.exec(s)!;
  let v = Number(m[1] || '0');
  let rest = m[2];
  if (rest) {
    const c = rest[0].toLowerCase();
    if (c === 'k') v *= 1024;
    else if (c === 'm') v *= 1048576;
    else if (c === 'g') v *= 1073741824;
    else return { bad: rest[0] };
    rest = rest.slice(1);
    if (rest) return { bad: rest[0] };
  }
  return { v: v >>> 0 };
}

/**
 * Parses `args` (the whole line: args[0] is "stick-table", or "table" with
 * the table name in args[1] for a peers section).
 */
export function parseTableLine(args: readonly string[], inPeers: boolean): TableParse {
  const kw = args[0];
  const alerts: Msg[] = [];
  const warnings: Msg[] = [];
  const out: TableParse = { alerts, warnings };
  const conf: TableConf = { type: 'ip', keyLen: 4, size: 0, expire: 0, nopurge: false, srvkey: 'name', store: new Map() };
  let typed = false;
  let i = inPeers ? 2 : 1;
  const fail = (m: string): TableParse => {
    alerts.push({ text: `${kw}: ${m}` });
    return out;
  };
  while (i < args.length && args[i] !== '') {
    const a = args[i];
    if (a === 'size') {
      i++;
      if (!args[i]) return fail(`missing argument after '${args[i - 1]}'.`);
      const r = sizeErr(args[i]);
      if ('bad' in r) return fail(`unexpected character '${r.bad}' in argument of '${args[i - 1]}'.`);
      conf.size = r.v;
      i++;
    } else if (!inPeers && a === 'peers') {
      i++;
      if (!args[i]) return fail(`missing argument after '${args[i - 1]}'.`);
      conf.peers = args[i++];
    } else if (a === 'expire') {
      i++;
      if (!args[i]) return fail(`missing argument after '${args[i - 1]}'.`);
      const t = parseTime(args[i], 'ms');
      if (!t.ok) {
        if (t.reason === 'overflow') {
          alerts.push({ text: `${kw}: timer overflow in argument <${args[i]}> to <${args[i - 1]}>, maximum value is 2147483647 ms (~24.8 days).`, tight: true });
          return out;
        }
        if (t.reason === 'underflow') {
          alerts.push({ text: `${kw}: timer underflow in argument <${args[i]}> to <${args[i - 1]}>, minimum non-null value is 1 ms.`, tight: true });
          return out;
        }
        return fail(`unexpected character '${t.at[0] ?? ''}' in argument of '${args[i - 1]}'.`);
      }
      conf.expire = t.ms;
      i++;
    } else if (a === 'nopurge') {
      conf.nopurge = true;
      i++;
    } else if (a === 'type') {
      i++;
      const tname = args[i] ?? '';
      const kt = KEY_TYPES[tname];
      let bad = !kt;
      if (kt) {
        conf.type = tname as KeyType;
        conf.keyLen = kt.size;
        i++;
        if (kt.custom && args[i] === 'len') {
          i++;
          const n = atol(args[i]);
          // a zero or unreadable length makes HAProxy report the type as unknown, naming the length
          if (!n) bad = true;
          else {
            conf.keyLen = tname === 'string' ? n + 1 : n;
            i++;
          }
        }
      }
      if (bad) return fail(`unknown type '${args[i] ?? ''}'.`);
      typed = true;
    } else if (a === 'store') {
      i++;
      const list = args[i] ?? '';
      if (!storeList(list, conf, kw, alerts, warnings)) return out;
      i++;
      const has = (t: number) => conf.store.has(t);
      if (has(DT.GPT) && has(DT.GPT0)) {
        return fail(`simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'.`);
      }
      if (has(DT.GPC) && (has(DT.GPC0) || has(DT.GPC1))) {
        return fail(`simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.`);
      }
      if (has(DT.GPC_RATE) && (has(DT.GPC0_RATE) || has(DT.GPC1_RATE))) {
        return fail(
          `simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'.`,
        );
      }
    } else if (a === 'srvkey') {
      i++;
      const k = args[i] ?? '';
      if (k !== 'name' && k !== 'addr') {
        alerts.push({ text: `${kw} : unknown server key type '${k}'.` });
        return out;
      }
      conf.srvkey = k;
      i++;
    } else return fail(`unknown argument '${a}'.`);
  }
  if (!conf.size) return fail('missing size.');
  if (!typed) return fail('missing type.');
  // the string length stored is one less than the key size (its terminating zero)
  if (conf.type === 'string') conf.keyLen -= 1;
  out.conf = conf;
  return out;
}

/** One `store` argument: a comma-separated list of data types, some with arguments in parentheses. */
function storeList(list: string, conf: TableConf, kw: string, alerts: Msg[], warnings: Msg[]): boolean {
  let p = 0;
  while (p < list.length) {
    let name = '';
    let sa: string | undefined;
    let sa2: string | undefined;
    while (p < list.length && list[p] !== ',') {
      if (list[p] === '(') {
        const close = list.indexOf(')', p + 1);
        if (close < 0) {
          alerts.push({ text: `${kw}: missing closing parenthesis after store option '${name}'.` });
          return false;
        }
        const inner = list.slice(p + 1, close);
        const comma = inner.indexOf(',');
        // HAProxy splits at the last comma inside the parentheses
        const lc = inner.lastIndexOf(',');
        sa = comma < 0 ? inner : inner.slice(0, comma);
        sa2 = lc < 0 ? undefined : inner.slice(lc + 1);
        p = close + 1;
        // anything up to the next comma is skipped, as the C loop does
        while (p < list.length && list[p] !== ',') p++;
        break;
      }
      name += list[p++];
    }
    if (p < list.length && list[p] === ',') p++;
    const type = dataTypeOf(name);
    if (type < 0) {
      alerts.push({ text: `${kw}: unknown store option '${name}'.` });
      return false;
    }
    const r = allocType(conf, type, sa, sa2);
    if (r === 'exist') {
      warnings.push({ text: `${kw}: store option '${name}' already enabled, ignored.`, tight: true });
      continue;
    }
    if (r === 'missing') {
      alerts.push({ text: `${kw}: missing argument to store option '${name}'.` });
      return false;
    }
    if (r === 'unused') {
      alerts.push({ text: `${kw}: unexpected argument to store option '${name}'.` });
      return false;
    }
    if (r === 'range') {
      alerts.push({ text: `${kw}: array size is out of allowed range (1-${MAX_ARRAY}) for store option '${name}'.` });
      return false;
    }
    if (r === 'invalid') {
      alerts.push({ text: `${kw}: error when processing store option '${name}'.` });
      return false;
    }
  }
  return true;
}

function allocType(conf: TableConf, type: number, sa: string | undefined, sa2: string | undefined): 'ok' | 'exist' | 'missing' | 'unused' | 'range' | 'invalid' {
  if (conf.store.has(type)) return 'exist';
  const def = DATA_TYPES[type];
  let nb = 1;
  if (def.array) {
    if (sa === undefined) return 'missing';
    nb = atol(sa);
    if (!nb || nb > MAX_ARRAY || nb < 0) return 'range';
    sa = sa2;
  }
  let period = 0;
  if (def.delay) {
    if (sa === undefined) return 'missing';
    const t = parseTime(sa, 'ms');
    if (!t.ok) return 'invalid';
    period = t.ms;
  } else if (sa !== undefined) return 'unused';
  conf.store.set(type, { nb, period });
  return 'ok';
}

/** Adds a data type that stick rules need (server_id, server_key), as HAProxy does after parsing. */
export function ensureType(conf: TableConf, type: number): void {
  if (!conf.store.has(type)) conf.store.set(type, { nb: 1, period: 0 });
}
