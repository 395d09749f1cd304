/**
 * `npm run test:diff`: every scenario on tshaproxy and on HAProxy (when
 * `haproxy` is on PATH), with a per-step report. Exit 1 on any failure or
 * unlisted difference in a scenario that is not pending; pending scenarios
 * are reported only, except that they must still pass on HAProxy (their
 * expectations come from it).
 *
 *   node dist/test/scenarios/diff.js [-v] [--haproxy-only|--tshaproxy-only] [NAME-FILTER...]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { diffRuns, failed, formatReport, haproxySubject, loadAllowList, projectRoot, runScenario, tshaproxySubject, type ScenarioRun } from '../harness/runner.js';
import { scenarios } from './index.js';

async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('-v');
  const filters = argv.filter((a) => !a.startsWith('-'));
  const allow = loadAllowList(join(projectRoot, 'test', 'scenarios', 'allowed-differences.tsv'));
  const ts = argv.includes('--haproxy-only') ? undefined : tshaproxySubject();
  const hap = argv.includes('--tshaproxy-only') ? undefined : haproxySubject();
  if (!hap && !argv.includes('--tshaproxy-only')) console.log('haproxy is not on PATH: running tshaproxy alone against the recorded expectations');
  if (hap) {
    const v = spawnSync(hap.bin, ['-v'], { encoding: 'utf8', timeout: 5000 }).stdout?.split('\n')[0] ?? '';
    console.log(v);
    if (!/version 2\.6\./.test(v)) console.log('warning: the expectations were recorded on HAProxy 2.6; this is another version');
  }
  let bad = 0;
  let pendingNotes = 0;
  let passed = 0;
  for (const sc of scenarios) {
    if (filters.length && !filters.some((f) => sc.name.includes(f))) continue;
    const runs: ScenarioRun[] = [];
    if (ts) runs.push(await runScenario(sc, ts));
    if (hap) runs.push(await runScenario(sc, hap));
    const diffs = runs.length === 2 ? diffRuns(sc, runs[0]!, runs[1]!, allow) : undefined;
    console.log(formatReport(sc, runs, diffs, verbose));
    const hapRun = runs.find((r) => r.subject === 'haproxy');
    const open = (diffs ?? []).some((d) => d.diffs.some((x) => !x.allowed));
    const isBad = (hapRun && failed(hapRun)) || (!sc.pending && (runs.some(failed) || open));
    if (isBad) bad++;
    else if (sc.pending && (runs.some(failed) || open)) pendingNotes++;
    else passed++;
  }
  console.log(`\nscenarios: ${passed} passed, ${bad} failed, ${pendingNotes} pending with failures or differences (not counted)`);
  console.log(`${passed} passed, ${bad} failed, ${pendingNotes} skipped`);
  return bad ? 1 : 0;
}

// node --test runs every file under dist/test/: only run when invoked directly.
if (!process.env.NODE_TEST_CONTEXT) {
  main(process.argv.slice(2)).then(
    (c) => process.exit(c),
    (e) => {
      console.error(e);
      process.exit(2);
    },
  );
}
