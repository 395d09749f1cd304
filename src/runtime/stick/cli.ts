/**
 * The stick-table commands of the runtime API (HAProxy 2.6's stick_table.c
 * CLI): `show table [<name> [key <k> | data.<type> <op> <value>...]]`,
 * `clear table <name> [key <k> | data.<type> <op> <value>...]` and
 * `set table <name> key <k> [data.<type> <value>]*`. The stats socket
 * (src/runtime/stats/cli.ts) calls stickCli() with the command's words.
 * Entries are printed with a made-up address in place of HAProxy's pointer.
 */
import type { Config } from '../../config/model.js';
import { sectionsOf } from '../../config/model.js';
import { DATA_TYPES, dataTypeOf } from './conf.js';
import { FreqCtr, freqSet } from './freq.js';
import { initStick } from './registry.js';
import { nowMs, type Entry, type StickTable } from './table.js';

const LOG_ERR = 3;
/** HAProxy's ACCESS_LVL_OPER */
const LVL_OPER = 2;

export type CliOut = { text: string; sev?: number } | null;

const err = (text: string): CliOut => ({ text, sev: LOG_ERR });

/** the tables in the order HAProxy lists them: the last declared first */
function tablesInOrder(config: Config): StickTable[] {
  const sc = initStick(config);
  if (!sc) return [];
  const order: string[] = [];
  for (const p of config.proxies) if (sc.tables.has(p.name)) order.push(p.name);
  for (const s of sectionsOf(config, 'peers')) for (const d of s.tables) if (d.args[0] && sc.tables.has(`${s.name}/${d.args[0]}`)) order.push(`${s.name}/${d.args[0]}`);
  return [...new Set(order)].reverse().map((n) => sc.tables.get(n)!);
}

const ids = new WeakMap<Entry, number>();
let nextId = 0x5600000000;
function ptr(e: Entry): string {
  let id = ids.get(e);
  if (id === undefined) ids.set(e, (id = (nextId += 0x70)));
  return `0x${id.toString(16)}`;
}

interface Filter {
  type: number;
  op: string;
  value: number;
}

function stdOp(op: string): boolean {
  return op === 'eq' || op === 'ne' || op === 'le' || op === 'ge' || op === 'lt' || op === 'gt';
}

function matches(t: StickTable, e: Entry, filters: Filter[], now: number): boolean {
  for (const f of filters) {
    const v = t.read(e, f.type, 0, now) ?? 0;
    const ok =
      f.op === 'eq' ? v === f.value : f.op === 'ne' ? v !== f.value : f.op === 'le' ? v <= f.value : f.op === 'ge' ? v >= f.value : f.op === 'lt' ? v < f.value : v > f.value;
    if (!ok) return false;
  }
  return true;
}

/** A key as the CLI gives it, in the table's form (ip, ipv6, integer, string tables). */
function cliKey(t: StickTable, k: string): string | undefined | null {
  switch (t.type) {
    case 'ip': {
      // HAProxy's inetaddr_host(): what does not parse reads as 0.0.0.0
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(k);
      return m ? m.slice(1).map((x) => Number(x) & 255).join('.') : '0.0.0.0';
    }
    case 'ipv6':
    case 'integer':
    case 'string':
      return t.keyOfText(k);
    default:
      return null;
  }
}

