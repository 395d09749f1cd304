/**
 * The scenarios in `npm test`: a scenario that is not pending runs on
 * tshaproxy; a pending one runs on HAProxy only (skipped without haproxy),
 * which keeps its recorded expectations honest. TSHAPROXY_PENDING=1 runs the
 * pending ones on tshaproxy as well. `npm run test:diff` runs all on both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxySubject, runScenario, tshaproxySubject, type Subject } from '../harness/runner.js';
import { scenarios } from './index.js';

const hap = haproxySubject();
const ts = tshaproxySubject();
const runPending = process.env.TSHAPROXY_PENDING === '1';

for (const sc of scenarios) {
  const subjects: Subject[] = [];
  if (!sc.pending || runPending) subjects.push(ts);
  if (sc.pending && hap) subjects.push(hap);
  if (!subjects.length) {
    test(sc.name, { skip: `pending (${sc.pending}) and haproxy is not on PATH` }, () => undefined);
    continue;
  }
  const bound = sc.steps.reduce((n, s) => n + (s.timeoutMs ?? 5000), (sc.startTimeoutMs ?? 5000) + 10_000);
  for (const subject of subjects) {
    test(`${sc.name} [${subject.name}]`, { timeout: bound }, async (t) => {
      const run = await runScenario(sc, subject, { signal: t.signal });
      if (run.setupError) assert.fail(`${subject.name} did not start: ${run.setupError}`);
      for (const s of run.steps) {
        await t.test(s.name, () => {
          assert.deepEqual(s.failures, [], `${s.failures.join('; ')}\nobserved: ${JSON.stringify(s.obs)}`);
        });
      }
    });
  }
}
