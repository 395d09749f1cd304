/**
 * tshaproxy -c --strict over the shared corpus agrees with HAProxy 2.6.12.
 * The figures may only go up: test/corpus/floor.json holds the last reached
 * ones. Every disagreement must be listed, with its reason, in
 * test/corpus/disagreements.tsv (npm run corpus -- --write refreshes it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, isDisagreement, loadReasons, projectRoot, runCorpus } from './conformance.js';

const floor = JSON.parse(readFileSync(join(projectRoot, 'test', 'corpus', 'floor.json'), 'utf8')) as {
  exitAgreement: number;
  alertPositions: number;
  /** share of HAProxy's alert lines printed identically */
  alertTexts: number;
  /** alert positions tshaproxy may report that HAProxy does not */
  maxExtraAlertPositions: number;
  /** share of HAProxy's warnings printed identically */
  warningTexts: number;
  /** warnings tshaproxy may print that HAProxy does not */
  maxExtraWarnings: number;
};

test('tshaproxy -c --strict agrees with HAProxy 2.6 on the corpus at least as often as it last did, and reports no alert it does not', { skip: !existsSync(corpusDir) && 'no ../shared/corpus beside the project' }, async () => {
  const s = await runCorpus();
  const exitRate = s.exitAgree / s.total;
  const posRate = s.positionsFound / s.positions;
  console.log(
    `corpus: ${s.total} configs, exit codes agree on ${(100 * exitRate).toFixed(2)}%, alert positions found ${(100 * posRate).toFixed(2)}%, ` +
      `identical alert texts ${s.textsSame}/${s.texts}, extra alert positions ${s.extra}, identical warnings ${s.warningsSame}/${s.warnings} (ours ${s.ourWarnings})`,
  );
  assert.ok(exitRate >= floor.exitAgreement, `exit agreement ${exitRate} < ${floor.exitAgreement}`);
  assert.ok(posRate >= floor.alertPositions, `alert positions ${posRate} < ${floor.alertPositions}`);
  const textRate = s.textsSame / s.texts;
  assert.ok(textRate >= floor.alertTexts, `identical alert texts ${textRate} < ${floor.alertTexts}`);
  assert.ok(s.extra <= floor.maxExtraAlertPositions, `${s.extra} alert positions HAProxy does not report`);
  const warnRate = s.warningsSame / s.warnings;
  assert.ok(warnRate >= floor.warningTexts, `identical warnings ${warnRate} < ${floor.warningTexts}`);
  const extraWarnings = s.ourWarnings - s.warningsSame;
  assert.ok(extraWarnings <= floor.maxExtraWarnings, `${extraWarnings} warnings HAProxy does not print`);
  const reasons = loadReasons();
  const unlisted = s.outcomes.filter((o) => isDisagreement(o) && !reasons.has(o.file)).map((o) => o.file);
  assert.deepEqual(unlisted, [], 'disagreements missing from test/corpus/disagreements.tsv');
});
