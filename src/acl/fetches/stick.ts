/**
 * Stick counters (7.3.3 sc_*, sc0_*..sc2_*, src_*): the values come from the
 * stick-table layer through ctx.stick. A tracked counter that is not tracked
 * gives no sample; a src_* lookup of an absent key gives 0, as in HAProxy.
 */
import { defFetch, argInt } from '../registry.js';
import { fetches } from '../sample.js';

const WITH_IDX = new Set(['clr_gpc', 'get_gpc', 'get_gpt', 'gpc_rate', 'inc_gpc']);
const ACTIONS = /^(inc|clr)_/;

for (const name of fetches.keys()) {
  const m = /^(sc([0-2])?|src)_(.+)$/.exec(name);
  if (!m || name === 'src_port' || name === 'src_is_local') continue;
  const counter = m[3];
  const isSrc = m[1] === 'src';
  const fixedCtr = m[2] !== undefined ? Number(m[2]) : undefined;
  const hasIdx = WITH_IDX.has(counter);
  // argument layout: [idx,] [ctr,] [table]
  const prep = (a: string[]): any[] => {
    let k = 0;
    const idx = hasIdx ? argInt(a[k++]) : undefined;
    const ctr = !isSrc && fixedCtr === undefined ? argInt(a[k++]) : fixedCtr;
    const table = a[k] || undefined;
    return [idx, ctr, table];
  };
  if (counter === 'tracked') {
    defFetch(name, (smp, ctx, a) => smp.setBool(ctx.stick?.tracked?.(a[1], 'tracked', a[2]) !== undefined), prep);
    continue;
  }
  const base = counter.replace(ACTIONS, '').replace(/^get_/, '').replace(/^updt_/, '');
  if (ACTIONS.test(counter) || counter === 'updt_conn_cnt') {
    defFetch(
      name,
      (smp, ctx, a) => {
        const st = ctx.stick;
        if (!st?.update) return false;
        const v = st.update(a[2], isSrc ? undefined : a[1], isSrc ? ctx.src : undefined, counter, a[0]);
        return v === undefined ? false : smp.setInt(v);
      },
      prep,
    );
    continue;
  }
  defFetch(
    name,
    (smp, ctx, a) => {
      const st = ctx.stick;
      if (!st) return false;
      if (isSrc) {
        if (!st.lookup || !ctx.src) return false;
        const table = a[2] ?? ctx.backend?.name ?? ctx.frontend.name;
        return smp.setInt(st.lookup(table, ctx.src, base, a[0]) ?? 0);
      }
      const v = st.tracked?.(a[1], base, a[2], a[0]);
      return v === undefined ? false : smp.setInt(v);
    },
    prep,
  );
}
