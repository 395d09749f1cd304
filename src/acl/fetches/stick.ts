/**
 * Stick counters (7.3.3 sc_*, sc0_*..sc2_*, src_*): the values come from the
 * stick-table layer through ctx.stick (src/runtime/stick/view.ts). The
 * arguments are [<idx>,] [<ctr>,] [<table>]: the index of the array forms
 * (sc_get_gpc...), the counter number of the generic sc_* form, and a table
 * (src_*: the one to look the address up in, the current proxy's when
 * omitted; sc*_*: another table to look the tracked key up in).
 */
import { defFetch, argInt } from '../registry.js';
import { fetches } from '../sample.js';

const WITH_IDX = new Set(['clr_gpc', 'get_gpc', 'get_gpt', 'gpc_rate', 'inc_gpc']);

for (const name of fetches.keys()) {
  const m = /^(sc([0-2])?|src)_(.+)$/.exec(name);
  if (!m || name === 'src_port' || name === 'src_is_local') continue;
  const counter = m[3];
  const isSrc = m[1] === 'src';
  const fixedCtr = m[2] !== undefined ? Number(m[2]) : undefined;
  const hasIdx = WITH_IDX.has(counter);
  const prep = (a: string[], env: { proxy?: { name: string } }): any[] => {
    let k = 0;
    const idx = hasIdx ? argInt(a[k++]) : undefined;
    const ctr = isSrc ? undefined : fixedCtr === undefined ? argInt(a[k++]) : fixedCtr;
    const table = a[k] || (isSrc ? env.proxy?.name : undefined);
    return [idx, ctr, table];
  };
  defFetch(
    name,
    (smp, ctx, a) => {
      const st = ctx.stick;
      if (!st) return counter === 'tracked' ? smp.setBool(false) : false;
      const v = st.fetch(ctx, a[1], counter, a[0], a[2]);
      if (v === undefined) return false;
      return typeof v === 'boolean' ? smp.setBool(v) : smp.setInt(v);
    },
    prep as never,
  );
}