/** Runs a table command; `action` is the first word (show, clear, set). */
export function stickCli(config: Config, args: string[], level: number): CliOut {
  const action = args[0];
  const name = args[2];
  const now = nowMs();
  if (!name) {
    if (action !== 'show') return err(action === 'clear' ? 'Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>\n' : 'Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n');
    let s = '';
    for (const t of tablesInOrder(config)) s += t.header();
    return { text: s };
  }
  const t = initStick(config)?.tables.get(name);
  if (!t) return err('No such table\n');
  if (args[3] === 'key') return perKey(t, action, args, level, now);
  const filters: Filter[] = [];
  if (args[3] && args[3].startsWith('data.')) {
    if (action !== 'show' && action !== 'clear') return err('content-based lookup is only supported with the "show" and "clear" actions\n');
    let i = 0;
    for (; i < 4; i++) {
      const w = args[3 + 3 * i];
      if (i > 0 && !w) break;
      const type = dataTypeOf((w ?? '').slice(5));
      if (type < 0) return err(`Filter entry #${i + 1}: Unknown data type\n`);
      if (!t.has(type)) return err(`Filter entry #${i + 1}: Data type not stored in this table\n`);
      const op = args[4 + 3 * i] ?? '';
      if (!stdOp(op)) return err(`Filter entry #${i + 1}: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"\n`);
      const v = args[5 + 3 * i];
      if (!v || !/^[-+]?\d+$/.test(v)) return err(`Filter entry #${i + 1}: Require a valid integer value to compare against\n`);
      filters.push({ type, op, value: Number(v) });
    }
    if (args[3 + 3 * i]) return err(`Detected extra data in filter, ${3 + 3 * i + 1}th word of input, after '${args[2 + 3 * i]}'\n`);
  } else if (args[3]) {
    if (action === 'show') return err('Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>\n');
    if (action === 'clear') return err('Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>\n');
    return err('Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n');
  } else if (action === 'set') return err('Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n');
  if (action === 'show') {
    let s = t.header();
    if (level < LVL_OPER) return { text: s + '# contents not dumped due to insufficient privileges\n' };
    for (const e of t.sorted()) if (matches(t, e, filters, now)) s += `${ptr(e)}: ${t.dumpEntry(e, now)}\n`;
    return { text: s };
  }
  // clear: every entry nobody tracks (matching the filters)
  if (level < LVL_OPER) return null;
  for (const e of [...t.entries.values()]) if (matches(t, e, filters, now)) t.remove(e);
  return null;
}

function perKey(t: StickTable, action: string, args: string[], level: number, now: number): CliOut {
  if (!args[4]) return err('Key value expected\n');
  const key = cliKey(t, args[4]);
  if (key === null) {
    const what = action === 'show' ? 'Showing keys from' : action === 'clear' ? 'Removing keys from' : 'Inserting keys into';
    return err(`${what} tables of type other than ip, ipv6, string and integer is not supported\n`);
  }
  if (key === undefined) return err('Invalid key\n');
  if (level < LVL_OPER) return null;
  if (action === 'show') {
    const e = t.lookup(key);
    if (!e) return null;
    return { text: `${t.header()}${ptr(e)}: ${t.dumpEntry(e, now)}\n` };
  }
  if (action === 'clear') {
    const e = t.lookup(key);
    if (!e) return null;
    if (!t.remove(e)) return err('Entry currently in use, cannot remove\n');
    return null;
  }
  const e = t.get(key, now);
  if (!e) return err('Unable to allocate a new entry\n');
  for (let i = 5; args[i]; i += 2) {
    if (!args[i].startsWith('data.')) {
      t.touch(e, now);
      return err('"data.<type>" followed by a value expected\n');
    }
    const type = dataTypeOf(args[i].slice(5));
    if (type < 0) {
      t.touch(e, now);
      return err('Unknown data type\n');
    }
    if (!t.has(type)) {
      t.touch(e, now);
      return err('Data type not stored in this table\n');
    }
    const v = args[i + 1];
    if (!v || !/^[-+]?\d+$/.test(v)) {
      t.touch(e, now);
      return err('Require a valid integer value to store\n');
    }
    const s = t.at(type);
    const n = Number(v);
    const std = DATA_TYPES[type].std;
    if (std === 'frqp') freqSet(e.d[s] as FreqCtr, n, now);
    else if (std === 'uint') e.d[s] = n >>> 0;
    else if (std === 'sint') e.d[s] = n | 0;
    else if (std === 'ull') e.d[s] = n;
  }
  t.touch(e, now);
  return null;
}
